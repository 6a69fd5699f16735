/* SPDX-License-Identifier: MIT */
/*
 * page_reporting.c - giving free memory back to the OS, as the kernel's
 * free page reporting (mm/page_reporting.c), where a guest tells its host
 * which free pages it may take back.  Our host is the OS under the arena:
 * a free block of page_reporting_order or more that stays free for
 * page_reporting_delay_ms is discarded with madvise(MADV_DONTNEED), and
 * bz_trim() does the same at once for every free block.
 *
 * Why MADV_DONTNEED and not MADV_FREE: DONTNEED drops the pages from the
 * process at once, so RSS falls when the burst is over rather than when the
 * OS runs short, and the memory reads as zero when next touched, which
 * lets a __GFP_ZERO allocation of a reported block skip its memset.
 * MADV_FREE'd memory may come back with its old contents.  Both work on
 * base pages and THP.  In an arena's hugetlb part only whole huge pages
 * can go (blocks of the huge page's order and up: 2 MiB pages, never
 * 1 GiB ones, above the largest order), back to the pool, where Linux
 * 5.18+ takes them; arena.c checks that the pool kept the reservation,
 * and on kernels that refuse, hugetlb memory stays until destroy.
 *
 * A free that makes a block of reporting order sets sys->reporting_requested
 * under the zone lock (buddy.c's page_reporting_notify_free: state only);
 * the entry points, holding no lock, see it and kick the worker here.
 *
 * A reported block carries PG_reported and PG_zeroed on its head while
 * free (buddy.c keeps them through splits, drops them when it merges with
 * memory that is not reported, and page_alloc.c when it hands a block out).
 * Blocks already zero (never touched since the arena was mapped) are
 * skipped: there is nothing resident to give back.
 *
 * The worker thread of a system starts when the first block of reporting
 * order is freed in a zone big enough to ever be reported, and follows the
 * kernel's state machine: a free marks reporting requested, the worker
 * waits the delay so that a sizable queue builds, then walks every zone.
 * One difference: the kernel reports about a sixteenth of each free list
 * per pass, not to flood a guest's balloon device; our pass takes all of
 * it, so memory goes back within one delay.
 */
#include <stdio.h>
#include <stdlib.h>

#include "reclaim.h"

#define PAGE_REPORTING_CAPACITY BZ_PAGE_REPORTING_CAPACITY  /* blocks isolated per madvise batch */

enum { PAGE_REPORTING_IDLE, PAGE_REPORTING_REQUESTED, PAGE_REPORTING_ACTIVE };

struct bz_reporting {
	struct bz_system *sys;
	pthread_mutex_t lock;           /* running, stop, start_failed; the worker's waits */
	pthread_cond_t wait;
	pthread_mutex_t report_lock;    /* one reporter at a time: the worker or bz_trim */
	pthread_t thread;
	_Atomic int state;              /* PAGE_REPORTING_* */
	bool running, stop, start_failed;
};

static int tunable(const int *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

/* ---- the worker's state ----------------------------------------------------------------- */

static void reporting_init_locks(struct bz_reporting *pr)
{
	pthread_mutex_init(&pr->lock, NULL);
	pthread_mutex_init(&pr->report_lock, NULL);
	bz__cond_init_monotonic(&pr->wait);
}

/* The worker did not come along into a forked child: start afresh there. */
void bz__page_reporting_fork_child(struct bz_system *sys)
{
	struct bz_reporting *pr = atomic_load(&sys->reporting);

	if (!pr)
		return;
	reporting_init_locks(pr);
	pr->running = pr->stop = false;
	atomic_store(&pr->state, PAGE_REPORTING_IDLE);
}

static struct bz_reporting *reporting_get(struct bz_system *sys)
{
	struct bz_reporting *pr = atomic_load_explicit(&sys->reporting, memory_order_acquire), *expected = NULL;

	if (pr)
		return pr;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return NULL;
	pr->sys = sys;
	reporting_init_locks(pr);
	if (!atomic_compare_exchange_strong(&sys->reporting, &expected, pr)) {
		pthread_cond_destroy(&pr->wait);
		pthread_mutex_destroy(&pr->lock);
		pthread_mutex_destroy(&pr->report_lock);
		free(pr);
		return expected;
	}
	return pr;
}

/* ---- one pass over the free lists ----------------------------------------------------------- */

/*
 * Discards the isolated blocks, then (zone lock taken) puts them back,
 * reported if that worked; a block arena.c says is lost (hugetlb pages
 * the pool could not refill) stays isolated, out of use for good.
 */
static long report_batch(struct bz_zone *z, const uint32_t *batch, int n, unsigned order, int *err)
{
	struct bz_system *sys = z->sys;
	int result[PAGE_REPORTING_CAPACITY];
	long pages = 0;

	for (int i = 0; i < n; i++) {
		int e = *err ? *err : bz__arena_discard(sys, z->node->nid,
							sys->base + ((unsigned long)batch[i] << BZ_PAGE_SHIFT),
							BZ_PAGE_SIZE << order);

		result[i] = e;
		if (e < 0)
			*err = e;
		else if (!e)
			pages += 1l << order;
	}
	bz__zone_lock(z);
	for (int i = 0; i < n; i++)
		if (result[i] != BZ__DISCARD_LOST)
			bz__putback_isolated_locked(z, batch[i], order, get_pageblock_migratetype(sys, batch[i]),
						    !result[i]);
	return pages;
}

/* A block that may go back: not already gone or never touched, and one the arena can give. */
static bool reportable_block(struct bz_zone *z, const struct bz_page *p, uint32_t pfn, unsigned order)
{
	return !(PAGE_GET(p, flags) & (PG_reported | PG_zeroed)) &&
	       bz__arena_discardable(&z->node->arena, z->sys->base + ((unsigned long)pfn << BZ_PAGE_SHIFT),
				     BZ_PAGE_SIZE << order);
}

/*
 * page_reporting_cycle(): isolates the list's blocks that are neither
 * reported nor known zero, a batch at a time, discards them with the zone
 * lock dropped, and puts them back at the list's tail, where allocations
 * come last.  A pass takes at most what the list held when it began.
 */
static long report_list(struct bz_zone *z, unsigned order, int mt, int *err)
{
	struct bz_free_list *l = &z->free_area[order].free_list[mt];
	long pages = 0, budget;
	uint32_t batch[PAGE_REPORTING_CAPACITY];
	int n = 0;

	if (__atomic_load_n(&l->first, __ATOMIC_RELAXED) == BZ_NIL)
		return 0;
	bz__zone_lock(z);
	budget = (long)z->free_area[order].nr_free;
	for (uint32_t pfn = l->first; pfn != BZ_NIL && budget > 0 && !*err;) {
		struct bz_page *p = pfn_to_page(z->sys, pfn);
		uint32_t next = p->next;

		if (!reportable_block(z, p, pfn, order)) {
			pfn = next;
			continue;
		}
		if (!bz__isolate_free_block_locked(z, pfn, order))
			break;
		batch[n++] = pfn;
		budget--;
		pfn = next;
		if (n < PAGE_REPORTING_CAPACITY)
			continue;
		bz__zone_unlock(z);
		pages += report_batch(z, batch, n, order, err);
		n = 0;
		pfn = l->first;         /* the old next may be gone: from the head again */
	}
	bz__zone_unlock(z);
	if (n) {
		pages += report_batch(z, batch, n, order, err);
		bz__zone_unlock(z);
	}
	return pages;
}

/*
 * page_reporting_process_zone(): every list of min_order and up.  The
 * background pass leaves a zone alone unless it has the low watermark plus
 * a full batch of blocks free: isolating blocks must not push it into
 * reclaim.  bz_trim (all) goes regardless; isolation itself keeps min.
 */
static long report_zone(struct bz_zone *z, unsigned min_order, bool all, int *err)
{
	long pages = 0;

	if (!all) {
		unsigned long mark = wmark_pages(z, WMARK_LOW) + ((unsigned long)PAGE_REPORTING_CAPACITY << min_order);

		if (!bz__zone_watermark_ok(z, 0, mark, 0, 0, zone_page_state(z, NR_FREE_PAGES)))
			return 0;
	}
	for (unsigned o = min_order; o < BZ_NR_PAGE_ORDERS && !*err; o++)
		for (int mt = 0; mt < BZ_MIGRATE_TYPES && !*err; mt++)
			if (mt != BZ_MIGRATE_ISOLATE)
				pages += report_list(z, o, mt, err);
	return pages;
}

/* Nodes whose hugetlb part the kernel refused still have their other parts. */
static bool node_reportable(const struct bz_node *node)
{
	return node->node_present_pages;
}

/* Debug mode checks free memory's contents (poison, guard pages): discarding it would look like corruption. */
static bool system_reportable(const struct bz_system *sys)
{
	return !sys->debug.flags;
}

static long report_system(struct bz_reporting *pr, unsigned min_order, bool all, int *err)
{
	struct bz_system *sys = pr->sys;
	long pages = 0;

	if (!system_reportable(sys))
		return 0;
	pthread_mutex_lock(&pr->report_lock);
	for (int nid = 0; nid < sys->nr_nodes && !*err; nid++) {
		if (!node_reportable(sys->nodes[nid]))
			continue;
		for (int zid = 0; zid < BZ_MAX_NR_ZONES && !*err; zid++)
			if (populated_zone(&sys->nodes[nid]->zones[zid]))
				pages += report_zone(&sys->nodes[nid]->zones[zid], min_order, all, err);
	}
	pthread_mutex_unlock(&pr->report_lock);
	if (pages)
		count_vm_events(sys, PGREPORTED, (unsigned long)pages);
	return pages;
}

/* ---- the worker ------------------------------------------------------------------------ */

/* With pr->lock held: waits ms (0: until signalled); false when told to stop. */
static bool worker_wait(struct bz_reporting *pr, long ms)
{
	struct timespec ts;

	if (!ms) {
		pthread_cond_wait(&pr->wait, &pr->lock);
		return !pr->stop;
	}
	ts = bz__deadline_ms(ms);
	while (!pr->stop && pthread_cond_timedwait(&pr->wait, &pr->lock, &ts) == 0)
		;
	return !pr->stop;
}

/*
 * page_reporting_process(): active while it runs; a free that requests
 * reporting meanwhile sets the state back to requested, and another pass
 * follows after the delay.
 */
static void page_reporting_process(struct bz_reporting *pr)
{
	int state = PAGE_REPORTING_ACTIVE, err = 0;
	struct bz_system *sys = pr->sys;

	atomic_store(&pr->state, PAGE_REPORTING_ACTIVE);
	report_system(pr, (unsigned)tunable(&sys->sysctl.page_reporting_order), false, &err);
	if (err)
		bz__log(sys, BZ_LOG_WARNING, "page reporting: madvise(MADV_DONTNEED) failed (%s); blocks kept",
			bz_strerror(err));
	atomic_compare_exchange_strong(&pr->state, &state, PAGE_REPORTING_IDLE);
}

static void *reporting_main(void *arg)
{
	struct bz_reporting *pr = arg;

	pthread_mutex_lock(&pr->lock);
	while (!pr->stop) {
		if (atomic_load(&pr->state) != PAGE_REPORTING_REQUESTED) {
			worker_wait(pr, 0);
			continue;
		}
		/* PAGE_REPORTING_DELAY: let a sizable queue build before the pass. */
		if (!worker_wait(pr, BZ_MAX(tunable(&pr->sys->sysctl.page_reporting_delay_ms), 1)))
			break;
		pthread_mutex_unlock(&pr->lock);
		page_reporting_process(pr);
		pthread_mutex_lock(&pr->lock);
	}
	pthread_mutex_unlock(&pr->lock);
	return NULL;
}

/* With pr->lock held; err gets a message to log once it is dropped. */
static void worker_start_locked(struct bz_reporting *pr, char *err, size_t n)
{
	int e = bz__thread_start(&pr->thread, reporting_main, pr, "bz-reporting");

	if (e) {
		/* -EAGAIN: a child of a threaded process, where bz_trim still works; not worth a word. */
		if (!pr->start_failed && e != -EAGAIN)
			snprintf(err, n, "page reporting: cannot start the worker (%s); bz_trim still works",
				 bz_strerror(e));
		pr->start_failed = e != -EAGAIN;
		atomic_store(&pr->state, PAGE_REPORTING_IDLE);
		return;
	}
	pr->running = true;
}

/* ---- entry points ---------------------------------------------------------------------- */

/* __page_reporting_request(): requested now; the worker wakes (or starts) if it was idle. */
void bz__page_reporting_kick(struct bz_system *sys)
{
	struct bz_reporting *pr;
	char err[128] = "";

	atomic_store_explicit(&sys->reporting_requested, false, memory_order_relaxed);
	pr = reporting_get(sys);
	if (!pr || atomic_exchange(&pr->state, PAGE_REPORTING_REQUESTED) != PAGE_REPORTING_IDLE)
		return;
	pthread_mutex_lock(&pr->lock);
	if (!pr->stop) {
		if (!pr->running)
			worker_start_locked(pr, err, sizeof(err));
		else
			pthread_cond_signal(&pr->wait);
	}
	pthread_mutex_unlock(&pr->lock);
	if (err[0])
		bz__log(sys, BZ_LOG_WARNING, "%s", err);
}

long bz__page_reporting_trim(struct bz_system *sys)
{
	struct bz_reporting *pr = reporting_get(sys);
	long pages;
	int err = 0;

	if (!pr)
		return -ENOMEM;
	pages = report_system(pr, 0, true, &err);
	if (err) {
		bz__log(sys, BZ_LOG_WARNING, "bz_trim: madvise(MADV_DONTNEED) failed (%s) after %ld pages",
			bz_strerror(err), pages);
		if (!pages)
			return err;
	}
	return pages;
}

void bz__page_reporting_system_destroy(struct bz_system *sys)
{
	struct bz_reporting *pr = atomic_load(&sys->reporting);
	bool running;

	if (!pr)
		return;
	pthread_mutex_lock(&pr->lock);
	pr->stop = true;
	running = pr->running;
	pthread_cond_broadcast(&pr->wait);
	pthread_mutex_unlock(&pr->lock);
	if (running)
		pthread_join(pr->thread, NULL);
	atomic_store(&sys->reporting, NULL);
	pthread_cond_destroy(&pr->wait);
	pthread_mutex_destroy(&pr->lock);
	pthread_mutex_destroy(&pr->report_lock);
	free(pr);
}
