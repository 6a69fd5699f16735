/* SPDX-License-Identifier: MIT */
/*
 * kcompactd.c - a kcompactd thread per node (mm/compaction.c: kcompactd,
 * kcompactd_do_work, proactive compaction) and compaction's state of a
 * system: set up with it, the threads started when the application marks
 * its first page movable (until then nothing could move), stopped before
 * the system's memory goes, and forgotten in a child after fork (threads
 * do not come along; a child of a threaded process starts none, as for
 * kswapd).
 *
 * A kcompactd sleeps on its node's wait queue (struct bz_kcompactd_wait,
 * mmzone.h): kswapd wakes it with a request (wakeup_kcompactd,
 * compaction_policy.c) when it goes to sleep after balancing, after
 * serving a watermark boost, and for requests that cannot reclaim on a
 * node that is balanced but fragmented.  It then compacts the node's zones
 * for that order in MIGRATE_SYNC_LIGHT, deferring after failures.  Every
 * HPAGE_FRAG_CHECK_INTERVAL_MSEC it also looks at the node's fragmentation
 * score and, above compaction_proactiveness's high mark, compacts whole
 * zones until the score falls below the low one; a pass that does not
 * lower it waits 64 times longer.  A compaction_proactiveness write wakes
 * it for such a pass.
 *
 * A compaction in flight when the process forks (a kcompactd, or another
 * thread's direct compaction) stays in flight in the child, which lacks the
 * thread: its isolated blocks keep their reference and its free targets
 * stay off the lists there (a leak of at most a few batches, never a
 * corruption: bz_check counts them as allocated).
 */
#include <stdio.h>
#include <stdlib.h>

#include "compaction.h"

#define RELAXED memory_order_relaxed

struct bz_kcompactd {
	struct bz_system *sys;
	int nid;
	pthread_t thread;
	bool running;                   /* the thread exists in this process */
};

/* A system's kcompactds: sys->kcompactd, made by the first movable page. */
struct bz_kcompactd_set {
	int nr_nodes;
	struct bz_kcompactd k[];
};

/* ---- the wait queue ------------------------------------------------------------------------- */

static void wait_init(struct bz_kcompactd_wait *kw)
{
	pthread_mutex_init(&kw->lock, NULL);
	bz__cond_init_monotonic(&kw->wait);
	kw->wakeups = 0;
	kw->stop = false;
	atomic_store(&kw->sleeping, false);
	atomic_store(&kw->max_order, 0);
	atomic_store(&kw->highest_zoneidx, BZ_MAX_NR_ZONES - 1);
	atomic_store(&kw->proactive_trigger, false);
}

/* kcompactd_work_requested() */
static bool work_requested(struct bz_kcompactd_wait *kw)
{
	return atomic_load_explicit(&kw->max_order, RELAXED) > 0 || kw->stop ||
	       atomic_load_explicit(&kw->proactive_trigger, RELAXED);
}

/*
 * wait_event_timeout(kcompactd_wait, kcompactd_work_requested(), timeout):
 * true when there is work (or a stop), false after timeout_ms without
 * (0: no timeout).
 */
static bool kcompactd_wait(struct bz_kcompactd_wait *kw, long timeout_ms)
{
	struct timespec ts = bz__deadline_ms(timeout_ms);
	bool work;

	pthread_mutex_lock(&kw->lock);
	atomic_store_explicit(&kw->sleeping, true, RELAXED);
	/* Pairs with wakeup_kcompactd's fence: it sees us asleep, or we see its request. */
	atomic_thread_fence(memory_order_seq_cst);
	while (!(work = work_requested(kw))) {
		if (!timeout_ms)
			pthread_cond_wait(&kw->wait, &kw->lock);
		else if (pthread_cond_timedwait(&kw->wait, &kw->lock, &ts))
			break;
	}
	work = work || work_requested(kw);
	atomic_store_explicit(&kw->sleeping, false, RELAXED);
	pthread_mutex_unlock(&kw->lock);
	return work;
}

static bool stopping(struct bz_kcompactd_wait *kw)
{
	bool stop;

	pthread_mutex_lock(&kw->lock);
	stop = kw->stop;
	pthread_mutex_unlock(&kw->lock);
	return stop;
}

/* ---- the work -------------------------------------------------------------------------------- */

/*
 * kcompactd_do_work(): the node's zones up to the requested index, for the
 * requested order, that are neither deferred nor already able to serve
 * it.  A failure drains the thread caches (their pages could not merge)
 * and defers.  A larger request that came meanwhile is kept.
 */
static void kcompactd_do_work(struct bz_kcompactd *k)
{
	struct bz_node *node = k->sys->nodes[k->nid];
	struct bz_kcompactd_wait *kw = &node->kcompactd;
	struct compact_control cc = {
		.order = atomic_load_explicit(&kw->max_order, RELAXED),
		.search_order = atomic_load_explicit(&kw->max_order, RELAXED),
		.highest_zoneidx = atomic_load_explicit(&kw->highest_zoneidx, RELAXED),
		.mode = BZ_MIGRATE_SYNC_LIGHT,
		.gfp_mask = BZ_GFP_KERNEL,
		.alloc_flags = ALLOC_WMARK_MIN,
	};

	count_vm_event(k->sys, KCOMPACTD_WAKE);
	for (int zid = 0; zid <= cc.highest_zoneidx && cc.order > 0; zid++) {
		struct bz_zone *z = &node->zones[zid];
		enum compact_result status;

		if (!populated_zone(z) || bz__compaction_deferred(z, (unsigned)cc.order) ||
		    bz__compaction_suit_allocation_order(z, (unsigned)cc.order, zid, cc.alloc_flags, false) !=
			    COMPACT_CONTINUE)
			continue;
		if (stopping(kw))
			return;
		cc.zone = z;
		cc.whole_zone = false;
		status = bz__compact_zone(&cc);
		if (status == COMPACT_SUCCESS) {
			bz__compaction_defer_reset(z, (unsigned)cc.order, false);
		} else if (status == COMPACT_PARTIAL_SKIPPED || status == COMPACT_COMPLETE) {
			/* Pages stranded in thread caches could not merge; ratelimited by the deferral. */
			bz__tcache_drain_all(k->sys);
			bz__defer_compaction(z, (unsigned)cc.order);
		}
		count_vm_events(k->sys, KCOMPACTD_MIGRATE_SCANNED, cc.total_migrate_scanned);
		count_vm_events(k->sys, KCOMPACTD_FREE_SCANNED, cc.total_free_scanned);
	}
	if (atomic_load_explicit(&kw->max_order, RELAXED) <= cc.order)
		atomic_store_explicit(&kw->max_order, 0, RELAXED);
	if (atomic_load_explicit(&kw->highest_zoneidx, RELAXED) >= cc.highest_zoneidx)
		atomic_store_explicit(&kw->highest_zoneidx, BZ_MAX_NR_ZONES - 1, RELAXED);
}

/* A proactive pass when the node's score is high; the next look waits longer if it did not help. */
static long kcompactd_proactive(struct bz_kcompactd *k)
{
	struct bz_node *node = k->sys->nodes[k->nid];
	unsigned prev, score;

	if (!bz__should_proactive_compact_node(node))
		return HPAGE_FRAG_CHECK_INTERVAL_MSEC;
	prev = bz__fragmentation_score_node(node);
	bz__compact_node(k->sys, k->nid, true);
	score = bz__fragmentation_score_node(node);
	return score >= prev ? HPAGE_FRAG_CHECK_INTERVAL_MSEC << COMPACT_MAX_DEFER_SHIFT :
			       HPAGE_FRAG_CHECK_INTERVAL_MSEC;
}

/* kcompactd(): a request wakes it for kcompactd_do_work; a timeout or a trigger for a proactive look. */
static void *kcompactd_main(void *arg)
{
	struct bz_kcompactd *k = arg;
	struct bz_kcompactd_wait *kw = &k->sys->nodes[k->nid]->kcompactd;
	long timeout = HPAGE_FRAG_CHECK_INTERVAL_MSEC;

	for (;;) {
		bool work;

		/* No periodic wake-ups while proactive compaction is off. */
		if (!__atomic_load_n(&k->sys->sysctl.compaction_proactiveness, __ATOMIC_RELAXED))
			timeout = 0;
		work = kcompactd_wait(kw, timeout);
		if (stopping(kw))
			break;
		if (work && !atomic_load_explicit(&kw->proactive_trigger, RELAXED)) {
			kcompactd_do_work(k);
			timeout = HPAGE_FRAG_CHECK_INTERVAL_MSEC;
		} else {
			timeout = kcompactd_proactive(k);
			atomic_store_explicit(&kw->proactive_trigger, false, RELAXED);
		}
		/* Merged blocks may ask for page reporting; its worker starts with no lock held. */
		bz__page_reporting_poll(k->sys);
	}
	return NULL;
}

/* ---- the threads ----------------------------------------------------------------------------- */

static void kcompactd_start(struct bz_kcompactd *k)
{
	char name[16];
	int e;

	snprintf(name, sizeof(name), "bz-kcompactd%d", k->nid);
	e = bz__thread_start(&k->thread, kcompactd_main, k, name);
	if (e == -EAGAIN)
		return;         /* a child of a threaded process: direct compaction only */
	if (e) {
		bz__log(k->sys, BZ_LOG_WARNING, "Failed to start kcompactd on node %d (%s); direct compaction only",
			k->nid, bz_strerror(e));
		return;
	}
	k->running = true;
}

void bz__kcompactd_run(struct bz_system *sys)
{
	struct bz_kcompactd_set *ks, *expected = NULL;

	if (!sys->compaction || atomic_load_explicit(&sys->kcompactd, memory_order_acquire))
		return;
	ks = calloc(1, sizeof(*ks) + (size_t)sys->nr_nodes * sizeof(ks->k[0]));
	if (!ks)
		return;         /* no background compaction: direct compaction still works */
	ks->nr_nodes = sys->nr_nodes;
	for (int nid = 0; nid < ks->nr_nodes; nid++) {
		ks->k[nid].sys = sys;
		ks->k[nid].nid = nid;
	}
	if (!atomic_compare_exchange_strong(&sys->kcompactd, &expected, ks)) {
		free(ks);
		return;
	}
	for (int nid = 0; nid < ks->nr_nodes; nid++)
		kcompactd_start(&ks->k[nid]);
}

/* compaction_proactiveness_sysctl_handler(): each node's kcompactd makes a proactive pass now. */
void bz__kcompactd_trigger_proactive(struct bz_system *sys)
{
	if (!sys->compaction)
		return;
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		struct bz_kcompactd_wait *kw = &sys->nodes[nid]->kcompactd;

		if (atomic_exchange(&kw->proactive_trigger, true))
			continue;
		pthread_mutex_lock(&kw->lock);
		kw->wakeups++;
		pthread_cond_signal(&kw->wait);
		pthread_mutex_unlock(&kw->lock);
	}
}

/* ---- a system's compaction state ------------------------------------------------------------- */

int bz__compaction_init(struct bz_system *sys, const struct bz_config *cfg)
{
	sys->compaction = cfg->compaction != 0;
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		wait_init(&sys->nodes[nid]->kcompactd);
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone *z = &sys->nodes[nid]->zones[zid];

			bz__reset_cached_positions(z);
			atomic_store(&z->compact_init_migrate_pfn, z->zone_start_pfn);
			atomic_store(&z->compact_init_free_pfn, atomic_load(&z->compact_cached_free_pfn));
		}
	}
	if (!sys->compaction)
		return 0;
	sys->pageblock_skip = calloc((sys->nr_pfns >> BZ_PAGEBLOCK_ORDER) + 1, 1);
	return sys->pageblock_skip ? 0 : -ENOMEM;
}

/* Every kcompactd is told to stop before any is joined; the state goes after. */
void bz__compaction_system_destroy(struct bz_system *sys)
{
	struct bz_kcompactd_set *ks = atomic_load(&sys->kcompactd);

	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		struct bz_kcompactd_wait *kw = &sys->nodes[nid]->kcompactd;

		pthread_mutex_lock(&kw->lock);
		kw->stop = true;
		kw->wakeups++;
		pthread_cond_broadcast(&kw->wait);
		pthread_mutex_unlock(&kw->lock);
	}
	for (int nid = 0; ks && nid < ks->nr_nodes; nid++)
		if (ks->k[nid].running)
			pthread_join(ks->k[nid].thread, NULL);
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		pthread_cond_destroy(&sys->nodes[nid]->kcompactd.wait);
		pthread_mutex_destroy(&sys->nodes[nid]->kcompactd.lock);
	}
	atomic_store(&sys->kcompactd, NULL);
	free(ks);
	free((void *)sys->pageblock_skip);
	sys->pageblock_skip = NULL;
}

/* The threads did not come along, and their locks may have been held at the fork. */
void bz__compaction_fork_child(struct bz_system *sys)
{
	struct bz_kcompactd_set *ks = atomic_load(&sys->kcompactd);

	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		struct bz_kcompactd_wait *kw = &sys->nodes[nid]->kcompactd;
		int max_order = atomic_load(&kw->max_order), highest = atomic_load(&kw->highest_zoneidx);

		wait_init(kw);
		atomic_store(&kw->max_order, max_order);
		atomic_store(&kw->highest_zoneidx, highest);
	}
	for (int nid = 0; ks && nid < ks->nr_nodes; nid++)
		ks->k[nid].running = false;
}
