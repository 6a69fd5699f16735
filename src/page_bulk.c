/* SPDX-License-Identifier: MIT */
/*
 * page_bulk.c - alloc_pages_bulk(), the array form of the kernel's
 * __alloc_pages_bulk(): many order-0 pages in one call, filling the NULL
 * entries of the caller's array.
 */
#include "entry.h"

/*
 * The first page is a request like any other (it may reclaim, wait, warn,
 * as the kernel's fallback to __alloc_pages does); the rest are taken as
 * the kernel takes them from the per-CPU list: no reclaim, no reserves, no
 * failure report, and the first that fails ends the call.
 */
BZ_API unsigned long bz_alloc_pages_bulk(bz_system *sys, bz_gfp_t gfp, unsigned long nr_pages,
					 bz_page **page_array)
{
	bz_gfp_t rest = (gfp | BZ_GFP_NOWARN | BZ_GFP_NORETRY | BZ_GFP_NOMEMALLOC) &
			~(BZ_GFP_DIRECT_RECLAIM | BZ_GFP_NOFAIL | BZ_GFP_MEMALLOC);
	unsigned long nr = 0;
	bool first = true;

	if (!page_array) {
		if (nr_pages)
			bz__log(NULL, BZ_LOG_ERR, "bz_alloc_pages_bulk: NULL page array for %lu pages", nr_pages);
		return 0;
	}
	while (nr < nr_pages) {
		bz_page *page;

		/* Skip populated array elements (__alloc_pages_bulk). */
		if (page_array[nr]) {
			nr++;
			continue;
		}
		page = bz_alloc_pages(sys, first ? gfp : rest, 0);
		first = false;
		if (!page)
			break;
		page_array[nr++] = page;
	}
	return nr;
}
