/* SPDX-License-Identifier: MIT */
/*
 * test_contig_check.c - MIGRATE_ISOLATE pageblocks from inside
 * (page_isolation.c) and what bz_check says of them: an isolated
 * pageblock's free pages leave NR_FREE_PAGES and are never handed out,
 * pages freed into it stay isolated, undo gives everything back merged;
 * a second isolation of a pageblock is refused; and bz_check reports an
 * nr_isolate_pageblock that disagrees with the pageblocks.  White-box: it
 * calls the isolation functions and breaks the count on purpose.
 */
#include <errno.h>
#include <stdlib.h>

#include "common.h"
#include "page_isolation.h"

static struct log_catch lc;

static struct bz_zone *normal_zone(bz_system *sys)
{
	return &sys->nodes[0]->zones[BZ_ZONE_NORMAL];
}

static long nr_free(bz_system *sys)
{
	assert_int_equal(bz_drain_all_pages(sys), 0);
	return zone_page_state(normal_zone(sys), NR_FREE_PAGES);
}

static void test_isolate_free_pages_leave_nr_free(void **state)
{
	bz_system *sys = make_system("0:Normal=8192", 1, &lc);
	struct bz_zone *z = normal_zone(sys);
	unsigned long block = z->zone_start_pfn + 4 * PAGEBLOCK_NR_PAGES;
	long before = nr_free(sys);
	bz_page *pages[8192];
	int n = 0;

	(void)state;
	assert_int_equal(bz__start_isolate_page_range(z, block, block + PAGEBLOCK_NR_PAGES, BZ_MIGRATE_MOVABLE, 0), 0);
	assert_int_equal(z->nr_isolate_pageblock, 1);
	assert_int_equal(nr_free(sys), before - (long)PAGEBLOCK_NR_PAGES);
	assert_int_equal(bz__test_pages_isolated(z, block, block + PAGEBLOCK_NR_PAGES, 0), 0);
	assert_int_equal(bz_check(sys), 0);
	/* A second isolation of the same pageblock: refused, the first one kept. */
	assert_int_equal(bz__start_isolate_page_range(z, block, block + 1, BZ_MIGRATE_MOVABLE, 0), -EBUSY);
	assert_int_equal(z->nr_isolate_pageblock, 1);
	/* Everything an allocation can have: none of it from the isolated pageblock. */
	while (n < 8192 && (pages[n] = bz_alloc_pages(sys, BZ_GFP_ATOMIC | BZ_GFP_HIGH, 0))) {
		unsigned long pfn = bz_page_to_pfn(pages[n]);

		assert_false(pfn >= block && pfn < block + PAGEBLOCK_NR_PAGES);
		n++;
	}
	assert_true(n > 4096);
	while (n--)
		assert_int_equal(bz_free_pages(pages[n], 0), 0);
	bz__undo_isolate_page_range(z, block, block + PAGEBLOCK_NR_PAGES, BZ_MIGRATE_MOVABLE);
	assert_int_equal(z->nr_isolate_pageblock, 0);
	assert_int_equal(nr_free(sys), before);
	/* Merged back: max-order blocks again over the whole zone. */
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).nr_free[BZ_MAX_ORDER], 8192 >> BZ_MAX_ORDER);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* A page in use outside the range asked for does not stop isolation; freed, it stays isolated. */
static void test_isolate_freed_into_block_stays_isolated(void **state)
{
	bz_system *sys = make_system("0:Normal=8192", 1, &lc);
	struct bz_zone *z = normal_zone(sys);
	unsigned long block = z->zone_start_pfn + 2 * PAGEBLOCK_NR_PAGES;
	bz_page *page = bz_take_free_block(sys, block + 5, 0, BZ_MIGRATE_UNMOVABLE);
	long before;

	(void)state;
	assert_non_null(page);
	before = nr_free(sys);
	/* The whole pageblock asked for: the unmovable page refuses it. */
	assert_int_equal(bz__start_isolate_page_range(z, block, block + PAGEBLOCK_NR_PAGES, BZ_MIGRATE_MOVABLE,
						      REPORT_FAILURE), -EBUSY);
	assert_non_null(strstr(lc.all, "in use and not movable"));
	assert_int_equal(z->nr_isolate_pageblock, 0);
	assert_int_equal(nr_free(sys), before);
	/* Only the pages after it asked for: isolated, the page still in use. */
	assert_int_equal(bz__start_isolate_page_range(z, block + 6, block + 64, BZ_MIGRATE_MOVABLE, 0), 0);
	assert_int_equal(nr_free(sys), before - (long)PAGEBLOCK_NR_PAGES + 1);
	assert_int_equal(bz__test_pages_isolated(z, block, block + PAGEBLOCK_NR_PAGES, 0), -EBUSY);
	assert_int_equal(bz_free_pages(page, 0), 0);
	/* It went to the isolate lists, not the thread's cache nor NR_FREE_PAGES. */
	assert_int_equal(nr_free(sys), before - (long)PAGEBLOCK_NR_PAGES + 1);
	assert_int_equal(bz__test_pages_isolated(z, block, block + PAGEBLOCK_NR_PAGES, 0), 0);
	assert_int_equal(bz_check(sys), 0);
	bz__undo_isolate_page_range(z, block, block + PAGEBLOCK_NR_PAGES, BZ_MIGRATE_MOVABLE);
	assert_int_equal(nr_free(sys), before + 1);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* bz_check: the count of isolated pageblocks disagrees with the pageblocks. */
static void test_check_isolate_count_corrupted(void **state)
{
	bz_system *sys = make_system("0:Normal=8192", 1, &lc);
	struct bz_zone *z = normal_zone(sys);
	unsigned long block = z->zone_start_pfn;

	(void)state;
	assert_int_equal(bz__start_isolate_page_range(z, block, block + 2 * PAGEBLOCK_NR_PAGES, BZ_MIGRATE_MOVABLE, 0), 0);
	assert_int_equal(bz_check(sys), 0);
	log_catch_reset(&lc);
	z->nr_isolate_pageblock++;
	assert_int_equal(bz_check(sys), -EUCLEAN);
	assert_non_null(strstr(lc.all, "2 isolated pageblocks, nr_isolate_pageblock 3"));
	z->nr_isolate_pageblock--;
	assert_int_equal(bz_check(sys), 0);
	/* NR_FREE_PAGES counting an isolated free page is caught too. */
	zone_stat_add(z, NR_FREE_PAGES, 1);
	assert_int_equal(bz_check(sys), -EUCLEAN);
	assert_non_null(strstr(lc.all, "of them isolated"));
	zone_stat_add(z, NR_FREE_PAGES, -1);
	bz__undo_isolate_page_range(z, block, block + 2 * PAGEBLOCK_NR_PAGES, BZ_MIGRATE_MOVABLE);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolate_free_pages_leave_nr_free),
		cmocka_unit_test(test_isolate_freed_into_block_stays_isolated),
		cmocka_unit_test(test_check_isolate_count_corrupted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
