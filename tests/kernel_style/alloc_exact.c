// SPDX-License-Identifier: MIT
/*
 * alloc_exact.c - alloc_pages_exact() of odd sizes, as drivers size
 * buffers for hardware: every byte usable, only the pages the size needs
 * kept (the rest of the power-of-two block freed at once), each kept page
 * an order-0 page of its own that free_pages_exact() or free_page() gives
 * back; and alloc_pages_exact_nid() for a node.
 */
#include <string.h>

#include "harness.h"

static const size_t sizes[] = {
	1, 100, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE, 3 * PAGE_SIZE + 5,
	5 * PAGE_SIZE - 7, 7 * PAGE_SIZE + 1, 9 * PAGE_SIZE, 100000, 300 * PAGE_SIZE + 1,
	(1ul << 20) + 1, 3ul << 20,
};

/* The buffer of size bytes at buf: written whole, its pages each order 0 with one reference. */
static int __init check_buffer(void *buf, size_t size)
{
	unsigned long nr = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	struct page *first = virt_to_page(buf);

	memset(buf, 0xa5, size);
	for (unsigned long i = 0; i < nr; i++) {
		struct page *page = virt_to_page((char *)buf + i * PAGE_SIZE);

		if (!EXPECT(page == first + i && page_ref_count(page) == 1 && !PageCompound(page)))
			return -1;
	}
	return 0;
}

static int __init exact_sizes(void)
{
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t size = sizes[i];
		unsigned long nr = (size + PAGE_SIZE - 1) / PAGE_SIZE;
		unsigned long before = harness_free_pages();
		void *buf = alloc_pages_exact(size, GFP_KERNEL | __GFP_ZERO);

		if (!EXPECT(buf != NULL) || !EXPECT(((unsigned long)buf & (PAGE_SIZE - 1)) == 0))
			return -1;
		/* Only what the size needs is gone; the block's other 2^order - nr pages came back. */
		EXPECT(harness_free_pages() == before - nr);
		EXPECT(get_order(size) == (int)(nr > 1 ? 64 - __builtin_clzl(nr - 1) : 0));
		if (check_buffer(buf, size))
			return -1;
		if (i % 2) {
			free_pages_exact(buf, size);
		} else {
			/* Each page is a page of its own: freed one by one, last first. */
			for (unsigned long p = nr; p-- > 0;)
				free_page((unsigned long)buf + p * PAGE_SIZE);
		}
		EXPECT(harness_free_pages() == before);
	}
	return 0;
}

/* A page of an exact buffer can be freed early, the rest later (a driver trimming a ring). */
static int __init exact_partial_free(void)
{
	size_t size = 6 * PAGE_SIZE + 10;
	char *buf = alloc_pages_exact(size, GFP_KERNEL);

	if (!EXPECT(buf != NULL))
		return -1;
	free_pages_exact(buf + 4 * PAGE_SIZE, size - 4 * PAGE_SIZE);
	memset(buf, 1, 4 * PAGE_SIZE);
	free_pages_exact(buf, 4 * PAGE_SIZE);
	return 0;
}

static int __init exact_nid(void)
{
	void *buf = alloc_pages_exact_nid(0, 5 * PAGE_SIZE, GFP_KERNEL);

	if (!EXPECT(buf != NULL) || !EXPECT(page_to_nid(virt_to_page(buf)) == 0))
		return -1;
	if (check_buffer(buf, 5 * PAGE_SIZE))
		return -1;
	free_pages_exact(buf, 5 * PAGE_SIZE);
	return 0;
}

static int __init m_in(void)
{
	return exact_sizes() || exact_partial_free() || exact_nid() ? -1 : 0;
}

module_init(m_in);
MODULE_LICENSE("MIT");
