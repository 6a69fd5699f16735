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

#include <sys/rseq.h>

#include "internal.h"

#define PAGE_ALLOC_COSTLY_ORDER 3
#define NR_LOWORDER_PCP_LISTS (BZ_MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))
#define NR_PCP_THP 2
#define NR_PCP_LISTS (NR_LOWORDER_PCP_LISTS + NR_PCP_THP)
#define PCP_BATCH_SCALE_MAX 5          /* CONFIG_PCP_BATCH_SCALE_MAX default */

/* pcp->flags; PCPF_FREE_HIGH_BATCH is pcp->free_high_batch, so that an order-0 free clears all of flags */
#define PCPF_PREV_FREE_HIGH_ORDER 0x01u

enum { PCP_NUMA_HIT, PCP_NUMA_MISS, PCP_NUMA_FOREIGN, PCP_NUMA_INTERLEAVE, PCP_NUMA_LOCAL,
       PCP_NUMA_OTHER, NR_PCP_NUMA };

struct bz_pcp {                         /* owner only, or a drainer holding tc->lock; 128 bytes */
	_Atomic int count;              /* pages on all lists; owner writes (no RMW), reports read */
	_Atomic int high;               /* adapts within [high_min, high_max] (6.7+); likewise */
	int free_count;                 /* pages freed lately, decays on allocation */
	int free_cap;                   /* batch << PCP_BATCH_SCALE_MAX: free_count's ceiling */
	int batch;                      /* the zone's pcp_batch when last looked at */
	uint8_t alloc_factor;           /* refills double while only allocating; frees halve it */
	uint8_t flags;                  /* PCPF_* */
	bool free_high_batch;           /* PCPF_FREE_HIGH_BATCH: the CPU's cache slice holds 3 batches */
	struct bz_zone *zone;
	uint32_t lists[NR_PCP_LISTS];   /* LIFO stacks of blocks linked by pfn through page->next */
} __attribute__((aligned(128)));        /* a power of two: &tc->pcp[zone_id] is a shift */

_Static_assert(sizeof(struct bz_pcp) == 128, "struct bz_pcp: keep it 128 bytes");

struct bz_pcp_stats {                   /* per thread and zone; owner writes (no RMW), readers sum */
	_Atomic unsigned long numa[NR_PCP_NUMA];
	/* Requests the memo path served, per order (0..3, and [4] for the pageblock order):
	 * they count in pgalloc (pages) and in numa_hit and numa_local (allocations). */
	_Atomic unsigned long fast_allocs[PAGE_ALLOC_COSTLY_ORDER + 2];
};

struct bz_tcache {
	_Atomic int in_cs;              /* the owner is inside its lists */
	_Atomic int drain_pending;      /* a drainer wants the lists: owner takes lock */
	bz_ticketlock lock;            /* drainer's, and the owner's while drain_pending; FIFO */
	struct bz_system *sys;
	struct bz_tcache *next, *prev;  /* sys->tcaches, under bz__tcache_lock */
	pthread_t owner;
	int cpu;                        /* CPU the owner last refilled on (reports) */
	long last_decay_ns;             /* decay_pcp_high() roughly once a second */
	_Atomic unsigned long events[NR_VM_EVENTS]; /* owner writes (no RMW), readers sum */
	int nr_pcp;
	struct bz_pcp_stats *stats;     /* nr_pcp of them, after pcp[] */
	struct bz_pcp pcp[];            /* one per zone id (nid * BZ_MAX_NR_ZONES + zone) */
};

/* The thread's most recent (system, cache) pair; other systems in tls_more. */
struct bz_tls {
	struct bz_system *sys;
	uint64_t id;
	struct bz_tcache *tc;
	uint64_t gen;                   /* bz__tls_gen when set: sys is alive while equal */
	uintptr_t mem_map;              /* sys->mem_map, and its number of pfns: frees check */
	uintptr_t nr_pfns;              /* a page pointer against these two (0: no fast paths) */
	char *base;                     /* sys->base: addresses of those pages */
	_Atomic uint8_t *pageblock_mt;  /* sys->pageblock_mt */
	/*
	 * The memo: the last request the general path served from this
	 * thread's cache of the preferred zone.  The same (sys argument, gfp,
	 * order) goes straight to that list while m_gen equals bz__tls_gen;
	 * memos that need more than the list (zeroing, a node to check) carry
	 * MEMO_SPECIAL in m_gen and are served out of line.
	 */
	bz_gfp_t m_gfp;
	unsigned m_order;
	bz_system *m_sysarg;
	uint64_t m_gen;                 /* 0: no memo (bz__tls_gen starts at 1) */
	struct bz_zone *m_zone;
	_Atomic long *m_free;           /* &m_zone->vm_stat[NR_FREE_PAGES] */
	_Atomic long *m_mark;           /* &m_zone->fast_mark[highest zone index] */
	struct bz_pcp *m_pcp;
	uint32_t *m_list;
	int m_hz;                       /* highest zone index of the gfp */
	uint32_t m_word;                /* page->word of a block the memo hands out: flags, order, mt */
	int m_nid;                      /* -1: one-node system, no locality to check */
	int m_cpu;                      /* the CPU the memo was made on (multi-node systems) */
	int m_nr;                       /* 1 << order */
	_Atomic unsigned long *m_count; /* tc->stats[zone].fast_allocs[order] */
	char *m_base;                   /* sys->base, for __GFP_ZERO's memset */
	struct bz_page *m_mem_map;
};

/*
 * The CPU the thread runs on, from the rseq area glibc registers (a load,
 * no system call); -1 when rseq is not registered.
 */
static inline int bz__rseq_cpu(void)
{
	const struct rseq *rs;

	if (!__rseq_size)
		return -1;
	rs = (const struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
	return (int)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
}

/*
 * Bumped by every bz_system_destroy and zonelist rebuild: TLS entries and
 * memos of older generations are looked up again.  Starts at 1, so that a
 * zeroed bz_tls matches no generation.
 */
extern _Atomic uint64_t bz__tls_gen __attribute__((visibility("hidden")));

#define MEMO_SPECIAL (1ull << 63)       /* in m_gen: the memo's hits take the out-of-line path */
#define TLS_GEN_OFF UINT64_MAX          /* a bz__tls.gen no system has: the fast free path is off */

static inline void memo_clear(struct bz_tls *t)
{
	t->m_gen = 0;
}

/* The thread's system is alive at generation gen: its fast free path may run (unless turned off). */
static inline void tls_refresh_gen(struct bz_tls *t, uint64_t gen)
{
	if (t->gen != TLS_GEN_OFF)
		t->gen = gen;
}

/*
 * Owner-only counters that other threads read: on x86-64 one add without
 * a lock prefix, which is a single-copy-atomic store as the kernel's
 * __this_cpu_add is; elsewhere (and under ThreadSanitizer, which cannot
 * see inside an asm) a relaxed load and store.  Never a locked RMW.
 */
#if defined(__has_feature)
#define BZ_HAS_TSAN_FEATURE __has_feature(thread_sanitizer)
#else
#define BZ_HAS_TSAN_FEATURE 0
#endif
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !BZ_HAS_TSAN_FEATURE
static inline void owner_inc_ulong(_Atomic unsigned long *p)
{
	__asm__("addq $1, %0" : "+m"(*(unsigned long *)p));
}

static inline void owner_sub_int(_Atomic int *p, int n)
{
	__asm__("subl %1, %0" : "+m"(*(int *)p) : "ri"(n));
}
#else
static inline void owner_inc_ulong(_Atomic unsigned long *p)
{
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + 1, memory_order_relaxed);
}

static inline void owner_sub_int(_Atomic int *p, int n)
{
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) - n, memory_order_relaxed);
}
#endif

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

/*
 * The handshake.  Owner: in_cs = 1; load drain_pending; if 0, use the lists
 * and end with a release store in_cs = 0; if 1, clear in_cs and take
 * tc->lock instead.  Drainer: take tc->lock; drain_pending = 1;
 * membarrier(PRIVATE_EXPEDITED); wait until in_cs == 0 (acquire); drain;
 * drain_pending = 0; unlock.
 *
 * Why it is safe: membarrier places a full memory barrier in every running
 * thread of the process at some point between its call and its return
 * (a thread not running passes one at its context switch).  Take the
 * owner's barrier point P relative to its two accesses.  If P comes before
 * the owner's load of drain_pending, that load sees 1 and the owner takes
 * the lock the drainer holds.  Otherwise the owner's store in_cs = 1
 * precedes P and is visible to the drainer after membarrier returns, so
 * the drainer waits for the owner's release of in_cs, which orders every
 * list write before the drainer's reads.  Either way owner and drainer
 * never touch the lists at once, and the owner's fast path has no locked
 * instruction and no fence.  Without membarrier (old kernels, seccomp)
 * there are no thread caches at all: every request takes the zone lock.
 */
static inline bool tcache_enter(struct bz_tcache *tc)
{
	atomic_store_explicit(&tc->in_cs, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst); /* the CPU's barrier comes from membarrier */
	if (bz_likely(!atomic_load_explicit(&tc->drain_pending, memory_order_acquire)))
		return true;
	atomic_store_explicit(&tc->in_cs, 0, memory_order_release);
	bz_ticket_lock(&tc->lock);
	return false;
}

/*
 * The owner's entry when it must not wait: false (and out again) when a
 * drainer is at work, for callers that then take their general path.
 */
static inline bool tcache_try_enter(struct bz_tcache *tc)
{
	atomic_store_explicit(&tc->in_cs, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	if (bz_likely(!atomic_load_explicit(&tc->drain_pending, memory_order_acquire)))
		return true;
	atomic_store_explicit(&tc->in_cs, 0, memory_order_release);
	return false;
}

static inline void tcache_exit(struct bz_tcache *tc, bool fast)
{
	if (bz_likely(fast))
		atomic_store_explicit(&tc->in_cs, 0, memory_order_release);
	else
		bz_ticket_unlock(&tc->lock);
}

/* Orders the caches hold: 0..3 and the pageblock order (pcp_allowed_order). */
static inline bool pcp_allowed_order(unsigned order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER || order == BZ_PAGEBLOCK_ORDER;
}

static inline unsigned order_to_pindex(int mt, unsigned order)
{
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return NR_LOWORDER_PCP_LISTS + (mt == BZ_MIGRATE_MOVABLE);
	return BZ_MIGRATE_PCPTYPES * order + (unsigned)mt;
}

static inline unsigned pindex_to_order(unsigned pindex)
{
	return pindex < NR_LOWORDER_PCP_LISTS ? pindex / BZ_MIGRATE_PCPTYPES : BZ_PAGEBLOCK_ORDER;
}

/*
 * Re-reads the zone's batch (tunables may have changed it); returns it.
 * With it PCPF_FREE_HIGH_BATCH, as zone_pcp_update_cacheinfo() sets it.
 */
static inline int bz__pcp_refresh_batch(struct bz_pcp *pcp)
{
	const struct bz_zone *z = pcp->zone;

	pcp->batch = atomic_load_explicit(&z->pcp_batch, memory_order_relaxed);
	pcp->free_cap = pcp->batch << PCP_BATCH_SCALE_MAX;
	pcp->free_high_batch = (z->sys->topo.llc_slice_bytes[z->node->nid] >> BZ_PAGE_SHIFT) >
			       3ul * (unsigned long)pcp->batch;
	return pcp->batch;
}

/* free_unref_page_commit()'s rarer part: high-order bookkeeping, adapting high, draining. */
void bz__pcp_commit_slow(struct bz_tcache *tc, struct bz_pcp *pcp, unsigned order, unsigned pindex);
/* A block of an isolated pageblock goes straight to the buddy lists. */
void bz__free_isolated(struct bz_zone *z, unsigned long pfn, unsigned order);

/* rmqueue_pcplist(): a block from the thread's cache, refilled in a batch when empty. */
struct bz_page *bz__rmqueue_pcplist(struct bz_tcache *tc, struct bz_zone *z, unsigned order, int mt,
				    unsigned alloc_flags);

/* Owner-side updates of fields that reports read: plain load and store, never RMW. */
#define PCP_GET(pcp, f) atomic_load_explicit(&(pcp)->f, memory_order_relaxed)
#define PCP_SET(pcp, f, v) atomic_store_explicit(&(pcp)->f, (v), memory_order_relaxed)
#define PCP_ADD(pcp, f, n) PCP_SET(pcp, f, PCP_GET(pcp, f) + (n))

static inline void tc_count_event(struct bz_tcache *tc, enum bz_vm_event ev, unsigned long n)
{
	atomic_store_explicit(&tc->events[ev], atomic_load_explicit(&tc->events[ev], memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline void pcp_count_numa(struct bz_pcp_stats *pcp, int item)
{
	atomic_store_explicit(&pcp->numa[item], atomic_load_explicit(&pcp->numa[item], memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/*
 * free_unref_page_commit()'s bookkeeping for an order-0 free: alloc_factor
 * halves, the high-order flag clears, free_count grows up to its cap.
 */
static inline void pcp_commit_order0(struct bz_pcp *pcp)
{
	pcp->alloc_factor >>= 1;
	pcp->flags = 0;
	pcp->free_count += (unsigned)pcp->free_count < (unsigned)pcp->free_cap; /* both >= 0 */
}

/*
 * free_unref_page_commit(): onto the list, then the kernel's bookkeeping.
 * Order 0 with the cache below high and the zone not below its high
 * watermark is the common case, where nr_pcp_high() would change nothing.
 */
static inline void bz__free_unref_page(struct bz_tcache *tc, struct bz_pcp *pcp, struct bz_page *p,
				       unsigned long pfn, unsigned order, int mt)
{
	unsigned pindex;
	uint32_t *list;
	bool fast;
	int count;

	if (bz_unlikely(mt >= BZ_MIGRATE_PCPTYPES)) {
		if (mt == BZ_MIGRATE_ISOLATE) {
			bz__free_isolated(pcp->zone, pfn, order);
			return;
		}
		mt = BZ_MIGRATE_MOVABLE;
	}
	pindex = order_to_pindex(mt, order);
	fast = tcache_enter(tc);
	list = &pcp->lists[pindex];
	PAGE_SET(p, flags, PG_init | PG_pcp);
	p->next = *list;
	*list = (uint32_t)pfn;
	count = PCP_GET(pcp, count) + (1 << order);
	PCP_SET(pcp, count, count);
	if (bz_likely(!order)) {
		pcp_commit_order0(pcp);
		if (bz_likely(count < PCP_GET(pcp, high) && !atomic_load_explicit(&pcp->zone->flags, memory_order_relaxed)))
			goto out;
	}
	bz__pcp_commit_slow(tc, pcp, order, pindex);
out:
	tcache_exit(tc, fast);
}

/* What the memo path counted: allocations, and pages. */
static inline unsigned long pcp_fast_allocs(const struct bz_pcp_stats *pcp)
{
	unsigned long n = 0;

	for (int o = 0; o <= PAGE_ALLOC_COSTLY_ORDER + 1; o++)
		n += atomic_load_explicit(&pcp->fast_allocs[o], memory_order_relaxed);
	return n;
}

static inline unsigned long pcp_fast_pages(const struct bz_pcp_stats *pcp)
{
	unsigned long n = 0;

	for (int o = 0; o <= PAGE_ALLOC_COSTLY_ORDER; o++)
		n += atomic_load_explicit(&pcp->fast_allocs[o], memory_order_relaxed) << o;
	return n + (atomic_load_explicit(&pcp->fast_allocs[PAGE_ALLOC_COSTLY_ORDER + 1], memory_order_relaxed)
		    << BZ_PAGEBLOCK_ORDER);
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
/*
 * Runs fn(sys, arg) with bz__tcache_lock held and every thread's cache of
 * sys stopped, as a remote drain stops them; returns what fn returns.  The
 * caller must not be inside its own cache.
 */
int bz__tcache_stopped_call(struct bz_system *sys, int (*fn)(struct bz_system *sys, void *arg), void *arg);
/* The same if bz__tcache_lock is free now; -EBUSY (fn not run) if not. */
int bz__tcache_try_stopped_call(struct bz_system *sys, int (*fn)(struct bz_system *sys, void *arg), void *arg);

/*
 * The kernel decays every CPU's pageset once a second (vmstat_update),
 * busy or idle; a thread decays its own cache when it refills or drains.
 * This decays, at most once a second per system, the caches of threads
 * that did neither for a second.  From an allocation's general path, with
 * no cache entered and no lock held; skipped when another thread holds
 * bz__tcache_lock.
 */
void bz__pcp_decay_idle(struct bz_system *sys);
/* Set when this thread's own decay ran: bz__pcp_decay_idle is worth a look. */
extern _Thread_local bool bz__decay_idle_due __attribute__((tls_model("initial-exec")));
/* After a zone's pcp_batch/high_min/high_max changed: every cache clamps its high now (no lock held). */
void bz__pcp_retune(struct bz_system *sys);
/* Lifetime hooks from system.c; destroy runs with bz__tcache_lock held. */
void bz__pcp_system_created(struct bz_system *sys);
void bz__pcp_system_destroy(struct bz_system *sys);

#endif /* BZ_PCP_H */
