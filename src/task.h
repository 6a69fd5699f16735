/* SPDX-License-Identifier: MIT */
/*
 * task.h - the thread layer (DESIGN.md, "Layers"): the kernel's `current`.
 * Everything the library keeps per thread lives in one struct bz_current
 * in static TLS (task.c): the record of the system the thread used last
 * (struct bz_task: its cache, memory policy, the fast paths' copies of the
 * system's geometry, and the allocation memo), the records of other
 * systems it used, and the thread's flags (PF_MEMALLOC), reclaim state and
 * callback nesting.  One pthread key gives them back when the thread
 * exits.  Only the owning thread reads or writes its records.
 */
#ifndef BZ_TASK_H
#define BZ_TASK_H

#include <sys/rseq.h>

#include "pcp.h"

#define PF_MEMALLOC     0x800u          /* current->flags: a reclaimer may use every reserve */
#define BZ_TASK_MORE    16              /* records of other systems a thread keeps */
#define BZ_TASK_MPOL_MAX 16             /* systems with a non-default policy, per thread */

struct bz_mpol;                         /* mempolicy.c */

/*
 * One thread's record for one system.  The fast paths read the current
 * record only, and only while gen equals bz__tls_gen (model.h).
 */
struct bz_task {
	struct bz_system *sys;
	uint64_t id;                    /* sys->id: a record of a destroyed system never matches */
	struct bz_tcache *tc;           /* the thread's cache of sys; NULL: none (no membarrier) */
	uint64_t gen;                   /* bz__tls_gen when set: sys is alive while equal */
	uintptr_t mem_map;              /* sys->mem_map, and its number of pfns: frees check */
	uintptr_t nr_pfns;              /* a page pointer against these two (0: no fast paths) */
	char *base;                     /* sys->base: addresses of those pages */
	_Atomic uint8_t *pageblock_mt;  /* sys->pageblock_mt */
	/*
	 * The memo: the last request the general path served from this
	 * thread's cache of the preferred zone.  The same (sys argument, gfp,
	 * order) goes straight to that list while m_gen equals bz__tls_gen;
	 * memos that need more than the list (zeroing, a compound page, a node to check) carry
	 * MEMO_SPECIAL in m_gen and are served out of line.  Cleared when the
	 * thread's own policy changes; invalidated with every shortcut.
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
	uint64_t m_val;                 /* page->val of a block the memo hands out: flags, order, mt, refcount 1 */
	int m_hz;                       /* highest zone index of the gfp */
	int m_nid;                      /* -1: one-node system, no locality to check */
	int m_cpu;                      /* the CPU the memo was made on (multi-node systems) */
	int m_nr;                       /* 1 << order */
	_Atomic unsigned long *m_count; /* tc->stats[zone].fast_allocs[order] */
	char *m_base;                   /* sys->base, for __GFP_ZERO's memset */
	struct bz_page *m_mem_map;
	struct bz_mpol *mpol;           /* the thread's policy for sys (mempolicy.c); NULL: default */
	int node_pin;                   /* 1 + the node bz_thread_set_node placed the thread on; 0: its CPU's */
};

/* current->reclaim_state: pages a reclaiming thread freed, counted by the free path. */
struct bz_reclaim_state {
	struct bz_system *sys;
	unsigned long reclaimed;
};

/* The thread: the kernel's task_struct, cut to what the allocator keeps. */
struct bz_current {
	struct bz_task task;            /* the system used last: first, so the fast paths find it at once */
	struct bz_task *more;           /* BZ_TASK_MORE records of other systems (heap: small static TLS) */
	struct bz_reclaim_state *reclaim_state;
	const void *in_callback;        /* the callback list whose callback runs on this thread (shrinker.c) */
	unsigned flags;                 /* PF_MEMALLOC */
	int nr_mpol;                    /* records holding a policy */
	int nr_pinned;                  /* records holding a node_pin */
};

/* Static TLS, initial-exec: small enough for a library loaded with dlopen(). */
extern _Thread_local struct bz_current bz__current __attribute__((tls_model("initial-exec"), visibility("hidden")));

#define MEMO_SPECIAL (1ull << 63)       /* in m_gen: the memo's hits take the out-of-line path */
#define TLS_GEN_OFF UINT64_MAX          /* a record's gen no system has: the fast free path is off */

static inline void memo_clear(struct bz_task *t)
{
	t->m_gen = 0;
}

/* The thread's system is alive at generation gen: its fast free path may run (unless turned off). */
static inline void tls_refresh_gen(struct bz_task *t, uint64_t gen)
{
	if (t->gen != TLS_GEN_OFF)
		t->gen = gen;
}

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

/* ---- task.c --------------------------------------------------------------------------- */

/*
 * The calling thread's record for sys, made current (the record used last
 * goes to the others); created when create is set.  NULL when the thread
 * has none and create is false, or memory ran out.
 */
struct bz_task *bz__task(struct bz_system *sys, bool create);

/* The calling thread's cache of sys, created on first use; NULL if there is none. */
struct bz_tcache *bz__task_cache_slow(struct bz_system *sys);

static inline struct bz_tcache *bz__task_cache(struct bz_system *sys)
{
	if (bz_likely(bz__current.task.sys == sys && bz__current.task.id == sys->id && bz__current.task.tc))
		return bz__current.task.tc;
	return bz__task_cache_slow(sys);
}

/*
 * bz_thread_set_node(): the calling thread's node in sys is nid from now
 * on (-1: its CPU's again).  Its memo goes, and its cache, when it lives
 * on another node's memory, goes back (a new one is made on the thread's
 * node at its next use).  0 or -ENOMEM.
 */
int bz__task_set_node(struct bz_system *sys, int nid);
int bz__task_node_slow(const struct bz_system *sys);

/*
 * numa_node_id() for the calling thread: the node it was placed on in sys
 * (bz_thread_set_node), else its CPU's (bz__numa_node_id, zonelist.c).
 */
static inline int bz__task_node(const struct bz_system *sys)
{
	if (bz_likely(!bz__current.nr_pinned))
		return bz__numa_node_id(sys);
	return bz__task_node_slow(sys);
}

/* The thread's policy record for sys without making it current; NULL: default policy. */
struct bz_mpol *bz__task_mpol(const struct bz_system *sys);
/* Forgets the policies of records whose system is gone (they count against BZ_TASK_MPOL_MAX). */
void bz__task_forget_dead(void);

/* Is the calling thread a reclaimer (PF_MEMALLOC, bz_memalloc_save)? */
static inline bool bz__current_memalloc(void)
{
	return bz__current.flags & PF_MEMALLOC;
}

/* A thread while it reclaims: PF_MEMALLOC, its frees counted, its fast free path off. */
struct bz_reclaim_ctx {
	struct bz_reclaim_state rs;
	struct bz_reclaim_state *prev;
	unsigned memalloc;
	uint64_t gen;                   /* the current record's gen before */
};

void bz__reclaim_enter(struct bz_reclaim_ctx *c, struct bz_system *sys);
void bz__reclaim_exit(struct bz_reclaim_ctx *c);
/* bz_free_pages's fast path skips the count: this thread's frees take the slow path. */
static inline void bz__fast_free_off(void)
{
	bz__current.task.gen = TLS_GEN_OFF;
}

/* Returns the calling thread's cached pages of sys to the buddy lists. */
void bz__drain_own_cache(struct bz_system *sys);

/* The free path's count of a reclaimer's progress (its fast free is off); returns ret. */
static inline int bz__reclaim_account(struct bz_system *sys, unsigned order, int ret)
{
	struct bz_reclaim_state *rs = bz__current.reclaim_state;

	if (bz_unlikely(rs != NULL) && !ret && rs->sys == sys)
		rs->reclaimed += 1ul << order;
	return ret;
}

#endif /* BZ_TASK_H */
