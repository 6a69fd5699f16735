/* SPDX-License-Identifier: MIT */
/*
 * test_buddy.c - the buddy allocator seen through the public API: split and
 * merge, alignment, exhausting zones and getting every page back, zone
 * fallback and the lowmem reserve, watermark reserves per gfp, migratetype
 * fallback with pageblock claiming, watermark boost, the highatomic reserve.
 */
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

#define NORMAL_4M "0:Normal=1024"

/* Pageblocks of a migratetype in a zone, read back from pagetypeinfo. */
static long pageblocks_of(bz_system *sys, int nid, const char *zone, const char *type)
{
	char *text = NULL, *line;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *types[] = { "Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate" };
	long result = -1;
	int col = -1;

	assert_int_equal(bz_write_pagetypeinfo(sys, f), 0);
	fclose(f);
	for (int i = 0; i < 5; i++)
		if (!strcmp(types[i], type))
			col = i;
	assert_true(col >= 0);
	line = strstr(text, "Number of blocks type");
	assert_non_null(line);
	while ((line = strchr(line, '\n')) != NULL) {
		int n;
		char zname[16];
		long v[5];

		line++;
		if (sscanf(line, "Node %d, zone %15s %ld %ld %ld %ld %ld", &n, zname, &v[0], &v[1], &v[2], &v[3],
			   &v[4]) == 7 && n == nid && !strcmp(zname, zone))
			result = v[col];
	}
	free(text);
	return result;
}

/* The buddy lists, once the thread caches have given their pages back. */
static void assert_nr_free(bz_system *sys, int zid, const unsigned long expect[BZ_NR_PAGE_ORDERS])
{
	struct bz_zone_stats st;

	assert_int_equal(bz_drain_all_pages(sys), 0);
	st = zone_stats(sys, 0, zid);
	assert_int_equal(st.cached, 0);

	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		assert_int_equal(st.nr_free[o], expect[o]);
}

static void test_split_order0_from_max_block(void **state)
{
	(void)state;
	bz_system *sys = make_system(NORMAL_4M, 1, NULL);
	const unsigned long split[BZ_NR_PAGE_ORDERS] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	const unsigned long whole[BZ_NR_PAGE_ORDERS] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	bz_page *p;

	assert_nr_free(sys, BZ_ZONE_NORMAL, whole);
	p = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_MEMALLOC, 0);
	assert_non_null(p);
	/* A zone this small has a batch of 1: the cache took just the page. */
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).pcp_batch, 1);
	assert_nr_free(sys, BZ_ZONE_NORMAL, split);
	assert_int_equal(bz_free_pages(p, 0), 0);
	assert_nr_free(sys, BZ_ZONE_NORMAL, whole);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

static void test_alignment_every_order(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=65536", 1, NULL);

	for (unsigned order = 0; order <= BZ_MAX_ORDER; order++) {
		bz_page *p = bz_alloc_pages(sys, BZ_GFP_KERNEL, order);
		unsigned long pfn;
		char *addr;

		assert_non_null(p);
		pfn = bz_page_to_pfn(p);
		addr = bz_page_address(p);
		assert_int_equal(pfn % (1ul << order), 0);
		assert_int_equal((uintptr_t)addr % (BZ_PAGE_SIZE << order), 0);
		assert_ptr_equal(bz_virt_to_page(addr), p);
		assert_ptr_equal(bz_virt_to_page(addr + (BZ_PAGE_SIZE << order) - 1), bz_pfn_to_page(sys, pfn + (1ul << order) - 1));
		assert_ptr_equal(bz_pfn_to_page(sys, pfn), p);
		assert_int_equal(bz_page_zonenum(p), BZ_ZONE_NORMAL);
		assert_int_equal(bz_page_to_nid(p), 0);
		memset(addr, 0xa5, BZ_PAGE_SIZE << order); /* the whole block is ours to write */
		assert_int_equal(bz_free_pages(p, order), 0);
	}
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* Takes every page of a zone one by one (no watermarks), frees in shuffled order. */
static void exhaust_and_restore(const char *layout, int zid, bz_gfp_t gfp)
{
	bz_system *sys = make_system(layout, 1, NULL);
	struct bz_zone_stats before = zone_stats(sys, 0, zid);
	unsigned long n = 0;
	bz_page **pages = calloc(before.managed + 1, sizeof(*pages));

	assert_non_null(pages);
	while ((pages[n] = bz_alloc_pages(sys, gfp | BZ_GFP_MEMALLOC | BZ_GFP_NOWARN, 0)) != NULL) {
		assert_int_equal(bz_page_zonenum(pages[n]), zid);
		n++;
		assert_true(n <= before.managed);
	}
	assert_int_equal(n, before.managed);
	assert_int_equal(zone_stats(sys, 0, zid).free, 0);
	assert_int_equal(bz_check(sys), 0);
	srand(42);
	for (unsigned long i = n - 1; i > 0; i--) {
		unsigned long j = (unsigned long)rand() % (i + 1);
		bz_page *t = pages[i];

		pages[i] = pages[j];
		pages[j] = t;
	}
	for (unsigned long i = 0; i < n; i++)
		assert_int_equal(bz_free_pages(pages[i], 0), 0);
	assert_nr_free(sys, zid, before.nr_free);
	assert_int_equal(zone_stats(sys, 0, zid).free, before.managed);
	assert_int_equal(zone_stats(sys, 0, zid).allocated, 0);
	assert_int_equal(bz_check(sys), 0);
	free(pages);
	bz_system_destroy(sys);
}

static void test_exhaust_dma_zone_and_free_back(void **state)
{
	(void)state;
	exhaust_and_restore("0:DMA=3840", BZ_ZONE_DMA, BZ_GFP_KERNEL | BZ_GFP_DMA);
}

static void test_exhaust_dma32_zone_and_free_back(void **state)
{
	(void)state;
	exhaust_and_restore("0:DMA32=5000", BZ_ZONE_DMA32, BZ_GFP_KERNEL | BZ_GFP_DMA32);
}

static void test_exhaust_normal_zone_and_free_back(void **state)
{
	(void)state;
	exhaust_and_restore("0:Normal=7777", BZ_ZONE_NORMAL, BZ_GFP_KERNEL);
}

static void test_exhaust_movable_zone_and_free_back(void **state)
{
	(void)state;
	exhaust_and_restore("0:Movable=3000", BZ_ZONE_MOVABLE, BZ_GFP_HIGHUSER_MOVABLE);
}

/*
 * Exact watermark arithmetic is seen through order-4 requests: the thread
 * caches do not hold them, and zone_watermark_ok() lets one through while
 * free - 15 > floor, so a zone drained by them ends in [floor, floor + 15].
 */
#define ORDER 4
#define assert_at_floor(free, floor)                                                        \
	do {                                                                                 \
		unsigned long f_ = (free), l_ = (floor);                                     \
		if (f_ < l_ || f_ > l_ + (1ul << ORDER) - 1)                                 \
			fail_msg("free %lu not in [%lu, %lu]", f_, l_, l_ + (1ul << ORDER) - 1); \
	} while (0)

/* GFP_KERNEL walks Normal, DMA32, DMA, each down to min + its lowmem reserve. */
static void test_lowmem_reserve_protects_lower_zones(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:DMA=4096,0:DMA32=65536,0:Normal=16384", 1, NULL);
	struct bz_zone_stats dma, dma32, normal;
	unsigned long got[BZ_MAX_NR_ZONES] = { 0 };
	bz_page *p;

	while ((p = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, ORDER)) != NULL)
		got[bz_page_zonenum(p)]++;
	dma = zone_stats(sys, 0, BZ_ZONE_DMA);
	dma32 = zone_stats(sys, 0, BZ_ZONE_DMA32);
	normal = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_true(dma.lowmem_reserve[BZ_ZONE_NORMAL] > 0);
	assert_at_floor(normal.free, normal.wmark_min);
	assert_at_floor(dma32.free, dma32.wmark_min + dma32.lowmem_reserve[BZ_ZONE_NORMAL]);
	assert_at_floor(dma.free, dma.wmark_min + dma.lowmem_reserve[BZ_ZONE_NORMAL]);
	assert_true(got[BZ_ZONE_NORMAL] > 0 && got[BZ_ZONE_DMA32] > 0);
	/* A DMA request may go lower: its own zone's reserve is 0. */
	while ((p = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_DMA | BZ_GFP_NOWARN, ORDER)) != NULL)
		assert_int_equal(bz_page_zonenum(p), BZ_ZONE_DMA);
	assert_at_floor(zone_stats(sys, 0, BZ_ZONE_DMA).free, dma.wmark_min);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* Zone modifiers pick the highest zone; allocation never goes above it. */
static void test_zone_modifiers_bound_the_zone(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:DMA=4096,0:DMA32=8192,0:Normal=8192,0:Movable=8192", 1, NULL);
	struct {
		bz_gfp_t gfp;
		int zone;
	} cases[] = {
		{ BZ_GFP_KERNEL, BZ_ZONE_NORMAL },
		{ BZ_GFP_KERNEL | BZ_GFP_DMA32, BZ_ZONE_DMA32 },
		{ BZ_GFP_KERNEL | BZ_GFP_DMA, BZ_ZONE_DMA },
		{ BZ_GFP_HIGHUSER_MOVABLE, BZ_ZONE_MOVABLE },
		{ BZ_GFP_HIGHUSER, BZ_ZONE_NORMAL },
		{ BZ_GFP_KERNEL | BZ_GFP_MOVABLE, BZ_ZONE_NORMAL }, /* __GFP_MOVABLE alone: NORMAL (GFP_ZONE_TABLE) */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bz_page *p = bz_alloc_pages(sys, cases[i].gfp, 0);

		assert_non_null(p);
		assert_int_equal(bz_page_zonenum(p), cases[i].zone);
		assert_int_equal(bz_free_pages(p, 0), 0);
	}
	bz_system_destroy(sys);
}

/* Exhaust with GFP_KERNEL, then the reserves open up as __zone_watermark_ok says. */
static void test_reserves_follow_gfp(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=262144", 2, NULL);
	unsigned long min, high_floor, atomic_floor;

	while (bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, ORDER))
		;
	min = zone_stats(sys, 0, BZ_ZONE_NORMAL).wmark_min;
	assert_at_floor(zone_stats(sys, 0, BZ_ZONE_NORMAL).free, min);
	/* GFP_NOWAIT: non-blocking but not high priority: no reserve below min. */
	assert_null(bz_alloc_pages(sys, BZ_GFP_NOWAIT, ORDER));
	/* __GFP_HIGH blocking: min / 2 ... */
	while (bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_HIGH | BZ_GFP_NOWARN, ORDER))
		;
	high_floor = min - min / 2;
	assert_at_floor(zone_stats(sys, 0, BZ_ZONE_NORMAL).free, high_floor);
	/* ... GFP_ATOMIC (high and non-blocking): a further quarter. */
	while (bz_alloc_pages(sys, BZ_GFP_ATOMIC | BZ_GFP_NOWARN, ORDER))
		;
	atomic_floor = high_floor - high_floor / 4;
	assert_at_floor(zone_stats(sys, 0, BZ_ZONE_NORMAL).free, atomic_floor);
	/* __GFP_NOMEMALLOC keeps even MEMALLOC out of the rest. */
	assert_null(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_MEMALLOC | BZ_GFP_NOMEMALLOC | BZ_GFP_NOWARN, ORDER));
	/* MEMALLOC ignores the watermarks: single pages until nothing is left. */
	while (bz_alloc_pages(sys, BZ_GFP_ATOMIC | BZ_GFP_MEMALLOC | BZ_GFP_NOWARN, 0))
		;
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).free, 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* PF_MEMALLOC threads may use the reserves too. */
static void test_memalloc_thread_flag(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=16384", 1, NULL);
	unsigned saved;

	while (bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0))
		;
	assert_null(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0));
	saved = bz_memalloc_save();
	assert_non_null(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0));
	bz_memalloc_restore(saved);
	assert_null(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0));
	bz_system_destroy(sys);
}

/* An unmovable request in an all-movable zone claims a whole max-order block. */
static void test_unmovable_fallback_claims_pageblocks(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=4096", 1, NULL);
	bz_page *p;

	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Movable"), 8);
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Unmovable"), 0);
	p = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
	assert_non_null(p);
	/* The largest block (order 10, two pageblocks) changes type as a whole. */
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Unmovable"), 2);
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Movable"), 6);
	/* Largest block first: a reclaimable request claims a movable order-10 block
	 * rather than the smaller unmovable leftovers. */
	assert_non_null(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_RECLAIMABLE, 0));
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Reclaimable"), 2);
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Movable"), 4);
	assert_int_equal(bz_free_pages(p, 0), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/*
 * A movable request finding only part of an unmovable pageblock free claims
 * it when half of it is free, and boosts the watermark by a pageblock.
 */
static void test_movable_claim_boosts_watermark(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=4096", 1, NULL);
	bz_page *mv;

	/* Nothing here wakes kswapd, which would reclaim and clear the boost. */
#define KERNEL_NO_KSWAPD (BZ_GFP_KERNEL & ~BZ_GFP_KSWAPD_RECLAIM)
#define MOVABLE_NO_KSWAPD (BZ_GFP_HIGHUSER_MOVABLE & ~BZ_GFP_KSWAPD_RECLAIM)

	/* Unmovable: one page of pageblock 0, then all of pageblock 1. */
	assert_non_null(bz_alloc_pages(sys, KERNEL_NO_KSWAPD, 0));
	assert_non_null(bz_alloc_pages(sys, KERNEL_NO_KSWAPD | BZ_GFP_MEMALLOC, 9));
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Unmovable"), 2);
	/* Movable memory used up: six order-9 blocks, no watermarks. */
	for (int i = 0; i < 6; i++) {
		mv = bz_alloc_pages(sys, MOVABLE_NO_KSWAPD | BZ_GFP_MEMALLOC, 9);
		assert_non_null(mv);
	}
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Movable"), 6);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).boost, 0);
	/* Order-4 movable finds an order-8 unmovable block: claims pageblock 0 (511 free), boosts. */
	mv = bz_alloc_pages(sys, MOVABLE_NO_KSWAPD | BZ_GFP_MEMALLOC | BZ_GFP_NOWARN, 4);
	assert_non_null(mv);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).boost, 512);
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Movable"), 7);
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "Unmovable"), 1);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* A high-order atomic allocation reserves a pageblock as HighAtomic. */
static void test_highatomic_reserve_on_atomic_order1(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=262144", 2, NULL);
	bz_page *p;

	assert_int_equal(pageblocks_of(sys, 0, "Normal", "HighAtomic"), 0);
	p = bz_alloc_pages(sys, BZ_GFP_ATOMIC, 1);
	assert_non_null(p);
	/* The fast path (low watermark) succeeded; only the slow path reserves. */
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "HighAtomic"), 0);
	while (bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 3))
		;
	while (bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0))
		;
	p = bz_alloc_pages(sys, BZ_GFP_ATOMIC | BZ_GFP_NOWARN, 1);
	assert_non_null(p);
	assert_int_equal(pageblocks_of(sys, 0, "Normal", "HighAtomic"), 1);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* __GFP_THISNODE never leaves the node; without it, node 1's requests spill to node 0. */
static void test_thisnode_stays_on_node(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=8192,1:Normal=8192", 1, NULL);
	bz_page *p;
	int spilled = 0;

	while ((p = bz_alloc_pages_node(sys, 1, BZ_GFP_KERNEL | BZ_GFP_THISNODE | BZ_GFP_NOWARN, 0)) != NULL)
		assert_int_equal(bz_page_to_nid(p), 1);
	p = bz_alloc_pages_node(sys, 1, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0);
	assert_non_null(p);
	spilled = bz_page_to_nid(p) == 0;
	assert_true(spilled);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

static long rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Two 64 GiB nodes: reserved, not touched; a few MiB of RSS. */
static void test_large_machine_is_lazy(void **state)
{
	(void)state;
	long before = rss_kb(), after;
	bz_system *sys = make_system("0:DMA=4096,0:DMA32=1044480,0:Normal=15728640,1:Normal=16777216", 32, NULL);
	bz_page *p;

	after = rss_kb();
	assert_true(after - before < 16 * 1024);
	assert_int_equal(zone_stats(sys, 1, BZ_ZONE_NORMAL).free, 16777216);
	p = bz_alloc_pages_node(sys, 1, BZ_GFP_KERNEL, 10);
	assert_non_null(p);
	assert_int_equal(bz_page_to_nid(p), 1);
	assert_int_equal(bz_free_pages(p, 10), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* Counters: pgalloc per zone and pgfree in vmstat follow the requests. */
static void test_vmstat_counts_allocations(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:DMA32=8192,0:Normal=8192", 1, NULL);
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	bz_page *p = bz_alloc_pages(sys, BZ_GFP_KERNEL, 2);

	assert_non_null(p);
	assert_int_equal(bz_free_pages(p, 2), 0);
	f = open_memstream(&text, &len);
	assert_int_equal(bz_write_vmstat(sys, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "\npgalloc_normal 4\n"));
	assert_non_null(strstr(text, "\npgalloc_dma32 0\n"));
	assert_non_null(strstr(text, "\npgfree 4\n"));
	free(text);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_order0_from_max_block),
		cmocka_unit_test(test_alignment_every_order),
		cmocka_unit_test(test_exhaust_dma_zone_and_free_back),
		cmocka_unit_test(test_exhaust_dma32_zone_and_free_back),
		cmocka_unit_test(test_exhaust_normal_zone_and_free_back),
		cmocka_unit_test(test_exhaust_movable_zone_and_free_back),
		cmocka_unit_test(test_lowmem_reserve_protects_lower_zones),
		cmocka_unit_test(test_zone_modifiers_bound_the_zone),
		cmocka_unit_test(test_reserves_follow_gfp),
		cmocka_unit_test(test_memalloc_thread_flag),
		cmocka_unit_test(test_unmovable_fallback_claims_pageblocks),
		cmocka_unit_test(test_movable_claim_boosts_watermark),
		cmocka_unit_test(test_highatomic_reserve_on_atomic_order1),
		cmocka_unit_test(test_thisnode_stays_on_node),
		cmocka_unit_test(test_large_machine_is_lazy),
		cmocka_unit_test(test_vmstat_counts_allocations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
