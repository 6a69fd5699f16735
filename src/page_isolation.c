/* SPDX-License-Identifier: MIT */
/*
 * page_isolation.c - MIGRATE_ISOLATE pageblocks, as the kernel's
 * mm/page_isolation.c (Linux 6.1-6.15 interface): a pageblock is isolated
 * when no page of the requested range in it is in use and unmovable
 * (has_unmovable_pages), its free pages moving to the isolate lists,
 * which no allocation takes from and NR_FREE_PAGES does not count
 * (account_freepages, buddy.c); pages freed into it stay there (the free
 * paths read the pageblock's type: pcp.h, pcp.c).  Contiguous allocation
 * and memory offline (contig_alloc.c, memory_offline.c) isolate their
 * range, move what is there, and then find it all free on those lists.
 */
#include "page_isolation.h"

#define pageblock_start_pfn(pfn) ((pfn) & ~(PAGEBLOCK_NR_PAGES - 1))
#define pageblock_align(pfn) (((pfn) + PAGEBLOCK_NR_PAGES - 1) & ~(PAGEBLOCK_NR_PAGES - 1))

/* The block (free, cached or allocated) that holds pfn, whose first page may lie below it; BZ_NIL: none. */
static unsigned long block_head(const struct bz_zone *z, unsigned long pfn)
{
	for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
		unsigned long head = pfn & ~((1ul << o) - 1);
		const struct bz_page *p = pfn_to_page(z->sys, head);

		if (!zone_spans_pfn(z, head))
			break;
		if ((PAGE_GET(p, flags) & (PG_buddy | PG_pcp | PG_head)) && PAGE_GET(p, order) >= o)
			return head;
	}
	return BZ_NIL;
}

/*
 * has_unmovable_pages(): the first pfn of [start, end) (one pageblock)
 * that is in use and cannot move, BZ_NIL when there is none; *why says
 * what it is.  Free and cached pages and frozen ones (reference count 0)
 * pass; a page marked reserved does not; in ZONE_MOVABLE every other page
 * is taken for movable, elsewhere only the blocks marked movable are.
 */
static unsigned long first_unmovable(const struct bz_zone *z, unsigned long start, unsigned long end,
				     const char **why)
{
	unsigned long pfn = start;

	while (pfn < end) {
		const struct bz_page *p = pfn_to_page(z->sys, pfn), *h;
		unsigned long head;

		if (!(PAGE_GET(p, flags) & PG_init)) {
			/* Deferred memory is free max-order blocks; anything else uninitialised is reserved. */
			if (pfn < z->deferred_pfn || pfn >= z->deferred_end) {
				*why = "reserved (not memory)";
				return pfn;
			}
			pfn = BZ_MIN(end, z->deferred_end);
			continue;
		}
		head = block_head(z, pfn);
		if (head == BZ_NIL) {
			*why = "in no block";
			return pfn;
		}
		h = pfn_to_page(z->sys, head);
		pfn = head + (1ul << PAGE_GET(h, order));
		if (PAGE_GET(h, flags) & (PG_buddy | PG_pcp | PG_frozen))
			continue;
		if (PAGE_GET(h, uflags) & UPG_reserved) {
			*why = "PageReserved";
			return head;
		}
		if (z->idx == BZ_ZONE_MOVABLE || (PAGE_GET(h, uflags) & UPG_movable))
			continue;
		*why = "in use and not movable";
		return head;
	}
	return BZ_NIL;
}

int bz__set_migratetype_isolate(struct bz_zone *z, unsigned long pfn, unsigned long start, unsigned long end,
				unsigned flags)
{
	unsigned long block = pageblock_start_pfn(pfn), block_end = block + PAGEBLOCK_NR_PAGES;
	unsigned long bad = block;
	const char *why = NULL;
	int mt;

	bz__zone_lock(z);
	mt = get_pageblock_migratetype(z->sys, block);
	if (!zone_spans_pfn(z, block) || !zone_spans_pfn(z, block_end - 1))
		why = "the pageblock crosses the zone's edge";
	else if (is_migrate_isolate(mt))
		why = "the pageblock is isolated already";        /* another caller's range overlaps */
	else if (mt == BZ_MIGRATE_HIGHATOMIC)
		why = "the pageblock is a highatomic reserve";    /* undo would not give it back as one */
	else
		bad = first_unmovable(z, BZ_MAX(block, start), BZ_MIN(block_end, end), &why);
	if (!why) {
		bz__pageblock_move_free_locked(z, block, BZ_MIGRATE_ISOLATE);
		z->nr_isolate_pageblock++;
	}
	bz__zone_unlock(z);
	if (!why)
		return 0;
	if (flags & REPORT_FAILURE)
		bz__log(z->sys, BZ_LOG_WARNING, "page isolation: pageblock at pfn %05lx: pfn %05lx %s", block, bad,
			why);
	return -EBUSY;
}

void bz__unset_migratetype_isolate(struct bz_zone *z, unsigned long pfn, int mt)
{
	unsigned long block = pageblock_start_pfn(pfn);

	bz__zone_lock(z);
	if (is_migrate_isolate(get_pageblock_migratetype(z->sys, block))) {
		bz__pageblock_move_free_locked(z, block, mt);
		bz__pageblock_remerge_locked(z, block);
		z->nr_isolate_pageblock--;
	}
	bz__zone_unlock(z);
}

int bz__start_isolate_page_range(struct bz_zone *z, unsigned long start, unsigned long end, int mt,
				 unsigned flags)
{
	unsigned long first = pageblock_start_pfn(start), last = pageblock_align(end);

	for (unsigned long pfn = first; pfn < last; pfn += PAGEBLOCK_NR_PAGES) {
		if (bz__set_migratetype_isolate(z, pfn, start, end, flags)) {
			bz__undo_isolate_page_range(z, first, pfn, mt);
			return -EBUSY;
		}
	}
	return 0;
}

void bz__undo_isolate_page_range(struct bz_zone *z, unsigned long start, unsigned long end, int mt)
{
	for (unsigned long pfn = pageblock_start_pfn(start); pfn < pageblock_align(end); pfn += PAGEBLOCK_NR_PAGES)
		bz__unset_migratetype_isolate(z, pfn, mt);
}

int bz__test_pages_isolated_locked(struct bz_zone *z, unsigned long start, unsigned long end, unsigned flags)
{
	unsigned long pfn;

	(void)flags;    /* MEMORY_OFFLINE's PageOffline and HWPoison pages do not exist here */
	zone_lock_held(z);
	for (pfn = pageblock_start_pfn(start); pfn < end; pfn += PAGEBLOCK_NR_PAGES)
		if (!is_migrate_isolate(get_pageblock_migratetype(z->sys, pfn)))
			return -EBUSY;
	for (pfn = start; pfn < end;) {
		const struct bz_page *p = pfn_to_page(z->sys, pfn);

		if (!(PAGE_GET(p, flags) & PG_buddy))
			break;
		pfn += 1ul << PAGE_GET(p, order);
	}
	return pfn < end ? -EBUSY : 0;
}

int bz__test_pages_isolated(struct bz_zone *z, unsigned long start, unsigned long end, unsigned flags)
{
	int ret;

	bz__zone_lock(z);
	ret = bz__test_pages_isolated_locked(z, start, end, flags);
	bz__zone_unlock(z);
	return ret;
}

unsigned long bz__free_block_head_locked(struct bz_zone *z, unsigned long pfn)
{
	zone_lock_held(z);
	for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
		unsigned long head = pfn & ~((1ul << o) - 1);
		const struct bz_page *p = pfn_to_page(z->sys, head);

		if (!zone_spans_pfn(z, head))
			break;
		if ((PAGE_GET(p, flags) & PG_buddy) && PAGE_GET(p, order) >= o)
			return head;
	}
	return pfn;
}
