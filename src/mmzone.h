/* SPDX-License-Identifier: MIT */
/*
 * mmzone.h - the model's types: system, node, zone, free area, page.
 * The kernel's include/linux/mmzone.h and mm_types.h, cut to what a
 * userspace page allocator needs.  Each field says who may write it.
 * Types and the inline accessors over them only (no calls into other
 * files), plus the names of their enums (mmzone.c).  Base layer.
 */
#ifndef BZ_MMZONE_H
#define BZ_MMZONE_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <buddyzone/buddyzone.h>
#include "spinlock.h"
#include "util.h"

#define BZ_CACHELINE        64
#define BZ_NIL              UINT32_MAX        /* end of a pfn-linked list */
#define MAX_ORDER_NR_PAGES  (1ul << BZ_MAX_ORDER)
#define PAGEBLOCK_NR_PAGES  (1ul << BZ_PAGEBLOCK_ORDER)
#define BZ_MAX_PFNS         ((unsigned long)UINT32_MAX) /* pfns are 32-bit links: 16 TiB */
#define BZ_SYSTEM_MAGIC     0x627a7379u       /* "bzsy" */

/*
 * ---- struct bz_page: a cache line per 4 KiB page, never inside the page ----
 *
 * 64 bytes, as the kernel's struct page (1.56% of the memory it describes).
 * Both fast paths write the page's line; at 16 bytes, four pages shared a
 * line, and two threads whose hot pages were neighbours ran their
 * alloc+free pairs 3.5 times slower than either alone (BM_pair_threads
 * after BM_liveset).  The first 24 bytes are the allocator's; the last 40
 * are the fields kernel code touches (lru, private, mapping, index), at
 * the offsets <buddyzone/linux.h>'s struct page has them (BZ_PAGE_*_OFFSET).
 */
#define BZ_PAGE_STRUCT_SHIFT 6

enum bz_page_flags {
	PG_init  = 1u << 0,   /* struct initialised (zone_id valid); 0: deferred */
	PG_buddy = 1u << 1,   /* first page of a free block on a buddy list */
	PG_head  = 1u << 2,   /* first page of an allocated block; order = its order */
	PG_pcp   = 1u << 3,   /* first page of a block held in a thread cache */
	PG_zeroed = 1u << 4,  /* free block head: the whole block reads zero (fresh, or reported) */
	PG_reported = 1u << 5, /* free block head: given back to the OS by page reporting (page_reporting.c) */
	PG_compound = 1u << 6, /* PG_head of a __GFP_COMP block: the kernel's PageHead; its tails point to it */
	PG_frozen = 1u << 7,  /* PG_head with no reference (_refcount 0): isolated, or on its way to a list */
};

/*
 * uflags: the page flags kernel code sets on a page it holds (PG_private,
 * PG_reserved; atomic bit operations, page_ref.h), the movable state the
 * migration core keeps (__SetPageMovable's mark and PG_isolated), and debug mode's
 * PGDBG_* state of the page in the low bits (debug_pagealloc.c).  A free
 * clears the user's bits (free_pages_prepare: flags &= ~PAGE_FLAGS_CHECK_AT_PREP)
 * on every page of the block; UPG_inner on the block's first page says
 * whether any other page has some, so that a free of a large block need
 * not read them all.
 */
#define PGDBG_MASK   0x03u
#define UPG_movable  0x04u    /* allocated block head: page->mapping holds its movable_operations (migrate.c) */
#define UPG_isolated 0x08u    /* PG_isolated: a migration holds it, with a reference (migrate.c) */
#define UPG_inner    0x20u    /* first page of an allocated block: a later page has user flags */
#define UPG_private  0x40u
#define UPG_reserved 0x80u
#define UPG_USER     (UPG_private | UPG_reserved)

/* list_head: <buddyzone/linux.h>'s struct list_head, for the lru field. */
struct bz_list_head {
	struct bz_list_head *next, *prev;
};

struct bz_page {
	uint32_t next;        /* list links as pfns (BZ_NIL ends a list); zone lock or cache owner */
	uint32_t prev;
	union {
		struct {
			uint8_t mt;           /* free list (migratetype) of a PG_buddy block; alloc type of a PG_head */
			uint8_t uflags;       /* UPG_* (the page's user) and PGDBG_* (debug mode) */
			uint8_t flags;        /* enum bz_page_flags */
			uint8_t order;        /* block order while PG_buddy, PG_head or PG_pcp */
			int32_t _refcount;    /* references to an allocated head (page_ref.h); 0 elsewhere */
		};
		struct {
			uint16_t mt_uflags;
			uint16_t state;       /* flags and order: tested and set together */
		};
		uint32_t word;        /* mt, uflags, flags, order */
		uint64_t val;         /* all of it: the memo sets it, the fast free tests and sets it (page_ref.h) */
	};
	uint16_t zone_id;     /* nid * BZ_MAX_NR_ZONES + zone index; written once at init */
	uint16_t unused;
	uint32_t compound_off; /* a compound page's tail: pages from its head (PageTail); 0 elsewhere */
	/* The page's user's while it is allocated (include/linux/mm_types.h); the allocator's lists never use them. */
	struct bz_list_head lru;
	unsigned long private; /* 0 on every allocation (post_alloc_hook) */
	void *mapping;
	unsigned long index;
} __attribute__((aligned(1 << BZ_PAGE_STRUCT_SHIFT)));
_Static_assert(sizeof(struct bz_page) == 1 << BZ_PAGE_STRUCT_SHIFT, "struct bz_page: one cache line");
_Static_assert(sizeof(struct bz_page) == BZ_PAGE_STRUCT_SIZE, "buddyzone.h's struct page size");
_Static_assert(offsetof(struct bz_page, lru) == BZ_PAGE_LRU_OFFSET, "<buddyzone/linux.h>'s page->lru");
_Static_assert(offsetof(struct bz_page, private) == BZ_PAGE_PRIVATE_OFFSET, "<buddyzone/linux.h>'s page->private");
_Static_assert(offsetof(struct bz_page, mapping) == BZ_PAGE_MAPPING_OFFSET, "<buddyzone/linux.h>'s page->mapping");
_Static_assert(offsetof(struct bz_page, index) == BZ_PAGE_INDEX_OFFSET, "<buddyzone/linux.h>'s page->index");
_Static_assert(offsetof(struct bz_page, _refcount) % 4 == 0 && offsetof(struct bz_page, val) % 8 == 0,
	       "_refcount and val naturally aligned: single-copy atomic");

/*
 * flags, order and mt of a page are read across threads: under a zone lock
 * (page_is_buddy, pageblock scans) while a cache's owner rewrites those of
 * its own pages without it.  Either value read is handled, as in the
 * kernel; relaxed atomics (plain byte moves) make that well defined.
 *
 * The same bytes are also accessed as page->state (16 bits), page->word
 * (32 bits) and page->val (64 bits, with _refcount): the fast paths test
 * and set flags, order and the reference count in one compare and one
 * store, while _refcount alone takes 32-bit atomic read-modify-writes
 * (page_ref.h).  C11 does not define atomics of different sizes over the
 * same bytes; x86-64 does (the SDM's memory-ordering rules hold for
 * mixed-size accesses to write-back memory, and naturally aligned loads
 * and stores of up to 8 bytes are single-copy atomic), and that is the one
 * architecture this code is built for.  A port must first make page->val
 * the only width shared between threads.
 */
#if !defined(__x86_64__)
#error "struct bz_page's mixed-size atomics (PAGE_GET/PAGE_SET of flags, state, word, val and _refcount) assume x86-64"
#endif
#define PAGE_GET(p, f) __atomic_load_n(&(p)->f, __ATOMIC_RELAXED)
#define PAGE_SET(p, f, v) __atomic_store_n(&(p)->f, (__typeof__((p)->f))(v), __ATOMIC_RELAXED)

/* The values of page->state, page->word and page->val for these fields. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PAGE_STATE(flags, order) ((uint16_t)((flags) | (order) << 8))
#define PAGE_WORD(flags, order, mt, uflags) \
	((uint32_t)(mt) | (uint32_t)(uflags) << 8 | (uint32_t)(flags) << 16 | (uint32_t)(order) << 24)
#define PAGE_VAL(flags, order, mt, uflags, refcount) \
	((uint64_t)PAGE_WORD(flags, order, mt, uflags) | (uint64_t)(uint32_t)(refcount) << 32)
#else
#error "struct bz_page: little-endian layout only (x86-64)"
#endif

/* ---- free areas -------------------------------------------------------- */

struct bz_free_list {
	uint32_t first, last; /* pfns of the first and last blocks, BZ_NIL when empty */
};

struct bz_free_area {     /* zone->lock */
	struct bz_free_list free_list[BZ_MIGRATE_TYPES];
	unsigned long nr_free; /* blocks of this order, all lists */
};

/* ---- counters ---------------------------------------------------------- */

enum bz_wmark { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, NR_WMARK };

/* Per-zone counters we keep (names of /proc/zoneinfo items are in vmstat.c). */
enum bz_zone_stat_item {
	NR_FREE_PAGES,        /* pages on the buddy lists (not in thread caches) */
	NR_FREE_PAGES_BLOCKS, /* of which in blocks of pageblock order or more */
	NUMA_HIT, NUMA_MISS, NUMA_FOREIGN, NUMA_INTERLEAVE_HIT, NUMA_LOCAL, NUMA_OTHER,
	NR_ZONE_STAT_ITEMS
};

/* System-wide events (enum vm_event_item); one per zone where named so. */
enum bz_vm_event {
	PGALLOC_BASE,                                   /* + zone index */
	ALLOCSTALL_BASE = PGALLOC_BASE + BZ_MAX_NR_ZONES,
	PGFREE = ALLOCSTALL_BASE + BZ_MAX_NR_ZONES,     /* derived: pgalloc less pages allocated now */
	PAGEOUTRUN,
	KSWAPD_LOW_WMARK_HIT_QUICKLY,
	KSWAPD_HIGH_WMARK_HIT_QUICKLY,
	COMPACT_STALL,
	PGALLOC_FAIL,                                   /* ours: NULL returned */
	PGALLOC_BAD_FREE,                               /* ours: frees refused */
	PGALLOC_FAIL_INJECTED,                          /* ours: of pgalloc_fail, injected (fail_page_alloc.c) */
	PAGEALLOC_CORRUPTION,                           /* ours: pages found corrupted (debug_pagealloc.c) */
	DEBUG_CHECK_RUN,                                /* ours: bz_check runs of debug mode */
	DEBUG_CHECK_FAIL,                               /* ours: of which found a broken invariant */
	SLABS_SCANNED,                                  /* objects shrinkers were asked to scan (vmscan.c) */
	ZONE_RECLAIM_SUCCESS,                           /* node_reclaim() freed enough */
	ZONE_RECLAIM_FAILED,
	PGREPORTED,                                     /* ours: pages given back to the OS (page_reporting.c) */
	PGALLOC_ZERO_SKIPPED,                           /* ours: __GFP_ZERO pages known zero, not cleared */
	PCP_REMOTE_DRAINED,                             /* ours: pages a cache of another node's zone gave back on expiry (pcp.c) */
	/* Migration and compaction (migrate.c, compaction.c, kcompactd.c, page_alloc.c), in base pages where the kernel counts pages. */
	PGMIGRATE_SUCCESS, PGMIGRATE_FAIL,
	COMPACTMIGRATE_SCANNED, COMPACTFREE_SCANNED, COMPACTISOLATED,
	COMPACTFAIL, COMPACTSUCCESS,                    /* COMPACT_STALL is above */
	KCOMPACTD_WAKE, KCOMPACTD_MIGRATE_SCANNED, KCOMPACTD_FREE_SCANNED,
	NR_VM_EVENTS
};

/* ---- zone ---------------------------------------------------------------- */

struct bz_node;
struct bz_system;

/* zone->flags: the bits of the kernel's enum zone_flags that the thread caches read. */
enum bz_zone_flags {
	ZONE_RECLAIM_ACTIVE = 1u << 0,  /* kswapd is balancing the zone: caches hold at most 4 batches */
	ZONE_BELOW_HIGH     = 1u << 1,  /* free pages fell below the high watermark: caches shrink */
};

struct bz_zone {
	/* Read-mostly: written under sys->sysctl_lock when tunables change. */
	_Atomic unsigned long watermark[NR_WMARK];
	_Atomic unsigned long watermark_boost;      /* zone->lock to write */
	_Atomic unsigned long nr_reserved_highatomic; /* zone->lock to write */
	_Atomic long lowmem_reserve[BZ_MAX_NR_ZONES];
	/*
	 * What free pages must exceed for an order-0 request with highest zone
	 * index i to pass every watermark test without a second look: the high
	 * watermark, boost, lowmem_reserve[i] and the highatomic reserve.
	 * Kept by zone_update_fast_mark() whenever one of them changes.
	 */
	_Atomic long fast_mark[BZ_MAX_NR_ZONES];
	struct bz_node *node;
	struct bz_system *sys;
	int idx;                        /* enum bz_zone_type */
	uint16_t zone_id;               /* nid * BZ_MAX_NR_ZONES + idx */
	unsigned long zone_start_pfn;
	unsigned long spanned_pages, present_pages, managed_pages;
	_Atomic int pcp_batch, pcp_high_min, pcp_high_max; /* zone_batchsize, zone_highsize */
	int stat_threshold;             /* calculate_normal_threshold */
	/*
	 * enum bz_zone_flags.  Every fast free reads them and they change only
	 * as the zone crosses its high watermark or kswapd starts and stops:
	 * here, away from the lines the zone lock's holders write.
	 */
	_Atomic uint8_t flags;

	/* Write-hot, on their own cache lines. */
	alignas(BZ_CACHELINE) bz_spinlock lock;
	_Atomic unsigned long lock_contended;       /* acquisitions that had to wait */
	struct bz_free_area free_area[BZ_NR_PAGE_ORDERS];
	/*
	 * Deferred init: [deferred_pfn, deferred_end) is free memory in MOVABLE
	 * max-order blocks, counted in free_area[BZ_MAX_ORDER].nr_free and
	 * NR_FREE_PAGES but not yet on a list; a block moves onto the list (its
	 * struct pages initialised) whenever that list would otherwise be empty.
	 */
	unsigned long deferred_pfn, deferred_end;
	_Atomic bool boosted;           /* ZONE_BOOSTED_WATERMARK: kswapd should run; set under zone->lock */
	/*
	 * What the kernel's kmem tracepoints would count here (zone->lock to
	 * write, read without it): blocks __rmqueue_smallest took
	 * (mm_page_alloc_zone_locked), fallbacks to another type's block
	 * (mm_page_alloc_extfrag) and of those the ones that claimed its
	 * pageblock (change_ownership), blocks drained from caches
	 * (mm_page_pcpu_drain).
	 */
	unsigned long nr_zone_locked, nr_extfrag, nr_extfrag_claimed, nr_pcpu_drain;
	/* zone->nr_isolate_pageblock: pageblocks of MIGRATE_ISOLATE (page_isolation.c); zone->lock */
	unsigned long nr_isolate_pageblock;
	/*
	 * Compaction's hints (compaction_policy.c, compaction.c), which every
	 * compactor reads and writes without a lock, as the kernel's: where
	 * the scanners resume (async and sync migration scanners apart), where
	 * a full scan starts, and deferral after failures.  Relaxed atomics.
	 */
	_Atomic unsigned long compact_cached_free_pfn;
	_Atomic unsigned long compact_cached_migrate_pfn[2];
	_Atomic unsigned long compact_init_migrate_pfn, compact_init_free_pfn;
	_Atomic unsigned compact_considered, compact_defer_shift;
	_Atomic int compact_order_failed;
	_Atomic bool compact_blockskip_flush;   /* the scanners met in direct compaction: clear the skip hints */

	alignas(BZ_CACHELINE) _Atomic long vm_stat[NR_ZONE_STAT_ITEMS];
};

static inline bool zone_flag_test(const struct bz_zone *z, unsigned flag)
{
	return atomic_load_explicit(&z->flags, memory_order_relaxed) & flag;
}

/* set_bit()/clear_bit(): a locked RMW, only where the flag changes (as test_bit first) */
static inline void zone_flag_set(struct bz_zone *z, unsigned flag)
{
	if (!zone_flag_test(z, flag))
		atomic_fetch_or_explicit(&z->flags, (uint8_t)flag, memory_order_relaxed);
}

static inline void zone_flag_clear(struct bz_zone *z, unsigned flag)
{
	if (zone_flag_test(z, flag))
		atomic_fetch_and_explicit(&z->flags, (uint8_t)~flag, memory_order_relaxed);
}

/* Spans and present pages grow at run time (memory_hotplug.c): single untorn loads. */
static inline unsigned long zone_end_pfn(const struct bz_zone *z)
{
	return __atomic_load_n(&z->zone_start_pfn, __ATOMIC_RELAXED) +
	       __atomic_load_n(&z->spanned_pages, __ATOMIC_RELAXED);
}

static inline bool populated_zone(const struct bz_zone *z)
{
	return __atomic_load_n(&z->present_pages, __ATOMIC_RELAXED) != 0;
}

static inline bool zone_spans_pfn(const struct bz_zone *z, unsigned long pfn)
{
	return pfn >= __atomic_load_n(&z->zone_start_pfn, __ATOMIC_RELAXED) && pfn < zone_end_pfn(z);
}

/* The kernel's wmark_pages(): the watermark plus any boost. */
static inline unsigned long wmark_pages(const struct bz_zone *z, enum bz_wmark w)
{
	return atomic_load_explicit(&z->watermark[w], memory_order_relaxed) +
	       atomic_load_explicit(&z->watermark_boost, memory_order_relaxed);
}

static inline void zone_update_fast_mark(struct bz_zone *z)
{
	long base = (long)(atomic_load_explicit(&z->watermark[WMARK_HIGH], memory_order_relaxed) +
			   atomic_load_explicit(&z->watermark_boost, memory_order_relaxed) +
			   atomic_load_explicit(&z->nr_reserved_highatomic, memory_order_relaxed));

	for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
		atomic_store_explicit(&z->fast_mark[i],
				      base + atomic_load_explicit(&z->lowmem_reserve[i], memory_order_relaxed),
				      memory_order_relaxed);
}

static inline long zone_page_state(const struct bz_zone *z, enum bz_zone_stat_item item)
{
	long v = atomic_load_explicit(&z->vm_stat[item], memory_order_relaxed);
	return v < 0 ? 0 : v;
}

static inline void zone_stat_add(struct bz_zone *z, enum bz_zone_stat_item item, long delta)
{
	atomic_fetch_add_explicit(&z->vm_stat[item], delta, memory_order_relaxed);
}

/* ---- zonelists ------------------------------------------------------------ */

enum { ZONELIST_FALLBACK, ZONELIST_NOFALLBACK, MAX_ZONELISTS };

struct bz_zonelist {      /* immutable once published: a rebuild publishes a new one */
	int nr;
	struct bz_zone *zones[BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES];
	struct bz_zonelist *retired;    /* older lists, freed with the system */
};

/* ---- arena: one node's memory (arena.c) --------------------------------- */

enum bz_backing { BZ_BACKING_BASE, BZ_BACKING_THP, BZ_BACKING_HUGETLB };

struct bz_arena {
	char *start;                    /* address of the node's first pfn */
	size_t bytes;
	int os_node;                    /* real node it is bound to, -1: not bound */
	int backing;                    /* enum bz_backing */
	size_t page_size;               /* size of the backing pages */
	char reason[160];               /* why this binding and backing, for reports */
	/* The hugetlb part (huge_bytes 0: none): the interior, or less when the pool was short. */
	char *huge_start;
	size_t huge_bytes;
	_Atomic bool huge_kept;         /* the kernel will not take its pages back: no more tries */
};

/* ---- node ---------------------------------------------------------------- */

/*
 * pgdat's kcompactd fields: a request (wakeup_kcompactd, compaction_policy.c)
 * and the wait queue the node's kcompactd thread sleeps on (kcompactd.c).
 * Set up with the system (kcompactd.c), the thread made on first use.
 */
struct bz_kcompactd_wait {
	pthread_mutex_t lock;           /* wakeups and the wait itself */
	pthread_cond_t wait;            /* pgdat->kcompactd_wait */
	unsigned long wakeups;          /* bumped by each wake-up: a sleeper checks it */
	bool stop;                      /* the system is going away (lock) */
	_Atomic bool sleeping;          /* wq_has_sleeper(): the thread may be waiting */
	_Atomic int max_order;          /* kcompactd_max_order: 0, no request */
	_Atomic int highest_zoneidx;    /* kcompactd_highest_zoneidx */
	_Atomic bool proactive_trigger; /* proactive_compact_trigger: a compaction_proactiveness write */
};

struct bz_node {
	int nid;
	unsigned long node_start_pfn, node_spanned_pages, node_present_pages;
	int nr_cpus;                    /* CPUs of the node (0: memory-only node) */
	struct bz_arena arena;
	struct bz_zone zones[BZ_MAX_NR_ZONES];
	struct bz_zonelist *_Atomic zonelists[MAX_ZONELISTS];
	int node_order[BZ_MAX_NUMNODES]; /* fallback node order, as the boot log prints it */
	int nr_node_order;
	/*
	 * pgdat->kswapd_failures: kswapd runs without progress (vmscan.c
	 * counts them; MAX_RECLAIM_RETRIES of them and the node is hopeless).
	 * A free that lifts a zone over its high watermark resets it (pcp.c).
	 */
	_Atomic int kswapd_failures;
	/*
	 * End of the pfns reserved for the node: its zones and the room
	 * bz_memory_add() may grow into (bz_config.hotplug_reserve).  Fixed at
	 * creation.  Spans and page counts above grow under sys->sysctl_lock,
	 * stored atomically; lock-free readers see the old or the new value.
	 */
	unsigned long node_reserved_end_pfn;
	struct bz_kcompactd_wait kcompactd;
};

/* ---- topology (filled by topology.c) -------------------------------------- */

#define BZ_TOPO_MAX_PUS 4096            /* CPUs a topology's cpu-to-node table holds */

struct bz_topology {
	int nr_nodes;                   /* node ids 0..nr_nodes-1 */
	unsigned long mem_bytes[BZ_MAX_NUMNODES];  /* memory of each node (0: CPU-only) */
	int nr_cpus[BZ_MAX_NUMNODES];
	unsigned char distance[BZ_MAX_NUMNODES][BZ_MAX_NUMNODES]; /* node_distance() */
	int os_node[BZ_MAX_NUMNODES];   /* real node backing each node (-1: none known) */
	/*
	 * per_cpu_data_slice_size of the node's CPUs (drivers/base/cacheinfo.c):
	 * the last-level data or unified cache over the CPUs sharing it; 0 when
	 * unknown (no cache information), as the kernel has it then.
	 */
	unsigned long llc_slice_bytes[BZ_MAX_NUMNODES];
	bool emulated;                  /* from XML or a synthetic string */
	/*
	 * cpu_to_node() as the topology lists it: pu_node[cpu] is 1 + the node
	 * of the PU with that os_index (0: not listed), from the smallest node
	 * cpuset holding it (hwloc_count_cpus); nr_pu_ids is one more than the
	 * highest listed.  An emulation deals this machine's CPU c as PU
	 * c % nr_pu_ids (zonelist.c).  Empty without hwloc.
	 */
	int nr_pu_ids;
	uint8_t pu_node[BZ_TOPO_MAX_PUS];
	bool cpus_from_config;          /* bz_config.cpus_per_node: deal CPUs by those counts */
	char source[64];                /* "hwloc", "sysfs", "xml:...", "synthetic:..." */
};

/* ---- tunables (sysctl.c) --------------------------------------------------- */

struct bz_sysctls {       /* sys->sysctl_lock */
	int min_free_kbytes;
	int user_min_free_kbytes;       /* -1 until set by the user */
	int watermark_scale_factor;
	int watermark_boost_factor;
	int lowmem_reserve_ratio[BZ_MAX_NR_ZONES];
	int percpu_pagelist_high_fraction;
	int numa_zonelist_order;        /* 0 Node, 1 Zone */
	int zone_reclaim_mode;
	int page_reporting_order;       /* libbuddyzone's (page_reporting.c): smallest order reported */
	int page_reporting_delay_ms;    /* libbuddyzone's: delay before a reporting pass; 0: off */
	int transparent_hugepage;       /* enum bz_thp_mode: khugepaged raises min_free_kbytes */
	int extfrag_threshold;          /* compaction_suitable(): fragmentation index above which to compact */
	int compaction_proactiveness;   /* kcompactd's proactive compaction: 0 off .. 100 */
};

/* ---- debugging (debug_pagealloc.c, fail_page_alloc.c) ------------------------ */

/* Debug mode of a system: set at creation, read without a lock. */
struct bz_debug {
	unsigned flags;                 /* BZ_DEBUG_* in effect */
	unsigned long check_interval;   /* BZ_DEBUG_CHECK: operations between checks */
	_Atomic unsigned long ops;      /* allocations and frees so far */
	struct bz_ratelimit report_rs;  /* corruption reports' rate limit */
};

/* The kernel's struct fault_attr plus fail_page_alloc's filters; relaxed atomics. */
struct bz_fault_attr {
	_Atomic unsigned long probability; /* percent; 0: injection off */
	_Atomic unsigned long interval;
	_Atomic int times;              /* failures left; -1: no limit */
	_Atomic int space;              /* pages to let through first */
	_Atomic unsigned long verbose;
	_Atomic unsigned min_order;
	_Atomic bool ignore_gfp_reclaim, ignore_gfp_highmem;
	_Atomic unsigned long count;    /* requests seen, for interval */
	_Atomic uint64_t seed, draws;   /* random draws: splitmix64(seed + draws++) */
	struct bz_ratelimit warn_rs;    /* fail_dump's rate limit */
};

/* ---- system ---------------------------------------------------------------- */

struct bz_tcache;
struct bz_reclaim;
struct bz_kswapd_set;
struct bz_reporting;
struct bz_kcompactd_set;

struct bz_system {
	uint32_t magic;                 /* BZ_SYSTEM_MAGIC while alive */
	uint64_t id;                    /* unique per system ever created: tells reuse of an address */
	int slot;                       /* index in the registry (mm_init.c) */
	char *base;                     /* address of pfn 0 */
	struct bz_page *mem_map;        /* struct page of pfn 0 */
	unsigned long nr_pfns;          /* size of the page-frame space */
	size_t reserve_bytes, mem_map_bytes;
	_Atomic uint8_t *pageblock_mt;  /* migratetype per pageblock; written under zone->lock */
	size_t pageblock_bytes;         /* its reservation (mm_init.c binds it per node) */
	int nr_nodes;
	struct bz_node *nodes[BZ_MAX_NUMNODES];
	struct bz_zone *zone_table[BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES]; /* by zone_id */
	struct bz_topology topo;
	struct bz_sysctls sysctl;
	pthread_mutex_t sysctl_lock;    /* serialises tunables and recomputation */
	bz_log_fn log;
	void *log_arg;
	_Atomic unsigned long events[NR_VM_EVENTS];
	struct bz_ratelimit warn_rs;    /* warn_alloc's nopage_rs */
	/*
	 * A free made a block of page_reporting_order or more under a zone lock
	 * (page_reporting_notify_free, buddy.c): set there, read by the entry
	 * points once they hold no lock, which start the reporting pass.
	 */
	_Atomic bool reporting_requested;
	struct bz_tcache *tcaches;      /* every thread's cache of this system; bz__tcache_lock */
	_Atomic long idle_decay_ns;     /* when bz__pcp_decay_idle() last ran (pcp.c) */
	_Atomic unsigned long dead_events[NR_VM_EVENTS]; /* events of threads that left */
	struct bz_debug debug;          /* debug_pagealloc.c */
	struct bz_fault_attr fail;      /* fail_page_alloc.c */
	struct bz_stats_pub *stats_pub; /* stats_shm.c: the publisher, NULL when not publishing */
	struct bz_reclaim *_Atomic reclaim;     /* shrinker.c: shrinkers and OOM notifiers; on first use */
	struct bz_kswapd_set *_Atomic kswapd;   /* vmscan.c: a kswapd per node; on first use */
	struct bz_reporting *_Atomic reporting; /* page_reporting.c: its worker; on first use */
	/* Weighted interleave's weight per node (mempolicy.c); 0: the default, 1.  Relaxed atomics. */
	_Atomic uint8_t iw_table[BZ_MAX_NUMNODES];
	/*
	 * Compaction (compaction.h): CONFIG_COMPACTION (bz_config.compaction),
	 * the pageblock skip hints (PB_migrate_skip, one byte a pageblock,
	 * relaxed atomics; NULL when compaction is off), a kcompactd per node
	 * (made when the first page is marked movable: before that nothing
	 * could be moved), and whether any page was.
	 */
	bool compaction;
	_Atomic uint8_t *pageblock_skip;
	struct bz_kcompactd_set *_Atomic kcompactd;
	_Atomic bool movable_seen;
};

static inline struct bz_page *pfn_to_page(const struct bz_system *sys, unsigned long pfn)
{
	return sys->mem_map + pfn;
}

static inline unsigned long page_to_pfn(const struct bz_system *sys, const struct bz_page *page)
{
	return (unsigned long)(page - sys->mem_map);
}

static inline struct bz_zone *page_zone(const struct bz_system *sys, const struct bz_page *page)
{
	return sys->zone_table[page->zone_id];
}

static inline int get_pageblock_migratetype(const struct bz_system *sys, unsigned long pfn)
{
	return atomic_load_explicit(&sys->pageblock_mt[pfn >> BZ_PAGEBLOCK_ORDER], memory_order_relaxed);
}

static inline void set_pageblock_migratetype(struct bz_system *sys, unsigned long pfn, int mt)
{
	atomic_store_explicit(&sys->pageblock_mt[pfn >> BZ_PAGEBLOCK_ORDER], (uint8_t)mt, memory_order_relaxed);
}

static inline void count_vm_events(struct bz_system *sys, enum bz_vm_event ev, unsigned long n)
{
	atomic_fetch_add_explicit(&sys->events[ev], n, memory_order_relaxed);
}

static inline void count_vm_event(struct bz_system *sys, enum bz_vm_event ev)
{
	count_vm_events(sys, ev, 1);
}

#define for_each_node(sys, nid) for ((nid) = 0; (nid) < (sys)->nr_nodes; (nid)++)

/* ---- the zone lock ------------------------------------------------------------ */

/* Takes zone->lock, counting an acquisition that had to wait (zoneinfo's contention). */
static inline bool bz__zone_lock(struct bz_zone *z)
{
	bool contended = bz_spin_lock(&z->lock);

	if (bz_unlikely(contended))
		atomic_fetch_add_explicit(&z->lock_contended, 1, memory_order_relaxed);
	return contended;
}

static inline void bz__zone_unlock(struct bz_zone *z)
{
	bz_spin_unlock(&z->lock);
}

/* lockdep_assert_held(&zone->lock): at the top of every _locked function. */
#define zone_lock_held(z) BZ_ASSERT(bz_spin_held(&(z)->lock))

/* ---- kswapd's verdict on a node ------------------------------------------------- */

#define MAX_RECLAIM_RETRIES 16

/* kswapd_test_hopeless(): MAX_RECLAIM_RETRIES kswapd runs in a row made no progress. */
static inline bool kswapd_hopeless(const struct bz_node *node)
{
	return atomic_load_explicit(&node->kswapd_failures, memory_order_relaxed) >= MAX_RECLAIM_RETRIES;
}

/* ---- the kernel's private alloc flags (mm/internal.h), chosen once per request ---- */

#define ALLOC_WMARK_MIN      WMARK_MIN
#define ALLOC_WMARK_LOW      WMARK_LOW
#define ALLOC_WMARK_HIGH     WMARK_HIGH
#define ALLOC_NO_WATERMARKS  0x04u
#define ALLOC_WMARK_MASK     (ALLOC_NO_WATERMARKS - 1)
#define ALLOC_NON_BLOCK      0x10u
#define ALLOC_MIN_RESERVE    0x20u  /* == BZ_GFP_HIGH */
#define ALLOC_NOFRAGMENT     0x100u
#define ALLOC_HIGHATOMIC     0x200u
#define ALLOC_KSWAPD         0x800u /* == BZ_GFP_KSWAPD_RECLAIM */
/* No ALLOC_OOM (no OOM victims here) and no ALLOC_CPUSET (no cpusets). */
#define ALLOC_RESERVES       (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC)

_Static_assert(ALLOC_MIN_RESERVE == BZ_GFP_HIGH, "gfp_to_alloc_flags relies on this");
_Static_assert(ALLOC_KSWAPD == BZ_GFP_KSWAPD_RECLAIM, "gfp_to_alloc_flags relies on this");

/* A nodemask: bit n for node n (BZ_MAX_NUMNODES is 64); every node, as the kernel's NULL mask. */
#define BZ_NODEMASK_ALL (~0ull)

/* ---- mmzone.c: the names of the enums above, as the kernel prints them ------------- */

extern const char *const bz__zone_names[BZ_MAX_NR_ZONES];
extern const char *const bz__migratetype_names[BZ_MIGRATE_TYPES];
/* Index of a zone name as the kernel prints it ("DMA32"), any case; -1 if unknown. */
int bz__zone_index_by_name(const char *name);

/* ---- options.c: the tunables' table (names, limits, parsing, initial values) ------------ */

struct bz_sysctl_def;
/* The row of a tunable by its sysctl name, NULL if there is none. */
const struct bz_sysctl_def *bz__sysctl_find(const char *name);
/* Where the row's values live in s, and how many (1, or BZ_MAX_NR_ZONES for a vector). */
int *bz__sysctl_field(struct bz_sysctls *s, const struct bz_sysctl_def *def);
int bz__sysctl_nr_values(const struct bz_sysctl_def *def);
/* /proc/sys/vm text into vals (holding the current values: a short vector keeps the rest); -EINVAL. */
int bz__sysctl_parse(const struct bz_sysctl_def *def, const char *text, int vals[BZ_MAX_NR_ZONES]);
/* The text /proc/sys/vm/<name> shows (no final newline); -ERANGE when size is too small. */
int bz__sysctl_format(const struct bz_sysctl_def *def, const int *field, char *buf, size_t size);
/* "<origin>: invalid <name> value "<text>": expected <limits>" through the log. */
void bz__sysctl_log_invalid(const struct bz_system *sys, const struct bz_sysctl_def *def,
			    const char *origin, const char *text);
/*
 * Fills sys->sysctl from cfg, then BUDDYZONE_<NAME>, then the kernel's
 * defaults, before the zones exist; 0 or -EINVAL (logged).
 */
int bz__sysctl_init(struct bz_system *sys, const struct bz_config *cfg);

/*
 * Settles every other field of cfg: a field left at BZ_DEFAULT (NULL for
 * text) takes BUDDYZONE_<NAME>, else its default.  0, or -EINVAL (logged
 * through sys, which may be NULL) for a value of the config or the
 * environment that does not parse or fit.
 */
int bz__options_resolve(const struct bz_system *sys, struct bz_config *cfg);
/*
 * One size grammar for every setting: NUMBER[K|M|G|T][iB|B], a count or
 * (with a suffix) bytes.  bz__parse_pages: a page count, or bytes in
 * pages, at most BZ_MAX_PFNS.  0 or -EINVAL; *end after the number.
 */
int bz__parse_size(const char *s, const char **end, unsigned long long *value, bool *bytes_given);
int bz__parse_pages(const char *s, const char **end, unsigned long *pages);

#endif /* BZ_MMZONE_H */
