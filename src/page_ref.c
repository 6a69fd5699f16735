/* SPDX-License-Identifier: MIT */
/*
 * page_ref.c - the public calls on a page's reference count, compound
 * state and the fields kernel code keeps in it: get_page, put_page,
 * get_page_unless_zero, page_ref_* (include/linux/mm.h, page_ref.h),
 * compound_head and friends (page-flags.h), page flags and private.  The
 * count's rules are page_ref.h's; a reference that is the last goes
 * through the free path (page_free.c).
 */
#include <limits.h>
#include <stdio.h>

#include "entry.h"

/* A head that holds references: allocated, not frozen, count above 0; its count, else 0. */
static int held_count(const struct bz_page *p)
{
	int c = page_ref_count_acquire(p);

	return (PAGE_GET(p, flags) & (PG_head | PG_frozen)) == PG_head && c > 0 ? c : 0;
}

/*
 * nr more references to the page at pfn, which must hold one (get_page,
 * page_ref_add); the new count, or -EINVAL (reported as what).
 */
static int ref_add(struct bz_system *sys, unsigned long pfn, int nr, const char *what)
{
	struct bz_page *p = pfn_to_page(sys, pfn);
	char why[128];
	int c;

	do {
		c = held_count(p);
		if (!c) {
			snprintf(why, sizeof(why), "%s on a page with no reference (refcount 0): a free page", what);
			return bz__bad_page(sys, pfn, why);
		}
		if (c > INT_MAX - nr) {
			snprintf(why, sizeof(why), "%s: the reference count would overflow", what);
			return bz__bad_page(sys, pfn, why);
		}
	} while (!page_ref_cmpxchg(p, c, c + nr));
	return c + nr;
}

static bool nr_ok(bz_page *page, int nr, const char *what)
{
	if (nr > 0)
		return true;
	bz__log(NULL, BZ_LOG_ERR, "%s(%p, %d): the number of references must be above 0", what, (void *)page, nr);
	return false;
}

BZ_API int bz_page_ref_count(const bz_page *page)
{
	unsigned long pfn;

	return bz__page_owner(page, &pfn) ? page_ref_count(page) : -EINVAL;
}

BZ_API int bz_page_count(const bz_page *page)
{
	unsigned long pfn;

	return bz__page_owner(page, &pfn) ? page_ref_count(compound_head((struct bz_page *)page)) : -EINVAL;
}

BZ_API int bz_get_page(bz_page *page)
{
	struct bz_system *sys;
	unsigned long pfn;
	int ret;

	sys = bz__page_owner_checked(page, "bz_get_page", &pfn);
	if (!sys)
		return -EINVAL;
	/* folio_get(page_folio(page)) */
	ret = ref_add(sys, pfn - PAGE_GET(page, compound_off), 1, "get_page");
	return ret < 0 ? ret : 0;
}

BZ_API int bz_page_ref_add(bz_page *page, int nr)
{
	struct bz_system *sys;
	unsigned long pfn;

	if (!nr_ok(page, nr, "bz_page_ref_add"))
		return -EINVAL;
	sys = bz__page_owner_checked(page, "bz_page_ref_add", &pfn);
	return sys ? ref_add(sys, pfn, nr, "page_ref_add") : -EINVAL;
}

BZ_API int bz_put_page(bz_page *page)
{
	struct bz_system *sys;
	unsigned long pfn;

	sys = bz__page_owner_checked(page, "bz_put_page", &pfn);
	/* folio_put(page_folio(page)) */
	return sys ? bz__put_page_refs(sys, pfn - PAGE_GET(page, compound_off), 1, "put_page") : -EINVAL;
}

BZ_API int bz_page_ref_sub(bz_page *page, int nr)
{
	struct bz_system *sys;
	unsigned long pfn;

	if (!nr_ok(page, nr, "bz_page_ref_sub"))
		return -EINVAL;
	sys = bz__page_owner_checked(page, "bz_page_ref_sub", &pfn);
	return sys ? bz__put_page_refs(sys, pfn, nr, "page_ref_sub_and_test") : -EINVAL;
}

/* ---- get_page_unless_zero: a reference without holding one ---------------------------- */

/* With every cache owner of the system stopped: no fast free is between its load and its store. */
static int try_get_stopped(struct bz_system *sys, void *arg)
{
	struct bz_page *p = arg;
	int c;

	(void)sys;
	do {
		c = page_ref_count(p);
		if (c <= 0)
			return 0;
	} while (!page_ref_cmpxchg(p, c, c + 1));
	return 1;
}

/*
 * page_ref_add_unless(page, 1, 0).  From 2 or more, a compare-and-swap:
 * the fast free frees only a count it reads as 1, and nothing but a
 * stopped speculative get raises a count of 1 that its holder is freeing.
 * At 1 that is what it does (page_ref.h): every owner out of its cache
 * section, so the holder's fast free is either done (count 0: no
 * reference) or not begun (it will read 2 and take the general path).
 */
BZ_API int bz_get_page_unless_zero(bz_page *page)
{
	struct bz_system *sys;
	unsigned long pfn;
	int c;

	sys = bz__page_owner_checked(page, "bz_get_page_unless_zero", &pfn);
	if (!sys)
		return -EINVAL;
	for (;;) {
		c = page_ref_count(page);
		if (c <= 0)
			return 0;
		if (c == 1)
			return bz__tcache_stopped_call(sys, try_get_stopped, page);
		if (page_ref_cmpxchg(page, c, c + 1))
			return 1;
	}
}

/* ---- compound pages ------------------------------------------------------------------- */

BZ_API bz_page *bz_compound_head(const bz_page *page)
{
	unsigned long pfn;

	return bz__page_owner(page, &pfn) ? compound_head((struct bz_page *)page) : NULL;
}

BZ_API int bz_compound_order(const bz_page *page)
{
	unsigned long pfn;

	return bz__page_owner(page, &pfn) ? (int)compound_order(page) : -EINVAL;
}

BZ_API int bz_page_is_head(const bz_page *page)
{
	unsigned long pfn;

	return bz__page_owner(page, &pfn) ? page_is_compound_head(page) : -EINVAL;
}

BZ_API int bz_page_is_tail(const bz_page *page)
{
	unsigned long pfn;

	return bz__page_owner(page, &pfn) ? page_is_tail(page) : -EINVAL;
}

/* ---- the holder's fields -------------------------------------------------------------- */

static unsigned uflag_bit(enum bz_page_flag flag)
{
	switch (flag) {
	case BZ_PAGE_PRIVATE:
		return UPG_private;
	case BZ_PAGE_RESERVED:
		return UPG_reserved;
	}
	return 0;
}

/* A page of ours and a flag we know: the flag's bit, else 0 (logged). */
static unsigned uflag_of(const bz_page *page, enum bz_page_flag flag, const char *what, struct bz_system **sys,
			 unsigned long *pfn)
{
	unsigned bit = uflag_bit(flag);

	*sys = bz__page_owner_checked(page, what, pfn);
	if (!*sys)
		return 0;
	if (!bit)
		bz__log(*sys, BZ_LOG_ERR, "%s(%p, %d): no such page flag", what, (const void *)page, (int)flag);
	return bit;
}

/* The first page of the allocated block that holds pfn (a compound page's head included), or NULL. */
static struct bz_page *block_head(struct bz_system *sys, unsigned long pfn)
{
	struct bz_page *p = pfn_to_page(sys, pfn);
	const struct bz_zone *z = bz__pfn_zone(sys, pfn);

	if (page_is_tail(p))
		return compound_head(p);
	for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
		unsigned long h = pfn & ~((1ul << o) - 1);
		struct bz_page *hp = pfn_to_page(sys, h);

		if (!zone_spans_pfn(z, h))
			break;
		if ((PAGE_GET(hp, flags) & (PG_head | PG_frozen)) == PG_head && PAGE_GET(hp, order) >= o)
			return hp;
		if (PAGE_GET(hp, flags) & (PG_buddy | PG_pcp | PG_head))
			break;
	}
	return NULL;
}

BZ_API int bz_page_flag_test(const bz_page *page, enum bz_page_flag flag)
{
	struct bz_system *sys;
	unsigned long pfn;
	unsigned bit = uflag_of(page, flag, "bz_page_flag_test", &sys, &pfn);

	return bit ? page_uflag_test(page, bit) : -EINVAL;
}

/*
 * SetPageXxx() on a page of an allocated block; a page that is not the
 * block's first marks the first (UPG_inner), so that the block's free
 * clears it (free_pages_prepare).  Free memory is refused.
 */
BZ_API int bz_page_flag_set(bz_page *page, enum bz_page_flag flag)
{
	struct bz_system *sys;
	unsigned long pfn;
	unsigned bit = uflag_of(page, flag, "bz_page_flag_set", &sys, &pfn);
	struct bz_page *head;

	if (!bit)
		return -EINVAL;
	head = block_head(sys, pfn);
	if (!head)
		return bz__bad_page(sys, pfn, "SetPage on a page of no allocated block");
	if (head != page)
		page_uflag_set(head, UPG_inner);
	page_uflag_set(page, bit);
	return 0;
}

BZ_API int bz_page_flag_clear(bz_page *page, enum bz_page_flag flag)
{
	struct bz_system *sys;
	unsigned long pfn;
	unsigned bit = uflag_of(page, flag, "bz_page_flag_clear", &sys, &pfn);

	if (!bit)
		return -EINVAL;
	page_uflag_clear(page, bit);
	return 0;
}

BZ_API unsigned long bz_page_private(const bz_page *page)
{
	unsigned long pfn;

	return bz__page_owner(page, &pfn) ? page->private : 0;
}

BZ_API int bz_set_page_private(bz_page *page, unsigned long private_data)
{
	unsigned long pfn;

	if (!bz__page_owner_checked(page, "bz_set_page_private", &pfn))
		return -EINVAL;
	page->private = private_data;
	return 0;
}
