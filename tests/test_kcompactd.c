/* SPDX-License-Identifier: MIT */
/*
 * test_kcompactd.c - compaction by kcompactd alone (kcompactd.c): a zone
 * filled with movable pages owned through a handle table, every other one
 * freed, then order-9 requests that may not compact themselves (no
 * __GFP_DIRECT_RECLAIM: __alloc_pages_slowpath neither reclaims nor
 * compacts).  Their wakeup_kswapd finds nothing to reclaim and wakes
 * kcompactd (wakeup_kcompactd), which compacts the node in the background;
 * the test polls, with a deadline, until an order-9 request succeeds.
 * Also proactive compaction: a compaction_proactiveness write wakes it for a
 * pass that lowers the node's fragmentation score.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "movable_app.h"
#include "wait.h"

/* Cannot reclaim or compact directly; wakes kswapd (and so kcompactd). */
#define NOCOMPACT_GFP (BZ_GFP_NOWAIT | BZ_GFP_MOVABLE)

struct order9_wait {
	bz_system *sys;
	bz_page *block;
};

/* The condition polled: an order-9 request that does not compact got a block (each try wakes kcompactd again). */
static bool order9_allocated(void *arg)
{
	struct order9_wait *w = arg;

	w->block = bz_alloc_pages(w->sys, NOCOMPACT_GFP, BZ_PAGEBLOCK_ORDER);
	return w->block != NULL;
}

/* kcompactd_do_work() finished a zone: its scanned counts are added when compact_zone returns. */
static bool daemon_pass_counted(void *arg)
{
	return json_counter(arg, "compact_daemon_migrate_scanned") > 0;
}

static bz_system *fragmented(int compaction, int proactiveness)
{
	bz_system *sys = app_system(compaction, proactiveness, NULL);

	app_reset();
	assert_true(app_fill(sys) > APP_ZONE_PAGES * 9 / 10);
	app_free_every_other(sys);
	assert_int_equal(free_order9_blocks(sys), 0);
	return sys;
}

static void test_kcompactd_compacts_for_order9(void **state)
{
	bz_system *sys = fragmented(1, 0);
	struct order9_wait w = { .sys = sys };
	struct bz_zone_stats st;

	(void)state;
	assert_true(wait_for(order9_allocated, &w));
	assert_true(wait_for(daemon_pass_counted, sys));
	print_message("kcompactd: %lu wakes, %lu pages migrated\n", json_counter(sys, "compact_daemon_wake"),
		      json_counter(sys, "pgmigrate_success"));
	assert_true(json_counter(sys, "compact_daemon_wake") >= 1);
	assert_true(json_counter(sys, "pgmigrate_success") > 0);
	assert_true(json_counter(sys, "compact_daemon_free_scanned") > 0);
	assert_true(json_counter(sys, "compact_isolated") >= 2 * json_counter(sys, "pgmigrate_success"));
	/* No request compacted directly. */
	assert_int_equal(json_counter(sys, "compact_stall"), 0);
	assert_int_equal(json_counter(sys, "compact_success") + json_counter(sys, "compact_fail"), 0);
	/* kcompactd may still be at work: each handle holds its owner's reference at least. */
	assert_int_equal(app_verify_refs(false), app.nr / 2);
	assert_int_equal(bz_free_pages(w.block, BZ_PAGEBLOCK_ORDER), 0);
	app_free_all();
	assert_int_equal(bz_drain_all_pages(sys), 0);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_true(st.free <= st.managed);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* The same requests with compaction off: nothing wakes, nothing moves, no order-9 block appears. */
static void test_kcompactd_off_nothing_moves(void **state)
{
	bz_system *sys = fragmented(0, 0);

	(void)state;
	for (int i = 0; i < 16; i++)
		assert_null(bz_alloc_pages(sys, NOCOMPACT_GFP, BZ_PAGEBLOCK_ORDER));
	assert_int_equal(json_counter(sys, "compact_daemon_wake"), 0);
	assert_int_equal(json_counter(sys, "pgmigrate_success"), 0);
	assert_int_equal(app_verify(), app.nr / 2);
	app_free_all();
	bz_system_destroy(sys);
}

/* A proactive pass over the zone ended (its scanned counts are added then) and left a free order-9 block. */
static bool proactive_pass_done(void *arg)
{
	bz_system *sys = arg;

	return json_counter(sys, "compact_daemon_migrate_scanned") > 0 && free_order9_blocks(sys) > 0;
}

/* compaction_proactiveness written above 0 wakes kcompactd for a proactive pass (compact_node, proactive). */
static void test_kcompactd_proactive_pass(void **state)
{
	bz_system *sys = fragmented(1, 0);

	(void)state;
	assert_int_equal(bz_sysctl_set(sys, "compaction_proactiveness", "101"), -EINVAL);
	assert_int_equal(json_counter(sys, "pgmigrate_success"), 0);
	assert_int_equal(bz_sysctl_set(sys, "compaction_proactiveness", "100"), 0);
	assert_true(wait_for(proactive_pass_done, sys));
	assert_true(json_counter(sys, "pgmigrate_success") > 0);
	assert_int_equal(json_counter(sys, "compact_stall"), 0);
	assert_int_equal(bz_sysctl_set(sys, "compaction_proactiveness", "0"), 0);
	assert_int_equal(app_verify_refs(false), app.nr / 2);
	app_free_all();
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kcompactd_compacts_for_order9),
		cmocka_unit_test(test_kcompactd_off_nothing_moves),
		cmocka_unit_test(test_kcompactd_proactive_pass),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
