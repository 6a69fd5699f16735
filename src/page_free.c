/* SPDX-License-Identifier: MIT */
/*
 * page_free.c - the free path and the page/address conversions.  Every
 * free is checked before anything changes (the kernel's free_page_is_bad
 * and bad_page): a pointer that is not ours, misaligned, a tail page, a
 * page already free or cached, or the wrong order is refused with -EINVAL
 * and a bad_page-style report, and the allocator is left as it was.
 */
#include <stdint.h>
#include <stdio.h>

#include "entry.h"

/* The system and pfn of a page pointer, if it is one of ours. */
static struct bz_system *page_owner(const bz_page *page, unsigned long *pfn)
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
	if (!(PAGE_GET(p, flags) & PG_init))
		snprintf(buf, size, "never used");
	else if (PAGE_GET(p, flags) & PG_buddy)
		snprintf(buf, size, "free (buddy, order %u, %s list)", PAGE_GET(p, order), bz__migratetype_names[PAGE_GET(p, mt)]);
	else if (PAGE_GET(p, flags) & PG_pcp)
		snprintf(buf, size, "free (per-thread cache, order %u)", PAGE_GET(p, order));
	else if (PAGE_GET(p, flags) & PG_head)
		snprintf(buf, size, "allocated (order %u)", PAGE_GET(p, order));
	else
		snprintf(buf, size, "not the first page of a block");
}

/* bad_page(): report and refuse; nothing has changed.  pfn may lie in a hole. */
static int bad_page(struct bz_system *sys, unsigned long pfn, const char *reason)
{
	struct bz_zone *z = bz__pfn_zone(sys, pfn);
	const struct bz_page *p = pfn_to_page(sys, pfn);
	char state[96];

	if (z)
		describe_state(p, state, sizeof(state));
	else
		snprintf(state, sizeof(state), "no page (a hole between zones)");
	bz__log(sys, BZ_LOG_ERR, "Bad page state: pfn:%05lx node:%d zone:%s flags:%#x state:%s: %s",
		pfn, z ? z->node->nid : -1, z ? bz__zone_names[z->idx] : "none", z ? PAGE_GET(p, flags) : 0,
		state, reason);
	count_vm_event(sys, PGALLOC_BAD_FREE);
	bz__debug_bad_page(sys);
	return -EINVAL;
}

/* The live system whose mem_map holds page, and its pfn; a refused page is reported. */
static struct bz_system *free_owner(bz_page *page, unsigned order, unsigned long *pfn)
{
	struct bz_system *sys = page ? bz__system_of_page(page) : NULL;
	uintptr_t off;
	char why[96];

	if (!sys) {
		bz__log(NULL, BZ_LOG_ERR, "Bad page state: bz_free_pages(%p, %u): %s", (void *)page, order,
			page ? "not a page of any live system" : "NULL page");
		return NULL;
	}
	off = (uintptr_t)page - (uintptr_t)sys->mem_map;
	*pfn = off / sizeof(struct bz_page);
	if (off % sizeof(struct bz_page)) {
		snprintf(why, sizeof(why), "page pointer %p is %zu bytes into a struct page: not a page",
			 (void *)page, (size_t)(off % sizeof(struct bz_page)));
		bad_page(sys, *pfn, why);
		return NULL;
	}
	if (!bz__pfn_zone(sys, *pfn)) {
		bad_page(sys, *pfn, "page pointer into mem_map where no zone has memory");
		return NULL;
	}
	return sys;
}

/* For a page that is not a block head: which block is it inside of? */
static int bad_inner_page(struct bz_system *sys, struct bz_zone *z, unsigned long pfn)
{
	char why[128];

	for (unsigned o = 1; o < BZ_NR_PAGE_ORDERS; o++) {
		unsigned long h = pfn & ~((1ul << o) - 1);
		const struct bz_page *hp = pfn_to_page(sys, h);

		if (!zone_spans_pfn(z, h) || !(PAGE_GET(hp, flags) & (PG_head | PG_buddy | PG_pcp)) || PAGE_GET(hp, order) < o)
			continue;
		snprintf(why, sizeof(why), "%s page %lu of the %s order-%u block at pfn %05lx",
			 PAGE_GET(hp, flags) & PG_head ? "tail" : "free", pfn - h,
			 PAGE_GET(hp, flags) & PG_head ? "allocated" : "free", PAGE_GET(hp, order), h);
		return bad_page(sys, pfn, why);
	}
	return bad_page(sys, pfn, "not the first page of an allocated block");
}

/*
 * free_page_is_bad(): under the zone lock it decides; without it (debug
 * mode's hooks run first) it is a pre-check, decided again under the lock.
 */
static int free_page_is_bad(struct bz_system *sys, struct bz_zone *z, unsigned long pfn, unsigned order)
{
	const struct bz_page *p = pfn_to_page(sys, pfn);
	char why[96];

	if (!(PAGE_GET(p, flags) & PG_init))
		return bad_page(sys, pfn, "freeing a page that was never allocated");
	if (PAGE_GET(p, flags) & PG_buddy)
		return bad_page(sys, pfn, "double free: the page is already free");
	if (PAGE_GET(p, flags) & PG_pcp)
		return bad_page(sys, pfn, "double free: the page is already in a per-thread cache");
	if (!(PAGE_GET(p, flags) & PG_head))
		return bad_inner_page(sys, z, pfn);
	if (PAGE_GET(p, order) != order) {
		snprintf(why, sizeof(why), "wrong order: allocated as order %u, freed as order %u", PAGE_GET(p, order), order);
		return bad_page(sys, pfn, why);
	}
	return 0;
}

/* Frees a checked-looking block through the buddy lists, checking again under the lock. */
static int free_to_buddy(struct bz_system *sys, unsigned long pfn, unsigned order)
{
	struct bz_zone *z = bz__pfn_zone(sys, pfn);
	int ret;

	bz__zone_lock(z);
	ret = free_page_is_bad(sys, z, pfn, order);
	if (!ret) {
		PAGE_SET(pfn_to_page(sys, pfn), flags, PAGE_GET(pfn_to_page(sys, pfn), flags) & ((uint8_t)~PG_head));
		bz__free_one_page_locked(z, pfn, order, get_pageblock_migratetype(sys, pfn));
	}
	bz__zone_unlock(z);
	return ret;
}

/* Every check and the buddy path; also the report for anything refused. */
static int __attribute__((noinline)) free_pages_slow(bz_page *page, unsigned order)
{
	/* Read before the lookup finds sys alive: a later destroy makes it stale again. */
	uint64_t gen = atomic_load_explicit(&bz__tls_gen, memory_order_acquire);
	struct bz_system *sys;
	unsigned long pfn = 0;
	int ret;

	sys = free_owner(page, order, &pfn);
	if (bz_unlikely(!sys))
		return -EINVAL;
	if (bz_unlikely(order > BZ_MAX_ORDER))
		return bad_page(sys, pfn, "freeing with an order above the maximum");
	/* Debug mode: poison, zero or guard the block before a cache or a list holds it. */
	if (bz_unlikely(sys->debug.flags)) {
		ret = free_page_is_bad(sys, bz__pfn_zone(sys, pfn), pfn, order);
		if (ret)
			return ret;
		bz__debug_free(sys, pfn, order);
	}
	if (pcp_allowed_order(order)) {
		struct bz_page *p = pfn_to_page(sys, pfn);
		struct bz_tcache *tc = bz__task_cache(sys);

		/* The thread's system, alive: its fast frees may resume (a free-only thread never sets a memo). */
		if (tc && tc == bz__current.task.tc)
			tls_refresh_gen(&bz__current.task, gen);

		if (tc && (PAGE_GET(p, flags) & (PG_init | PG_head | PG_buddy | PG_pcp)) == (PG_init | PG_head) &&
		    PAGE_GET(p, order) == order) {
			bz__free_unref_page(tc, &tc->pcp[p->zone_id], p, pfn, order,
					    get_pageblock_migratetype(sys, pfn));
			ret = 0;
			goto out;
		}
	}
	ret = free_to_buddy(sys, pfn, order);
out:
	/* Merged blocks may ask for page reporting; the worker starts with no lock held. */
	bz__page_reporting_poll(sys);
	/* A reclaiming thread's frees are its progress (vmscan.c turns its fast path off). */
	return bz__reclaim_account(sys, order, ret);
}

/*
 * free_one_page() without the cache: every check of bz_free_pages, then
 * the buddy lists (bzreplay follows a kernel whose frees it sees go there).
 */
BZ_API int bz_free_pages_to_buddy(bz_page *page, unsigned order)
{
	struct bz_system *sys;
	unsigned long pfn = 0;
	int ret;

	sys = free_owner(page, order, &pfn);
	if (bz_unlikely(!sys))
		return -EINVAL;
	if (bz_unlikely(order > BZ_MAX_ORDER))
		return bad_page(sys, pfn, "freeing with an order above the maximum");
	if (bz_unlikely(sys->debug.flags)) {
		ret = free_page_is_bad(sys, bz__pfn_zone(sys, pfn), pfn, order);
		if (ret)
			return ret;
		bz__debug_free(sys, pfn, order);
	}
	ret = free_to_buddy(sys, pfn, order);
	bz__page_reporting_poll(sys);
	return bz__reclaim_account(sys, order, ret);
}

/*
 * The fast path, for the common case only: a single page of the thread's
 * current system (no system was destroyed since it looked, so it is
 * alive), the head of an allocated order-0 block, its pageblock of a pcp
 * type, its zone not below the high watermark, the cache below high and no
 * drainer about.  It goes onto the cache's list with no lock and no atomic
 * read-modify-write, as free_unref_page_commit() would put it; anything
 * else, every misuse included, takes free_pages_slow.
 */
static inline __attribute__((always_inline)) bool free_fast(struct bz_task *t, struct bz_page *p, uintptr_t pfn)
{
	uintptr_t mt = atomic_load_explicit(&t->pageblock_mt[pfn >> BZ_PAGEBLOCK_ORDER], memory_order_relaxed);
	struct bz_pcp *pcp;

	/* Allocated, a block head, order 0: flags and order in one compare. */
	if (bz_unlikely(PAGE_GET(p, state) != PAGE_STATE(PG_init | PG_head, 0) || mt >= BZ_MIGRATE_PCPTYPES))
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
		return bad_page(sys, off >> BZ_PAGE_SHIFT, why);
	}
	if (!bz__pfn_zone(sys, off >> BZ_PAGE_SHIFT))
		return bad_page(sys, off >> BZ_PAGE_SHIFT, "bz_free_pages_addr: address in a hole between zones");
	return bz_free_pages(pfn_to_page(sys, off >> BZ_PAGE_SHIFT), order);
}

/* ---- conversions ------------------------------------------------------------------ */

BZ_API void *bz_page_address(const bz_page *page)
{
	unsigned long pfn;
	struct bz_system *sys = page_owner(page, &pfn);

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

	return page_owner(page, &pfn) ? pfn : (unsigned long)-1;
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
	struct bz_system *sys = page_owner(page, &pfn);

	return sys ? bz__pfn_zone(sys, pfn)->node->nid : -EINVAL;
}

BZ_API int bz_page_zonenum(const bz_page *page)
{
	unsigned long pfn;
	struct bz_system *sys = page_owner(page, &pfn);

	return sys ? bz__pfn_zone(sys, pfn)->idx : -EINVAL;
}
