/* SPDX-License-Identifier: MIT */
/*
 * reclaim.h - the reclaim layer (DESIGN.md, "Layers"): the application's
 * reclaimable memory and its callbacks (shrinker.c: shrinkers, and the
 * callback lists OOM notifiers use too), reclaim itself (vmscan.c: direct
 * reclaim, kswapd, node_reclaim), the last resort (oom.c), and giving free
 * memory back to the OS (page_reporting.c).
 *
 * Callback lists follow the kernel's 6.7+ shrinker lifetime: a walker takes
 * a reference on an entry (shrinker_try_get) before calling it with no lock
 * held, and unregistering marks the entry dead and waits until the last
 * reference is dropped (shrinker_free's wait_for_completion).  Calling the
 * application back is the one sanctioned upward call of the library
 * (with OOM notifiers and the log callback).
 */
#ifndef BZ_RECLAIM_H
#define BZ_RECLAIM_H

#include "stats.h"

#define DEF_PRIORITY          12    /* scan 1/4096th of the freeable objects first */
#define SWAP_CLUSTER_MAX      32ul
#define NODE_RECLAIM_PRIORITY 4     /* node_reclaim: 1/16th of a node per round */
/* zone_reclaim_mode bits (mm/internal.h) */
#define RECLAIM_ZONE   0x1
#define RECLAIM_WRITE  0x2
#define RECLAIM_UNMAP  0x4
#define RECLAIM_DISTANCE 30             /* node_reclaim_distance: farther nodes are not worth it */
/* node_reclaim()'s answers (mm/internal.h) */
#define NODE_RECLAIM_NOSCAN  (-2)
#define NODE_RECLAIM_FULL    (-1)
#define NODE_RECLAIM_SOME    0
#define NODE_RECLAIM_SUCCESS 1

/* One registered callback: obj is the caller's struct bz_shrinker or bz_oom_notifier. */
struct bz_cb {
	struct bz_cb *next;
	void *obj;
	int priority;                   /* OOM notifiers: higher runs first */
	unsigned flags;                 /* shrinkers: flags at registration */
	int refs;                       /* calls in flight; the list's lock */
	bool dead;                      /* unregistering: no new calls */
	int nr_slots;                   /* shrinkers: one per node if NUMA-aware, else one */
	/* shrinkers: nr_deferred[nr_slots], then the last count_objects per slot */
	_Atomic long counters[];
};

struct bz_cblist {
	pthread_mutex_t lock;
	pthread_cond_t idle;            /* a dead entry's last call returned */
	struct bz_cb *head;             /* by priority, highest first, then by age */
};

/* A system's application callbacks: sys->reclaim, made by the first registration (shrinker.c). */
struct bz_reclaim {
	struct bz_system *sys;
	struct bz_cblist shrinkers;
	struct bz_cblist oom;
	pthread_mutex_t oom_lock;       /* oom_lock: one thread runs the notifiers at a time */
	_Atomic int nr_shrinkers;
};

/* struct scan_control, cut to what shrinkers need. */
struct scan_control {
	unsigned long nr_to_reclaim;
	unsigned long nr_reclaimed;     /* pages, as counted by the free path */
	bz_gfp_t gfp_mask;
	int order;
	int priority;
	int reclaim_idx;                /* highest zone index to reclaim for */
};

static inline bool bz__node_reclaim_enabled(const struct bz_system *sys)
{
	return __atomic_load_n(&sys->sysctl.zone_reclaim_mode, __ATOMIC_RELAXED) &
	       (RECLAIM_ZONE | RECLAIM_WRITE | RECLAIM_UNMAP);
}

/* ---- shrinker.c: callback lists, shrinkers, shrink_slab -------------------------------- */

/* sys->reclaim; created when create is set and it does not exist (NULL if that fails). */
struct bz_reclaim *bz__reclaim(struct bz_system *sys, bool create);
/* Frees sys->reclaim; bz_system_destroy, after kswapd stopped. */
void bz__reclaim_destroy(struct bz_system *sys);
/* Registered shrinkers of sys (0 before the first registration). */
int bz__nr_shrinkers(const struct bz_system *sys);
/* After fork, in the child: every list's lock is fresh and no call is in flight. */
void bz__reclaim_fork_child(struct bz_system *sys);

/* Adds cb in priority order; -EINVAL when cb->obj is registered already. */
int bz__cblist_add(struct bz_cblist *l, struct bz_cb *cb);
/*
 * Removes obj's entry once no call of it is in flight and returns it for
 * the caller to free; NULL when obj is not registered.  -EDEADLK in *err
 * when the calling thread is inside one of this list's callbacks: waiting
 * would never end.
 */
struct bz_cb *bz__cblist_del(struct bz_cblist *l, void *obj, int *err);
/* The next live entry after prev (NULL: the first), referenced; prev's reference is dropped. */
struct bz_cb *bz__cblist_next(struct bz_cblist *l, struct bz_cb *prev);
/* Marks the calling thread as inside a callback of l (NULL: outside); returns the previous mark. */
const struct bz_cblist *bz__cblist_enter(const struct bz_cblist *l);

/* bz_shrinker_register()/unregister() for a resolved system (system.c has the public names). */
int bz__shrinker_register(struct bz_system *sys, struct bz_shrinker *s);
void bz__shrinker_unregister(struct bz_system *sys, struct bz_shrinker *s);
/*
 * shrink_slab(): every shrinker, at priority, for node nid: NUMA-aware ones
 * with sc->nid = nid, the others (sc->nid = 0) only when unaware is set.
 * Returns the objects the shrinkers said they freed.
 */
unsigned long bz__shrink_slab(struct bz_reclaim *r, bz_gfp_t gfp, int nid, int priority, bool unaware);
/* What the shrinkers of node nid (and, when unaware, the others) can free now: count_objects. */
unsigned long bz__shrinkers_count(struct bz_reclaim *r, bz_gfp_t gfp, int nid, bool unaware);
/* zone_reclaimable_pages(): pages the node's shrinkers could give back (their last count). */
unsigned long bz__zone_reclaimable_pages(struct bz_zone *z);

/* ---- vmscan.c: direct reclaim, kswapd, node_reclaim ------------------------------------------ */

/* wakeup_kswapd(): zone z is low; kswapd of its node reclaims for order up to highest_zoneidx. */
void bz__wakeup_kswapd(struct bz_zone *z, bz_gfp_t gfp, unsigned order, int highest_zoneidx);
/* wake_all_kswapds(): each node of the zonelist with a zone at or below highest_zoneidx. */
void bz__wake_all_kswapds(const struct bz_zonelist *zl, int highest_zoneidx, bz_gfp_t gfp, unsigned order);
/* try_to_free_pages(): direct reclaim through the shrinkers; pages freed.  Counts allocstall. */
unsigned long bz__try_to_free_pages(struct bz_system *sys, const struct bz_zonelist *zl, int highest_zoneidx,
				    bz_gfp_t gfp, unsigned order);
/* node_reclaim(): NODE_RECLAIM_* */
int bz__node_reclaim(struct bz_system *sys, int nid, bz_gfp_t gfp, unsigned order);
/* Stops every kswapd of sys and frees their state; bz_system_destroy, before memory goes. */
void bz__vmscan_system_destroy(struct bz_system *sys);
/* After fork, in the child: no kswapd came along; its state starts afresh. */
void bz__vmscan_fork_child(struct bz_system *sys);

/* ---- oom.c: OOM notifiers -------------------------------------------------------------------- */

/* bz_register_oom_notifier()/unregister for a resolved system (system.c has the public names). */
int bz__register_oom_notifier(struct bz_system *sys, struct bz_oom_notifier *nb);
int bz__unregister_oom_notifier(struct bz_system *sys, struct bz_oom_notifier *nb);
/* __alloc_pages_may_oom(): OOM notifiers where the kernel would kill; true: retry the request. */
bool bz__out_of_memory(struct bz_system *sys, bz_gfp_t gfp, unsigned order, int highest_zoneidx, int nid);

/* ---- page_reporting.c: free page reporting, bz_trim ------------------------------------------- */

/*
 * A free asked for reporting (sys->reporting_requested, buddy.c): the
 * worker starts or wakes.  Called by the entry points, holding no lock.
 */
void bz__page_reporting_kick(struct bz_system *sys);

static inline void bz__page_reporting_poll(struct bz_system *sys)
{
	if (bz_unlikely(atomic_load_explicit(&sys->reporting_requested, memory_order_relaxed)))
		bz__page_reporting_kick(sys);
}

/* bz_trim() for a resolved system whose caches are drained: pages given back, or -errno. */
long bz__page_reporting_trim(struct bz_system *sys);
/* Stops the worker; bz_system_destroy, before memory goes. */
void bz__page_reporting_system_destroy(struct bz_system *sys);
/* After fork, in the child: the worker did not come along. */
void bz__page_reporting_fork_child(struct bz_system *sys);

#endif /* BZ_RECLAIM_H */
