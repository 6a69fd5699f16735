/* SPDX-License-Identifier: MIT */
/*
 * stats.h - the statistics layer (DESIGN.md, "Layers"): reading the model
 * for reports.  One snapshot of a zone (snapshot.c) serves every report:
 * zoneinfo, buddyinfo, pagetypeinfo, the JSON report, the published
 * statistics segment, bz_zone_stats and show_mem; and the allocation
 * failure report itself (show_mem.c: warn_alloc, show_free_areas).
 */
#ifndef BZ_STATS_H
#define BZ_STATS_H

#include "task.h"

/*
 * pagetypeinfo_showfree_print() stops walking a list at 100000 blocks: it
 * holds the zone lock, and a debugging file need not be exact.  Every list
 * walk of a report stops there; a count at the cap means "at least".
 */
#define BZ_LIST_WALK_CAP 100000ul

/* What to take (the cheap parts always: sizes, counters, watermarks, pageset sizes). */
enum bz_snapshot_parts {
	BZ_SNAP_FREE_AREA = 1u << 0,    /* nr_free per order and the lists holding blocks: one lock hold */
	BZ_SNAP_LISTS     = 1u << 1,    /* blocks per list, capped: one lock hold per list */
	BZ_SNAP_BLOCKS    = 1u << 2,    /* pageblocks per migratetype: one lock hold */
	BZ_SNAP_CACHED    = 1u << 3,    /* pages in thread caches (takes bz__tcache_lock) */
	BZ_SNAP_NUMA      = 1u << 4,    /* numa_* counters summed over threads (bz__tcache_lock) */
	BZ_SNAP_ALL       = 0x1fu,
};

struct bz_zone_snapshot {
	unsigned long start_pfn, spanned, present, managed;
	unsigned long free;             /* NR_FREE_PAGES: pages on the buddy lists */
	unsigned long free_blocks;      /* NR_FREE_PAGES_BLOCKS */
	unsigned long cached;           /* BZ_SNAP_CACHED: in per-thread caches */
	unsigned long allocated;        /* BZ_SNAP_CACHED: managed - free - cached */
	unsigned long wmark[NR_WMARK];  /* without the boost (zoneinfo adds it: wmark_pages) */
	unsigned long boost;
	unsigned long reserved_highatomic;
	long lowmem_reserve[BZ_MAX_NR_ZONES];
	int pcp_batch, pcp_high_min, pcp_high_max;
	unsigned long lock_contended;
	unsigned long numa[NUMA_OTHER - NUMA_HIT + 1];                   /* BZ_SNAP_NUMA */
	unsigned long nr_free[BZ_NR_PAGE_ORDERS];                         /* BZ_SNAP_FREE_AREA */
	unsigned types[BZ_NR_PAGE_ORDERS];      /* BZ_SNAP_FREE_AREA: bit mt: that list has a block */
	/* BZ_SNAP_FREE_AREA: what the kmem tracepoints would have counted (bz_zone_stats). */
	unsigned long nr_zone_locked, nr_extfrag, nr_extfrag_claimed, nr_pcpu_drain;
	unsigned long by_type[BZ_MIGRATE_TYPES][BZ_NR_PAGE_ORDERS];       /* BZ_SNAP_LISTS, capped */
	unsigned long pageblocks[BZ_MIGRATE_TYPES];                       /* BZ_SNAP_BLOCKS */
};

/* ---- snapshot.c --------------------------------------------------------------------- */

/*
 * The parts of z's state that what asks for, as mm/vmstat.c reads them:
 * counters with relaxed loads, free lists under the zone lock.  Parts not
 * asked for read 0.  Hold no zone lock; for BZ_SNAP_CACHED and
 * BZ_SNAP_NUMA not bz__tcache_lock either.
 */
void bz__zone_snapshot(struct bz_zone *z, unsigned what, struct bz_zone_snapshot *s);

/* ---- show_mem.c: the allocation failure report ---------------------------------------- */

/* warn_alloc(): the rate-limited failure report. */
void bz__warn_alloc(struct bz_system *sys, bz_gfp_t gfp, unsigned order, int nid);
/* show_free_areas() text into the log at level. */
void bz__show_free_areas(struct bz_system *sys, int level);

#endif /* BZ_STATS_H */
