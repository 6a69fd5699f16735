/* SPDX-License-Identifier: MIT */
/*
 * pcp.h - per-thread page caches, the kernel's struct per_cpu_pages made
 * per thread.  One struct bz_tcache per (thread, system) holds a struct
 * bz_pcp per zone.  Only the owner thread touches its lists, with no lock
 * and no atomic read-modify-write; a remote drainer (bz_drain_all_pages,
 * fork) first asks the owner out of its lists (drain_pending), forces a
 * barrier on every running thread (membarrier), waits for the owner to
 * leave (in_cs), and holds tc->lock while it drains.  The argument is
 * written out at tcache_enter() in pcp.c.
 */
#ifndef BZ_PCP_H
#define BZ_PCP_H

#include "internal.h"

#define PAGE_ALLOC_COSTLY_ORDER 3
#define NR_LOWORDER_PCP_LISTS (BZ_MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))
#define NR_PCP_THP 2
#define NR_PCP_LISTS (NR_LOWORDER_PCP_LISTS + NR_PCP_THP)
#define PCP_BATCH_SCALE_MAX 5          /* CONFIG_PCP_BATCH_SCALE_MAX default */

#define PCPF_PREV_FREE_HIGH_ORDER 0x01u
#define PCPF_FREE_HIGH_BATCH      0x02u

enum { PCP_NUMA_HIT, PCP_NUMA_MISS, PCP_NUMA_FOREIGN, PCP_NUMA_INTERLEAVE, PCP_NUMA_LOCAL,
       PCP_NUMA_OTHER, NR_PCP_NUMA };

struct bz_pcp {                         /* owner only, or a drainer holding tc->lock */
	_Atomic int count;              /* pages on all lists; owner writes (no RMW), reports read */
	_Atomic int high;               /* adapts within [high_min, high_max] (6.7+); likewise */
	int free_count;                 /* pages freed lately, decays on allocation */
	int batch;                      /* the zone's pcp_batch when last looked at */
	uint8_t alloc_factor;           /* refills double while only allocating */
	uint8_t flags;                  /* PCPF_* */
	uint32_t lists[NR_PCP_LISTS];   /* LIFO stacks of blocks linked by pfn through page->next */
	_Atomic unsigned long numa[NR_PCP_NUMA]; /* owner writes (no RMW), readers sum */
};

struct bz_tcache {
	_Atomic int in_cs;              /* the owner is inside its lists */
	_Atomic int drain_pending;      /* a drainer wants the lists: owner takes lock */
	bz_spinlock lock;               /* drainer's, and the owner's while drain_pending */
	struct bz_system *sys;
	struct bz_tcache *next, *prev;  /* sys->tcaches, under bz__tcache_lock */
	pthread_t owner;
	int cpu;                        /* CPU the owner last refilled on (reports) */
	long last_decay_ns;             /* decay_pcp_high() roughly once a second */
	_Atomic unsigned long events[NR_VM_EVENTS]; /* owner writes (no RMW), readers sum */
	int nr_pcp;
	struct bz_pcp pcp[];            /* one per zone id (nid * BZ_MAX_NR_ZONES + zone) */
};

/* The thread's most recent (system, cache) pair; other systems in tls_more. */
struct bz_tls {
	struct bz_system *sys;
	uint64_t id;
	struct bz_tcache *tc;
	uint64_t gen;                   /* bz__destroy_gen when set: sys is alive while equal */
};

/* Bumped by every bz_system_destroy: TLS entries of older generations are rechecked. */
extern _Atomic uint64_t bz__destroy_gen;

extern _Thread_local struct bz_tls bz__tls __attribute__((tls_model("initial-exec")));
extern bool bz__use_membarrier;        /* set once, before the first cache exists */

/* A full barrier in every running thread of the process (membarrier), or in ours. */
void bz__force_barriers(void);
/* Returns every cached block of tc to the buddy lists; caller owns tc (owner or drainer). */
void bz__pcp_drain(struct bz_tcache *tc);

/* The calling thread's cache of sys, created on first use; NULL if that failed. */
struct bz_tcache *bz__tcache_slow(struct bz_system *sys);

static inline struct bz_tcache *bz__tcache(struct bz_system *sys)
{
	if (bz_likely(bz__tls.sys == sys && bz__tls.id == sys->id))
		return bz__tls.tc;
	return bz__tcache_slow(sys);
}

/* Orders the caches hold: 0..3 and the pageblock order (pcp_allowed_order). */
static inline bool pcp_allowed_order(unsigned order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER || order == BZ_PAGEBLOCK_ORDER;
}

/* rmqueue_pcplist(): a block from the thread's cache, refilled in a batch when empty. */
struct bz_page *bz__rmqueue_pcplist(struct bz_tcache *tc, struct bz_zone *z, unsigned order, int mt,
				    unsigned alloc_flags);
/* free_unref_page(): into the thread's cache, a batch back to the buddy lists above high. */
void bz__free_unref_page(struct bz_tcache *tc, struct bz_zone *z, unsigned long pfn, unsigned order);

/* Owner-side updates of fields that reports read: plain load and store, never RMW. */
#define PCP_GET(pcp, f) atomic_load_explicit(&(pcp)->f, memory_order_relaxed)
#define PCP_SET(pcp, f, v) atomic_store_explicit(&(pcp)->f, (v), memory_order_relaxed)
#define PCP_ADD(pcp, f, n) PCP_SET(pcp, f, PCP_GET(pcp, f) + (n))

static inline void tc_count_event(struct bz_tcache *tc, enum bz_vm_event ev, unsigned long n)
{
	atomic_store_explicit(&tc->events[ev], atomic_load_explicit(&tc->events[ev], memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void pcp_count_numa(struct bz_pcp *pcp, int item)
{
	atomic_store_explicit(&pcp->numa[item], atomic_load_explicit(&pcp->numa[item], memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* Sums over threads (take bz__tcache_lock briefly). */
unsigned long bz__vm_event_sum(const struct bz_system *sys, enum bz_vm_event ev);
unsigned long bz__zone_numa_sum(const struct bz_zone *z, enum bz_zone_stat_item item);
unsigned long bz__zone_cached(const struct bz_zone *z);
/* What zoneinfo's "pagesets" shows for model CPU cpu of the system. */
void bz__pcp_cpu_view(const struct bz_zone *z, int cpu, int *count, int *high);
/* bz__tcache_lock serialises cache lists, system destruction, drains and fork. */
void bz__tcache_lock(void);
void bz__tcache_unlock(void);

/* Lifetime hooks from system.c; destroy runs with bz__tcache_lock held. */
void bz__pcp_system_created(struct bz_system *sys);
void bz__pcp_system_destroy(struct bz_system *sys);

#endif /* BZ_PCP_H */
