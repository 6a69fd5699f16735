/* SPDX-License-Identifier: MIT */
/*
 * reclaim.h - what shrinker.c, vmscan.c and oom.c share: a system's reclaim
 * state (created on first use by vmscan.c, freed with the system), the
 * callback lists shrinkers and OOM notifiers live on, and the kernel's
 * struct scan_control for one reclaim pass.
 *
 * Callback lists follow the kernel's 6.7+ shrinker lifetime: a walker takes
 * a reference on an entry (shrinker_try_get) before calling it with no lock
 * held, and unregistering marks the entry dead and waits until the last
 * reference is dropped (shrinker_free's wait_for_completion).
 */
#ifndef BZ_RECLAIM_H
#define BZ_RECLAIM_H

#include "internal.h"

#define DEF_PRIORITY          12    /* scan 1/4096th of the freeable objects first */
#define SWAP_CLUSTER_MAX      32ul
#define NODE_RECLAIM_PRIORITY 4     /* node_reclaim: 1/16th of a node per round */

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

/* One node's kswapd (vmscan.c). */
struct bz_kswapd {
	struct bz_reclaim *r;
	int nid;
	pthread_mutex_t lock;           /* the fields below that are not atomic */
	pthread_cond_t wait;            /* pgdat->kswapd_wait */
	pthread_t thread;
	_Atomic bool running;           /* the thread exists in this process */
	_Atomic bool sleeping;          /* waitqueue_active(): the thread may be waiting */
	_Atomic bool stop;              /* the system is going away */
	bool start_failed;              /* logged once; direct reclaim still works */
	unsigned long wakeups;          /* bumped by each wakeup: a sleeper checks it */
	_Atomic int order;              /* pgdat->kswapd_order */
	_Atomic int highest_zoneidx;    /* pgdat->kswapd_highest_zoneidx; BZ_MAX_NR_ZONES: none */
	_Atomic int failures;           /* pgdat->kswapd_failures */
	_Atomic bool node_reclaim_locked; /* PGDAT_RECLAIM_LOCKED */
};

/* A system's reclaim state: sys->reclaim. */
struct bz_reclaim {
	struct bz_system *sys;
	struct bz_cblist shrinkers;
	struct bz_cblist oom;
	pthread_mutex_t oom_lock;       /* oom_lock: one thread runs the notifiers at a time */
	_Atomic int nr_shrinkers;
	int nr_nodes;
	struct bz_kswapd kswapd[];      /* one per node */
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

/* A thread while it reclaims: PF_MEMALLOC, its frees counted, its fast free path off. */
struct bz_reclaim_ctx {
	struct bz_reclaim_state rs;
	struct bz_reclaim_state *prev;
	unsigned memalloc;
	uint64_t gen;                   /* bz__tls.gen before */
};

/* ---- vmscan.c ---------------------------------------------------------------------- */

/* sys->reclaim; created when create is set and it does not exist (NULL if that fails). */
struct bz_reclaim *bz__reclaim(struct bz_system *sys, bool create);
void bz__reclaim_enter(struct bz_reclaim_ctx *c, struct bz_system *sys);
void bz__reclaim_exit(struct bz_reclaim_ctx *c);
/* Returns the calling thread's cached pages of sys to the buddy lists. */
void bz__drain_own_cache(struct bz_system *sys);

/* ---- shrinker.c: callback lists, shrink_slab ---------------------------------------- */

void bz__cblist_init(struct bz_cblist *l);
void bz__cblist_destroy(struct bz_cblist *l);
/* After fork, in the child: the lock is fresh and no call is in flight. */
void bz__cblist_fork_child(struct bz_cblist *l);
/* Adds cb in priority order; -EINVAL when cb->obj is registered already. */
int bz__cblist_add(struct bz_cblist *l, struct bz_cb *cb);
/*
 * Removes obj's entry once no call of it is in flight and returns it for
 * the caller to free; NULL when obj is not registered.  -EDEADLK (as an
 * ERR value in *err) when the calling thread is inside one of this list's
 * callbacks: waiting would never end.
 */
struct bz_cb *bz__cblist_del(struct bz_cblist *l, void *obj, int *err);
/* The next live entry after prev (NULL: the first), referenced; prev's reference is dropped. */
struct bz_cb *bz__cblist_next(struct bz_cblist *l, struct bz_cb *prev);
/* Marks the calling thread as inside a callback of l (NULL: outside); returns the previous mark. */
const struct bz_cblist *bz__cblist_enter(const struct bz_cblist *l);

/*
 * shrink_slab(): every shrinker, at priority, for node nid: NUMA-aware ones
 * with sc->nid = nid, the others (sc->nid = 0) only when unaware is set.
 * Returns the objects the shrinkers said they freed.
 */
unsigned long bz__shrink_slab(struct bz_reclaim *r, bz_gfp_t gfp, int nid, int priority, bool unaware);
/* What the shrinkers of node nid (and, when unaware, the others) can free now: count_objects. */
unsigned long bz__shrinkers_count(struct bz_reclaim *r, bz_gfp_t gfp, int nid, bool unaware);

#endif /* BZ_RECLAIM_H */
