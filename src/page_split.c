/* SPDX-License-Identifier: MIT */
/*
 * page_split.c - one allocated block as several pages: split_page, and the
 * exact-size allocations that split a block and free the pages they do not
 * need (alloc_pages_exact, alloc_pages_exact_nid, make_alloc_exact,
 * free_pages_exact), as in mm/page_alloc.c.  The split happens under the
 * zone lock, so that a check sees the block whole or in pieces.
 */
#include <stdio.h>

#include "entry.h"

/*
 * Pages [from, to) of the block at pfn become allocated order-0 pages with
 * one reference each (set_page_refcounted), and its head an order-0 page
 * that keeps the block's references.  The caller holds one of them (no one
 * frees the head meanwhile) and the zone lock.
 */
static void split_locked(struct bz_system *sys, unsigned long pfn, unsigned long from, unsigned long to)
{
	struct bz_page *head = pfn_to_page(sys, pfn);
	int mt = PAGE_GET(head, mt);

	for (unsigned long i = from; i < to; i++) {
		struct bz_page *p = head + i;

		p->private = 0;
		PAGE_SET(p, val, PAGE_VAL(PG_init | PG_head, 0, mt, PAGE_GET(p, uflags), 1));
	}
	PAGE_SET(head, order, 0);
}

/* What split_page(page, order) must find: an allocated, non-compound block of that order. */
static const char *split_bad_reason(const struct bz_page *p, unsigned order, char *why, size_t size)
{
	uint8_t flags = PAGE_GET(p, flags);

	if (page_is_tail(p))
		return "split_page of a compound page's tail";
	if ((flags & (PG_head | PG_frozen)) != PG_head || page_ref_count(p) <= 0)
		return "split_page of a page that is not an allocated block with a reference";
	if (flags & PG_compound)
		return "split_page of a compound page";
	if (PAGE_GET(p, order) != order) {
		snprintf(why, size, "split_page with the wrong order: allocated as order %u, split as order %u",
			 PAGE_GET(p, order), order);
		return why;
	}
	return NULL;
}

BZ_API int bz_split_page(bz_page *page, unsigned order)
{
	struct bz_system *sys;
	struct bz_zone *z;
	unsigned long pfn;
	const char *reason;
	char why[96];

	sys = bz__page_owner_checked(page, "bz_split_page", &pfn);
	if (!sys)
		return -EINVAL;
	if (order > BZ_MAX_ORDER)
		return bz__bad_page(sys, pfn, "split_page with an order above the maximum");
	z = bz__pfn_zone(sys, pfn);
	bz__zone_lock(z);
	reason = split_bad_reason(page, order, why, sizeof(why));
	if (!reason)
		split_locked(sys, pfn, 1, 1ul << order);
	bz__zone_unlock(z);
	return reason ? bz__bad_page(sys, pfn, reason) : 0;
}

/*
 * make_alloc_exact(): of the fresh block at pfn (the caller's only
 * reference), the first DIV_ROUND_UP(size, PAGE_SIZE) pages become order-0
 * pages and the rest go back one by one to the tail of the free lists
 * (__free_pages_ok(page, 0, FPI_TO_TAIL)), debug mode's hooks first.
 */
static void make_alloc_exact(struct bz_system *sys, unsigned long pfn, unsigned order, size_t size)
{
	unsigned long nr = (size + BZ_PAGE_SIZE - 1) >> BZ_PAGE_SHIFT, end = 1ul << order;
	struct bz_zone *z = bz__pfn_zone(sys, pfn);

	if (bz_unlikely(sys->debug.flags))
		for (unsigned long i = nr; i < end; i++)
			bz__debug_free(sys, pfn + i, 0);
	bz__zone_lock(z);
	split_locked(sys, pfn, 1, nr);
	for (unsigned long i = nr; i < end; i++) {
		struct bz_page *p = pfn_to_page(sys, pfn + i);

		PAGE_SET(p, uflags, PAGE_GET(p, uflags) & PGDBG_MASK);
		bz__free_one_page_tail_locked(z, pfn + i, 0, get_pageblock_migratetype(sys, pfn + i));
	}
	bz__zone_unlock(z);
	bz__page_reporting_poll(sys);
}

/* alloc_pages_exact() (policy: the thread's memory policy applies) and alloc_pages_exact_nid(). */
static void *alloc_exact(bz_system *sys_in, int nid, size_t size, bz_gfp_t gfp, bool policy)
{
	unsigned order = (unsigned)bz_get_order(size);
	struct bz_system *sys;
	unsigned long pfn;
	bz_page *page;

	if (gfp & (BZ_GFP_COMP | BZ_GFP_HIGHMEM)) {
		/* WARN_ON_ONCE() in the kernel; the flags go. */
		bz__log(bz__resolve(sys_in), BZ_LOG_WARNING,
			"alloc_pages_exact: __GFP_COMP and __GFP_HIGHMEM are not for exact allocations; dropped");
		gfp &= ~(BZ_GFP_COMP | BZ_GFP_HIGHMEM);
	}
	page = policy ? bz_alloc_pages(sys_in, gfp, order) : bz_alloc_pages_node(sys_in, nid, gfp, order);
	sys = page ? bz__page_owner(page, &pfn) : NULL;
	if (!sys)
		return NULL;
	make_alloc_exact(sys, pfn, order, size);
	return sys->base + (pfn << BZ_PAGE_SHIFT);
}

BZ_API void *bz_alloc_pages_exact(bz_system *sys, size_t size, bz_gfp_t gfp)
{
	return alloc_exact(sys, -1, size, gfp, true);
}

BZ_API void *bz_alloc_pages_exact_nid(bz_system *sys, int nid, size_t size, bz_gfp_t gfp)
{
	return alloc_exact(sys, nid, size, gfp, false);
}

/* Is every page of [pfn, pfn + nr) an allocated order-0 page with a reference?  Else reported. */
static int exact_range_bad(struct bz_system *sys, unsigned long pfn, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		const struct bz_page *p = pfn + i < sys->nr_pfns && bz__pfn_zone(sys, pfn + i) ?
					  pfn_to_page(sys, pfn + i) : NULL;
		char why[128];

		if (p && (PAGE_GET(p, flags) & (PG_head | PG_frozen | PG_compound)) == PG_head &&
		    !PAGE_GET(p, order) && page_ref_count(p) > 0)
			continue;
		snprintf(why, sizeof(why), "free_pages_exact: page %lu of %lu is not an allocated order-0 page; "
			 "nothing freed", i, nr);
		return p ? bz__bad_page(sys, pfn + i, why) : bz__bad_page(sys, pfn, why);
	}
	return 0;
}

BZ_API int bz_free_pages_exact(void *virt, size_t size)
{
	struct bz_system *sys = virt ? bz__system_of_addr(virt) : NULL;
	unsigned long nr = (size + BZ_PAGE_SIZE - 1) >> BZ_PAGE_SHIFT, pfn;
	uintptr_t off;
	int ret = 0;

	if (!sys) {
		bz__log(NULL, BZ_LOG_ERR, "Bad page state: bz_free_pages_exact(%p, %zu): %s", virt, size,
			virt ? "not an address of any live system" : "NULL address");
		return -EINVAL;
	}
	off = (uintptr_t)virt - (uintptr_t)sys->base;
	pfn = off >> BZ_PAGE_SHIFT;
	if (off & (BZ_PAGE_SIZE - 1))
		return bz__bad_page(sys, pfn, "free_pages_exact: misaligned address");
	if (exact_range_bad(sys, pfn, nr))
		return -EINVAL;
	/* free_pages_exact(): free_page() of each. */
	for (unsigned long i = 0; i < nr; i++) {
		int err = bz_free_pages(pfn_to_page(sys, pfn + i), 0);

		if (err && !ret)
			ret = err;
	}
	return ret;
}
