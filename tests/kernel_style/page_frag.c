// SPDX-License-Identifier: MIT
/*
 * page_frag.c - networking's page fragments: receive buffers of varied
 * sizes carved from a page_frag_cache, held for a while (in flight up the
 * stack) and freed out of order with page_frag_free, some after the cache
 * moved on to a new page, some while it still carves the old one.  At the
 * end the cache is drained: every page must come back.
 */
#include <string.h>

#include "harness.h"

#define FRAGS 200000
#define IN_FLIGHT 97
#define SMP_CACHE_BYTES 64

static unsigned int __init frag_size(unsigned long i)
{
	static const unsigned int sizes[] = { 64, 128, 256, 320, 1500, 1536, 2048, 4000, 9000, 16384 };

	return sizes[(i * 2654435761u) % (sizeof(sizes) / sizeof(sizes[0]))];
}

static int __init frag_run(struct page_frag_cache *nc)
{
	void *ring[IN_FLIGHT] = { 0 };
	unsigned int len[IN_FLIGHT] = { 0 };

	for (unsigned long i = 0; i < FRAGS; i++) {
		unsigned int slot = (unsigned int)((i * 31) % IN_FLIGHT), size = frag_size(i);
		unsigned char *buf;

		if (ring[slot]) {
			/* Still the bytes this fragment's owner wrote: no other fragment overlapped it. */
			EXPECT(((unsigned char *)ring[slot])[0] == (unsigned char)slot &&
			       ((unsigned char *)ring[slot])[len[slot] - 1] == (unsigned char)slot);
			page_frag_free(ring[slot]);
		}
		buf = i % 3 ? page_frag_alloc(nc, size, GFP_ATOMIC) :
			      page_frag_alloc_align(nc, size, GFP_ATOMIC, SMP_CACHE_BYTES);
		if (!EXPECT(buf != NULL))
			return -1;
		if (i % 3 == 0)
			EXPECT(((unsigned long)buf & (SMP_CACHE_BYTES - 1)) == 0);
		/* The fragment lies in one (compound) page, which holds a reference for it. */
		EXPECT(virt_to_head_page(buf) == virt_to_head_page(buf + size - 1));
		EXPECT(page_count(virt_to_page(buf)) > 1);
		memset(buf, (int)slot, size);
		ring[slot] = buf;
		len[slot] = size;
	}
	for (unsigned int slot = 0; slot < IN_FLIGHT; slot++)
		if (ring[slot])
			page_frag_free(ring[slot]);
	return 0;
}

static int __init m_in(void)
{
	struct page_frag_cache nc = { 0 };
	unsigned long before = harness_free_pages();
	int ret = frag_run(&nc);

	/* The cache still holds its page: pages are back only after the drain. */
	EXPECT(harness_free_pages() < before);
	page_frag_cache_drain(&nc);
	EXPECT(harness_free_pages() == before);
	return ret;
}

module_init(m_in);
MODULE_LICENSE("MIT");
