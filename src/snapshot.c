/* SPDX-License-Identifier: MIT */
/*
 * snapshot.c - one zone's state, read the way mm/vmstat.c reads it: the
 * counters, watermarks and reserves with single relaxed loads, the free
 * lists under the zone lock, and per-thread sums through tcache.c.  Every
 * report takes what it prints from here, so that zoneinfo, pagetypeinfo,
 * the JSON report, the statistics segment, bz_zone_stats and show_mem
 * cannot disagree about what a number means.
 *
 * Lock holds are the kernel's: nr_free in one hold (frag_show_print), one
 * hold per list walked (pagetypeinfo_showfree_print, each walk stopped at
 * BZ_LIST_WALK_CAP), one for the pageblock count (walk_zones_in_node).
 */
#include <string.h>

#include "stats.h"

static void snapshot_counters(struct bz_zone *z, struct bz_zone_snapshot *s)
{
	s->start_pfn = __atomic_load_n(&z->zone_start_pfn, __ATOMIC_RELAXED);
	s->spanned = __atomic_load_n(&z->spanned_pages, __ATOMIC_RELAXED);
	s->present = __atomic_load_n(&z->present_pages, __ATOMIC_RELAXED);
	s->managed = __atomic_load_n(&z->managed_pages, __ATOMIC_RELAXED);
	s->free = (unsigned long)zone_page_state(z, NR_FREE_PAGES);
	s->free_blocks = (unsigned long)zone_page_state(z, NR_FREE_PAGES_BLOCKS);
	for (int w = 0; w < NR_WMARK; w++)
		s->wmark[w] = atomic_load_explicit(&z->watermark[w], memory_order_relaxed);
	s->boost = atomic_load_explicit(&z->watermark_boost, memory_order_relaxed);
	s->reserved_highatomic = atomic_load_explicit(&z->nr_reserved_highatomic, memory_order_relaxed);
	for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
		s->lowmem_reserve[i] = atomic_load_explicit(&z->lowmem_reserve[i], memory_order_relaxed);
	s->pcp_batch = atomic_load_explicit(&z->pcp_batch, memory_order_relaxed);
	s->pcp_high_min = atomic_load_explicit(&z->pcp_high_min, memory_order_relaxed);
	s->pcp_high_max = atomic_load_explicit(&z->pcp_high_max, memory_order_relaxed);
	s->lock_contended = atomic_load_explicit(&z->lock_contended, memory_order_relaxed);
}

/* frag_show_print(): the counts in one hold; which lists hold a block (show_migration_types). */
static void snapshot_free_area(struct bz_zone *z, struct bz_zone_snapshot *s)
{
	bz__zone_lock(z);
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
		s->nr_free[o] = z->free_area[o].nr_free;
		for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
			if (z->free_area[o].free_list[mt].first != BZ_NIL)
				s->types[o] |= 1u << mt;
	}
	s->nr_zone_locked = z->nr_zone_locked;
	s->nr_extfrag = z->nr_extfrag;
	s->nr_extfrag_claimed = z->nr_extfrag_claimed;
	s->nr_pcpu_drain = z->nr_pcpu_drain;
	bz__zone_unlock(z);
}

/* pagetypeinfo_showfree_print(): one hold per list, as the kernel drops the lock between them. */
static void snapshot_lists(struct bz_zone *z, struct bz_zone_snapshot *s)
{
	for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
		for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
			bz__zone_lock(z);
			s->by_type[mt][o] = bz__free_list_count_locked(z, o, mt, BZ_LIST_WALK_CAP);
			bz__zone_unlock(z);
		}
}

/*
 * The cached pages, with a free count from before and after that read: a
 * refill or drain moving pages between the lists and a cache meanwhile
 * would count them twice (free read before, cached after) or not at all.
 * A few tries, then the pages counted twice are taken off the cache.
 */
static void snapshot_cached(struct bz_zone *z, struct bz_zone_snapshot *s)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned long free_now;

		s->cached = bz__zone_cached(z);
		free_now = (unsigned long)zone_page_state(z, NR_FREE_PAGES);
		if (free_now == s->free)
			break;
		s->free = free_now;
	}
	if (s->free + s->cached > s->managed)
		s->cached = s->managed > s->free ? s->managed - s->free : 0;
	s->allocated = s->managed >= s->free + s->cached ? s->managed - s->free - s->cached : 0;
}

void bz__zone_snapshot(struct bz_zone *z, unsigned what, struct bz_zone_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	snapshot_counters(z, s);
	if ((what & BZ_SNAP_FREE_AREA) && populated_zone(z))
		snapshot_free_area(z, s);
	if ((what & BZ_SNAP_LISTS) && populated_zone(z))
		snapshot_lists(z, s);
	if ((what & BZ_SNAP_BLOCKS) && populated_zone(z)) {
		bz__zone_lock(z);
		bz__count_pageblocks_locked(z, s->pageblocks);
		bz__zone_unlock(z);
	}
	if (what & BZ_SNAP_CACHED)
		snapshot_cached(z, s);
	if (what & BZ_SNAP_NUMA)
		for (int i = 0; i <= NUMA_OTHER - NUMA_HIT; i++)
			s->numa[i] = bz__zone_numa_sum(z, (enum bz_zone_stat_item)(NUMA_HIT + i));
}
