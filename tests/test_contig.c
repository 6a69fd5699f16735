/* SPDX-License-Identifier: MIT */
/*
 * test_contig.c - contiguous ranges over movable memory (contig_alloc.c,
 * page_isolation.c): bz_alloc_contig_range over a zone full of movable
 * pages owned through a handle table moves them out and hands out exactly
 * the range, every handle still reading its own data; a pinned or
 * unmovable page fails it with -EBUSY and leaves everything as it was;
 * bz_alloc_contig_pages finds aligned candidates; bad sizes and misuse of
 * bz_free_contig_range are refused; and allocating threads never get a
 * page of a range while another thread holds it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "movable_app.h"

#define RANGE_PAGES 1024ul      /* two pageblocks */

static struct log_catch lc;

static unsigned long zone_start(bz_system *sys)
{
	return zone_stats(sys, 0, BZ_ZONE_NORMAL).start_pfn;
}

/* A zone full of movable pages, every other one freed: half the zone free as targets, no block above order 0. */
static bz_system *half_full(void)
{
	bz_system *sys = app_system(0, 0, &lc);

	app_reset();
	assert_true(app_fill(sys) > APP_ZONE_PAGES * 9 / 10);
	app_free_every_other(sys);
	assert_int_equal(bz_check(sys), 0);
	log_catch_reset(&lc);
	return sys;
}

/* Handles whose page lies in [start, end). */
static size_t handles_in(unsigned long start, unsigned long end)
{
	size_t n = 0;

	pthread_mutex_lock(&app.lock);
	for (size_t id = 0; id < app.nr; id++) {
		unsigned long pfn;

		if (!app.handle[id])
			continue;
		pfn = bz_page_to_pfn(app.handle[id]);
		n += pfn >= start && pfn < end;
	}
	pthread_mutex_unlock(&app.lock);
	return n;
}

/* The first live handle whose page lies in [start, end). */
static size_t handle_in(unsigned long start, unsigned long end)
{
	for (size_t id = 0; id < app.nr; id++) {
		unsigned long pfn;

		if (!app.handle[id])
			continue;
		pfn = bz_page_to_pfn(app.handle[id]);
		if (pfn >= start && pfn < end)
			return id;
	}
	fail_msg("no handle in pfns %#lx-%#lx", start, end);
	return 0;
}

/* Free pages counted for watermarks, after draining: what isolation takes away and undo gives back. */
static unsigned long free_pages(bz_system *sys)
{
	assert_int_equal(bz_drain_all_pages(sys), 0);
	return zone_stats(sys, 0, BZ_ZONE_NORMAL).free;
}


/* ---- alloc_contig_range ----------------------------------------------------------------------- */

static void test_contig_range_moves_movable_pages(void **state)
{
	bz_system *sys = half_full();
	unsigned long start = zone_start(sys) + 4 * RANGE_PAGES, end = start + RANGE_PAGES;
	size_t live = app_verify();
	unsigned long before = free_pages(sys);

	(void)state;
	assert_true(handles_in(start, end) > RANGE_PAGES / 4);
	assert_int_equal(bz_alloc_contig_range(sys, start, end, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL | BZ_GFP_ZERO), 0);
	/* Every handle still reads its own data, none inside the range; the moves were counted. */
	assert_int_equal(app_verify(), live);
	assert_int_equal(handles_in(start, end), 0);
	assert_true(json_counter(sys, "pgmigrate_success") >= RANGE_PAGES / 4);
	/* The range is the caller's: order-0 pages, one reference each, zeroed as asked. */
	for (unsigned long pfn = start; pfn < end; pfn++) {
		bz_page *page = bz_pfn_to_page(sys, pfn);
		const unsigned char *b = bz_page_address(page);

		assert_int_equal(bz_page_ref_count(page), 1);
		assert_true(b[0] == 0 && b[BZ_PAGE_SIZE - 1] == 0);
		memset(bz_page_address(page), 0x5a, BZ_PAGE_SIZE);
	}
	assert_int_equal(bz_check(sys), 0);
	/* Isolation undone: every free page counts again (RANGE_PAGES fewer: the caller has them). */
	assert_int_equal(free_pages(sys), before - RANGE_PAGES);
	assert_int_equal(bz_free_contig_range(sys, start, RANGE_PAGES), 0);
	assert_int_equal(free_pages(sys), before);
	assert_int_equal(app_verify(), live);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* An unaligned range inside one pageblock, over free and movable pages alike. */
static void test_contig_range_unaligned(void **state)
{
	bz_system *sys = half_full();
	unsigned long start = zone_start(sys) + 3 * RANGE_PAGES + 7, end = start + 100;
	size_t live = app_verify();

	(void)state;
	assert_int_equal(bz_alloc_contig_range(sys, start, end, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), 0);
	assert_int_equal(handles_in(start, end), 0);
	assert_int_equal(app_verify(), live);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(bz_free_contig_range(sys, start, end - start), 0);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* A page with a reference beyond its owner's cannot move: -EBUSY, the rest as it was. */
static void test_contig_range_pinned_page_ebusy(void **state)
{
	bz_system *sys = half_full();
	unsigned long start = zone_start(sys) + 2 * RANGE_PAGES, end = start + RANGE_PAGES;
	size_t live = app_verify(), pinned = handle_in(start, end);
	unsigned long before = free_pages(sys);
	bz_page *page = app.handle[pinned];

	(void)state;
	assert_int_equal(bz_get_page(page), 0);
	assert_int_equal(bz_alloc_contig_range(sys, start, end, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), -EBUSY);
	/* The pinned page stayed, with its data; the isolation is undone; nothing was handed out. */
	assert_ptr_equal(app.handle[pinned], page);
	assert_int_equal(bz_page_ref_count(page), 2);
	assert_int_equal(bz_put_page(page), 0);
	assert_int_equal(app_verify(), live);
	assert_int_equal(free_pages(sys), before);
	assert_int_equal(bz_check(sys), 0);
	/* The pin gone, the same range can be had. */
	assert_int_equal(bz_alloc_contig_range(sys, start, end, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), 0);
	assert_int_equal(bz_free_contig_range(sys, start, RANGE_PAGES), 0);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* A page in use and not movable fails isolation itself: -EBUSY before anything moves. */
static void test_contig_range_unmovable_page_ebusy(void **state)
{
	bz_system *sys = half_full();
	unsigned long start = zone_start(sys) + 6 * RANGE_PAGES, end = start + RANGE_PAGES;
	size_t live = app_verify(), id = handle_in(start, end);
	unsigned long before = free_pages(sys), moved = json_counter(sys, "pgmigrate_success");

	(void)state;
	assert_int_equal(bz_clear_page_movable(app.handle[id]), 0);
	assert_int_equal(bz_alloc_contig_range(sys, start, end, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), -EBUSY);
	assert_int_equal(json_counter(sys, "pgmigrate_success"), moved);
	assert_int_equal(bz_set_page_movable(app.handle[id], &app_ops), 0);
	assert_int_equal(app_verify(), live);
	assert_int_equal(free_pages(sys), before);
	assert_int_equal(bz_check(sys), 0);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* The owner's callback refuses every move: -EBUSY after the retries, every page where it was. */
static void test_contig_range_callback_refuses(void **state)
{
	bz_system *sys = half_full();
	unsigned long start = zone_start(sys) + 5 * RANGE_PAGES, end = start + RANGE_PAGES;
	size_t live = app_verify(), inside = handles_in(start, end);

	(void)state;
	app.migrate_ret = -EIO;
	assert_int_equal(bz_alloc_contig_range(sys, start, end, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), -EBUSY);
	assert_int_equal(handles_in(start, end), inside);
	assert_true(app.putbacks > 0);
	app.migrate_ret = 0;
	assert_int_equal(app_verify(), live);
	assert_int_equal(bz_check(sys), 0);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/* Debug mode: poisoned and guarded pages move, the range is handed out unpoisoned, nothing corrupt. */
static void test_contig_range_debug_mode(void **state)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	unsigned long start, end;
	size_t live;

	(void)state;
	bz_config_init(&cfg);
	cfg.zones = "0:Normal=16384";
	cfg.cpus_per_node = 1;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.debug = BZ_DEBUG_POISON | BZ_DEBUG_GUARD | BZ_DEBUG_CHECK;
	cfg.debug_check_interval = 997;
	/* As app_system(0, 0): no kcompactd moving pages (and holding references) beside the test. */
	cfg.compaction = 0;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	app_reset();
	app_fill(sys);
	app_free_every_other(sys);
	live = app_verify();
	log_catch_reset(&lc);
	start = zone_start(sys) + 7 * RANGE_PAGES;
	end = start + RANGE_PAGES;
	assert_int_equal(bz_alloc_contig_range(sys, start, end, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), 0);
	for (unsigned long pfn = start; pfn < end; pfn++)
		memset(bz_page_address(bz_pfn_to_page(sys, pfn)), 0x3c, BZ_PAGE_SIZE);
	assert_int_equal(handles_in(start, end), 0);
	assert_int_equal(app_verify(), live);
	assert_int_equal(bz_free_contig_range(sys, start, RANGE_PAGES), 0);
	assert_int_equal(json_counter(sys, "pagealloc_corruption"), 0);
	assert_int_equal(json_counter(sys, "debug_check_fail"), 0);
	assert_int_equal(lc.count, 0);
	app_assert_all_back(sys);
	bz_system_destroy(sys);
}

/*
 * ZONE_MOVABLE: isolation takes every page in use for movable
 * (has_unmovable_pages), so a page that cannot move is found by the
 * migration and test_pages_isolated: -EBUSY all the same, nothing lost;
 * once it is marked movable, the range can be had.
 */
static void test_contig_movable_zone_unmovable_page_ebusy(void **state)
{
	bz_system *sys = make_system("0:Normal=8192,0:Movable=8192", 1, &lc);
	unsigned long start = zone_stats(sys, 0, BZ_ZONE_MOVABLE).start_pfn + RANGE_PAGES, end = start + RANGE_PAGES;
	bz_page *page = bz_take_free_block(sys, start + 100, 0, BZ_MIGRATE_MOVABLE);
	unsigned long before;

	(void)state;
	assert_non_null(page);
	memset(bz_page_address(page), 0x77, BZ_PAGE_SIZE);
	before = zone_stats(sys, 0, BZ_ZONE_MOVABLE).free;
	assert_int_equal(bz_alloc_contig_range(sys, start, end, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), -EBUSY);
	assert_ptr_equal(bz_pfn_to_page(sys, start + 100), page);
	assert_int_equal(bz_page_ref_count(page), 1);
	assert_int_equal(((unsigned char *)bz_page_address(page))[9], 0x77);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_MOVABLE).free, before);
	assert_int_equal(bz_check(sys), 0);
	/* Marked movable, it moves out of the way (the library copies it). */
	assert_int_equal(bz_set_page_movable(page, &app_ops), 0);
	app_reset();
	app.handle[0] = page;
	app.nr = 1;
	assert_int_equal(bz_set_page_private(page, 0), 0);
	assert_int_equal(bz_alloc_contig_range(sys, start, end, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), 0);
	assert_true(bz_page_to_pfn(app.handle[0]) < start || bz_page_to_pfn(app.handle[0]) >= end);
	assert_int_equal(((unsigned char *)bz_page_address(app.handle[0]))[9], 0x77);
	assert_int_equal(bz_free_contig_range(sys, start, RANGE_PAGES), 0);
	app_free_all();
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* ---- alloc_contig_pages ----------------------------------------------------------------------- */

static void test_contig_pages_aligned_first_fit(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 1, &lc);
	bz_page *a, *b;

	(void)state;
	a = bz_alloc_contig_pages(sys, RANGE_PAGES, BZ_GFP_KERNEL, 0, NULL);
	b = bz_alloc_contig_pages(sys, 3, BZ_GFP_KERNEL, -1, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(bz_page_to_pfn(a) % RANGE_PAGES, 0);
	assert_int_equal(bz_page_to_pfn(a), zone_start(sys));
	assert_true(bz_page_to_pfn(b) >= zone_start(sys) + RANGE_PAGES);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(bz_free_contig_range(sys, bz_page_to_pfn(a), RANGE_PAGES), 0);
	assert_int_equal(bz_free_contig_range(sys, bz_page_to_pfn(b), 3), 0);
	assert_int_equal(free_pages(sys), zone_stats(sys, 0, BZ_ZONE_NORMAL).managed);
	bz_system_destroy(sys);
}

/* Every candidate holds an unmovable page: NULL, and nothing changed. */
static void test_contig_pages_unmovable_zone_null(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 1, &lc);
	unsigned long stride = 256, start = zone_start(sys), before;
	bz_page *held[64];
	int n = 0;

	(void)state;
	/* One unmovable page in every 256-page stretch: exact allocations pin them in place. */
	for (unsigned long pfn = start; pfn < start + 16384; pfn += stride) {
		held[n] = bz_take_free_block(sys, pfn, 0, BZ_MIGRATE_UNMOVABLE);
		assert_non_null(held[n]);
		n++;
	}
	before = free_pages(sys);
	assert_null(bz_alloc_contig_pages(sys, stride, BZ_GFP_KERNEL, 0, NULL));
	assert_int_equal(free_pages(sys), before);
	assert_int_equal(bz_check(sys), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(bz_free_pages(held[i], 0), 0);
	bz_system_destroy(sys);
}

/* ---- bad input -------------------------------------------------------------------------------- */

static void test_contig_bad_input_rejected(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 1, &lc);
	unsigned long start = zone_start(sys), before = free_pages(sys);
	unsigned long nodes = 1;

	(void)state;
	assert_int_equal(bz_alloc_contig_range(sys, start + 8, start + 8, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), -EINVAL);
	assert_int_equal(bz_alloc_contig_range(sys, start + 9, start + 8, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), -EINVAL);
	assert_int_equal(bz_alloc_contig_range(sys, start, start + 16385, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), -EINVAL);
	assert_int_equal(bz_alloc_contig_range(sys, ~0ul - 4, ~0ul, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL), -EINVAL);
	assert_int_equal(bz_alloc_contig_range(sys, start, start + 8, BZ_MIGRATE_UNMOVABLE, BZ_GFP_KERNEL), -EINVAL);
	assert_int_equal(bz_alloc_contig_range(sys, start, start + 8, BZ_MIGRATE_MOVABLE, BZ_GFP_KERNEL | BZ_GFP_COMP),
			 -EINVAL);
	assert_non_null(strstr(lc.all, "alloc_contig_range"));
	assert_null(bz_alloc_contig_pages(sys, 0, BZ_GFP_KERNEL, 0, NULL));
	assert_null(bz_alloc_contig_pages(sys, ~0ul, BZ_GFP_KERNEL, 0, NULL));
	assert_null(bz_alloc_contig_pages(sys, 17000, BZ_GFP_KERNEL, 0, NULL));    /* larger than any zone */
	assert_null(bz_alloc_contig_pages(sys, 8, BZ_GFP_KERNEL, 7, NULL));
	assert_null(bz_alloc_contig_pages(sys, 8, BZ_GFP_KERNEL | BZ_GFP_COMP, 0, NULL));
	nodes = 0;
	assert_null(bz_alloc_contig_pages(sys, 8, BZ_GFP_KERNEL, 0, &nodes));       /* no node allowed */
	assert_int_equal(free_pages(sys), before);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* free_contig_range misuse: refused whole, nothing freed. */
static void test_contig_free_misuse_rejected(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 1, &lc);
	bz_page *page = bz_alloc_contig_pages(sys, 4, BZ_GFP_KERNEL, 0, NULL), *block;
	unsigned long pfn, before;

	(void)state;
	assert_non_null(page);
	pfn = bz_page_to_pfn(page);
	before = free_pages(sys);
	assert_int_equal(bz_free_contig_range(sys, pfn, 0), -EINVAL);
	assert_int_equal(bz_free_contig_range(sys, ~0ul - 1, 4), -EINVAL);
	assert_int_equal(bz_free_contig_range(sys, pfn, ~0ul), -EINVAL);
	/* Four allocated pages then free ones: the first four stay allocated. */
	assert_int_equal(bz_free_contig_range(sys, pfn, 8), -EINVAL);
	assert_int_equal(bz_page_ref_count(page), 1);
	assert_int_equal(free_pages(sys), before);
	/* A page of a larger block is not an order-0 page. */
	block = bz_alloc_pages(sys, BZ_GFP_KERNEL, 2);
	assert_non_null(block);
	assert_int_equal(bz_free_contig_range(sys, bz_page_to_pfn(block), 4), -EINVAL);
	assert_int_equal(bz_free_pages(block, 2), 0);
	assert_non_null(strstr(lc.all, "free_contig_range"));
	/* A page someone else still references: freed of ours, reported, kept by theirs. */
	assert_int_equal(bz_get_page(page), 0);
	log_catch_reset(&lc);
	assert_int_equal(bz_free_contig_range(sys, pfn, 4), 0);
	assert_non_null(strstr(lc.all, "1 pages are still in use!"));
	assert_int_equal(bz_page_ref_count(page), 1);
	assert_int_equal(bz_put_page(page), 1);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(json_counter(sys, "pgalloc_bad_free"), 0);
	bz_system_destroy(sys);
}

/* ---- concurrent allocators ------------------------------------------------------------------ */

#define WORKERS 2
#define MAIN_ROUNDS 200

struct race {
	bz_system *sys;
	unsigned long start, end;
	_Atomic bool stop;
	_Atomic bool held;              /* the main thread holds [start, end) */
	_Atomic unsigned long violations, corrupt, allocs;
};

/* Allocates and frees small blocks without reclaim, each patterned; any page of a held range is a failure. */
static void *race_worker(void *arg)
{
	struct race *r = arg;
	unsigned seed = 1;

	while (!atomic_load(&r->stop)) {
		unsigned order = (seed = seed * 1103515245u + 12345u) >> 16 & 3;
		bz_page *page = bz_alloc_pages(r->sys, BZ_GFP_NOWAIT, order);
		unsigned long pfn;
		uint64_t *w;

		if (!page)
			continue;
		r->allocs++;
		pfn = bz_page_to_pfn(page);
		if (pfn + (1ul << order) > r->start && pfn < r->end && atomic_load(&r->held))
			r->violations++;
		w = bz_page_address(page);
		for (size_t i = 0; i < (BZ_PAGE_SIZE << order) / sizeof(*w); i++)
			w[i] = pfn ^ i;
		for (size_t i = 0; i < (BZ_PAGE_SIZE << order) / sizeof(*w); i++)
			if (w[i] != (pfn ^ i))
				r->corrupt++;
		if (bz_free_pages(page, order))
			r->corrupt++;
	}
	return NULL;
}

static void test_contig_isolated_never_handed_out(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 1, &lc);
	struct race r = { .sys = sys };
	pthread_t th[WORKERS];
	unsigned long got = 0;

	(void)state;
	r.start = zone_start(sys) + 8 * RANGE_PAGES;
	r.end = r.start + RANGE_PAGES;
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_worker, &r), 0);
	for (int round = 0; round < MAIN_ROUNDS; round++) {
		int ret = bz_alloc_contig_range(sys, r.start, r.end, BZ_MIGRATE_MOVABLE, BZ_GFP_NOWAIT);
		bool intact = true;

		if (ret) {
			assert_int_equal(ret, -EBUSY);  /* a worker had a page of it */
			continue;
		}
		got++;
		atomic_store(&r.held, true);
		for (unsigned long pfn = r.start; pfn < r.end; pfn++)
			memset(bz_page_address(bz_pfn_to_page(sys, pfn)), (int)(pfn & 0xff), BZ_PAGE_SIZE);
		for (unsigned long pfn = r.start; pfn < r.end; pfn++) {
			const unsigned char *b = bz_page_address(bz_pfn_to_page(sys, pfn));

			intact &= b[0] == (pfn & 0xff) && b[BZ_PAGE_SIZE - 1] == (pfn & 0xff);
		}
		atomic_store(&r.held, false);
		assert_true(intact);
		assert_int_equal(bz_free_contig_range(sys, r.start, RANGE_PAGES), 0);
	}
	atomic_store(&r.stop, true);
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_true(got > 0);
	assert_true(r.allocs > 0);
	assert_int_equal(r.violations, 0);
	assert_int_equal(r.corrupt, 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(free_pages(sys), zone_stats(sys, 0, BZ_ZONE_NORMAL).managed);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contig_range_moves_movable_pages),
		cmocka_unit_test(test_contig_range_unaligned),
		cmocka_unit_test(test_contig_range_pinned_page_ebusy),
		cmocka_unit_test(test_contig_range_unmovable_page_ebusy),
		cmocka_unit_test(test_contig_range_callback_refuses),
		cmocka_unit_test(test_contig_range_debug_mode),
		cmocka_unit_test(test_contig_movable_zone_unmovable_page_ebusy),
		cmocka_unit_test(test_contig_pages_aligned_first_fit),
		cmocka_unit_test(test_contig_pages_unmovable_zone_null),
		cmocka_unit_test(test_contig_bad_input_rejected),
		cmocka_unit_test(test_contig_free_misuse_rejected),
		cmocka_unit_test(test_contig_isolated_never_handed_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
