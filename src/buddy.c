/* SPDX-License-Identifier: MIT */
/*
 * buddy.c - the buddy free lists of a zone, everything under zone->lock:
 * taking a block (__rmqueue_smallest, expand), the migratetype fallbacks
 * with pageblock claiming and stealing (__rmqueue_claim, __rmqueue_steal),
 * the highatomic reserve, and freeing with buddy merging
 * (__free_one_page).  Mirrors mm/page_alloc.c of Linux 6.x.
 *
 * Free lists are doubly linked through struct bz_page by pfn.  Only the
 * first page of a free block carries state (PG_buddy, its order, the list
 * it is on); all free pages of a pageblock sit on the lists of that
 * pageblock's migratetype, as in the kernel since 6.10.
 */
#include "buddy.h"

#define pageblock_start_pfn(pfn) ((pfn) & ~(PAGEBLOCK_NR_PAGES - 1))

/* The kernel's fallbacks[]: where each pcp type looks when its lists are empty. */
static const int fallbacks[BZ_MIGRATE_PCPTYPES][BZ_MIGRATE_PCPTYPES - 1] = {
	[BZ_MIGRATE_UNMOVABLE] = { BZ_MIGRATE_RECLAIMABLE, BZ_MIGRATE_MOVABLE },
	[BZ_MIGRATE_MOVABLE] = { BZ_MIGRATE_RECLAIMABLE, BZ_MIGRATE_UNMOVABLE },
	[BZ_MIGRATE_RECLAIMABLE] = { BZ_MIGRATE_UNMOVABLE, BZ_MIGRATE_MOVABLE },
};

/*
 * nr_free and a list's first block are also read without the lock, by
 * zone_watermark_ok() (the kernel's READ_ONCE): written as relaxed atomics.
 */
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static inline struct bz_page *zpage(const struct bz_zone *z, unsigned long pfn)
{
	return pfn_to_page(z->sys, pfn);
}

/* ---- struct page initialisation (deferred) ----------------------------------- */

static void init_page_range(struct bz_zone *z, unsigned long pfn, unsigned long end)
{
	for (; pfn < end; pfn++) {
		struct bz_page *p = zpage(z, pfn);

		p->next = p->prev = BZ_NIL;
		p->zone_id = z->zone_id;
		p->compound_off = 0;
		PAGE_SET(p, val, PAGE_VAL(PG_init | PG_zeroed, 0, 0, 0, 0));
	}
}

/* ---- list primitives: no accounting ------------------------------------------- */

static void list_link(struct bz_zone *z, struct bz_free_list *l, unsigned long pfn, bool tail)
{
	struct bz_page *p = zpage(z, pfn);

	if (l->first == BZ_NIL) {
		p->next = p->prev = BZ_NIL;
		WRITE_ONCE(l->first, (uint32_t)pfn);
		l->last = (uint32_t)pfn;
	} else if (tail) {
		p->prev = l->last;
		p->next = BZ_NIL;
		zpage(z, l->last)->next = (uint32_t)pfn;
		l->last = (uint32_t)pfn;
	} else {
		p->next = l->first;
		p->prev = BZ_NIL;
		zpage(z, l->first)->prev = (uint32_t)pfn;
		WRITE_ONCE(l->first, (uint32_t)pfn);
	}
}

static void deferred_take_block(struct bz_zone *z);

static void list_unlink(struct bz_zone *z, unsigned order, int mt, unsigned long pfn)
{
	struct bz_free_list *l = &z->free_area[order].free_list[mt];
	struct bz_page *p = zpage(z, pfn);

	if (p->prev != BZ_NIL)
		zpage(z, p->prev)->next = p->next;
	else
		WRITE_ONCE(l->first, p->next);
	if (p->next != BZ_NIL)
		zpage(z, p->next)->prev = p->prev;
	else
		l->last = p->prev;
	p->next = p->prev = BZ_NIL;
	/* Keep "list empty" exact while deferred blocks remain. */
	if (l->first == BZ_NIL && order == BZ_MAX_ORDER && mt == BZ_MIGRATE_MOVABLE &&
	    z->deferred_pfn < z->deferred_end)
		deferred_take_block(z);
}

/* Moves one deferred max-order block onto the MOVABLE list; counts are already in. */
static void deferred_take_block(struct bz_zone *z)
{
	unsigned long pfn = z->deferred_pfn;
	struct bz_page *p = zpage(z, pfn);

	init_page_range(z, pfn, pfn + MAX_ORDER_NR_PAGES);
	z->deferred_pfn += MAX_ORDER_NR_PAGES;
	PAGE_SET(p, flags, PAGE_GET(p, flags) | (PG_buddy));
	PAGE_SET(p, order, BZ_MAX_ORDER);
	PAGE_SET(p, mt, BZ_MIGRATE_MOVABLE);
	list_link(z, &z->free_area[BZ_MAX_ORDER].free_list[BZ_MIGRATE_MOVABLE], pfn, true);
}

/* ---- free list operations with accounting ---------------------------------------- */

static void account_freepages(struct bz_zone *z, long nr, unsigned order, int mt)
{
	if (mt == BZ_MIGRATE_ISOLATE)
		return;
	zone_stat_add(z, NR_FREE_PAGES, nr);
	if (order >= BZ_PAGEBLOCK_ORDER)
		zone_stat_add(z, NR_FREE_PAGES_BLOCKS, nr);
}

/*
 * What is known of a free block's contents lives on its head: PG_zeroed
 * (reads zero: never touched, or discarded by page reporting) and
 * PG_reported (discarded).  Split halves inherit it; a merge keeps only
 * what both halves know; a block freed after use knows nothing.
 */
#define PG_ZEROSTATE (PG_zeroed | PG_reported)

static void add_to_free_list(struct bz_zone *z, unsigned long pfn, unsigned order, int mt, bool tail,
			     uint8_t zf)
{
	struct bz_page *p = zpage(z, pfn);

	PAGE_SET(p, flags, (uint8_t)((PAGE_GET(p, flags) & ~(PG_head | PG_pcp | PG_ZEROSTATE)) | PG_buddy | zf));
	PAGE_SET(p, order, (uint8_t)order);
	PAGE_SET(p, mt, (uint8_t)mt);
	list_link(z, &z->free_area[order].free_list[mt], pfn, tail);
	WRITE_ONCE(z->free_area[order].nr_free, z->free_area[order].nr_free + 1);
	account_freepages(z, 1l << order, order, mt);
}

static void del_page_from_free_list(struct bz_zone *z, unsigned long pfn, unsigned order)
{
	struct bz_page *p = zpage(z, pfn);
	int mt = PAGE_GET(p, mt);

	PAGE_SET(p, flags, PAGE_GET(p, flags) & ((uint8_t)~PG_buddy));
	list_unlink(z, order, mt, pfn);
	WRITE_ONCE(z->free_area[order].nr_free, z->free_area[order].nr_free - 1);
	account_freepages(z, -(1l << order), order, mt);
}

/* move_to_free_list(): same order, another migratetype's list, at its tail. */
static void move_to_free_list(struct bz_zone *z, unsigned long pfn, unsigned order, int new_mt)
{
	struct bz_page *p = zpage(z, pfn);
	int old_mt = PAGE_GET(p, mt);

	list_unlink(z, order, old_mt, pfn);
	PAGE_SET(p, mt, (uint8_t)new_mt);
	list_link(z, &z->free_area[order].free_list[new_mt], pfn, true);
	if (old_mt == BZ_MIGRATE_ISOLATE || new_mt == BZ_MIGRATE_ISOLATE)
		account_freepages(z, (old_mt == BZ_MIGRATE_ISOLATE ? 1l : -1l) * (1l << order), order,
				  BZ_MIGRATE_MOVABLE);
}

/* Carves [pfn, end) into the largest aligned blocks, as freeing page by page would. */
static void free_range(struct bz_zone *z, unsigned long pfn, unsigned long end)
{
	init_page_range(z, pfn, end);
	while (pfn < end) {
		unsigned order = pfn ? (unsigned)__builtin_ctzl(pfn) : BZ_MAX_ORDER;

		order = BZ_MIN(order, (unsigned)BZ_MAX_ORDER);
		while (pfn + (1ul << order) > end)
			order--;
		add_to_free_list(z, pfn, order, BZ_MIGRATE_MOVABLE, true, PG_zeroed);
		pfn += 1ul << order;
	}
}

/* The zone's first managed_pages pages are its memory; the rest of the span is reserved or a hole. */
void bz__zone_init_free_lists(struct bz_zone *z)
{
	unsigned long start = z->zone_start_pfn, end = start + z->managed_pages;
	unsigned long mid_start = (start + MAX_ORDER_NR_PAGES - 1) & ~(MAX_ORDER_NR_PAGES - 1);
	unsigned long mid_end = end & ~(MAX_ORDER_NR_PAGES - 1);
	unsigned long blocks;

	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
			z->free_area[o].free_list[mt].first = z->free_area[o].free_list[mt].last = BZ_NIL;
	z->deferred_pfn = z->deferred_end = 0;
	if (!populated_zone(z))
		return;
	if (mid_start >= mid_end) {
		free_range(z, start, end);
		return;
	}
	free_range(z, start, mid_start);
	free_range(z, mid_end, end);
	blocks = (mid_end - mid_start) / MAX_ORDER_NR_PAGES;
	WRITE_ONCE(z->free_area[BZ_MAX_ORDER].nr_free, z->free_area[BZ_MAX_ORDER].nr_free + blocks);
	account_freepages(z, (long)(blocks * MAX_ORDER_NR_PAGES), BZ_MAX_ORDER, BZ_MIGRATE_MOVABLE);
	z->deferred_pfn = mid_start;
	z->deferred_end = mid_end;
	if (z->free_area[BZ_MAX_ORDER].free_list[BZ_MIGRATE_MOVABLE].first == BZ_NIL)
		deferred_take_block(z);
}

/*
 * online_pages() -> __free_pages_core(): hot-added pages join the lists in
 * the largest aligned blocks, each through __free_one_page so that it
 * merges with free buddies at the old end of the zone, on the list of its
 * pageblock's type.  The pages are touched now (memmap_init_range does as
 * much in the kernel); the caller has grown the zone's span over them.
 */
void bz__zone_grow_locked(struct bz_zone *z, unsigned long start, unsigned long end)
{
	unsigned long pfn = start;

	zone_lock_held(z);
	init_page_range(z, start, end);
	while (pfn < end) {
		unsigned order = pfn ? (unsigned)__builtin_ctzl(pfn) : BZ_MAX_ORDER;

		order = BZ_MIN(order, (unsigned)BZ_MAX_ORDER);
		while (pfn + (1ul << order) > end)
			order--;
		bz__free_one_page_locked(z, pfn, order, get_pageblock_migratetype(z->sys, pfn));
		pfn += 1ul << order;
	}
}

unsigned long bz__free_list_count_locked(struct bz_zone *z, unsigned order, int mt, unsigned long cap)
{
	unsigned long n = 0;

	zone_lock_held(z);
	if (!cap)
		cap = ~0ul;
	for (uint32_t pfn = z->free_area[order].free_list[mt].first; pfn != BZ_NIL && n < cap;
	     pfn = zpage(z, pfn)->next)
		n++;
	if (order == BZ_MAX_ORDER && mt == BZ_MIGRATE_MOVABLE)
		n += (z->deferred_end - z->deferred_pfn) / MAX_ORDER_NR_PAGES;
	return BZ_MIN(n, cap);
}

void bz__count_pageblocks_locked(struct bz_zone *z, unsigned long counts[BZ_MIGRATE_TYPES])
{
	unsigned long pfn = pageblock_start_pfn(z->zone_start_pfn);

	zone_lock_held(z);
	for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
		counts[mt] = 0;
	if (!populated_zone(z))
		return;
	/*
	 * As pagetypeinfo_showblockcount_print: every pageblock of the zone's
	 * memory (pfn_to_online_page); holes, at the end of the span here, are not.
	 */
	for (; pfn < z->zone_start_pfn + z->present_pages; pfn += PAGEBLOCK_NR_PAGES)
		counts[get_pageblock_migratetype(z->sys, pfn)]++;
}

/* ---- taking blocks ------------------------------------------------------------- */

/* expand(): returns the unused halves of a block split from order high to low. */
static void expand(struct bz_zone *z, unsigned long pfn, unsigned low, unsigned high, int mt, uint8_t zf)
{
	while (high > low) {
		high--;
		add_to_free_list(z, pfn + (1ul << high), high, mt, false, zf);
	}
}

/* The zero state of the free block at pfn, for the halves a split makes. */
static uint8_t zero_state(const struct bz_zone *z, unsigned long pfn)
{
	return PAGE_GET(zpage(z, pfn), flags) & PG_ZEROSTATE;
}

static struct bz_page *page_del_and_expand(struct bz_zone *z, unsigned long pfn, unsigned order,
					   unsigned high, int mt)
{
	uint8_t zf = zero_state(z, pfn);

	del_page_from_free_list(z, pfn, high);
	expand(z, pfn, order, high, mt, zf);
	return zpage(z, pfn);
}

/* __rmqueue_smallest(): the smallest block of the wanted type that fits. */
static struct bz_page *rmqueue_smallest(struct bz_zone *z, unsigned order, int mt)
{
	for (unsigned o = order; o < BZ_NR_PAGE_ORDERS; o++) {
		uint32_t pfn = z->free_area[o].free_list[mt].first;

		if (pfn != BZ_NIL) {
			WRITE_ONCE(z->nr_zone_locked, z->nr_zone_locked + 1); /* trace_mm_page_alloc_zone_locked */
			return page_del_and_expand(z, pfn, order, o, mt);
		}
	}
	return NULL;
}

/* should_try_claim_block(): is it worth taking the whole pageblock? */
static bool should_try_claim_block(unsigned order, int start_mt)
{
	if (order >= BZ_PAGEBLOCK_ORDER / 2)
		return true;
	return start_mt == BZ_MIGRATE_RECLAIMABLE || start_mt == BZ_MIGRATE_UNMOVABLE;
}

/* find_suitable_fallback(): -1 no block of this order, -2 too small to claim. */
static int find_suitable_fallback(struct bz_zone *z, unsigned order, int mt, bool claimable)
{
	const struct bz_free_area *area = &z->free_area[order];

	if (claimable && !should_try_claim_block(order, mt))
		return -2;
	if (area->nr_free == 0)
		return -1;
	for (int i = 0; i < BZ_MIGRATE_PCPTYPES - 1; i++) {
		int fmt = fallbacks[mt][i];

		if (area->free_list[fmt].first != BZ_NIL)
			return fmt;
	}
	return -1;
}

/* change_pageblock_range(): a block of pageblock order or more changes type. */
static void change_pageblock_range(struct bz_zone *z, unsigned long pfn, unsigned order, int mt)
{
	unsigned long nr = 1ul << (order - BZ_PAGEBLOCK_ORDER);

	while (nr--) {
		set_pageblock_migratetype(z->sys, pfn, mt);
		pfn += PAGEBLOCK_NR_PAGES;
	}
}

/*
 * prep_move_freepages_block(): the pageblock of pfn, if it lies wholly in the
 * zone, with its free pages and its allocated movable pages counted (our
 * stand-in for the kernel's PageLRU test: blocks allocated with
 * BZ_GFP_MOVABLE remember it in page->mt).
 */
static bool prep_move_freepages_block(struct bz_zone *z, unsigned long pfn, unsigned long *start_pfn,
				      long *num_free, long *num_movable)
{
	unsigned long start = pageblock_start_pfn(pfn), end = start + PAGEBLOCK_NR_PAGES;

	if (!zone_spans_pfn(z, start) || !zone_spans_pfn(z, end - 1))
		return false;
	*start_pfn = start;
	if (!num_free)
		return true;
	*num_free = *num_movable = 0;
	for (pfn = start; pfn < end;) {
		struct bz_page *p = zpage(z, pfn);

		if (PAGE_GET(p, flags) & PG_buddy) {
			*num_free += 1l << PAGE_GET(p, order);
			pfn += 1ul << PAGE_GET(p, order);
		} else if ((PAGE_GET(p, flags) & PG_head) && PAGE_GET(p, mt) == BZ_MIGRATE_MOVABLE) {
			*num_movable += 1l << PAGE_GET(p, order);
			pfn += 1ul << PAGE_GET(p, order);
		} else {
			pfn++;
		}
	}
	return true;
}

/* __move_freepages_block(): every free block of the pageblock to new_mt's lists. */
static long move_freepages_range(struct bz_zone *z, unsigned long start, int new_mt)
{
	long moved = 0;

	for (unsigned long pfn = start; pfn < start + PAGEBLOCK_NR_PAGES;) {
		struct bz_page *p = zpage(z, pfn);

		if (!(PAGE_GET(p, flags) & PG_buddy)) {
			pfn++;
			continue;
		}
		move_to_free_list(z, pfn, PAGE_GET(p, order), new_mt);
		moved += 1l << PAGE_GET(p, order);
		pfn += 1ul << PAGE_GET(p, order);
	}
	return moved;
}

/* move_freepages_block(): -1 when the pageblock straddles the zone's edge. */
static long move_freepages_block(struct bz_zone *z, unsigned long pfn, int new_mt)
{
	unsigned long start;
	long moved;

	if (!prep_move_freepages_block(z, pfn, &start, NULL, NULL))
		return -1;
	moved = move_freepages_range(z, start, new_mt);
	set_pageblock_migratetype(z->sys, start, new_mt);
	return moved;
}

/* try_to_claim_block(): take over the pageblock if enough of it is free or alike. */
static struct bz_page *try_to_claim_block(struct bz_zone *z, unsigned long pfn, unsigned cur_order,
					  unsigned order, int start_mt, int block_mt, unsigned alloc_flags)
{
	unsigned long start;
	long free_pages, movable_pages, alike_pages;

	if (cur_order >= BZ_PAGEBLOCK_ORDER) {
		uint8_t zf = zero_state(z, pfn);

		del_page_from_free_list(z, pfn, cur_order);
		change_pageblock_range(z, pfn, cur_order, start_mt);
		expand(z, pfn, order, cur_order, start_mt, zf);
		return zpage(z, pfn);
	}
	/* Boost watermarks so kswapd reclaims before more fallbacks are needed. */
	if (bz__boost_watermark_locked(z) && (alloc_flags & ALLOC_KSWAPD))
		atomic_store_explicit(&z->boosted, true, memory_order_relaxed);
	if (!prep_move_freepages_block(z, pfn, &start, &free_pages, &movable_pages))
		return NULL;
	if (start_mt == BZ_MIGRATE_MOVABLE)
		alike_pages = movable_pages;
	else if (block_mt == BZ_MIGRATE_MOVABLE)
		alike_pages = (long)PAGEBLOCK_NR_PAGES - (free_pages + movable_pages);
	else
		alike_pages = 0;
	if (free_pages + alike_pages >= (1l << (BZ_PAGEBLOCK_ORDER - 1))) {
		move_freepages_range(z, start, start_mt);
		set_pageblock_migratetype(z->sys, start, start_mt);
		return rmqueue_smallest(z, order, start_mt);
	}
	return NULL;
}

/* __rmqueue_claim(): fall back to the largest block of another type, claiming its pageblock. */
static struct bz_page *rmqueue_claim(struct bz_zone *z, unsigned order, int start_mt, unsigned alloc_flags)
{
	int min_order = (int)order;

	if (order < BZ_PAGEBLOCK_ORDER && (alloc_flags & ALLOC_NOFRAGMENT))
		min_order = BZ_PAGEBLOCK_ORDER;
	for (int o = BZ_MAX_ORDER; o >= min_order; o--) {
		int fmt = find_suitable_fallback(z, (unsigned)o, start_mt, true);
		struct bz_page *page;

		if (fmt == -1)
			continue;
		if (fmt == -2)
			break;
		page = try_to_claim_block(z, z->free_area[o].free_list[fmt].first, (unsigned)o, order,
					  start_mt, fmt, alloc_flags);
		if (page) {
			/* trace_mm_page_alloc_extfrag, change_ownership = 1 */
			WRITE_ONCE(z->nr_extfrag, z->nr_extfrag + 1);
			WRITE_ONCE(z->nr_extfrag_claimed, z->nr_extfrag_claimed + 1);
			return page;
		}
	}
	return NULL;
}

/* __rmqueue_steal(): the smallest block of another type, leaving its pageblock be. */
static struct bz_page *rmqueue_steal(struct bz_zone *z, unsigned order, int start_mt)
{
	for (unsigned o = order; o < BZ_NR_PAGE_ORDERS; o++) {
		int fmt = find_suitable_fallback(z, o, start_mt, false);

		if (fmt == -1)
			continue;
		WRITE_ONCE(z->nr_extfrag, z->nr_extfrag + 1); /* trace_mm_page_alloc_extfrag */
		return page_del_and_expand(z, z->free_area[o].free_list[fmt].first, order, o, fmt);
	}
	return NULL;
}

/*
 * __rmqueue(): the wanted type, then fallbacks of rising fragmentation risk.
 * *mode remembers across a batch (rmqueue_bulk) how far it had to go.
 */
struct bz_page *bz__rmqueue_mode_locked(struct bz_zone *z, unsigned order, int mt, unsigned alloc_flags,
					int *mode)
{
	struct bz_page *page;

	zone_lock_held(z);
	switch (*mode) {
	case RMQUEUE_NORMAL:
		page = rmqueue_smallest(z, order, mt);
		if (page)
			return page;
		/* fall through */
	case RMQUEUE_CLAIM:
		page = rmqueue_claim(z, order, mt, alloc_flags);
		if (page) {
			*mode = RMQUEUE_NORMAL; /* the claimed block refilled our lists */
			return page;
		}
		/* fall through */
	case RMQUEUE_STEAL:
		if (!(alloc_flags & ALLOC_NOFRAGMENT)) {
			page = rmqueue_steal(z, order, mt);
			if (page) {
				*mode = RMQUEUE_STEAL;
				return page;
			}
		}
	}
	return NULL;
}

/* rmqueue_buddy()'s part under the lock: the highatomic reserve's rules around __rmqueue. */
struct bz_page *bz__rmqueue_locked(struct bz_zone *z, unsigned order, int mt, unsigned alloc_flags)
{
	struct bz_page *page = NULL;
	int mode = RMQUEUE_NORMAL;

	zone_lock_held(z);
	if (alloc_flags & ALLOC_HIGHATOMIC)
		page = rmqueue_smallest(z, order, BZ_MIGRATE_HIGHATOMIC);
	if (!page)
		page = bz__rmqueue_mode_locked(z, order, mt, alloc_flags, &mode);
	/* Failing now is worse than failing a high-order atomic request later. */
	if (!page && (alloc_flags & ALLOC_NON_BLOCK))
		page = rmqueue_smallest(z, order, BZ_MIGRATE_HIGHATOMIC);
	return page;
}

void bz__prep_new_page(struct bz_page *page, unsigned order, int mt)
{
	/* PG_zeroed stays for prep_user_page (a zero block needs no memset), which clears it. */
	PAGE_SET(page, flags, (uint8_t)((PAGE_GET(page, flags) & ~(PG_buddy | PG_pcp | PG_reported)) | PG_head));
	PAGE_SET(page, order, (uint8_t)order);
	PAGE_SET(page, mt, (uint8_t)mt);
	/* set_page_refcounted(), with the state: a check never sees an allocated head without a reference. */
	set_page_count(page, 1);
}

/* ---- the highatomic reserve ------------------------------------------------------- */

/* reserve_highatomic_pageblock(): at most ~1% of the zone, a pageblock at a time. */
void bz__reserve_highatomic_pageblock(struct bz_zone *z, unsigned long pfn, unsigned order)
{
	unsigned long max_managed;
	int mt;

	if (z->managed_pages / 100 < PAGEBLOCK_NR_PAGES)
		return;
	max_managed = (z->managed_pages / 100 + PAGEBLOCK_NR_PAGES - 1) & ~(PAGEBLOCK_NR_PAGES - 1);
	if (atomic_load_explicit(&z->nr_reserved_highatomic, memory_order_relaxed) >= max_managed)
		return;
	bz__zone_lock(z);
	if (atomic_load_explicit(&z->nr_reserved_highatomic, memory_order_relaxed) >= max_managed)
		goto out;
	mt = get_pageblock_migratetype(z->sys, pfn);
	if (mt >= BZ_MIGRATE_PCPTYPES)
		goto out;
	if (order < BZ_PAGEBLOCK_ORDER) {
		if (move_freepages_block(z, pfn, BZ_MIGRATE_HIGHATOMIC) == -1)
			goto out;
		atomic_fetch_add(&z->nr_reserved_highatomic, PAGEBLOCK_NR_PAGES);
	} else {
		change_pageblock_range(z, pfn, order, BZ_MIGRATE_HIGHATOMIC);
		atomic_fetch_add(&z->nr_reserved_highatomic, 1ul << order);
	}
	zone_update_fast_mark(z);
out:
	bz__zone_unlock(z);
}

/*
 * unreserve_highatomic_pageblock(): under pressure, give one reserved
 * pageblock back to the requesting type (force: even the last one).
 * Returns true when one was released.
 */
bool bz__unreserve_highatomic_pageblock_locked(struct bz_zone *z, int mt, bool force)
{
	unsigned long reserved = atomic_load_explicit(&z->nr_reserved_highatomic, memory_order_relaxed);

	zone_lock_held(z);
	if (!force && reserved <= PAGEBLOCK_NR_PAGES)
		return false;
	for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
		uint32_t pfn = z->free_area[o].free_list[BZ_MIGRATE_HIGHATOMIC].first;
		unsigned long size;

		if (pfn == BZ_NIL)
			continue;
		size = BZ_MAX(PAGEBLOCK_NR_PAGES, 1ul << o);
		atomic_store_explicit(&z->nr_reserved_highatomic, reserved - BZ_MIN(size, reserved),
				      memory_order_relaxed);
		zone_update_fast_mark(z);
		if (o < BZ_PAGEBLOCK_ORDER) {
			if (move_freepages_block(z, pfn, mt) != -1)
				return true;
		} else {
			change_pageblock_range(z, pfn, o, mt);
			move_to_free_list(z, pfn, o, mt);
			return true;
		}
	}
	return false;
}

/* ---- freeing -------------------------------------------------------------------- */

/* page_is_buddy(): a free block of this order, in the same zone. */
static bool page_is_buddy(const struct bz_zone *z, unsigned long buddy_pfn, unsigned order)
{
	const struct bz_page *b = zpage(z, buddy_pfn);

	return (PAGE_GET(b, flags) & PG_buddy) && PAGE_GET(b, order) == order && b->zone_id == z->zone_id;
}

/* buddy_merge_likely(): will this block's buddy soon free and merge a level higher? */
static bool buddy_merge_likely(const struct bz_zone *z, unsigned long pfn, unsigned long buddy_pfn,
			       unsigned order)
{
	unsigned long higher;

	if (order >= BZ_MAX_ORDER - 1)
		return false;
	higher = buddy_pfn & pfn;
	return page_is_buddy(z, higher ^ (1ul << (order + 1)), order + 1);
}

/*
 * __free_one_page(): merge with free buddies while they exist, then list
 * the block (at the tail when asked, or when its buddy will likely merge a
 * level up).  zf is what is known of the freed block's contents.  Returns
 * the order the block ended at.
 */
static unsigned free_one_page(struct bz_zone *z, unsigned long pfn, unsigned order, int mt, uint8_t zf,
			      bool to_tail)
{
	unsigned long buddy_pfn = pfn;

	zone_lock_held(z);
	while (order < BZ_MAX_ORDER) {
		int buddy_mt = mt;

		BZ_ASSERT(!(pfn & ((1ul << order) - 1)) && zone_spans_pfn(z, pfn) &&
			  zone_spans_pfn(z, pfn + (1ul << order) - 1));
		buddy_pfn = pfn ^ (1ul << order);
		if (!page_is_buddy(z, buddy_pfn, order))
			break;
		if (order >= BZ_PAGEBLOCK_ORDER) {
			/* Keep highatomic and isolated pageblocks from merging with others. */
			buddy_mt = get_pageblock_migratetype(z->sys, buddy_pfn);
			if (mt != buddy_mt && (mt >= BZ_MIGRATE_PCPTYPES || buddy_mt >= BZ_MIGRATE_PCPTYPES))
				break;
		}
		zf &= zero_state(z, buddy_pfn);
		del_page_from_free_list(z, buddy_pfn, order);
		if (buddy_mt != mt)
			set_pageblock_migratetype(z->sys, buddy_pfn, mt);
		pfn &= buddy_pfn;
		order++;
	}
	to_tail = to_tail || buddy_merge_likely(z, pfn, buddy_pfn, order);
	add_to_free_list(z, pfn, order, mt, to_tail, zf);
	return order;
}

/*
 * page_reporting_notify_free(): a block of reporting order went free.  It
 * only marks the system (a flag, as the kernel's static-key inline only
 * schedules work): the entry points start the pass once no lock is held
 * (page_reporting.c).  Zones too small to ever pass the pass's watermark
 * check and debug mode ask for nothing.
 */
static void page_reporting_notify_free(struct bz_zone *z, unsigned order)
{
	struct bz_system *sys = z->sys;
	int min_order = __atomic_load_n(&sys->sysctl.page_reporting_order, __ATOMIC_RELAXED);

	if ((int)order < min_order || !__atomic_load_n(&sys->sysctl.page_reporting_delay_ms, __ATOMIC_RELAXED) ||
	    sys->debug.flags ||
	    atomic_load_explicit(&sys->reporting_requested, memory_order_relaxed))
		return;
	if (__atomic_load_n(&z->managed_pages, __ATOMIC_RELAXED) <=
	    wmark_pages(z, WMARK_LOW) + ((unsigned long)BZ_PAGE_REPORTING_CAPACITY << min_order))
		return;
	atomic_store_explicit(&sys->reporting_requested, true, memory_order_relaxed);
}

static void free_after_use(struct bz_zone *z, unsigned long pfn, unsigned order, int mt, bool to_tail)
{
	order = free_one_page(z, pfn, order, mt, 0, to_tail);
	if (bz_unlikely((int)order >= __atomic_load_n(&z->sys->sysctl.page_reporting_order, __ATOMIC_RELAXED)))
		page_reporting_notify_free(z, order);
}

/* A block freed after use. */
void bz__free_one_page_locked(struct bz_zone *z, unsigned long pfn, unsigned order, int mt)
{
	free_after_use(z, pfn, order, mt, false);
}

/* The same at the tail of its list (FPI_TO_TAIL): memory unlikely to be wanted back soon. */
void bz__free_one_page_tail_locked(struct bz_zone *z, unsigned long pfn, unsigned order, int mt)
{
	free_after_use(z, pfn, order, mt, true);
}

/* free_one_page(): an allocated block (PG_head) and its last refs references back to the lists under the lock. */
bool bz__free_block(struct bz_zone *z, unsigned long pfn, unsigned order, int refs)
{
	struct bz_page *p = zpage(z, pfn);
	bool freed;

	bz__zone_lock(z);
	freed = page_put_last(p, refs, order);
	if (freed) {
		PAGE_SET(p, flags, PAGE_GET(p, flags) & (uint8_t)~(PG_head | PG_pcp | PG_frozen));
		bz__free_one_page_locked(z, pfn, order, get_pageblock_migratetype(z->sys, pfn));
	}
	bz__zone_unlock(z);
	return freed;
}

/* ---- page reporting's isolation ------------------------------------------------------ */

bool bz__isolate_free_block_locked(struct bz_zone *z, unsigned long pfn, unsigned order)
{
	struct bz_page *p = zpage(z, pfn);
	unsigned long mark = atomic_load_explicit(&z->watermark[WMARK_MIN], memory_order_relaxed) + (1ul << order);

	zone_lock_held(z);
	if (PAGE_GET(p, mt) != BZ_MIGRATE_ISOLATE &&
	    !bz__zone_watermark_ok(z, 0, mark, 0, 0, zone_page_state(z, NR_FREE_PAGES)))
		return false;
	del_page_from_free_list(z, pfn, order);
	/* Away from the lists it looks allocated, with no reference, so that bz_check still accounts for every page. */
	PAGE_SET(p, flags, (uint8_t)((PAGE_GET(p, flags) & PG_init) | PG_head | PG_frozen));
	return true;
}

/* Reported blocks go to the tail: allocations take resident memory first. No notification. */
void bz__putback_isolated_locked(struct bz_zone *z, unsigned long pfn, unsigned order, int mt, bool reported)
{
	struct bz_page *p = zpage(z, pfn);

	zone_lock_held(z);
	PAGE_SET(p, flags, (uint8_t)(PAGE_GET(p, flags) & ~(PG_head | PG_frozen)));
	free_one_page(z, pfn, order, mt, reported ? PG_ZEROSTATE : 0, reported);
}

/* ---- blocks by pfn (pfn_control.c) ------------------------------------------------------ */

/*
 * take_page_off_buddy() for a block: [pfn, pfn + 2^order) comes off the
 * lists; the free block holding it is split around it, the other parts
 * listed as break_down_buddy_pages() lists them.  False (nothing changed)
 * when those pages are not all inside one free block.
 */
bool bz__take_free_block_locked(struct bz_zone *z, unsigned long pfn, unsigned order)
{
	zone_lock_held(z);
	while (z->deferred_pfn < z->deferred_end && pfn >= z->deferred_pfn)
		deferred_take_block(z);
	for (unsigned o = order; o < BZ_NR_PAGE_ORDERS; o++) {
		unsigned long head = pfn & ~((1ul << o) - 1), target = pfn;
		struct bz_page *p = zpage(z, head);
		unsigned high = PAGE_GET(p, order);
		int mt = PAGE_GET(p, mt);
		uint8_t zf;

		if (!zone_spans_pfn(z, head) || !(PAGE_GET(p, flags) & PG_buddy) || p->zone_id != z->zone_id ||
		    high < o)
			continue;
		zf = zero_state(z, head);
		del_page_from_free_list(z, head, high);
		while (high > order) {
			unsigned long half = 1ul << --high;

			/* List the half that does not hold the target; go on into the other. */
			if (target >= head + half) {
				add_to_free_list(z, head, high, mt, false, zf);
				head += half;
			} else {
				add_to_free_list(z, head + half, high, mt, false, zf);
			}
		}
		return true;
	}
	return false;
}

/*
 * set_pageblock_migratetype() with move_freepages_block(): the pageblock of
 * pfn changes type and its free blocks move to that type's lists.
 */
void bz__set_pageblock_migratetype_locked(struct bz_zone *z, unsigned long pfn, int mt)
{
	unsigned long start = pageblock_start_pfn(pfn);

	zone_lock_held(z);
	move_freepages_range(z, start, mt);
	set_pageblock_migratetype(z->sys, start, mt);
}

/* ---- compaction's free scanner and its finish test ---------------------------------------- */

/*
 * __isolate_free_page(): off the lists as page reporting takes a block
 * (the raw min watermark, no boost, plus the block must stay free, except
 * in an isolated pageblock); a block of pageblock_order - 1 or more is
 * about to hold movable pages: its pageblocks of a mergeable type become
 * MOVABLE with their free pages.
 */
bool bz__isolate_free_page_locked(struct bz_zone *z, unsigned long pfn, unsigned order)
{
	if (!bz__isolate_free_block_locked(z, pfn, order))
		return false;
	if (order >= BZ_PAGEBLOCK_ORDER - 1) {
		for (unsigned long b = pfn; b < pfn + (1ul << order); b += PAGEBLOCK_NR_PAGES) {
			int mt = get_pageblock_migratetype(z->sys, b);

			if (mt < BZ_MIGRATE_PCPTYPES && mt != BZ_MIGRATE_MOVABLE)
				move_freepages_block(z, b, BZ_MIGRATE_MOVABLE);
		}
	}
	return true;
}

/*
 * move_freelist_head(): pfn's block becomes the list's first, the blocks
 * before it go to the tail in their order, so that the next search from
 * the tail starts with what this one did not see.
 */
static void move_freelist_head(struct bz_zone *z, struct bz_free_list *l, unsigned long pfn)
{
	struct bz_page *p = zpage(z, pfn);
	uint32_t old_first = l->first, cut_last = p->prev;

	if (cut_last == BZ_NIL)
		return;
	p->prev = BZ_NIL;
	WRITE_ONCE(l->first, (uint32_t)pfn);
	zpage(z, cut_last)->next = BZ_NIL;
	zpage(z, l->last)->next = old_first;
	zpage(z, old_first)->prev = l->last;
	l->last = cut_last;
}

unsigned long bz__fast_freelist_search_locked(struct bz_zone *z, unsigned order, unsigned long low_pfn,
					      unsigned long min_pfn, unsigned *limit, unsigned long *scanned,
					      unsigned long *highest)
{
	struct bz_free_list *l = &z->free_area[order].free_list[BZ_MIGRATE_MOVABLE];
	unsigned long high_pfn = 0, found = BZ_NIL, last = BZ_NIL;
	unsigned order_scanned = 0;

	zone_lock_held(z);
	for (uint32_t pfn = l->last; pfn != BZ_NIL; pfn = zpage(z, pfn)->prev) {
		order_scanned++;
		(*scanned)++;
		last = pfn;
		if (pfn >= *highest)
			*highest = BZ_MAX(pageblock_start_pfn(pfn), z->zone_start_pfn);
		if (pfn >= low_pfn) {
			found = pfn;
			break;
		}
		if (pfn >= min_pfn && pfn > high_pfn) {
			high_pfn = pfn;
			*limit >>= 1;   /* a candidate: shorten the scan */
		}
		if (order_scanned >= *limit)
			break;
	}
	/* A maximum candidate pfn if a preferred one was not found. */
	if (found == BZ_NIL && high_pfn)
		found = last = high_pfn;
	if (last != BZ_NIL)
		move_freelist_head(z, l, last);
	if (order_scanned >= *limit)
		*limit = BZ_MAX(1u, *limit >> 1);
	return found;
}

static bool free_list_nonempty(const struct bz_zone *z, unsigned order, int mt)
{
	return __atomic_load_n(&z->free_area[order].free_list[mt].first, __ATOMIC_RELAXED) != BZ_NIL;
}

/*
 * The loop of __compact_finished(): a block of the wanted type, or one a
 * fallback would claim whole (find_suitable_fallback(..., true) >= 0).
 * Deferred max-order blocks count: a list that holds none while some
 * remain takes one (list_unlink).
 */
bool bz__free_block_suitable(struct bz_zone *z, unsigned order, int mt)
{
	for (unsigned o = order; o < BZ_NR_PAGE_ORDERS; o++) {
		if (free_list_nonempty(z, o, mt))
			return true;
		if (mt >= BZ_MIGRATE_PCPTYPES || !should_try_claim_block(o, mt) ||
		    !__atomic_load_n(&z->free_area[o].nr_free, __ATOMIC_RELAXED))
			continue;
		for (int i = 0; i < BZ_MIGRATE_PCPTYPES - 1; i++)
			if (free_list_nonempty(z, o, fallbacks[mt][i]))
				return true;
	}
	return false;
}

/* ---- pageblock isolation (page_isolation.c) ---------------------------------------------- */

/*
 * split_large_buddy() for the pageblock at start: a free block of more
 * than pageblock order covering it is relisted as pageblock-sized
 * blocks, each on its own pageblock's list, so that one pageblock's free
 * pages can change lists alone (pageblock_isolate_and_move_free_pages).
 */
static void split_large_buddy(struct bz_zone *z, unsigned long start)
{
	for (unsigned o = BZ_PAGEBLOCK_ORDER + 1; o < BZ_NR_PAGE_ORDERS; o++) {
		unsigned long head = start & ~((1ul << o) - 1);
		const struct bz_page *p = zpage(z, head);
		uint8_t zf;

		if (!zone_spans_pfn(z, head) || !(PAGE_GET(p, flags) & PG_buddy) || PAGE_GET(p, order) != o ||
		    p->zone_id != z->zone_id)
			continue;
		zf = zero_state(z, head);
		del_page_from_free_list(z, head, o);
		for (unsigned long b = head; b < head + (1ul << o); b += PAGEBLOCK_NR_PAGES)
			add_to_free_list(z, b, BZ_PAGEBLOCK_ORDER, get_pageblock_migratetype(z->sys, b), true, zf);
		return;
	}
}

long bz__pageblock_move_free_locked(struct bz_zone *z, unsigned long pfn, int new_mt)
{
	unsigned long start = pageblock_start_pfn(pfn);
	long moved;

	zone_lock_held(z);
	/* Deferred blocks up to the pageblock's end come onto the lists first: they are free pages of it. */
	while (z->deferred_pfn < z->deferred_end && z->deferred_pfn < start + PAGEBLOCK_NR_PAGES)
		deferred_take_block(z);
	split_large_buddy(z, start);
	moved = move_freepages_range(z, start, new_mt);
	set_pageblock_migratetype(z->sys, start, new_mt);
	return moved;
}

/*
 * unset_migratetype_isolate()'s merge: a free block of pageblock order or
 * more at the pageblock's start goes through __free_one_page again, so
 * that it merges with a free buddy that was kept apart while it was isolated.
 */
void bz__pageblock_remerge_locked(struct bz_zone *z, unsigned long pfn)
{
	unsigned long start = pageblock_start_pfn(pfn);
	struct bz_page *p = zpage(z, start);
	unsigned order = PAGE_GET(p, order);
	uint8_t zf;
	int mt;

	zone_lock_held(z);
	if (!(PAGE_GET(p, flags) & PG_buddy) || order < BZ_PAGEBLOCK_ORDER || order >= BZ_MAX_ORDER)
		return;
	zf = zero_state(z, start);
	mt = PAGE_GET(p, mt);
	del_page_from_free_list(z, start, order);
	free_one_page(z, start, order, mt, zf, false);
}
