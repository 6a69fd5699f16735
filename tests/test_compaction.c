/* SPDX-License-Identifier: MIT */
/*
 * test_compaction.c - movable pages, migration and compaction (migrate.c,
 * compaction.c, movable.c): a zone filled with movable pages owned through
 * a handle table, every other one freed so that no order-9 block is free;
 * order-9 allocations then fail without compaction and succeed with it,
 * every handle still reading its own data; compact_memory; the counters;
 * and misuse: callbacks that fail, refuse or free the page, a page freed
 * by another thread while isolated, pages another holder pins, marks the
 * library refuses.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "movable_app.h"
#include "wait.h"

/* THP's allocation: direct reclaim and compaction, no kswapd (so no kcompactd): costly, movable, compound. */
#define ORDER9_GFP BZ_GFP_TRANSHUGE

static unsigned long counter(bz_system *sys, const char *name)
{
	return json_counter(sys, name);
}

/* Order-9 blocks until one fails (held in blocks[]); how many. */
static int alloc_order9(bz_system *sys, bz_page **blocks, int max)
{
	int n = 0;

	while (n < max && (blocks[n] = bz_alloc_pages(sys, ORDER9_GFP, BZ_PAGEBLOCK_ORDER)))
		n++;
	return n;
}

static void free_blocks(bz_page **blocks, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(bz_free_pages(blocks[i], BZ_PAGEBLOCK_ORDER), 0);
}

static bz_system *fragmented(int compaction, struct log_catch *lc)
{
	bz_system *sys = app_system(compaction, 0, lc);

	app_reset();
	assert_true(app_fill(sys) > APP_ZONE_PAGES * 9 / 10);
	app_free_every_other(sys);
	assert_int_equal(free_order9_blocks(sys), 0);
	assert_int_equal(bz_check(sys), 0);
	return sys;
}

/* ---- the scenario ------------------------------------------------------------------------- */

static void test_compaction_off_order9_fails(void **state)
{
	bz_system *sys = fragmented(0, NULL);
	bz_page *blocks[32];

	(void)state;
	assert_int_equal(alloc_order9(sys, blocks, 32), 0);
	assert_int_equal(counter(sys, "compact_stall"), 0);
	assert_int_equal(counter(sys, "pgmigrate_success"), 0);
	assert_int_equal(app.migrate_calls, 0);
	assert_int_equal(app_verify(), app.nr / 2);
	assert_int_equal(bz_compact(sys, -1), -EOPNOTSUPP);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

static void test_compaction_direct_order9_succeeds(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	bz_page *blocks[32];
	unsigned long moved;
	int n;

	(void)state;
	n = alloc_order9(sys, blocks, 32);
	print_message("order-9 allocations: %d; pages migrated: %lu\n", n, counter(sys, "pgmigrate_success"));
	/* 8 K free pages, minus the low watermark and compact_gap: at least half of the 13 or so possible. */
	assert_true(n >= 6);
	moved = counter(sys, "pgmigrate_success");
	assert_int_equal(moved, app.migrated);
	assert_true(moved >= (unsigned long)n * 256);
	/*
	 * No callback failed; what did not move is what the free scanner found
	 * no target for when it met the migration scanner (migrate_pages counts
	 * the -ENOMEM block as failed), put back with the rest of its batch.
	 */
	assert_int_equal(app.migrate_calls, app.migrated);
	assert_int_equal(app.isolate_calls, app.migrated + app.putbacks);
	assert_true(counter(sys, "pgmigrate_fail") <= app.putbacks);
	/* At most one order-0 block per direct compaction (one zone: one compact_zone per stall). */
	assert_true(counter(sys, "pgmigrate_fail") <= counter(sys, "compact_stall"));
	assert_true(counter(sys, "compact_stall") >= 1);
	assert_true(counter(sys, "compact_success") >= 1);
	assert_true(counter(sys, "compact_success") <= (unsigned long)n);
	assert_true(counter(sys, "compact_migrate_scanned") >= moved);
	assert_true(counter(sys, "compact_free_scanned") > 0);
	/* Isolated: the sources and the targets. */
	assert_true(counter(sys, "compact_isolated") >= 2 * moved);
	assert_int_equal(counter(sys, "compact_daemon_wake"), 0);
	assert_int_equal(app_verify(), app.nr / 2);
	assert_int_equal(bz_check(sys), 0);
	free_blocks(blocks, n);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* The kernel's extfrag_threshold: at 1000 no fragmentation index is high enough for a costly order. */
static void test_compaction_extfrag_threshold_skips(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	bz_page *blocks[4];

	(void)state;
	assert_int_equal(bz_sysctl_set(sys, "extfrag_threshold", "1000"), 0);
	assert_int_equal(alloc_order9(sys, blocks, 4), 0);
	assert_int_equal(counter(sys, "compact_stall"), 0);
	assert_int_equal(counter(sys, "pgmigrate_success"), 0);
	assert_int_equal(bz_sysctl_set(sys, "extfrag_threshold", "500"), 0);
	assert_true(alloc_order9(sys, blocks, 1) == 1);
	free_blocks(blocks, 1);
	assert_int_equal(bz_sysctl_set(sys, "extfrag_threshold", "1001"), -EINVAL);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/*
 * __alloc_pages_slowpath's order for a costly request (order 9 > 3):
 * async compaction before reclaim; with __GFP_NORETRY, a SKIPPED result
 * gives up before reclaim and any other keeps compaction async; without
 * it, one reclaim, then compaction at DEF_COMPACT_PRIORITY (SYNC_LIGHT),
 * then nopage (no __GFP_RETRY_MAYFAIL).  In this zone an async pass always
 * fails (its free scanner samples every 32nd pfn of a block where only odd
 * pfns are free, as the kernel's) and a SYNC_LIGHT one succeeds.
 */
static void test_compaction_slowpath_order(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	bz_page *block;

	(void)state;
	assert_int_equal(bz_sysctl_set(sys, "extfrag_threshold", "1000"), 0);
	assert_null(bz_alloc_pages(sys, BZ_GFP_TRANSHUGE | BZ_GFP_NORETRY, BZ_PAGEBLOCK_ORDER));
	assert_int_equal(counter(sys, "allocstall_movable"), 0);
	assert_int_equal(counter(sys, "compact_stall"), 0);
	assert_null(bz_alloc_pages(sys, BZ_GFP_TRANSHUGE, BZ_PAGEBLOCK_ORDER));
	assert_int_equal(counter(sys, "allocstall_movable"), 1);
	assert_int_equal(counter(sys, "compact_stall"), 0);
	assert_int_equal(bz_sysctl_set(sys, "extfrag_threshold", "500"), 0);
	/* NORETRY: async, reclaim, async again (INIT_COMPACT_PRIORITY kept), nopage. */
	assert_null(bz_alloc_pages(sys, BZ_GFP_TRANSHUGE | BZ_GFP_NORETRY, BZ_PAGEBLOCK_ORDER));
	assert_int_equal(counter(sys, "allocstall_movable"), 2);
	assert_int_equal(counter(sys, "compact_stall"), 2);
	assert_int_equal(counter(sys, "compact_fail"), 2);
	/* Async fails, reclaim, SYNC_LIGHT succeeds. */
	block = bz_alloc_pages(sys, BZ_GFP_TRANSHUGE, BZ_PAGEBLOCK_ORDER);
	assert_non_null(block);
	assert_int_equal(counter(sys, "allocstall_movable"), 3);
	assert_int_equal(counter(sys, "compact_stall"), 4);
	assert_int_equal(counter(sys, "compact_fail"), 3);
	assert_int_equal(counter(sys, "compact_success"), 1);
	assert_int_equal(bz_free_pages(block, BZ_PAGEBLOCK_ORDER), 0);
	assert_int_equal(app_verify(), app.nr / 2);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/*
 * Deferral (defer_compaction, compaction_deferred): every migration fails
 * (the callback refuses), so each compaction that runs ends with the
 * scanners met and a SYNC_LIGHT failure defers the zone for order 9:
 * 1 << compact_defer_shift attempts are skipped, the shift growing with
 * each failure.  A skipped (DEFERRED) attempt still counts as a stall but
 * asks no callback.
 */
static void test_compaction_deferred_after_failure(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	unsigned long calls[8], stalls[8];

	(void)state;
	app.migrate_ret = -EBUSY;
	for (int i = 0; i < 8; i++) {
		unsigned long c0 = app.migrate_calls, s0 = counter(sys, "compact_stall");

		assert_null(bz_alloc_pages(sys, ORDER9_GFP, BZ_PAGEBLOCK_ORDER));
		calls[i] = app.migrate_calls - c0;
		stalls[i] = counter(sys, "compact_stall") - s0;
	}
	/*
	 * Request 0: async and SYNC_LIGHT run (async failures never defer);
	 * shift 1.  1: async skipped (considered 1 < 2), SYNC_LIGHT runs; shift
	 * 2.  2: both skipped (1, 2 < 4).  3: async skipped, SYNC_LIGHT runs (4);
	 * shift 3.  4 to 6: all six skipped.  7: the eighth runs.
	 */
	for (int i = 0; i < 8; i++) {
		bool ran = i == 0 || i == 1 || i == 3 || i == 7;

		assert_int_equal(stalls[i], 2);        /* COMPACT_DEFERRED is a stall; SKIPPED would not be */
		if (ran != (calls[i] > 0))
			fail_msg("request %d: %lu migrate_page calls", i, calls[i]);
	}
	assert_int_equal(calls[0], 2 * calls[1]);
	app.migrate_ret = 0;
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* compact_memory: every movable page moves towards the zone's end; free pageblocks appear. */
static void test_compaction_compact_memory(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	char buf[16];

	(void)state;
	assert_int_equal(bz_sysctl_set(sys, "compact_memory", "2"), -EINVAL);
	assert_int_equal(bz_sysctl_get(sys, "compact_memory", buf, sizeof(buf)), -EACCES);
	assert_int_equal(bz_compact(sys, 1), -EINVAL);
	assert_int_equal(bz_sysctl_set(sys, "compact_memory", "1"), 0);
	print_message("compact_memory: %lu pages migrated, %lu free order-9 blocks\n",
		      counter(sys, "pgmigrate_success"), free_order9_blocks(sys));
	assert_true(counter(sys, "pgmigrate_success") >= app.nr / 8);
	assert_int_equal(counter(sys, "pgmigrate_success"), app.migrated);
	assert_true(free_order9_blocks(sys) >= 8);
	assert_int_equal(counter(sys, "compact_stall"), 0);   /* not an allocation's */
	assert_int_equal(app_verify(), app.nr / 2);
	assert_int_equal(bz_compact(sys, 0), 0);             /* nothing left to move is fine */
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* The same counters in /proc/vmstat's text as in the JSON report. */
static void test_compaction_vmstat_counters(void **state)
{
	static const char *const names[] = { "pgmigrate_success", "pgmigrate_fail", "compact_migrate_scanned",
					     "compact_free_scanned", "compact_isolated", "compact_stall",
					     "compact_fail", "compact_success", "compact_daemon_wake",
					     "compact_daemon_migrate_scanned", "compact_daemon_free_scanned" };
	bz_system *sys = fragmented(1, NULL);
	char *text, *prev = NULL;

	(void)state;
	assert_int_equal(bz_compact(sys, -1), 0);
	text = report_text(sys, bz_write_vmstat);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char key[64], *p;

		snprintf(key, sizeof(key), "\n%s ", names[i]);
		p = strstr(text, key);
		assert_non_null(p);
		assert_true(p > prev);          /* in the kernel's order */
		assert_int_equal(strtoul(p + strlen(key), NULL, 10), counter(sys, names[i]));
		prev = p;
	}
	free(text);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* Debug mode: targets unguarded and poison-checked as allocations, sources poisoned as frees. */
static void test_compaction_debug_mode(void **state)
{
	struct log_catch lc = { 0 };
	struct bz_config cfg;
	bz_system *sys = NULL;
	bz_page *blocks[32];
	int n;

	(void)state;
	bz_config_init(&cfg);
	cfg.zones = "0:Normal=16384";
	cfg.cpus_per_node = 1;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.compaction_proactiveness = 0;
	cfg.debug = BZ_DEBUG_POISON | BZ_DEBUG_GUARD | BZ_DEBUG_CHECK;
	cfg.debug_check_interval = 997;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	log_catch_reset(&lc);           /* the topology and arena lines creation logs at INFO */
	app_reset();
	app_fill(sys);
	app_free_every_other(sys);
	n = alloc_order9(sys, blocks, 32);
	assert_true(n >= 6);
	assert_int_equal(app_verify(), app.nr / 2);
	assert_int_equal(counter(sys, "pagealloc_corruption"), 0);
	assert_int_equal(counter(sys, "debug_check_fail"), 0);
	assert_true(counter(sys, "debug_check_run") > 0);
	free_blocks(blocks, n);
	assert_int_equal(bz_compact(sys, -1), 0);
	assert_int_equal(app_verify(), app.nr / 2);
	app_assert_all_back(sys);
	if (lc.count)
		fail_msg("%d messages: %s", lc.count, lc.all);
	bz_system_destroy(sys);
}

/* ---- blocks of order above 0 ------------------------------------------------------------------- */

static unsigned long pfn_of(bz_page *page)
{
	return bz_page_to_pfn(page);
}

#define MAX_STRAY 1024

/* An order-2 block in the pageblock of pfn; those that land elsewhere are kept in stray[]. */
static bz_page *alloc_in_block(bz_system *sys, bz_gfp_t gfp, unsigned long pfn, bz_page **stray, int *nr_stray)
{
	for (;;) {
		bz_page *p = bz_alloc_pages(sys, gfp, 2);

		assert_non_null(p);
		if (pfn_of(p) >> BZ_PAGEBLOCK_ORDER == pfn >> BZ_PAGEBLOCK_ORDER)
			return p;
		assert_true(*nr_stray < MAX_STRAY);
		stray[(*nr_stray)++] = p;
	}
}

/*
 * A compound and a plain order-2 movable block in the zone's lowest
 * pageblock, order-2 holes in its highest, everything else allocated:
 * compact_memory moves both blocks into the holes whole.
 */
static void test_compaction_moves_high_order_blocks(void **state)
{
	bz_system *sys = app_system(1, 0, NULL);
	unsigned long low = ~0ul, high = 0;
	bz_page *blk[2], *before[2], *stray[MAX_STRAY];
	int nr_stray = 0;

	(void)state;
	app_reset();
	app_fill(sys);
	for (size_t id = 0; id < app.nr; id++) {
		unsigned long pfn = pfn_of(app.handle[id]);

		low = pfn < low ? pfn : low;
		high = pfn > high ? pfn : high;
	}
	for (size_t id = 0; id < app.nr; id++)
		if (pfn_of(app.handle[id]) >> BZ_PAGEBLOCK_ORDER == low >> BZ_PAGEBLOCK_ORDER)
			app_free(id);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	/* The smallest free block comes first: order-2 ones left elsewhere by the fill are held aside. */
	blk[0] = alloc_in_block(sys, BZ_GFP_KERNEL | BZ_GFP_MOVABLE | BZ_GFP_COMP, low, stray, &nr_stray);
	blk[1] = alloc_in_block(sys, BZ_GFP_KERNEL | BZ_GFP_MOVABLE, low, stray, &nr_stray);
	for (int b = 0; b < 2; b++) {
		size_t id = app.nr++;

		for (int i = 0; i < 4; i++)
			fill_pattern((char *)bz_page_address(blk[b]) + i * BZ_PAGE_SIZE, id * 4 + (size_t)i);
		assert_int_equal(bz_set_page_private(blk[b], id), 0);
		assert_int_equal(bz_set_page_movable(blk[b], &app_ops), 0);
		app.handle[id] = before[b] = blk[b];
	}
	for (size_t id = 0; id + 2 < app.nr; id++)
		if (app.handle[id] && pfn_of(app.handle[id]) >> BZ_PAGEBLOCK_ORDER == high >> BZ_PAGEBLOCK_ORDER &&
		    (pfn_of(app.handle[id]) & 7) < 4)
			app_free(id);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(bz_compact(sys, -1), 0);
	assert_true(counter(sys, "pgmigrate_success") >= 8);
	for (int b = 0; b < 2; b++) {
		size_t id = app.nr - 2 + (size_t)b;

		assert_ptr_not_equal(app.handle[id], before[b]);
		for (int i = 0; i < 4; i++)
			assert_true(pattern_ok((char *)bz_page_address(app.handle[id]) + i * BZ_PAGE_SIZE,
					       id * 4 + (size_t)i));
		assert_int_equal(bz_page_movable(app.handle[id]), 1);
		assert_int_equal(bz_page_private(app.handle[id]), id);
		blk[b] = app.handle[id];
		app.handle[id] = NULL;
	}
	assert_int_equal(bz_compound_order(blk[0]), 2);
	assert_int_equal(bz_page_is_head(blk[1]), 0);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(bz_free_pages(blk[0], 2), 0);
	assert_int_equal(bz_free_pages(blk[1], 2), 0);
	for (int i = 0; i < nr_stray; i++)
		assert_int_equal(bz_free_pages(stray[i], 2), 0);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* ---- callbacks that fail, refuse, or free the page ------------------------------------------------- */

/* The live handles now, to compare after. */
static bz_page **snapshot_handles(void)
{
	bz_page **copy = malloc(sizeof(app.handle));

	assert_non_null(copy);
	memcpy(copy, app.handle, sizeof(app.handle));
	return copy;
}

static void test_migrate_callback_fails_page_put_back(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	bz_page **before = snapshot_handles();

	(void)state;
	app.migrate_ret = -EBUSY;
	assert_int_equal(bz_compact(sys, -1), 0);
	assert_true(app.migrate_calls > 0);
	/* A permanent failure: no retry, every isolated page goes back to its owner. */
	assert_int_equal(app.putbacks, app.isolate_calls);
	assert_true(app.migrate_calls <= app.putbacks);
	assert_int_equal(counter(sys, "pgmigrate_success"), 0);
	assert_true(counter(sys, "pgmigrate_fail") >= app.migrate_calls);
	assert_memory_equal(before, app.handle, sizeof(app.handle));
	assert_int_equal(app_verify(), app.nr / 2);
	free(before);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

static void test_migrate_callback_eagain_retried(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	bz_page **before = snapshot_handles();
	unsigned long failed;

	(void)state;
	app.migrate_ret = -EAGAIN;
	assert_int_equal(bz_compact(sys, -1), 0);
	failed = counter(sys, "pgmigrate_fail");
	assert_true(failed > 0);
	/* MIGRATE_SYNC: 3 async passes, then 7 in sync mode (NR_MAX_MIGRATE_PAGES_RETRY). */
	assert_int_equal(app.migrate_calls, 10 * failed);
	assert_int_equal(app.putbacks, failed);
	assert_memory_equal(before, app.handle, sizeof(app.handle));
	app.migrate_ret = 0;
	assert_int_equal(bz_compact(sys, -1), 0);
	assert_true(app.migrated > 0);
	assert_int_equal(app_verify(), app.nr / 2);
	free(before);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

static void test_migrate_isolate_refused(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	bz_page **before = snapshot_handles();

	(void)state;
	app.refuse_isolate = true;
	assert_int_equal(bz_compact(sys, -1), 0);
	assert_true(app.isolate_calls > 0);
	assert_int_equal(app.migrate_calls, 0);
	assert_int_equal(app.putbacks, 0);
	assert_int_equal(counter(sys, "pgmigrate_success") + counter(sys, "pgmigrate_fail"), 0);
	assert_memory_equal(before, app.handle, sizeof(app.handle));
	assert_int_equal(app_verify(), app.nr / 2);
	free(before);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

#define VICTIMS 8
static _Atomic int hook_ret;
static _Atomic int victims;

/* migrate_page frees src, its owner's reference, for the first VICTIMS pages (misuse: the kernel forbids it). */
static void free_src_hook(bz_page *dst, bz_page *src)
{
	size_t id = bz_page_private(src);

	(void)dst;
	app.migrate_ret = 0;
	if (app.handle[id] != src || victims >= VICTIMS)
		return;
	victims++;
	app.handle[id] = NULL;
	bz_free_pages(src, 0);
	app.migrate_ret = hook_ret;
}

static void callback_frees(int ret)
{
	bz_system *sys = fragmented(1, NULL);
	size_t live = app.nr / 2;

	hook_ret = ret;
	victims = 0;
	app.migrate_hook = free_src_hook;
	assert_int_equal(bz_compact(sys, -1), 0);
	assert_int_equal(victims, VICTIMS);
	/* Not moved, not put back (the owner let go); the kernel counts a page freed under the migration as done. */
	assert_int_equal(app.migrated + VICTIMS, app.migrate_calls);
	assert_int_equal(counter(sys, "pgmigrate_success"), app.migrate_calls);
	/* What no target was left for when the scanners met goes back; nothing else does. */
	assert_int_equal(app.isolate_calls, app.migrate_calls + app.putbacks);
	assert_int_equal(app_verify(), live - VICTIMS);
	assert_int_equal(bz_check(sys), 0);
	app_assert_all_back(sys);                               /* no target leaked, no page freed twice */
	bz_system_destroy(sys);
}

static void test_migrate_callback_frees_page(void **state)
{
	(void)state;
	callback_frees(0);
	callback_frees(-EBUSY);
}

/*
 * bz_check in the middle of a migration (from migrate_page, which runs
 * with no library lock held): the isolated source with its extra
 * reference, the frozen targets on the compactor's lists and dst, already
 * allocated, are all consistent.
 */
static bz_system *check_sys;
static _Atomic int checks_run, checks_failed;

static void check_hook(bz_page *dst, bz_page *src)
{
	(void)dst;
	(void)src;
	if (checks_run >= 16)
		return;
	checks_run++;
	if (bz_check(check_sys) || bz_page_ref_count(src) != 2 || bz_page_ref_count(dst) != 2)
		checks_failed++;
}

static void test_compaction_check_during_migration(void **state)
{
	struct log_catch lc = { 0 };

	(void)state;
	check_sys = fragmented(1, &lc);
	checks_run = checks_failed = 0;
	app.migrate_hook = check_hook;
	assert_int_equal(bz_compact(check_sys, -1), 0);
	assert_int_equal(checks_run, 16);
	if (checks_failed)
		fail_msg("%d of 16 checks failed: %s", (int)checks_failed, lc.all);
	assert_true(app.migrated > 0);
	assert_int_equal(app_verify(), app.nr / 2);
	app_assert_all_back(check_sys);
	bz_system_destroy(check_sys);
}

/* ---- a page freed by another thread while isolated --------------------------------------------------- */

struct freer {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bz_page *victim;                /* handed over by isolate_page */
	bool done, quit;
	bool clear_first;
	int handed;
	struct thread_failures tf;
};

static struct freer freer = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, .tf = THREAD_FAILURES_INIT };

/* The owner's other thread: frees each page it is handed, as an application would, under its lock. */
static void *freer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&freer.lock);
	for (;;) {
		bz_page *page;

		while (!freer.victim && !freer.quit)
			pthread_cond_wait(&freer.cond, &freer.lock);
		if (freer.quit)
			break;
		page = freer.victim;
		pthread_mutex_unlock(&freer.lock);
		pthread_mutex_lock(&app.lock);
		app.handle[bz_page_private(page)] = NULL;
		if (freer.clear_first)
			THREAD_CHECK(&freer.tf, bz_clear_page_movable(page) == 0);
		THREAD_CHECK(&freer.tf, bz_free_pages(page, 0) == 0);
		/* Isolated: the migration's reference keeps it. */
		THREAD_CHECK(&freer.tf, bz_page_ref_count(page) == 1);
		pthread_mutex_unlock(&app.lock);
		pthread_mutex_lock(&freer.lock);
		freer.victim = NULL;
		freer.done = true;
		pthread_cond_broadcast(&freer.cond);
	}
	pthread_mutex_unlock(&freer.lock);
	return NULL;
}

/* isolate_page hands the first VICTIMS pages to the freer and waits until each is freed, then says yes. */
static void hand_to_freer(bz_page *page)
{
	pthread_mutex_lock(&freer.lock);
	if (freer.handed < VICTIMS) {
		freer.handed++;
		freer.victim = page;
		freer.done = false;
		pthread_cond_broadcast(&freer.cond);
		while (!freer.done)
			pthread_cond_wait(&freer.cond, &freer.lock);
	}
	pthread_mutex_unlock(&freer.lock);
}

/* bz_compact(sys) with the freer thread beside it; the hooks (set by the caller) hand it pages. */
static void compact_with_freer(bz_system *sys, bool clear_first)
{
	pthread_t t;

	freer.quit = false;
	freer.handed = 0;
	freer.clear_first = clear_first;
	assert_int_equal(pthread_create(&t, NULL, freer_main, NULL), 0);
	assert_int_equal(bz_compact(sys, -1), 0);
	pthread_mutex_lock(&freer.lock);
	freer.quit = true;
	pthread_cond_broadcast(&freer.cond);
	pthread_mutex_unlock(&freer.lock);
	pthread_join(t, NULL);
	assert_no_thread_failures(&freer.tf);
	assert_int_equal(freer.handed, VICTIMS);
}

static void freed_while_isolated(bool clear_first)
{
	bz_system *sys = fragmented(1, NULL);
	size_t live = app.nr / 2;

	app.isolate_hook = hand_to_freer;
	compact_with_freer(sys, clear_first);
	/* The freed pages were not moved (no migrate_page, no putback), and count as done. */
	assert_int_equal(app.migrate_calls, app.migrated);
	assert_int_equal(app.isolate_calls, app.migrated + VICTIMS + app.putbacks);
	assert_int_equal(counter(sys, "pgmigrate_success"), app.migrated + VICTIMS);
	assert_int_equal(app_verify(), live - VICTIMS);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

static void test_migrate_page_freed_by_another_thread(void **state)
{
	(void)state;
	freed_while_isolated(true);
	freed_while_isolated(false);
}

/*
 * The owner's other thread frees dst as soon as migrate_page repointed its
 * handle (before the migration is done with dst): the migration's
 * reference keeps dst until then, and the last put frees it whole, not
 * left marked movable or isolated on the free lists.
 */
static void test_migrate_dst_freed_as_callback_returns(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	size_t live = app.nr / 2;

	(void)state;
	app.migrated_hook = hand_to_freer;
	compact_with_freer(sys, false);
	assert_int_equal(app_verify(), live - VICTIMS);
	assert_int_equal(bz_check(sys), 0);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* ---- pages another holder has: never moved ------------------------------------------------------------- */

static _Atomic int pinned_asked;

static void pinned_check_hook(bz_page *page)
{
	if (bz_page_private(page) % 4 == 0)
		pinned_asked++;
}

static void test_migrate_pinned_page_not_moved(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	bz_page **before = snapshot_handles();

	(void)state;
	for (size_t id = 0; id < app.nr; id += 4)
		assert_int_equal(bz_get_page(app.handle[id]), 0);
	pinned_asked = 0;
	app.isolate_hook = pinned_check_hook;
	assert_int_equal(bz_compact(sys, -1), 0);
	assert_int_equal(pinned_asked, 0);                  /* not even asked */
	assert_true(app.migrated > 0);
	for (size_t id = 0; id < app.nr; id += 4) {
		assert_ptr_equal(app.handle[id], before[id]);
		assert_int_equal(bz_page_ref_count(app.handle[id]), 2);
		assert_int_equal(bz_put_page(app.handle[id]), 0);
	}
	assert_int_equal(app_verify(), app.nr / 2);
	free(before);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/*
 * Pages in a thread's cache are free but not buddy pages: neither scanner
 * takes one (as a source, nor as a target, which would hand it out twice).
 * The owner frees a few handles at the zone's top into this thread's cache; compact_memory
 * runs; the same pages come back out of the cache, untouched.
 */
#define CACHED 8
static void test_compaction_leaves_thread_cache_alone(void **state)
{
	bz_system *sys = fragmented(1, NULL);
	bz_page *cached[CACHED], *again[CACHED];
	size_t freed = 0;

	(void)state;
	/* From the top of the zone, where the free scanner starts. */
	for (size_t id = app.nr; id-- > 0 && freed < CACHED;) {
		if (!app.handle[id])
			continue;
		cached[freed++] = app.handle[id];
		app_free(id);
	}
	assert_int_equal(bz_compact(sys, -1), 0);
	assert_true(counter(sys, "pgmigrate_success") > 0);
	assert_int_equal(bz_check(sys), 0);
	/* The cache hands its pages out last in, first out. */
	for (int i = CACHED - 1; i >= 0; i--)
		again[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_MOVABLE, 0);
	assert_memory_equal(again, cached, sizeof(cached));
	for (int i = 0; i < CACHED; i++)
		assert_int_equal(bz_free_pages(again[i], 0), 0);
	assert_int_equal(app_verify(), app.nr / 2 - CACHED);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* ---- marks the library refuses ------------------------------------------------------------------------------ */

static const struct bz_movable_operations no_migrate_ops = { .isolate_page = app_isolate };

static void expect_refused(struct log_catch *lc, int ret, const char *words)
{
	assert_int_equal(ret, -EINVAL);
	if (lc->count <= 0)
		fail_msg("nothing logged; expected \"%s\"", words);
	if (!strstr(lc->last, words))
		fail_msg("expected \"%s\" in the log, got \"%s\"", words, lc->last);
	log_catch_reset(lc);
}

static void test_movable_misuse(void **state)
{
	struct log_catch lc = { 0 };
	bz_system *sys = app_system(1, 0, &lc);
	bz_page *movable = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_MOVABLE, 0);
	bz_page *unmovable = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
	bz_page *comp = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_MOVABLE | BZ_GFP_COMP, 2);
	bz_page *big = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_MOVABLE, BZ_PAGEBLOCK_ORDER);
	bz_page *freed = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_MOVABLE, 0);
	int dummy;

	(void)state;
	assert_non_null(movable);
	assert_non_null(unmovable);
	assert_non_null(comp);
	assert_non_null(big);
	assert_non_null(freed);
	assert_int_equal(bz_free_pages(freed, 0), 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	expect_refused(&lc, bz_set_page_movable(movable, NULL), "no movable_operations");
	expect_refused(&lc, bz_set_page_movable(movable, &no_migrate_ops), "without migrate_page");
	expect_refused(&lc, bz_set_page_movable(unmovable, &app_ops), "not allocated with BZ_GFP_MOVABLE");
	expect_refused(&lc, bz_set_page_movable(freed, &app_ops), "not the first page of an allocated block");
	expect_refused(&lc, bz_set_page_movable((bz_page *)((char *)comp + BZ_PAGE_STRUCT_SIZE), &app_ops),
		       "not the first page of an allocated block");
	expect_refused(&lc, bz_set_page_movable(big, &app_ops), "pageblock order");
	/* No system to log through: the message goes to the process-wide callback. */
	bz_set_log_callback(log_catch_fn, &lc);
	expect_refused(&lc, bz_set_page_movable((bz_page *)&dummy, &app_ops), "not a page of any live system");
	bz_set_log_callback(NULL, NULL);
	expect_refused(&lc, bz_clear_page_movable(movable), "not movable");
	assert_int_equal(bz_page_movable(movable), 0);
	assert_int_equal(bz_set_page_movable(movable, &app_ops), 0);
	assert_int_equal(lc.count, 0);
	assert_int_equal(bz_page_movable(movable), 1);
	expect_refused(&lc, bz_set_page_movable(movable, &app_ops), "movable already");
	assert_int_equal(bz_set_page_movable(comp, &app_ops), 0);
	assert_int_equal(bz_check(sys), 0);
	/* A free takes the mark along, whether or not the owner cleared it. */
	assert_int_equal(bz_clear_page_movable(movable), 0);
	assert_int_equal(bz_page_movable(movable), 0);
	assert_int_equal(bz_set_page_movable(movable, &app_ops), 0);
	assert_int_equal(bz_free_pages(movable, 0), 0);
	assert_int_equal(bz_free_pages(comp, 2), 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(bz_page_movable(movable), 0);
	assert_int_equal(bz_page_movable(comp), 0);
	assert_int_equal(bz_free_pages(unmovable, 0), 0);
	assert_int_equal(bz_free_pages(big, BZ_PAGEBLOCK_ORDER), 0);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(lc.count, 0);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compaction_off_order9_fails),
		cmocka_unit_test(test_compaction_direct_order9_succeeds),
		cmocka_unit_test(test_compaction_extfrag_threshold_skips),
		cmocka_unit_test(test_compaction_slowpath_order),
		cmocka_unit_test(test_compaction_deferred_after_failure),
		cmocka_unit_test(test_compaction_compact_memory),
		cmocka_unit_test(test_compaction_vmstat_counters),
		cmocka_unit_test(test_compaction_debug_mode),
		cmocka_unit_test(test_compaction_moves_high_order_blocks),
		cmocka_unit_test(test_migrate_callback_fails_page_put_back),
		cmocka_unit_test(test_migrate_callback_eagain_retried),
		cmocka_unit_test(test_migrate_isolate_refused),
		cmocka_unit_test(test_migrate_callback_frees_page),
		cmocka_unit_test(test_compaction_check_during_migration),
		cmocka_unit_test(test_migrate_page_freed_by_another_thread),
		cmocka_unit_test(test_migrate_dst_freed_as_callback_returns),
		cmocka_unit_test(test_migrate_pinned_page_not_moved),
		cmocka_unit_test(test_compaction_leaves_thread_cache_alone),
		cmocka_unit_test(test_movable_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
