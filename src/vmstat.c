/* SPDX-License-Identifier: MIT */
/*
 * vmstat.c - the kernel's memory reports, in the exact text of Linux 6.18:
 * /proc/zoneinfo, /proc/buddyinfo, /proc/pagetypeinfo, /proc/vmstat and the
 * boot log's "Fallback order for Node N: " lines.  It owns the vmstat_text
 * list and nothing else: the counters belong to the files that change them
 * (zone->vm_stat, sys->events) and are read through one zone snapshot
 * (snapshot.c), atomics with relaxed loads and free lists under the zone
 * lock, as mm/vmstat.c does.  Counters we have no
 * concept of (LRU, file pages, swap, THP, ...) print as 0 so that tools
 * parsing the kernel's files parse ours unchanged.
 */
#include <string.h>

#include "report.h"

/* ---- names --------------------------------------------------------------- */

/*
 * mm/vmstat.c vmstat_text[], Linux 6.18, as an x86-64 kernel built with
 * NUMA, ZSMALLOC, IOMMU_SUPPORT, SWAP, NUMA_BALANCING, HUGETLB_PAGE,
 * COMPACTION, MIGRATION, TRANSPARENT_HUGEPAGE (with PUD), BALLOON, KSM and
 * ZSWAP prints it (checked against this machine's 6.18.44 /proc/vmstat,
 * saved in tests/data/proc-vmstat-6.18.txt).  Split at the kernel's enum
 * boundaries: zone_stat_item, numa_stat_item, node_stat_item,
 * vm_stat_item, vm_event_item.
 */
static const char *const zone_stat_text[] = {
	"nr_free_pages", "nr_free_pages_blocks", "nr_zone_inactive_anon",
	"nr_zone_active_anon", "nr_zone_inactive_file", "nr_zone_active_file",
	"nr_zone_unevictable", "nr_zone_write_pending", "nr_mlock",
	"nr_zspages", "nr_free_cma",
};

/* Same order as our NUMA_HIT..NUMA_OTHER (enum numa_stat_item). */
static const char *const numa_stat_text[] = {
	"numa_hit", "numa_miss", "numa_foreign", "numa_interleave",
	"numa_local", "numa_other",
};

static const char *const node_stat_text[] = {
	"nr_inactive_anon", "nr_active_anon", "nr_inactive_file",
	"nr_active_file", "nr_unevictable", "nr_slab_reclaimable",
	"nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file",
	"workingset_nodes", "workingset_refault_anon", "workingset_refault_file",
	"workingset_activate_anon", "workingset_activate_file",
	"workingset_restore_anon", "workingset_restore_file",
	"workingset_nodereclaim", "nr_anon_pages", "nr_mapped", "nr_file_pages",
	"nr_dirty", "nr_writeback", "nr_shmem", "nr_shmem_hugepages",
	"nr_shmem_pmdmapped", "nr_file_hugepages", "nr_file_pmdmapped",
	"nr_anon_transparent_hugepages", "nr_vmscan_write",
	"nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written",
	"nr_throttled_written", "nr_kernel_misc_reclaimable",
	"nr_foll_pin_acquired", "nr_foll_pin_released", "nr_kernel_stack",
	"nr_page_table_pages", "nr_sec_page_table_pages", "nr_iommu_pages",
	"nr_swapcached", "pgpromote_success", "pgpromote_candidate",
	"pgpromote_candidate_nrl", "pgdemote_kswapd", "pgdemote_direct",
	"pgdemote_khugepaged", "pgdemote_proactive", "nr_hugetlb",
	"nr_balloon_pages", "nr_kernel_file_pages",
};

enum { VM_DIRTY_THRESHOLD, VM_DIRTY_BG_THRESHOLD, VM_MEMMAP_PAGES, VM_MEMMAP_BOOT_PAGES };

static const char *const vm_stat_text[] = {
	"nr_dirty_threshold", "nr_dirty_background_threshold",
	"nr_memmap_pages", "nr_memmap_boot_pages",
};

static const char *const vm_event_text[] = {
	"pgpgin", "pgpgout", "pswpin", "pswpout",
	"pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable",
	"pgalloc_device",
	"allocstall_dma", "allocstall_dma32", "allocstall_normal",
	"allocstall_movable", "allocstall_device",
	"pgskip_dma", "pgskip_dma32", "pgskip_normal", "pgskip_movable",
	"pgskip_device",
	"pgfree", "pgactivate", "pgdeactivate", "pglazyfree",
	"pgfault", "pgmajfault", "pglazyfreed",
	"pgrefill", "pgreuse", "pgsteal_kswapd", "pgsteal_direct",
	"pgsteal_khugepaged", "pgsteal_proactive", "pgscan_kswapd",
	"pgscan_direct", "pgscan_khugepaged", "pgscan_proactive",
	"pgscan_direct_throttle", "pgscan_anon", "pgscan_file", "pgsteal_anon",
	"pgsteal_file",
	"zone_reclaim_success", "zone_reclaim_failed",
	"pginodesteal", "slabs_scanned", "kswapd_inodesteal",
	"kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly",
	"pageoutrun",
	"pgrotated",
	"drop_pagecache", "drop_slab", "oom_kill",
	"numa_pte_updates", "numa_huge_pte_updates", "numa_hint_faults",
	"numa_hint_faults_local", "numa_pages_migrated",
	"pgmigrate_success", "pgmigrate_fail", "thp_migration_success",
	"thp_migration_fail", "thp_migration_split",
	"compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
	"compact_stall", "compact_fail", "compact_success",
	"compact_daemon_wake", "compact_daemon_migrate_scanned",
	"compact_daemon_free_scanned",
	"htlb_buddy_alloc_success", "htlb_buddy_alloc_fail",
	"unevictable_pgs_culled", "unevictable_pgs_scanned",
	"unevictable_pgs_rescued", "unevictable_pgs_mlocked",
	"unevictable_pgs_munlocked", "unevictable_pgs_cleared",
	"unevictable_pgs_stranded",
	"thp_fault_alloc", "thp_fault_fallback", "thp_fault_fallback_charge",
	"thp_collapse_alloc", "thp_collapse_alloc_failed", "thp_file_alloc",
	"thp_file_fallback", "thp_file_fallback_charge", "thp_file_mapped",
	"thp_split_page", "thp_split_page_failed", "thp_deferred_split_page",
	"thp_underused_split_page", "thp_split_pmd",
	"thp_scan_exceed_none_pte", "thp_scan_exceed_swap_pte",
	"thp_scan_exceed_share_pte", "thp_split_pud", "thp_zero_page_alloc",
	"thp_zero_page_alloc_failed", "thp_swpout", "thp_swpout_fallback",
	"balloon_inflate", "balloon_deflate", "balloon_migrate",
	"swap_ra", "swap_ra_hit", "swpin_zero", "swpout_zero", "ksm_swpin_copy",
	"cow_ksm",
	"zswpin", "zswpout", "zswpwb",
	"direct_map_level2_splits", "direct_map_level3_splits",
	"direct_map_level2_collapses", "direct_map_level3_collapses",
};

/*
 * The vm events we count, by name: the kernel's vmstat names, then ours
 * (libbuddyzone's own, shown in the JSON report but not in /proc/vmstat's
 * layout).  vmstat_show matches by name, so a kernel adding an event in
 * the middle of vm_event_text only means editing that list.
 */
const char *const bz__vm_event_names[NR_VM_EVENTS] = {
	[PGALLOC_BASE + BZ_ZONE_DMA] = "pgalloc_dma",
	[PGALLOC_BASE + BZ_ZONE_DMA32] = "pgalloc_dma32",
	[PGALLOC_BASE + BZ_ZONE_NORMAL] = "pgalloc_normal",
	[PGALLOC_BASE + BZ_ZONE_MOVABLE] = "pgalloc_movable",
	[PGALLOC_BASE + BZ_ZONE_DEVICE] = "pgalloc_device",
	[ALLOCSTALL_BASE + BZ_ZONE_DMA] = "allocstall_dma",
	[ALLOCSTALL_BASE + BZ_ZONE_DMA32] = "allocstall_dma32",
	[ALLOCSTALL_BASE + BZ_ZONE_NORMAL] = "allocstall_normal",
	[ALLOCSTALL_BASE + BZ_ZONE_MOVABLE] = "allocstall_movable",
	[ALLOCSTALL_BASE + BZ_ZONE_DEVICE] = "allocstall_device",
	[PGFREE] = "pgfree",
	[PAGEOUTRUN] = "pageoutrun",
	[KSWAPD_LOW_WMARK_HIT_QUICKLY] = "kswapd_low_wmark_hit_quickly",
	[KSWAPD_HIGH_WMARK_HIT_QUICKLY] = "kswapd_high_wmark_hit_quickly",
	[COMPACT_STALL] = "compact_stall",
	[PGALLOC_FAIL] = "pgalloc_fail",
	[PGALLOC_BAD_FREE] = "pgalloc_bad_free",
	[PGALLOC_FAIL_INJECTED] = "pgalloc_fail_injected",
	[PAGEALLOC_CORRUPTION] = "pagealloc_corruption",
	[DEBUG_CHECK_RUN] = "debug_check_run",
	[DEBUG_CHECK_FAIL] = "debug_check_fail",
	[SLABS_SCANNED] = "slabs_scanned",
	[ZONE_RECLAIM_SUCCESS] = "zone_reclaim_success",
	[ZONE_RECLAIM_FAILED] = "zone_reclaim_failed",
	[PGREPORTED] = "pgreported",
	[PGALLOC_ZERO_SKIPPED] = "pgalloc_zero_skipped",
	[PCP_REMOTE_DRAINED] = "pcp_remote_drained",
	[PGMIGRATE_SUCCESS] = "pgmigrate_success",
	[PGMIGRATE_FAIL] = "pgmigrate_fail",
	[COMPACTMIGRATE_SCANNED] = "compact_migrate_scanned",
	[COMPACTFREE_SCANNED] = "compact_free_scanned",
	[COMPACTISOLATED] = "compact_isolated",
	[COMPACTFAIL] = "compact_fail",
	[COMPACTSUCCESS] = "compact_success",
	[KCOMPACTD_WAKE] = "compact_daemon_wake",
	[KCOMPACTD_MIGRATE_SCANNED] = "compact_daemon_migrate_scanned",
	[KCOMPACTD_FREE_SCANNED] = "compact_daemon_free_scanned",
};

/* Position of our counters in zone_stat_text (enum zone_stat_item). */
enum { TEXT_NR_FREE_PAGES = 0, TEXT_NR_FREE_PAGES_BLOCKS = 1 };

/* ---- common ---------------------------------------------------------------- */

/* Resolves sys (NULL: the default system) for a writer. */
static int report_begin(bz_system **sys, FILE *out)
{
	if (!out)
		return -EINVAL;
	*sys = bz__resolve(*sys);
	return *sys ? 0 : -ENOMEM;
}

static int report_end(FILE *out)
{
	return ferror(out) ? -EIO : 0;
}

static struct bz_node *online_node(const struct bz_system *sys, int nid)
{
	return sys->nodes[nid];
}

/* node_state(nid, N_MEMORY): the node has a populated zone. */
static bool node_has_memory(const struct bz_node *node)
{
	int zid;

	for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (populated_zone(&node->zones[zid]))
			return true;
	return false;
}

/* num_online_cpus(): CPUs are numbered across nodes, node 0's first. */
static int nr_online_cpus(const struct bz_system *sys)
{
	int nid, n = 0;

	for_each_node(sys, nid)
		if (online_node(sys, nid))
			n += online_node(sys, nid)->nr_cpus;
	return n;
}

/* ---- /proc/zoneinfo ---------------------------------------------------------- */

/* is_zone_first_populated(): the per-node block goes with the first populated zone. */
static bool is_zone_first_populated(const struct bz_node *node, const struct bz_zone *zone)
{
	int zid;

	for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (populated_zone(&node->zones[zid]))
			return zone == &node->zones[zid];
	return false;
}

/* pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES (kswapd_test_hopeless). */
static unsigned node_unreclaimable(const struct bz_node *node)
{
	return kswapd_hopeless(node);
}

static unsigned long zone_stat_value(const struct bz_zone *zone, size_t text_idx)
{
	switch (text_idx) {
	case TEXT_NR_FREE_PAGES:
		return zone_page_state(zone, NR_FREE_PAGES);
	case TEXT_NR_FREE_PAGES_BLOCKS:
		return zone_page_state(zone, NR_FREE_PAGES_BLOCKS);
	default:
		return 0;
	}
}

static unsigned long zone_numa_value(const struct bz_zone *zone, size_t i)
{
	return bz__zone_numa_sum(zone, (enum bz_zone_stat_item)(NUMA_HIT + i));
}

static void zoneinfo_node_stats(FILE *out)
{
	size_t i;

	fputs("\n  per-node stats", out);
	/* No LRU, slab or file pages in the model: every node item is 0. */
	for (i = 0; i < BZ_ARRAY_SIZE(node_stat_text); i++)
		fprintf(out, "\n      %-12s %lu", node_stat_text[i], 0ul);
}

static void zoneinfo_watermarks(FILE *out, const struct bz_zone_snapshot *s)
{
	int i;

	fprintf(out,
		"\n  pages free     %lu"
		"\n        boost    %lu"
		"\n        min      %lu"
		"\n        low      %lu"
		"\n        high     %lu"
		"\n        promo    %lu"
		"\n        spanned  %lu"
		"\n        present  %lu"
		"\n        managed  %lu"
		"\n        cma      %lu",
		s->free, s->boost,
		s->wmark[WMARK_MIN] + s->boost, s->wmark[WMARK_LOW] + s->boost,
		s->wmark[WMARK_HIGH] + s->boost, s->wmark[WMARK_PROMO] + s->boost,
		s->spanned, s->present, s->managed, 0ul);

	fprintf(out, "\n        protection: (%ld", s->lowmem_reserve[0]);
	for (i = 1; i < BZ_MAX_NR_ZONES; i++)
		fprintf(out, ", %ld", s->lowmem_reserve[i]);
	fputc(')', out);
}

static void zoneinfo_zone_stats(FILE *out, const struct bz_zone_snapshot *s)
{
	size_t i;

	for (i = 0; i < BZ_ARRAY_SIZE(zone_stat_text); i++)
		fprintf(out, "\n      %-12s %lu", zone_stat_text[i],
			i == TEXT_NR_FREE_PAGES ? s->free : i == TEXT_NR_FREE_PAGES_BLOCKS ? s->free_blocks : 0ul);
	for (i = 0; i < BZ_ARRAY_SIZE(numa_stat_text); i++)
		fprintf(out, "\n      %-12s %lu", numa_stat_text[i], s->numa[i]);
}

/* What zoneinfo shows of one CPU's struct per_cpu_pages for a zone. */
struct pcp_view {
	int count, high, batch, high_min, high_max;
};

/*
 * The pageset of cpu for zone.  Our caches are per thread, not per CPU, and
 * do not report per CPU yet: count is 0 and high is high_min, the value
 * the kernel starts from before decay_pcp_high() and the free path tune it.
 * Replace this helper once pcp.c can say what each CPU's cache holds.
 */
static void zone_pcp_view(const struct bz_zone *zone, int cpu, struct pcp_view *v)
{
	v->batch = atomic_load_explicit(&zone->pcp_batch, memory_order_relaxed);
	v->high_min = atomic_load_explicit(&zone->pcp_high_min, memory_order_relaxed);
	v->high_max = atomic_load_explicit(&zone->pcp_high_max, memory_order_relaxed);
	bz__pcp_cpu_view(zone, cpu, &v->count, &v->high);
}

/* Every zone lists every online CPU (for_each_online_cpu), not its node's. */
static void zoneinfo_pagesets(FILE *out, const struct bz_zone *zone, int nr_cpus)
{
	struct pcp_view v;
	int cpu;

	fputs("\n  pagesets", out);
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		zone_pcp_view(zone, cpu, &v);
		fprintf(out,
			"\n    cpu: %i"
			"\n              count:    %i"
			"\n              high:     %i"
			"\n              batch:    %i"
			"\n              high_min: %i"
			"\n              high_max: %i",
			cpu, v.count, v.high, v.batch, v.high_min, v.high_max);
		fprintf(out, "\n  vm stats threshold: %d", zone->stat_threshold);
	}
}

/* zoneinfo_show_print() */
static void zoneinfo_show_print(FILE *out, const struct bz_node *node,
				struct bz_zone *zone, int nr_cpus)
{
	struct bz_zone_snapshot s;

	bz__zone_snapshot(zone, populated_zone(zone) ? BZ_SNAP_NUMA : 0, &s);
	fprintf(out, "Node %d, zone %8s", node->nid, bz__zone_names[zone->idx]);
	if (is_zone_first_populated(node, zone))
		zoneinfo_node_stats(out);
	zoneinfo_watermarks(out, &s);

	/* If unpopulated, no other information is useful (the kernel's words). */
	if (!populated_zone(zone)) {
		fputc('\n', out);
		return;
	}
	zoneinfo_zone_stats(out, &s);
	zoneinfo_pagesets(out, zone, nr_cpus);
	fprintf(out,
		"\n  node_unreclaimable:  %u"
		"\n  start_pfn:           %lu",
		node_unreclaimable(node), s.start_pfn);
	fputc('\n', out);
}

/*
 * zoneinfo_show(): every zone of every online node, populated or not,
 * because the protection line shows what lowmem_reserve_ratio does to all.
 */
int bz_write_zoneinfo(bz_system *sys, FILE *out)
{
	int nid, zid, nr_cpus, err;

	err = report_begin(&sys, out);
	if (err)
		return err;
	nr_cpus = nr_online_cpus(sys);
	for_each_node(sys, nid) {
		struct bz_node *node = online_node(sys, nid);

		if (!node)
			continue;
		for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			zoneinfo_show_print(out, node, &node->zones[zid], nr_cpus);
	}
	return report_end(out);
}

/* ---- /proc/buddyinfo -------------------------------------------------------- */

/*
 * frag_show_print().  The counts are copied under the lock and printed
 * after it: stdio may allocate, and the lock guards the allocator's hot path.
 */
static void frag_show_print(FILE *out, const struct bz_node *node, struct bz_zone *zone)
{
	struct bz_zone_snapshot s;
	int order;

	bz__zone_snapshot(zone, BZ_SNAP_FREE_AREA, &s);
	fprintf(out, "Node %d, zone %8s ", node->nid, bz__zone_names[zone->idx]);
	for (order = 0; order < BZ_NR_PAGE_ORDERS; order++)
		fprintf(out, "%6lu ", s.nr_free[order]);
	fputc('\n', out);
}

int bz_write_buddyinfo(bz_system *sys, FILE *out)
{
	int nid, zid, err;

	err = report_begin(&sys, out);
	if (err)
		return err;
	for_each_node(sys, nid) {
		struct bz_node *node = online_node(sys, nid);

		if (!node)
			continue;
		for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			if (populated_zone(&node->zones[zid]))
				frag_show_print(out, node, &node->zones[zid]);
	}
	return report_end(out);
}

/* ---- /proc/pagetypeinfo --------------------------------------------------------- */

/*
 * pagetypeinfo_showfree_print(): a list walked to BZ_LIST_WALK_CAP (100000)
 * blocks prints ">100000"; ++freecount >= 100000 breaks, so exactly 100000
 * shows so too.
 */
static void pagetypeinfo_showfree_print(FILE *out, const struct bz_node *node,
					struct bz_zone *zone)
{
	struct bz_zone_snapshot s;
	int mt, order;

	bz__zone_snapshot(zone, BZ_SNAP_LISTS, &s);
	for (mt = 0; mt < BZ_MIGRATE_TYPES; mt++) {
		fprintf(out, "Node %4d, zone %8s, type %12s ", node->nid,
			bz__zone_names[zone->idx], bz__migratetype_names[mt]);
		for (order = 0; order < BZ_NR_PAGE_ORDERS; order++) {
			bool overflow = s.by_type[mt][order] >= BZ_LIST_WALK_CAP;

			fprintf(out, "%s%6lu ", overflow ? ">" : "", s.by_type[mt][order]);
		}
		fputc('\n', out);
	}
}

/* pagetypeinfo_showfree() */
static void pagetypeinfo_showfree(FILE *out, struct bz_node *node)
{
	int order, zid;

	fprintf(out, "%-43s ", "Free pages count per migrate type at order");
	for (order = 0; order < BZ_NR_PAGE_ORDERS; order++)
		fprintf(out, "%6d ", order);
	fputc('\n', out);
	for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (populated_zone(&node->zones[zid]))
			pagetypeinfo_showfree_print(out, node, &node->zones[zid]);
}

/* pagetypeinfo_showblockcount_print(), under the zone lock like walk_zones_in_node(). */
static void pagetypeinfo_showblockcount_print(FILE *out, const struct bz_node *node,
					      struct bz_zone *zone)
{
	struct bz_zone_snapshot s;
	int mt;

	bz__zone_snapshot(zone, BZ_SNAP_BLOCKS, &s);
	fprintf(out, "Node %d, zone %8s ", node->nid, bz__zone_names[zone->idx]);
	for (mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
		fprintf(out, "%12lu ", s.pageblocks[mt]);
	fputc('\n', out);
}

/* pagetypeinfo_showblockcount() */
static void pagetypeinfo_showblockcount(FILE *out, struct bz_node *node)
{
	int mt, zid;

	fprintf(out, "\n%-23s", "Number of blocks type ");
	for (mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
		fprintf(out, "%12s ", bz__migratetype_names[mt]);
	fputc('\n', out);
	for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (populated_zone(&node->zones[zid]))
			pagetypeinfo_showblockcount_print(out, node, &node->zones[zid]);
}

/*
 * pagetypeinfo_show(): the whole block once per node with memory, header
 * included.  pagetypeinfo_showmixedcount() needs CONFIG_PAGE_OWNER, which
 * we do not model, so it prints nothing, as on this kernel.
 */
int bz_write_pagetypeinfo(bz_system *sys, FILE *out)
{
	int nid, err;

	err = report_begin(&sys, out);
	if (err)
		return err;
	for_each_node(sys, nid) {
		struct bz_node *node = online_node(sys, nid);

		if (!node || !node_has_memory(node))
			continue;
		fprintf(out, "Page block order: %d\n", BZ_PAGEBLOCK_ORDER);
		fprintf(out, "Pages per block:  %lu\n", PAGEBLOCK_NR_PAGES);
		fputc('\n', out);
		pagetypeinfo_showfree(out, node);
		pagetypeinfo_showblockcount(out, node);
	}
	return report_end(out);
}

/* ---- /proc/vmstat ------------------------------------------------------------------ */

/* global_zone_page_state() / global_numa_event_state(): the sum over all zones. */
static unsigned long global_zone_sum(const struct bz_system *sys, bool numa, size_t i)
{
	unsigned long sum = 0;
	int nid, zid;

	for_each_node(sys, nid) {
		const struct bz_node *node = online_node(sys, nid);

		if (!node)
			continue;
		for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			sum += numa ? zone_numa_value(&node->zones[zid], i)
				    : zone_stat_value(&node->zones[zid], i);
	}
	return sum;
}

/*
 * vm_stat_item values.  No writeback, so no dirty thresholds.  Our mem_map
 * is set up with the system, outside the buddy lists, like the kernel's
 * boot-time memmap: it counts as nr_memmap_boot_pages.
 */
static unsigned long vm_stat_value(const struct bz_system *sys, size_t i)
{
	if (i == VM_MEMMAP_BOOT_PAGES)
		return (sys->mem_map_bytes + BZ_PAGE_SIZE - 1) / BZ_PAGE_SIZE;
	return 0;
}

static unsigned long vm_event_value(const struct bz_system *sys, const char *name)
{
	size_t i;

	for (i = 0; i < NR_VM_EVENTS; i++)
		if (bz__vm_event_names[i] && !strcmp(name, bz__vm_event_names[i]))
			return bz__vm_event_sum(sys, (enum bz_vm_event)i);
	return 0;
}

/* vmstat_show(): "name value", the sections in vmstat_start()'s order. */
int bz_write_vmstat(bz_system *sys, FILE *out)
{
	size_t i;
	int err;

	err = report_begin(&sys, out);
	if (err)
		return err;
	for (i = 0; i < BZ_ARRAY_SIZE(zone_stat_text); i++)
		fprintf(out, "%s %lu\n", zone_stat_text[i], global_zone_sum(sys, false, i));
	for (i = 0; i < BZ_ARRAY_SIZE(numa_stat_text); i++)
		fprintf(out, "%s %lu\n", numa_stat_text[i], global_zone_sum(sys, true, i));
	for (i = 0; i < BZ_ARRAY_SIZE(node_stat_text); i++)
		fprintf(out, "%s %lu\n", node_stat_text[i], 0ul);
	for (i = 0; i < BZ_ARRAY_SIZE(vm_stat_text); i++)
		fprintf(out, "%s %lu\n", vm_stat_text[i], vm_stat_value(sys, i));
	for (i = 0; i < BZ_ARRAY_SIZE(vm_event_text); i++)
		fprintf(out, "%s %lu\n", vm_event_text[i], vm_event_value(sys, vm_event_text[i]));
	/* Deprecated counters the kernel still appends for old parsers. */
	fputs("nr_unstable 0\n", out);
	return report_end(out);
}

/* ---- "Fallback order for Node N: " ---------------------------------------------------- */

/*
 * The node order build_zonelists() computed, recovered from the fallback
 * zonelist: the nodes of its zones in order of first appearance.
 */
static int zonelist_node_order(const struct bz_node *node, int order[BZ_MAX_NUMNODES])
{
	for (int i = 0; i < node->nr_node_order; i++)
		order[i] = node->node_order[i];
	return node->nr_node_order;
}

/*
 * build_zonelists()'s pr_info/pr_cont lines, trailing space included.  The
 * kernel builds (and prints) a zonelist for every online node, memoryless
 * ones too; the order lists only nodes with memory (find_next_best_node
 * walks N_MEMORY).
 */
int bz_write_zonelists(bz_system *sys, FILE *out)
{
	int order[BZ_MAX_NUMNODES];
	int nid, i, nr, err;

	err = report_begin(&sys, out);
	if (err)
		return err;
	/* Zonelists are rebuilt under sysctl_lock; hold it to see whole ones. */
	pthread_mutex_lock(&sys->sysctl_lock);
	for_each_node(sys, nid) {
		const struct bz_node *node = online_node(sys, nid);

		if (!node)
			continue;
		nr = zonelist_node_order(node, order);
		fprintf(out, "Fallback order for Node %d: ", nid);
		for (i = 0; i < nr; i++)
			fprintf(out, "%d ", order[i]);
		fputc('\n', out);
	}
	pthread_mutex_unlock(&sys->sysctl_lock);
	return report_end(out);
}
