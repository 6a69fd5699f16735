/* SPDX-License-Identifier: MIT */
/*
 * test_contig_linux.c - kernel-style code over <buddyzone/linux.h>'s
 * contiguous ranges (the 6.1-6.15 signatures): alloc_contig_pages with a
 * nodemask_t, alloc_contig_range with MIGRATE_MOVABLE, free_contig_range,
 * on the default system (kept small with BUDDYZONE_ZONES before any call).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <buddyzone/linux.h>

static void test_linux_alloc_contig_pages_and_range(void **state)
{
	nodemask_t nodes = { { 1ul } };
	struct page *page;
	unsigned long pfn;

	(void)state;
	page = alloc_contig_pages(512, GFP_KERNEL, NUMA_NO_NODE, &nodes);
	assert_non_null(page);
	pfn = page_to_pfn(page);
	assert_int_equal(pfn % 512, 0);
	memset(page_address(page), 0xa5, 512 * PAGE_SIZE);
	assert_int_equal(page_count(pfn_to_page(pfn + 511)), 1);
	free_contig_range(pfn, 512);
	assert_int_equal(alloc_contig_range(pfn + 3, pfn + 40, MIGRATE_MOVABLE, GFP_KERNEL), 0);
	assert_int_equal(page_count(pfn_to_page(pfn + 3)), 1);
	/* Already the caller's: a second time the pages are in use and not movable. */
	assert_int_equal(alloc_contig_range(pfn + 3, pfn + 40, MIGRATE_MOVABLE, GFP_KERNEL), -EBUSY);
	free_contig_range(pfn + 3, 37);
	nodes.bits[0] = 0;
	assert_null(alloc_contig_pages(512, GFP_KERNEL, NUMA_NO_NODE, &nodes));
	assert_int_equal(bz_check(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_alloc_contig_pages_and_range),
	};

	if (setenv("BUDDYZONE_ZONES", "0:Normal=16384", 1) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
