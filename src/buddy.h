/* SPDX-License-Identifier: MIT */
/*
 * buddy.h - the zone layer (DESIGN.md, "Layers"): a zone's watermarks and
 * reserves (watermark.c) and its buddy free lists (buddy.c), everything a
 * zone decides by itself.  A _locked suffix means the caller holds
 * zone->lock, and the function asserts it (zone_lock_held).
 */
#ifndef BZ_BUDDY_H
#define BZ_BUDDY_H

#include "os.h"
#include "page_ref.h"

/* ---- watermark.c: watermarks, reserves, pageset sizes, the watermark tests -------- */

/* init_per_zone_wmark_min(): min_free_kbytes (unless user-set), reserves, watermarks, pagesets. */
void bz__recompute_watermarks(struct bz_system *sys);
/* setup_per_zone_wmarks(): watermarks and pageset sizes from min_free_kbytes and the scale factor. */
void bz__setup_per_zone_wmarks(struct bz_system *sys);
/* setup_per_zone_lowmem_reserve() */
void bz__setup_per_zone_lowmem_reserve(struct bz_system *sys);
/* calculate_min_free_kbytes() */
void bz__calculate_min_free_kbytes(struct bz_system *sys);
/* The THP mode changed: khugepaged's min_free_kbytes, or calculate_min_free_kbytes() again. */
void bz__start_stop_khugepaged(struct bz_system *sys);
/* zone_pcp_update(): the zone's pageset batch, high_min and high_max. */
void bz__zone_pcp_update(struct bz_zone *zone);
/* __zone_watermark_ok(): free_pages above mark (with reserves) and, for order > 0, a block. */
bool bz__zone_watermark_ok(struct bz_zone *z, unsigned order, unsigned long mark,
			   int highest_zoneidx, unsigned alloc_flags, long free_pages);
/* zone_watermark_fast(): the same from the zone's counters, order 0 first. */
bool bz__zone_watermark_fast(struct bz_zone *z, unsigned order, unsigned long mark,
			     int highest_zoneidx, unsigned alloc_flags);
/* boost_watermark(): after a pageblock steal; true when the boost grew. */
bool bz__boost_watermark_locked(struct bz_zone *zone);

/* ---- buddy.c: the free lists, under zone->lock --------------------------------------- */

/* PAGE_REPORTING_CAPACITY: blocks page reporting isolates per batch (page_reporting.c). */
#define BZ_PAGE_REPORTING_CAPACITY 32

/* Sets up empty free lists with the zone's memory as deferred MOVABLE blocks. */
void bz__zone_init_free_lists(struct bz_zone *zone);
/*
 * Memory hot-add: [start, end), just inside the zone's span, becomes free
 * memory, merged with free buddies as __free_pages_core() would.
 */
void bz__zone_grow_locked(struct bz_zone *zone, unsigned long start, unsigned long end);
enum { RMQUEUE_NORMAL, RMQUEUE_CLAIM, RMQUEUE_STEAL };
/* __rmqueue with a mode kept across a batch (rmqueue_bulk). */
struct bz_page *bz__rmqueue_mode_locked(struct bz_zone *zone, unsigned order, int mt, unsigned alloc_flags,
					int *mode);
/* rmqueue_buddy: a block of 2^order pages of migratetype mt (fallbacks, highatomic rules), or NULL. */
struct bz_page *bz__rmqueue_locked(struct bz_zone *zone, unsigned order, int mt, unsigned alloc_flags);
/*
 * __free_one_page: frees the block at pfn into the lists, merging with its
 * buddies; a block that ends at page_reporting_order or more sets
 * sys->reporting_requested (page_reporting_notify_free).
 */
void bz__free_one_page_locked(struct bz_zone *zone, unsigned long pfn, unsigned order, int mt);
/* The same, listed at the tail (FPI_TO_TAIL: make_alloc_exact's unused pages). */
void bz__free_one_page_tail_locked(struct bz_zone *zone, unsigned long pfn, unsigned order, int mt);
/* Marks a block from __rmqueue allocated: PG_head, its order, its migratetype, one reference. */
void bz__prep_new_page(struct bz_page *page, unsigned order, int mt);
/*
 * An allocated block and its last refs references (0: frozen already)
 * straight back to the lists (free_one_page()): takes the zone lock.
 * False, nothing changed, when the count was no longer refs.
 */
bool bz__free_block(struct bz_zone *zone, unsigned long pfn, unsigned order, int refs);
/* reserve_highatomic_pageblock(): takes the zone lock itself. */
void bz__reserve_highatomic_pageblock(struct bz_zone *zone, unsigned long pfn, unsigned order);
/* unreserve_highatomic_pageblock(): true when a reserved pageblock went back to mt. */
bool bz__unreserve_highatomic_pageblock_locked(struct bz_zone *zone, int mt, bool force);
/* Number of blocks on one free list, deferred blocks included; stops counting at cap (0: no cap). */
unsigned long bz__free_list_count_locked(struct bz_zone *zone, unsigned order, int mt, unsigned long cap);
/* Counts pageblocks per migratetype over the zone's span. */
void bz__count_pageblocks_locked(struct bz_zone *zone, unsigned long counts[BZ_MIGRATE_TYPES]);
/*
 * __isolate_free_page() for page reporting: takes a free block off its list
 * if the zone keeps its min watermark; the block looks allocated meanwhile.
 */
bool bz__isolate_free_block_locked(struct bz_zone *zone, unsigned long pfn, unsigned order);
/* __putback_isolated_page(): back to the lists, reported (zero, not resident) or as before. */
void bz__putback_isolated_locked(struct bz_zone *zone, unsigned long pfn, unsigned order, int mt, bool reported);
/* take_page_off_buddy() for [pfn, pfn + 2^order): false when not all inside one free block. */
bool bz__take_free_block_locked(struct bz_zone *zone, unsigned long pfn, unsigned order);
/* The pageblock of pfn becomes mt, its free blocks moved to mt's lists (move_freepages_block). */
void bz__set_pageblock_migratetype_locked(struct bz_zone *zone, unsigned long pfn, int mt);

#endif /* BZ_BUDDY_H */
