/* SPDX-License-Identifier: MIT */
/*
 * page_ref.h - a page's reference count, compound state and user flags:
 * the kernel's include/linux/page_ref.h and page-flags.h, as inlines over
 * struct bz_page only.  Base layer.
 *
 * Who writes _refcount (DESIGN.md, "Reference counts"):
 *   - 0 -> 1 with a plain store when a block is handed out, together with
 *     its PG_head state, under the zone lock or in the cache owner's
 *     section (set_page_refcounted); nothing can reference a page at 0.
 *   - c -> c +/- n by holders of a reference: atomic compare-and-swap,
 *     never below 1 (get_page, put_page of a reference that is not the
 *     last, page_ref_add/sub).
 *   - the last reference, 1 -> 0, inside the cache section or under the
 *     zone lock that also frees the block, so that a check never sees an
 *     allocated head without a reference: under the lock a
 *     compare-and-swap (page_put_last); in the section a plain load and
 *     store (page_put_last_owner; the fast free does it with the state in
 *     one 64-bit store).  Only the holders of the last references free
 *     them, and the only increment they do not make is a speculative
 *     get_page_unless_zero, which the entry layer makes with every cache
 *     owner stopped (bz__tcache_stopped_call): never inside a section.
 */
#ifndef BZ_PAGE_REF_H
#define BZ_PAGE_REF_H

#include "mmzone.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BZ_PAGE_REF_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define BZ_PAGE_REF_TSAN 1
#endif

/* page_ref_count(): this page's own count (a tail's is 0). */
static inline int page_ref_count(const struct bz_page *p)
{
	return __atomic_load_n(&p->_refcount, __ATOMIC_RELAXED);
}

/* The same, ordered before what the caller does next with the page (a count read as 1 may free it). */
static inline int page_ref_count_acquire(const struct bz_page *p)
{
	return __atomic_load_n(&p->_refcount, __ATOMIC_ACQUIRE);
}

/* set_page_count(): only where no reference can exist (0 -> 1 at allocation). */
static inline void set_page_count(struct bz_page *p, int v)
{
	__atomic_store_n(&p->_refcount, v, __ATOMIC_RELAXED);
}

/* The one read-modify-write of _refcount: old -> new, or false (the count was not old). */
static inline bool page_ref_cmpxchg(struct bz_page *p, int old, int new_count)
{
	return __atomic_compare_exchange_n(&p->_refcount, &old, new_count, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/* ---- compound pages (__GFP_COMP): include/linux/page-flags.h ---------------------------- */

/* PageTail(): a compound page's tail points to its head by distance. */
static inline bool page_is_tail(const struct bz_page *p)
{
	return __atomic_load_n(&p->compound_off, __ATOMIC_RELAXED) != 0;
}

/* compound_head(): the head of a tail, else the page itself. */
static inline struct bz_page *compound_head(struct bz_page *p)
{
	return p - __atomic_load_n(&p->compound_off, __ATOMIC_RELAXED);
}

/* PageHead(): the first page of an allocated compound block. */
static inline bool page_is_compound_head(const struct bz_page *p)
{
	return PAGE_GET(p, flags) & PG_compound;
}

/* compound_order(): the order of a compound head, 0 for every other page. */
static inline unsigned compound_order(const struct bz_page *p)
{
	return page_is_compound_head(p) ? PAGE_GET(p, order) : 0;
}

/*
 * prep_compound_page(): each tail points to the head (prep_compound_tail),
 * then the head becomes PageHead, released: whoever sees PG_compound sees
 * the tails.  The caller holds the block's only reference.
 */
static inline void prep_compound_page(struct bz_page *head, unsigned order)
{
	for (uint32_t i = 1; i < 1u << order; i++) {
		head[i].private = 0;
		__atomic_store_n(&head[i].compound_off, i, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&head->flags, (uint8_t)(PAGE_GET(head, flags) | PG_compound), __ATOMIC_RELEASE);
}

/*
 * free_pages_prepare(): the tails forget their head (free_tail_page_prepare),
 * the head is no longer PageHead, and the user's page flags go (flags &=
 * ~PAGE_FLAGS_CHECK_AT_PREP): the head's always, the other pages' when
 * UPG_inner says some carry any; a movable mark takes its mapping along.
 * Inside the cache section or under the zone lock that frees the block.
 * (The fast free, which clears the flags in one store, leaves a movable
 * page's mapping: nothing reads it once the mark is gone.)
 */
static inline void free_pages_prepare(struct bz_page *p, unsigned order)
{
	uint8_t flags = PAGE_GET(p, flags), uflags = PAGE_GET(p, uflags);

	if (flags & PG_compound) {
		for (uint32_t i = 1; i < 1u << order; i++)
			__atomic_store_n(&p[i].compound_off, 0, __ATOMIC_RELAXED);
		PAGE_SET(p, flags, flags & (uint8_t)~PG_compound);
	}
	if (uflags & UPG_inner)
		for (uint32_t i = 1; i < 1u << order; i++)
			PAGE_SET(&p[i], uflags, PAGE_GET(&p[i], uflags) & PGDBG_MASK);
	if (uflags & ~PGDBG_MASK) {
		/* A movable page's mapping is the library's (PageMappingFlags: page->mapping = NULL). */
		if (uflags & UPG_movable)
			__atomic_store_n(&p->mapping, NULL, __ATOMIC_RELAXED);
		PAGE_SET(p, uflags, uflags & PGDBG_MASK);
	}
}

/*
 * The last refs references of the block go with it (put_page_testzero
 * reaching zero), in the section that frees it; then free_pages_prepare.
 * False when the count is no longer refs (a get_page_unless_zero came
 * first): nothing changed.  A frozen block (PG_frozen) has none to drop.
 */
static inline bool page_put_last(struct bz_page *p, int refs, unsigned order)
{
	if (!(PAGE_GET(p, flags) & PG_frozen) && !page_ref_cmpxchg(p, refs, 0))
		return false;
	free_pages_prepare(p, order);
	return true;
}

/*
 * The same inside the cache owner's section (bz__free_unref_page): as for
 * the fast free, no speculative reference can come there, since those are
 * taken with every owner out of its section; so a plain load and store,
 * no lock prefix.
 */
static inline bool page_put_last_owner(struct bz_page *p, int refs, unsigned order)
{
	if (refs) {
		if (page_ref_count_acquire(p) != refs)
			return false;
		set_page_count(p, 0);
	}
	free_pages_prepare(p, order);
	return true;
}

/*
 * The fast free's test, inside the owner's cache section: PG_init|PG_head
 * (not compound, not frozen), order 0, one reference, in one 64-bit load.
 * Acquire: a holder's earlier put (release) happens before the reuse.
 * Under ThreadSanitizer, which synchronises by address, the count is
 * loaded on its own.
 */
static inline bool page_sole_order0(const struct bz_page *p)
{
#ifdef BZ_PAGE_REF_TSAN
	return PAGE_GET(p, state) == PAGE_STATE(PG_init | PG_head, 0) && page_ref_count_acquire(p) == 1;
#else
	return __atomic_load_n(&p->val, __ATOMIC_ACQUIRE) >> 16 ==
	       (PAGE_VAL(PG_init | PG_head, 0, 0, 0, 1) >> 16);
#endif
}

/* ---- the user's page flags (PG_private, PG_reserved): atomic bit operations -------------- */

static inline bool page_uflag_test(const struct bz_page *p, unsigned bit)
{
	return PAGE_GET(p, uflags) & bit;
}

static inline void page_uflag_set(struct bz_page *p, unsigned bit)
{
	__atomic_fetch_or(&p->uflags, (uint8_t)bit, __ATOMIC_RELAXED);
}

static inline void page_uflag_clear(struct bz_page *p, unsigned bit)
{
	__atomic_fetch_and(&p->uflags, (uint8_t)~bit, __ATOMIC_RELAXED);
}

/* Debug mode's PGDBG_* state (debug_pagealloc.c) in uflags' low bits. */
static inline unsigned page_debug_state(const struct bz_page *p)
{
	return PAGE_GET(p, uflags) & PGDBG_MASK;
}

static inline void set_page_debug_state(struct bz_page *p, unsigned state)
{
	PAGE_SET(p, uflags, (PAGE_GET(p, uflags) & ~PGDBG_MASK) | state);
}

#endif /* BZ_PAGE_REF_H */
