/* SPDX-License-Identifier: MIT */
/*
 * check.c - bz_check(): walks the invariants of DESIGN.md zone by zone
 * under the zone lock and reports the first one broken.  Meant for
 * quiescent points (tests, debugging): pages in per-thread caches are only
 * counted, not locked.
 */
#include "debug.h"

#define BROKEN(...) do { bz__log(z->sys, BZ_LOG_ERR, "bz_check: " __VA_ARGS__); return -EUCLEAN; } while (0)

/* One free list: well linked, each block aligned, in the zone, of this order and type. */
static int check_list(struct bz_zone *z, unsigned order, int mt, unsigned long *blocks)
{
	const char *zn = bz__zone_names[z->idx];
	uint32_t prev = BZ_NIL;
	unsigned long n = 0;

	for (uint32_t pfn = z->free_area[order].free_list[mt].first; pfn != BZ_NIL;
	     prev = pfn, pfn = pfn_to_page(z->sys, pfn)->next) {
		const struct bz_page *p = pfn_to_page(z->sys, pfn);
		unsigned long buddy = pfn ^ (1ul << order);

		if (++n > z->managed_pages)
			BROKEN("node %d %s: order-%u %s list loops", z->node->nid, zn, order, bz__migratetype_names[mt]);
		if (p->prev != prev)
			BROKEN("pfn %05x: broken back link on the order-%u list", pfn, order);
		if (!(PAGE_GET(p, flags) & PG_buddy) || PAGE_GET(p, order) != order || PAGE_GET(p, mt) != mt)
			BROKEN("pfn %05x on the order-%u %s list has flags %#x order %u type %u", pfn, order,
			       bz__migratetype_names[mt], PAGE_GET(p, flags), PAGE_GET(p, order), PAGE_GET(p, mt));
		if (pfn & ((1u << order) - 1))
			BROKEN("free block at pfn %05x is not aligned to its order %u", pfn, order);
		if (!zone_spans_pfn(z, pfn) || !zone_spans_pfn(z, pfn + (1ul << order) - 1) ||
		    p->zone_id != z->zone_id)
			BROKEN("free block at pfn %05x order %u is not inside node %d %s", pfn, order, z->node->nid, zn);
		if (get_pageblock_migratetype(z->sys, pfn) != mt)
			BROKEN("free block at pfn %05x is on the %s list but its pageblock is %s", pfn,
			       bz__migratetype_names[mt], bz__migratetype_names[get_pageblock_migratetype(z->sys, pfn)]);
		/* Above pageblock order, blocks of different pageblocks may stay apart. */
		if (order < BZ_PAGEBLOCK_ORDER && zone_spans_pfn(z, buddy)) {
			const struct bz_page *b = pfn_to_page(z->sys, buddy);

			if ((PAGE_GET(b, flags) & PG_buddy) && PAGE_GET(b, order) == order)
				BROKEN("free blocks at pfn %05x and its buddy %05lx (order %u) did not merge", pfn,
				       buddy, order);
		}
	}
	*blocks += n;
	return 0;
}

/* A compound page's tails: each points back to the head, holds no reference, heads nothing. */
static int check_tails(struct bz_zone *z, unsigned long pfn, const struct bz_page *head)
{
	unsigned order = PAGE_GET(head, order);

	if (!order)
		BROKEN("compound page at pfn %05lx has order 0", pfn);
	for (unsigned long i = 1; i < 1ul << order; i++) {
		const struct bz_page *t = head + i;

		if (PAGE_GET(t, compound_off) != i || page_ref_count(t) ||
		    (PAGE_GET(t, flags) & (PG_head | PG_buddy | PG_pcp | PG_compound)) ||
		    (PAGE_GET(t, uflags) & (UPG_movable | UPG_isolated)))
			BROKEN("tail %lu of the compound order-%u page at pfn %05lx: %u pages from its head, "
			       "refcount %d, flags %#x, user flags %#x", i, order, pfn, PAGE_GET(t, compound_off),
			       page_ref_count(t), PAGE_GET(t, flags), PAGE_GET(t, uflags));
	}
	return 0;
}

/*
 * The movable state (migrate.c) of a block's first page: only an
 * allocated block of a movable allocation is marked movable, with its
 * operations in page->mapping; a free block is neither marked nor
 * isolated (its free cleared both).  A block under migration (isolated)
 * is allocated: the migration holds a reference.  Frozen blocks are on
 * their way somewhere (a debug-mode free clears the marks after the
 * freeze) and are not looked at.
 */
static int check_movable(struct bz_zone *z, unsigned long pfn, const struct bz_page *p)
{
	uint8_t flags = PAGE_GET(p, flags), uflags = PAGE_GET(p, uflags);
	uintptr_t mapping = (uintptr_t)__atomic_load_n(&p->mapping, __ATOMIC_RELAXED);

	if (!(uflags & (UPG_movable | UPG_isolated)) || (flags & PG_frozen))
		return 0;
	if (flags & (PG_buddy | PG_pcp))
		BROKEN("free block at pfn %05lx is still %s", pfn, uflags & UPG_isolated ? "isolated" : "movable");
	if ((uflags & UPG_movable) && ((mapping & 0x3) != 0x2 || mapping == 0x2))
		BROKEN("movable block at pfn %05lx has no movable_operations in its mapping (%#lx)", pfn,
		       (unsigned long)mapping);
	if ((uflags & UPG_movable) && PAGE_GET(p, mt) != BZ_MIGRATE_MOVABLE)
		BROKEN("movable block at pfn %05lx was allocated as %s", pfn, bz__migratetype_names[PAGE_GET(p, mt)]);
	return 0;
}

/*
 * The reference count of a block's first page: 0 when it is free (listed,
 * cached) or frozen (away from the lists), at least 1 when it is allocated.
 */
static int check_refs(struct bz_zone *z, unsigned long pfn, const struct bz_page *p)
{
	uint8_t flags = PAGE_GET(p, flags);
	int refs = page_ref_count(p);

	if (page_is_tail(p))
		BROKEN("pfn %05lx starts a block but is a compound page's tail", pfn);
	if (flags & (PG_buddy | PG_pcp)) {
		if (refs || (flags & PG_compound))
			BROKEN("free block at pfn %05lx has refcount %d%s", pfn, refs,
			       flags & PG_compound ? " and is still compound" : "");
		return 0;
	}
	if ((flags & PG_frozen) && refs)
		BROKEN("block at pfn %05lx, away from the lists, has refcount %d", pfn, refs);
	if (!(flags & PG_frozen) && refs < 1)
		BROKEN("allocated block at pfn %05lx has refcount %d", pfn, refs);
	return (flags & PG_compound) ? check_tails(z, pfn, p) : 0;
}

/*
 * Every page of the zone's memory belongs to exactly one block: free, cached
 * or allocated.  Pages never initialised are the span's reserved pages and
 * holes (spanned - managed of them).
 */
static int check_coverage(struct bz_zone *z, long *free, long *cached, long *allocated)
{
	unsigned long pfn = z->zone_start_pfn, end = zone_end_pfn(z), reserved = 0;

	while (pfn < end) {
		const struct bz_page *p = pfn_to_page(z->sys, pfn);

		if (pfn == z->deferred_pfn && z->deferred_pfn < z->deferred_end) {
			*free += (long)(z->deferred_end - z->deferred_pfn);
			pfn = z->deferred_end;
			continue;
		}
		if (!(PAGE_GET(p, flags) & PG_init) && reserved < z->spanned_pages - z->managed_pages) {
			reserved++;
			pfn++;
			continue;
		}
		if (!(PAGE_GET(p, flags) & (PG_buddy | PG_pcp | PG_head)))
			BROKEN("pfn %05lx (node %d %s) is in no block: neither free, cached nor allocated", pfn,
			       z->node->nid, bz__zone_names[z->idx]);
		if (pfn + (1ul << PAGE_GET(p, order)) > end)
			BROKEN("block at pfn %05lx order %u runs past the zone's end", pfn, PAGE_GET(p, order));
		if (check_refs(z, pfn, p) || check_movable(z, pfn, p))
			return -EUCLEAN;
		if (PAGE_GET(p, flags) & PG_buddy)
			*free += 1l << PAGE_GET(p, order);
		else if (PAGE_GET(p, flags) & PG_pcp)
			*cached += 1l << PAGE_GET(p, order);
		else
			*allocated += 1l << PAGE_GET(p, order);
		pfn += 1ul << PAGE_GET(p, order);
	}
	return 0;
}

/*
 * MIGRATE_ISOLATE pageblocks (page_isolation.c): as many as
 * nr_isolate_pageblock says, each wholly in the zone.  That isolated free
 * pages sit on the isolate lists only of isolated pageblocks is
 * check_list's type test.  A page cached before its pageblock was
 * isolated stays in a thread cache until the drain that follows (debug
 * mode's periodic check may run in between): not checked.
 */
static int check_isolation(struct bz_zone *z)
{
	unsigned long nr = 0, start = z->zone_start_pfn & ~(PAGEBLOCK_NR_PAGES - 1);

	for (unsigned long block = start; block < zone_end_pfn(z); block += PAGEBLOCK_NR_PAGES) {
		if (get_pageblock_migratetype(z->sys, block) != BZ_MIGRATE_ISOLATE)
			continue;
		nr++;
		if (!zone_spans_pfn(z, block) || !zone_spans_pfn(z, block + PAGEBLOCK_NR_PAGES - 1))
			BROKEN("isolated pageblock at pfn %05lx crosses node %d %s's edge", block, z->node->nid,
			       bz__zone_names[z->idx]);
	}
	if (nr != z->nr_isolate_pageblock)
		BROKEN("node %d %s: %lu isolated pageblocks, nr_isolate_pageblock %lu", z->node->nid,
		       bz__zone_names[z->idx], nr, z->nr_isolate_pageblock);
	return 0;
}

static int check_zone(struct bz_zone *z, unsigned long cached_counted)
{
	long free = 0, cached = 0, allocated = 0, listed = 0, isolated = 0;

	zone_lock_held(z);
	for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
		unsigned long blocks = 0, iso_blocks = 0;

		for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
			if (check_list(z, o, mt, mt == BZ_MIGRATE_ISOLATE ? &iso_blocks : &blocks))
				return -EUCLEAN;
		isolated += (long)(iso_blocks << o);
		blocks += iso_blocks;
		if (o == BZ_MAX_ORDER)
			blocks += (z->deferred_end - z->deferred_pfn) / MAX_ORDER_NR_PAGES;
		if (blocks != z->free_area[o].nr_free)
			BROKEN("node %d %s order %u: nr_free %lu but %lu blocks listed", z->node->nid,
			       bz__zone_names[z->idx], o, z->free_area[o].nr_free, blocks);
		listed += (long)(blocks << o);
	}
	if (check_coverage(z, &free, &cached, &allocated) || check_isolation(z))
		return -EUCLEAN;
	/* Isolated free pages are free but not in NR_FREE_PAGES (account_freepages). */
	if (free != listed || free - isolated != zone_page_state(z, NR_FREE_PAGES))
		BROKEN("node %d %s: %ld free pages found, %ld listed, %ld of them isolated, NR_FREE_PAGES %ld",
		       z->node->nid, bz__zone_names[z->idx], free, listed, isolated, zone_page_state(z, NR_FREE_PAGES));
	if ((unsigned long)cached != cached_counted)
		BROKEN("node %d %s: %ld pages marked cached, the thread caches count %lu", z->node->nid,
		       bz__zone_names[z->idx], cached, cached_counted);
	if ((unsigned long)(free + cached + allocated) != z->managed_pages)
		BROKEN("node %d %s: free %ld + cached %ld + allocated %ld != managed %lu", z->node->nid,
		       bz__zone_names[z->idx], free, cached, allocated, z->managed_pages);
	return 0;
}

int bz__check(struct bz_system *sys, bool stopped)
{
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone *z = &sys->nodes[nid]->zones[zid];
			unsigned long cached;
			int ret;

			if (!populated_zone(z))
				continue;
			/* tcache lock before zone lock, as drains take them */
			cached = stopped ? bz__zone_cached_stopped(z) : bz__zone_cached(z);
			bz__zone_lock(z);
			ret = check_zone(z, cached);
			bz__zone_unlock(z);
			if (ret)
				return ret;
		}
	}
	return 0;
}
