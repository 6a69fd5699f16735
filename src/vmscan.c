/* SPDX-License-Identifier: MIT */
/*
 * vmscan.c - reclaim, as the kernel's mm/vmscan.c with shrinkers as the
 * only reclaimable memory: direct reclaim for allocations that may block
 * (try_to_free_pages), one kswapd thread per node woken below the low
 * watermark and reclaiming until the node is balanced at the high one
 * (balance_pgdat), and node_reclaim for zone_reclaim_mode.  It also owns a
 * system's reclaim state (struct bz_reclaim): created on first use, its
 * threads stopped and its memory freed with the system, reset in a child
 * after fork.
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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pcp.h"
#include "reclaim.h"

#define KSWAPD_NAP_MS 100           /* HZ/10: the short sleep before the long one */

_Thread_local struct bz_reclaim_state *bz__reclaim_state;

/*
 * A child forked from a multi-threaded process may only make
 * async-signal-safe calls until it execs (POSIX), and ThreadSanitizer
 * refuses new threads there: such a child starts no background thread
 * (kswapd, page reporting) and reclaims directly.  A child of a
 * single-threaded process starts them as usual.
 */
static bool fork_parent_threaded;
static atomic_bool threads_forbidden;

/* num_threads, field 20 of /proc/self/stat; -1 when unknown. */
static int process_threads(void)
{
	char buf[1024], *p;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), field = 2;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');          /* the command name may hold spaces and parentheses */
	while (p && field < 20) {
		p = strchr(p + 1, ' ');
		field++;
	}
	return p ? atoi(p + 1) : -1;
}

static void fork_prepare(void)
{
	fork_parent_threaded = process_threads() != 1;
}

bool bz__may_start_threads(void)
{
	return !atomic_load_explicit(&threads_forbidden, memory_order_relaxed);
}

/* ---- the reclaim state ---------------------------------------------------------------- */

static void kswapd_init(struct bz_kswapd *k, struct bz_reclaim *r, int nid)
{
	pthread_condattr_t attr;

	k->r = r;
	k->nid = nid;
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&k->wait, &attr);
	pthread_condattr_destroy(&attr);
	atomic_store(&k->running, false);
	atomic_store(&k->sleeping, false);
	atomic_store(&k->stop, false);
	k->wakeups = 0;
	atomic_store(&k->highest_zoneidx, BZ_MAX_NR_ZONES);
}

/* Threads do not survive fork(): the child starts its own when needed, with fresh locks. */
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

static void fork_child_system(struct bz_system *sys, void *arg)
{
	struct bz_reclaim *r = atomic_load(&sys->reclaim);

	(void)arg;
	if (!r)
		return;
	bz__cblist_fork_child(&r->shrinkers);
	bz__cblist_fork_child(&r->oom);
	pthread_mutex_init(&r->oom_lock, NULL);
	for (int nid = 0; nid < r->nr_nodes; nid++) {
		atomic_store(&r->kswapd[nid].node_reclaim_locked, false);
		kswapd_init(&r->kswapd[nid], r, nid);
		/* A kswapd caught inside balance_pgdat by the fork is not in the child to clear it. */
		update_reclaim_active(sys->nodes[nid], BZ_MAX_NR_ZONES - 1, false);
	}
}

static void fork_child(void)
{
	if (fork_parent_threaded)
		atomic_store(&threads_forbidden, true);
	bz__for_each_system(fork_child_system, NULL);
}

/* At load: the decision needs the parent's thread count, taken before any fork. */
__attribute__((constructor)) static void vmscan_init(void)
{
	pthread_atfork(fork_prepare, NULL, fork_child);
}

struct bz_reclaim *bz__reclaim(struct bz_system *sys, bool create)
{
	struct bz_reclaim *r = atomic_load_explicit(&sys->reclaim, memory_order_acquire), *expected = NULL;

	if (r || !create)
		return r;
	r = calloc(1, sizeof(*r) + (size_t)sys->nr_nodes * sizeof(r->kswapd[0]));
	if (!r)
		return NULL;
	r->sys = sys;
	r->nr_nodes = sys->nr_nodes;
	bz__cblist_init(&r->shrinkers);
	bz__cblist_init(&r->oom);
	pthread_mutex_init(&r->oom_lock, NULL);
	for (int nid = 0; nid < r->nr_nodes; nid++)
		kswapd_init(&r->kswapd[nid], r, nid);
	if (!atomic_compare_exchange_strong(&sys->reclaim, &expected, r)) {
		bz__cblist_destroy(&r->shrinkers);
		bz__cblist_destroy(&r->oom);
		free(r);
		return expected;
	}
	return r;
}

/* ---- reclaiming threads ------------------------------------------------------------------ */

/* bz_free_pages's fast path skips the count: send this thread's frees down the slow path. */
static void fast_free_off(void)
{
	bz__tls.gen = TLS_GEN_OFF;
}

void bz__reclaim_enter(struct bz_reclaim_ctx *c, struct bz_system *sys)
{
	c->rs.sys = sys;
	c->rs.reclaimed = 0;
	c->prev = bz__reclaim_state;
	bz__reclaim_state = &c->rs;
	c->memalloc = bz_memalloc_save();   /* memalloc_noreclaim_save() */
	c->gen = bz__tls.gen;
	fast_free_off();
}

void bz__reclaim_exit(struct bz_reclaim_ctx *c)
{
	/* Restoring an older generation is safe: at worst the fast path stays off until the next lookup. */
	if (bz__tls.gen == TLS_GEN_OFF)
		bz__tls.gen = c->gen;
	bz_memalloc_restore(c->memalloc);
	bz__reclaim_state = c->prev;
}

/* The reclaimer's freed pages wait in its own cache: to the buddy lists, where watermarks count them. */
void bz__drain_own_cache(struct bz_system *sys)
{
	struct bz_tcache *tc = bz__tcache(sys);
	bool fast;

	if (!tc)
		return;
	fast = tcache_enter(tc);
	bz__pcp_drain(tc);
	tcache_exit(tc, fast);
}

/*
 * shrink_node(): the shrinkers of one node at sc->priority; the pages they
 * freed are progress.  Any progress makes the node worth kswapd's effort
 * again (kswapd_failures = 0).
 */
static void shrink_node(struct bz_reclaim *r, int nid, struct scan_control *sc, bool unaware)
{
	unsigned long before = bz__reclaim_state->reclaimed, got;

	bz__shrink_slab(r, sc->gfp_mask, nid, sc->priority, unaware);
	fast_free_off();        /* a shrinker that allocated may have set a memo */
	got = bz__reclaim_state->reclaimed - before;
	if (!got)
		return;
	bz__drain_own_cache(r->sys);
	sc->nr_reclaimed += got;
	atomic_store(&r->kswapd[nid].failures, 0);
}

/*
 * shrink_zones(): each node of the zonelist once, for zones up to
 * reclaim_idx.  Shrinkers that are not NUMA-aware run once per pass, with
 * the first node.
 */
static void shrink_zones(struct bz_reclaim *r, const struct bz_zonelist *zl, struct scan_control *sc)
{
	bool seen[BZ_MAX_NUMNODES] = { false }, unaware = true;

	for (int i = 0; i < zl->nr; i++) {
		const struct bz_zone *z = zl->zones[i];
		int nid = z->node->nid;

		if (z->idx > sc->reclaim_idx || seen[nid])
			continue;
		seen[nid] = true;
		shrink_node(r, nid, sc, unaware);
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
	struct bz_reclaim *r = bz__reclaim(sys, false);
	struct bz_reclaim_ctx c;

	count_vm_event(sys, (enum bz_vm_event)(ALLOCSTALL_BASE + highest_zoneidx));
	if (!r || !atomic_load(&r->nr_shrinkers))
		return 0;
	bz__reclaim_enter(&c, sys);
	do {
		shrink_zones(r, zl, &sc);
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
	return k->r->sys->nodes[k->nid];
}

/* prepare_kswapd_sleep(): balanced, or hopeless (left to direct reclaim). */
static bool prepare_kswapd_sleep(struct bz_kswapd *k, int order, int highest_zoneidx)
{
	if (atomic_load(&k->failures) >= MAX_RECLAIM_RETRIES)
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
	shrink_node(k->r, k->nid, sc, true);
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

	count_vm_event(k->r->sys, PAGEOUTRUN);
	for (int i = 0; i <= highest_zoneidx; i++) {
		boosts[i] = atomic_load_explicit(&node->zones[i].watermark_boost, memory_order_relaxed);
		nr_boost_reclaim += boosts[i];
	}
	boosted = nr_boost_reclaim;
	bz__reclaim_enter(&c, k->r->sys);
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
	if (!sc.nr_reclaimed && atomic_load(&k->r->nr_shrinkers))
		atomic_fetch_add(&k->failures, 1);
out:
	update_reclaim_active(node, highest_zoneidx, false);
	bz__reclaim_exit(&c);
	if (boosted)
		clear_boosts(node, boosts, highest_zoneidx);
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
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000l;
	if (ts.tv_nsec >= 1000000000l) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000l;
	}
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
 */
static void kswapd_try_to_sleep(struct bz_kswapd *k, int reclaim_order, int highest_zoneidx)
{
	bool remaining = false;

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
		count_vm_event(k->r->sys, remaining ? KSWAPD_LOW_WMARK_HIT_QUICKLY : KSWAPD_HIGH_WMARK_HIT_QUICKLY);
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
		kswapd_try_to_sleep(k, reclaim_order, highest);
	}
	return NULL;
}

/* kswapd_run(), with k->lock held; err gets a message to log once the lock is dropped. */
static void kswapd_start_locked(struct bz_kswapd *k, char *err, size_t n)
{
	sigset_t all, old;
	char name[16];
	int e;

	/* The application's signal handlers should never run on our thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&k->thread, NULL, kswapd_main, k);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		if (!k->start_failed)
			snprintf(err, n, "Failed to start kswapd on node %d (%s); direct reclaim only", k->nid,
				 bz_strerror(e));
		k->start_failed = true;
		return;
	}
	snprintf(name, sizeof(name), "bz-kswapd%d", k->nid);
	pthread_setname_np(k->thread, name);
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

/* Worth waking: not hopeless, and unbalanced or boosted, with a shrinker to call or a boost to serve. */
static bool kswapd_has_work(struct bz_kswapd *k, unsigned order, int highest_zoneidx)
{
	struct bz_node *node = kswapd_node(k);
	bool boosted = pgdat_watermark_boosted(node, highest_zoneidx);

	if (atomic_load(&k->failures) >= MAX_RECLAIM_RETRIES)
		return false;
	if (pgdat_balanced(node, (int)order, highest_zoneidx) && !boosted)
		return false;
	return boosted || atomic_load(&k->r->nr_shrinkers);
}

/*
 * wakeup_kswapd(): records the order and zone index kswapd should reclaim
 * for, and wakes (or first starts) the node's kswapd when it has work.
 */
void bz__wakeup_kswapd(struct bz_zone *z, bz_gfp_t gfp, unsigned order, int highest_zoneidx)
{
	struct bz_reclaim *r;
	struct bz_kswapd *k;
	char err[128] = "";
	int curr;

	(void)gfp;
	if (!managed_zone(z))
		return;
	r = bz__reclaim(z->sys, false);
	/* No shrinker was ever registered: only a boost would be work for kswapd. */
	if (!r && (!pgdat_watermark_boosted(z->node, highest_zoneidx) || !(r = bz__reclaim(z->sys, true))))
		return;
	k = &r->kswapd[z->node->nid];
	curr = atomic_load(&k->highest_zoneidx);
	if (curr == BZ_MAX_NR_ZONES || curr < highest_zoneidx)
		atomic_store(&k->highest_zoneidx, highest_zoneidx);
	if (atomic_load(&k->order) < (int)order)
		atomic_store(&k->order, (int)order);
	/* Awake: it looks at the watermarks again before it sleeps. */
	if (atomic_load(&k->running) && !atomic_load(&k->sleeping))
		return;
	if (!kswapd_has_work(k, order, highest_zoneidx))
		return;
	pthread_mutex_lock(&k->lock);
	if (!atomic_load(&k->stop)) {
		if (!atomic_load(&k->running)) {
			if (bz__may_start_threads())
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
void bz__wake_all_kswapds(struct bz_system *sys, const struct bz_zonelist *zl, int highest_zoneidx, bz_gfp_t gfp,
			  unsigned order)
{
	bool seen[BZ_MAX_NUMNODES] = { false };

	(void)sys;
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
static unsigned long __node_reclaim(struct bz_reclaim *r, int nid, unsigned long nr_pages, struct scan_control *sc)
{
	struct bz_reclaim_ctx c;

	bz__reclaim_enter(&c, r->sys);
	do {
		shrink_node(r, nid, sc, nid == 0);
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
	struct bz_kswapd *k;
	bool ok;

	if (nid < 0 || nid >= sys->nr_nodes || sc.reclaim_idx < 0)
		return NODE_RECLAIM_NOSCAN;
	if (!(gfp & BZ_GFP_DIRECT_RECLAIM) || bz__current_memalloc())
		return NODE_RECLAIM_NOSCAN;
	if (!r || !atomic_load(&r->nr_shrinkers) || !bz__shrinkers_count(r, gfp, nid, nid == 0))
		return NODE_RECLAIM_FULL;
	/* Only the local node, or one without CPUs: spread off-node allocations instead. */
	if (sys->nodes[nid]->nr_cpus && nid != bz__numa_node_id(sys))
		return NODE_RECLAIM_NOSCAN;
	k = &r->kswapd[nid];
	if (atomic_exchange(&k->node_reclaim_locked, true))
		return NODE_RECLAIM_NOSCAN;
	ok = __node_reclaim(r, nid, nr_pages, &sc) >= nr_pages;
	atomic_store(&k->node_reclaim_locked, false);
	count_vm_event(sys, ok ? ZONE_RECLAIM_SUCCESS : ZONE_RECLAIM_FAILED);
	return ok ? NODE_RECLAIM_SUCCESS : NODE_RECLAIM_SOME;
}

bool bz__kswapd_hopeless(struct bz_system *sys, int nid)
{
	struct bz_reclaim *r = bz__reclaim(sys, false);

	return r && nid >= 0 && nid < r->nr_nodes && atomic_load(&r->kswapd[nid].failures) >= MAX_RECLAIM_RETRIES;
}

void bz__kswapd_clear_hopeless_below_high(struct bz_zone *z)
{
	struct bz_system *sys = z->sys;
	struct bz_reclaim *r = bz__reclaim(sys, false);
	int nid = z->node->nid;

	if (!r || atomic_load(&r->kswapd[nid].failures) < MAX_RECLAIM_RETRIES)
		return;
	/* next_memory_node(nid) < MAX_NUMNODES: a node with memory numbered after this one. */
	for (int n = nid + 1; n < sys->nr_nodes; n++)
		if (__atomic_load_n(&sys->nodes[n]->node_present_pages, __ATOMIC_RELAXED)) {
			atomic_store(&r->kswapd[nid].failures, 0);
			return;
		}
}

/* ---- the end of a system ------------------------------------------------------------------ */

/*
 * Every kswapd is told to stop before any is joined: one still reclaiming
 * might otherwise wake another node's.  The state goes only after that.
 */
void bz__vmscan_system_destroy(struct bz_system *sys)
{
	struct bz_reclaim *r = atomic_load(&sys->reclaim);

	if (!r)
		return;
	for (int nid = 0; nid < r->nr_nodes; nid++)
		kswapd_stop(&r->kswapd[nid]);
	for (int nid = 0; nid < r->nr_nodes; nid++)
		kswapd_join(&r->kswapd[nid]);
	atomic_store(&sys->reclaim, NULL);
	bz__cblist_destroy(&r->shrinkers);
	bz__cblist_destroy(&r->oom);
	pthread_mutex_destroy(&r->oom_lock);
	free(r);
}
