/* SPDX-License-Identifier: MIT */
/*
 * contig_alloc.c - contiguous ranges of pages over movable memory, as the
 * kernel's CONFIG_CONTIG_ALLOC part of mm/page_alloc.c (the CMA path,
 * Linux 6.1-6.15 interface): alloc_contig_range() isolates the range's
 * pageblocks (page_isolation.c), drains the thread caches, migrates the
 * movable blocks out of it (migrate.c, targets from the normal allocator:
 * the isolated range never gives any), takes the now free pages off the
 * isolate lists and hands out exactly the range as order-0 pages, then
 * gives the rest of its pageblocks back.  alloc_contig_pages() tries
 * aligned candidates zone by zone; free_contig_range() frees a range.
 * Memory offline (memory_offline.c) shares the migration loop.
 */
#include <string.h>

#include "entry.h"
#include "page_isolation.h"

#define ALLOC_CONTIG_TRIES 5    /* __alloc_contig_migrate_range: the same pages 5 times, then -EBUSY */

#define RELAXED __ATOMIC_RELAXED

struct contig_target {
	int nid;
	bz_gfp_t gfp;
};

/* alloc_migration_target(): src's order from the normal allocator, in a movable zone as src was. */
static struct bz_page *contig_target(struct bz_system *sys, struct bz_page *src, void *private)
{
	const struct contig_target *t = private;
	bz_gfp_t gfp = t->gfp;

	if (page_zone(sys, src)->idx == BZ_ZONE_MOVABLE)
		gfp |= BZ_GFP_HIGHMEM;
	return bz_alloc_pages_node(sys, t->nid, gfp, migrate_block_order(src));
}

/* The compact_control of alloc_contig_range(): the whole range, sync, no skip hints. */
static void contig_cc_init(struct compact_control *cc, struct bz_zone *z, bz_gfp_t gfp)
{
	memset(cc, 0, sizeof(*cc));
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		page_list_init(&cc->freepages[o]);
	page_list_init(&cc->migratepages);
	cc->sys = z->sys;
	cc->zone = z;
	cc->gfp_mask = gfp;
	cc->order = -1;
	cc->migratetype = BZ_MIGRATE_MOVABLE;
	cc->highest_zoneidx = z->idx;
	cc->mode = BZ_MIGRATE_SYNC;
	cc->ignore_skip_hint = true;
	cc->no_set_skip_hint = true;
	cc->alloc_contig = true;
	bz__zone_lock(z);
	cc->deferred_pfn = z->deferred_pfn < z->deferred_end ? z->deferred_pfn : zone_end_pfn(z);
	bz__zone_unlock(z);
}

int bz__alloc_contig_migrate_range(struct bz_zone *z, unsigned long start, unsigned long end, bz_gfp_t gfp,
				   enum migrate_reason reason)
{
	struct bz_system *sys = z->sys;
	struct contig_target t = { .nid = z->node->nid, .gfp = gfp };
	struct compact_control cc;
	unsigned long pfn = start;
	int tries = 0, ret = 0;

	contig_cc_init(&cc, z, gfp);
	while (pfn < end || !page_list_empty(&cc.migratepages)) {
		if (page_list_empty(&cc.migratepages)) {
			cc.nr_migratepages = 0;
			cc.migrate_pfn = end;   /* where a range with nothing usable left ends */
			ret = bz__isolate_migratepages_range(&cc, pfn, end);
			if (ret && ret != -EAGAIN)
				break;
			pfn = cc.migrate_pfn > pfn ? cc.migrate_pfn : end;
			tries = 0;
		} else if (++tries == ALLOC_CONTIG_TRIES) {
			ret = -EBUSY;
			break;
		}
		ret = bz__migrate_pages(sys, &cc.migratepages, contig_target, NULL, &t, BZ_MIGRATE_SYNC, reason, NULL);
		if (ret == -ENOMEM)
			break;
	}
	if (ret < 0)
		bz__putback_movable_pages(sys, &cc.migratepages);
	return ret < 0 ? ret : 0;
}

/* Free pages [pfn, end), taken off the lists, back in the largest aligned blocks (to the isolate lists). */
static void release_free_locked(struct bz_zone *z, unsigned long pfn, unsigned long end)
{
	while (pfn < end) {
		unsigned order = pfn ? (unsigned)__builtin_ctzl(pfn) : BZ_MAX_ORDER;

		order = BZ_MIN(order, (unsigned)BZ_MAX_ORDER);
		while (pfn + (1ul << order) > end)
			order--;
		bz__putback_isolated_locked(z, pfn, order, get_pageblock_migratetype(z->sys, pfn), false);
		pfn += 1ul << order;
	}
}

/*
 * test_pages_isolated() from the free block holding start (outer_start),
 * then isolate_freepages_range(): every free block of the range off the
 * isolate lists, in one hold of the lock; what the blocks hold beyond
 * [start, end) goes back at once (the kernel frees the outer head and
 * tail).  0, or -EBUSY with nothing taken.
 */
static int take_free_range(struct bz_zone *z, unsigned long start, unsigned long end)
{
	unsigned long outer_start, pfn;

	bz__zone_lock(z);
	outer_start = bz__free_block_head_locked(z, start);
	if (bz__test_pages_isolated_locked(z, outer_start, end, 0)) {
		bz__zone_unlock(z);
		return -EBUSY;
	}
	for (pfn = outer_start; pfn < end;) {
		unsigned order = PAGE_GET(pfn_to_page(z->sys, pfn), order);
		unsigned long next = pfn + (1ul << order);

		bz__isolate_free_block_locked(z, pfn, order);   /* isolate lists: no watermark test */
		if (pfn < start)
			release_free_locked(z, pfn, start);
		if (next > end)
			release_free_locked(z, end, next);
		pfn = next;
	}
	bz__zone_unlock(z);
	return 0;
}

/* split_free_pages() and post_alloc_hook(): each page of [start, end) an allocated order-0 page. */
static int prep_range(struct bz_system *sys, unsigned long start, unsigned long end, bz_gfp_t gfp)
{
	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct bz_page *p = pfn_to_page(sys, pfn);

		p->private = 0;
		p->compound_off = 0;
		PAGE_SET(p, flags, PG_init);
		bz__prep_new_page(p, 0, BZ_MIGRATE_MOVABLE);
	}
	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct bz_page *p = pfn_to_page(sys, pfn);

		if (bz_unlikely(sys->debug.flags)) {
			if (bz__debug_alloc(sys, p, 0, gfp))
				continue;
			/* Guard mode could not map it; it went back: so does the rest. */
			for (unsigned long q = start; q < end; q++)
				if (q != pfn)
					bz__put_page_refs(sys, q, 1, "alloc_contig_range");
			return -ENOMEM;
		}
		if (gfp & BZ_GFP_ZERO)
			memset(sys->base + (pfn << BZ_PAGE_SHIFT), 0, BZ_PAGE_SIZE);
	}
	return 0;
}

int bz__alloc_contig_range(struct bz_zone *z, unsigned long start, unsigned long end, int mt, bz_gfp_t gfp)
{
	struct bz_system *sys = z->sys;
	/* The targets' mask (__alloc_contig_verify_gfp_mask): the caller's reclaim bits, movable, may fail. */
	bz_gfp_t target_gfp = (gfp & (BZ_GFP_RECLAIM | BZ_GFP_IO | BZ_GFP_FS | BZ_GFP_NOWARN)) | BZ_GFP_MOVABLE |
			      BZ_GFP_RETRY_MAYFAIL | BZ_GFP_NOWARN;
	int ret;

	ret = bz__start_isolate_page_range(z, start, end, mt, 0);
	if (ret)
		return ret;
	bz__tcache_drain_all(sys);
	ret = bz__alloc_contig_migrate_range(z, start, end, target_gfp, MR_CONTIG_RANGE);
	/* -EBUSY falls through: whether the range is free decides. */
	if (ret && ret != -EBUSY)
		goto done;
	ret = take_free_range(z, start, end);
	if (!ret)
		ret = prep_range(sys, start, end, gfp);
done:
	bz__undo_isolate_page_range(z, start, end, mt);
	return ret;
}

/* ---- the public calls ----------------------------------------------------------------------------- */

BZ_API int bz_alloc_contig_range(bz_system *sys_in, unsigned long start, unsigned long end, int migratetype,
				 bz_gfp_t gfp)
{
	struct bz_system *sys = bz__resolve(sys_in);
	struct bz_zone *z;
	const char *why = NULL;

	if (!sys)
		return -EINVAL;
	z = start < end && end <= sys->nr_pfns ? bz__pfn_zone(sys, start) : NULL;
	if (!z || !zone_spans_pfn(z, end - 1))
		why = "not a range of one zone";
	else if (migratetype != BZ_MIGRATE_MOVABLE)
		why = "migratetype is not MIGRATE_MOVABLE (no CMA here)";
	else if (gfp & BZ_GFP_COMP)
		why = "__GFP_COMP is not supported (as before Linux 6.15)";
	if (why) {
		bz__log(sys, BZ_LOG_ERR, "alloc_contig_range: pfns %#lx-%#lx: %s", start, end, why);
		return -EINVAL;
	}
	return bz__alloc_contig_range(z, start, end, migratetype, gfp);
}

/* pfn_range_valid_contig(): memory of z throughout, nothing reserved, no huge page (zone lock held). */
static bool pfn_range_valid_contig(struct bz_zone *z, unsigned long start, unsigned long nr)
{
	for (unsigned long pfn = start; pfn < start + nr; pfn++) {
		const struct bz_page *p = pfn_to_page(z->sys, pfn);
		uint8_t flags = PAGE_GET(p, flags);

		if (!zone_spans_pfn(z, pfn))
			return false;
		if (!(flags & PG_init)) {
			if (pfn < z->deferred_pfn || pfn >= z->deferred_end)
				return false;
			continue;
		}
		if (p->zone_id != z->zone_id || (PAGE_GET(p, uflags) & UPG_reserved))
			return false;
		if ((flags & PG_compound) && PAGE_GET(p, order) >= BZ_PAGEBLOCK_ORDER)
			return false;   /* PageHuge */
	}
	return true;
}

/* The candidates of one zone, first fit; the page, or NULL. */
static struct bz_page *contig_pages_in_zone(struct bz_zone *z, unsigned long nr, bz_gfp_t gfp)
{
	/* ALIGN(zone_start_pfn, nr_pages), the kernel's mask arithmetic even when nr is no power of two. */
	unsigned long pfn = (z->zone_start_pfn + nr - 1) & ~(nr - 1);

	bz__zone_lock(z);
	for (; zone_spans_pfn(z, pfn + nr - 1); pfn += nr) {
		if (!pfn_range_valid_contig(z, pfn, nr))
			continue;
		bz__zone_unlock(z);
		if (!bz__alloc_contig_range(z, pfn, pfn + nr, BZ_MIGRATE_MOVABLE, gfp))
			return pfn_to_page(z->sys, pfn);
		bz__zone_lock(z);
	}
	bz__zone_unlock(z);
	return NULL;
}

BZ_API bz_page *bz_alloc_contig_pages(bz_system *sys_in, unsigned long nr_pages, bz_gfp_t gfp, int nid,
				      const unsigned long *nodemask)
{
	struct bz_system *sys = bz__resolve(sys_in);
	const struct bz_zonelist *zl;
	int highest;

	if (!sys)
		return NULL;
	highest = bz__gfp_zone(gfp);
	if (!nr_pages || nr_pages > sys->nr_pfns || highest < 0 || nid < -1 || nid >= sys->nr_nodes ||
	    (gfp & BZ_GFP_COMP)) {
		bz__log(sys, BZ_LOG_ERR, "alloc_contig_pages: %lu pages, node %d, gfp %#x: %s", nr_pages, nid,
			(unsigned)gfp, !nr_pages || nr_pages > sys->nr_pfns ? "page count out of range" :
				       highest < 0 ? "invalid zone modifiers" :
				       (gfp & BZ_GFP_COMP) ? "__GFP_COMP is not supported" : "no such node");
		return NULL;
	}
	if (nid == -1)
		nid = bz__task_node(sys);
	zl = atomic_load_explicit(&sys->nodes[nid]->zonelists[ZONELIST_FALLBACK], memory_order_acquire);
	for (int i = 0; i < zl->nr; i++) {
		struct bz_zone *z = zl->zones[i];
		struct bz_page *page;

		if (z->idx > highest || (nodemask && !(nodemask[0] & (1ul << z->node->nid))) || !populated_zone(z))
			continue;
		page = contig_pages_in_zone(z, nr_pages, gfp);
		if (page)
			return page;
	}
	return NULL;
}

BZ_API int bz_free_contig_range(bz_system *sys_in, unsigned long pfn, unsigned long nr_pages)
{
	struct bz_system *sys = bz__resolve(sys_in);
	unsigned long count = 0;

	if (!sys)
		return -EINVAL;
	if (!nr_pages || pfn >= sys->nr_pfns || nr_pages > sys->nr_pfns - pfn) {
		bz__log(sys, BZ_LOG_ERR, "free_contig_range: pfn %#lx, %lu pages: out of range", pfn, nr_pages);
		return -EINVAL;
	}
	/* Every page an allocated order-0 page before any goes: a bad range frees nothing. */
	for (unsigned long i = pfn; i < pfn + nr_pages; i++) {
		const struct bz_page *p = pfn_to_page(sys, i);

		if (!bz__pfn_zone(sys, i) || (PAGE_GET(p, flags) & (PG_init | PG_head | PG_buddy | PG_pcp | PG_frozen |
								    PG_compound)) != (PG_init | PG_head) ||
		    PAGE_GET(p, order) || page_is_tail(p) || page_ref_count(p) < 1) {
			bz__log(sys, BZ_LOG_ERR, "free_contig_range: pfn %#lx is not an allocated order-0 page: "
				"nothing freed", i);
			return -EINVAL;
		}
		count += page_ref_count(p) != 1;
	}
	for (unsigned long i = pfn; i < pfn + nr_pages; i++)
		bz__put_page_refs(sys, i, 1, "free_contig_range");
	if (count)
		bz__log(sys, BZ_LOG_WARNING, "free_contig_range: %lu pages are still in use!", count);
	return 0;
}
