/* SPDX-License-Identifier: MIT */
/*
 * page_isolation.h - MIGRATE_ISOLATE pageblocks (page_isolation.c), in
 * the zone layer beside the free lists they change (DESIGN.md, "Layers").
 * The interface of the kernel's mm/page_isolation.c as Linux 6.1-6.15
 * has it: the caller names the migratetype an isolated pageblock gets
 * back, and MEMORY_OFFLINE/REPORT_FAILURE are flags.
 */
#ifndef BZ_PAGE_ISOLATION_H
#define BZ_PAGE_ISOLATION_H

#include "buddy.h"

/* start_isolate_page_range()'s flags (include/linux/page-isolation.h, 6.1-6.15). */
#define MEMORY_OFFLINE 0x1u     /* for offline_pages(): PageOffline pages count as free */
#define REPORT_FAILURE 0x2u     /* log the page that keeps a pageblock from isolation */

static inline bool is_migrate_isolate(int mt)
{
	return mt == BZ_MIGRATE_ISOLATE;
}

/*
 * set_migratetype_isolate(): the pageblock of pfn becomes MIGRATE_ISOLATE,
 * its free pages on the isolate lists (no longer in NR_FREE_PAGES, never
 * handed out), unless it is isolated already, lies partly outside zone,
 * is a highatomic reserve, or holds a page of [start, end) that cannot
 * move (has_unmovable_pages): -EBUSY.  Takes the zone lock.
 */
int bz__set_migratetype_isolate(struct bz_zone *zone, unsigned long pfn, unsigned long start, unsigned long end,
				unsigned flags);
/* unset_migratetype_isolate(): an isolated pageblock becomes mt again, its free pages merged back. */
void bz__unset_migratetype_isolate(struct bz_zone *zone, unsigned long pfn, int mt);
/*
 * start_isolate_page_range(): every pageblock [start, end) touches, all
 * of zone, isolated; 0, or -EBUSY with every pageblock it isolated given
 * back mt.
 */
int bz__start_isolate_page_range(struct bz_zone *zone, unsigned long start, unsigned long end, int mt,
				 unsigned flags);
/* undo_isolate_page_range(): every isolated pageblock [start, end) touches becomes mt again. */
void bz__undo_isolate_page_range(struct bz_zone *zone, unsigned long start, unsigned long end, int mt);
/*
 * test_pages_isolated(): 0 when every pageblock of [start, end) is
 * isolated and every page of it free on the buddy lists; else -EBUSY.
 * The _locked form leaves the zone lock to the caller.
 */
int bz__test_pages_isolated(struct bz_zone *zone, unsigned long start, unsigned long end, unsigned flags);
int bz__test_pages_isolated_locked(struct bz_zone *zone, unsigned long start, unsigned long end, unsigned flags);
/* find_large_buddy(): the first pfn of the free block holding pfn, else pfn itself. */
unsigned long bz__free_block_head_locked(struct bz_zone *zone, unsigned long pfn);

#endif /* BZ_PAGE_ISOLATION_H */
