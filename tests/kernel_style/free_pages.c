// SPDX-License-Identifier: MIT
/*
 * free_pages.c - lib/test_free_pages.c's pattern: a million order-3
 * blocks, each given a speculative reference (as the page cache might
 * take one) before free_pages() and dropped after it, with and without
 * __GFP_COMP.  Without __GFP_COMP, free_pages() must free all but the
 * first page while the reference is held and put_page() the first; with
 * it, put_page() frees the whole compound page.  Either mistake leaks
 * pages, which the harness sees.  One round first looks at each step.
 */
#define pr_fmt(fmt) "test_free_pages: " fmt

#include "harness.h"

#define ROUNDS (1000 * 1000)

/* One round, looked at: the counts, and which pages are still in use. */
static int __init check_one(gfp_t gfp)
{
	unsigned long before = harness_free_pages();
	unsigned long addr = __get_free_pages(gfp, 3);
	struct page *page = virt_to_page((void *)addr);
	bool comp = gfp & __GFP_COMP;

	if (!EXPECT(addr && page_ref_count(page) == 1))
		return -1;
	EXPECT(PageHead(page) == comp && PageTail(page + 5) == comp);
	EXPECT(page_count(page + 5) == (comp ? 1 : 0));
	get_page(page);
	EXPECT(page_ref_count(page) == 2);
	free_pages(addr, 3);
	EXPECT(page_ref_count(page) == 1);
	/* Compound: all eight pages wait for put_page; else only the first. */
	EXPECT(harness_free_pages() == before - (comp ? 8 : 1));
	put_page(page);
	EXPECT(page_ref_count(page) == 0);
	EXPECT(harness_free_pages() == before);
	return 0;
}

static void __init test_free_pages(gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < ROUNDS; i++) {
		unsigned long addr = __get_free_pages(gfp, 3);
		struct page *page = virt_to_page((void *)addr);

		/* A speculative reference, as the page cache would hold one. */
		get_page(page);
		free_pages(addr, 3);
		put_page(page);
	}
}

static int __init m_in(void)
{
	if (check_one(GFP_KERNEL) || check_one(GFP_KERNEL | __GFP_COMP))
		return -1;
	pr_info("Testing with GFP_KERNEL\n");
	test_free_pages(GFP_KERNEL);
	pr_info("Testing with GFP_KERNEL | __GFP_COMP\n");
	test_free_pages(GFP_KERNEL | __GFP_COMP);
	pr_info("Test completed\n");
	return 0;
}

static void __exit m_ex(void)
{
}

module_init(m_in);
module_exit(m_ex);
MODULE_AUTHOR("libbuddyzone");
MODULE_LICENSE("MIT");
