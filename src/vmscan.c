/* SPDX-License-Identifier: MIT */
/*
 * vmscan.c - reclaim, as the kernel's mm/vmscan.c with shrinkers as the
 * only reclaimable memory: direct reclaim for allocations that may block
 * (try_to_free_pages), one kswapd thread per node woken below the low
 * watermark and reclaiming until the node is balanced at the high one
 * (balance_pgdat), and node_reclaim for zone_reclaim_mode.  It owns a
 * system's kswapd threads: their state made by the first wakeup with work
 * to do, stopped and freed with the system, reset in a child after fork.
 *
 * Progress is counted in pages, as the kernel's reclaim_state does for slab:
 * while a thread reclaims, every page of the system it frees through
 * bz_free_pages is counted by the free path (bz__reclaim_account), and the
 * thread's fast free path is turned off so that none escapes the count.
 * What a shrinker's scan_objects returns (objects) is not used for progress.
 * Freed pages land in the reclaimer's own cache; they are drained to the
 * buddy lists right away, where the watermarks see them.
 *
 * kswapd threads start on the first wakeup that has something to do (a
 * shrinker to call or a watermark boost to serve): a system nothing ever
 * pressures has no thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reclaim.h"

#define KSWAPD_NAP_MS 100           /* HZ/10: the short sleep before the long one */

/* One node's kswapd. */
struct bz_kswapd {
	struct bz_system *sys;
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
	_Atomic bool node_reclaim_locked; /* PGDAT_RECLAIM_LOCKED */
};

/* A system's kswapds: sys->kswapd, made by the first wakeup with work to do. */
struct bz_kswapd_set {
	int nr_nodes;
	struct bz_kswapd k[];
};

/* ---- the kswapd state ----------------------------------------------------------------- */

static void kswapd_init(struct bz_kswapd *k, struct bz_system *sys, int nid)
{
	k->sys = sys;
	k->nid = nid;
	pthread_mutex_init(&k->lock, NULL);
	bz__cond_init_monotonic(&k->wait);
	atomic_store(&k->running, false);
	atomic_store(&k->sleeping, false);
	atomic_store(&k->stop, false);
	atomic_store(&k->node_reclaim_locked, false);
	k->wakeups = 0;
	atomic_store(&k->highest_zoneidx, BZ_MAX_NR_ZONES);
}

static struct bz_kswapd_set *kswapd_set(struct bz_system *sys, bool create)
{
	struct bz_kswapd_set *ks = atomic_load_explicit(&sys->kswapd, memory_order_acquire), *expected = NULL;

	if (ks || !create)
		return ks;
	ks = calloc(1, sizeof(*ks) + (size_t)sys->nr_nodes * sizeof(ks->k[0]));
	if (!ks)
		return NULL;
	ks->nr_nodes = sys->nr_nodes;
	for (int nid = 0; nid < ks->nr_nodes; nid++)
		kswapd_init(&ks->k[nid], sys, nid);
	if (!atomic_compare_exchange_strong(&sys->kswapd, &expected, ks)) {
		for (int nid = 0; nid < ks->nr_nodes; nid++) {
			pthread_cond_destroy(&ks->k[nid].wait);
			pthread_mutex_destroy(&ks->k[nid].lock);
		}
		free(ks);
		return expected;
	}
	return ks;
}

/*
 * update_reclaim_active(): ZONE_RECLAIM_ACTIVE on the node's managed zones
 * kswapd balances, so that thread caches keep at most four batches
 * (nr_pcp_high) while it works.
 */
static void update_reclaim_active(struct bz_node *node, int highest_zoneidx, bool active)
{
	for (int i = 0; i <= highest_zoneidx; i++) {
		struct bz_zone *z = &node->zones[i];

		if (!__atomic_load_n(&z->managed_pages, __ATOMIC_RELAXED))
			continue;
		if (active)
			zone_flag_set(z, ZONE_RECLAIM_ACTIVE);
		else
			zone_flag_clear(z, ZONE_RECLAIM_ACTIVE);
	}
}

/* Threads do not survive fork(): the child starts its own when needed, with fresh locks. */
void bz__vmscan_fork_child(struct bz_system *sys)
{
	struct bz_kswapd_set *ks = atomic_load(&sys->kswapd);

	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		if (ks)
			kswapd_init(&ks->k[nid], sys, nid);
		/* A kswapd caught inside balance_pgdat by the fork is not in the child to clear it. */
		update_reclaim_active(sys->nodes[nid], BZ_MAX_NR_ZONES - 1, false);
	}
}

/* ---- reclaiming threads ------------------------------------------------------------------ */

/*
 * shrink_node(): the shrinkers of one node at sc->priority; the pages they
 * freed are progress.  Any progress makes the node worth kswapd's effort
 * again (kswapd_failures = 0).
 */
static void shrink_node(struct bz_system *sys, int nid, struct scan_control *sc, bool unaware)
{
	unsigned long before = bz__current.reclaim_state->reclaimed, got;
	struct bz_reclaim *r = bz__reclaim(sys, false);

	if (!r)
		return;
	bz__shrink_slab(r, sc->gfp_mask, nid, sc->priority, unaware);
	bz__fast_free_off();    /* a shrinker that allocated may have set a memo */
	got = bz__current.reclaim_state->reclaimed - before;
	if (!got)
		return;
	bz__drain_own_cache(sys);
	sc->nr_reclaimed += got;
	atomic_store(&sys->nodes[nid]->kswapd_failures, 0);
}

/*
 * shrink_zones(): each node of the zonelist once, for zones up to
 * reclaim_idx.  Shrinkers that are not NUMA-aware run once per pass, with
 * the first node.
 */
static void shrink_zones(struct bz_system *sys, const struct bz_zonelist *zl, struct scan_control *sc)
{
	bool seen[BZ_MAX_NUMNODES] = { false }, unaware = true;

	for (int i = 0; i < zl->nr; i++) {
		const struct bz_zone *z = zl->zones[i];
		int nid = z->node->nid;

		if (z->idx > sc->reclaim_idx || seen[nid])
			continue;
		seen[nid] = true;
		shrink_node(sys, nid, sc, unaware);
		unaware = false;
	}
}

/*
 * try_to_free_pages() + do_try_to_free_pages(): priorities from DEF_PRIORITY
 * down to 0 until SWAP_CLUSTER_MAX pages came back.  Counts allocstall for
 * the request's highest zone.  The caller is not a reclaimer already.
 */
unsigned long bz__try_to_free_pages(struct bz_system *sys, const struct bz_zonelist *zl, int highest_zoneidx,
				    bz_gfp_t gfp, unsigned order)
{
	struct scan_control sc = { .nr_to_reclaim = SWAP_CLUSTER_MAX, .gfp_mask = gfp, .order = (int)order,
				   .priority = DEF_PRIORITY, .reclaim_idx = highest_zoneidx };
	struct bz_reclaim_ctx c;

	count_vm_event(sys, (enum bz_vm_event)(ALLOCSTALL_BASE + highest_zoneidx));
	if (!bz__nr_shrinkers(sys))
		return 0;
	bz__reclaim_enter(&c, sys);
	do {
		shrink_zones(sys, zl, &sc);
		if (sc.nr_reclaimed >= sc.nr_to_reclaim)
			break;
	} while (--sc.priority >= 0);
	bz__reclaim_exit(&c);
	return sc.nr_reclaimed;
}

/* ---- kswapd: when a node is balanced ------------------------------------------------------- */

/* Memory hot-add grows managed_pages while we look (memory_hotplug.c). */
static bool managed_zone(const struct bz_zone *z)
{
	return __atomic_load_n(&z->managed_pages, __ATOMIC_RELAXED) != 0;
}

/* pgdat_watermark_boosted(): top-down, the higher zones are the likelier boosted. */
static bool pgdat_watermark_boosted(const struct bz_node *node, int highest_zoneidx)
{
	for (int i = highest_zoneidx; i >= 0; i--)
		if (managed_zone(&node->zones[i]) &&
		    atomic_load_explicit(&node->zones[i].watermark_boost, memory_order_relaxed))
			return true;
	return false;
}

/*
 * pgdat_balanced(): some eligible zone meets its high watermark (boost
 * included) for order, with its lowmem reserve for highest_zoneidx; a node
 * with no eligible zone needs no balancing.  Bottom-up, as the lower zones
 * are the likelier to be free.
 */
static bool pgdat_balanced(struct bz_node *node, int order, int highest_zoneidx)
{
	unsigned long mark = (unsigned long)-1;

	for (int i = 0; i <= highest_zoneidx; i++) {
		struct bz_zone *z = &node->zones[i];

		if (!managed_zone(z))
			continue;
		mark = wmark_pages(z, WMARK_HIGH);
		if (bz__zone_watermark_ok(z, (unsigned)order, mark, highest_zoneidx, 0,
					  zone_page_state(z, NR_FREE_PAGES)))
			return true;
	}
	return mark == (unsigned long)-1;
}

static struct bz_node *kswapd_node(const struct bz_kswapd *k)
{
	return k->sys->nodes[k->nid];
}

/* prepare_kswapd_sleep(): balanced, or hopeless (left to direct reclaim). */
static bool prepare_kswapd_sleep(struct bz_kswapd *k, int order, int highest_zoneidx)
{
	if (kswapd_hopeless(kswapd_node(k)))
		return true;
	return pgdat_balanced(kswapd_node(k), order, highest_zoneidx);
}

/* ---- kswapd: reclaiming ------------------------------------------------------------------- */

/*
 * kswapd_shrink_node(): aim for the zones' high watermarks at once; true
 * when that much came back (no need to raise the priority).  Twice a
 * high-order request's size reclaimed is enough: order 0 from then on.
 */
static bool kswapd_shrink_node(struct bz_kswapd *k, struct scan_control *sc)
{
	struct bz_node *node = kswapd_node(k);
	unsigned long before = sc->nr_reclaimed;

	sc->nr_to_reclaim = 0;
	for (int i = 0; i <= sc->reclaim_idx; i++)
		if (managed_zone(&node->zones[i]))
			sc->nr_to_reclaim += BZ_MAX(wmark_pages(&node->zones[i], WMARK_HIGH), SWAP_CLUSTER_MAX);
	shrink_node(k->sys, k->nid, sc, true);
	if (sc->order && sc->nr_reclaimed >= (2ul << sc->order))  /* compact_gap() */
		sc->order = 0;
	return sc->nr_reclaimed - before >= sc->nr_to_reclaim;
}

/* The boost kswapd found at the start is served: take it off (balance_pgdat's end). */
static void clear_boosts(struct bz_node *node, const unsigned long boosts[BZ_MAX_NR_ZONES], int highest_zoneidx)
{
	for (int i = 0; i <= highest_zoneidx; i++) {
		struct bz_zone *z = &node->zones[i];
		unsigned long b;

		if (!boosts[i])
			continue;
		bz__zone_lock(z);
		b = atomic_load_explicit(&z->watermark_boost, memory_order_relaxed);
		atomic_store_explicit(&z->watermark_boost, b - BZ_MIN(b, boosts[i]), memory_order_relaxed);
		zone_update_fast_mark(z);
		bz__zone_unlock(z);
	}
}

/*
 * One balance_pgdat() round at sc->priority; false when kswapd should
 * stop (asked to, or a boost-only pass that reclaims nothing).
 */
static bool balance_round(struct bz_kswapd *k, struct scan_control *sc, unsigned long *nr_boost_reclaim)
{
	unsigned long before = sc->nr_reclaimed, got;
	bool raise_priority = true;

	/* Boost-only reclaim stays at gentle priorities. */
	if (*nr_boost_reclaim && sc->priority == DEF_PRIORITY - 2)
		raise_priority = false;
	if (kswapd_shrink_node(k, sc))
		raise_priority = false;
	if (atomic_load(&k->stop))
		return false;
	got = sc->nr_reclaimed - before;
	*nr_boost_reclaim -= BZ_MIN(*nr_boost_reclaim, got);
	if (*nr_boost_reclaim && !got)
		return false;
	if (raise_priority || !got)
		sc->priority--;
	return true;
}

/*
 * balance_pgdat(): reclaim from the node until some eligible zone is
 * balanced, raising the priority when progress is poor; a watermark boost
 * is reclaimed on top while the node is otherwise balanced, and taken off
 * at the end.  Returns the order it finished at.
 */
static int balance_pgdat(struct bz_kswapd *k, int order, int highest_zoneidx)
{
	struct bz_node *node = kswapd_node(k);
	struct scan_control sc = { .gfp_mask = BZ_GFP_KERNEL, .order = order };
	unsigned long boosts[BZ_MAX_NR_ZONES] = { 0 }, nr_boost_reclaim = 0;
	struct bz_reclaim_ctx c;
	bool boosted;

	count_vm_event(k->sys, PAGEOUTRUN);
	for (int i = 0; i <= highest_zoneidx; i++) {
		boosts[i] = atomic_load_explicit(&node->zones[i].watermark_boost, memory_order_relaxed);
		nr_boost_reclaim += boosts[i];
	}
	boosted = nr_boost_reclaim;
	bz__reclaim_enter(&c, k->sys);
restart:
	update_reclaim_active(node, highest_zoneidx, true);
	sc.priority = DEF_PRIORITY;
	do {
		bool balanced = pgdat_balanced(node, sc.order, highest_zoneidx);

		sc.reclaim_idx = highest_zoneidx;
		/* Unbalanced: ignore the boost, reclaim properly, restart. */
		if (!balanced && nr_boost_reclaim) {
			nr_boost_reclaim = 0;
			goto restart;
		}
		if (!nr_boost_reclaim && balanced)
			goto out;
		if (!balance_round(k, &sc, &nr_boost_reclaim))
			break;
	} while (sc.priority >= 1);
	/* A node with no shrinker is not hopeless: kswapd is there to serve boosts. */
	if (!sc.nr_reclaimed && bz__nr_shrinkers(k->sys))
		atomic_fetch_add(&node->kswapd_failures, 1);
out:
	update_reclaim_active(node, highest_zoneidx, false);
	bz__reclaim_exit(&c);
	if (boosted) {
		clear_boosts(node, boosts, highest_zoneidx);
		/* There is likely room now: kcompactd defragments pageblocks. */
		bz__wakeup_kcompactd(node, BZ_PAGEBLOCK_ORDER, highest_zoneidx);
	}
	return sc.order;
}

/* ---- kswapd: sleeping and waking ------------------------------------------------------------- */

/* kswapd_highest_zoneidx(): the waker's request, else the previous one. */
static int kswapd_highest_zoneidx(struct bz_kswapd *k, int prev)
{
	int curr = atomic_load(&k->highest_zoneidx);

	return curr == BZ_MAX_NR_ZONES ? prev : curr;
}

/* With k->lock held: waits until woken or stopped (true), or until timeout_ms passed (false; 0: no timeout). */
static bool kswapd_wait(struct bz_kswapd *k, long timeout_ms)
{
	unsigned long seen = k->wakeups;
	struct timespec ts = bz__deadline_ms(timeout_ms);

	while (!atomic_load(&k->stop) && k->wakeups == seen) {
		if (!timeout_ms)
			pthread_cond_wait(&k->wait, &k->lock);
		else if (pthread_cond_timedwait(&k->wait, &k->lock, &ts))
			return atomic_load(&k->stop) || k->wakeups != seen;
	}
	return true;
}

/*
 * kswapd_try_to_sleep(): a short nap first; woken during it, the low
 * watermark was hit quickly.  After a full nap, if the node is still
 * balanced, sleep until woken; if not, the high watermark was hit quickly.
 * Going to sleep balanced, kswapd clears compaction's skip hints and wakes
 * kcompactd for the order it was woken for (before taking its lock here:
 * both take other locks).
 */
static void kswapd_try_to_sleep(struct bz_kswapd *k, int alloc_order, int reclaim_order, int highest_zoneidx)
{
	bool remaining = false;

	if (prepare_kswapd_sleep(k, reclaim_order, highest_zoneidx)) {
		bz__reset_isolation_suitable_node(kswapd_node(k));
		bz__wakeup_kcompactd(kswapd_node(k), (unsigned)alloc_order, highest_zoneidx);
	}
	pthread_mutex_lock(&k->lock);
	atomic_store(&k->sleeping, true);    /* before the check: a waker that misses us sees the zone low */
	if (atomic_load(&k->stop))
		goto out;
	if (prepare_kswapd_sleep(k, reclaim_order, highest_zoneidx)) {
		remaining = kswapd_wait(k, KSWAPD_NAP_MS);
		if (atomic_load(&k->stop))
			goto out;
		if (remaining) {
			atomic_store(&k->highest_zoneidx, kswapd_highest_zoneidx(k, highest_zoneidx));
			if (atomic_load(&k->order) < reclaim_order)
				atomic_store(&k->order, reclaim_order);
		}
	}
	if (!remaining && prepare_kswapd_sleep(k, reclaim_order, highest_zoneidx))
		kswapd_wait(k, 0);
	else
		count_vm_event(k->sys, remaining ? KSWAPD_LOW_WMARK_HIT_QUICKLY : KSWAPD_HIGH_WMARK_HIT_QUICKLY);
out:
	atomic_store(&k->sleeping, false);
	pthread_mutex_unlock(&k->lock);
}

/*
 * kswapd(): a reclaimer for life (PF_MEMALLOC).  Started by a wakeup, it
 * balances first; after each balance_pgdat it tries to sleep, at the order
 * reclaim finished at.
 */
static void *kswapd_main(void *arg)
{
	struct bz_kswapd *k = arg;
	int alloc_order, reclaim_order, highest = BZ_MAX_NR_ZONES - 1;

	bz_memalloc_save();
	for (;;) {
		alloc_order = atomic_exchange(&k->order, 0);
		highest = kswapd_highest_zoneidx(k, highest);
		atomic_store(&k->highest_zoneidx, BZ_MAX_NR_ZONES);
		if (atomic_load(&k->stop))
			break;
		reclaim_order = balance_pgdat(k, alloc_order, highest);
		if (reclaim_order >= alloc_order) {
			reclaim_order = atomic_load(&k->order);
			highest = kswapd_highest_zoneidx(k, highest);
		}
		kswapd_try_to_sleep(k, alloc_order, reclaim_order, highest);
	}
	return NULL;
}

/* kswapd_run(), with k->lock held; err gets a message to log once the lock is dropped. */
static void kswapd_start_locked(struct bz_kswapd *k, char *err, size_t n)
{
	char name[16];
	int e;

	snprintf(name, sizeof(name), "bz-kswapd%d", k->nid);
	e = bz__thread_start(&k->thread, kswapd_main, k, name);
	if (e == -EAGAIN)
		return;         /* a child of a threaded process: direct reclaim only */
	if (e) {
		if (!k->start_failed)
			snprintf(err, n, "Failed to start kswapd on node %d (%s); direct reclaim only", k->nid,
				 bz_strerror(e));
		k->start_failed = true;
		return;
	}
	atomic_store(&k->running, true);
}

/* Asks kswapd to stop; no new thread starts after this. */
static void kswapd_stop(struct bz_kswapd *k)
{
	pthread_mutex_lock(&k->lock);
	atomic_store(&k->stop, true);
	k->wakeups++;
	pthread_cond_broadcast(&k->wait);
	pthread_mutex_unlock(&k->lock);
}

static void kswapd_join(struct bz_kswapd *k)
{
	if (atomic_load(&k->running))
		pthread_join(k->thread, NULL);
	atomic_store(&k->running, false);
	pthread_cond_destroy(&k->wait);
	pthread_mutex_destroy(&k->lock);
}

static void kswapd_record(struct bz_kswapd *k, unsigned order, int highest_zoneidx)
{
	int curr = atomic_load(&k->highest_zoneidx);

	if (curr == BZ_MAX_NR_ZONES || curr < highest_zoneidx)
		atomic_store(&k->highest_zoneidx, highest_zoneidx);
	if (atomic_load(&k->order) < (int)order)
		atomic_store(&k->order, (int)order);
}

/*
 * wakeup_kswapd(): records the order and zone index kswapd should reclaim
 * for, and wakes (or first starts) the node's kswapd when it has work.  A
 * hopeless or balanced node is left to direct reclaim, or to kcompactd for
 * a request that cannot reclaim (memory may be plentiful but fragmented).
 * A node with nothing for kswapd to reclaim (no shrinker, no boost) has no
 * kswapd: the kernel's would reclaim nothing and go back to sleep, and
 * what it does then (kswapd_try_to_sleep) is done here.
 */
void bz__wakeup_kswapd(struct bz_zone *z, bz_gfp_t gfp, unsigned order, int highest_zoneidx)
{
	struct bz_node *node = z->node;
	struct bz_kswapd_set *ks;
	struct bz_kswapd *k = NULL;
	char err[128] = "";
	bool boosted;

	if (!managed_zone(z))
		return;
	ks = kswapd_set(z->sys, false);
	if (ks) {
		k = &ks->k[node->nid];
		kswapd_record(k, order, highest_zoneidx);
		/* Awake: it looks at the watermarks again before it sleeps. */
		if (atomic_load(&k->running) && !atomic_load(&k->sleeping))
			return;
	}
	boosted = pgdat_watermark_boosted(node, highest_zoneidx);
	if (kswapd_hopeless(node) || (pgdat_balanced(node, (int)order, highest_zoneidx) && !boosted)) {
		if (!(gfp & BZ_GFP_DIRECT_RECLAIM))
			bz__wakeup_kcompactd(node, order, highest_zoneidx);
		return;
	}
	if (!boosted && !bz__nr_shrinkers(z->sys)) {
		bz__reset_isolation_suitable_node(node);
		bz__wakeup_kcompactd(node, order, highest_zoneidx);
		return;
	}
	if (!ks) {
		ks = kswapd_set(z->sys, true);
		if (!ks)
			return;
		k = &ks->k[node->nid];
		kswapd_record(k, order, highest_zoneidx);
	}
	pthread_mutex_lock(&k->lock);
	if (!atomic_load(&k->stop)) {
		if (!atomic_load(&k->running)) {
			kswapd_start_locked(k, err, sizeof(err));
		} else {
			k->wakeups++;
			pthread_cond_signal(&k->wait);
		}
	}
	pthread_mutex_unlock(&k->lock);
	if (err[0])
		bz__log(z->sys, BZ_LOG_WARNING, "%s", err);
}

/* wake_all_kswapds(): each node of the zonelist with an eligible zone, once. */
void bz__wake_all_kswapds(const struct bz_zonelist *zl, int highest_zoneidx, bz_gfp_t gfp, unsigned order)
{
	bool seen[BZ_MAX_NUMNODES] = { false };

	for (int i = 0; i < zl->nr; i++) {
		struct bz_zone *z = zl->zones[i];

		if (z->idx > highest_zoneidx || seen[z->node->nid])
			continue;
		seen[z->node->nid] = true;
		bz__wakeup_kswapd(z, gfp, order, highest_zoneidx);
	}
}

/* ---- node_reclaim (zone_reclaim_mode) ---------------------------------------------------- */

/* __node_reclaim(): rounds from NODE_RECLAIM_PRIORITY down until nr_pages came back. */
static unsigned long __node_reclaim(struct bz_system *sys, int nid, unsigned long nr_pages, struct scan_control *sc)
{
	struct bz_reclaim_ctx c;

	bz__reclaim_enter(&c, sys);
	do {
		shrink_node(sys, nid, sc, nid == 0);
	} while (sc->nr_reclaimed < nr_pages && --sc->priority >= 0);
	bz__reclaim_exit(&c);
	return sc->nr_reclaimed;
}

/*
 * node_reclaim(): a zone of node nid failed its watermark and
 * zone_reclaim_mode asks to reclaim there before going to another node.
 * NOSCAN for requests that may not block, reclaimers, nodes with CPUs that
 * are not the caller's, or a node another thread is reclaiming; FULL when
 * the node's shrinkers hold nothing.  (The kernel tests FULL first from
 * its counters; ours calls count_objects, which must not happen in a
 * context that may not block, so NOSCAN is decided first.)
 */
int bz__node_reclaim(struct bz_system *sys, int nid, bz_gfp_t gfp, unsigned order)
{
	unsigned long nr_pages = 1ul << order;
	struct scan_control sc = { .nr_to_reclaim = BZ_MAX(nr_pages, SWAP_CLUSTER_MAX), .gfp_mask = gfp,
				   .order = (int)order, .priority = NODE_RECLAIM_PRIORITY,
				   .reclaim_idx = bz__gfp_zone(gfp) };
	struct bz_reclaim *r = bz__reclaim(sys, false);
	struct bz_kswapd_set *ks;
	struct bz_kswapd *k;
	bool ok;

	if (nid < 0 || nid >= sys->nr_nodes || sc.reclaim_idx < 0)
		return NODE_RECLAIM_NOSCAN;
	if (!(gfp & BZ_GFP_DIRECT_RECLAIM) || bz__current_memalloc())
		return NODE_RECLAIM_NOSCAN;
	if (!r || !atomic_load(&r->nr_shrinkers) || !bz__shrinkers_count(r, gfp, nid, nid == 0))
		return NODE_RECLAIM_FULL;
	/* Only the local node, or one without CPUs: spread off-node allocations instead. */
	if (sys->nodes[nid]->nr_cpus && nid != bz__task_node(sys))
		return NODE_RECLAIM_NOSCAN;
	ks = kswapd_set(sys, true);
	if (!ks)
		return NODE_RECLAIM_NOSCAN;
	k = &ks->k[nid];
	if (atomic_exchange(&k->node_reclaim_locked, true))
		return NODE_RECLAIM_NOSCAN;
	ok = __node_reclaim(sys, nid, nr_pages, &sc) >= nr_pages;
	atomic_store(&k->node_reclaim_locked, false);
	count_vm_event(sys, ok ? ZONE_RECLAIM_SUCCESS : ZONE_RECLAIM_FAILED);
	return ok ? NODE_RECLAIM_SUCCESS : NODE_RECLAIM_SOME;
}

/* ---- the end of a system ------------------------------------------------------------------ */

/*
 * Every kswapd is told to stop before any is joined: one still reclaiming
 * might otherwise wake another node's.  The state goes only after that.
 */
void bz__vmscan_system_destroy(struct bz_system *sys)
{
	struct bz_kswapd_set *ks = atomic_load(&sys->kswapd);

	if (!ks)
		return;
	for (int nid = 0; nid < ks->nr_nodes; nid++)
		kswapd_stop(&ks->k[nid]);
	for (int nid = 0; nid < ks->nr_nodes; nid++)
		kswapd_join(&ks->k[nid]);
	atomic_store(&sys->kswapd, NULL);
	free(ks);
}
