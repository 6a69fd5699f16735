/* SPDX-License-Identifier: MIT */
/*
 * compaction.h - the compaction layer (DESIGN.md, "Layers"): moving the
 * blocks applications marked movable (migrate.c: mm/migrate.c for
 * movable_operations pages), compaction proper (compaction.c: the two
 * scanners, compact_zone, direct compaction's try_to_compact_pages,
 * compact_node), and the kcompactd threads with proactive compaction
 * (kcompactd.c).  What compaction decides without moving a page
 * (suitability, deferral, skip hints, scores, waking kcompactd) is the
 * zone layer's (compaction_policy.c, buddy.h), so that kswapd below can
 * wake kcompactd.  Above debug: a page migration frees through debug
 * mode's hooks.
 *
 * The movable state of a block lives on its first page: UPG_movable in
 * uflags with the operations in page->mapping (tagged, as the kernel's
 * PAGE_MAPPING_MOVABLE), UPG_isolated while a migration holds it (with a
 * reference of its own).  Both go with the block's free
 * (free_pages_prepare).
 */
#ifndef BZ_COMPACTION_H
#define BZ_COMPACTION_H

#include "debug.h"

#define COMPACT_CLUSTER_MAX SWAP_CLUSTER_MAX   /* pages isolated per batch */
#define PAGE_MAPPING_MOVABLE 0x2ul             /* page->mapping's tag for movable_operations */
#define ISOLATE_UNEVICTABLE 0x8u               /* isolate_mode_t: compact_unevictable_allowed's bit */

/* enum migrate_reason (include/linux/migrate_mode.h): why pages move. */
enum migrate_reason {
	MR_COMPACTION, MR_MEMORY_FAILURE, MR_MEMORY_HOTPLUG, MR_SYSCALL, MR_MEMPOLICY_MBIND,
	MR_NUMA_MISPLACED, MR_CONTIG_RANGE, MR_LONGTERM_PIN, MR_DEMOTION, MR_TYPES
};

/* ---- a block's movable state ---------------------------------------------------------------- */

/* page_movable_ops(): the operations of a movable block, NULL when it is not (any more). */
static inline const struct bz_movable_operations *page_movable_ops(const struct bz_page *p)
{
	uintptr_t m = (uintptr_t)__atomic_load_n(&p->mapping, __ATOMIC_RELAXED);

	if (!page_uflag_test(p, UPG_movable) || (m & PAGE_MAPPING_MOVABLE) != PAGE_MAPPING_MOVABLE)
		return NULL;
	return (const struct bz_movable_operations *)(m & ~PAGE_MAPPING_MOVABLE);
}

/* __SetPageMovable(): mapping first, the mark released after it. */
static inline void page_set_movable(struct bz_page *p, const struct bz_movable_operations *ops)
{
	__atomic_store_n(&p->mapping, (void *)((uintptr_t)ops | PAGE_MAPPING_MOVABLE), __ATOMIC_RELAXED);
	__atomic_fetch_or(&p->uflags, (uint8_t)UPG_movable, __ATOMIC_RELEASE);
}

/* __ClearPageMovable(): the mark goes, then the mapping. */
static inline void page_clear_movable(struct bz_page *p)
{
	__atomic_fetch_and(&p->uflags, (uint8_t)~UPG_movable, __ATOMIC_ACQ_REL);
	__atomic_store_n(&p->mapping, NULL, __ATOMIC_RELAXED);
}

/*
 * A block the migration scanner may try: an allocated head (not frozen)
 * marked movable and not isolated.  Read without a lock, as the kernel's
 * __PageMovable() && !PageIsolated(): isolation checks again.
 */
static inline bool page_movable_candidate(const struct bz_page *p)
{
	return (PAGE_GET(p, flags) & (PG_init | PG_head | PG_frozen | PG_buddy | PG_pcp)) == (PG_init | PG_head) &&
	       (PAGE_GET(p, uflags) & (UPG_movable | UPG_isolated)) == UPG_movable;
}

/* The pages of the block at p as a migration moves it: the compound page whole, else the block. */
static inline unsigned migrate_block_order(const struct bz_page *p)
{
	return PAGE_GET(p, order);
}

/* ---- lists of blocks a migration holds ------------------------------------------------------- */

/*
 * The kernel threads isolated folios through page->lru; page->lru is the
 * holder's here, and an allocated page's list links (page->next, prev) are
 * free: the list runs through them, by pfn.  Owner: the migrating thread.
 */
struct bz_page_list {
	uint32_t first, last;
	unsigned nr;                    /* blocks on the list */
};

static inline void page_list_init(struct bz_page_list *l)
{
	l->first = l->last = BZ_NIL;
	l->nr = 0;
}

static inline bool page_list_empty(const struct bz_page_list *l)
{
	return l->first == BZ_NIL;
}

static inline struct bz_page *page_list_first(const struct bz_system *sys, const struct bz_page_list *l)
{
	return l->first == BZ_NIL ? NULL : pfn_to_page(sys, l->first);
}

static inline struct bz_page *page_list_next(const struct bz_system *sys, const struct bz_page *p)
{
	return p->next == BZ_NIL ? NULL : pfn_to_page(sys, p->next);
}

void bz__page_list_add_tail(struct bz_system *sys, struct bz_page_list *l, struct bz_page *p);
void bz__page_list_del(struct bz_system *sys, struct bz_page_list *l, struct bz_page *p);
/* Moves every block of from to the end of to (list_splice_tail_init). */
void bz__page_list_splice(struct bz_system *sys, struct bz_page_list *from, struct bz_page_list *to);

/* ---- migrate.c ------------------------------------------------------------------------------- */

/*
 * get_new_folio: a block of src's order to migrate src into, allocated
 * (PG_head, one reference: the caller's), in its debug state for use;
 * NULL when there is none (-ENOMEM).  put_new_folio gives back one the
 * migration did not use (NULL: it is freed).
 */
typedef struct bz_page *(*bz_new_page_fn)(struct bz_system *sys, struct bz_page *src, void *private);
typedef void (*bz_free_page_fn)(struct bz_system *sys, struct bz_page *dst, void *private);

/*
 * isolate_movable_page() for nr candidate blocks at once (one stop of
 * every thread cache for the speculative references: page_ref.h): each
 * block whose count shows its owner's reference only, that is movable and
 * not isolated, gets a reference and UPG_isolated, and its isolate_page
 * (mode: ISOLATE_* bits) is asked; yes puts it on list.  Returns the
 * pages isolated (list->nr counts blocks).  No lock held; the callbacks
 * run on the caller.
 */
unsigned long bz__isolate_movable_pages(struct bz_system *sys, const unsigned long *pfns, int nr, unsigned mode,
					struct bz_page_list *list);
/*
 * putback_movable_pages(): every block of list goes back to its owner
 * (putback_page, unless the owner let it go) and loses the isolation's
 * reference (freeing it, if that was the last).
 */
void bz__putback_movable_pages(struct bz_system *sys, struct bz_page_list *list);
/*
 * migrate_pages(): moves every block of from (isolated) into one from
 * get_new, copying its contents, page->private and page->index, and asking
 * its migrate_page to repoint the owner; a moved or freed-meanwhile block
 * leaves the list (src freed), a failed one stays.  -EAGAIN is retried:
 * 10 passes in ASYNC mode, else 3 ASYNC ones then 7 in mode.  Counts
 * pgmigrate_success and pgmigrate_fail (base pages); *nr_succeeded (may
 * be NULL) gets the pages moved.  Returns the number of blocks not moved,
 * or -ENOMEM when get_new ran dry (those left stay on from too).  The
 * caller puts back what is left (bz__putback_movable_pages).
 */
int bz__migrate_pages(struct bz_system *sys, struct bz_page_list *from, bz_new_page_fn get_new,
		      bz_free_page_fn put_new, void *private, enum bz_migrate_mode mode, enum migrate_reason reason,
		      unsigned long *nr_succeeded);
/*
 * Drops refs references the caller holds on the allocated block at p;
 * the last ones free it through debug mode's hooks onto the buddy lists
 * (never a thread cache).  For migration's own references and blocks.
 */
void bz__migrate_put_refs(struct bz_system *sys, struct bz_page *p, int refs);

/* ---- compaction.c ------------------------------------------------------------------------------ */

/* struct compact_control (mm/internal.h, 6.9+: free targets per order). */
struct compact_control {
	struct bz_page_list freepages[BZ_NR_PAGE_ORDERS]; /* isolated free blocks, frozen: migration targets */
	struct bz_page_list migratepages;                 /* isolated movable blocks */
	unsigned long nr_freepages, nr_migratepages;      /* pages on those lists */
	unsigned long free_pfn;                           /* the free scanner (moves down) */
	unsigned long migrate_pfn;                        /* the migration scanner (moves up) */
	unsigned long deferred_pfn;                       /* zone memory from here on is deferred init: not scanned */
	unsigned long total_migrate_scanned, total_free_scanned;
	unsigned fast_search_fail;                        /* fast_isolate_freepages' misses: a shorter look */
	int search_order;                                 /* where fast_isolate_freepages starts; set with order */
	struct bz_system *sys;
	struct bz_zone *zone;
	bz_gfp_t gfp_mask;
	int order;                                        /* -1: the whole zone (compact_memory) */
	int migratetype;                                  /* gfp_migratetype(gfp_mask) */
	unsigned alloc_flags;
	int highest_zoneidx;
	enum bz_migrate_mode mode;
	bool ignore_skip_hint;                            /* scan blocks marked skip */
	bool no_set_skip_hint;                            /* never mark blocks, nor move cached positions */
	bool ignore_block_suitable;                       /* targets from any pageblock type */
	bool direct_compaction;                           /* an allocation waits (not kcompactd, not by hand) */
	bool proactive_compaction;
	bool whole_zone;
	bool contended;                                   /* async lock contention: stop at the next check */
	bool finish_pageblock;                            /* scan the rest of the pageblock */
	bool alloc_contig;                                /* for a contiguous range (issue 16's second part) */
};

/* compact_zone(): cc set up but for its lists and counters; the compact_result. */
enum compact_result bz__compact_zone(struct compact_control *cc);
/*
 * isolate_migratepages_range(): movable blocks of [start, end) onto
 * cc->migratepages, a pageblock at a time, until COMPACT_CLUSTER_MAX
 * pages; 0, or -EAGAIN.
 */
int bz__isolate_migratepages_range(struct compact_control *cc, unsigned long start, unsigned long end);
/*
 * try_to_compact_pages(): direct compaction at prio over the zonelist's
 * zones up to highest_zoneidx on nodes of nodemask, with deferral; the
 * highest compact_result.  The caller holds no lock.
 */
enum compact_result bz__try_to_compact_pages(struct bz_system *sys, const struct bz_zonelist *zl, uint64_t nodemask,
					     int highest_zoneidx, bz_gfp_t gfp, unsigned order, unsigned alloc_flags,
					     enum compact_priority prio);
/* compact_node(): every populated zone of node nid, whole (proactive: until its score is low enough). */
void bz__compact_node(struct bz_system *sys, int nid, bool proactive);

/* ---- kcompactd.c ------------------------------------------------------------------------------- */

/* Compaction's state of a new system from its (settled) config: 0 or -ENOMEM. */
int bz__compaction_init(struct bz_system *sys, const struct bz_config *cfg);
/* kcompactd_run(): a kcompactd per node with memory, started once (the first movable page). */
void bz__kcompactd_run(struct bz_system *sys);
/* A compaction_proactiveness write above 0: every node's kcompactd makes a proactive pass. */
void bz__kcompactd_trigger_proactive(struct bz_system *sys);
/* Stops every kcompactd and frees compaction's state; bz_system_destroy, before memory goes. */
void bz__compaction_system_destroy(struct bz_system *sys);
/* After fork, in the child: no kcompactd came along. */
void bz__compaction_fork_child(struct bz_system *sys);

#endif /* BZ_COMPACTION_H */
