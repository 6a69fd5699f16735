/* SPDX-License-Identifier: MIT */
/*
 * test_linux_h.c - kernel-style code over <buddyzone/linux.h>: alloc_pages,
 * __free_pages, __get_free_pages, get_zeroed_page, free_page(s),
 * virt_to_page, page_address, pfn conversions, on the default system.
 * main() keeps the default system small (BUDDYZONE_ZONES) before any call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <buddyzone/linux.h>

#define TEST_ZONES "0:DMA=4096,0:DMA32=16384,0:Normal=16384"

/* struct page must be its own type, not another name for bz_page. */
_Static_assert(_Generic((struct page *)0, bz_page *: 0, default: 1), "struct page is distinct");
_Static_assert(sizeof(gfp_t) == 4, "gfp_t is the kernel's 32-bit mask");

static bool all_bytes(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != v)
			return false;
	return true;
}

static void test_linux_constants_are_the_kernels(void **state)
{
	(void)state;
	assert_int_equal(PAGE_SHIFT, 12);
	assert_int_equal(PAGE_SIZE, 4096);
	assert_int_equal(MAX_PAGE_ORDER, 10);
	assert_int_equal(GFP_KERNEL, 0xcc0);
	assert_int_equal(GFP_ATOMIC, 0x820);
	assert_int_equal(GFP_NOWAIT, 0x2800);
	assert_int_equal(GFP_HIGHUSER_MOVABLE, 0x100cca);
	assert_int_equal(GFP_DMA, __GFP_DMA);
	assert_int_equal(GFP_DMA32, __GFP_DMA32);
	assert_int_equal(__GFP_ZERO, 0x100);
	assert_int_equal(ZONE_NORMAL, 2);
}

static void test_linux_alloc_pages_round_trip(void **state)
{
	struct page *page;
	unsigned long pfn;
	void *addr;

	(void)state;
	page = alloc_pages(GFP_KERNEL, 2);
	assert_non_null(page);
	addr = page_address(page);
	assert_non_null(addr);
	assert_int_equal((uintptr_t)addr % (PAGE_SIZE << 2), 0);
	assert_ptr_equal(virt_to_page(addr), page);
	assert_ptr_equal(virt_to_page((char *)addr + 100), page);

	pfn = page_to_pfn(page);
	assert_int_equal(pfn % 4, 0);
	assert_ptr_equal(pfn_to_page(pfn), page);
	assert_int_equal(page_to_nid(page), 0);
	assert_int_equal(page_zonenum(page), ZONE_NORMAL);

	memset(addr, 0x5a, PAGE_SIZE << 2); /* the memory is ours to use */
	__free_pages(page, 2);
	assert_int_equal(bz_check(NULL), 0);
}

static void test_linux_alloc_page_distinct_pages(void **state)
{
	struct page *a, *b;

	(void)state;
	a = alloc_page(GFP_KERNEL);
	b = alloc_page(GFP_KERNEL);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_not_equal(page_to_pfn(a), page_to_pfn(b));
	assert_ptr_not_equal(page_address(a), page_address(b));
	__free_page(a);
	__free_page(b);
	assert_int_equal(bz_check(NULL), 0);
}

static void test_linux_zone_modifiers_pick_zones(void **state)
{
	struct page *dma, *dma32, *normal;

	(void)state;
	dma = alloc_page(GFP_KERNEL | GFP_DMA);
	dma32 = alloc_page(GFP_KERNEL | GFP_DMA32);
	normal = alloc_page(GFP_KERNEL);
	assert_non_null(dma);
	assert_non_null(dma32);
	assert_non_null(normal);
	assert_int_equal(page_zonenum(dma), ZONE_DMA);
	assert_int_equal(page_zonenum(dma32), ZONE_DMA32);
	assert_int_equal(page_zonenum(normal), ZONE_NORMAL);
	/* x86-64 layout: DMA below DMA32 below NORMAL in the pfn space. */
	assert_true(page_to_pfn(dma) < page_to_pfn(dma32));
	assert_true(page_to_pfn(dma32) < page_to_pfn(normal));
	__free_page(dma);
	__free_page(dma32);
	__free_page(normal);
}

static void test_linux_alloc_pages_node(void **state)
{
	struct page *local, *node0;

	(void)state;
	local = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, 0);
	node0 = alloc_pages_node(0, GFP_KERNEL, 1);
	assert_non_null(local);
	assert_non_null(node0);
	assert_int_equal(page_to_nid(local), 0);
	assert_int_equal(page_to_nid(node0), 0);
	__free_pages(local, 0);
	__free_pages(node0, 1);
}

static void test_linux_get_free_pages_by_address(void **state)
{
	unsigned long addr;
	struct page *page;

	(void)state;
	addr = __get_free_pages(GFP_KERNEL, 3);
	assert_int_not_equal(addr, 0);
	assert_int_equal(addr % (PAGE_SIZE << 3), 0);
	page = virt_to_page((void *)addr);
	assert_non_null(page);
	assert_int_equal((unsigned long)page_address(page), addr);
	memset((void *)addr, 0xff, PAGE_SIZE << 3);
	free_pages(addr, 3);

	addr = __get_free_page(GFP_KERNEL);
	assert_int_not_equal(addr, 0);
	assert_int_equal(addr % PAGE_SIZE, 0);
	free_page(addr);
	assert_int_equal(bz_check(NULL), 0);
}

static void test_linux_get_zeroed_page_is_zero_after_reuse(void **state)
{
	(void)state;
	/* Dirty each page before freeing it so that a recycled page shows. */
	for (int i = 0; i < 64; i++) {
		unsigned long addr = get_zeroed_page(GFP_KERNEL);

		assert_int_not_equal(addr, 0);
		assert_true(all_bytes((void *)addr, PAGE_SIZE, 0));
		memset((void *)addr, 0xa5, PAGE_SIZE);
		free_page(addr);
	}
}

static void test_linux_gfp_zero_zeroes_every_page(void **state)
{
	(void)state;
	for (int i = 0; i < 16; i++) {
		struct page *page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
		void *addr;

		assert_non_null(page);
		addr = page_address(page);
		assert_true(all_bytes(addr, PAGE_SIZE << 2, 0));
		memset(addr, 0x3c, PAGE_SIZE << 2);
		__free_pages(page, 2);
	}
}

static void test_linux_free_null_and_zero_are_quiet(void **state)
{
	(void)state;
	__free_pages(NULL, 0);
	__free_pages(NULL, 5);
	__free_page(NULL);
	free_pages(0, 0);
	free_pages(0, 3);
	free_page(0);
	assert_int_equal(bz_check(NULL), 0);
}

static void test_linux_order_above_max_fails(void **state)
{
	(void)state;
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1));
	assert_int_equal(__get_free_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1), 0);
}

static void test_linux_invalid_gfp_refused(void **state)
{
	(void)state;
	/* GFP_ZONE_BAD combinations. */
	assert_null(alloc_page(GFP_KERNEL | GFP_DMA | GFP_DMA32 | __GFP_NOWARN));
	assert_null(alloc_page(GFP_KERNEL | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_NOWARN));
	/* Both mobility bits: no migratetype (the kernel's VM_WARN_ON case). */
	assert_null(alloc_page(GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE | __GFP_NOWARN));
	assert_int_equal(get_zeroed_page(GFP_KERNEL | GFP_DMA | GFP_DMA32 | __GFP_NOWARN), 0);
	assert_int_equal(bz_check(NULL), 0);
}

static void test_linux_max_order_block(void **state)
{
	struct page *page;

	(void)state;
	page = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
	assert_non_null(page);
	assert_int_equal(page_to_pfn(page) % (1ul << MAX_PAGE_ORDER), 0);
	assert_int_equal((uintptr_t)page_address(page) % (PAGE_SIZE << MAX_PAGE_ORDER), 0);
	__free_pages(page, MAX_PAGE_ORDER);
	assert_int_equal(bz_check(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_constants_are_the_kernels),
		cmocka_unit_test(test_linux_alloc_pages_round_trip),
		cmocka_unit_test(test_linux_alloc_page_distinct_pages),
		cmocka_unit_test(test_linux_zone_modifiers_pick_zones),
		cmocka_unit_test(test_linux_alloc_pages_node),
		cmocka_unit_test(test_linux_get_free_pages_by_address),
		cmocka_unit_test(test_linux_get_zeroed_page_is_zero_after_reuse),
		cmocka_unit_test(test_linux_gfp_zero_zeroes_every_page),
		cmocka_unit_test(test_linux_free_null_and_zero_are_quiet),
		cmocka_unit_test(test_linux_order_above_max_fails),
		cmocka_unit_test(test_linux_max_order_block),
		cmocka_unit_test(test_linux_invalid_gfp_refused), /* last: a miss corrupts */
	};

	/* Before the first call: the default system is built from this. */
	if (setenv("BUDDYZONE_ZONES", TEST_ZONES, 1) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
