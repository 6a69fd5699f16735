/* SPDX-License-Identifier: MIT */
/*
 * test_memory_remove.c - memory offline (memory_offline.c), the reverse of
 * bz_memory_add: the zone's last pages, full of movable pages owned
 * through a handle table, are migrated out and leave the zone, which
 * shrinks (spanned, present, managed, the node's, the watermarks), every
 * handle still reading its own data; a pinned or unmovable page fails it
 * with -EBUSY and everything stays as it was; bad requests are refused;
 * memory removed can be added back.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "movable_app.h"

#define REMOVE_PAGES 2048ul     /* four pageblocks */

static struct log_catch lc;

/* A zone full of movable pages, every other one freed: room to move the last pages' into. */
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

static struct bz_zone_stats normal(bz_system *sys)
{
	assert_int_equal(bz_drain_all_pages(sys), 0);
	return zone_stats(sys, 0, BZ_ZONE_NORMAL);
}

static size_t handles_from(unsigned long start)
{
	size_t n = 0;

	for (size_t id = 0; id < app.nr; id++)
		n += app.handle[id] && bz_page_to_pfn(app.handle[id]) >= start;
	return n;
}

static size_t handle_from(unsigned long start)
{
	for (size_t id = 0; id < app.nr; id++)
		if (app.handle[id] && bz_page_to_pfn(app.handle[id]) >= start)
			return id;
	fail_msg("no handle from pfn %#lx", start);
	return 0;
}

static void assert_unchanged(bz_system *sys, const struct bz_zone_stats *before, size_t live)
{
	struct bz_zone_stats st = normal(sys);

	assert_int_equal(st.spanned, before->spanned);
	assert_int_equal(st.present, before->present);
	assert_int_equal(st.managed, before->managed);
	assert_int_equal(st.free, before->free);
	assert_int_equal(st.wmark_min, before->wmark_min);
	assert_int_equal(app_verify(), live);
	assert_int_equal(bz_check(sys), 0);
}

static void test_memory_remove_moves_and_shrinks(void **state)
{
	bz_system *sys = half_full();
	struct bz_zone_stats before = normal(sys), st;
	unsigned long end = before.start_pfn + before.spanned, cut = end - REMOVE_PAGES;
	size_t live = app_verify();

	(void)state;
	assert_int_equal(before.spanned, before.managed);
	assert_true(handles_from(cut) > REMOVE_PAGES / 4);
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, REMOVE_PAGES), 0);
	assert_non_null(strstr(lc.all, "memory remove: node 0 Normal: 2048 pages offline"));
	st = normal(sys);
	assert_int_equal(st.spanned, before.spanned - REMOVE_PAGES);
	assert_int_equal(st.present, before.present - REMOVE_PAGES);
	assert_int_equal(st.managed, before.managed - REMOVE_PAGES);
	assert_int_equal(st.start_pfn, before.start_pfn);
	/* The free pages of the range went with it; the movable ones moved into free pages below. */
	assert_int_equal(st.free, before.free - REMOVE_PAGES);
	assert_true(st.wmark_min < before.wmark_min);
	assert_int_equal(handles_from(cut), 0);
	assert_int_equal(app_verify(), live);
	assert_null(bz_pfn_to_page(sys, cut));
	assert_true(json_counter(sys, "pgmigrate_success") > REMOVE_PAGES / 4);
	assert_int_equal(bz_check(sys), 0);
	/* Added back, the zone is whole again and every page of it can be had. */
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, REMOVE_PAGES), 0);
	st = normal(sys);
	assert_int_equal(st.spanned, before.spanned);
	assert_int_equal(st.managed, before.managed);
	assert_int_equal(st.free, before.free);
	assert_int_equal(bz_check(sys), 0);
	app_free_all();
	st = normal(sys);
	assert_int_equal(st.free, st.managed);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* A page pinned by a second reference cannot move: -EBUSY, nothing lost, the isolation undone. */
static void test_memory_remove_pinned_page_restores(void **state)
{
	bz_system *sys = half_full();
	struct bz_zone_stats before = normal(sys);
	unsigned long cut = before.start_pfn + before.spanned - REMOVE_PAGES;
	size_t live = app_verify(), id = handle_from(cut);
	bz_page *page = app.handle[id];

	(void)state;
	assert_int_equal(bz_get_page(page), 0);
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, REMOVE_PAGES), -EBUSY);
	assert_non_null(strstr(lc.all, "would not move"));
	assert_ptr_equal(app.handle[id], page);
	assert_int_equal(bz_put_page(page), 0);
	/* The other pages may have moved (as the kernel's), but the zone and every handle are as they were. */
	assert_unchanged(sys, &before, live);
	/* Unpinned, it goes. */
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, REMOVE_PAGES), 0);
	assert_int_equal(app_verify(), live);
	app_free_all();
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* A page in use and not movable keeps its pageblock from isolation: -EBUSY before anything moves. */
static void test_memory_remove_unmovable_page_restores(void **state)
{
	bz_system *sys = half_full();
	struct bz_zone_stats before = normal(sys);
	unsigned long cut = before.start_pfn + before.spanned - REMOVE_PAGES;
	unsigned long moved = json_counter(sys, "pgmigrate_success");
	size_t live = app_verify(), id = handle_from(cut);

	(void)state;
	assert_int_equal(bz_clear_page_movable(app.handle[id]), 0);
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, REMOVE_PAGES), -EBUSY);
	assert_non_null(strstr(lc.all, "failure to isolate range"));
	assert_non_null(strstr(lc.all, "in use and not movable"));
	assert_int_equal(json_counter(sys, "pgmigrate_success"), moved);
	assert_int_equal(bz_set_page_movable(app.handle[id], &app_ops), 0);
	assert_unchanged(sys, &before, live);
	app_free_all();
	bz_system_destroy(sys);
}

static void test_memory_remove_bad_input_rejected(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 1, &lc);
	struct bz_zone_stats before = normal(sys);

	(void)state;
	assert_int_equal(bz_memory_remove(sys, 1, BZ_ZONE_NORMAL, 512), -EINVAL);
	assert_int_equal(bz_memory_remove(sys, -1, BZ_ZONE_NORMAL, 512), -EINVAL);
	assert_int_equal(bz_memory_remove(sys, 0, -1, 512), -EINVAL);
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_DEVICE, 512), -EINVAL);
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, 0), -EINVAL);
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, ~0ul), -EINVAL);
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, 16385), -EINVAL);
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, 100), -EINVAL);       /* not whole pageblocks */
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_DMA, 512), -EINVAL);          /* no memory there */
	assert_non_null(strstr(lc.all, "memory remove"));
	assert_unchanged(sys, &before, 0);
	bz_system_destroy(sys);
}

/* Every page of a zone removed: the zone is empty, and allocations go on elsewhere or fail cleanly. */
static void test_memory_remove_whole_zone(void **state)
{
	bz_system *sys = make_system("0:DMA32=4096,0:Normal=8192", 1, &lc);
	struct bz_zone_stats st;
	bz_page *page;

	(void)state;
	assert_int_equal(bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, 8192), 0);
	st = normal(sys);
	assert_int_equal(st.present, 0);
	assert_int_equal(st.managed, 0);
	assert_int_equal(st.spanned, 0);
	assert_int_equal(bz_check(sys), 0);
	page = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
	assert_non_null(page);
	assert_int_equal(bz_page_zonenum(page), BZ_ZONE_DMA32);
	assert_int_equal(bz_free_pages(page, 0), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* ---- concurrent allocators ------------------------------------------------------------------ */

#define WORKERS 2
#define ROUNDS 40

struct race {
	bz_system *sys;
	unsigned long cut;
	_Atomic bool stop;
	_Atomic bool removed;           /* [cut, end) is out of the zone */
	_Atomic unsigned long violations, failures, allocs;
};

/* Small blocks without reclaim; a page of the removed range, or a failed free, is recorded. */
static void *race_worker(void *arg)
{
	struct race *r = arg;
	unsigned seed = 7;

	while (!atomic_load(&r->stop)) {
		unsigned order = (seed = seed * 1103515245u + 12345u) >> 16 & 3;
		bz_page *page = bz_alloc_pages(r->sys, BZ_GFP_NOWAIT, order);

		if (!page)
			continue;
		r->allocs++;
		if (bz_page_to_pfn(page) + (1ul << order) > r->cut && atomic_load(&r->removed))
			r->violations++;
		memset(bz_page_address(page), 0xee, BZ_PAGE_SIZE << order);
		if (bz_free_pages(page, order))
			r->failures++;
	}
	return NULL;
}

/* Remove and add back while other threads allocate: no page of removed memory is ever handed out. */
static void test_memory_remove_with_allocators(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 2, &lc);
	struct bz_zone_stats before = normal(sys);
	struct race r = { .sys = sys, .cut = before.start_pfn + before.spanned - REMOVE_PAGES };
	pthread_t th[WORKERS];
	int removed = 0;

	(void)state;
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_worker, &r), 0);
	for (int round = 0; round < ROUNDS; round++) {
		int ret = bz_memory_remove(sys, 0, BZ_ZONE_NORMAL, REMOVE_PAGES);

		if (ret) {
			assert_int_equal(ret, -EBUSY);  /* a worker held a page of it */
			continue;
		}
		removed++;
		atomic_store(&r.removed, true);
		/* Progress, not time: the workers allocate a few dozen blocks while the range is out. */
		for (unsigned long a0 = r.allocs; r.allocs < a0 + 64;)
			sched_yield();
		atomic_store(&r.removed, false);
		assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, REMOVE_PAGES), 0);
	}
	atomic_store(&r.stop, true);
	for (int i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_true(removed > 0);
	assert_true(r.allocs > 0);
	assert_int_equal(r.violations, 0);
	assert_int_equal(r.failures, 0);
	/* Back whole (watermarks may differ: min_free_kbytes follows nr_free_buffer_pages, which reads them). */
	assert_int_equal(normal(sys).managed, before.managed);
	assert_int_equal(normal(sys).spanned, before.spanned);
	assert_int_equal(normal(sys).free, before.free);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_remove_moves_and_shrinks),
		cmocka_unit_test(test_memory_remove_pinned_page_restores),
		cmocka_unit_test(test_memory_remove_unmovable_page_restores),
		cmocka_unit_test(test_memory_remove_bad_input_rejected),
		cmocka_unit_test(test_memory_remove_whole_zone),
		cmocka_unit_test(test_memory_remove_with_allocators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
