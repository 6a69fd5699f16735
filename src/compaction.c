/* SPDX-License-Identifier: MIT */
/*
 * compaction.c - memory compaction, as the kernel's mm/compaction.c (Linux
 * 6.17): a migration scanner walks a zone's pageblocks up from its start
 * isolating movable blocks (isolate_migratepages_block), a free scanner
 * walks down from its end isolating free blocks (isolate_freepages_block),
 * and migrate.c moves the former into the latter until a free block of the
 * wanted order appears (__compact_finished) or the scanners meet
 * (compact_zone).  Direct compaction for the allocation slow path
 * (try_to_compact_pages, with deferral) and whole-node compaction for
 * compact_memory and proactive compaction (compact_node) drive it.
 *
 * Left out: the migration scanner's fast search of the free lists
 * (fast_find_migrateblock), which only picks another block to start from;
 * capture_control (a free page taken by the compactor before other
 * allocators see it); too_many_isolated and the LRU; CMA and defrag_mode.
 * Freed sources go straight to the buddy lists, never a thread cache, so
 * lru_add_drain_cpu_zone has only the compactor's own cache to drain.
 */
#include <stdlib.h>
#include "compaction.h"

#define pageblock_start_pfn(pfn) ((pfn) & ~(PAGEBLOCK_NR_PAGES - 1))
#define pageblock_end_pfn(pfn)   (pageblock_start_pfn(pfn) + PAGEBLOCK_NR_PAGES)
#define pageblock_aligned(pfn)   (!((pfn) & (PAGEBLOCK_NR_PAGES - 1)))
#define block_start_pfn(pfn, order) ((pfn) & ~((1ul << (order)) - 1))
#define block_end_pfn(pfn, order)   (block_start_pfn(pfn, order) + (1ul << (order)))
#define RELAXED memory_order_relaxed

enum isolate_migrate { ISOLATE_ABORT, ISOLATE_NONE, ISOLATE_SUCCESS };

static inline bool is_via_compact_memory(int order)
{
	return order == -1;
}

/* ---- pageblocks ---------------------------------------------------------------------------- */

/*
 * pageblock_pfn_to_page(): [start, end) lies in the zone's initialised
 * memory.  Deferred memory (max-order free blocks whose struct pages are
 * not set up yet) holds nothing to move and no target of a usable order.
 */
static bool pageblock_usable(const struct compact_control *cc, unsigned long start, unsigned long end)
{
	return start >= cc->zone->zone_start_pfn && end <= zone_end_pfn(cc->zone) && start < end &&
	       end <= cc->deferred_pfn;
}

static bool isolation_suitable(const struct compact_control *cc, unsigned long pfn)
{
	return cc->ignore_skip_hint || !bz__pageblock_skip(cc->sys, pfn);
}

/* update_cached_migrate(): where the migration scanners (async, and sync) resume. */
static void update_cached_migrate(struct compact_control *cc, unsigned long pfn)
{
	struct bz_zone *z = cc->zone;

	if (cc->no_set_skip_hint)
		return;
	pfn = pageblock_end_pfn(pfn);
	if (pfn > atomic_load_explicit(&z->compact_cached_migrate_pfn[0], RELAXED))
		atomic_store_explicit(&z->compact_cached_migrate_pfn[0], pfn, RELAXED);
	if (cc->mode != BZ_MIGRATE_ASYNC && pfn > atomic_load_explicit(&z->compact_cached_migrate_pfn[1], RELAXED))
		atomic_store_explicit(&z->compact_cached_migrate_pfn[1], pfn, RELAXED);
}

/* update_pageblock_skip(): the free scanner emptied the block at block_pfn; it resumes below. */
static void update_pageblock_skip(struct compact_control *cc, unsigned long block_pfn, unsigned long pfn)
{
	struct bz_zone *z = cc->zone;

	if (cc->no_set_skip_hint)
		return;
	bz__set_pageblock_skip(cc->sys, block_pfn, true);
	if (pfn < atomic_load_explicit(&z->compact_cached_free_pfn, RELAXED))
		atomic_store_explicit(&z->compact_cached_free_pfn, pfn, RELAXED);
}

/* pageblock_skip_persistent(): one allocation covers the pageblock; nothing in it can move. */
static bool skip_persistent(const struct bz_page *p)
{
	return (PAGE_GET(p, flags) & (PG_head | PG_frozen)) == PG_head && PAGE_GET(p, order) >= BZ_PAGEBLOCK_ORDER;
}

/* suitable_migration_source(): async direct compaction takes only pageblocks of the request's type. */
static bool suitable_migration_source(const struct compact_control *cc, unsigned long pfn)
{
	int block_mt;

	if (skip_persistent(pfn_to_page(cc->sys, pfn)))
		return false;
	if (cc->mode != BZ_MIGRATE_ASYNC || !cc->direct_compaction)
		return true;
	block_mt = get_pageblock_migratetype(cc->sys, pfn);
	return cc->migratetype == BZ_MIGRATE_MOVABLE ? block_mt == BZ_MIGRATE_MOVABLE : block_mt == cc->migratetype;
}

/* suitable_migration_target(): MOVABLE pageblocks (any at SYNC_FULL), not already holding the wanted block. */
static bool suitable_migration_target(const struct compact_control *cc, unsigned long pfn)
{
	const struct bz_page *p = pfn_to_page(cc->sys, pfn);
	unsigned order = cc->order > 0 ? (unsigned)cc->order : BZ_PAGEBLOCK_ORDER;

	if ((PAGE_GET(p, flags) & PG_buddy) && PAGE_GET(p, order) >= order)
		return false;
	return cc->ignore_block_suitable || get_pageblock_migratetype(cc->sys, pfn) == BZ_MIGRATE_MOVABLE;
}

/* compact_scanners_met(): the free scanner reached the migration scanner's pageblock. */
static bool compact_scanners_met(const struct compact_control *cc)
{
	return (cc->free_pfn >> BZ_PAGEBLOCK_ORDER) <= (cc->migrate_pfn >> BZ_PAGEBLOCK_ORDER);
}

/* ---- the free scanner ------------------------------------------------------------------------ */

/* compact_lock_irqsave(): async compaction notes contention, and takes the lock anyway. */
static void compact_lock(struct compact_control *cc)
{
	if (cc->mode == BZ_MIGRATE_ASYNC && !cc->contended && bz_spin_trylock(&cc->zone->lock))
		return;
	if (cc->mode == BZ_MIGRATE_ASYNC)
		cc->contended = true;
	bz__zone_lock(cc->zone);
}

/*
 * isolate_freepages_block(): whole free blocks of [*start_pfn, end_pfn),
 * every stride-th pfn, frozen onto cc->freepages by order, until they
 * cover the isolated sources (strict: every pfn must be free, or nothing
 * counts).  Allocated, cached and frozen blocks are passed over whole.
 * The zone lock is dropped every COMPACT_CLUSTER_MAX pfns.
 */
static unsigned long isolate_freepages_block(struct compact_control *cc, unsigned long *start_pfn,
					     unsigned long end_pfn, unsigned stride, bool strict)
{
	struct bz_system *sys = cc->sys;
	unsigned long pfn = *start_pfn, nr_scanned = 0, total = 0;
	bool locked = false;

	if (strict)
		stride = 1;
	for (; pfn < end_pfn; pfn += stride) {
		struct bz_page *p = pfn_to_page(sys, pfn);
		unsigned order;

		if (!(pfn % COMPACT_CLUSTER_MAX) && locked) {
			bz__zone_unlock(cc->zone);
			locked = false;
		}
		nr_scanned++;
		order = PAGE_GET(p, order);
		if (PAGE_GET(p, flags) & (PG_head | PG_pcp)) {
			if (order <= BZ_MAX_ORDER && pfn + (1ul << order) <= end_pfn) {
				pfn += (1ul << order) - 1;
				nr_scanned += (1ul << order) - 1;
			}
			goto isolate_fail;
		}
		if (!(PAGE_GET(p, flags) & PG_buddy))
			goto isolate_fail;
		if (!locked) {
			compact_lock(cc);
			locked = true;
			if (!(PAGE_GET(p, flags) & PG_buddy))
				goto isolate_fail;
		}
		order = PAGE_GET(p, order);
		if (!bz__isolate_free_page_locked(cc->zone, pfn, order))
			break;
		bz__page_list_add_tail(sys, &cc->freepages[order], p);
		nr_scanned += (1ul << order) - 1;
		total += 1ul << order;
		cc->nr_freepages += 1ul << order;
		if (!strict && cc->nr_migratepages <= cc->nr_freepages) {
			pfn += 1ul << order;
			break;
		}
		pfn += (1ul << order) - 1;
		continue;
isolate_fail:
		if (strict)
			break;
	}
	if (locked)
		bz__zone_unlock(cc->zone);
	pfn = BZ_MIN(pfn, end_pfn);
	*start_pfn = pfn;
	if (strict && pfn < end_pfn)
		total = 0;
	cc->total_free_scanned += nr_scanned;
	if (total)
		count_vm_events(sys, COMPACTISOLATED, total);
	return total;
}

/* freelist_scan_limit(): how far the fast search looks, shorter after each miss. */
static unsigned freelist_scan_limit(const struct compact_control *cc)
{
	return (COMPACT_CLUSTER_MAX >> BZ_MIN(cc->fast_search_fail, 63u)) + 1;
}

/* next_search_order(): orders round robin, below the request's; -1 once they wrapped. */
static int next_search_order(struct compact_control *cc, int order)
{
	if (--order < 0)
		order = cc->order - 1;
	if (order == cc->search_order) {
		if (--cc->search_order < 0)
			cc->search_order = cc->order - 1;
		return -1;
	}
	return order;
}

/*
 * fast_isolate_around(): the rest of the pageblock of the block just
 * found, unless enough is isolated or this is async direct compaction;
 * an exhausted block is marked skip.
 */
static void fast_isolate_around(struct compact_control *cc, unsigned long pfn)
{
	struct bz_zone *z = cc->zone;
	unsigned long start = BZ_MAX(pageblock_start_pfn(pfn), z->zone_start_pfn);
	unsigned long end = BZ_MIN(pageblock_end_pfn(pfn), zone_end_pfn(z));

	if (cc->nr_freepages >= cc->nr_migratepages || (cc->direct_compaction && cc->mode == BZ_MIGRATE_ASYNC) ||
	    !pageblock_usable(cc, start, end))
		return;
	isolate_freepages_block(cc, &start, end, 1, false);
	if (start == end && !cc->no_set_skip_hint)
		bz__set_pageblock_skip(cc->sys, pfn, true);
}

/* One found block isolated (__isolate_free_page); false when the watermark forbids it. */
static bool fast_isolate_one(struct compact_control *cc, unsigned long pfn, unsigned order)
{
	if (!bz__isolate_free_page_locked(cc->zone, pfn, order))
		return false;
	bz__page_list_add_tail(cc->sys, &cc->freepages[order], pfn_to_page(cc->sys, pfn));
	cc->nr_freepages += 1ul << order;
	cc->total_free_scanned += (1ul << order) - 1;
	count_vm_events(cc->sys, COMPACTISOLATED, 1ul << order);
	return true;
}

/*
 * fast_isolate_freepages(): before the linear scan, a look at the MOVABLE
 * free lists below the request's order, from their tails, for a block in
 * the top quarter of the space between the scanners (else the highest in
 * the top half); round robin over the orders.  A miss moves the free
 * scanner down to the highest block seen (to min_pfn for direct
 * compaction) and shortens the next look.
 */
static void fast_isolate_freepages(struct compact_control *cc)
{
	struct bz_zone *z = cc->zone;
	unsigned limit = BZ_MAX(1u, freelist_scan_limit(cc) >> 1);
	unsigned long distance, low_pfn, min_pfn, highest = 0, nr_scanned = 0, found = BZ_NIL;
	bool scan_start = false;

	if (cc->order <= 0)
		return;
	/* At the start of a scan, a deeper search, keeping the highest pfn seen if nothing suits. */
	if (cc->free_pfn >= atomic_load_explicit(&z->compact_init_free_pfn, RELAXED)) {
		limit = PAGEBLOCK_NR_PAGES >> 1;
		scan_start = true;
	}
	distance = cc->free_pfn - cc->migrate_pfn;
	low_pfn = pageblock_start_pfn(cc->free_pfn - (distance >> 2));
	min_pfn = pageblock_start_pfn(cc->free_pfn - (distance >> 1));
	cc->search_order = BZ_MIN(cc->order - 1, cc->search_order);
	for (int order = cc->search_order; found == BZ_NIL && order >= 0; order = next_search_order(cc, order)) {
		if (!__atomic_load_n(&z->free_area[order].nr_free, __ATOMIC_RELAXED))
			continue;
		bz__zone_lock(z);
		found = bz__fast_freelist_search_locked(z, (unsigned)order, low_pfn, min_pfn, &limit, &nr_scanned,
							&highest);
		if (found != BZ_NIL) {
			cc->fast_search_fail = 0;
			cc->search_order = order;
			if (!fast_isolate_one(cc, found, (unsigned)order)) {
				order = cc->search_order + 1;   /* the watermark: abort the search */
				found = BZ_NIL;
			}
		}
		bz__zone_unlock(z);
		if (cc->nr_freepages >= cc->nr_migratepages)
			break;
	}
	if (found == BZ_NIL) {
		cc->fast_search_fail++;
		if (scan_start) {
			/* The highest pfn seen above min, else, for direct compaction, min itself. */
			if (highest >= min_pfn) {
				found = highest;
				cc->free_pfn = highest;
			} else if (cc->direct_compaction) {
				cc->free_pfn = min_pfn;
				if (pageblock_usable(cc, min_pfn, BZ_MIN(pageblock_end_pfn(min_pfn), zone_end_pfn(z))) &&
				    suitable_migration_target(cc, min_pfn))
					found = min_pfn;
			}
		}
	}
	if (highest && highest >= atomic_load_explicit(&z->compact_cached_free_pfn, RELAXED))
		atomic_store_explicit(&z->compact_cached_free_pfn, highest - BZ_MIN(highest, PAGEBLOCK_NR_PAGES),
				      RELAXED);
	cc->total_free_scanned += nr_scanned;
	if (found != BZ_NIL)
		fast_isolate_around(cc, found);
}

/*
 * isolate_freepages(): pageblock by pageblock down from cc->free_pfn, not
 * below the migration scanner's block, until the targets cover the
 * sources.  Blocks are sampled (the kernel's stride): every 32nd pfn at
 * first in async mode, every pfn in the sync ones; the stride doubles (up
 * to 32) after each block that yielded nothing and is 1 again after one
 * that did.  A zone where only every other pfn is free defeats the
 * sampling, in the kernel too: async direct compaction fails there.
 */
static void isolate_freepages(struct compact_control *cc)
{
	struct bz_zone *z = cc->zone;
	unsigned long isolate_start = cc->free_pfn, block_start = pageblock_start_pfn(isolate_start);
	unsigned long block_end = BZ_MIN(block_start + PAGEBLOCK_NR_PAGES, zone_end_pfn(z));
	unsigned long low_pfn = pageblock_end_pfn(cc->migrate_pfn);
	unsigned stride = cc->mode == BZ_MIGRATE_ASYNC ? COMPACT_CLUSTER_MAX : 1;

	/* A small search of the free lists first. */
	fast_isolate_freepages(cc);
	if (cc->nr_freepages)
		return;
	isolate_start = cc->free_pfn;
	block_start = pageblock_start_pfn(isolate_start);
	block_end = BZ_MIN(block_start + PAGEBLOCK_NR_PAGES, zone_end_pfn(z));
	for (; block_start >= low_pfn; block_end = block_start, block_start -= PAGEBLOCK_NR_PAGES,
	     isolate_start = block_start) {
		unsigned long nr_isolated;

		if (!pageblock_usable(cc, BZ_MAX(block_start, z->zone_start_pfn), block_end) ||
		    !suitable_migration_target(cc, block_start) || !isolation_suitable(cc, block_start))
			continue;
		nr_isolated = isolate_freepages_block(cc, &isolate_start, block_end, stride, false);
		if (isolate_start == block_end)
			update_pageblock_skip(cc, block_start, block_start - BZ_MIN(block_start, PAGEBLOCK_NR_PAGES));
		if (cc->nr_freepages >= cc->nr_migratepages) {
			/* Restart at the previous pageblock if more free pages may be there next time. */
			if (isolate_start >= block_end)
				isolate_start = block_start - BZ_MIN(block_start, PAGEBLOCK_NR_PAGES);
			break;
		}
		if (isolate_start < block_end)
			break;          /* isolation failed early (the watermark): do not go on */
		stride = nr_isolated ? 1 : BZ_MIN((unsigned)COMPACT_CLUSTER_MAX, stride << 1);
	}
	cc->free_pfn = isolate_start;
}

/* A frozen target block comes off cc->freepages[from]: split down to order, the head allocated (post_alloc_hook). */
static struct bz_page *take_target(struct compact_control *cc, unsigned from, unsigned order)
{
	struct bz_system *sys = cc->sys;
	struct bz_page *p = page_list_first(sys, &cc->freepages[from]);
	unsigned long pfn = page_to_pfn(sys, p);

	bz__page_list_del(sys, &cc->freepages[from], p);
	bz__zone_lock(cc->zone);
	while (from > order) {
		struct bz_page *half = pfn_to_page(sys, pfn + (1ul << --from));

		PAGE_SET(half, flags, (PAGE_GET(half, flags) & PG_init) | PG_head | PG_frozen);
		PAGE_SET(half, order, from);
		bz__page_list_add_tail(sys, &cc->freepages[from], half);
	}
	/* Under the lock, as prep_new_page: a check never sees a head without its reference. */
	PAGE_SET(p, flags, (PAGE_GET(p, flags) & PG_init) | PG_head);
	PAGE_SET(p, order, order);
	PAGE_SET(p, mt, BZ_MIGRATE_MOVABLE);
	set_page_count(p, 1);
	bz__zone_unlock(cc->zone);
	p->private = 0;
	return p;
}

/*
 * compaction_alloc(): a target from the isolated free blocks, the smallest
 * that fits, the free scanner run once when there is none.  In debug mode
 * the block is unguarded and checked as any allocation.
 */
static struct bz_page *compaction_alloc(struct bz_system *sys, struct bz_page *src, void *private)
{
	struct compact_control *cc = private;
	unsigned order = migrate_block_order(src), from;
	bool isolated = false;

	for (;;) {
		struct bz_page *p;

		for (from = order; from < BZ_NR_PAGE_ORDERS && page_list_empty(&cc->freepages[from]); from++)
			;
		if (from == BZ_NR_PAGE_ORDERS) {
			if (isolated)
				return NULL;
			isolate_freepages(cc);
			isolated = true;
			continue;
		}
		p = take_target(cc, from, order);
		cc->nr_freepages -= 1ul << order;
		cc->nr_migratepages -= BZ_MIN(cc->nr_migratepages, 1ul << order);
		if (!sys->debug.flags || bz__debug_alloc(sys, p, order, 0))
			return p;
	}
}

/* compaction_free(): an unused target goes back to the isolated ones, unless someone took a reference. */
static void compaction_free(struct bz_system *sys, struct bz_page *dst, void *private)
{
	struct compact_control *cc = private;
	unsigned order = PAGE_GET(dst, order);
	bool ours;

	bz__zone_lock(cc->zone);
	ours = page_ref_cmpxchg(dst, 1, 0);
	if (ours) {
		free_pages_prepare(dst, order);
		PAGE_SET(dst, flags, PAGE_GET(dst, flags) | PG_frozen);
	}
	bz__zone_unlock(cc->zone);
	cc->nr_migratepages += 1ul << order;
	if (!ours) {
		bz__migrate_put_refs(sys, dst, 1);
		return;
	}
	if (sys->debug.flags)
		bz__debug_free(sys, page_to_pfn(sys, dst), order);
	bz__page_list_add_tail(sys, &cc->freepages[order], dst);
	cc->nr_freepages += 1ul << order;
}

/* release_free_list(): the unused targets back to the buddy lists; the highest pfn among them. */
static unsigned long release_freepages(struct compact_control *cc)
{
	struct bz_system *sys = cc->sys;
	unsigned long high = 0;

	for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
		struct bz_page *p;

		while ((p = page_list_first(sys, &cc->freepages[o]))) {
			unsigned long pfn = page_to_pfn(sys, p);

			bz__page_list_del(sys, &cc->freepages[o], p);
			bz__zone_lock(cc->zone);
			bz__putback_isolated_locked(cc->zone, pfn, o, get_pageblock_migratetype(sys, pfn), false);
			bz__zone_unlock(cc->zone);
			high = BZ_MAX(high, pfn);
		}
	}
	cc->nr_freepages = 0;
	return high;
}

/* ---- the migration scanner ------------------------------------------------------------------- */

/* skip_isolation_on_order(): a block at least as large as the target (or a pageblock) is not worth moving. */
static bool skip_isolation_on_order(unsigned order, int target_order)
{
	if (!is_via_compact_memory(target_order) && (int)order >= target_order)
		return true;
	return order >= BZ_PAGEBLOCK_ORDER;
}

/* The migration scanner's progress through one call of isolate_migratepages_block. */
struct scan {
	unsigned long cand[COMPACT_CLUSTER_MAX]; /* movable blocks seen, not yet isolated */
	int nr_cand;
	unsigned long cand_pages;
	unsigned long nr_isolated;              /* pages isolated in this call */
	unsigned mode;                          /* isolate_mode_t */
};

/* The candidates seen so far are isolated as one batch; false when one of them could not be. */
static bool flush_candidates(struct compact_control *cc, struct scan *s)
{
	unsigned blocks = cc->migratepages.nr;
	unsigned long pages;
	int nr = s->nr_cand;

	if (!nr)
		return true;
	pages = bz__isolate_movable_pages(cc->sys, s->cand, nr, s->mode, &cc->migratepages);
	cc->nr_migratepages += pages;
	s->nr_isolated += pages;
	s->nr_cand = 0;
	s->cand_pages = 0;
	return cc->migratepages.nr - blocks == (unsigned)nr;
}

/* Async direct compaction cannot form its block around a failure: what this call isolated goes back. */
static void putback_isolated(struct compact_control *cc, struct scan *s)
{
	s->nr_cand = 0;
	s->cand_pages = 0;
	if (!s->nr_isolated)
		return;
	bz__putback_movable_pages(cc->sys, &cc->migratepages);
	cc->nr_migratepages = 0;
	s->nr_isolated = 0;
}

/*
 * What the scanner does with the block at pfn (page p, flags read without
 * a lock): 1 when it is a movable candidate (added), 0 when it is free
 * memory to pass over, -1 when it is a failure (allocated and not
 * movable, cached, frozen, a hole).  *skip gets the pages to pass over.
 */
static int scan_one(struct compact_control *cc, struct scan *s, unsigned long pfn, const struct bz_page *p,
		    unsigned long *skip)
{
	uint8_t flags = PAGE_GET(p, flags);
	unsigned order = PAGE_GET(p, order);

	*skip = order <= BZ_MAX_ORDER ? (1ul << order) - 1 : 0;
	if (!(flags & PG_init) || !(flags & (PG_buddy | PG_pcp | PG_head))) {
		*skip = 0;
		return -1;      /* a hole, a tail, an inner page: not the start of a block */
	}
	if (flags & PG_buddy)
		return 0;       /* free: skip it, no failure */
	if ((flags & (PG_pcp | PG_frozen)) || skip_isolation_on_order(order, cc->order))
		return -1;
	/* Movable, and only its owner's reference (the kernel's racy pinned test): a candidate. */
	if (!page_movable_candidate(p) || page_ref_count(p) != 1)
		return -1;
	s->cand[s->nr_cand++] = pfn;
	s->cand_pages += 1ul << order;
	return 1;
}

/*
 * isolate_migratepages_block(): the movable blocks of [low_pfn, end_pfn),
 * one pageblock at most, onto cc->migratepages, in batches, until
 * COMPACT_CLUSTER_MAX pages are isolated (unless the pageblock is being
 * finished).  Async direct compaction gives up an order-aligned block at
 * its first failure (skip_on_failure).  A block scanned to its end that
 * gave nothing is marked skip.  cc->migrate_pfn: where to go on.
 */
static int isolate_migratepages_block(struct compact_control *cc, unsigned long low_pfn, unsigned long end_pfn,
				      unsigned mode)
{
	struct bz_system *sys = cc->sys;
	struct scan s = { .mode = mode };
	unsigned long nr_scanned = 0, next_skip_pfn = 0, start_pfn = low_pfn, skip;
	bool skip_on_failure = cc->direct_compaction && cc->mode == BZ_MIGRATE_ASYNC, valid = false;

	cc->migrate_pfn = low_pfn;
	if (skip_on_failure)
		next_skip_pfn = block_end_pfn(low_pfn, cc->order);
	for (; low_pfn < end_pfn; low_pfn++) {
		int r;

		if (skip_on_failure && low_pfn >= next_skip_pfn) {
			/* The previous order-aligned block: isolate it whole, and migrate it now, or give it up. */
			if (!flush_candidates(cc, &s))
				putback_isolated(cc, &s);
			if (s.nr_isolated)
				break;
			next_skip_pfn = block_end_pfn(low_pfn, cc->order);
		}
		nr_scanned++;
		if (!valid && (pageblock_aligned(low_pfn) || low_pfn == cc->zone->zone_start_pfn)) {
			if (!isolation_suitable(cc, low_pfn)) {
				low_pfn = end_pfn;
				goto isolate_abort;
			}
			valid = true;
		}
		r = scan_one(cc, &s, low_pfn, pfn_to_page(sys, low_pfn), &skip);
		low_pfn += skip;
		nr_scanned += skip;
		if (r == 0)
			continue;
		if (r > 0) {
			/* Batches of what would make COMPACT_CLUSTER_MAX, then migrate. */
			if (s.nr_cand < (int)COMPACT_CLUSTER_MAX && cc->nr_migratepages + s.cand_pages < COMPACT_CLUSTER_MAX)
				continue;
			if (!flush_candidates(cc, &s) && skip_on_failure)
				goto isolate_fail;
			if (cc->nr_migratepages >= COMPACT_CLUSTER_MAX && !cc->finish_pageblock && !cc->contended) {
				++low_pfn;
				break;
			}
			continue;
		}
isolate_fail:
		if (!skip_on_failure)
			continue;
		/* Some were isolated, then one failed: the cc->order block cannot form; release them. */
		putback_isolated(cc, &s);
		if (low_pfn < next_skip_pfn) {
			low_pfn = next_skip_pfn - 1;
			next_skip_pfn += 1ul << cc->order;
		}
	}
	if (!flush_candidates(cc, &s) && skip_on_failure)
		putback_isolated(cc, &s);
	low_pfn = BZ_MIN(low_pfn, end_pfn);
isolate_abort:
	/* Scanned to the end with nothing isolated, or rescanned: skip it next time. */
	if (low_pfn == end_pfn && (!s.nr_isolated || cc->finish_pageblock)) {
		if (!cc->no_set_skip_hint && valid)
			bz__set_pageblock_skip(sys, start_pfn, true);
		update_cached_migrate(cc, low_pfn);
	}
	cc->total_migrate_scanned += nr_scanned;
	if (s.nr_isolated)
		count_vm_events(sys, COMPACTISOLATED, s.nr_isolated);
	cc->migrate_pfn = low_pfn;
	return 0;
}

/*
 * isolate_migratepages(): from the migration scanner's position, the
 * first suitable pageblock below the free scanner, isolated.
 * (compact_unevictable_allowed is 1: there is nothing unevictable here.)
 */
static enum isolate_migrate isolate_migratepages(struct compact_control *cc)
{
	unsigned mode = ISOLATE_UNEVICTABLE | (cc->mode != BZ_MIGRATE_SYNC ? BZ_ISOLATE_ASYNC_MIGRATE : 0);
	unsigned long low_pfn = cc->migrate_pfn, start = cc->zone->zone_start_pfn;
	unsigned long block_start = BZ_MAX(pageblock_start_pfn(low_pfn), start);
	unsigned long block_end = pageblock_end_pfn(low_pfn);

	for (; block_end <= cc->free_pfn;
	     cc->migrate_pfn = low_pfn = block_end, block_start = block_end, block_end += PAGEBLOCK_NR_PAGES) {
		if (!pageblock_usable(cc, block_start, block_end))
			continue;
		if ((pageblock_aligned(low_pfn) || low_pfn == start) && !isolation_suitable(cc, block_start))
			continue;
		if (!suitable_migration_source(cc, block_start)) {
			update_cached_migrate(cc, block_end);
			continue;
		}
		if (isolate_migratepages_block(cc, low_pfn, block_end, mode))
			return ISOLATE_ABORT;
		break;
	}
	return cc->nr_migratepages ? ISOLATE_SUCCESS : ISOLATE_NONE;
}

int bz__isolate_migratepages_range(struct compact_control *cc, unsigned long start, unsigned long end)
{
	unsigned long pfn = start, block_start = BZ_MAX(pageblock_start_pfn(pfn), cc->zone->zone_start_pfn);
	unsigned long block_end = pageblock_end_pfn(pfn);

	for (; pfn < end; pfn = block_end, block_start = block_end, block_end += PAGEBLOCK_NR_PAGES) {
		block_end = BZ_MIN(block_end, end);
		if (!pageblock_usable(cc, block_start, block_end))
			continue;
		isolate_migratepages_block(cc, pfn, block_end, ISOLATE_UNEVICTABLE);
		if (cc->nr_migratepages >= COMPACT_CLUSTER_MAX)
			break;
	}
	return 0;
}

/* ---- when to stop ------------------------------------------------------------------------------- */

/*
 * __compact_finished(): the scanners met (COMPLETE over the whole zone,
 * else PARTIAL_SKIPPED); proactive compaction runs until the zone's
 * score is low enough; compact_memory until the scanners meet; otherwise,
 * at a pageblock boundary, done when a free block of the order exists that
 * the request's type would get.
 */
static enum compact_result compact_finished(struct compact_control *cc)
{
	struct bz_zone *z = cc->zone;
	enum compact_result ret;

	if (compact_scanners_met(cc)) {
		bz__reset_cached_positions(z);
		/* kswapd clears the skip hints when it sleeps; the decision follows allocation requests. */
		if (cc->direct_compaction)
			atomic_store_explicit(&z->compact_blockskip_flush, true, RELAXED);
		return cc->whole_zone ? COMPACT_COMPLETE : COMPACT_PARTIAL_SKIPPED;
	}
	if (cc->proactive_compaction) {
		if (bz__kswapd_is_running(z->node))
			return COMPACT_PARTIAL_SKIPPED;
		ret = bz__fragmentation_score_zone(z) > bz__fragmentation_score_wmark(cc->sys, true) ?
			      COMPACT_CONTINUE : COMPACT_SUCCESS;
	} else if (is_via_compact_memory(cc->order) || !pageblock_aligned(cc->migrate_pfn)) {
		return COMPACT_CONTINUE;        /* always finish the current pageblock */
	} else if (bz__free_block_suitable(z, (unsigned)cc->order, cc->migratetype)) {
		return COMPACT_SUCCESS;
	} else {
		ret = COMPACT_NO_SUITABLE_PAGE;
	}
	if (cc->contended)
		ret = COMPACT_CONTENDED;
	return ret;
}

/* ---- compact_zone ------------------------------------------------------------------------------ */

/* Where the scanners start: the zone's ends, or where the last run left them. */
static void init_scanners(struct compact_control *cc)
{
	struct bz_zone *z = cc->zone;
	unsigned long start = z->zone_start_pfn, end = zone_end_pfn(z);
	bool sync = cc->mode != BZ_MIGRATE_ASYNC;

	if (cc->whole_zone) {
		cc->migrate_pfn = start;
		cc->free_pfn = pageblock_start_pfn(end - 1);
		return;
	}
	cc->migrate_pfn = atomic_load_explicit(&z->compact_cached_migrate_pfn[sync], RELAXED);
	cc->free_pfn = atomic_load_explicit(&z->compact_cached_free_pfn, RELAXED);
	if (cc->free_pfn < start || cc->free_pfn >= end) {
		cc->free_pfn = pageblock_start_pfn(end - 1);
		atomic_store_explicit(&z->compact_cached_free_pfn, cc->free_pfn, RELAXED);
	}
	if (cc->migrate_pfn < start || cc->migrate_pfn >= end) {
		cc->migrate_pfn = start;
		atomic_store_explicit(&z->compact_cached_migrate_pfn[0], start, RELAXED);
		atomic_store_explicit(&z->compact_cached_migrate_pfn[1], start, RELAXED);
	}
	if (cc->migrate_pfn <= atomic_load_explicit(&z->compact_init_migrate_pfn, RELAXED))
		cc->whole_zone = true;
}

static void reset_control(struct compact_control *cc)
{
	struct bz_zone *z = cc->zone;
	int mt = bz__gfp_migratetype(cc->gfp_mask);

	cc->sys = z->sys;
	cc->total_migrate_scanned = cc->total_free_scanned = 0;
	cc->nr_migratepages = cc->nr_freepages = 0;
	for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		page_list_init(&cc->freepages[o]);
	page_list_init(&cc->migratepages);
	cc->migratetype = mt < 0 ? BZ_MIGRATE_MOVABLE : mt;
	cc->contended = false;
	bz__zone_lock(z);
	cc->deferred_pfn = z->deferred_pfn < z->deferred_end ? z->deferred_pfn : zone_end_pfn(z);
	bz__zone_unlock(z);
}

/*
 * One round of compact_zone(): isolate, migrate, put back what failed.
 * ASYNC and SYNC_LIGHT rescan the rest of a pageblock where a page failed,
 * so that it gets marked skip.  False: stop (ret says why).
 */
static bool compact_round(struct compact_control *cc, unsigned long *last_migrated_pfn, bool *update_cached,
			  enum compact_result *ret)
{
	struct bz_zone *z = cc->zone;
	unsigned long nr_succeeded;
	int err;

	cc->finish_pageblock = pageblock_start_pfn(*last_migrated_pfn) == pageblock_start_pfn(cc->migrate_pfn);
rescan:
	switch (isolate_migratepages(cc)) {
	case ISOLATE_ABORT:
		*ret = COMPACT_CONTENDED;
		bz__putback_movable_pages(cc->sys, &cc->migratepages);
		cc->nr_migratepages = 0;
		return false;
	case ISOLATE_NONE:
		if (*update_cached)
			atomic_store_explicit(&z->compact_cached_migrate_pfn[1],
					      atomic_load_explicit(&z->compact_cached_migrate_pfn[0], RELAXED), RELAXED);
		return true;
	case ISOLATE_SUCCESS:
		*update_cached = false;
		*last_migrated_pfn = BZ_MAX(z->zone_start_pfn, pageblock_start_pfn(cc->migrate_pfn - 1));
	}
	err = bz__migrate_pages(cc->sys, &cc->migratepages, compaction_alloc, compaction_free, cc, cc->mode,
				MR_COMPACTION, &nr_succeeded);
	cc->nr_migratepages = 0;
	if (!err)
		return true;
	bz__putback_movable_pages(cc->sys, &cc->migratepages);
	/* No targets left, yet the scanners have not met: give up now. */
	if (err == -ENOMEM && !compact_scanners_met(cc)) {
		*ret = COMPACT_CONTENDED;
		return false;
	}
	if (!pageblock_aligned(cc->migrate_pfn) && !cc->ignore_skip_hint && !cc->finish_pageblock &&
	    cc->mode < BZ_MIGRATE_SYNC) {
		cc->finish_pageblock = true;
		if (cc->order == COMPACTION_HPAGE_ORDER)
			*last_migrated_pfn = 0;
		goto rescan;
	}
	return true;
}

enum compact_result bz__compact_zone(struct compact_control *cc)
{
	struct bz_zone *z = cc->zone;
	unsigned long last_migrated_pfn = 0;
	enum compact_result ret;
	bool update_cached;

	reset_control(cc);
	if (!is_via_compact_memory(cc->order)) {
		ret = bz__compaction_suit_allocation_order(z, (unsigned)cc->order, cc->highest_zoneidx,
							   cc->alloc_flags, cc->mode == BZ_MIGRATE_ASYNC);
		if (ret != COMPACT_CONTINUE)
			return ret;
	}
	/* Clear the skip hints if there were failures recently and compaction is about to be retried. */
	if (cc->order >= 0 && bz__compaction_restarting(z, (unsigned)cc->order))
		bz__reset_isolation_suitable(z);
	init_scanners(cc);
	update_cached = cc->mode == BZ_MIGRATE_ASYNC &&
			atomic_load_explicit(&z->compact_cached_migrate_pfn[0], RELAXED) ==
				atomic_load_explicit(&z->compact_cached_migrate_pfn[1], RELAXED);
	/* compact_finished(): NO_SUITABLE_PAGE means go on. */
	while ((ret = compact_finished(cc)) == COMPACT_CONTINUE || ret == COMPACT_NO_SUITABLE_PAGE) {
		if (!compact_round(cc, &last_migrated_pfn, &update_cached, &ret))
			break;
		/* lru_add_drain_cpu_zone(): moving on from the last block migrated, our own cached frees may merge. */
		if (cc->order > 0 && last_migrated_pfn &&
		    last_migrated_pfn < block_start_pfn(cc->migrate_pfn, (unsigned)cc->order)) {
			bz__drain_own_cache(cc->sys);
			last_migrated_pfn = 0;
		}
	}
	if (cc->nr_freepages) {
		/* The free scanner resumes at the lowest block given back, never further up than before. */
		unsigned long high = pageblock_start_pfn(release_freepages(cc));

		if (high > atomic_load_explicit(&z->compact_cached_free_pfn, RELAXED))
			atomic_store_explicit(&z->compact_cached_free_pfn, high, RELAXED);
	}
	count_vm_events(cc->sys, COMPACTMIGRATE_SCANNED, cc->total_migrate_scanned);
	count_vm_events(cc->sys, COMPACTFREE_SCANNED, cc->total_free_scanned);
	return ret;
}

/* ---- direct compaction, and compaction of whole nodes -------------------------------------------- */

/* compact_zone_order(): the priority sets the mode and how hard to look. */
static enum compact_result compact_zone_order(struct bz_zone *z, unsigned order, bz_gfp_t gfp,
					      enum compact_priority prio, unsigned alloc_flags, int highest_zoneidx)
{
	struct compact_control cc = {
		.order = (int)order,
		.gfp_mask = gfp,
		.zone = z,
		.mode = prio == COMPACT_PRIO_ASYNC ? BZ_MIGRATE_ASYNC : BZ_MIGRATE_SYNC_LIGHT,
		.alloc_flags = alloc_flags,
		.highest_zoneidx = highest_zoneidx,
		.direct_compaction = true,
		.search_order = (int)order,
		.whole_zone = prio == MIN_COMPACT_PRIORITY,
		.ignore_skip_hint = prio == MIN_COMPACT_PRIORITY,
		.ignore_block_suitable = prio == MIN_COMPACT_PRIORITY,
	};

	return bz__compact_zone(&cc);
}

/*
 * try_to_compact_pages(): each zone of the zonelist until one succeeds;
 * SYNC_FULL is never deferred, async failures never defer.  Compaction
 * needs __GFP_IO (gfp_compaction_allowed).
 */
enum compact_result bz__try_to_compact_pages(struct bz_system *sys, const struct bz_zonelist *zl, uint64_t nodemask,
					     int highest_zoneidx, bz_gfp_t gfp, unsigned order, unsigned alloc_flags,
					     enum compact_priority prio)
{
	enum compact_result rc = COMPACT_SKIPPED;

	if (!sys->compaction || !(gfp & BZ_GFP_IO))
		return COMPACT_SKIPPED;
	for (int i = 0; i < zl->nr; i++) {
		struct bz_zone *z = zl->zones[i];
		enum compact_result status;

		if (z->idx > highest_zoneidx || !(nodemask >> z->node->nid & 1))
			continue;
		if (prio > MIN_COMPACT_PRIORITY && bz__compaction_deferred(z, order)) {
			rc = BZ_MAX(rc, COMPACT_DEFERRED);
			continue;
		}
		status = compact_zone_order(z, order, gfp, prio, alloc_flags, highest_zoneidx);
		rc = BZ_MAX(rc, status);
		if (status == COMPACT_SUCCESS) {
			/* Expected to succeed, not certain: the allocation resets for good if it does. */
			bz__compaction_defer_reset(z, order, false);
			break;
		}
		if (prio != COMPACT_PRIO_ASYNC && (status == COMPACT_COMPLETE || status == COMPACT_PARTIAL_SKIPPED))
			bz__defer_compaction(z, order);
	}
	return rc;
}

/*
 * compact_node(): every populated zone whole, skip hints ignored; by hand
 * in MIGRATE_SYNC, proactively in SYNC_LIGHT (counted as kcompactd's too).
 */
void bz__compact_node(struct bz_system *sys, int nid, bool proactive)
{
	struct compact_control cc = {
		.order = -1,
		.mode = proactive ? BZ_MIGRATE_SYNC_LIGHT : BZ_MIGRATE_SYNC,
		.ignore_skip_hint = true,
		.whole_zone = true,
		.gfp_mask = BZ_GFP_KERNEL,
		.proactive_compaction = proactive,
	};

	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
		cc.zone = &sys->nodes[nid]->zones[zid];
		if (!populated_zone(cc.zone))
			continue;
		cc.whole_zone = true;
		bz__compact_zone(&cc);
		if (proactive) {
			count_vm_events(sys, KCOMPACTD_MIGRATE_SCANNED, cc.total_migrate_scanned);
			count_vm_events(sys, KCOMPACTD_FREE_SCANNED, cc.total_free_scanned);
		}
	}
}
