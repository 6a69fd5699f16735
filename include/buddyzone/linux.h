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
 * struct page is a type of its own, distinct from bz_page, so a pointer to
 * one cannot be passed to a bz_ call by mistake without a cast.  It shows the
 * fields kernel code touches (lru, private, mapping, index) where the
 * library keeps them; the rest is the library's.  Its size is the
 * kernel's 64 bytes, so page + n is the n-th next page of a block.
 *
 * Reference counts are the kernel's: a block is allocated with one,
 * get_page adds one, put_page and __free_pages drop one and free with the
 * last (include/linux/mm.h); __GFP_COMP makes compound pages, whose tails
 * lead to their head.  buddyzone.h ("Reference counts and compound pages")
 * says what is thread-safe against what.
 *
 * Differences from the kernel: __free_pages(NULL, order) returns quietly
 * (the kernel would crash), as free_pages(0, order) does in both; misuse
 * (freeing something that is not an allocated block, a reference taken on
 * or dropped from a free page) is refused and logged rather than a BUG or
 * silent corruption (logged; the bz_ calls return the error).  page_ref_sub,
 * page_ref_dec and their _and_test forms free the page when its count
 * reaches 0, where the kernel's caller would free the then frozen page
 * with an mm-internal call; put_page of the last reference of a
 * non-compound block of order > 0 is refused rather than freeing its first
 * page only.  Failure reports follow the allocator's rules (see
 * bz_alloc_pages).
 */
#ifndef BUDDYZONE_LINUX_H
#define BUDDYZONE_LINUX_H

#include <stddef.h>
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

/* ---- struct list_head: include/linux/list.h, for page->lru ------------------- */

#include <stdbool.h>

struct list_head {
	struct list_head *next, *prev;
};

#ifndef container_of
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif
#define LIST_POISON1 ((struct list_head *)0x100)   /* include/linux/poison.h: a deleted entry's links */
#define LIST_POISON2 ((struct list_head *)0x122)
#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void __list_add(struct list_head *entry, struct list_head *prev, struct list_head *next)
{
	next->prev = entry;
	entry->next = next;
	entry->prev = prev;
	prev->next = entry;
}

static inline void list_add(struct list_head *entry, struct list_head *head)
{
	__list_add(entry, head, head->next);
}

static inline void list_add_tail(struct list_head *entry, struct list_head *head)
{
	__list_add(entry, head->prev, head);
}

static inline void __list_del_entry(struct list_head *entry)
{
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
}

static inline void list_del(struct list_head *entry)
{
	__list_del_entry(entry);
	entry->next = LIST_POISON1;
	entry->prev = LIST_POISON2;
}

static inline void list_del_init(struct list_head *entry)
{
	__list_del_entry(entry);
	INIT_LIST_HEAD(entry);
}

static inline void list_move(struct list_head *entry, struct list_head *head)
{
	__list_del_entry(entry);
	list_add(entry, head);
}

static inline void list_move_tail(struct list_head *entry, struct list_head *head)
{
	__list_del_entry(entry);
	list_add_tail(entry, head);
}

static inline int list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_last_entry(ptr, type, member) list_entry((ptr)->prev, type, member)
#define list_next_entry(pos, member) list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
#define list_for_each_entry(pos, head, member)                                  \
	for ((pos) = list_first_entry(head, __typeof__(*(pos)), member);        \
	     &(pos)->member != (head); (pos) = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)                          \
	for ((pos) = list_first_entry(head, __typeof__(*(pos)), member),        \
	     (n) = list_next_entry(pos, member);                                \
	     &(pos)->member != (head); (pos) = (n), (n) = list_next_entry(n, member))

/* ---- struct page and its conversions ------------------------------------- */

struct address_space;           /* page->mapping's type; nothing here looks inside */
typedef unsigned long pgoff_t;

/* The fields of include/linux/mm_types.h's struct page that driver code touches. */
#ifdef __cplusplus
#define BZ_LINUX_PAGE_FIELDS                                                    \
	unsigned long bz_opaque_[3];                                            \
	struct list_head lru;                                                   \
	unsigned long private_;                                                 \
	struct address_space *mapping;                                          \
	pgoff_t index;
#else
#define BZ_LINUX_PAGE_FIELDS                                                    \
	unsigned long bz_opaque_[3]; /* the allocator's: links, state, _refcount, zone */ \
	struct list_head lru;        /* the holder's while allocated */         \
	unsigned long private;       /* 0 on allocation (post_alloc_hook) */    \
	struct address_space *mapping;                                          \
	pgoff_t index;
#endif

struct page {
	BZ_LINUX_PAGE_FIELDS
};

/* A folio is its head page (include/linux/mm_types.h): the same fields, or the page. */
struct folio {
	union {
		struct {
			BZ_LINUX_PAGE_FIELDS
		};
		struct page page;
	};
};

#ifdef __cplusplus
static_assert(sizeof(struct page) == BZ_PAGE_STRUCT_SIZE, "struct page is the library's size");
#else
_Static_assert(sizeof(struct page) == BZ_PAGE_STRUCT_SIZE, "struct page is the library's size");
_Static_assert(offsetof(struct page, lru) == BZ_PAGE_LRU_OFFSET, "page->lru where the library keeps it");
_Static_assert(offsetof(struct page, private) == BZ_PAGE_PRIVATE_OFFSET, "page->private");
_Static_assert(offsetof(struct page, mapping) == BZ_PAGE_MAPPING_OFFSET, "page->mapping");
_Static_assert(offsetof(struct page, index) == BZ_PAGE_INDEX_OFFSET, "page->index");
_Static_assert(sizeof(struct folio) == BZ_PAGE_STRUCT_SIZE, "a folio overlays its head page");
#endif

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

static inline void *page_to_virt(const struct page *page)
{
	return page_address(page);
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

static inline struct page *nth_page(struct page *page, unsigned long n)
{
	return page + n;
}

static inline int page_to_nid(const struct page *page)
{
	return bz_page_to_nid(bz_linux_to_bz(page));
}

static inline int page_zonenum(const struct page *page)
{
	return bz_page_zonenum(bz_linux_to_bz(page));
}

/* kmap() and friends: every page is mapped here (no highmem). */
static inline void *kmap(struct page *page)
{
	return page_address(page);
}

static inline void kunmap(struct page *page)
{
	(void)page;
}

static inline void *kmap_local_page(struct page *page)
{
	return page_address(page);
}

static inline void kunmap_local(const void *addr)
{
	(void)addr;
}

static inline void *kmap_atomic(struct page *page)
{
	return page_address(page);
}

static inline void kunmap_atomic(const void *addr)
{
	(void)addr;
}

/* ---- Reference counts: include/linux/mm.h, page_ref.h ----------------------- */

static inline int page_ref_count(const struct page *page)
{
	return bz_page_ref_count(bz_linux_to_bz(page));
}

static inline int page_count(const struct page *page)
{
	return bz_page_count(bz_linux_to_bz(page));
}

static inline void get_page(struct page *page)
{
	(void)bz_get_page(bz_linux_to_bz(page));
}

static inline bool get_page_unless_zero(struct page *page)
{
	return bz_get_page_unless_zero(bz_linux_to_bz(page)) > 0;
}

static inline void put_page(struct page *page)
{
	(void)bz_put_page(bz_linux_to_bz(page));
}

static inline void page_ref_add(struct page *page, int nr)
{
	(void)bz_page_ref_add(bz_linux_to_bz(page), nr);
}

static inline void page_ref_inc(struct page *page)
{
	page_ref_add(page, 1);
}

/* Freed when the count reaches 0: see the differences above. */
static inline bool page_ref_sub_and_test(struct page *page, int nr)
{
	return bz_page_ref_sub(bz_linux_to_bz(page), nr) == 1;
}

static inline bool page_ref_dec_and_test(struct page *page)
{
	return page_ref_sub_and_test(page, 1);
}

static inline void page_ref_sub(struct page *page, int nr)
{
	(void)page_ref_sub_and_test(page, nr);
}

static inline void page_ref_dec(struct page *page)
{
	(void)page_ref_sub_and_test(page, 1);
}

/* ---- Compound pages and folios: include/linux/page-flags.h, mm.h ------------ */

static inline struct page *compound_head(const struct page *page)
{
	return bz_linux_from_bz(bz_compound_head(bz_linux_to_bz(page)));
}

static inline unsigned int compound_order(const struct page *page)
{
	int order = bz_compound_order(bz_linux_to_bz(page));

	return order > 0 ? (unsigned int)order : 0;
}

static inline unsigned long compound_nr(const struct page *page)
{
	return 1ul << compound_order(page);
}

static inline bool PageHead(const struct page *page)
{
	return bz_page_is_head(bz_linux_to_bz(page)) > 0;
}

static inline bool PageTail(const struct page *page)
{
	return bz_page_is_tail(bz_linux_to_bz(page)) > 0;
}

static inline bool PageCompound(const struct page *page)
{
	return PageHead(page) || PageTail(page);
}

static inline struct page *virt_to_head_page(const void *addr)
{
	struct page *page = virt_to_page(addr);

	return page ? compound_head(page) : NULL;
}

static inline struct folio *page_folio(const struct page *page)
{
	return (struct folio *)compound_head(page);
}

static inline struct page *folio_page(struct folio *folio, unsigned long n)
{
	return &folio->page + n;
}

static inline unsigned int folio_order(const struct folio *folio)
{
	return compound_order(&folio->page);
}

static inline unsigned long folio_nr_pages(const struct folio *folio)
{
	return 1ul << folio_order(folio);
}

static inline void *folio_address(const struct folio *folio)
{
	return page_address(&folio->page);
}

static inline int folio_ref_count(const struct folio *folio)
{
	return page_ref_count(&folio->page);
}

static inline void folio_get(struct folio *folio)
{
	get_page(&folio->page);
}

static inline void folio_put(struct folio *folio)
{
	put_page(&folio->page);
}

/* ---- Page flags and private: include/linux/page-flags.h, mm.h --------------- */

static inline unsigned long page_private(const struct page *page)
{
#ifdef __cplusplus
	return page->private_;
#else
	return page->private;
#endif
}

static inline void set_page_private(struct page *page, unsigned long data)
{
#ifdef __cplusplus
	page->private_ = data;
#else
	page->private = data;
#endif
}

static inline bool PagePrivate(const struct page *page)
{
	return bz_page_flag_test(bz_linux_to_bz(page), BZ_PAGE_PRIVATE) > 0;
}

static inline void SetPagePrivate(struct page *page)
{
	(void)bz_page_flag_set(bz_linux_to_bz(page), BZ_PAGE_PRIVATE);
}

static inline void ClearPagePrivate(struct page *page)
{
	(void)bz_page_flag_clear(bz_linux_to_bz(page), BZ_PAGE_PRIVATE);
}

static inline bool PageReserved(const struct page *page)
{
	return bz_page_flag_test(bz_linux_to_bz(page), BZ_PAGE_RESERVED) > 0;
}

static inline void SetPageReserved(struct page *page)
{
	(void)bz_page_flag_set(bz_linux_to_bz(page), BZ_PAGE_RESERVED);
}

static inline void ClearPageReserved(struct page *page)
{
	(void)bz_page_flag_clear(bz_linux_to_bz(page), BZ_PAGE_RESERVED);
}

static inline void __SetPageReserved(struct page *page)
{
	SetPageReserved(page);
}

static inline void __ClearPageReserved(struct page *page)
{
	ClearPageReserved(page);
}

/* ---- Movable pages: include/linux/migrate.h, migrate_mode.h (6.0-6.16) ------- */

typedef unsigned int isolate_mode_t;
#define ISOLATE_ASYNC_MIGRATE BZ_ISOLATE_ASYNC_MIGRATE

enum migrate_mode {
	MIGRATE_ASYNC = BZ_MIGRATE_ASYNC,
	MIGRATE_SYNC_LIGHT = BZ_MIGRATE_SYNC_LIGHT,
	MIGRATE_SYNC = BZ_MIGRATE_SYNC
};

#define MIGRATEPAGE_SUCCESS BZ_MIGRATEPAGE_SUCCESS

/*
 * struct bz_movable_operations with struct page: the same layout, and on
 * x86-64 the same calling convention (a struct page * is a bz_page *, an
 * enum migrate_mode a bz_migrate_mode), so the library calls these.
 */
struct movable_operations {
	bool (*isolate_page)(struct page *page, isolate_mode_t mode);
	int (*migrate_page)(struct page *dst, struct page *src, enum migrate_mode mode);
	void (*putback_page)(struct page *page);
};

#ifdef __cplusplus
static_assert(sizeof(struct movable_operations) == sizeof(struct bz_movable_operations), "movable_operations");
#else
_Static_assert(sizeof(struct movable_operations) == sizeof(struct bz_movable_operations) &&
	       offsetof(struct movable_operations, migrate_page) ==
		       offsetof(struct bz_movable_operations, migrate_page) &&
	       offsetof(struct movable_operations, putback_page) ==
		       offsetof(struct bz_movable_operations, putback_page),
	       "struct movable_operations is struct bz_movable_operations");
#endif

/* The kernel's caller holds the page lock; here the calls are lock-free (see bz_set_page_movable). */
static inline void __SetPageMovable(struct page *page, const struct movable_operations *mops)
{
	(void)bz_set_page_movable(bz_linux_to_bz(page), (const struct bz_movable_operations *)(const void *)mops);
}

static inline void __ClearPageMovable(struct page *page)
{
	(void)bz_clear_page_movable(bz_linux_to_bz(page));
}

static inline bool PageMovable(const struct page *page)
{
	return bz_page_movable(bz_linux_to_bz(page)) > 0;
}

static inline bool __PageMovable(const struct page *page)
{
	return PageMovable(page);
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

static inline struct folio *folio_alloc(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp | __GFP_COMP, order);

	return page ? page_folio(page) : NULL;
}

/* ---- Contiguous ranges: mm/page_alloc.c (CONFIG_CONTIG_ALLOC), the 6.1-6.15 interface ---- */

#ifndef MIGRATE_MOVABLE
#define MIGRATE_MOVABLE BZ_MIGRATE_MOVABLE
#endif

/* nodemask_t: one word, bit n for node n (at most 64 nodes here). */
typedef struct {
	unsigned long bits[1];
} nodemask_t;

static inline int alloc_contig_range(unsigned long start, unsigned long end, unsigned migratetype, gfp_t gfp_mask)
{
	return bz_alloc_contig_range(NULL, start, end, (int)migratetype, gfp_mask);
}

static inline struct page *alloc_contig_pages(unsigned long nr_pages, gfp_t gfp_mask, int nid, nodemask_t *nodemask)
{
	return bz_linux_from_bz(bz_alloc_contig_pages(NULL, nr_pages, gfp_mask, nid, nodemask ? nodemask->bits : NULL));
}

static inline void free_contig_range(unsigned long pfn, unsigned long nr_pages)
{
	bz_free_contig_range(NULL, pfn, nr_pages);
}

static inline int get_order(unsigned long size)
{
	return bz_get_order(size);
}

static inline void *alloc_pages_exact(size_t size, gfp_t gfp_mask)
{
	return bz_alloc_pages_exact(NULL, size, gfp_mask);
}

static inline void *alloc_pages_exact_nid(int nid, size_t size, gfp_t gfp_mask)
{
	return bz_alloc_pages_exact_nid(NULL, nid, size, gfp_mask);
}

/* The array form (alloc_pages_bulk_array before Linux 6.14): fills NULL entries; the number set. */
static inline unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr_pages, struct page **page_array)
{
	return bz_alloc_pages_bulk(NULL, gfp, nr_pages, (bz_page **)page_array);
}

static inline unsigned long alloc_pages_bulk_array(gfp_t gfp, unsigned long nr_pages, struct page **page_array)
{
	return alloc_pages_bulk(gfp, nr_pages, page_array);
}

static inline void split_page(struct page *page, unsigned int order)
{
	(void)bz_split_page(bz_linux_to_bz(page), order);
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

static inline void free_pages_exact(void *virt, size_t size)
{
	(void)bz_free_pages_exact(virt, size);
}

/* ---- Page fragments: mm/page_frag_cache.c ---------------------------------- */

#define page_frag_cache bz_page_frag_cache   /* struct page_frag_cache: zero it, or page_frag_cache_init */
#ifndef PAGE_FRAG_CACHE_MAX_SIZE
#define PAGE_FRAG_CACHE_MAX_SIZE BZ_PAGE_FRAG_CACHE_MAX_SIZE
#endif

static inline void page_frag_cache_init(struct page_frag_cache *nc)
{
	nc->va = NULL;
}

static inline void *page_frag_alloc_align(struct page_frag_cache *nc, unsigned int fragsz, gfp_t gfp_mask,
					  unsigned int align)
{
	return bz_page_frag_alloc(NULL, nc, fragsz, gfp_mask, align);
}

static inline void *page_frag_alloc(struct page_frag_cache *nc, unsigned int fragsz, gfp_t gfp_mask)
{
	return bz_page_frag_alloc(NULL, nc, fragsz, gfp_mask, 1);
}

static inline void page_frag_free(void *addr)
{
	(void)bz_page_frag_free(addr);
}

static inline void page_frag_cache_drain(struct page_frag_cache *nc)
{
	bz_page_frag_cache_drain(nc);
}

static inline void __page_frag_cache_drain(struct page *page, unsigned int count)
{
	(void)bz_page_frag_drain_page(bz_linux_to_bz(page), count);
}

/* ---- printk's pr_* (include/linux/printk.h), to stderr --------------------- */

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#ifndef pr_err
#define pr_err(fmt, ...) fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#endif

#ifdef __cplusplus
}
#endif
#endif /* BUDDYZONE_LINUX_H */
