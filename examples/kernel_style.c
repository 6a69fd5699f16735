/* SPDX-License-Identifier: MIT */
/*
 * kernel_style.c - kernel code, compiled unchanged in userspace.
 *
 * <buddyzone/linux.h> gives the kernel's own spellings (struct page,
 * alloc_pages, page_address, __free_pages, get_zeroed_page, free_page,
 * GFP_KERNEL, ...) on the process's default system, which is created on
 * first use from defaults and BUDDYZONE_* variables.  The functions below
 * read like a driver's; only main() is userspace.
 */
#include <buddyzone/linux.h>
#include <stdio.h>
#include <string.h>

#define RING_ORDER 2 /* four pages per ring buffer */

/* A zeroed, physically contiguous ring buffer, as a NIC driver would keep. */
static struct page *ring_alloc(void)
{
	return alloc_pages(GFP_KERNEL | __GFP_ZERO, RING_ORDER);
}

static int ring_fill(struct page *ring)
{
	unsigned char *buf = page_address(ring);
	size_t len = PAGE_SIZE << RING_ORDER;

	for (size_t i = 0; i < len; i++)
		if (buf[i] != 0)
			return -1; /* __GFP_ZERO broke its promise */
	memset(buf, 0x5a, len);
	/* The block is contiguous: its last byte lies in its last page frame. */
	return page_to_pfn(virt_to_page(buf + len - 1)) ==
	       page_to_pfn(ring) + (1 << RING_ORDER) - 1 ? 0 : -1;
}

/* A scratch page addressed by unsigned long, the __get_free_page idiom. */
static int scratch_roundtrip(void)
{
	unsigned long addr = get_zeroed_page(GFP_KERNEL);
	char *text = (char *)addr;

	if (!addr)
		return -1;
	strcpy(text, "hello from a zeroed page");
	printf("scratch page at pfn %lu: \"%s\"\n", page_to_pfn(virt_to_page(text)), text);
	free_page(addr);
	return 0;
}

/* A bounce buffer for a device that can only address 32 bits. */
static int dma32_bounce(void)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_DMA32);

	if (!page)
		return -1;
	memset(page_address(page), 0xff, PAGE_SIZE);
	printf("DMA32 bounce page at pfn %lu\n", page_to_pfn(page));
	__free_page(page);
	return 0;
}

int main(void)
{
	struct page *ring = ring_alloc();
	int ok;

	if (!ring) {
		fprintf(stderr, "kernel_style: alloc_pages failed\n");
		return 1;
	}
	ok = ring_fill(ring) == 0;
	printf("ring buffer: order %d at pfn %lu, %p\n", RING_ORDER, page_to_pfn(ring),
	       page_address(ring));
	__free_pages(ring, RING_ORDER);

	ok = ok && scratch_roundtrip() == 0 && dma32_bounce() == 0;
	printf("%s\n", ok ? "kernel_style: OK" : "kernel_style: FAILED");
	return ok ? 0 : 1;
}
