/* SPDX-License-Identifier: MIT */
/*
 * linux.h - the kernel's spellings over the default system, so that
 * kernel-style code (alloc_pages, __free_pages, GFP_KERNEL, page_address)
 * compiles unchanged against libbuddyzone.
 *
 * Opt-in: this header defines short, unprefixed names (gfp_t, struct page,
 * alloc_pages, free_pages, PAGE_SIZE, GFP_KERNEL, __GFP_ZERO, ZONE_NORMAL,
 * ...) that may collide with other headers or with your own code; the
 * umbrella <buddyzone/buddyzone.h> never includes it.  Constants that a
 * system header may already define (PAGE_SIZE, PAGE_SHIFT, ...) are
 * guarded with #ifndef.  Every call goes to the default system
 * (bz_default_system(), created on first use from BUDDYZONE_* variables).
 *
 * struct page is an incomplete type of its own, distinct from bz_page, so
 * a struct page * cannot be passed to a bz_ call by mistake without a cast.
 *
 * Differences from the kernel: __free_pages(NULL, order) returns quietly
 * (the kernel would crash), as free_pages(0, order) does in both; freeing
 * something that is not an allocated block is ignored rather than a BUG
 * (use bz_free_pages to see the error).  Failure reports follow the
 * allocator's rules (see bz_alloc_pages).
 */
#ifndef BUDDYZONE_LINUX_H
#define BUDDYZONE_LINUX_H

#include <buddyzone/buddyzone.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef bz_gfp_t gfp_t;

/* ---- gfp flags: include/linux/gfp_types.h -------------------------------- */

#define __GFP_DMA            BZ_GFP_DMA
#define __GFP_HIGHMEM        BZ_GFP_HIGHMEM
#define __GFP_DMA32          BZ_GFP_DMA32
#define __GFP_MOVABLE        BZ_GFP_MOVABLE
#define GFP_ZONEMASK         BZ_GFP_ZONEMASK
#define __GFP_RECLAIMABLE    BZ_GFP_RECLAIMABLE
#define __GFP_WRITE          BZ_GFP_WRITE
#define __GFP_HARDWALL       BZ_GFP_HARDWALL
#define __GFP_THISNODE       BZ_GFP_THISNODE
#define __GFP_ACCOUNT        BZ_GFP_ACCOUNT
#define __GFP_NO_OBJ_EXT     BZ_GFP_NO_OBJ_EXT
#define __GFP_HIGH           BZ_GFP_HIGH
#define __GFP_MEMALLOC       BZ_GFP_MEMALLOC
#define __GFP_NOMEMALLOC     BZ_GFP_NOMEMALLOC
#define __GFP_IO             BZ_GFP_IO
#define __GFP_FS             BZ_GFP_FS
#define __GFP_DIRECT_RECLAIM BZ_GFP_DIRECT_RECLAIM
#define __GFP_KSWAPD_RECLAIM BZ_GFP_KSWAPD_RECLAIM
#define __GFP_RECLAIM        BZ_GFP_RECLAIM
#define __GFP_RETRY_MAYFAIL  BZ_GFP_RETRY_MAYFAIL
#define __GFP_NOFAIL         BZ_GFP_NOFAIL
#define __GFP_NORETRY        BZ_GFP_NORETRY
#define __GFP_NOWARN         BZ_GFP_NOWARN
#define __GFP_COMP           BZ_GFP_COMP
#define __GFP_ZERO           BZ_GFP_ZERO
#define __GFP_ZEROTAGS       BZ_GFP_ZEROTAGS
#define __GFP_SKIP_ZERO      BZ_GFP_SKIP_ZERO
#define __GFP_SKIP_KASAN     BZ_GFP_SKIP_KASAN
#define __GFP_NOLOCKDEP      BZ_GFP_NOLOCKDEP

#define GFP_ATOMIC           BZ_GFP_ATOMIC
#define GFP_KERNEL           BZ_GFP_KERNEL
#define GFP_KERNEL_ACCOUNT   BZ_GFP_KERNEL_ACCOUNT
#define GFP_NOWAIT           BZ_GFP_NOWAIT
#define GFP_NOIO             BZ_GFP_NOIO
#define GFP_NOFS             BZ_GFP_NOFS
#define GFP_USER             BZ_GFP_USER
#define GFP_DMA              BZ_GFP_DMA_ZONE
#define GFP_DMA32            BZ_GFP_DMA32_ZONE
#define GFP_HIGHUSER         BZ_GFP_HIGHUSER
#define GFP_HIGHUSER_MOVABLE BZ_GFP_HIGHUSER_MOVABLE
#define GFP_TRANSHUGE_LIGHT  BZ_GFP_TRANSHUGE_LIGHT
#define GFP_TRANSHUGE        BZ_GFP_TRANSHUGE

/* ---- Constants ------------------------------------------------------------ */

#ifndef PAGE_SHIFT
#define PAGE_SHIFT      BZ_PAGE_SHIFT
#endif
#ifndef PAGE_SIZE
#define PAGE_SIZE       BZ_PAGE_SIZE
#endif
#ifndef PAGE_MASK
#define PAGE_MASK       (~(BZ_PAGE_SIZE - 1))
#endif
#ifndef MAX_PAGE_ORDER
#define MAX_PAGE_ORDER  BZ_MAX_ORDER
#endif
#ifndef NR_PAGE_ORDERS
#define NR_PAGE_ORDERS  BZ_NR_PAGE_ORDERS
#endif
#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE    (-1)
#endif

/* enum zone_type's values, for comparing with page_zonenum(). */
#ifndef ZONE_DMA
#define ZONE_DMA        BZ_ZONE_DMA
#define ZONE_DMA32      BZ_ZONE_DMA32
#define ZONE_NORMAL     BZ_ZONE_NORMAL
#define ZONE_MOVABLE    BZ_ZONE_MOVABLE
#endif

/* ---- struct page and its conversions ------------------------------------- */

struct page;

static inline bz_page *bz_linux_to_bz(const struct page *page)
{
	return (bz_page *)page;
}

static inline struct page *bz_linux_from_bz(bz_page *page)
{
	return (struct page *)page;
}

static inline void *page_address(const struct page *page)
{
	return bz_page_address(bz_linux_to_bz(page));
}

static inline struct page *virt_to_page(const void *addr)
{
	return bz_linux_from_bz(bz_virt_to_page(addr));
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	return bz_page_to_pfn(bz_linux_to_bz(page));
}

static inline struct page *pfn_to_page(unsigned long pfn)
{
	return bz_linux_from_bz(bz_pfn_to_page(NULL, pfn));
}

static inline int page_to_nid(const struct page *page)
{
	return bz_page_to_nid(bz_linux_to_bz(page));
}

static inline int page_zonenum(const struct page *page)
{
	return bz_page_zonenum(bz_linux_to_bz(page));
}

/* ---- Allocation: include/linux/gfp.h --------------------------------------- */

static inline struct page *alloc_pages(gfp_t gfp_mask, unsigned int order)
{
	return bz_linux_from_bz(bz_alloc_pages(NULL, gfp_mask, order));
}

static inline struct page *alloc_page(gfp_t gfp_mask)
{
	return alloc_pages(gfp_mask, 0);
}

/* nid NUMA_NO_NODE: the calling thread's node, as in the kernel. */
static inline struct page *alloc_pages_node(int nid, gfp_t gfp_mask, unsigned int order)
{
	return bz_linux_from_bz(bz_alloc_pages_node(NULL, nid, gfp_mask, order));
}

static inline unsigned long __get_free_pages(gfp_t gfp_mask, unsigned int order)
{
	return (unsigned long)bz_get_free_pages(NULL, gfp_mask, order);
}

static inline unsigned long __get_free_page(gfp_t gfp_mask)
{
	return __get_free_pages(gfp_mask, 0);
}

static inline unsigned long get_zeroed_page(gfp_t gfp_mask)
{
	return (unsigned long)bz_get_zeroed_page(NULL, gfp_mask);
}

/* ---- Freeing --------------------------------------------------------------- */

static inline void __free_pages(struct page *page, unsigned int order)
{
	if (page)
		(void)bz_free_pages(bz_linux_to_bz(page), order);
}

static inline void __free_page(struct page *page)
{
	__free_pages(page, 0);
}

static inline void free_pages(unsigned long addr, unsigned int order)
{
	if (addr != 0)
		(void)bz_free_pages_addr((void *)addr, order);
}

static inline void free_page(unsigned long addr)
{
	free_pages(addr, 0);
}

#ifdef __cplusplus
}
#endif
#endif /* BUDDYZONE_LINUX_H */
