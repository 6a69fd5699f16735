/* SPDX-License-Identifier: MIT */
/*
 * test_pfn_control.c - blocks by pfn (src/pfn_control.c, for bzreplay):
 * taking a given free block off the lists and splitting its free block as
 * take_page_off_buddy() does, freeing straight to the buddy lists, setting
 * a pageblock's migratetype, and the per-zone counts of what the kernel's
 * kmem tracepoints would report (mm_page_alloc_zone_locked,
 * mm_page_alloc_extfrag, mm_page_pcpu_drain).
 */
#include "common.h"

#include <errno.h>

#define TOPOLOGY "synthetic:node:1 core:2 pu:1"
#define ZONE_PAGES 8192ul       /* 8 max-order blocks at pfn 4096 (DMA32) */
#define BASE 4096ul

static bz_system *make(void)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = "0:DMA32=8192";
	cfg.topology = TOPOLOGY;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.page_reporting_delay_ms = 0;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	return sys;
}

static struct bz_zone_stats stats(bz_system *sys)
{
	struct bz_zone_stats st = { .size = sizeof(st) };

	assert_int_equal(bz_zone_stats(sys, 0, BZ_ZONE_DMA32, &st), 0);
	return st;
}

/* One page out of the middle of a max-order block: one free block of each order 0..9 is left. */
static void test_take_splits_around_the_block(void **state)
{
	bz_system *sys = make();
	unsigned long pfn = BASE + 3 * 1024 + 777;
	struct bz_zone_stats st;
	bz_page *page;

	(void)state;
	page = bz_take_free_block(sys, pfn, 0, BZ_MIGRATE_UNMOVABLE);
	assert_non_null(page);
	assert_int_equal(bz_page_to_pfn(page), pfn);
	st = stats(sys);
	for (int o = 0; o < 10; o++)
		assert_int_equal(st.nr_free[o], 1);
	assert_int_equal(st.nr_free[10], 7);
	assert_int_equal(st.free, ZONE_PAGES - 1);
	assert_int_equal(st.allocated, 1);
	assert_int_equal(bz_check(sys), 0);
	/* Taken already, inside an allocated block, misaligned, out of range, bad type. */
	assert_null(bz_take_free_block(sys, pfn, 0, BZ_MIGRATE_MOVABLE));
	assert_null(bz_take_free_block(sys, pfn & ~1ul, 1, BZ_MIGRATE_MOVABLE));
	assert_null(bz_take_free_block(sys, BASE + 1, 1, BZ_MIGRATE_MOVABLE));
	assert_null(bz_take_free_block(sys, BASE + ZONE_PAGES, 0, BZ_MIGRATE_MOVABLE));
	assert_null(bz_take_free_block(sys, BASE, 11, BZ_MIGRATE_MOVABLE));
	assert_null(bz_take_free_block(sys, BASE, 0, BZ_MIGRATE_HIGHATOMIC));
	/* Back to the buddy lists, not the thread's cache: it merges up to max order again. */
	assert_int_equal(bz_free_pages_to_buddy(page, 0), 0);
	st = stats(sys);
	assert_int_equal(st.cached, 0);
	assert_int_equal(st.nr_free[10], 8);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(bz_free_pages_to_buddy(page, 0), -EINVAL); /* a double free, refused */
	bz_system_destroy(sys);
}

/* Every block of the zone by pfn (the deferred max-order blocks included), then all back. */
static void test_take_every_block(void **state)
{
	bz_system *sys = make();
	bz_page *pages[8];

	(void)state;
	for (int i = 7; i >= 0; i--) {
		pages[i] = bz_take_free_block(sys, BASE + (unsigned long)i * 1024, 10, BZ_MIGRATE_MOVABLE);
		assert_non_null(pages[i]);
	}
	assert_int_equal(stats(sys).free, 0);
	assert_null(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_DMA32 | BZ_GFP_NOWARN | BZ_GFP_NORETRY, 0));
	assert_int_equal(bz_check(sys), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(bz_free_pages(pages[i], 10), 0);
	assert_int_equal(stats(sys).free, ZONE_PAGES);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

static unsigned long free_of_type(bz_system *sys, const char *type)
{
	char *text = NULL, *line, *save = NULL;
	unsigned long sum = 0;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(bz_write_pagetypeinfo(sys, f), 0);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long v[11];
		char name[16];

		if (sscanf(line, "Node %*d, zone %*s type %15s %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu", name,
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]) != 12 ||
		    strcmp(name, type))
			continue;
		for (int o = 0; o < 11; o++)
			sum += v[o] << o;
	}
	free(text);
	return sum;
}

/* A pageblock's type moves its free blocks to that type's lists; HIGHATOMIC and ISOLATE rules. */
static void test_set_pageblock_migratetype(void **state)
{
	bz_system *sys = make();
	bz_page *page;

	(void)state;
	/* Split the first max-order block so its pageblocks hold their own free blocks. */
	page = bz_take_free_block(sys, BASE, 0, BZ_MIGRATE_MOVABLE);
	assert_non_null(page);
	assert_int_equal(bz_set_pageblock_migratetype(sys, BASE + 512, BZ_MIGRATE_UNMOVABLE), 0);
	assert_int_equal(free_of_type(sys, "Unmovable"), 512);
	assert_int_equal(bz_set_pageblock_migratetype(sys, BASE, BZ_MIGRATE_RECLAIMABLE), 0);
	assert_int_equal(free_of_type(sys, "Reclaimable"), 511);
	assert_int_equal(bz_check(sys), 0);
	/*
	 * Freed, it merges with its buddies: above pageblock order across types
	 * too (__free_one_page keeps only highatomic and isolated apart).
	 */
	assert_int_equal(bz_free_pages_to_buddy(page, 0), 0);
	assert_int_equal(free_of_type(sys, "Reclaimable"), 1024);
	assert_int_equal(free_of_type(sys, "Unmovable"), 0);
	assert_int_equal(bz_set_pageblock_migratetype(sys, BASE, BZ_MIGRATE_ISOLATE), -EINVAL);
	assert_int_equal(bz_set_pageblock_migratetype(sys, BASE + ZONE_PAGES + (1ul << 20), BZ_MIGRATE_MOVABLE),
			 -EINVAL);
	assert_int_equal(bz_set_pageblock_migratetype(sys, BASE + 2048, BZ_MIGRATE_HIGHATOMIC), 0);
	assert_int_equal(bz_set_pageblock_migratetype(sys, BASE + 2048, BZ_MIGRATE_MOVABLE), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* pcp refills take blocks by __rmqueue_smallest; drains give each back: both counted. */
static void test_counts_zone_locked_and_drain(void **state)
{
	bz_system *sys = make();
	struct bz_zone_stats st;
	bz_page *pages[100];

	(void)state;
	for (int i = 0; i < 100; i++) {
		pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_MOVABLE | BZ_GFP_DMA32, 0);
		assert_non_null(pages[i]);
	}
	st = stats(sys);
	/* Every block came off the buddy lists by rmqueue_bulk: handed out, or still cached. */
	assert_int_equal(st.nr_zone_locked, 100 + st.cached);
	assert_int_equal(st.nr_extfrag, 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(bz_free_pages(pages[i], 0), 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	st = stats(sys);
	/* ... and went back by free_pcppages_bulk, during the frees or at the drain. */
	assert_int_equal(st.nr_pcpu_drain, st.nr_zone_locked);
	assert_int_equal(st.cached, 0);
	bz_system_destroy(sys);
}

/* An unmovable request with only movable blocks: a claim; with too little free around it, a steal. */
static void test_counts_extfrag(void **state)
{
	bz_system *sys = make();
	struct bz_zone_stats st;
	bz_page *page;

	(void)state;
	page = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_DMA32, 3);
	assert_non_null(page);
	st = stats(sys);
	assert_int_equal(st.nr_extfrag, 1);
	assert_int_equal(st.nr_extfrag_claimed, 1);
	assert_int_equal(bz_free_pages(page, 3), 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	bz_system_destroy(sys);

	/*
	 * Every page taken as movable memory, then in each pageblock the odd
	 * pages among its first 300 freed: plenty of free order-0 pages, none
	 * in a pageblock that could be claimed (150 free, 362 movable).
	 */
	sys = make();
	for (unsigned long pfn = BASE; pfn < BASE + ZONE_PAGES; pfn++)
		assert_non_null(bz_take_free_block(sys, pfn, 0, BZ_MIGRATE_MOVABLE));
	for (unsigned long pfn = BASE; pfn < BASE + ZONE_PAGES; pfn++)
		if ((pfn & 1) && pfn % 512 < 300)
			assert_int_equal(bz_free_pages_to_buddy(bz_pfn_to_page(sys, pfn), 0), 0);
	page = bz_alloc_pages(sys, BZ_GFP_ATOMIC | BZ_GFP_DMA32 | BZ_GFP_NOWARN, 0);
	assert_non_null(page);
	st = stats(sys);
	/* __rmqueue_steal for each block of the refill; no pageblock changed hands. */
	assert_int_equal(st.nr_extfrag, st.cached + 1);
	assert_int_equal(st.nr_extfrag_claimed, 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_splits_around_the_block),
		cmocka_unit_test(test_take_every_block),
		cmocka_unit_test(test_set_pageblock_migratetype),
		cmocka_unit_test(test_counts_zone_locked_and_drain),
		cmocka_unit_test(test_counts_extfrag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
