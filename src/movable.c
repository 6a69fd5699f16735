/* SPDX-License-Identifier: MIT */
/*
 * movable.c - the public calls that mark a block movable, as the kernel's
 * __SetPageMovable(), __ClearPageMovable() and PageMovable() (6.0-6.16):
 * the checks, and the first mark starts the kcompactd threads.  What a
 * mark means and how marked blocks move is the compaction layer's
 * (compaction.h, migrate.c).
 */
#include "entry.h"

/* The block head at pfn as a movable block may be: allocated, referenced; else why not. */
static const char *not_markable(const struct bz_page *p)
{
	if ((PAGE_GET(p, flags) & (PG_init | PG_head | PG_frozen | PG_buddy | PG_pcp)) != (PG_init | PG_head) ||
	    page_ref_count(p) <= 0)
		return "__SetPageMovable on a page that is not the first page of an allocated block";
	if (PAGE_GET(p, mt) != BZ_MIGRATE_MOVABLE)
		return "__SetPageMovable on a block not allocated with BZ_GFP_MOVABLE";
	if (PAGE_GET(p, order) >= BZ_PAGEBLOCK_ORDER)
		return "__SetPageMovable on a block of pageblock order or more: compaction never moves one";
	if (page_uflag_test(p, UPG_movable))
		return "__SetPageMovable on a page that is movable already";
	return NULL;
}

BZ_API int bz_set_page_movable(bz_page *page, const struct bz_movable_operations *ops)
{
	struct bz_system *sys;
	unsigned long pfn;
	const char *why;

	sys = bz__page_owner_checked(page, "bz_set_page_movable", &pfn);
	if (!sys)
		return -EINVAL;
	if (!ops || !ops->migrate_page) {
		bz__log(sys, BZ_LOG_ERR, "bz_set_page_movable(%p): %s", (void *)page,
			ops ? "movable_operations without migrate_page" : "no movable_operations");
		return -EINVAL;
	}
	why = not_markable(page);
	if (why)
		return bz__bad_page(sys, pfn, why);
	page_set_movable(page, ops);
	/* kcompactd_run(): now there is something to compact. */
	if (!atomic_load_explicit(&sys->movable_seen, memory_order_relaxed) && !atomic_exchange(&sys->movable_seen, true))
		bz__kcompactd_run(sys);
	return 0;
}

BZ_API int bz_clear_page_movable(bz_page *page)
{
	struct bz_system *sys;
	unsigned long pfn;

	sys = bz__page_owner_checked(page, "bz_clear_page_movable", &pfn);
	if (!sys)
		return -EINVAL;
	if (!page_movable_ops(page))
		return bz__bad_page(sys, pfn, "__ClearPageMovable on a page that is not movable");
	page_clear_movable(page);
	return 0;
}

BZ_API int bz_page_movable(const bz_page *page)
{
	unsigned long pfn;

	return bz__page_owner(page, &pfn) ? page_movable_ops(page) != NULL : -EINVAL;
}
