/* SPDX-License-Identifier: MIT */
/*
 * test_extfrag.c - the kernel's fragmentation indices (mm/vmstat.c:
 * fill_contig_page_info, unusable_free_index, __fragmentation_index) on
 * free-area states computed by hand, the debugfs text of
 * bz_write_unusable_index / bz_write_extfrag_index for a zone brought into
 * such a state by real allocations and frees, and the same numbers in the
 * JSON report.
 *
 * The formulas, for an order k, with n[o] the free blocks of order o:
 *   free_pages = sum n[o] << o           total = sum n[o]
 *   suitable   = sum over o >= k of n[o] << (o - k)
 *   unusable   = free_pages ? (free_pages - (suitable << k)) * 1000 / free_pages : 1000
 *   extfrag    = !total ? 0 : suitable ? -1000
 *              : 1000 - (1000 + free_pages * 1000 / 2^k) / total     (integer division)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common.h"

#define NR BZ_NR_PAGE_ORDERS

static void check_indices(const unsigned long nr_free[NR], const int unusable[NR], const int extfrag[NR])
{
	for (unsigned k = 0; k < NR; k++) {
		assert_int_equal(bz_unusable_index(nr_free, k), unusable[k]);
		assert_int_equal(bz_extfrag_index(nr_free, k), extfrag[k]);
	}
}

/*
 * One free block each of orders 0, 1, 3 and 6: free_pages = 1+2+8+64 = 75,
 * total = 4.
 *   k=0: suitable 75, unusable 0
 *   k=1: suitable 1 + 4 + 32 = 37, (75 - 74) * 1000 / 75 = 13
 *   k=2: suitable 2 + 16 = 18, (75 - 72) * 1000 / 75 = 40
 *   k=3: suitable 1 + 8 = 9, 72 again: 40
 *   k=4..6: suitable 4, 2, 1: 64 pages usable, 11 * 1000 / 75 = 146
 *   k=7..10: nothing suitable: 1000
 * extfrag: -1000 while something is suitable (k <= 6), then
 *   k=7:  75000 / 128 = 585,  (1000 + 585) / 4 = 396, 1000 - 396 = 604
 *   k=8:  75000 / 256 = 292,  1292 / 4 = 323, 677
 *   k=9:  75000 / 512 = 146,  1146 / 4 = 286, 714
 *   k=10: 75000 / 1024 = 73,  1073 / 4 = 268, 732
 */
static const unsigned long STATE_A[NR] = { 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0 };
static const int UNUSABLE_A[NR] = { 0, 13, 40, 40, 146, 146, 146, 1000, 1000, 1000, 1000 };
static const int EXTFRAG_A[NR] = { -1000, -1000, -1000, -1000, -1000, -1000, -1000, 604, 677, 714, 732 };

static void test_indices_mixed_orders(void **state)
{
	(void)state;
	check_indices(STATE_A, UNUSABLE_A, EXTFRAG_A);
}

/* Nothing free: all of it "unusable" (1000), and no fragmentation to speak of (0). */
static void test_indices_empty_zone(void **state)
{
	static const unsigned long none[NR];
	int unusable[NR], extfrag[NR];

	(void)state;
	for (int k = 0; k < NR; k++) {
		unusable[k] = 1000;
		extfrag[k] = 0;
	}
	check_indices(none, unusable, extfrag);
}

/* 64 max-order blocks: every request fits, nothing unusable. */
static void test_indices_unfragmented(void **state)
{
	static const unsigned long maxed[NR] = { [BZ_MAX_ORDER] = 64 };
	int unusable[NR] = { 0 }, extfrag[NR];

	(void)state;
	for (int k = 0; k < NR; k++)
		extfrag[k] = -1000;
	check_indices(maxed, unusable, extfrag);
}

/*
 * 1000 single pages: free_pages 1000, total 1000; beyond order 0 all
 * unusable.  extfrag k: 1000 - (1000 + 1000000 / 2^k) / 1000:
 *   k=1: 1000 - 501 = 499   k=2: 1000 - 251 = 749   k=3: 1000 - 126 = 874
 *   k=4: 62500 -> 63 -> 937 k=5: 31250 -> 32 -> 968 k=6: 15625 -> 16 -> 984
 *   k=7: 7812 -> 8 -> 992   k=8: 3906 -> 4 -> 996   k=9: 1953 -> 2 -> 998
 *   k=10: 976 -> 1 -> 999
 */
static void test_indices_all_single_pages(void **state)
{
	static const unsigned long singles[NR] = { 1000 };
	static const int unusable[NR] = { 0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000 };
	static const int extfrag[NR] = { -1000, 499, 749, 874, 937, 968, 984, 992, 996, 998, 999 };

	(void)state;
	check_indices(singles, unusable, extfrag);
}

/*
 * One free page: the kernel's unsigned arithmetic goes below zero for
 * small orders, 1000 - (1000 + 1000 / 2^k) / 1: k=1 -500, k=2 -250,
 * k=3 -125, k=4 -62, ..., k=10 1000 - 1000 = 0.  We keep its numbers.
 */
static void test_indices_single_block_quirk(void **state)
{
	static const unsigned long one[NR] = { 1 };
	static const int unusable[NR] = { 0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000 };
	static const int extfrag[NR] = { -1000, -500, -250, -125, -62, -31, -15, -7, -3, -1, 0 };

	(void)state;
	check_indices(one, unusable, extfrag);
}

static void test_indices_bad_input(void **state)
{
	(void)state;
	assert_int_equal(bz_unusable_index(NULL, 0), -EINVAL);
	assert_int_equal(bz_extfrag_index(NULL, 3), -EINVAL);
	assert_int_equal(bz_unusable_index(STATE_A, BZ_MAX_ORDER + 1), -EINVAL);
	assert_int_equal(bz_extfrag_index(STATE_A, 1000), -EINVAL);
	assert_int_equal(bz_write_unusable_index(NULL, NULL), -EINVAL);
	assert_int_equal(bz_write_extfrag_index(NULL, NULL), -EINVAL);
}

/* ---- a real zone in state A ------------------------------------------------------------- */

/*
 * A 1024-page DMA32 zone (one max-order block), every page allocated one
 * by one, then the pages of a free order-0, order-1, order-3 and order-6
 * block given back: start+0, start+2..3, start+8..15, start+64..127.  Each
 * block's buddy holds an allocated page, so nothing merges further and the
 * free area is state A.
 */
static bz_system *zone_in_state_a(bz_page ***pages_out, unsigned long *nr_out)
{
	bz_system *sys = make_system("0:DMA32=1024", 1, NULL);
	struct bz_zone_stats st = zone_stats(sys, 0, BZ_ZONE_DMA32);
	bz_page **pages = calloc(st.managed, sizeof(*pages));
	unsigned long nr = 0, start = st.start_pfn;
	unsigned flags = bz_memalloc_save();  /* past every watermark: the last page too */

	assert_non_null(pages);
	while (nr < st.managed && (pages[nr] = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0)))
		nr++;
	bz_memalloc_restore(flags);
	assert_int_equal(nr, st.managed);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	st = zone_stats(sys, 0, BZ_ZONE_DMA32);
	assert_int_equal(st.free + st.cached, 0);

	for (unsigned long off = 0; off < 128; off++)
		if (off == 0 || (off >= 2 && off < 4) || (off >= 8 && off < 16) || off >= 64)
			assert_int_equal(bz_free_pages(bz_pfn_to_page(sys, start + off), 0), 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	st = zone_stats(sys, 0, BZ_ZONE_DMA32);
	assert_memory_equal(st.nr_free, STATE_A, sizeof(STATE_A));
	assert_int_equal(st.free, 75);
	*pages_out = pages;
	*nr_out = nr;
	return sys;
}

static void release(bz_system *sys, bz_page **pages, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		unsigned long off = bz_page_to_pfn(pages[i]) - zone_stats(sys, 0, BZ_ZONE_DMA32).start_pfn;

		if (!(off == 0 || (off >= 2 && off < 4) || (off >= 8 && off < 16) || (off >= 64 && off < 128)))
			assert_int_equal(bz_free_pages(pages[i], 0), 0);
	}
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_DMA32).nr_free[BZ_MAX_ORDER], 1);
	assert_int_equal(bz_check(sys), 0);
	free(pages);
	bz_system_destroy(sys);
}

/* The kernel's lines: "Node %d, zone %8s " then "%d.%03d " (unusable) or "%2d.%03d " (extfrag). */
static void test_debugfs_text(void **state)
{
	bz_page **pages;
	unsigned long nr;
	bz_system *sys = zone_in_state_a(&pages, &nr);
	char *unusable = report_text(sys, bz_write_unusable_index);
	char *extfrag = report_text(sys, bz_write_extfrag_index);

	(void)state;
	assert_string_equal(unusable, "Node 0, zone    DMA32 0.000 0.013 0.040 0.040 0.146 0.146 0.146 "
				      "1.000 1.000 1.000 1.000 \n");
	assert_string_equal(extfrag, "Node 0, zone    DMA32 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 "
				     "-1.000  0.604  0.677  0.714  0.732 \n");
	free(unusable);
	free(extfrag);
	release(sys, pages, nr);
}

/* The JSON report carries the same numbers, as decimals. */
static void test_json_indices(void **state)
{
	bz_page **pages;
	unsigned long nr;
	bz_system *sys = zone_in_state_a(&pages, &nr);
	char *json = report_text(sys, bz_write_json);

	(void)state;
	assert_non_null(strstr(json, "\"unusable_index\":[0.000,0.013,0.040,0.040,0.146,0.146,0.146,"
				     "1.000,1.000,1.000,1.000]"));
	assert_non_null(strstr(json, "\"extfrag_index\":[-1.000,-1.000,-1.000,-1.000,-1.000,-1.000,"
				     "-1.000,0.604,0.677,0.714,0.732]"));
	free(json);
	release(sys, pages, nr);
}

/* Populated zones only, every node, in zone order; an empty zone never prints. */
static void test_debugfs_zones_listed(void **state)
{
	bz_system *sys = make_system("0:DMA=3840,0:Normal=4096,1:Normal=2048", 1, NULL);
	char *text = report_text(sys, bz_write_extfrag_index);

	(void)state;
	assert_string_equal(text,
			    "Node 0, zone      DMA -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 \n"
			    "Node 0, zone   Normal -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 \n"
			    "Node 1, zone   Normal -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 \n");
	free(text);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_indices_mixed_orders),
		cmocka_unit_test(test_indices_empty_zone),
		cmocka_unit_test(test_indices_unfragmented),
		cmocka_unit_test(test_indices_all_single_pages),
		cmocka_unit_test(test_indices_single_block_quirk),
		cmocka_unit_test(test_indices_bad_input),
		cmocka_unit_test(test_debugfs_text),
		cmocka_unit_test(test_json_indices),
		cmocka_unit_test(test_debugfs_zones_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
