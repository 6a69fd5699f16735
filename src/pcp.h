/* SPDX-License-Identifier: MIT */
/*
 * pcp.h - the per-thread cache layer (DESIGN.md, "Layers"): the kernel's
 * struct per_cpu_pages made per thread.  One struct bz_tcache per (thread,
 * system) holds a struct bz_pcp per zone.  pcp.c owns what a cache does
 * (refill, drain, adaptive high, decay); tcache.c owns the caches of a
 * system (creation, the remote-drain handshake, stopping every owner,
 * sums for reports, fork).  The inlines below are the only code anywhere
 * that touches a cache's lists and counts: the fast paths of page_alloc.c
 * and page_free.c call them.
 *
 * Only the owner thread touches its lists, with no lock and no atomic
 * read-modify-write; a remote drainer (bz_drain_all_pages, fork) first
 * asks the owner out of its lists (drain_pending), forces a barrier on
 * every running thread (membarrier), waits for the owner to leave
 * (in_cs), and holds tc->lock while it drains.  The argument is written
 * out at tcache_enter() below.
 */
#ifndef BZ_PCP_H
#define BZ_PCP_H

#include "model.h"

#define NR_LOWORDER_PCP_LISTS (BZ_MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))
#define NR_PCP_THP 2
#define NR_PCP_LISTS (NR_LOWORDER_PCP_LISTS + NR_PCP_THP)
#define PCP_BATCH_SCALE_MAX 5          /* CONFIG_PCP_BATCH_SCALE_MAX default */
#define BZ_FAST_INLINE static inline __attribute__((always_inline))
#define BZ_PCP_DECAY_PERIOD_NS 1000000000l /* vmstat_update: decay_pcp_high() once a second */

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
	/*
	 * pcp->expire (refresh_cpu_vm_stats): refreshes left before a cache of
	 * another node's zone gives a batch back (drain_zone_pages); set to 3
	 * by a refresh that finds stat_dirty, which a refill or a drain of the
	 * buddy lists sets (the kernel's vm_stat_diff of the zone).  pcp.c.
	 */
	uint8_t expire;
	bool stat_dirty;
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
	int nr_pcp;                     /* in cpu's hole: pcp[] starts at 384 bytes, not 512 */
	long last_decay_ns;             /* decay_pcp_high() roughly once a second */
	bool decay_idle_due;            /* the owner's decay ran: idle threads' caches are worth a look */
	bool pinned;                    /* nid set by bz_thread_set_node, else the CPU's node at the last refill */
	int nid;                        /* the owner's node: its memory holds the cache; remote zones expire */
	size_t alloc_bytes;             /* the cache's own mapping (bz__os_alloc_node) */
	_Atomic unsigned long events[NR_VM_EVENTS]; /* owner writes (no RMW), readers sum */
	struct bz_pcp_stats *stats;     /* nr_pcp of them, after pcp[] */
	struct bz_pcp pcp[];            /* one per zone id (nid * BZ_MAX_NR_ZONES + zone) */
};

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

/*
 * Relaxed reads that the fast paths only compare: one cmp with a memory
 * operand, where GCC loads an atomic into a register and tests it (it
 * never folds an atomic or volatile read into the compare).  The same one
 * single-copy-atomic read as atomic_load_explicit(relaxed); the acquire
 * form keeps later accesses after it (a plain x86-64 load is an acquire).
 */
static inline bool read_nonzero_u8(const _Atomic uint8_t *p)
{
	bool r;

	__asm__ volatile("cmpb $0, %1" : "=@ccne"(r) : "m"(*(const uint8_t *)p));
	return r;
}

static inline bool read_nonzero_int_acquire(const _Atomic int *p)
{
	bool r;

	__asm__ volatile("cmpl $0, %1" : "=@ccne"(r) : "m"(*(const int *)p) : "memory");
	return r;
}

/* *p <= x, *p read once */
static inline bool read_int_le(const _Atomic int *p, int x)
{
	bool r;

	__asm__ volatile("cmpl %2, %1" : "=@ccle"(r) : "m"(*(const int *)p), "ri"(x));
	return r;
}

/* *p >= x, *p read once */
static inline bool read_long_ge(const _Atomic long *p, long x)
{
	bool r;

	__asm__ volatile("cmpq %2, %1" : "=@ccge"(r) : "m"(*(const long *)p), "r"(x));
	return r;
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
static inline bool read_nonzero_u8(const _Atomic uint8_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static inline bool read_nonzero_int_acquire(const _Atomic int *p)
{
	return atomic_load_explicit(p, memory_order_acquire);
}

static inline bool read_int_le(const _Atomic int *p, int x)
{
	return atomic_load_explicit(p, memory_order_relaxed) <= x;
}

static inline bool read_long_ge(const _Atomic long *p, long x)
{
	return atomic_load_explicit(p, memory_order_relaxed) >= x;
}
#endif

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
	if (bz_likely(!read_nonzero_int_acquire(&tc->drain_pending)))
		return true;
	atomic_store_explicit(&tc->in_cs, 0, memory_order_release);
	bz_ticket_lock(&tc->lock);
	return false;
}

/*
 * The owner's entry when it must not wait: false (and out again) when a
 * drainer is at work, for callers that then take their general path.
 */
BZ_FAST_INLINE bool tcache_try_enter(struct bz_tcache *tc)
{
	atomic_store_explicit(&tc->in_cs, 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	if (bz_likely(!read_nonzero_int_acquire(&tc->drain_pending)))
		return true;
	atomic_store_explicit(&tc->in_cs, 0, memory_order_release);
	return false;
}

BZ_FAST_INLINE void tcache_exit(struct bz_tcache *tc, bool fast)
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

/* Owner-side updates of fields that reports read: plain load and store, never RMW. */
#define PCP_GET(pcp, f) atomic_load_explicit(&(pcp)->f, memory_order_relaxed)
#define PCP_SET(pcp, f, v) atomic_store_explicit(&(pcp)->f, (v), memory_order_relaxed)
#define PCP_ADD(pcp, f, n) PCP_SET(pcp, f, PCP_GET(pcp, f) + (n))

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

/* ---- the lists: LIFO stacks of blocks linked by pfn through page->next ------------- */

/* Pushes the block at pfn (page p) onto a list; the caller counts it and sets its state. */
BZ_FAST_INLINE void pcp_list_push(uint32_t *list, struct bz_page *p, uint32_t pfn)
{
	p->next = *list;
	*list = pfn;
}

/* Pops the first block of a list that is not empty; the caller counts it and sets its state. */
BZ_FAST_INLINE struct bz_page *pcp_list_pop(uint32_t *list, struct bz_page *mem_map)
{
	struct bz_page *p = mem_map + *list;

	BZ_ASSERT_HOT((PAGE_GET(p, flags) & (PG_init | PG_pcp | PG_head | PG_buddy)) == (PG_init | PG_pcp));
	*list = p->next;
	return p;
}

/*
 * free_unref_page_commit()'s bookkeeping for an order-0 free: alloc_factor
 * halves, the high-order flag clears, free_count grows up to its cap.
 */
BZ_FAST_INLINE void pcp_commit_order0(struct bz_pcp *pcp)
{
	pcp->alloc_factor >>= 1;
	pcp->flags = 0;
	pcp->free_count += (unsigned)pcp->free_count < (unsigned)pcp->free_cap; /* both >= 0 */
}

/* ---- the owner's operations ------------------------------------------------------------ */

/* free_unref_page_commit()'s rarer part: high-order bookkeeping, adapting high, draining (pcp.c). */
void bz__pcp_commit_slow(struct bz_tcache *tc, struct bz_pcp *pcp, unsigned order, unsigned pindex);
/*
 * A block of an isolated pageblock goes straight to the buddy lists, its
 * last refs references with it (0: frozen already); false if a reference
 * came first (page_put_last).
 */
bool bz__free_isolated(struct bz_zone *z, unsigned long pfn, unsigned order, int refs);

/*
 * free_unref_page_commit(): the block's last refs references go (0: frozen
 * already) inside the owner's section, the block onto the list, then the
 * kernel's bookkeeping.  False, nothing changed, when the count was no
 * longer refs (a speculative reference came first).  Order 0 with the
 * cache below high and the zone not below its high watermark is the
 * common case, where nr_pcp_high() would change nothing.
 */
static inline bool bz__free_unref_page(struct bz_tcache *tc, struct bz_pcp *pcp, struct bz_page *p,
				       unsigned long pfn, unsigned order, int mt, int refs)
{
	unsigned pindex;
	bool fast;
	int count;

	if (bz_unlikely(mt >= BZ_MIGRATE_PCPTYPES)) {
		if (mt == BZ_MIGRATE_ISOLATE)
			return bz__free_isolated(pcp->zone, pfn, order, refs);
		mt = BZ_MIGRATE_MOVABLE;
	}
	pindex = order_to_pindex(mt, order);
	fast = tcache_enter(tc);
	if (bz_unlikely(!page_put_last_owner(p, refs, order))) {
		tcache_exit(tc, fast);
		return false;
	}
	PAGE_SET(p, flags, PG_init | PG_pcp);
	pcp_list_push(&pcp->lists[pindex], p, (uint32_t)pfn);
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
	return true;
}

/*
 * The fast free (page_free.c) of an order-0 block of a pcp type: onto the
 * list with no lock and no atomic read-modify-write, when nothing the
 * kernel's commit would look at is in play: the zone neither below its
 * high watermark nor being balanced by kswapd, the cache below high, no
 * drainer about, and the page, read inside the section, an order-0 head
 * with one reference (page_sole_order0: its holder's, who frees it; a
 * speculative reference is only taken with every owner out of its
 * section, page_ref.h).  One store makes it cached with count 0.  False:
 * take the general path.
 */
BZ_FAST_INLINE bool pcp_free_fast(struct bz_tcache *tc, struct bz_pcp *pcp, struct bz_page *p, uint32_t pfn,
				 unsigned mt)
{
	int count;

	/* ZONE_BELOW_HIGH or ZONE_RECLAIM_ACTIVE: nr_pcp_high() would change high. */
	if (bz_unlikely(read_nonzero_u8(&pcp->zone->flags)))
		return false;
	if (bz_unlikely(!tcache_try_enter(tc)))
		return false;
	count = PCP_GET(pcp, count) + 1;
	if (bz_unlikely(!page_sole_order0(p) || read_int_le(&pcp->high, count))) {
		tcache_exit(tc, true);
		return false;
	}
	/* The user's flags go with the rest (free_pages_prepare); no debug state outside debug mode. */
	PAGE_SET(p, val, PAGE_VAL(PG_init | PG_pcp, 0, 0, 0, 0));
	pcp_list_push(&pcp->lists[mt], p, pfn);
	PCP_SET(pcp, count, count);
	pcp_commit_order0(pcp);
	tcache_exit(tc, true);
	return true;
}

static inline bool pcp_list_empty(const uint32_t *list)
{
	return *list == BZ_NIL;
}

/*
 * The memo hit's take (page_alloc.c), inside the owner's critical section
 * (tcache_try_enter) from a list that is not empty: the first block with
 * the owner's bookkeeping, its state and reference count (1,
 * set_page_refcounted) set to val in one store, its private cleared as
 * post_alloc_hook() does.
 */
BZ_FAST_INLINE struct bz_page *pcp_take(struct bz_pcp *pcp, uint32_t *list, struct bz_page *mem_map, int nr,
					uint64_t val)
{
	struct bz_page *p = pcp_list_pop(list, mem_map);

	owner_sub_int(&pcp->count, nr);
	pcp->free_count >>= 1;
	PAGE_SET(p, val, val);
	p->private = 0;
	return p;
}

/* rmqueue_pcplist(): a block from the thread's cache, refilled in a batch when empty. */
struct bz_page *bz__rmqueue_pcplist(struct bz_tcache *tc, struct bz_zone *z, unsigned order, int mt,
				    unsigned alloc_flags);
/* Every cached block of tc back to the buddy lists; the caller owns tc (owner or drainer). */
void bz__pcp_drain(struct bz_tcache *tc);
/* decay_pcp_high() for every zone of tc at time now; the caller owns tc. */
void bz__pcp_decay(struct bz_tcache *tc, long now);
/* A cache takes its zones' new pageset limits (zone_set_pageset_high_and_batch); the caller owns it. */
void bz__pcp_retune(struct bz_tcache *tc);

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

/* ---- tcache.c: the caches of a system ------------------------------------------------------ */

/*
 * Registers the process for membarrier once (the handshake needs it);
 * false when the kernel refuses: then no thread caches exist at all (said
 * once, through sys's log).  bz__tcache_off_reason(): 0, or the -errno.
 */
bool bz__tcache_supported(const struct bz_system *sys);
int bz__tcache_off_reason(void);
/*
 * A new cache of sys for the calling thread, on sys->tcaches, in memory of
 * node nid (the thread's node; pinned: set by bz_thread_set_node), its
 * counters with it; NULL on failure.
 */
struct bz_tcache *bz__tcache_new(struct bz_system *sys, int nid, bool pinned);
/* The calling thread's cache tc (of a system with this id) drained and freed, if the system lives. */
void bz__tcache_release(struct bz_tcache *tc, struct bz_system *sys, uint64_t id);
/* A full barrier in every running thread of the process (membarrier), or in ours. */
void bz__force_barriers(void);
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
/* drain_all_pages(): every thread's cache of sys back to the buddy lists. */
int bz__tcache_drain_all(struct bz_system *sys);
/*
 * The kernel decays every CPU's pageset once a second (vmstat_update),
 * busy or idle; a thread decays its own cache when it refills or drains.
 * This decays, at most once a second per system, the caches of threads
 * that did neither for a second.  From an allocation's general path, with
 * no cache entered and no lock held; skipped when another thread holds
 * bz__tcache_lock.
 */
void bz__tcache_decay_idle(struct bz_system *sys);
/* After a zone's pcp_batch/high_min/high_max changed: every cache clamps its high now (no lock held). */
void bz__tcache_retune_all(struct bz_system *sys);
/* With bz__tcache_lock held and sys leaving: its caches go (their pages with it). */
void bz__tcache_system_destroy(struct bz_system *sys);
/* Fork (fork.c): no thread inside a cache, no zone or sysctl lock held while memory is copied. */
void bz__tcache_fork_prepare(void);
void bz__tcache_fork_parent(void);
/* In the child: only the forking thread lives on; the others' caches come home. */
void bz__tcache_fork_child(void);

/* ---- sums for reports (take bz__tcache_lock briefly) ------------------------------------- */

unsigned long bz__vm_event_sum(const struct bz_system *sys, enum bz_vm_event ev);
unsigned long bz__zone_numa_sum(const struct bz_zone *z, enum bz_zone_stat_item item);
/* Pages in caches of z: a snapshot while owners run, exact while they are stopped. */
unsigned long bz__zone_cached(const struct bz_zone *z);
/* The same for a caller that holds bz__tcache_lock with every owner stopped. */
unsigned long bz__zone_cached_stopped(const struct bz_zone *z);
/* Pages in one cache's pageset of z (show_mem's local_pcp). */
unsigned long bz__pcp_count(const struct bz_tcache *tc, const struct bz_zone *z);
/* What zoneinfo's "pagesets" shows for model CPU cpu of the system. */
void bz__pcp_cpu_view(const struct bz_zone *z, int cpu, int *count, int *high);

#endif /* BZ_PCP_H */
