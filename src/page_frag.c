/* SPDX-License-Identifier: MIT */
/*
 * page_frag.c - page fragments, as mm/page_frag_cache.c (Linux 6.6-6.11's
 * page_frag_cache with va, offset, size and pagecnt_bias): small buffers
 * carved downward out of a 32 KiB compound page (one page when that is
 * short), each holding a reference to the page.  The cache takes a large
 * bias of references up front and hands one out per fragment without an
 * atomic; the page is reused in place when every fragment came back, and
 * freed by the last fragment's free once the cache moved on.
 */
#include "entry.h"

#define PAGE_FRAG_CACHE_MAX_SIZE  BZ_PAGE_FRAG_CACHE_MAX_SIZE
#define PAGE_FRAG_CACHE_MAX_ORDER 3     /* get_order(PAGE_FRAG_CACHE_MAX_SIZE) */

_Static_assert(PAGE_FRAG_CACHE_MAX_SIZE == BZ_PAGE_SIZE << PAGE_FRAG_CACHE_MAX_ORDER, "32 KiB: order 3");

/* __page_frag_cache_refill(): a compound order-3 page if one comes easily, else a single page. */
static bz_page *frag_cache_refill(bz_system *sys, struct bz_page_frag_cache *nc, bz_gfp_t gfp)
{
	bz_gfp_t big = (gfp & ~BZ_GFP_DIRECT_RECLAIM) | BZ_GFP_COMP | BZ_GFP_NOWARN | BZ_GFP_NORETRY |
		       BZ_GFP_NOMEMALLOC;
	bz_page *page = bz_alloc_pages_node(sys, -1, big & ~BZ_GFP_NOFAIL, PAGE_FRAG_CACHE_MAX_ORDER);

	nc->size = page ? PAGE_FRAG_CACHE_MAX_SIZE : BZ_PAGE_SIZE;
	if (!page)
		page = bz_alloc_pages_node(sys, -1, gfp, 0);
	nc->va = page ? bz_page_address(page) : NULL;
	return page;
}

/*
 * The cache's bias of references to its page goes.  If they are all there
 * are (every fragment came back), the page is the cache's again with a
 * fresh bias: true (the kernel's page_ref_sub_and_test reaching 0, then
 * set_page_count, in one compare-and-swap, so that no check sees an
 * allocated page without a reference).  Else the fragments' holders keep
 * it: false.
 */
static bool frag_page_reuse(struct bz_system *sys, unsigned long pfn, int bias)
{
	struct bz_page *p = pfn_to_page(sys, pfn);

	for (;;) {
		int c = page_ref_count_acquire(p);

		if (c == bias) {
			if (page_ref_cmpxchg(p, c, PAGE_FRAG_CACHE_MAX_SIZE + 1))
				return true;
		} else if (c < bias) {
			bz__bad_page(sys, pfn, "page_frag_alloc: more fragments freed than handed out; page left alone");
			return false;
		} else if (page_ref_cmpxchg(p, c, c - bias)) {
			return false;
		}
	}
}

BZ_API void *bz_page_frag_alloc(bz_system *sys, struct bz_page_frag_cache *nc, unsigned int fragsz,
				bz_gfp_t gfp, unsigned int align)
{
	unsigned int size = BZ_PAGE_SIZE;
	struct bz_system *owner;
	unsigned long pfn;
	bz_page *page;
	long offset;

	if (!nc || !align || (align & (align - 1))) {
		bz__log(NULL, BZ_LOG_ERR, "page_frag_alloc: %s", nc ? "align must be a power of two" : "NULL cache");
		return NULL;
	}
	if (!nc->va) {
refill:
		page = frag_cache_refill(sys, nc, gfp);
		if (!page)
			return NULL;
		size = nc->size;
		/* Even though the cache owns the page: an add, not a set, for get_page_unless_zero users. */
		if (bz_page_ref_add(page, PAGE_FRAG_CACHE_MAX_SIZE) < 0)
			return NULL;
		nc->pfmemalloc = 0;
		nc->pagecnt_bias = PAGE_FRAG_CACHE_MAX_SIZE + 1;
		nc->offset = size;
	}
	offset = (long)nc->offset - (long)fragsz;
	if (offset < 0) {
		owner = bz__system_of_addr(nc->va);
		if (!owner)     /* its system was destroyed, and the page with it */
			goto refill;
		pfn = ((uintptr_t)nc->va - (uintptr_t)owner->base) >> BZ_PAGE_SHIFT;
		if (!frag_page_reuse(owner, pfn, (int)nc->pagecnt_bias))
			goto refill;
		size = nc->size;
		nc->pagecnt_bias = PAGE_FRAG_CACHE_MAX_SIZE + 1;
		offset = (long)size - (long)fragsz;
		/* A fragment larger than a single-page cache: the page stays, the request fails. */
		if (offset < 0)
			return NULL;
	}
	nc->pagecnt_bias--;
	offset &= ~(long)(align - 1);
	nc->offset = (unsigned int)offset;
	return (char *)nc->va + offset;
}

/* The head of the page holding addr, its system and pfn; NULL (logged) if addr is not ours. */
static struct bz_system *frag_head(const void *addr, const char *what, unsigned long *pfn)
{
	struct bz_system *sys = addr ? bz__system_of_addr(addr) : NULL;
	struct bz_page *p;

	if (!sys || !bz__pfn_zone(sys, ((uintptr_t)addr - (uintptr_t)sys->base) >> BZ_PAGE_SHIFT)) {
		bz__log(NULL, BZ_LOG_ERR, "Bad page state: %s(%p): %s", what, addr,
			addr ? "not an address of any live system" : "NULL address");
		return NULL;
	}
	*pfn = ((uintptr_t)addr - (uintptr_t)sys->base) >> BZ_PAGE_SHIFT;
	p = pfn_to_page(sys, *pfn);
	*pfn -= PAGE_GET(p, compound_off);      /* virt_to_head_page() */
	return sys;
}

BZ_API int bz_page_frag_free(void *addr)
{
	unsigned long pfn;
	struct bz_system *sys = frag_head(addr, "page_frag_free", &pfn);
	int ret;

	if (!sys)
		return -EINVAL;
	ret = bz__put_page_refs(sys, pfn, 1, "page_frag_free");
	return ret < 0 ? ret : 0;
}

BZ_API int bz_page_frag_drain_page(bz_page *page, unsigned int count)
{
	struct bz_system *sys;
	unsigned long pfn;
	int ret;

	sys = bz__page_owner_checked(page, "__page_frag_cache_drain", &pfn);
	if (!sys || !count || count > PAGE_FRAG_CACHE_MAX_SIZE + 1)
		return sys ? bz__bad_page(sys, pfn, "__page_frag_cache_drain: a count of 0, or above the bias") : -EINVAL;
	ret = bz__put_page_refs(sys, pfn, (int)count, "__page_frag_cache_drain");
	return ret < 0 ? ret : 0;
}

BZ_API void bz_page_frag_cache_drain(struct bz_page_frag_cache *nc)
{
	unsigned long pfn;
	struct bz_system *sys;

	if (!nc || !nc->va)
		return;
	sys = frag_head(nc->va, "page_frag_cache_drain", &pfn);
	if (sys)
		bz__put_page_refs(sys, pfn, (int)nc->pagecnt_bias, "page_frag_cache_drain");
	nc->va = NULL;
}
