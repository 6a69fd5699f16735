/* SPDX-License-Identifier: MIT */
/*
 * page_free.c - the free path and the page/address conversions.  A free
 * drops the caller's reference, as the kernel's __free_pages does, and
 * frees the block with the last one (put_page's last reference comes here
 * too, from page_ref.c).  Every free is checked before anything changes
 * (the kernel's free_page_is_bad and bad_page): a pointer that is not
 * ours, misaligned, a tail page, a page with no reference (free, cached,
 * a double free), or the wrong order is refused with -EINVAL and a
 * bad_page-style report, and the allocator is left as it was.
 */
#include <stdint.h>
#include <stdio.h>

#include "entry.h"

/* The system and pfn of a page pointer, if it is one of ours (in a zone). */
struct bz_system *bz__page_owner(const bz_page *page, unsigned long *pfn)
{
	struct bz_system *sys = page ? bz__system_of_page(page) : NULL;
	uintptr_t off;

	if (!sys)
		return NULL;
	off = (uintptr_t)page - (uintptr_t)sys->mem_map;
	if (off % sizeof(struct bz_page))
		return NULL;
	*pfn = off / sizeof(struct bz_page);
	return bz__pfn_zone(sys, *pfn) ? sys : NULL;
}

static void describe_state(const struct bz_page *p, char *buf, size_t size)
{
	uint8_t flags = PAGE_GET(p, flags);

	if (!(flags & PG_init))
		snprintf(buf, size, "never used");
	else if (flags & PG_buddy)
		snprintf(buf, size, "free (buddy, order %u, %s list)", PAGE_GET(p, order), bz__migratetype_names[PAGE_GET(p, mt)]);
	else if (flags & PG_pcp)
		snprintf(buf, size, "free (per-thread cache, order %u)", PAGE_GET(p, order));
	else if ((flags & PG_head) && (flags & PG_frozen))
		snprintf(buf, size, "free (away from the lists, order %u)", PAGE_GET(p, order));
	else if (flags & PG_head)
		snprintf(buf, size, "allocated (%sorder %u)", flags & PG_compound ? "compound, " : "", PAGE_GET(p, order));
	else if (page_is_tail(p))
		snprintf(buf, size, "tail %u of a compound page", PAGE_GET(p, compound_off));
	else
		snprintf(buf, size, "not the first page of a block");
}

/* bad_page(): report and refuse; nothing has changed.  pfn may lie in a hole. */
int bz__bad_page(struct bz_system *sys, unsigned long pfn, const char *reason)
{
	struct bz_zone *z = bz__pfn_zone(sys, pfn);
	const struct bz_page *p = pfn_to_page(sys, pfn);
	char state[96], refs[32] = "";

	if (z) {
		describe_state(p, state, sizeof(state));
		snprintf(refs, sizeof(refs), " refcount:%d", page_ref_count(p));
	} else {
		snprintf(state, sizeof(state), "no page (a hole between zones)");
	}
	bz__log(sys, BZ_LOG_ERR, "Bad page state: pfn:%05lx node:%d zone:%s flags:%#x%s state:%s: %s",
		pfn, z ? z->node->nid : -1, z ? bz__zone_names[z->idx] : "none", z ? PAGE_GET(p, flags) : 0,
		refs, state, reason);
	count_vm_event(sys, PGALLOC_BAD_FREE);
	bz__debug_bad_page(sys);
	return -EINVAL;
}

/* The live system whose mem_map holds page, and its pfn; a refused page is reported. */
static inline struct bz_system *owner_checked(const bz_page *page, const char *what, unsigned long *pfn)
{
	struct bz_system *sys = page ? bz__system_of_page(page) : NULL;
	uintptr_t off;
	char why[128];

	if (!sys) {
		bz__log(NULL, BZ_LOG_ERR, "Bad page state: %s(%p): %s", what, (const void *)page,
			page ? "not a page of any live system" : "NULL page");
		return NULL;
	}
	off = (uintptr_t)page - (uintptr_t)sys->mem_map;
	*pfn = off / sizeof(struct bz_page);
	if (off % sizeof(struct bz_page)) {
		snprintf(why, sizeof(why), "%s: page pointer %p is %zu bytes into a struct page: not a page",
			 what, (const void *)page, (size_t)(off % sizeof(struct bz_page)));
		bz__bad_page(sys, *pfn, why);
		return NULL;
	}
	if (!bz__pfn_zone(sys, *pfn)) {
		snprintf(why, sizeof(why), "%s: page pointer into mem_map where no zone has memory", what);
		bz__bad_page(sys, *pfn, why);
		return NULL;
	}
	return sys;
}

struct bz_system *bz__page_owner_checked(const bz_page *page, const char *what, unsigned long *pfn)
{
	return owner_checked(page, what, pfn);
}

/* For a page that is not a block head: which block is it inside of?  The reason into why. */
static void inner_page_reason(struct bz_system *sys, unsigned long pfn, char *why, size_t size)
{
	const struct bz_page *p = pfn_to_page(sys, pfn);
	const struct bz_zone *z = bz__pfn_zone(sys, pfn);

	if (page_is_tail(p)) {
		unsigned long h = pfn - PAGE_GET(p, compound_off);

		snprintf(why, size, "tail page %u of the compound order-%u page at pfn %05lx, freed on its own",
			 PAGE_GET(p, compound_off), PAGE_GET(pfn_to_page(sys, h), order), h);
		return;
	}
	for (unsigned o = 1; o < BZ_NR_PAGE_ORDERS; o++) {
		unsigned long h = pfn & ~((1ul << o) - 1);
		const struct bz_page *hp = pfn_to_page(sys, h);

		if (!zone_spans_pfn(z, h) || !(PAGE_GET(hp, flags) & (PG_head | PG_buddy | PG_pcp)) || PAGE_GET(hp, order) < o)
			continue;
		snprintf(why, size, "%s page %lu of the %s order-%u block at pfn %05lx",
			 PAGE_GET(hp, flags) & PG_head ? "tail" : "free", pfn - h,
			 PAGE_GET(hp, flags) & PG_head ? "allocated" : "free", PAGE_GET(hp, order), h);
		return;
	}
	snprintf(why, size, "not the first page of an allocated block");
}

/*
 * free_page_is_bad()'s test: is the block at pfn an allocated block of
 * this order with a reference to drop?  frozen: the caller took its last
 * reference already (freeze_block).  Returns the reason (in why), NULL if
 * none; logs nothing, so that it may run under the zone lock.
 */
static const char *block_bad_reason(struct bz_system *sys, unsigned long pfn, unsigned order, bool frozen,
				    char *why, size_t size)
{
	const struct bz_page *p = pfn_to_page(sys, pfn);
	uint8_t flags = PAGE_GET(p, flags);

	if (!(flags & PG_init))
		return "freeing a page that was never allocated";
	if (flags & PG_buddy)
		return "double free: the page is already free";
	if (flags & PG_pcp)
		return "double free: the page is already in a per-thread cache";
	if (!(flags & PG_head)) {
		inner_page_reason(sys, pfn, why, size);
		return why;
	}
	if (PAGE_GET(p, order) != order) {
		snprintf(why, size, "wrong order: allocated as order %u, freed as order %u", PAGE_GET(p, order), order);
		return why;
	}
	if (!frozen && ((flags & PG_frozen) || page_ref_count(p) <= 0))
		return "double free: the page has no reference left (refcount 0)";
	return NULL;
}

/* free_page_is_bad(): the test, reported (bad_page); without the zone lock a pre-check. */
static int free_page_is_bad(struct bz_system *sys, unsigned long pfn, unsigned order, bool frozen)
{
	const struct bz_page *p = pfn_to_page(sys, pfn);
	const char *reason;
	char why[160];

	/* The common case in one look: an allocated block of this order with a reference. */
	if (bz_likely((PAGE_GET(p, flags) & (PG_init | PG_head | PG_buddy | PG_pcp | PG_frozen)) ==
		      (PG_init | PG_head) && PAGE_GET(p, order) == order && page_ref_count(p) > 0))
		return 0;
	reason = block_bad_reason(sys, pfn, order, frozen, why, sizeof(why));
	return reason ? bz__bad_page(sys, pfn, reason) : 0;
}

/*
 * Debug mode (free_page_is_bad under check_pages_enabled): what the holder
 * must have cleared on every page before the free, as the kernel's
 * page_bad_reason.  NULL if nothing.
 */
static const char *debug_page_bad_reason(struct bz_system *sys, unsigned long pfn, unsigned order)
{
	for (unsigned long i = 0; i < 1ul << order; i++) {
		const struct bz_page *p = pfn_to_page(sys, pfn + i);

		/* A movable page's mapping is the library's: the free clears it (free_pages_prepare). */
		if (p->mapping && !(i == 0 && page_uflag_test(p, UPG_movable)))
			return "non-NULL mapping";
		if (page_uflag_test(p, UPG_private | UPG_reserved))
			return "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
	}
	return NULL;
}

/*
 * The block's last refs references go and the block to the buddy lists,
 * under the zone lock, checked again there.  refs 0: frozen by the caller.
 * -EAGAIN: a speculative reference came first; nothing changed.
 */
static int free_to_buddy(struct bz_system *sys, unsigned long pfn, unsigned order, int refs)
{
	struct bz_page *p = pfn_to_page(sys, pfn);
	struct bz_zone *z = page_zone(sys, p);    /* an initialised page: it passed the pre-check */
	const char *reason;
	char why[160];
	int ret = 0;

	bz__zone_lock(z);
	reason = block_bad_reason(sys, pfn, order, !refs, why, sizeof(why));
	if (!reason && !page_put_last(p, refs, order))
		ret = -EAGAIN;
	if (!reason && !ret) {
		PAGE_SET(p, flags, PAGE_GET(p, flags) & ((uint8_t)~(PG_head | PG_frozen)));
		bz__free_one_page_locked(z, pfn, order, get_pageblock_migratetype(sys, pfn));
	}
	bz__zone_unlock(z);
	return reason ? bz__bad_page(sys, pfn, reason) : ret;
}

/*
 * Debug mode's hooks poison and guard a block that nobody may reference
 * any more: its last reference goes first, under the zone lock (a check
 * sees an allocated head without one only as PG_frozen).
 */
static int freeze_block(struct bz_system *sys, unsigned long pfn, unsigned order, int refs)
{
	struct bz_page *p = pfn_to_page(sys, pfn);
	struct bz_zone *z = page_zone(sys, p);    /* an initialised page: it passed the pre-check */
	const char *reason;
	char why[160];
	int ret = 0;

	bz__zone_lock(z);
	reason = block_bad_reason(sys, pfn, order, false, why, sizeof(why));
	if (!reason)
		reason = debug_page_bad_reason(sys, pfn, order);
	if (!reason && !page_ref_cmpxchg(p, refs, 0))
		ret = -EAGAIN;
	if (!reason && !ret)
		PAGE_SET(p, flags, PAGE_GET(p, flags) | PG_frozen);
	bz__zone_unlock(z);
	return reason ? bz__bad_page(sys, pfn, reason) : ret;
}

/*
 * free_frozen_pages() for the holder of the last refs references: the
 * thread's cache for the orders it holds (free_unref_page_commit), else the
 * buddy lists; the references go inside the section that frees.  -EAGAIN:
 * a speculative reference came first (the caller looks again).
 */
static int free_block_last(struct bz_system *sys, unsigned long pfn, unsigned order, int refs, uint64_t gen)
{
	struct bz_page *p = pfn_to_page(sys, pfn);

	/* Debug mode: poison, zero or guard the block before a cache or a list holds it. */
	if (bz_unlikely(sys->debug.flags)) {
		int ret = freeze_block(sys, pfn, order, refs);

		if (ret)
			return ret;
		bz__debug_free(sys, pfn, order);
		refs = 0;
	}
	if (pcp_allowed_order(order)) {
		struct bz_tcache *tc = bz__task_cache(sys);

		/* The thread's system, alive: its fast frees may resume (a free-only thread never sets a memo). */
		if (tc && tc == bz__current.task.tc)
			tls_refresh_gen(&bz__current.task, gen);

		if (tc && (PAGE_GET(p, flags) & (PG_init | PG_head | PG_buddy | PG_pcp)) == (PG_init | PG_head) &&
		    PAGE_GET(p, order) == order)
			return bz__free_unref_page(tc, &tc->pcp[p->zone_id], p, pfn, order,
						   get_pageblock_migratetype(sys, pfn), refs) ? 0 : -EAGAIN;
	}
	return free_to_buddy(sys, pfn, order, refs);
}

/*
 * __free_pages() of a non-compound block of order > 0 whose reference is
 * not the last: all but the first page go now, in the pieces the kernel
 * frees (page + 2^o at order o, for o = order - 1 .. 0), the first stays
 * with the other holders as an order-0 page (lib/test_free_pages.c).
 * Under the zone lock the head becomes order 0 before the reference goes
 * (released by that compare-and-swap): a last put_page elsewhere, which
 * sees the count fall to 1 after it, frees order 0 only.  Returns 1 when
 * the reference turned out to be the last (nothing changed: the caller
 * frees the whole block), 0 when done, or -EINVAL.
 */
static int free_all_but_first(struct bz_system *sys, struct bz_zone *z, unsigned long pfn, unsigned order,
			      uint64_t gen)
{
	struct bz_page *p = pfn_to_page(sys, pfn);
	int mt = PAGE_GET(p, mt), c, ret = 0;
	const char *reason;
	char why[160];

	bz__zone_lock(z);
	reason = block_bad_reason(sys, pfn, order, false, why, sizeof(why));
	if (reason)
		goto out;
	PAGE_SET(p, order, 0);
	do {
		c = page_ref_count(p);
	} while (c > 1 && !page_ref_cmpxchg(p, c, c - 1));
	if (c <= 1) {
		PAGE_SET(p, order, order);
		ret = 1;
		goto out;
	}
	/* Each piece an allocated block of its own, with one reference, until it is freed below. */
	for (unsigned o = 0; o < order; o++) {
		struct bz_page *piece = pfn_to_page(sys, pfn + (1ul << o));

		PAGE_SET(piece, val, PAGE_VAL(PG_init | PG_head, o, mt,
					      PAGE_GET(piece, uflags) | (o ? PAGE_GET(p, uflags) & UPG_inner : 0), 1));
	}
out:
	bz__zone_unlock(z);
	if (reason)
		return bz__bad_page(sys, pfn, reason);
	for (unsigned o = order; !ret && o-- > 0;) {
		if (free_block_last(sys, pfn + (1ul << o), o, 1, gen) == 0)
			bz__reclaim_account(sys, o, 0);
	}
	return ret;
}

/* __free_pages(): the caller's reference to the block at pfn goes; see bz_free_pages. */
static int put_block_ref(struct bz_system *sys, unsigned long pfn, unsigned order, uint64_t gen)
{
	struct bz_page *p = pfn_to_page(sys, pfn);
	int ret, c;

	for (;;) {
		ret = free_page_is_bad(sys, pfn, order, false);
		if (ret)
			return ret;
		c = page_ref_count_acquire(p);
		if (c == 1) {
			ret = free_block_last(sys, pfn, order, 1, gen);
			if (ret != -EAGAIN)
				return bz__reclaim_account(sys, order, ret);
			continue;
		}
		if (c < 1)
			continue;       /* gone meanwhile: free_page_is_bad says so */
		if (order && !page_is_compound_head(p)) {
			ret = free_all_but_first(sys, page_zone(sys, p), pfn, order, gen);
			if (ret <= 0)
				return ret;
			continue;
		}
		if (page_ref_cmpxchg(p, c, c - 1))
			return 0;
	}
}

int bz__put_page_refs(struct bz_system *sys, unsigned long pfn, int nr, const char *what)
{
	uint64_t gen = atomic_load_explicit(&bz__tls_gen, memory_order_acquire);
	struct bz_page *p = pfn_to_page(sys, pfn);
	char why[192];
	int c, ret;

	for (;;) {
		uint8_t flags = PAGE_GET(p, flags);
		unsigned order;

		c = page_ref_count_acquire(p);
		if ((flags & (PG_head | PG_frozen)) != PG_head || c <= 0) {
			snprintf(why, sizeof(why), "%s on a page with no reference (refcount 0): a free page", what);
			return bz__bad_page(sys, pfn, why);
		}
		if (c < nr) {
			snprintf(why, sizeof(why), "%s drops %d references from a page that holds %d", what, nr, c);
			return bz__bad_page(sys, pfn, why);
		}
		if (c > nr) {
			if (page_ref_cmpxchg(p, c, c - nr))
				return 0;
			continue;
		}
		/* The last references: a compound page goes whole, any other page alone (folio_order 0). */
		order = compound_order(p);
		if (!(flags & PG_compound) && PAGE_GET(p, order)) {
			snprintf(why, sizeof(why), "%s drops the last reference of a non-compound order-%u block: "
				 "it would free only its first page (bz_free_pages(page, %u) frees it)", what,
				 PAGE_GET(p, order), PAGE_GET(p, order));
			return bz__bad_page(sys, pfn, why);
		}
		ret = free_block_last(sys, pfn, order, c, gen);
		if (ret != -EAGAIN) {
			bz__page_reporting_poll(sys);
			return ret ? ret : bz__reclaim_account(sys, order, 0) + 1;
		}
	}
}

/* Every check and the general path; also the report for anything refused. */
static int __attribute__((noinline)) free_pages_slow(bz_page *page, unsigned order)
{
	/* Read before the lookup finds sys alive: a later destroy makes it stale again. */
	uint64_t gen = atomic_load_explicit(&bz__tls_gen, memory_order_acquire);
	struct bz_system *sys;
	unsigned long pfn = 0;
	int ret;

	sys = owner_checked(page, "bz_free_pages", &pfn);
	if (bz_unlikely(!sys))
		return -EINVAL;
	if (bz_unlikely(order > BZ_MAX_ORDER))
		return bz__bad_page(sys, pfn, "freeing with an order above the maximum");
	ret = put_block_ref(sys, pfn, order, gen);
	/* Merged blocks may ask for page reporting; the worker starts with no lock held. */
	bz__page_reporting_poll(sys);
	return ret;
}

/*
 * free_one_page() without the cache: every check of bz_free_pages, then
 * the buddy lists (bzreplay follows a kernel whose frees it sees go there).
 */
BZ_API int bz_free_pages_to_buddy(bz_page *page, unsigned order)
{
	uint64_t gen = atomic_load_explicit(&bz__tls_gen, memory_order_acquire);
	struct bz_system *sys;
	unsigned long pfn = 0;
	int ret;

	sys = owner_checked(page, "bz_free_pages_to_buddy", &pfn);
	if (bz_unlikely(!sys))
		return -EINVAL;
	if (bz_unlikely(order > BZ_MAX_ORDER))
		return bz__bad_page(sys, pfn, "freeing with an order above the maximum");
	do {
		ret = free_page_is_bad(sys, pfn, order, false);
		if (ret)
			return ret;
		/* Not the last reference: __free_pages' other cases (none go to a cache). */
		if (page_ref_count_acquire(pfn_to_page(sys, pfn)) != 1)
			return put_block_ref(sys, pfn, order, gen);
		if (bz_unlikely(sys->debug.flags)) {
			ret = freeze_block(sys, pfn, order, 1);
			if (ret == 0) {
				bz__debug_free(sys, pfn, order);
				ret = free_to_buddy(sys, pfn, order, 0);
			}
		} else {
			ret = free_to_buddy(sys, pfn, order, 1);
		}
	} while (ret == -EAGAIN);
	bz__page_reporting_poll(sys);
	return bz__reclaim_account(sys, order, ret);
}

/*
 * The fast path, for the common case only: a single page of the thread's
 * current system (no system was destroyed since it looked, so it is
 * alive), its pageblock of a pcp type, its zone not below the high
 * watermark, the cache below high, no drainer about, and, read inside the
 * cache's section, an allocated order-0 head that is not compound with
 * one reference, the caller's (page_sole_order0).  It goes onto the
 * cache's list with no lock and no atomic read-modify-write, as
 * free_unref_page_commit() would put it, its count 0 in the same store
 * as its state; anything else, every misuse included, takes
 * free_pages_slow.
 */
static inline __attribute__((always_inline)) bool free_fast(struct bz_task *t, struct bz_page *p, uintptr_t pfn)
{
	uintptr_t mt = atomic_load_explicit(&t->pageblock_mt[pfn >> BZ_PAGEBLOCK_ORDER], memory_order_relaxed);
	struct bz_pcp *pcp;

	if (bz_unlikely(mt >= BZ_MIGRATE_PCPTYPES))
		return false;
	pcp = (struct bz_pcp *)((char *)t->tc->pcp + (uintptr_t)p->zone_id * sizeof(struct bz_pcp));
	__asm__("" : "+r"(pcp)); /* one register for the pcp: GCC would rebuild its address per field */
	return pcp_free_fast(t->tc, pcp, p, (uint32_t)pfn, (unsigned)mt);
}

/*
 * off / (1 << shift), rotated rather than shifted: a misaligned offset's
 * low bits land on top, so one compare against the pfn count checks both
 * range and alignment.
 */
static inline uintptr_t aligned_index(uintptr_t off, unsigned shift)
{
	return off >> shift | off << (sizeof(off) * 8 - shift);
}

BZ_API int bz_free_pages(bz_page *page, unsigned order)
{
	struct bz_task *t = &bz__current.task;
	uintptr_t pfn = aligned_index((uintptr_t)page - t->mem_map, BZ_PAGE_STRUCT_SHIFT);

	if (bz_unlikely(order))
		return free_pages_slow(page, order);
	/* nr_pfns is 0 while the thread has no cache (tc is NULL). */
	if (bz_likely(pfn < t->nr_pfns && t->gen == atomic_load_explicit(&bz__tls_gen, memory_order_relaxed) &&
		      free_fast(t, page, pfn)))
		return 0;
	return free_pages_slow(page, 0);
}

BZ_API int bz_free_pages_addr(void *addr, unsigned order)
{
	struct bz_task *t = &bz__current.task;
	struct bz_system *sys;
	/* Integers, not pointers: addr may lie in no object of ours at all. */
	uintptr_t off = (uintptr_t)addr - (uintptr_t)t->base;
	uintptr_t pfn = aligned_index(off, BZ_PAGE_SHIFT);

	if (bz_likely(pfn < t->nr_pfns && t->gen == atomic_load_explicit(&bz__tls_gen, memory_order_relaxed))) {
		struct bz_page *page = (struct bz_page *)t->mem_map + pfn;

		if (bz_likely(!order && free_fast(t, page, pfn)))
			return 0;
		/* A hole between zones is reported below, as an address. */
		if (bz_likely(bz__pfn_zone(t->sys, pfn)))
			return free_pages_slow(page, order);
	}
	sys = addr ? bz__system_of_addr(addr) : NULL;
	if (!sys) {
		bz__log(NULL, BZ_LOG_ERR, "Bad page state: bz_free_pages_addr(%p, %u): %s", addr, order,
			addr ? "not an address of any live system" : "NULL address");
		return -EINVAL;
	}
	off = (uintptr_t)addr - (uintptr_t)sys->base;
	if (off & (BZ_PAGE_SIZE - 1)) {
		char why[96];

		snprintf(why, sizeof(why), "bz_free_pages_addr(%p, %u): misaligned address, %#lx bytes into the page",
			 addr, order, (unsigned long)(off & (BZ_PAGE_SIZE - 1)));
		return bz__bad_page(sys, off >> BZ_PAGE_SHIFT, why);
	}
	if (!bz__pfn_zone(sys, off >> BZ_PAGE_SHIFT))
		return bz__bad_page(sys, off >> BZ_PAGE_SHIFT, "bz_free_pages_addr: address in a hole between zones");
	return bz_free_pages(pfn_to_page(sys, off >> BZ_PAGE_SHIFT), order);
}

/* ---- conversions ------------------------------------------------------------------ */

BZ_API void *bz_page_address(const bz_page *page)
{
	unsigned long pfn;
	struct bz_system *sys = bz__page_owner(page, &pfn);

	return sys ? sys->base + (pfn << BZ_PAGE_SHIFT) : NULL;
}

BZ_API bz_page *bz_virt_to_page(const void *addr)
{
	struct bz_system *sys = addr ? bz__system_of_addr(addr) : NULL;
	unsigned long pfn;

	if (!sys)
		return NULL;
	pfn = ((uintptr_t)addr - (uintptr_t)sys->base) >> BZ_PAGE_SHIFT;
	return bz__pfn_zone(sys, pfn) ? pfn_to_page(sys, pfn) : NULL;
}

BZ_API unsigned long bz_page_to_pfn(const bz_page *page)
{
	unsigned long pfn;

	return bz__page_owner(page, &pfn) ? pfn : (unsigned long)-1;
}

BZ_API bz_page *bz_pfn_to_page(bz_system *sys, unsigned long pfn)
{
	sys = bz__resolve(sys);
	if (!sys || pfn >= sys->nr_pfns || !bz__pfn_zone(sys, pfn))
		return NULL;
	return pfn_to_page(sys, pfn);
}

BZ_API int bz_page_to_nid(const bz_page *page)
{
	unsigned long pfn;
	struct bz_system *sys = bz__page_owner(page, &pfn);

	return sys ? bz__pfn_zone(sys, pfn)->node->nid : -EINVAL;
}

BZ_API int bz_page_zonenum(const bz_page *page)
{
	unsigned long pfn;
	struct bz_system *sys = bz__page_owner(page, &pfn);

	return sys ? bz__pfn_zone(sys, pfn)->idx : -EINVAL;
}
