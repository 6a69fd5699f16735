/* SPDX-License-Identifier: MIT */
/*
 * compaction_policy.c - what compaction decides per zone and node without
 * moving a page (mm/compaction.c and mm/vmstat.c, Linux 6.17): whether a
 * zone is worth compacting (an order-0 watermark with compact_gap, and
 * the fragmentation index against extfrag_threshold), deferral after
 * failures, the pageblock skip hints and cached scanner positions,
 * proactive compaction's fragmentation scores, and wakeup_kcompactd().
 * Zone layer: kswapd (vmscan.c) wakes kcompactd from here, and the
 * compaction layer (compaction.c, kcompactd.c) acts on the answers.
 *
 * The per-zone state is the kernel's: hints every compactor reads and
 * writes without a lock, here relaxed atomics (a lost update costs a
 * rescan, never correctness).
 */
#include "buddy.h"

#define RELAXED memory_order_relaxed
#define pageblock_start_pfn(pfn) ((pfn) & ~(PAGEBLOCK_NR_PAGES - 1))

/* ---- the fragmentation index (mm/vmstat.c) ------------------------------------------------- */

struct contig_page_info {
	unsigned long free_pages;
	unsigned long free_blocks_total;
	unsigned long free_blocks_suitable;
};

/* fill_contig_page_info(): free pages, free blocks, and blocks of suitable_order the larger ones hold. */
static void fill_contig_page_info(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned suitable_order,
				  struct contig_page_info *info)
{
	info->free_pages = 0;
	info->free_blocks_total = 0;
	info->free_blocks_suitable = 0;
	for (unsigned order = 0; order < BZ_NR_PAGE_ORDERS; order++) {
		unsigned long blocks = nr_free[order];

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable += blocks << (order - suitable_order);
	}
}

/*
 * __fragmentation_index(): meaningful only when a request of this order
 * would fail (-1000 otherwise).  Towards 0 the failure is for lack of
 * memory, towards 1000 for fragmentation.
 */
int bz__fragmentation_index_of(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned order)
{
	struct contig_page_info info;
	unsigned long requested = 1ul << order;

	fill_contig_page_info(nr_free, order, &info);
	if (!info.free_blocks_total)
		return 0;
	if (info.free_blocks_suitable)
		return -1000;
	return (int)(1000 - (1000 + info.free_pages * 1000ull / requested) / info.free_blocks_total);
}

/* unusable_free_index(): the share of free memory in blocks too small for this order. */
int bz__unusable_index_of(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned order)
{
	struct contig_page_info info;

	fill_contig_page_info(nr_free, order, &info);
	/* No free memory is interpreted as all free memory is unusable (the kernel's words). */
	if (!info.free_pages)
		return 1000;
	return (int)((info.free_pages - (info.free_blocks_suitable << order)) * 1000ull / info.free_pages);
}

/* The zone's nr_free counts, read as the kernel does: without the lock. */
static void zone_nr_free(const struct bz_zone *z, unsigned long nr_free[BZ_NR_PAGE_ORDERS])
{
	for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		nr_free[o] = __atomic_load_n(&z->free_area[o].nr_free, __ATOMIC_RELAXED);
}

int bz__fragmentation_index(const struct bz_zone *z, unsigned order)
{
	unsigned long nr_free[BZ_NR_PAGE_ORDERS];

	zone_nr_free(z, nr_free);
	return bz__fragmentation_index_of(nr_free, order);
}

/* extfrag_for_order(): the percentage of free memory unusable for this order. */
unsigned bz__extfrag_for_order(const struct bz_zone *z, unsigned order)
{
	unsigned long nr_free[BZ_NR_PAGE_ORDERS];
	struct contig_page_info info;

	zone_nr_free(z, nr_free);
	fill_contig_page_info(nr_free, order, &info);
	if (!info.free_pages)
		return 0;
	return (unsigned)((info.free_pages - (info.free_blocks_suitable << order)) * 100 / info.free_pages);
}

/* ---- is compaction worth it? ------------------------------------------------------------ */

/*
 * __compaction_suitable(): compaction needs free order-0 pages as targets,
 * so the order-0 watermark plus compact_gap() must hold (costly orders: the
 * low watermark's distance above min on top), with the request's lowmem
 * reserve.  No CMA here, so ALLOC_CMA changes nothing.
 */
bool bz__compaction_suitable_free(struct bz_zone *z, unsigned order, unsigned long watermark,
				  int highest_zoneidx, long free_pages)
{
	watermark += compact_gap(order);
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		watermark += wmark_pages(z, WMARK_LOW) - wmark_pages(z, WMARK_MIN);
	return bz__zone_watermark_ok(z, 0, watermark, highest_zoneidx, 0, free_pages);
}

/*
 * compaction_suitable(): and for costly orders, only when the failure is
 * for fragmentation: a fragmentation index in [0, extfrag_threshold] says
 * it is for lack of memory (-1000, "would succeed", does not stop it).
 */
bool bz__compaction_suitable(struct bz_zone *z, unsigned order, unsigned long watermark, int highest_zoneidx)
{
	int fragindex;

	if (!bz__compaction_suitable_free(z, order, watermark, highest_zoneidx, zone_page_state(z, NR_FREE_PAGES)))
		return false;
	if (order <= PAGE_ALLOC_COSTLY_ORDER)
		return true;
	fragindex = bz__fragmentation_index(z, order);
	return !(fragindex >= 0 && fragindex <= __atomic_load_n(&z->sys->sysctl.extfrag_threshold, __ATOMIC_RELAXED));
}

/*
 * compaction_suit_allocation_order(): SUCCESS when the request would be
 * served now, SKIPPED when compaction cannot help, else CONTINUE.  The
 * costly async check without ALLOC_CMA keeps its place (no CMA here).
 */
enum compact_result bz__compaction_suit_allocation_order(struct bz_zone *z, unsigned order, int highest_zoneidx,
							 unsigned alloc_flags, bool async)
{
	unsigned long watermark = wmark_pages(z, (enum bz_wmark)(alloc_flags & ALLOC_WMARK_MASK));
	long free_pages = zone_page_state(z, NR_FREE_PAGES);

	if (bz__zone_watermark_ok(z, order, watermark, highest_zoneidx, alloc_flags, free_pages))
		return COMPACT_SUCCESS;
	if (order > PAGE_ALLOC_COSTLY_ORDER && async &&
	    !bz__zone_watermark_ok(z, 0, watermark + compact_gap(order), highest_zoneidx, 0, free_pages))
		return COMPACT_SKIPPED;
	if (!bz__compaction_suitable(z, order, watermark, highest_zoneidx))
		return COMPACT_SKIPPED;
	return COMPACT_CONTINUE;
}

/* ---- deferral ------------------------------------------------------------------------------ */

/* defer_compaction(): skip the next 1 << compact_defer_shift attempts at this order or above. */
void bz__defer_compaction(struct bz_zone *z, unsigned order)
{
	unsigned shift = atomic_load_explicit(&z->compact_defer_shift, RELAXED) + 1;

	atomic_store_explicit(&z->compact_considered, 0, RELAXED);
	atomic_store_explicit(&z->compact_defer_shift, BZ_MIN(shift, (unsigned)COMPACT_MAX_DEFER_SHIFT), RELAXED);
	if ((int)order < atomic_load_explicit(&z->compact_order_failed, RELAXED))
		atomic_store_explicit(&z->compact_order_failed, (int)order, RELAXED);
}

/* compaction_deferred(): true when this attempt should be skipped. */
bool bz__compaction_deferred(struct bz_zone *z, unsigned order)
{
	unsigned limit = 1u << atomic_load_explicit(&z->compact_defer_shift, RELAXED);
	unsigned considered;

	if ((int)order < atomic_load_explicit(&z->compact_order_failed, RELAXED))
		return false;
	considered = atomic_load_explicit(&z->compact_considered, RELAXED) + 1;
	if (considered >= limit) {
		atomic_store_explicit(&z->compact_considered, limit, RELAXED);  /* avoid overflow */
		return false;
	}
	atomic_store_explicit(&z->compact_considered, considered, RELAXED);
	return true;
}

/* compaction_defer_reset(): compaction of this order worked (alloc_success: and the allocation too). */
void bz__compaction_defer_reset(struct bz_zone *z, unsigned order, bool alloc_success)
{
	if (alloc_success) {
		atomic_store_explicit(&z->compact_considered, 0, RELAXED);
		atomic_store_explicit(&z->compact_defer_shift, 0, RELAXED);
	}
	if ((int)order >= atomic_load_explicit(&z->compact_order_failed, RELAXED))
		atomic_store_explicit(&z->compact_order_failed, (int)order + 1, RELAXED);
}

/* compaction_restarting(): retrying after the longest deferral. */
bool bz__compaction_restarting(struct bz_zone *z, unsigned order)
{
	if ((int)order < atomic_load_explicit(&z->compact_order_failed, RELAXED))
		return false;
	return atomic_load_explicit(&z->compact_defer_shift, RELAXED) == COMPACT_MAX_DEFER_SHIFT &&
	       atomic_load_explicit(&z->compact_considered, RELAXED) >= 1u << COMPACT_MAX_DEFER_SHIFT;
}

/* ---- skip hints and cached positions ------------------------------------------------------ */

bool bz__pageblock_skip(const struct bz_system *sys, unsigned long pfn)
{
	return sys->pageblock_skip &&
	       atomic_load_explicit(&sys->pageblock_skip[pfn >> BZ_PAGEBLOCK_ORDER], RELAXED);
}

void bz__set_pageblock_skip(struct bz_system *sys, unsigned long pfn, bool skip)
{
	if (sys->pageblock_skip && bz__pageblock_skip(sys, pfn) != skip)
		atomic_store_explicit(&sys->pageblock_skip[pfn >> BZ_PAGEBLOCK_ORDER], skip, RELAXED);
}

void bz__reset_cached_positions(struct bz_zone *z)
{
	unsigned long start = __atomic_load_n(&z->zone_start_pfn, __ATOMIC_RELAXED);

	atomic_store_explicit(&z->compact_cached_migrate_pfn[0], start, RELAXED);
	atomic_store_explicit(&z->compact_cached_migrate_pfn[1], start, RELAXED);
	atomic_store_explicit(&z->compact_cached_free_pfn, pageblock_start_pfn(zone_end_pfn(z) - 1), RELAXED);
}

/* An allocated block of pageblock_order or more: nothing in its pageblock can move (pageblock_skip_persistent). */
static bool skip_persistent(const struct bz_page *p)
{
	return (PAGE_GET(p, flags) & (PG_head | PG_frozen)) == PG_head && PAGE_GET(p, order) >= BZ_PAGEBLOCK_ORDER;
}

/*
 * __reset_isolation_pfn(): clears the skip hint of pfn's pageblock when a
 * sample (every 2^PAGE_ALLOC_COSTLY_ORDER pages) finds a movable page (the
 * kernel's PageLRU: a source) or a free block (PageBuddy, in a MOVABLE
 * pageblock: a target).  True when the block qualified.
 */
static bool reset_isolation_pfn(struct bz_zone *z, unsigned long pfn, bool check_source, bool check_target)
{
	struct bz_system *sys = z->sys;
	unsigned long start = BZ_MAX(pageblock_start_pfn(pfn), z->zone_start_pfn);
	unsigned long end = BZ_MIN(pageblock_start_pfn(pfn) + PAGEBLOCK_NR_PAGES, zone_end_pfn(z));

	if (skip_persistent(pfn_to_page(sys, pfn)))
		return false;
	if (check_source && check_target && !bz__pageblock_skip(sys, pfn))
		return true;
	if (!check_source && check_target && get_pageblock_migratetype(sys, pfn) != BZ_MIGRATE_MOVABLE)
		return false;
	for (unsigned long s = start; s < end; s += 1ul << PAGE_ALLOC_COSTLY_ORDER) {
		const struct bz_page *p = pfn_to_page(sys, s);
		uint8_t flags = PAGE_GET(p, flags);

		if ((check_source && (flags & (PG_head | PG_frozen)) == PG_head && page_uflag_test(p, UPG_movable)) ||
		    (check_target && (flags & PG_buddy))) {
			bz__set_pageblock_skip(sys, s, false);
			return true;
		}
	}
	return false;
}

/* The first pfn of the zone's deferred (never initialised) memory: nothing there to scan. */
static unsigned long deferred_start(struct bz_zone *z)
{
	unsigned long d;

	bz__zone_lock(z);
	d = z->deferred_pfn < z->deferred_end ? z->deferred_pfn : zone_end_pfn(z);
	bz__zone_unlock(z);
	return d;
}

/*
 * __reset_isolation_suitable(): once a direct compaction saw the scanners
 * meet, the skip hints go from both ends inward, and the scanners' start
 * points move to the first source and the last target found.
 */
void bz__reset_isolation_suitable(struct bz_zone *z)
{
	unsigned long migrate_pfn = z->zone_start_pfn, free_pfn, reset_migrate, reset_free = migrate_pfn;
	bool source_set = false, free_set = false, flush = true;

	/* Only flush if a full compaction finished recently. */
	if (!atomic_load_explicit(&z->compact_blockskip_flush, RELAXED) ||
	    !atomic_compare_exchange_strong(&z->compact_blockskip_flush, &flush, false))
		return;
	free_pfn = reset_migrate = BZ_MIN(zone_end_pfn(z), deferred_start(z)) - 1;
	for (; migrate_pfn < free_pfn && free_pfn >= PAGEBLOCK_NR_PAGES;
	     migrate_pfn += PAGEBLOCK_NR_PAGES, free_pfn -= PAGEBLOCK_NR_PAGES) {
		if (reset_isolation_pfn(z, migrate_pfn, true, source_set) && migrate_pfn < reset_migrate) {
			source_set = true;
			reset_migrate = migrate_pfn;
			atomic_store_explicit(&z->compact_init_migrate_pfn, reset_migrate, RELAXED);
			atomic_store_explicit(&z->compact_cached_migrate_pfn[0], reset_migrate, RELAXED);
			atomic_store_explicit(&z->compact_cached_migrate_pfn[1], reset_migrate, RELAXED);
		}
		if (reset_isolation_pfn(z, free_pfn, free_set, true) && free_pfn > reset_free) {
			free_set = true;
			reset_free = free_pfn;
			atomic_store_explicit(&z->compact_init_free_pfn, reset_free, RELAXED);
			atomic_store_explicit(&z->compact_cached_free_pfn, reset_free, RELAXED);
		}
	}
	/* Leave no distance if no suitable block was reset. */
	if (reset_migrate >= reset_free) {
		atomic_store_explicit(&z->compact_cached_migrate_pfn[0], migrate_pfn, RELAXED);
		atomic_store_explicit(&z->compact_cached_migrate_pfn[1], migrate_pfn, RELAXED);
		atomic_store_explicit(&z->compact_cached_free_pfn, free_pfn, RELAXED);
	}
}

void bz__reset_isolation_suitable_node(struct bz_node *node)
{
	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (populated_zone(&node->zones[zid]))
			bz__reset_isolation_suitable(&node->zones[zid]);
}

/* ---- proactive compaction's scores ------------------------------------------------------------ */

/* fragmentation_score_zone(): external fragmentation for the huge page order, 0..100. */
unsigned bz__fragmentation_score_zone(const struct bz_zone *z)
{
	return bz__extfrag_for_order(z, COMPACTION_HPAGE_ORDER);
}

/* fragmentation_score_zone_weighted(): scaled by the zone's share of the node, so small zones hardly count. */
static unsigned score_zone_weighted(const struct bz_zone *z)
{
	unsigned long present = __atomic_load_n(&z->present_pages, __ATOMIC_RELAXED);
	unsigned long node_present = __atomic_load_n(&z->node->node_present_pages, __ATOMIC_RELAXED);

	return (unsigned)(present * bz__fragmentation_score_zone(z) / (node_present + 1));
}

unsigned bz__fragmentation_score_node(const struct bz_node *node)
{
	unsigned score = 0;

	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (populated_zone(&node->zones[zid]))
			score += score_zone_weighted(&node->zones[zid]);
	return score;
}

/* fragmentation_score_wmark() (6.10+): low = 100 - proactiveness, high = low + min(10, low / 2). */
unsigned bz__fragmentation_score_wmark(const struct bz_system *sys, bool low)
{
	unsigned wmark_low = 100u - (unsigned)__atomic_load_n(&sys->sysctl.compaction_proactiveness, __ATOMIC_RELAXED);
	unsigned leeway = BZ_MIN(10u, wmark_low / 2);

	return low ? wmark_low : BZ_MIN(wmark_low + leeway, 100u);
}

bool bz__kswapd_is_running(const struct bz_node *node)
{
	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (zone_flag_test(&node->zones[zid], ZONE_RECLAIM_ACTIVE))
			return true;
	return false;
}

bool bz__should_proactive_compact_node(struct bz_node *node)
{
	const struct bz_system *sys = node->zones[0].sys;

	if (!__atomic_load_n(&sys->sysctl.compaction_proactiveness, __ATOMIC_RELAXED) || bz__kswapd_is_running(node))
		return false;
	return bz__fragmentation_score_node(node) > bz__fragmentation_score_wmark(sys, false);
}

/* ---- waking kcompactd ------------------------------------------------------------------------ */

/* kcompactd_node_suitable(): some zone up to the request's index would not serve it now, and compaction could help. */
static bool kcompactd_node_suitable(struct bz_node *node)
{
	struct bz_kcompactd_wait *kw = &node->kcompactd;
	int highest = atomic_load_explicit(&kw->highest_zoneidx, RELAXED);
	unsigned order = (unsigned)atomic_load_explicit(&kw->max_order, RELAXED);

	for (int zid = 0; zid <= highest; zid++) {
		struct bz_zone *z = &node->zones[zid];

		if (populated_zone(z) &&
		    bz__compaction_suit_allocation_order(z, order, highest, ALLOC_WMARK_MIN, false) == COMPACT_CONTINUE)
			return true;
	}
	return false;
}

/*
 * wakeup_kcompactd(): the request is kept (the largest order, the lowest
 * zone index) even when nobody sleeps; a sleeper is woken only when
 * compaction would help.
 */
void bz__wakeup_kcompactd(struct bz_node *node, unsigned order, int highest_zoneidx)
{
	struct bz_kcompactd_wait *kw = &node->kcompactd;
	const struct bz_system *sys = node->zones[0].sys;

	if (!order || !sys->compaction)
		return;
	if (atomic_load_explicit(&kw->max_order, RELAXED) < (int)order)
		atomic_store_explicit(&kw->max_order, (int)order, RELAXED);
	if (atomic_load_explicit(&kw->highest_zoneidx, RELAXED) > highest_zoneidx)
		atomic_store_explicit(&kw->highest_zoneidx, highest_zoneidx, RELAXED);
	/* Pairs with the sleeper's fence between setting sleeping and looking for work (kcompactd.c). */
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&kw->sleeping, RELAXED) || !kcompactd_node_suitable(node))
		return;
	pthread_mutex_lock(&kw->lock);
	kw->wakeups++;
	pthread_cond_signal(&kw->wait);
	pthread_mutex_unlock(&kw->lock);
}
