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

/* Orders above it are costly: reclaim and compaction treat them apart (mmzone.h). */
#define PAGE_ALLOC_COSTLY_ORDER 3

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
/*
 * __isolate_free_page() for compaction's free scanner: the free block at
 * pfn comes off its list, frozen (PG_head | PG_frozen, no reference), if
 * the zone keeps its min watermark plus the block; a block of at least
 * pageblock_order - 1 claims its pageblock(s) for MOVABLE first.
 */
bool bz__isolate_free_page_locked(struct bz_zone *zone, unsigned long pfn, unsigned order);
/*
 * Pageblock isolation's moves (page_isolation.c): the free pages of the
 * pageblock of pfn go to new_mt's lists and the pageblock becomes new_mt,
 * a free block larger than the pageblock split around it first and
 * deferred memory up to it set up; the pages moved.
 */
long bz__pageblock_move_free_locked(struct bz_zone *zone, unsigned long pfn, int new_mt);
/* A free block of pageblock order or more at the pageblock's start merges again with its buddy. */
void bz__pageblock_remerge_locked(struct bz_zone *zone, unsigned long pfn);
/*
 * fast_isolate_freepages()'s search of the MOVABLE list of one order,
 * from its tail: the first block at or above low_pfn, else the highest at
 * or above min_pfn (each such candidate halves *limit), seeing at most
 * *limit blocks (and halving it when it used them all); *scanned counts
 * them, *highest gets the highest pageblock seen.  The list is rotated
 * past what was seen (move_freelist_head).  The block's pfn, or BZ_NIL.
 */
unsigned long bz__fast_freelist_search_locked(struct bz_zone *zone, unsigned order, unsigned long low_pfn,
					      unsigned long min_pfn, unsigned *limit, unsigned long *scanned,
					      unsigned long *highest);
/*
 * __compact_finished()'s question, read without the lock as the kernel
 * does: is a free block of order or more on mt's lists, or on a list an
 * allocation of mt could claim whole (find_suitable_fallback)?
 */
bool bz__free_block_suitable(struct bz_zone *zone, unsigned order, int mt);

/* ---- compaction_policy.c: what compaction decides per zone, moving nothing ------------------ */

#define COMPACT_MAX_DEFER_SHIFT 6                   /* at most 64 attempts skipped */
#define COMPACTION_HPAGE_ORDER  BZ_PAGEBLOCK_ORDER  /* HPAGE_PMD_ORDER: proactive compaction's order */
#define HPAGE_FRAG_CHECK_INTERVAL_MSEC 500          /* kcompactd's proactive look */

/* compact_gap(): free pages compaction needs around a request of this order. */
static inline unsigned long compact_gap(unsigned order)
{
	return 2ul << order;
}

/* enum compact_result (include/linux/compaction.h): ordered, callers take max() of them. */
enum compact_result {
	COMPACT_NOT_SUITABLE_ZONE,      /* the fragmentation index says: not fragmentation */
	COMPACT_SKIPPED,                /* not started: no order-0 room (reclaim first) */
	COMPACT_DEFERRED,               /* not started: deferred after recent failures */
	COMPACT_NO_SUITABLE_PAGE,       /* __compact_finished's "keep going" */
	COMPACT_CONTINUE,
	COMPACT_COMPLETE,               /* the scanners met over the whole zone, no success */
	COMPACT_PARTIAL_SKIPPED,        /* the scanners met over part of it */
	COMPACT_CONTENDED,              /* stopped early: lock contention, no target memory */
	COMPACT_SUCCESS,                /* a suitable free block exists */
};

/* enum compact_priority: lower is harder. */
enum compact_priority {
	COMPACT_PRIO_SYNC_FULL,
	MIN_COMPACT_PRIORITY = COMPACT_PRIO_SYNC_FULL,
	COMPACT_PRIO_SYNC_LIGHT,
	MIN_COMPACT_COSTLY_PRIORITY = COMPACT_PRIO_SYNC_LIGHT,
	DEF_COMPACT_PRIORITY = COMPACT_PRIO_SYNC_LIGHT,
	COMPACT_PRIO_ASYNC,
	INIT_COMPACT_PRIORITY = COMPACT_PRIO_ASYNC
};

/*
 * The fragmentation indices of mm/vmstat.c over free block counts
 * (extfrag.c prints them): __fragmentation_index(), unusable_free_index().
 */
int bz__fragmentation_index_of(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned order);
int bz__unusable_index_of(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned order);
/* fragmentation_index(), extfrag_for_order() of a zone, from its counts without the lock. */
int bz__fragmentation_index(const struct bz_zone *zone, unsigned order);
unsigned bz__extfrag_for_order(const struct bz_zone *zone, unsigned order);
/* __compaction_suitable(): room for compaction's targets above watermark, counting free_pages. */
bool bz__compaction_suitable_free(struct bz_zone *zone, unsigned order, unsigned long watermark,
				  int highest_zoneidx, long free_pages);
/* compaction_suitable(): the same with the zone's free pages, and the fragmentation index for costly orders. */
bool bz__compaction_suitable(struct bz_zone *zone, unsigned order, unsigned long watermark, int highest_zoneidx);
/* compaction_suit_allocation_order(): COMPACT_SUCCESS (allocatable now), SKIPPED or CONTINUE. */
enum compact_result bz__compaction_suit_allocation_order(struct bz_zone *zone, unsigned order, int highest_zoneidx,
							 unsigned alloc_flags, bool async);
/* Deferral after failures: defer_compaction(), compaction_deferred(), compaction_defer_reset(), compaction_restarting(). */
void bz__defer_compaction(struct bz_zone *zone, unsigned order);
bool bz__compaction_deferred(struct bz_zone *zone, unsigned order);
void bz__compaction_defer_reset(struct bz_zone *zone, unsigned order, bool alloc_success);
bool bz__compaction_restarting(struct bz_zone *zone, unsigned order);
/* The pageblock skip hint (PB_migrate_skip) of the pageblock holding pfn. */
bool bz__pageblock_skip(const struct bz_system *sys, unsigned long pfn);
void bz__set_pageblock_skip(struct bz_system *sys, unsigned long pfn, bool skip);
/* reset_cached_positions(): the scanners start at the zone's ends again. */
void bz__reset_cached_positions(struct bz_zone *zone);
/* __reset_isolation_suitable(): after a full direct compaction, clear the zone's skip hints. */
void bz__reset_isolation_suitable(struct bz_zone *zone);
/* reset_isolation_suitable(): every populated zone of the node (kswapd going to sleep). */
void bz__reset_isolation_suitable_node(struct bz_node *node);
/* Proactive compaction's scores (0..100) and thresholds. */
unsigned bz__fragmentation_score_zone(const struct bz_zone *zone);
unsigned bz__fragmentation_score_node(const struct bz_node *node);
unsigned bz__fragmentation_score_wmark(const struct bz_system *sys, bool low);
/* kswapd_is_running(): kswapd is balancing the node (ZONE_RECLAIM_ACTIVE on one of its zones). */
bool bz__kswapd_is_running(const struct bz_node *node);
/* should_proactive_compact_node() */
bool bz__should_proactive_compact_node(struct bz_node *node);
/*
 * wakeup_kcompactd(): remembers a request of order up to highest_zoneidx
 * and wakes the node's kcompactd if it sleeps and compaction could help.
 */
void bz__wakeup_kcompactd(struct bz_node *node, unsigned order, int highest_zoneidx);

#endif /* BZ_BUDDY_H */
