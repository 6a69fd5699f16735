/* SPDX-License-Identifier: MIT */
/*
 * pfn_control.c - blocks by pfn, for tools that make a system follow a
 * real kernel page by page (bzreplay): take a given free block off the
 * lists (take_page_off_buddy()), and set a pageblock's migratetype
 * (set_pageblock_migratetype() with move_freepages_block()).  The free
 * side, bz_free_pages_to_buddy(), lives with the other frees in
 * page_free.c.  The buddy list work is buddy.c's, under the zone lock.
 */
#include "entry.h"

BZ_API bz_page *bz_take_free_block(bz_system *sys, unsigned long pfn, unsigned order, int mt)
{
	struct bz_zone *z;
	struct bz_page *page;
	bool taken;

	sys = bz__resolve(sys);
	if (!sys || order > BZ_MAX_ORDER || (pfn & ((1ul << order) - 1)) || mt < 0 || mt >= BZ_MIGRATE_PCPTYPES ||
	    pfn >= sys->nr_pfns)
		return NULL;
	z = bz__pfn_zone(sys, pfn);
	if (!z || pfn + (1ul << order) > zone_end_pfn(z))
		return NULL;
	bz__zone_lock(z);
	taken = bz__take_free_block_locked(z, pfn, order);
	page = pfn_to_page(sys, pfn);
	if (taken)
		bz__prep_new_page(page, order, mt);
	bz__zone_unlock(z);
	if (!taken)
		return NULL;
	/* Debug mode: unguarded and checked like any block handed out. */
	if (bz_unlikely(sys->debug.flags) && !bz__debug_alloc(sys, page, order, 0))
		return NULL;
	return page;
}

BZ_API int bz_set_pageblock_migratetype(bz_system *sys, unsigned long pfn, int mt)
{
	struct bz_zone *z;
	int old;

	sys = bz__resolve(sys);
	if (!sys || mt < 0 || mt > BZ_MIGRATE_HIGHATOMIC || pfn >= sys->nr_pfns)
		return -EINVAL;
	z = bz__pfn_zone(sys, pfn);
	if (!z)
		return -EINVAL;
	bz__zone_lock(z);
	old = get_pageblock_migratetype(sys, pfn);
	bz__set_pageblock_migratetype_locked(z, pfn, mt);
	/* The highatomic reserve counts its pageblocks (reserve_highatomic_pageblock). */
	if ((old == BZ_MIGRATE_HIGHATOMIC) != (mt == BZ_MIGRATE_HIGHATOMIC)) {
		if (mt == BZ_MIGRATE_HIGHATOMIC)
			atomic_fetch_add(&z->nr_reserved_highatomic, PAGEBLOCK_NR_PAGES);
		else
			atomic_fetch_sub(&z->nr_reserved_highatomic, PAGEBLOCK_NR_PAGES);
		zone_update_fast_mark(z);
	}
	bz__zone_unlock(z);
	return 0;
}
