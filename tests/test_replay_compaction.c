/* SPDX-License-Identifier: MIT */
/*
 * test_replay_compaction.c - bzreplay's replay (tools/replay_run.c,
 * replay_movable.c) of a trace that fragments the model's zone
 * (tests/data/trace-fragmenting.txt.xz, tools/gen_frag_trace.sh): with
 * compaction on, the blocks the trace allocated movable are moved by the
 * library and the replay follows them, so that order-9 requests succeed
 * that fail with compaction off; every traced free finds its block where
 * it now lies (no free the library refuses, no block left over); the
 * samples carry the failures and compaction's counters over time.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "wait.h"
#include "../tools/replay.h"

#define ZONE_PAGES 4096         /* what tools/gen_frag_trace.sh made the trace for */

/* The trace, read once through xz -dc (as bzreplay reads a compressed trace). */
static struct trace *load_trace(void)
{
	static struct trace t;
	const char *dir = getenv("BUDDYZONE_TEST_DATA");
	char cmd[4096];
	FILE *in;

	if (t.nr)
		return &t;
	assert_non_null(dir);
	snprintf(cmd, sizeof(cmd), "xz -dc '%s/trace-fragmenting.txt.xz'", dir);
	in = popen(cmd, "r");
	assert_non_null(in);
	assert_int_equal(trace_read_text(in, "ftrace", &t), 0);
	assert_int_equal(pclose(in), 0);
	trace_finish(&t);
	assert_true(t.nr > 1000);
	return &t;
}

struct outcome {
	unsigned long failed, failed_costly, order9_allocs, marked, moved, bad_frees;
	unsigned long frees_unmatched, frees_of_failed, missed_frees, order_mismatch;
	struct compact_counts cc;       /* the last sample's */
	struct compact_counts cc_end;   /* since the system began, once everything was freed */
	unsigned long pgalloc_bad_free, free_after, managed;
	size_t nr_samples;
	bool samples_monotonic;
};

/* The samples' cumulative counts never go down. */
static bool monotonic(const struct replay *r)
{
	for (size_t k = 1; k < r->nr_samples; k++) {
		const struct sample *a = &r->samples[k - 1], *b = &r->samples[k];

		if (b->failed < a->failed || b->failed_costly < a->failed_costly ||
		    b->cc.pgmigrate_success < a->cc.pgmigrate_success || b->cc.compact_stall < a->cc.compact_stall)
			return false;
	}
	return true;
}

/* Every page of the zone back on the buddy lists (caches drained). */
static bool zone_all_free(void *arg)
{
	bz_system *sys = arg;
	struct bz_zone_stats st = { .size = sizeof(st) };

	return !bz_drain_all_pages(sys) && !bz_zone_stats(sys, 0, BZ_ZONE_DMA32, &st) && st.free == st.managed;
}

/* Replays the trace in policy mode, one thread, with compaction on or off (as bzreplay --compaction). */
static struct outcome replay(int compaction)
{
	const struct trace *t = load_trace();
	struct replay *r = calloc(1, sizeof(*r));
	struct outcome o = { 0 };
	struct bz_config cfg;
	struct bz_zone_stats st;
	char zones[64];

	assert_non_null(r);
	snprintf(zones, sizeof(zones), "0:DMA32=%d", ZONE_PAGES);
	bz_config_init(&cfg);
	cfg.zones = zones;
	cfg.cpus_per_node = 2;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.compaction = compaction;
	assert_int_equal(bz_system_create(&cfg, &r->sys), 0);
	r->mode = MODE_POLICY;
	r->interval_ns = 10000000;
	if (compaction)
		assert_int_equal(movable_begin(r), 0);
	assert_int_equal(replay_run(r, t), 0);

	o.failed = r->model.alloc_failed;
	o.failed_costly = r->model.alloc_failed_costly;
	o.order9_allocs = r->model.alloc[BZ_PAGEBLOCK_ORDER][BZ_MIGRATE_MOVABLE];
	o.marked = r->marked_movable;
	o.frees_unmatched = r->frees_unmatched;
	o.frees_of_failed = r->frees_of_failed;
	o.missed_frees = r->missed_frees;
	o.order_mismatch = r->order_mismatch;
	o.nr_samples = r->nr_samples;
	o.cc = r->samples[r->nr_samples - 1].cc;
	o.samples_monotonic = monotonic(r);
	/* Every block the replay still holds goes back: where it lies now, if it moved. */
	assert_int_equal(replay_release(r), 0);
	o.bad_frees = r->bad_frees;
	o.pgalloc_bad_free = json_counter(r->sys, "pgalloc_bad_free");
	/* kcompactd may still hold free pages it isolated as targets: until its pass ends. */
	(void)wait_for(zone_all_free, r->sys);
	/* Now no page is movable and no pass under way: the callbacks and the counters are final. */
	o.moved = atomic_load(&r->moved);
	assert_int_equal(compact_counts_read(r->sys, &o.cc_end), 0);
	st = zone_stats(r->sys, 0, BZ_ZONE_DMA32);
	o.free_after = st.free;
	o.managed = st.managed;
	bz_system_destroy(r->sys);
	movable_end(r);
	map_free(&r->map);
	free(r->samples);
	free(r->zs);
	free(r);
	print_message("compaction %s: failed %lu (order > 3: %lu), order-9 blocks %lu, marked %lu, moved %lu, "
		      "pgmigrate_success %lu, compact_stall %lu, compact_success %lu\n", compaction ? "on" : "off",
		      o.failed, o.failed_costly, o.order9_allocs, o.marked, o.moved, o.cc.pgmigrate_success,
		      o.cc.compact_stall, o.cc.compact_success);
	return o;
}

/* Whatever compaction did, the replay's accounts add up: each free found its block, all came back. */
static void assert_accounts(const struct outcome *o)
{
	assert_int_equal(o->bad_frees, 0);
	assert_int_equal(o->pgalloc_bad_free, 0);
	assert_int_equal(o->frees_unmatched, 0);
	assert_int_equal(o->missed_frees, 0);
	assert_int_equal(o->order_mismatch, 0);
	assert_int_equal(o->free_after, o->managed);
	assert_true(o->nr_samples > 10);
	assert_true(o->samples_monotonic);
}

static void test_replay_compaction_off_fails_order9(void **state)
{
	struct outcome off = replay(0);

	(void)state;
	assert_accounts(&off);
	/* The trace scatters its movable frees: no order-9 block is left for the THP requests. */
	assert_true(off.failed_costly >= 4);
	assert_int_equal(off.marked, 0);
	assert_int_equal(off.cc.pgmigrate_success, 0);
	assert_int_equal(off.cc.compact_stall, 0);
}

static void test_replay_compaction_on_moves_and_succeeds(void **state)
{
	struct outcome off = replay(0), on = replay(1);

	(void)state;
	assert_accounts(&on);
	assert_true(on.marked > 1000);
	assert_true(on.cc.pgmigrate_success > 0);
	/*
	 * Each block our callback repointed is a page migrated (order 0 only
	 * here); pgmigrate_success also counts pages freed under a migration.
	 */
	assert_true(on.moved > 0);
	assert_true(on.moved <= on.cc_end.pgmigrate_success);
	assert_true(on.failed_costly < off.failed_costly);
	assert_true(on.order9_allocs > off.order9_allocs);
	/* Only order-9 requests can fail here: the rest fit in any zone this size. */
	assert_int_equal(on.failed, on.failed_costly);
	assert_int_equal(off.failed, off.failed_costly);
}

/* The trace up to its first order-9 request: the zone filled, then scattered. */
static struct trace scattered_part(void)
{
	struct trace part = *load_trace();
	size_t n = 0;

	while (n < part.nr && !(part.ev[n].type == EV_ALLOC && part.ev[n].order == BZ_PAGEBLOCK_ORDER))
		n++;
	assert_true(n > 1000 && n < part.nr);
	part.nr = n;
	part.t1_ns = part.ev[n - 1].ts_ns;
	return part;
}

/*
 * compact_memory in the middle of the trace moves the replay's blocks; the
 * map then names each block where it lies (its key in page->private, still
 * movable, only the replay's reference), and freeing them all goes through.
 */
static void test_replay_map_follows_compact_memory(void **state)
{
	struct trace part = scattered_part();
	struct replay *r = calloc(1, sizeof(*r));
	struct bz_config cfg;
	unsigned long checked = 0;
	struct compact_counts cc;

	(void)state;
	assert_non_null(r);
	bz_config_init(&cfg);
	cfg.zones = "0:DMA32=4096";
	cfg.cpus_per_node = 1;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.compaction = 1;
	cfg.compaction_proactiveness = 0;
	assert_int_equal(bz_system_create(&cfg, &r->sys), 0);
	r->mode = MODE_POLICY;
	assert_int_equal(movable_begin(r), 0);
	assert_int_equal(replay_run(r, &part), 0);
	assert_int_equal(bz_drain_all_pages(r->sys), 0);
	/* Synchronous, on this thread: the callbacks have all run when it returns. */
	assert_int_equal(bz_compact(r->sys, -1), 0);
	assert_int_equal(compact_counts_read(r->sys, &cc), 0);
	print_message("compact_memory: %lu blocks moved, pgmigrate_success %lu\n", atomic_load(&r->moved), cc.pgmigrate_success);
	assert_true(r->moved > 100);
	assert_true(r->moved <= cc.pgmigrate_success);
	map_lock(r);
	for (size_t i = 0; i < r->map.size; i++) {
		const struct live *l = &r->map.slot[i];

		if (l->page == LIVE_EMPTY || l->page == LIVE_DELETED || !l->movable)
			continue;
		assert_int_equal(bz_page_private(l->page), l->key);
		assert_int_equal(bz_page_movable(l->page), 1);
		assert_int_equal(bz_page_ref_count(l->page), 1);
		checked++;
	}
	map_unlock(r);
	assert_true(checked > 1000);
	assert_int_equal(replay_release(r), 0);
	assert_int_equal(r->bad_frees, 0);
	assert_int_equal(json_counter(r->sys, "pgalloc_bad_free"), 0);
	assert_true(zone_all_free(r->sys));
	bz_system_destroy(r->sys);
	movable_end(r);
	map_free(&r->map);
	free(r->samples);
	free(r->zs);
	free(r);
}

/* One replay at a time owns the callbacks; the second is refused, and the first's end frees the place. */
static void test_replay_movable_one_owner(void **state)
{
	struct replay a = { 0 }, b = { 0 };

	(void)state;
	assert_int_equal(movable_begin(&a), 0);
	assert_int_equal(movable_begin(&b), -EBUSY);
	assert_false(b.movable);
	movable_end(&a);
	assert_int_equal(movable_begin(&b), 0);
	movable_end(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_compaction_off_fails_order9),
		cmocka_unit_test(test_replay_compaction_on_moves_and_succeeds),
		cmocka_unit_test(test_replay_map_follows_compact_memory),
		cmocka_unit_test(test_replay_movable_one_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
