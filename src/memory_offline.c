/* SPDX-License-Identifier: MIT */
/*
 * memory_offline.c - memory taken out of a running system, the reverse of
 * bz_memory_add (memory_hotplug.c), as the kernel's offline_pages()
 * (mm/memory_hotplug.c): the range's pageblocks are isolated (in
 * MEMORY_OFFLINE mode), the thread caches drained, the movable blocks in
 * it migrated away (do_migrate_range) until test_pages_isolated() finds
 * every page free; then its free blocks leave the isolate lists
 * (__offline_isolated_pages), managed and present pages shrink
 * (adjust_managed_page_count, adjust_present_page_count), the zone's span
 * shrinks (shrink_zone_span, update_pgdat_span), and watermarks, reserves
 * and pageset sizes follow (init_per_zone_wmark_min).  A page that cannot
 * move fails it with -EBUSY, the isolation undone and nothing lost.
 *
 * Differences, for a userspace model: the range is always the zone's last
 * pages (the reverse of hot-add, which grows a zone at its end); the
 * kernel retries until a signal, this gives up after ALLOC_CONTIG-like
 * rounds; and the thread caches are drained, not disabled
 * (zone_pcp_disable), which is enough because frees into an isolated
 * pageblock bypass them and refills never take from the isolate lists.
 */
#include "entry.h"
#include "page_isolation.h"

#define OFFLINE_ROUNDS 5        /* migrate + test_pages_isolated rounds before -EBUSY */

#define STORE(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELEASE)

/* The range to take: the zone's last pages; 0, or -EINVAL with why. */
static int offline_range(struct bz_zone *z, unsigned long pages, unsigned long *start, const char **why)
{
	unsigned long end = zone_end_pfn(z);

	if (!populated_zone(z))
		*why = "the zone has no memory";
	else if (pages > z->present_pages || pages > z->managed_pages)
		*why = "more pages than the zone has";
	else if ((end - pages) % PAGEBLOCK_NR_PAGES)
		*why = "the range would not start on a pageblock boundary";
	if (*why)
		return -EINVAL;
	*start = end - pages;
	return 0;
}

/* Every page of [start, end) memory (initialised, or deferred free memory): no reserved tail. */
static bool range_is_memory(struct bz_zone *z, unsigned long start, unsigned long end)
{
	bool ok = true;

	bz__zone_lock(z);
	for (unsigned long pfn = start; pfn < end && ok; pfn++)
		ok = (PAGE_GET(pfn_to_page(z->sys, pfn), flags) & PG_init) ||
		     (pfn >= z->deferred_pfn && pfn < z->deferred_end);
	bz__zone_unlock(z);
	return ok;
}

/* The loop of offline_pages(): migrate, then test; 0 once every page is free, else -EBUSY. */
static int migrate_out(struct bz_zone *z, unsigned long start, unsigned long end)
{
	/* do_migrate_range()'s mask: GFP_KERNEL | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL. */
	const bz_gfp_t gfp = BZ_GFP_KERNEL | BZ_GFP_MOVABLE | BZ_GFP_RETRY_MAYFAIL | BZ_GFP_NOWARN;

	for (int round = 0; round < OFFLINE_ROUNDS; round++) {
		bz__alloc_contig_migrate_range(z, start, end, gfp, MR_MEMORY_HOTPLUG);
		if (!bz__test_pages_isolated(z, start, end, MEMORY_OFFLINE))
			return 0;
		bz__tcache_drain_all(z->sys);
	}
	return -EBUSY;
}

/* update_pgdat_span(): the node spans its zones that span anything. */
static void update_pgdat_span(struct bz_node *node)
{
	unsigned long lo = ~0ul, hi = 0;

	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
		const struct bz_zone *z = &node->zones[zid];

		if (!z->spanned_pages)
			continue;
		lo = BZ_MIN(lo, z->zone_start_pfn);
		hi = BZ_MAX(hi, zone_end_pfn(z));
	}
	STORE(node->node_start_pfn, hi ? lo : node->node_start_pfn);
	STORE(node->node_spanned_pages, hi ? hi - lo : 0);
}

/*
 * __offline_isolated_pages() and the counts (sysctl_lock held, the range
 * found all free): the free blocks leave the isolate lists (NR_FREE_PAGES
 * never counted them), the pages' structs are cleared (not memory any
 * more: check.c counts them with the span's reserved pages and holes),
 * the pageblocks are not isolated any more, and the zone shrinks.  False
 * when a page is not free after all (then nothing changed).
 */
static bool offline_isolated_pages(struct bz_zone *z, unsigned long start, unsigned long end)
{
	struct bz_system *sys = z->sys;
	unsigned long pages = end - start;

	bz__zone_lock(z);
	if (zone_end_pfn(z) != end || bz__test_pages_isolated_locked(z, start, end, MEMORY_OFFLINE)) {
		bz__zone_unlock(z);
		return false;
	}
	for (unsigned long pfn = start; pfn < end;) {
		unsigned order = PAGE_GET(pfn_to_page(sys, pfn), order);

		bz__isolate_free_block_locked(z, pfn, order);
		pfn += 1ul << order;
	}
	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct bz_page *p = pfn_to_page(sys, pfn);

		p->next = p->prev = BZ_NIL;
		PAGE_SET(p, val, 0);
	}
	for (unsigned long pfn = start; pfn < end; pfn += PAGEBLOCK_NR_PAGES)
		set_pageblock_migratetype(sys, pfn, BZ_MIGRATE_MOVABLE);    /* memmap_init's type, for a later add */
	z->nr_isolate_pageblock -= pages / PAGEBLOCK_NR_PAGES;
	/* adjust_managed_page_count, adjust_present_page_count, shrink_zone_span: counts first, then the span. */
	STORE(z->managed_pages, z->managed_pages - pages);
	STORE(z->present_pages, z->present_pages - pages);
	STORE(z->spanned_pages, z->spanned_pages - pages);
	if (!z->spanned_pages)
		STORE(z->zone_start_pfn, 0ul);
	bz__zone_unlock(z);
	STORE(z->node->node_present_pages, z->node->node_present_pages - pages);
	update_pgdat_span(z->node);
	bz__reset_cached_positions(z);
	return true;
}

/* What offline_pages() does once the range is isolated; 0, or -EBUSY with the isolation undone. */
static int offline_isolated(struct bz_system *sys, struct bz_zone *z, unsigned long start, unsigned long end)
{
	bool done = false;

	bz__tcache_drain_all(sys);
	if (!migrate_out(z, start, end)) {
		pthread_mutex_lock(&sys->sysctl_lock);
		done = offline_isolated_pages(z, start, end);
		if (done) {
			if (!populated_zone(z))
				bz__build_all_zonelists(sys);   /* the zone leaves the zonelists */
			bz__recompute_watermarks(sys);          /* init_per_zone_wmark_min() */
		}
		pthread_mutex_unlock(&sys->sysctl_lock);
	}
	if (!done) {
		bz__undo_isolate_page_range(z, start, end, BZ_MIGRATE_MOVABLE);
		return -EBUSY;
	}
	bz__tcache_retune_all(sys);
	return 0;
}

BZ_API int bz_memory_remove(bz_system *sys_in, int nid, int zid, unsigned long pages)
{
	struct bz_system *sys = bz__resolve(sys_in);
	unsigned long start = 0, end;
	const char *why = NULL;
	struct bz_zone *z;
	int err;

	if (!sys)
		return -EINVAL;
	if (nid < 0 || nid >= sys->nr_nodes || zid < 0 || zid >= BZ_ZONE_DEVICE || !pages || pages > BZ_MAX_PFNS) {
		bz__log(sys, BZ_LOG_ERR, "memory remove: node %d, zone %d, %lu pages: %s", nid, zid, pages,
			nid < 0 || nid >= sys->nr_nodes ? "no such node" :
			zid < 0 || zid >= BZ_ZONE_DEVICE ? "not a zone memory can be removed from" :
							     "page count out of range");
		return -EINVAL;
	}
	z = &sys->nodes[nid]->zones[zid];
	pthread_mutex_lock(&sys->sysctl_lock);
	err = offline_range(z, pages, &start, &why);
	pthread_mutex_unlock(&sys->sysctl_lock);
	end = start + pages;
	if (!err && !range_is_memory(z, start, end)) {
		why = "the zone's last pages are reserved, not memory";
		err = -EINVAL;
	}
	if (!err && bz__start_isolate_page_range(z, start, end, BZ_MIGRATE_MOVABLE, MEMORY_OFFLINE | REPORT_FAILURE)) {
		why = "failure to isolate range";
		err = -EBUSY;
	}
	if (!err && offline_isolated(sys, z, start, end)) {
		why = "a page would not move (unmovable, pinned, or its owner refused)";
		err = -EBUSY;
	}
	if (err) {
		bz__log(sys, BZ_LOG_ERR, "memory remove: %lu pages of node %d's %s zone: %s", pages, nid,
			bz__zone_names[zid], why);
		return err;
	}
	bz__log(sys, BZ_LOG_INFO, "memory remove: node %d %s: %lu pages offline at pfns %#lx-%#lx", nid,
		bz__zone_names[zid], pages, start, end - 1);
	return 0;
}
