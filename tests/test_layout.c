/* SPDX-License-Identifier: MIT */
/*
 * test_layout.c - the zones spec's geometry (mm_init.c): a zone given as
 * /proc/zoneinfo shows it, "MANAGED/PRESENT/SPANNED@START_PFN", sits where
 * the kernel's does, reports those numbers, and hands out only its managed
 * pages; "NID:cpus=N"; and the refusals of bad specs.
 */
#include "common.h"

#include <errno.h>

#define TOPOLOGY "synthetic:node:1 core:2 pu:1"
/* This machine's zones on 2025-12-05 (tests/data/trace-6.18/before/proc/zoneinfo). */
#define MACHINE "0:DMA=3840/3998/4095@1,0:DMA32=772847/782336/1044480@4096," \
		"0:Normal=753664/5505024/5505024@1048576,0:cpus=2"

static bz_system *make(const char *zones, struct log_catch *lc)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	int ret;

	bz_config_init(&cfg);
	cfg.zones = zones;
	cfg.topology = TOPOLOGY;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.page_reporting_delay_ms = 0;
	if (lc) {
		cfg.log = log_catch_fn;
		cfg.log_arg = lc;
	}
	ret = bz_system_create(&cfg, &sys);
	return ret ? NULL : sys;
}

static struct bz_zone_stats stats(bz_system *sys, int zid)
{
	struct bz_zone_stats st = { .size = sizeof(st) };

	assert_int_equal(bz_zone_stats(sys, 0, zid, &st), 0);
	return st;
}

static void test_layout_geometry_as_zoneinfo(void **state)
{
	static const unsigned long want[3][4] = {
		{ 1, 4095, 3998, 3840 }, { 4096, 1044480, 782336, 772847 }, { 1048576, 5505024, 5505024, 753664 },
	};
	bz_system *sys = make(MACHINE, NULL);

	(void)state;
	assert_non_null(sys);
	for (int zid = 0; zid < 3; zid++) {
		struct bz_zone_stats st = stats(sys, zid);

		assert_int_equal(st.start_pfn, want[zid][0]);
		assert_int_equal(st.spanned, want[zid][1]);
		assert_int_equal(st.present, want[zid][2]);
		assert_int_equal(st.managed, want[zid][3]);
		assert_int_equal(st.free, want[zid][3]);
	}
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* The zone's memory is its first managed pages: everything handed out lies there. */
static void test_layout_allocates_managed_pages_only(void **state)
{
	bz_system *sys = make("0:DMA=3840/3998/4095@1,0:DMA32=5000/6000/8192@4096", NULL);
	unsigned long managed_end = 4096 + 5000, n = 0;
	bz_page *page, **pages = calloc(16384, sizeof(*pages));

	(void)state;
	assert_non_null(sys);
	assert_non_null(pages);
	while (n < 16384 && (page = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_DMA32 | BZ_GFP_NOWARN | BZ_GFP_NORETRY, 0))) {
		unsigned long pfn = bz_page_to_pfn(page);

		if (bz_page_zonenum(page) == BZ_ZONE_DMA)
			assert_true(pfn >= 1 && pfn < 1 + 3840);
		else
			assert_true(pfn >= 4096 && pfn < managed_end);
		pages[n++] = page;
	}
	/* Both zones down to their reserves, no page of a reserved tail or hole. */
	assert_true(n > 7000 && n <= 8840);
	assert_int_equal(bz_check(sys), 0);
	/* A pfn of the reserved tail is in the zone's span but is no page to free. */
	page = bz_pfn_to_page(sys, managed_end + 10);
	if (page)
		assert_int_equal(bz_free_pages(page, 0), -EINVAL);
	while (n)
		assert_int_equal(bz_free_pages(pages[--n], 0), 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(stats(sys, BZ_ZONE_DMA32).free, 5000);
	assert_int_equal(bz_check(sys), 0);
	free(pages);
	bz_system_destroy(sys);
}

/* zoneinfo prints the given numbers; pagetypeinfo counts the pageblocks of present pages. */
static void test_layout_reports(void **state)
{
	bz_system *sys = make(MACHINE, NULL);
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(sys);
	f = open_memstream(&text, &len);
	assert_int_equal(bz_write_zoneinfo(sys, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "        spanned  4095\n        present  3998\n        managed  3840\n"));
	assert_non_null(strstr(text, "  start_pfn:           1\n"));
	assert_non_null(strstr(text, "  start_pfn:           4096\n"));
	assert_non_null(strstr(text, "  start_pfn:           1048576\n"));
	free(text);
	f = open_memstream(&text, &len);
	assert_int_equal(bz_write_pagetypeinfo(sys, f), 0);
	fclose(f);
	/* The kernel's DMA: 8 pageblocks (pfn 0 is no page but shares the first); DMA32: 782336 / 512. */
	assert_non_null(strstr(text, "Node 0, zone      DMA            0            8 "));
	assert_non_null(strstr(text, "Node 0, zone    DMA32            0         1528 "));
	free(text);
	bz_system_destroy(sys);
}

/* "NID:cpus=N" sets the CPUs that pageset sizes are split over, ahead of cpus_per_node. */
static void test_layout_cpus(void **state)
{
	struct bz_config cfg;
	bz_system *one, *four;

	(void)state;
	one = make("0:Normal=262144,0:cpus=1", NULL);
	bz_config_init(&cfg);
	cfg.zones = "0:Normal=262144,0:cpus=4";
	cfg.topology = TOPOLOGY;
	cfg.cpus_per_node = 1;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	assert_int_equal(bz_system_create(&cfg, &four), 0);
	assert_non_null(one);
	/* zone_highsize(): the low watermark split over the node's CPUs. */
	assert_int_equal(stats(one, BZ_ZONE_NORMAL).pcp_high_min / 4, stats(four, BZ_ZONE_NORMAL).pcp_high_min);
	bz_system_destroy(one);
	bz_system_destroy(four);
}

static void test_layout_refuses_bad_specs(void **state)
{
	static const char *const bad[] = {
		"0:DMA=100/99",                 /* present below managed */
		"0:DMA=100/200/150",            /* spanned below present */
		"0:DMA32=100@4000",             /* below DMA32's floor (16 MiB) */
		"0:DMA=100/100/5000@0",         /* past DMA's ceiling */
		"0:DMA32=1000/1000/2000@4096,0:Normal=10@4096", /* overlaps, below NORMAL's floor */
		"0:Normal=10@1048576,1:Normal=10@1048580", /* node 1 inside node 0 */
		"0:Normal=10@x", "0:Normal=10/", "0:cpus=5000", "0:cpus=1,0:cpus=2", "0:cpus=",
		"0:Normal=10@1048576junk",
	};
	struct log_catch lc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		log_catch_reset(&lc);
		assert_null(make(bad[i], &lc));
		assert_true(lc.count > 0);
		assert_non_null(strstr(lc.all, "zones: "));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_geometry_as_zoneinfo),
		cmocka_unit_test(test_layout_allocates_managed_pages_only),
		cmocka_unit_test(test_layout_reports),
		cmocka_unit_test(test_layout_cpus),
		cmocka_unit_test(test_layout_refuses_bad_specs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
