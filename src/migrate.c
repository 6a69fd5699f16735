/* SPDX-License-Identifier: MIT */
/*
 * migrate.c - moving the blocks applications marked movable, as the
 * kernel's mm/migrate.c moves movable_operations pages (zsmalloc,
 * balloon; Linux 6.7-6.17): isolation (isolate_movable_page), the
 * migration itself (migrate_pages: unmap, then move, with -EAGAIN passes),
 * and putting back what did not move (putback_movable_pages).  Compaction
 * (compaction.c) is its user now; contiguous allocation and memory
 * offline will be.
 *
 * References are how a migration holds a block, as in the kernel: the
 * owner holds one, isolation takes one more with get_page_unless_zero's
 * semantics, and a block that shows any other holder is not taken (the
 * kernel's "pinned" test), nor moved (-EAGAIN) while one appears.  A count
 * of 1 is raised only with every thread cache stopped (page_ref.h), one
 * stop per batch.  When migrate_page succeeds the owner's reference moves
 * to dst and src's two go, freeing it; an owner that let go meanwhile
 * leaves the count at 1 (ours), and the block is freed without a move.
 *
 * Unlike the kernel, the library copies the contents: the application
 * only repoints its references (a copy in its callback does no harm).
 */
#include <string.h>

#include "compaction.h"

#define NR_MAX_MIGRATE_PAGES_RETRY 10   /* passes of -EAGAIN retries */
#define NR_MAX_MIGRATE_ASYNC_RETRY 3    /* of which async first, for the sync modes */

/* ---- lists ------------------------------------------------------------------------------------- */

void bz__page_list_add_tail(struct bz_system *sys, struct bz_page_list *l, struct bz_page *p)
{
	uint32_t pfn = (uint32_t)page_to_pfn(sys, p);

	p->next = BZ_NIL;
	p->prev = l->last;
	if (l->last != BZ_NIL)
		pfn_to_page(sys, l->last)->next = pfn;
	else
		l->first = pfn;
	l->last = pfn;
	l->nr++;
}

void bz__page_list_del(struct bz_system *sys, struct bz_page_list *l, struct bz_page *p)
{
	if (p->prev != BZ_NIL)
		pfn_to_page(sys, p->prev)->next = p->next;
	else
		l->first = p->next;
	if (p->next != BZ_NIL)
		pfn_to_page(sys, p->next)->prev = p->prev;
	else
		l->last = p->prev;
	p->next = p->prev = BZ_NIL;
	l->nr--;
}

void bz__page_list_splice(struct bz_system *sys, struct bz_page_list *from, struct bz_page_list *to)
{
	struct bz_page *p;

	while ((p = page_list_first(sys, from))) {
		bz__page_list_del(sys, from, p);
		bz__page_list_add_tail(sys, to, p);
	}
}

/* ---- freeing what a migration holds -------------------------------------------------------- */

/*
 * The last refs references of the block at p go and the block with them,
 * under the zone lock; debug mode poisons and guards it first, frozen.
 * False when the count was no longer refs (a speculative get came first).
 */
static bool free_last_refs(struct bz_system *sys, struct bz_page *p, unsigned order, int refs)
{
	unsigned long pfn = page_to_pfn(sys, p);
	struct bz_zone *z = page_zone(sys, p);
	bool frozen;

	if (!sys->debug.flags)
		return bz__free_block(z, pfn, order, refs);
	bz__zone_lock(z);
	frozen = page_ref_cmpxchg(p, refs, 0);
	if (frozen)
		PAGE_SET(p, flags, PAGE_GET(p, flags) | PG_frozen);
	bz__zone_unlock(z);
	if (!frozen)
		return false;
	bz__debug_free(sys, pfn, order);
	return bz__free_block(z, pfn, order, 0);
}

void bz__migrate_put_refs(struct bz_system *sys, struct bz_page *p, int refs)
{
	for (;;) {
		int c = page_ref_count_acquire(p);

		if (c > refs) {
			if (page_ref_cmpxchg(p, c, c - refs))
				return;
			continue;
		}
		if (bz_unlikely(c < refs)) {
			bz__log(sys, BZ_LOG_ERR, "migration: pfn %05lx holds %d references, %d expected",
				page_to_pfn(sys, p), c, refs);
			return;
		}
		if (free_last_refs(sys, p, migrate_block_order(p), refs))
			return;
	}
}

/* ---- isolation ----------------------------------------------------------------------------- */

enum { TAKE_NONE, TAKE_ISOLATED, TAKE_REF_ONLY };

struct isolate_batch {
	const unsigned long *pfns;
	int nr;
	uint8_t taken[COMPACT_CLUSTER_MAX];
};

/* UPG_isolated on a movable block that has none: the kernel's trylock and PageIsolated test in one. */
static bool claim_isolated(struct bz_page *p)
{
	uint8_t old = PAGE_GET(p, uflags);

	do {
		if ((old & (UPG_movable | UPG_isolated)) != UPG_movable)
			return false;
	} while (!__atomic_compare_exchange_n(&p->uflags, &old, (uint8_t)(old | UPG_isolated), false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	return true;
}

static void clear_isolated(struct bz_page *p)
{
	__atomic_fetch_and(&p->uflags, (uint8_t)~UPG_isolated, __ATOMIC_RELEASE);
}

/*
 * With every thread cache stopped (a count of 1 may be raised only so):
 * the owner's reference alone, then ours, then the isolated mark.  A
 * block whose mark went meanwhile keeps our reference for the caller to
 * drop outside (it may be the last: freeing here could re-enter a stop).
 */
static int take_refs_stopped(struct bz_system *sys, void *arg)
{
	struct isolate_batch *b = arg;

	for (int i = 0; i < b->nr; i++) {
		struct bz_page *p = pfn_to_page(sys, b->pfns[i]);

		b->taken[i] = TAKE_NONE;
		if (!page_movable_candidate(p) || page_ref_count(p) != 1 || !page_ref_cmpxchg(p, 1, 2))
			continue;
		b->taken[i] = claim_isolated(p) ? TAKE_ISOLATED : TAKE_REF_ONLY;
	}
	return 0;
}

/* isolate_movable_page()'s part outside the stop: the owner's isolate_page decides. */
static bool ask_isolate(struct bz_system *sys, struct bz_page *p, unsigned mode)
{
	const struct bz_movable_operations *ops = page_movable_ops(p);

	if (ops && (!ops->isolate_page || ops->isolate_page(p, mode)))
		return true;
	clear_isolated(p);
	bz__migrate_put_refs(sys, p, 1);
	return false;
}

unsigned long bz__isolate_movable_pages(struct bz_system *sys, const unsigned long *pfns, int nr, unsigned mode,
					struct bz_page_list *list)
{
	struct isolate_batch b = { .pfns = pfns };
	unsigned long isolated = 0;

	while (nr > 0) {
		b.nr = BZ_MIN(nr, (int)COMPACT_CLUSTER_MAX);
		bz__tcache_stopped_call(sys, take_refs_stopped, &b);
		for (int i = 0; i < b.nr; i++) {
			struct bz_page *p = pfn_to_page(sys, b.pfns[i]);

			if (b.taken[i] == TAKE_REF_ONLY)
				bz__migrate_put_refs(sys, p, 1);
			if (b.taken[i] == TAKE_ISOLATED && ask_isolate(sys, p, mode)) {
				bz__page_list_add_tail(sys, list, p);
				isolated += 1ul << migrate_block_order(p);
			}
		}
		b.pfns += b.nr;
		nr -= b.nr;
	}
	return isolated;
}

/* The owner let go of an isolated block: only the migration's reference is left. */
static bool released_by_owner(const struct bz_page *p)
{
	return page_ref_count_acquire(p) == 1;
}

/* putback_movable_ops_page(): the owner gets its block back, unless it let go. */
static void putback_one(struct bz_system *sys, struct bz_page *p)
{
	const struct bz_movable_operations *ops = page_movable_ops(p);

	if (ops && ops->putback_page && !released_by_owner(p))
		ops->putback_page(p);
	clear_isolated(p);
	bz__migrate_put_refs(sys, p, 1);
}

void bz__putback_movable_pages(struct bz_system *sys, struct bz_page_list *list)
{
	struct bz_page *p;

	while ((p = page_list_first(sys, list))) {
		bz__page_list_del(sys, list, p);
		putback_one(sys, p);
	}
}

/* ---- moving one block -------------------------------------------------------------------------- */

static void *block_address(const struct bz_system *sys, const struct bz_page *p)
{
	return sys->base + (page_to_pfn(sys, p) << BZ_PAGE_SHIFT);
}

static void release_dst(struct bz_system *sys, struct bz_page *dst, bz_free_page_fn put_new, void *private)
{
	if (put_new)
		put_new(sys, dst, private);
	else
		bz__migrate_put_refs(sys, dst, 1);
}

/* migrate_folio_done() for a block that leaves the migration without moving: the owner let go, or cleared its mark. */
static void drop_isolated(struct bz_system *sys, struct bz_page *p)
{
	clear_isolated(p);
	bz__migrate_put_refs(sys, p, 1);
}

/*
 * A successful move (migrate_movable_ops_page): the owner's reference is
 * dst's one now, dst is movable as src was (unless the callback marked it
 * itself), and src's two references go, freeing it.
 */
static void finish_move(struct bz_system *sys, struct bz_page *dst, struct bz_page *src)
{
	clear_isolated(src);
	page_clear_movable(src);
	bz__migrate_put_refs(sys, src, 2);
	/* The migration's reference on dst last: the owner may have freed dst already. */
	clear_isolated(dst);
	bz__migrate_put_refs(sys, dst, 1);
}

/*
 * dst before migrate_page publishes it (the kernel holds dst locked and
 * its allocation reference across move_to_new_folio): movable as src,
 * isolated so that no scanner takes it mid-move, and a second reference,
 * so that an owner freeing dst as soon as its callback returns only drops
 * its own and the last put (finish_move) is the migration's.  Nothing
 * else can see dst yet, so plain stores do.
 */
static void hold_dst(struct bz_page *dst, const struct bz_movable_operations *ops)
{
	page_set_movable(dst, ops);
	__atomic_fetch_or(&dst->uflags, (uint8_t)UPG_isolated, __ATOMIC_RELAXED);
	set_page_count(dst, page_ref_count(dst) + 1);
}

/* A move that did not happen: dst back to a plain block of one reference for release_dst. */
static void unhold_dst(struct bz_system *sys, struct bz_page *dst)
{
	clear_isolated(dst);
	page_clear_movable(dst);
	bz__migrate_put_refs(sys, dst, 1);
}

/*
 * migrate_folio_unmap() + migrate_folio_move() for one block: 0 when it
 * left the list (moved, or freed because its owner let go), -EAGAIN to
 * retry, -ENOMEM (no target), or the callback's permanent error.
 */
static int migrate_one(struct bz_system *sys, struct bz_page_list *from, struct bz_page *src,
		       bz_new_page_fn get_new, bz_free_page_fn put_new, void *private, enum bz_migrate_mode mode)
{
	const struct bz_movable_operations *ops = page_movable_ops(src);
	unsigned order = migrate_block_order(src);
	struct bz_page *dst;
	int rc;

	/* "Folio was freed from under us", or its owner cleared the mark: done, nothing to move. */
	if (released_by_owner(src) || !ops)
		goto gone;
	/* Another holder took a reference since isolation: not now. */
	if (page_ref_count_acquire(src) != 2)
		return -EAGAIN;
	dst = get_new(sys, src, private);
	if (!dst)
		return -ENOMEM;
	if (page_is_compound_head(src) && !page_is_compound_head(dst))
		prep_compound_page(dst, order);
	memcpy(block_address(sys, dst), block_address(sys, src), BZ_PAGE_SIZE << order);
	dst->private = src->private;
	dst->index = src->index;
	hold_dst(dst, ops);
	rc = ops->migrate_page(dst, src, mode);
	/* The owner let go while its callback ran (it freed src): no move, whatever it said. */
	if (released_by_owner(src)) {
		unhold_dst(sys, dst);
		release_dst(sys, dst, put_new, private);
		goto gone;
	}
	if (rc == BZ_MIGRATEPAGE_SUCCESS) {
		bz__page_list_del(sys, from, src);
		finish_move(sys, dst, src);
		return 0;
	}
	unhold_dst(sys, dst);
	release_dst(sys, dst, put_new, private);
	return rc == -EAGAIN ? -EAGAIN : (rc < 0 ? rc : -EIO);
gone:
	bz__page_list_del(sys, from, src);
	drop_isolated(sys, src);
	return 0;
}

/* ---- migrate_pages ------------------------------------------------------------------------------ */

struct migrate_stats {
	unsigned long nr_succeeded;     /* base pages moved, or freed under us */
	unsigned long nr_failed_pages;  /* base pages that did not move */
	int nr_failed;                  /* blocks that did not move */
	int rc_saved;                   /* -ENOMEM */
};

/*
 * Up to nr_pass passes over from in mode: each block moves, fails for
 * good (to ret), or waits for the next pass (-EAGAIN).  Returns the
 * blocks still waiting after the last pass (they stay on from).
 */
static int migrate_passes(struct bz_system *sys, struct bz_page_list *from, struct bz_page_list *ret,
			  bz_new_page_fn get_new, bz_free_page_fn put_new, void *private, enum bz_migrate_mode mode,
			  int nr_pass, struct migrate_stats *st)
{
	int retry = 1;

	for (int pass = 0; pass < nr_pass && retry && !st->rc_saved; pass++) {
		struct bz_page *src = page_list_first(sys, from), *next;

		retry = 0;
		for (; src && !st->rc_saved; src = next) {
			unsigned long nr = 1ul << migrate_block_order(src);
			int rc;

			next = page_list_next(sys, src);
			rc = migrate_one(sys, from, src, get_new, put_new, private, mode);
			if (rc == 0) {
				st->nr_succeeded += nr;
			} else if (rc == -EAGAIN) {
				retry++;
			} else {
				st->nr_failed++;
				st->nr_failed_pages += nr;
				if (rc == -ENOMEM)
					st->rc_saved = -ENOMEM;     /* stays on from */
				else {
					bz__page_list_del(sys, from, src);
					bz__page_list_add_tail(sys, ret, src);
				}
			}
		}
	}
	return retry;
}

int bz__migrate_pages(struct bz_system *sys, struct bz_page_list *from, bz_new_page_fn get_new,
		      bz_free_page_fn put_new, void *private, enum bz_migrate_mode mode, enum migrate_reason reason,
		      unsigned long *nr_succeeded)
{
	struct migrate_stats st = { 0 };
	struct bz_page_list ret;
	int passes = NR_MAX_MIGRATE_PAGES_RETRY;

	(void)reason;   /* the kernel's tracepoints and page_owner record it */
	page_list_init(&ret);
	/* migrate_pages_sync(): the sync modes try async first, then the rest in mode. */
	if (mode != BZ_MIGRATE_ASYNC) {
		migrate_passes(sys, from, &ret, get_new, put_new, private, BZ_MIGRATE_ASYNC,
			       NR_MAX_MIGRATE_ASYNC_RETRY, &st);
		passes -= NR_MAX_MIGRATE_ASYNC_RETRY;
	}
	if (!st.rc_saved && !page_list_empty(from)) {
		migrate_passes(sys, from, &ret, get_new, put_new, private, mode, passes, &st);
		/* -EAGAIN after the last pass counts as failure. */
		for (struct bz_page *p = page_list_first(sys, from); p && !st.rc_saved; p = page_list_next(sys, p)) {
			st.nr_failed++;
			st.nr_failed_pages += 1ul << migrate_block_order(p);
		}
	}
	bz__page_list_splice(sys, &ret, from);
	if (st.nr_succeeded)
		count_vm_events(sys, PGMIGRATE_SUCCESS, st.nr_succeeded);
	if (st.nr_failed_pages)
		count_vm_events(sys, PGMIGRATE_FAIL, st.nr_failed_pages);
	if (nr_succeeded)
		*nr_succeeded = st.nr_succeeded;
	return st.rc_saved ? st.rc_saved : st.nr_failed;
}
