/* SPDX-License-Identifier: MIT */
/*
 * memory_hotplug.c - memory added to a running system, as the kernel's
 * mm/memory_hotplug.c onlines hot-added memory (online_pages): the zone's
 * span grows over the new pages (move_pfn_range_to_zone), they go free into
 * the buddy lists (online_pages_range), present and managed pages grow
 * (adjust_present_page_count), the zonelists are rebuilt when a zone or a
 * node gets its first memory (build_all_zonelists), and min_free_kbytes,
 * watermarks, reserves and pageset sizes follow the new size
 * (init_per_zone_wmark_min).
 *
 * The room: a system's page-frame space, with mem_map and the pageblock
 * flags over it, is reserved once at creation, and mm_init.c leaves
 * bz_config.hotplug_reserve pages after each node's zones, bound to the
 * node with the rest of its arena.  A zone grows at its end, or an empty
 * zone appears above the node's highest one, inside that room.
 *
 * Locking: sys->sysctl_lock serialises additions with each other and with
 * the tunables; the zone lock covers the free lists.  Spans and counts are
 * stored atomically, and in an order lock-free readers can live with
 * (bz__pfn_zone on the free path, populated_zone, the watermark tests):
 * the span covers the new pages, and the counts include them, before any
 * of them is free for an allocation to take.
 */
#include <stdio.h>

#include "entry.h"

/* x86-64's zone boundaries, as mm_init.c lays zones out. */
#define DMA_END_PFN   (16ul << (20 - BZ_PAGE_SHIFT))  /* 16 MiB */
#define DMA32_END_PFN (4ul << (30 - BZ_PAGE_SHIFT))   /* 4 GiB */

static const unsigned long zone_floor[BZ_ZONE_DEVICE] = { 0, DMA_END_PFN, DMA32_END_PFN, DMA32_END_PFN };
static const unsigned long zone_ceil[BZ_ZONE_DEVICE] = { DMA_END_PFN, DMA32_END_PFN, BZ_MAX_PFNS, BZ_MAX_PFNS };

#define STORE(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELEASE)

static unsigned long align_up(unsigned long v, unsigned long a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * Where zone zid of node takes pages: at the end of the zone, or, for an
 * empty zone above every populated one, at the next max-order boundary
 * past the node's memory and the zone's floor.  0, or -errno with why.
 */
static int hotplug_range(const struct bz_node *node, int zid, unsigned long pages, unsigned long *start,
			 char *why, size_t size)
{
	const struct bz_zone *z = &node->zones[zid];
	unsigned long end;

	for (int above = zid + 1; above < BZ_ZONE_DEVICE; above++) {
		if (populated_zone(&node->zones[above])) {
			snprintf(why, size, "its %s zone lies above it", bz__zone_names[above]);
			return -EINVAL;
		}
	}
	if (populated_zone(z))
		*start = zone_end_pfn(z);
	else
		*start = align_up(BZ_MAX(node->node_start_pfn + node->node_spanned_pages, zone_floor[zid]),
				  MAX_ORDER_NR_PAGES);
	end = *start + pages;
	if (end > zone_ceil[zid]) {
		snprintf(why, size, "pfns %#lx-%#lx cross the zone's ceiling at pfn %#lx", *start, end - 1,
			 zone_ceil[zid]);
		return -EINVAL;
	}
	if (end > node->node_reserved_end_pfn) {
		snprintf(why, size, "pfns %#lx-%#lx do not fit the node's reserved room, which ends at pfn %#lx "
			 "(bz_config.hotplug_reserve)", *start, end - 1, node->node_reserved_end_pfn);
		return -ENOSPC;
	}
	return 0;
}

/* move_pfn_range_to_zone() and online_pages_range(): spans, counts, then free pages. */
static void online_range(struct bz_node *node, struct bz_zone *z, unsigned long start, unsigned long pages)
{
	unsigned long end = start + pages;
	unsigned long node_start = node->node_present_pages ? node->node_start_pfn : start;

	/* Spans first: a page taken the moment it is free must be found on its way back. */
	STORE(node->node_start_pfn, node_start);
	STORE(node->node_spanned_pages, BZ_MAX(end, node_start + node->node_spanned_pages) - node_start);
	bz__zone_lock(z);
	if (!populated_zone(z))
		STORE(z->zone_start_pfn, start);
	STORE(z->spanned_pages, end - z->zone_start_pfn);
	STORE(z->managed_pages, z->managed_pages + pages);
	STORE(z->present_pages, z->present_pages + pages);
	bz__zone_grow_locked(z, start, end);
	bz__zone_unlock(z);
	STORE(node->node_present_pages, node->node_present_pages + pages);
}

BZ_API int bz_memory_add(bz_system *sys_in, int nid, int zid, unsigned long pages)
{
	struct bz_system *sys = bz__resolve(sys_in);
	unsigned long start = 0;
	char why[200] = "";
	bool first;
	int err;

	if (!sys)
		return -EINVAL;
	if (nid < 0 || nid >= sys->nr_nodes || zid < 0 || zid >= BZ_ZONE_DEVICE || !pages ||
	    pages > BZ_MAX_PFNS) {
		bz__log(sys, BZ_LOG_ERR, "memory add: node %d, zone %d, %lu pages: %s", nid, zid, pages,
			nid < 0 || nid >= sys->nr_nodes ? "no such node" :
			zid < 0 || zid >= BZ_ZONE_DEVICE ? "not a zone memory can be added to" :
							     "page count out of range");
		return -EINVAL;
	}
	pthread_mutex_lock(&sys->sysctl_lock);
	err = hotplug_range(sys->nodes[nid], zid, pages, &start, why, sizeof(why));
	if (!err) {
		first = !populated_zone(&sys->nodes[nid]->zones[zid]);
		online_range(sys->nodes[nid], &sys->nodes[nid]->zones[zid], start, pages);
		if (first) {
			/* The zone enters the zonelists (memos naming older preferred zones go). */
			bz__build_all_zonelists(sys);
		}
		/*
		 * init_per_zone_wmark_min().  A min_free_kbytes the user set stays,
		 * as after every recomputation here (the kernel would still raise
		 * it to a larger computed value).
		 */
		bz__recompute_watermarks(sys);
	}
	pthread_mutex_unlock(&sys->sysctl_lock);
	if (err) {
		bz__log(sys, BZ_LOG_ERR, "memory add: %lu pages to node %d's %s zone: %s", pages, nid,
			bz__zone_names[zid], why);
		return err;
	}
	bz__tcache_retune_all(sys);
	bz__page_reporting_poll(sys);
	bz__log(sys, BZ_LOG_INFO, "memory add: node %d %s: %lu pages online at pfns %#lx-%#lx", nid,
		bz__zone_names[zid], pages, start, start + pages - 1);
	return 0;
}
