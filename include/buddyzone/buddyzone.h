/* SPDX-License-Identifier: MIT */
/*
 * buddyzone.h - libbuddyzone, the Linux page allocator for applications.
 *
 * A system (bz_system) models a machine's memory the way Linux does: nodes,
 * zones (DMA, DMA32, NORMAL, MOVABLE), buddy free lists per order and
 * migratetype, watermarks, lowmem reserves and zonelists.  Pages are 4 KiB,
 * handed out in power-of-two blocks of order 0..10.
 *
 * Conventions: functions returning int give 0 or a negative errno
 * (bz_strerror names it); functions returning pointers give NULL on failure.
 * Every function taking a bz_system * accepts NULL for the process's default
 * system, created on first use.  Unless stated otherwise a function is
 * thread-safe, may take a zone spinlock briefly, never sleeps, and is not
 * async-signal-safe.  The library never prints: messages go to the log
 * callback (bz_set_log_callback), if one is set.
 */
#ifndef BUDDYZONE_H
#define BUDDYZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <buddyzone/export.h>
#include <buddyzone/version.h>
#include <buddyzone/gfp.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Constants (x86-64 Linux) ---------------------------------------- */

#define BZ_PAGE_SHIFT       12
#define BZ_PAGE_SIZE        (1ul << BZ_PAGE_SHIFT)
#define BZ_MAX_ORDER        10 /* MAX_PAGE_ORDER: blocks of up to 4 MiB */
#define BZ_NR_PAGE_ORDERS   (BZ_MAX_ORDER + 1)
#define BZ_PAGEBLOCK_ORDER  9  /* pageblock_order: 2 MiB */
#define BZ_MAX_NUMNODES     64

enum bz_zone_type {       /* the kernel's enum zone_type on x86-64 */
	BZ_ZONE_DMA = 0,
	BZ_ZONE_DMA32 = 1,
	BZ_ZONE_NORMAL = 2,
	BZ_ZONE_MOVABLE = 3,
	BZ_ZONE_DEVICE = 4,   /* listed in reports, never populated */
	BZ_MAX_NR_ZONES = 5
};

enum bz_migratetype {     /* enum migratetype, without CMA */
	BZ_MIGRATE_UNMOVABLE = 0,
	BZ_MIGRATE_MOVABLE = 1,
	BZ_MIGRATE_RECLAIMABLE = 2,
	BZ_MIGRATE_PCPTYPES = 3,
	BZ_MIGRATE_HIGHATOMIC = BZ_MIGRATE_PCPTYPES,
	BZ_MIGRATE_ISOLATE = 4,
	BZ_MIGRATE_TYPES = 5
};

/* ---- Errors ------------------------------------------------------------ */

/* A short English text for a return code: 0, a negative errno, or errno. */
BZ_API const char *bz_strerror(int err);

/* Log levels, as the kernel's printk levels. */
enum bz_log_level { BZ_LOG_ERR = 3, BZ_LOG_WARNING = 4, BZ_LOG_INFO = 6, BZ_LOG_DEBUG = 7 };

/*
 * Receives each message of the library (one line or a block of lines, no
 * trailing newline).  Called from the thread that caused the message, with
 * no lock of the library held; it must not call back into the allocator.
 */
typedef void (*bz_log_fn)(void *arg, int level, const char *msg);

/*
 * Sets the process-wide log callback (NULL: silence, the default).  A
 * system's own callback (bz_config.log) wins for messages about that system.
 * BUDDYZONE_LOG=1 in the environment makes the default write to stderr.
 */
BZ_API void bz_set_log_callback(bz_log_fn fn, void *arg);

/* ---- Systems ----------------------------------------------------------- */

typedef struct bz_system bz_system;
typedef struct bz_page bz_page;

/*
 * "Not set": the environment variable BUDDYZONE_<NAME>, else the default.
 * Every field has it (unsigned fields as (unsigned long)BZ_DEFAULT, text as
 * NULL); any other value is explicit and wins over the environment.  A
 * value that does not parse or fit, in the config or the environment,
 * makes bz_system_create fail with -EINVAL (logged).
 */
#define BZ_DEFAULT (-1)

struct bz_config {
	size_t size;            /* sizeof(struct bz_config); set by bz_config_init */
	/*
	 * Memory layout: "NID:ZONE=PAGES,..." with zone names as the kernel
	 * prints them (DMA, DMA32, Normal, Movable), e.g.
	 * "0:DMA=3840,0:DMA32=772917,0:Normal=163840".  NULL: BUDDYZONE_ZONES,
	 * else each node of the topology gets its real memory size, cut at
	 * x86-64's boundaries (DMA below 16 MiB, DMA32 below 4 GiB).
	 * A zone may also give /proc/zoneinfo's present and spanned pages and
	 * start_pfn: "ZONE=MANAGED/PRESENT/SPANNED@START_PFN", e.g.
	 * "0:DMA=3840/3998/4095@1"; its first MANAGED pages are its memory,
	 * the rest of the span reserved pages and holes (0 < MANAGED <= PRESENT
	 * <= SPANNED; a START_PFN at or above the previous zone's end and the
	 * zone's x86-64 floor).  "NID:cpus=N" gives node NID N CPUs (0..4096),
	 * ahead of cpus_per_node and the topology.
	 */
	const char *zones;
	/* Topology: NULL (BUDDYZONE_TOPOLOGY, else the machine's). */
	const char *topology;
	int cpus_per_node;      /* 0..4096; BZ_DEFAULT: BUDDYZONE_CPUS_PER_NODE, else the topology's */
	/* Tunables, by their sysctl names; BZ_DEFAULT: BUDDYZONE_<NAME>, else the kernel's default. */
	long min_free_kbytes;   /* default: calculate_min_free_kbytes() */
	int watermark_scale_factor;        /* default 10 */
	int watermark_boost_factor;        /* default 15000 */
	int lowmem_reserve_ratio[BZ_MAX_NR_ZONES]; /* default 256 256 32 0 0 */
	int percpu_pagelist_high_fraction; /* default 0 */
	int numa_zonelist_order;           /* 0: Node (default), 1: Zone */
	int zone_reclaim_mode;             /* default 0 */
	bz_log_fn log;          /* NULL: the process-wide callback */
	void *log_arg;
	/* Backing of the arenas: BZ_HUGETLB_* (BZ_DEFAULT: BUDDYZONE_HUGETLB, else preferred). */
	int hugetlb;
	/* 2 MiB or 1 GiB; (unsigned long)BZ_DEFAULT: BUDDYZONE_HUGETLB_PAGE_SIZE, else 2 MiB. */
	unsigned long hugetlb_page_size;
	/*
	 * Debug mode: an OR of enum bz_debug_flags, 0 for none; BZ_DEFAULT
	 * (the bz_config_init value): BUDDYZONE_DEBUG, a comma-separated list
	 * of poison, init_on_alloc, init_on_free, guard, check[=N], abort.
	 */
	unsigned debug;
	/* BZ_DEBUG_CHECK: operations between checks, at least 1; (unsigned long)BZ_DEFAULT: check=N, else 1000. */
	unsigned long debug_check_interval;
	/*
	 * Fault injection: a bz_fault_inject_set() spec, which here may also
	 * name OS calls that fail while the system is built ("os=mmap|mbind|
	 * hugetlb|madvise", "os-skip=N" lets the first N of them succeed).
	 * NULL: BUDDYZONE_FAIL_PAGE_ALLOC.
	 */
	const char *fail_page_alloc;
	/*
	 * Live statistics for `bzstat -p PID`: 1 publishes the system's
	 * counters in the shared-memory segment "/buddyzone.<pid>.<id>" (mode
	 * 0600, removed at bz_system_destroy and at exit), refreshed by a
	 * background thread every publish_interval_ms; 0 does not.
	 * BZ_DEFAULT: BUDDYZONE_STATS (1/0), else off.
	 */
	int publish_stats;
	int publish_interval_ms; /* 1..3600000; BZ_DEFAULT: BUDDYZONE_STATS_INTERVAL_MS, else 250 */
	/*
	 * Memory hotplug: pages of address space reserved after each node's
	 * memory for bz_memory_add() (reserved, not committed: it costs no
	 * RSS, and a hugetlb arena backs it too); 0: none; at most 16 TiB of
	 * page frames in all.  (unsigned long)BZ_DEFAULT: BUDDYZONE_HOTPLUG_RESERVE
	 * (a page count, or a size like "1G"), else none.
	 */
	unsigned long hotplug_reserve;
	/*
	 * Free page reporting (libbuddyzone's tunables, also by the sysctl
	 * names page_reporting_order and page_reporting_delay_ms): free blocks
	 * of page_reporting_order (0..10) or more that stay free for
	 * page_reporting_delay_ms are given back to the OS (MADV_DONTNEED);
	 * delay 0 turns that off (bz_trim still works).  BZ_DEFAULT:
	 * BUDDYZONE_PAGE_REPORTING_ORDER / _DELAY_MS, else 9 (the pageblock
	 * order, as the kernel) and 2000 (its PAGE_REPORTING_DELAY).
	 */
	int page_reporting_order;
	int page_reporting_delay_ms;
	/*
	 * Transparent huge pages, as /sys/kernel/mm/transparent_hugepage/enabled
	 * (also the tunable "transparent_hugepage": "always", "madvise",
	 * "never"): with always or madvise, khugepaged raises min_free_kbytes to
	 * its recommended value (set_recommended_min_free_kbytes(): 11
	 * pageblocks per zone up to NORMAL, at most 5% of lowmem), as on most
	 * distributions' kernels.  BZ_THP_*; BZ_DEFAULT:
	 * BUDDYZONE_TRANSPARENT_HUGEPAGE, else never (min_free_kbytes as
	 * calculate_min_free_kbytes() alone gives it).
	 */
	int transparent_hugepage;
	/*
	 * Compaction (the kernel's CONFIG_COMPACTION): 1 moves pages the
	 * application marked movable (bz_set_page_movable) to make high-order
	 * blocks, in the allocation slow path, in a kcompactd thread per node
	 * and through bz_compact(); 0 never moves a page.  BZ_DEFAULT:
	 * BUDDYZONE_COMPACTION (1/0), else 1.
	 */
	int compaction;
	/*
	 * Tunables (also by these sysctl names): compaction_suitable()
	 * compacts for orders above 3 only while the fragmentation index
	 * exceeds extfrag_threshold (0..1000, default 500); kcompactd compacts
	 * in the background while a node's fragmentation score exceeds a
	 * threshold set by compaction_proactiveness (0 off .. 100, default 20).
	 * BZ_DEFAULT: BUDDYZONE_EXTFRAG_THRESHOLD / _COMPACTION_PROACTIVENESS,
	 * else the kernel's defaults.
	 */
	int extfrag_threshold;
	int compaction_proactiveness;
};

enum bz_thp_mode { BZ_THP_NEVER = 0, BZ_THP_MADVISE = 1, BZ_THP_ALWAYS = 2 };

/*
 * Debug options (the kernel's page_poison, init_on_alloc, init_on_free and
 * debug_pagealloc boot parameters), per system.  Any of them turns off the
 * per-thread fast paths of that system (allocation and free still use the
 * thread caches).  README.md "Debugging" states what each costs.
 */
enum bz_debug_flags {
	BZ_DEBUG_POISON = 1u << 0,        /* freed pages filled with 0xaa, checked when allocated again */
	BZ_DEBUG_INIT_ON_ALLOC = 1u << 1, /* every allocation zeroed (poisoning takes precedence) */
	BZ_DEBUG_INIT_ON_FREE = 1u << 2,  /* every free zeroed (poisoning takes precedence) */
	BZ_DEBUG_GUARD = 1u << 3,         /* free pages PROT_NONE: a stray access faults (base pages only) */
	BZ_DEBUG_CHECK = 1u << 4,         /* bz_check every debug_check_interval allocations and frees */
	BZ_DEBUG_ABORT = 1u << 5,         /* abort() on detected corruption or a refused free */
};

enum bz_hugetlb_policy {
	BZ_HUGETLB_NEVER = 0,     /* transparent huge pages if the kernel allows, else base pages */
	BZ_HUGETLB_PREFERRED = 1, /* hugetlb pages from the node's pool when it has them */
	BZ_HUGETLB_REQUIRED = 2   /* fail bz_system_create when the pool cannot back an arena */
};

/*
 * Fills cfg with defaults (every tunable BZ_DEFAULT, strings NULL).  The
 * macro passes the size of the struct the caller was compiled with, so a
 * program built against an older, shorter struct bz_config still works with
 * a newer library: only that many bytes are written, and bz_system_create
 * takes defaults for the fields beyond cfg->size.
 */
BZ_API void bz_config_init_size(struct bz_config *cfg, size_t size);
BZ_API void bz_config_init(struct bz_config *cfg); /* for this header's struct size */
#define bz_config_init(cfg) bz_config_init_size((cfg), sizeof(*(cfg)))

/*
 * Builds a system from cfg (NULL: defaults).  Memory is reserved, not
 * committed: pages cost RSS only once handed out and touched.  Returns 0,
 * -EINVAL for a bad config (explained through the log callback), -ENOMEM
 * when the address space or metadata cannot be reserved.
 */
BZ_API int bz_system_create(const struct bz_config *cfg, bz_system **out);

/*
 * Destroys a system and unmaps its memory, after stopping its background
 * threads (kswapd, page reporting; a shrinker callback in progress is
 * waited for).  Pages still allocated become
 * invalid; freeing one later returns -EINVAL.  The caller must ensure no
 * other thread is inside a call on this system.  NULL is a no-op.
 */
BZ_API void bz_system_destroy(bz_system *sys);

/*
 * The process's default system, created on first use; NULL if that failed
 * or if it was destroyed (calls given NULL then fail with NULL/-EINVAL).
 */
BZ_API bz_system *bz_default_system(void);

/* ---- Allocation ---------------------------------------------------------- */

/*
 * Allocates 2^order contiguous, naturally aligned pages (alloc_pages).  A
 * request with BZ_GFP_DIRECT_RECLAIM (BZ_GFP_KERNEL, ...) may block: when
 * memory is short it runs the system's shrinkers and OOM notifiers on the
 * calling thread and retries as BZ_GFP_NORETRY, BZ_GFP_RETRY_MAYFAIL and
 * BZ_GFP_NOFAIL say (bz_shrinker_register).  The
 * flags choose the highest zone, the migratetype, the watermark and the
 * reserves the request may use; the calling thread's memory policy for sys
 * (bz_set_mempolicy) chooses the nodes, unless the flags hold
 * BZ_GFP_THISNODE (then: the thread's own node only).  NULL when order >
 * BZ_MAX_ORDER, the flags are invalid, or no zone can satisfy the request;
 * unless BZ_GFP_NOWARN, a failure logs a kernel-style "page allocation
 * failure" report.
 */
BZ_API bz_page *bz_alloc_pages(bz_system *sys, bz_gfp_t gfp, unsigned order);

/*
 * As bz_alloc_pages, starting from node nid's zonelist (-1: the calling
 * thread's node), falling back to other nodes by distance unless
 * BZ_GFP_THISNODE.  The memory policy does not apply, as with the
 * kernel's alloc_pages_node().  NULL (logged) for a node that does not exist.
 */
BZ_API bz_page *bz_alloc_pages_node(bz_system *sys, int nid, bz_gfp_t gfp, unsigned order);

/*
 * Drops the caller's reference to a block returned by an allocation of the
 * same order, freeing it with the last one (the kernel's __free_pages).
 * A block is handed out holding one reference (bz_get_page and friends,
 * below, add more), so without other references this frees it.  If others
 * still hold references, a compound block (BZ_GFP_COMP) waits for the last
 * bz_put_page; a non-compound block of order > 0 frees all but its first
 * page now and keeps that one as an order-0 page for the other holders,
 * whose last bz_put_page frees it.  Returns 0, or -EINVAL (nothing
 * changes, a "Bad page state" line is logged) for NULL, a page not ours,
 * not the first page of an allocated block (a compound page's tail
 * included), a page with no reference (a double free), or the wrong order.
 */
BZ_API int bz_free_pages(bz_page *page, unsigned order);

/* As bz_alloc_pages, returning the block's address (__get_free_pages). */
BZ_API void *bz_get_free_pages(bz_system *sys, bz_gfp_t gfp, unsigned order);

/* One zero-filled page (get_zeroed_page). */
BZ_API void *bz_get_zeroed_page(bz_system *sys, bz_gfp_t gfp);

/* Frees by address (free_pages); errors as bz_free_pages, also for a misaligned address. */
BZ_API int bz_free_pages_addr(void *addr, unsigned order);

/*
 * Marks the calling thread as one that frees memory for others (the
 * kernel's PF_MEMALLOC, memalloc_noreclaim_save): its allocations may use
 * every reserve below the min watermark unless they pass BZ_GFP_NOMEMALLOC.
 * Returns the previous state for bz_memalloc_restore.
 */
BZ_API unsigned bz_memalloc_save(void);
BZ_API void bz_memalloc_restore(unsigned flags);

/*
 * Returns the pages every thread holds in its per-thread caches to the
 * buddy lists (drain_all_pages), while those threads keep running.  Takes
 * the zone locks; may spin briefly while a thread finishes a cache
 * operation.  Not from a signal handler.  0, or -EINVAL.
 */
BZ_API int bz_drain_all_pages(bz_system *sys);

/* ---- Memory pressure: shrinkers, OOM notifiers, giving memory back ------------- */

/*
 * A shrinker is memory the application can give back when the system runs
 * short (the kernel's struct shrinker): a cache of pages, or of objects
 * that hold pages.  count_objects says how many objects could be freed now
 * (0, or BZ_SHRINK_EMPTY when the cache is empty); scan_objects frees up to
 * sc->nr_to_scan of them, releasing their pages with bz_free_pages, and
 * returns how many it freed, or BZ_SHRINK_STOP when it cannot make
 * progress now (a lock it needs is busy, say).  It may lower
 * sc->nr_scanned to the number it looked at; 0 ends this round.
 *
 * They are called by a thread that reclaims: an allocating thread in
 * direct reclaim, or the node's kswapd thread (one per node, started when
 * a zone first falls below its low watermark), with no lock of the library
 * held.  That thread counts as a reclaimer (bz_memalloc_save): the
 * callbacks' own allocations may dip into the reserves and never reclaim
 * in turn.  They must not unregister shrinkers (that is refused).
 *
 * How much each is asked to scan follows the kernel's do_shrink_slab():
 * at reclaim priority p (12 first, down to 0 as pressure persists) a
 * shrinker with F freeable objects gets (F >> p) * 4 / seeks objects of
 * work (F / 2 for seeks 0), plus a share of the work deferred by earlier
 * calls, at most 2F, handed out in calls of `batch` objects (0: 128), or
 * all at once when it covers every object.  Reclaim progress is counted
 * in pages: those the callbacks free through bz_free_pages.
 */
struct bz_shrink_control {
	bz_gfp_t gfp_mask;           /* the request that needs memory (kswapd: BZ_GFP_KERNEL) */
	int nid;                     /* node to free memory on; 0 without BZ_SHRINKER_NUMA_AWARE */
	unsigned long nr_to_scan;    /* objects to look at in this call */
	unsigned long nr_scanned;    /* set to nr_to_scan; scan_objects may lower it */
};

struct bz_shrinker {
	unsigned long (*count_objects)(struct bz_shrinker *s, struct bz_shrink_control *sc);
	unsigned long (*scan_objects)(struct bz_shrinker *s, struct bz_shrink_control *sc);
	int seeks;                   /* cost to recreate an object: BZ_DEFAULT_SEEKS; 0: trim hard */
	long batch;                  /* objects per scan_objects call; 0: 128 (SHRINK_BATCH) */
	unsigned flags;              /* BZ_SHRINKER_NUMA_AWARE */
	void *private_data;          /* the caller's */
};

#define BZ_SHRINKER_NUMA_AWARE (1u << 2) /* called per node, with that node in sc->nid */
#define BZ_DEFAULT_SEEKS       2
#define BZ_SHRINK_STOP         (~0ul)        /* scan_objects: no progress possible now */
#define BZ_SHRINK_EMPTY        (~0ul - 1)    /* count_objects: nothing cached at all */

/*
 * Registers s with sys; from now on reclaim may call it.  s must stay valid
 * and unchanged until bz_shrinker_unregister returns.  0; -EINVAL (logged)
 * for NULL, a missing callback, seeks or batch below 0, unknown flags, or
 * an s registered already; -ENOMEM.  Thread-safe.
 */
BZ_API int bz_shrinker_register(bz_system *sys, struct bz_shrinker *s);

/*
 * Unregisters s, waiting until every call of it in progress has returned
 * (the caller may free s afterwards).  Blocks; must not be called from a
 * shrinker callback (that is refused and logged) nor while holding a lock
 * the callbacks take.  Logs, and does nothing, for an s not registered.
 */
BZ_API void bz_shrinker_unregister(bz_system *sys, struct bz_shrinker *s);

/*
 * OOM notifiers (the kernel's register_oom_notifier): the last resort of a
 * request that may block (BZ_GFP_DIRECT_RECLAIM) when reclaim has failed,
 * where the kernel would invoke the OOM killer: not for orders above 3,
 * BZ_GFP_RETRY_MAYFAIL, BZ_GFP_THISNODE, or requests limited to DMA/DMA32.
 * notifier_call frees what it can (through bz_free_pages) and returns the
 * number of pages it freed; if the notifiers freed anything the request is
 * tried once more.  They run on the requesting thread, one thread at a
 * time per system, higher priority first, marked as a reclaimer.
 */
struct bz_oom_control {
	bz_gfp_t gfp_mask;           /* the failing request */
	unsigned order;
	int nid;                     /* node whose zonelist it walked */
};

struct bz_oom_notifier {
	unsigned long (*notifier_call)(struct bz_oom_notifier *nb, const struct bz_oom_control *oc);
	int priority;                /* higher runs first */
	void *private_data;          /* the caller's */
};

/* 0; -EINVAL (logged) for NULL, no notifier_call, or nb registered already; -ENOMEM.  Thread-safe. */
BZ_API int bz_register_oom_notifier(bz_system *sys, struct bz_oom_notifier *nb);
/*
 * Unregisters nb once no call of it is in progress.  0; -ENOENT (logged)
 * if it is not registered; -EDEADLK from inside a notifier.  Blocks.
 */
BZ_API int bz_unregister_oom_notifier(bz_system *sys, struct bz_oom_notifier *nb);

/*
 * Gives every free page of sys back to the OS now (malloc_trim for pages):
 * per-thread caches are drained, then each free block that is not already
 * given back is discarded with madvise(MADV_DONTNEED), so it leaves the
 * process's RSS and reads as zero when used again.  Arenas backed by
 * hugetlb pages, and systems in debug mode, keep their memory.  Returns
 * the number of pages given back, or -EINVAL, or the madvise error when it
 * failed before any page was given back.  Blocks (milliseconds per GiB);
 * not from a signal handler.  Free page reporting does the same in the
 * background for blocks of page_reporting_order that stay free.
 */
BZ_API long bz_trim(bz_system *sys);

/* ---- Memory policies (NUMA) -------------------------------------------------- */

/* set_mempolicy(2)'s modes and mode flags, with the kernel's numbers. */
enum bz_mpol_mode {
	BZ_MPOL_DEFAULT = 0,             /* the thread's node first, then by distance */
	BZ_MPOL_PREFERRED = 1,           /* one node first, then its fallback order */
	BZ_MPOL_BIND = 2,                /* only the mask's nodes (nearest first) */
	BZ_MPOL_INTERLEAVE = 3,          /* the mask's nodes in turn, one request each */
	BZ_MPOL_LOCAL = 4,               /* the thread's node first (as DEFAULT, but set) */
	BZ_MPOL_PREFERRED_MANY = 5,      /* the mask's nodes first, then any node */
	BZ_MPOL_WEIGHTED_INTERLEAVE = 6, /* in turn, each node for its weight in requests */
	BZ_MPOL_MAX = 7
};
#define BZ_MPOL_F_STATIC_NODES   (1 << 15) /* accepted; nothing rebinds a policy here */
#define BZ_MPOL_F_RELATIVE_NODES (1 << 14) /* bit n: the n-th node with memory (mod their count) */
#define BZ_MPOL_F_NUMA_BALANCING (1 << 13) /* accepted with BIND and PREFERRED_MANY; no effect */

/*
 * Sets the calling thread's memory policy for sys, as set_mempolicy(2)
 * does for a task: which nodes bz_alloc_pages() takes pages from.  mode is
 * a BZ_MPOL_* mode, optionally ORed with BZ_MPOL_F_* flags.  As in the
 * kernel, maxnode - 1 bits of nodemask are read (pass BZ_MAX_NUMNODES + 1
 * for a whole unsigned long), bits for nodes above BZ_MAX_NUMNODES - 1 must
 * be 0, and nodes without memory are dropped from the mask.  PREFERRED
 * takes the mask's first node (an empty mask means LOCAL); DEFAULT and
 * LOCAL take no nodes.  Interleaving starts again at the mask's first node.
 * Returns 0; -EINVAL (logged, the old policy stays) for an unknown mode,
 * STATIC with RELATIVE, NUMA_BALANCING with another mode, maxnode above
 * 32769, a node bit above BZ_MAX_NUMNODES - 1, nodes for DEFAULT or LOCAL,
 * or a mask left empty where the mode needs nodes; -ENOMEM when the thread
 * holds policies for 16 other live systems.  Touches only the calling
 * thread's state: thread-safe, takes no lock of the allocator.
 */
BZ_API int bz_set_mempolicy(bz_system *sys, int mode, const unsigned long *nodemask, unsigned long maxnode);

/*
 * The calling thread's policy for sys, as get_mempolicy(2) with no flags
 * reports it: *mode (mode may be NULL) gets the mode ORed with its flags,
 * BZ_MPOL_DEFAULT when none was set; nodemask (may be NULL) gets the nodes
 * in effect (with mode flags: the mask as given), as maxnode - 1 bits
 * rounded up to whole unsigned longs.  0; -EINVAL when maxnode is below
 * bz_nr_nodes(sys), or that many bits exceed 4096 bytes.  Thread-safe.
 */
BZ_API int bz_get_mempolicy(bz_system *sys, int *mode, unsigned long *nodemask, unsigned long maxnode);

/*
 * Weights of BZ_MPOL_WEIGHTED_INTERLEAVE for sys's nodes 0..nr_nodes-1, as
 * the kernel's /sys/kernel/mm/mempolicy/weighted_interleave/nodeN: with
 * weights {3, 1}, a thread interleaving over nodes 0 and 1 takes three
 * requests from node 0, then one from node 1.  0 means the default, 1.
 * Shared by the system's threads, read whenever a thread moves to the next
 * node.  0; -EINVAL (logged) for NULL or nr_nodes outside
 * 1..bz_nr_nodes(sys).  Thread-safe, lock-free.
 */
BZ_API int bz_set_interleave_weights(bz_system *sys, const unsigned char *weights, int nr_nodes);

/*
 * Places the calling thread on node nid of sys, as running it on one of
 * nid's CPUs would: from then on its requests without a node
 * (bz_alloc_pages, bz_get_free_pages, a policy's local node) start at
 * nid's zonelist, numa_local/numa_other count nid as its node, node
 * reclaim treats nid as local, remote-node pages in its cache expire as
 * any other node's, and its page cache of sys and the cache's counters
 * live in memory bound to the real node backing nid.  nid -1 returns the
 * thread to the node of the CPU it runs on (in an emulated topology, this
 * machine's CPU c is the topology file's CPU c, modulo the CPUs it lists;
 * with bz_config.cpus_per_node, CPUs are dealt to nodes in order by those
 * counts).  It does not change where the thread runs: on a real
 * multi-socket machine, also bind it to the node's CPUs
 * (sched_setaffinity, numa_run_on_node).  Each (thread, system) has its
 * own setting; it goes with the thread.  Returns 0; -EINVAL for a nid
 * outside -1..bz_nr_nodes(sys)-1 (logged); -ENOMEM.  Affects the calling
 * thread only; when its cache lives on another node's memory, the cache
 * goes back to the buddy lists first (the zone locks, briefly).
 */
BZ_API int bz_thread_set_node(bz_system *sys, int nid);

/* The calling thread's node in sys: the one bz_thread_set_node gave it, else its CPU's; -EINVAL. */
BZ_API int bz_thread_node(bz_system *sys);

/* ---- Memory hotplug ------------------------------------------------------------ */

/*
 * Adds pages of memory to zone zid of node nid while the system runs, as
 * onlining hot-added memory does (online_pages()): the zone grows at its
 * end, or an empty zone appears above the node's highest populated zone
 * (a MOVABLE zone above NORMAL, a first zone on a memoryless node), inside
 * the room reserved after the node at creation (bz_config.hotplug_reserve).
 * A new zone starts on a 4 MiB boundary and at its x86-64 floor (NORMAL
 * and MOVABLE at 4 GiB).  The pages are free at once; spanned, present
 * and managed pages grow; min_free_kbytes (as the kernel recomputes it),
 * watermarks, lowmem reserves and pageset sizes are recomputed, and the
 * zonelists rebuilt when a zone or a node gets its first memory.  Returns
 * 0; -EINVAL (logged) for a bad node or zone, pages 0, a zone that lies
 * below another populated zone of the node, or one that would cross its
 * ceiling (DMA 16 MiB, DMA32 4 GiB); -ENOSPC (logged) when the node's
 * reserved room cannot hold the pages.  Takes the tunables lock and zone
 * locks briefly; allocations and frees go on meanwhile.
 */
BZ_API int bz_memory_add(bz_system *sys, int nid, int zid, unsigned long pages);

/*
 * offline_pages(): takes the last pages of zone zid of node nid out of
 * the running system, the reverse of bz_memory_add.  The range's
 * pageblocks are isolated (no allocation takes their free pages; pages
 * freed into them stay there), the thread caches drained, and every
 * block in the range that is marked movable (bz_set_page_movable) is
 * migrated elsewhere, its contents and the owner's references following
 * as compaction moves them.  When every page of the range is free, its
 * pages leave the zone: managed, present and spanned pages shrink (the
 * node's with them), min_free_kbytes, watermarks, lowmem reserves and
 * pageset sizes are recomputed, and a zone left empty leaves the
 * zonelists.  pages must be a multiple of the pageblock (512 pages) and
 * leave the range starting on a pageblock boundary.  Returns 0; -EINVAL
 * (logged, nothing changed) for a bad node or zone, pages 0, more pages
 * than the zone has, a misaligned range, or a zone whose last pages are
 * reserved rather than memory; -EBUSY (logged) when a page in the range
 * is in use and cannot move (not movable, pinned by another reference,
 * refused by its owner's callbacks, or a pageblock already isolated by a
 * concurrent bz_alloc_contig_range or removal): the isolation is undone
 * and every page is as it was, owners' data included.  Blocks while it
 * migrates (callbacks run on the calling thread); takes the tunables
 * lock and zone locks briefly; allocations and frees go on meanwhile.
 */
BZ_API int bz_memory_remove(bz_system *sys, int nid, int zid, unsigned long pages);

/*
 * ---- Contiguous ranges (mm/page_alloc.c, CONFIG_CONTIG_ALLOC; the CMA path) ----
 *
 * alloc_contig_range(): the pages [start, end) (pfns, one zone, any
 * alignment) handed to the caller as order-0 pages, each with one
 * reference, whatever was there before: free pages are taken, blocks
 * marked movable (bz_set_page_movable) are migrated elsewhere first.  The
 * range's pageblocks are isolated meanwhile (MIGRATE_ISOLATE: concurrent
 * allocations never get their pages, and they do not count as free for
 * watermarks), then given back migratetype.  migratetype must be
 * BZ_MIGRATE_MOVABLE (there is no CMA here); gfp's reclaim bits are used
 * to allocate the migration targets, BZ_GFP_ZERO zeroes the pages, and
 * BZ_GFP_COMP is refused (as before Linux 6.15).  Returns 0; -EINVAL
 * (logged, nothing changed) for a range outside one zone, another
 * migratetype or BZ_GFP_COMP; -EBUSY when a page in the range is in use
 * and not movable, stays pinned (a reference beyond its owner's), is
 * refused by its owner's callbacks 5 times, or a pageblock is isolated by
 * another caller already; -ENOMEM when no target could be allocated.  On
 * failure nothing is handed out and every page is as before (moved
 * blocks stay moved, their owners repointed).  Thread-safe; blocks while
 * it migrates (the callbacks run on the calling thread).
 */
BZ_API int bz_alloc_contig_range(bz_system *sys, unsigned long start, unsigned long end, int migratetype,
				 bz_gfp_t gfp);
/*
 * alloc_contig_pages(): nr_pages contiguous pages from the first zone of
 * node nid's zonelist (nid -1: the calling thread's node) allowed by gfp
 * and nodemask (bit n for node n, as bz_set_mempolicy's; NULL: every
 * node), trying aligned candidates (a power of two comes out naturally
 * aligned) with bz_alloc_contig_range until one succeeds.  The first
 * page, or NULL: no candidate could be had, or (logged) nr_pages 0 or
 * beyond the system, a bad node, bad zone modifiers, BZ_GFP_COMP.  Free
 * with bz_free_contig_range.  Thread-safe; blocks as above.
 */
BZ_API bz_page *bz_alloc_contig_pages(bz_system *sys, unsigned long nr_pages, bz_gfp_t gfp, int nid,
				      const unsigned long *nodemask);
/*
 * free_contig_range(): drops one reference on each of the nr_pages
 * order-0 pages from pfn, freeing those it was the last of; pages still
 * referenced are logged as "N pages are still in use!".  Returns 0, or
 * -EINVAL (logged, nothing freed) when the range leaves the system or a
 * page of it is not an allocated order-0 page (free, part of a larger
 * block or a compound page).  Thread-safe for pages the caller owns.
 */
BZ_API int bz_free_contig_range(bz_system *sys, unsigned long pfn, unsigned long nr_pages);

/* ---- Pages and addresses --------------------------------------------------- */

BZ_API void *bz_page_address(const bz_page *page);          /* NULL if not ours */
BZ_API bz_page *bz_virt_to_page(const void *addr);          /* NULL if not ours */
BZ_API unsigned long bz_page_to_pfn(const bz_page *page);  /* (unsigned long)-1 if not ours */
BZ_API bz_page *bz_pfn_to_page(bz_system *sys, unsigned long pfn); /* NULL outside every zone */
BZ_API int bz_page_to_nid(const bz_page *page);            /* -EINVAL if not ours */
BZ_API int bz_page_zonenum(const bz_page *page);           /* enum bz_zone_type, or -EINVAL */

/*
 * ---- Reference counts and compound pages (include/linux/page_ref.h, mm.h) ----
 *
 * Every allocated block has a reference count on its first page, 1 when it
 * is handed out.  Holders of a reference may give others one (bz_get_page)
 * and drop their own (bz_put_page, bz_free_pages); the last one frees the
 * block.  A block allocated with BZ_GFP_COMP and order > 0 is a compound
 * page: its first page (the head) holds the count for all of it, its other
 * pages (tails, reference count 0) lead to the head, and bz_get_page and
 * bz_put_page given a tail act on the head.
 *
 * Concurrency: every call below is thread-safe against every other and
 * against bz_free_pages on other threads, with one rule, the kernel's:
 * bz_get_page, bz_page_ref_add and bz_page_ref_sub need a reference the
 * caller holds (or one whose holder cannot drop it meanwhile).  A thread
 * holding none uses bz_get_page_unless_zero, which is safe at any time,
 * even while the page is being freed.  That safety costs it a stop of
 * every thread's page cache (microseconds) when the count it finds is 1,
 * so that the last reference's free stays free of locked instructions.
 * Misuse (a reference taken on or dropped from a free page, more dropped
 * than held) is refused: -EINVAL, a "Bad page state" line, nothing changes.
 */

/* page_ref_count(): the page's own count (0 for a free page or a tail); -EINVAL if not ours. */
BZ_API int bz_page_ref_count(const bz_page *page);
/* page_count(): the count of the page's head (of itself, when it is no tail); -EINVAL if not ours. */
BZ_API int bz_page_count(const bz_page *page);
/* get_page(): one more reference to the page's head.  0, or -EINVAL (free page, overflow). */
BZ_API int bz_get_page(bz_page *page);
/*
 * get_page_unless_zero(): a reference to this page if its count is not 0
 * (a free page, a tail): 1 taken, 0 not, -EINVAL if not ours.  Safe
 * without a reference; the page may have been freed and reused by then:
 * check that it is still the page wanted, and drop the reference if not.
 */
BZ_API int bz_get_page_unless_zero(bz_page *page);
/*
 * put_page(): drops a reference to the page's head; the last one frees
 * the block: a compound page whole, any other page alone (order 0, as the
 * kernel's folio of a non-compound page; a block of order > 0 is freed
 * with bz_free_pages, and dropping its last reference here is refused).
 * 1 when this freed the block, 0 when references remain, -EINVAL.
 */
BZ_API int bz_put_page(bz_page *page);
/* page_ref_add(): nr (> 0) more references to this page, which must have one; the new count or -EINVAL. */
BZ_API int bz_page_ref_add(bz_page *page, int nr);
/*
 * page_ref_sub_and_test(): drops nr (> 0) of this page's references; when
 * none remain the block is freed as by bz_put_page (where the kernel's
 * caller would free the then frozen page itself).  1 freed, 0 not,
 * -EINVAL (more than it holds, or bz_put_page would refuse).
 */
BZ_API int bz_page_ref_sub(bz_page *page, int nr);
/* compound_head(): the head of a compound page's tail, else page itself; NULL if not ours. */
BZ_API bz_page *bz_compound_head(const bz_page *page);
/* compound_order(): the order of a compound head, 0 for other pages; -EINVAL if not ours. */
BZ_API int bz_compound_order(const bz_page *page);
/* PageHead(), PageTail(): 1 or 0; -EINVAL if not ours. */
BZ_API int bz_page_is_head(const bz_page *page);
BZ_API int bz_page_is_tail(const bz_page *page);

/*
 * ---- The fields kernel code keeps in struct page ---------------------------
 *
 * An allocated page carries, for its holder, the kernel's page->private
 * (0 on allocation), page->mapping, page->index and page->lru (a list
 * node, e.g. for chaining pages; the allocator's own lists never use it),
 * and two page flags.  <buddyzone/linux.h>'s struct page shows them as
 * fields at these offsets; the accessors below are for everyone else.  A
 * free clears the flags; the fields are the holder's to reset.
 */
#define BZ_PAGE_STRUCT_SIZE     64   /* sizeof(struct page): page + n is the n-th next page */
#define BZ_PAGE_LRU_OFFSET      24   /* struct list_head lru */
#define BZ_PAGE_PRIVATE_OFFSET  40   /* unsigned long private */
#define BZ_PAGE_MAPPING_OFFSET  48   /* struct address_space *mapping */
#define BZ_PAGE_INDEX_OFFSET    56   /* pgoff_t index */

enum bz_page_flag {
	BZ_PAGE_PRIVATE = 1,  /* PG_private: page->private holds the holder's data */
	BZ_PAGE_RESERVED = 2  /* PG_reserved: the holder marks the page as not to be touched */
};
/* PageXxx(), SetPageXxx(), ClearPageXxx() (atomic bit operations): 1/0, 0, or -EINVAL. */
BZ_API int bz_page_flag_test(const bz_page *page, enum bz_page_flag flag);
BZ_API int bz_page_flag_set(bz_page *page, enum bz_page_flag flag);
BZ_API int bz_page_flag_clear(bz_page *page, enum bz_page_flag flag);
/* page_private(), set_page_private(): 0 (reading a page not ours) or -EINVAL. */
BZ_API unsigned long bz_page_private(const bz_page *page);
BZ_API int bz_set_page_private(bz_page *page, unsigned long private_data);

/*
 * ---- Movable pages and compaction (mm/migrate.c, mm/compaction.c) ---------------
 *
 * No allocator can move memory whose users it cannot find.  The kernel
 * moves its non-LRU pages (zsmalloc, balloon) through callbacks, and so
 * does this library: a page or block the application allocated with
 * BZ_GFP_MOVABLE may be marked movable with operations that let the
 * library move it.  Compaction then migrates such blocks out of fragmented
 * pageblocks into free holes elsewhere in the zone, so that high-order
 * allocations succeed again: in the allocation slow path, in each node's
 * kcompactd thread (woken by kswapd for a failed request, and every 500 ms
 * while a node is fragmented: compaction_proactiveness), and by hand
 * (bz_compact).
 *
 * Moving a block: the library takes a reference (a block that holds more
 * than its owner's one is left alone), asks isolate_page, allocates the
 * destination in the same zone, copies the whole block's contents and its
 * page->private and page->index into it, and calls migrate_page(dst, src,
 * mode): the application repoints its references (a handle table, an
 * index) from src to dst and returns BZ_MIGRATEPAGE_SUCCESS.  The owner's
 * reference then moves to dst, which stays movable with the same
 * operations, and src is freed; the callback takes and drops no
 * reference itself, and must not free dst.  While it runs, dst holds two
 * references (the one that becomes the owner's, and the library's until
 * the move is done), so another thread of the owner may free dst as soon
 * as the callback repointed it.  Any other return leaves src
 * and its contents as they were (-EAGAIN: try again soon) and dst is
 * freed; putback_page then tells the application it has its page back.
 *
 * The callbacks run on the compacting thread (an allocating thread, a
 * kcompactd thread, the caller of bz_compact) with no lock of the library
 * held and marked as a reclaimer (bz_memalloc_save); they must not block
 * on another thread that is allocating.  They may run while other threads
 * use or free the page: an application whose threads free movable pages
 * serialises its callbacks and its frees with its own lock (as zsmalloc
 * does).  A page its owner freed meanwhile (after bz_clear_page_movable,
 * or simply by dropping its reference) is found so: the library's
 * reference keeps it from reuse until the callback returns, no
 * putback_page is called for it, and it is freed when the library lets go.
 */
enum bz_migrate_mode {           /* enum migrate_mode */
	BZ_MIGRATE_ASYNC = 0,        /* never block */
	BZ_MIGRATE_SYNC_LIGHT = 1,   /* may block on most things */
	BZ_MIGRATE_SYNC = 2          /* may block */
};
#define BZ_MIGRATEPAGE_SUCCESS   0
#define BZ_ISOLATE_ASYNC_MIGRATE 0x4u  /* isolate_page's mode: an async migration asks */

struct bz_movable_operations {  /* struct movable_operations */
	/* May the page move now?  NULL: always.  true: yes; the application stops using page->lru. */
	bool (*isolate_page)(bz_page *page, unsigned mode);
	/* Repoint the application's references from src to dst (already a copy); BZ_MIGRATEPAGE_SUCCESS or -errno. */
	int (*migrate_page)(bz_page *dst, bz_page *src, enum bz_migrate_mode mode);
	/* The isolated page stays where it was (migration failed or was not tried).  NULL: nothing to do. */
	void (*putback_page)(bz_page *page);
};

/*
 * __SetPageMovable(): marks the allocated block whose first page is page
 * as movable through ops, which must outlive the mark (keep them static).
 * page->mapping then holds ops, tagged, as in the kernel: it is the
 * library's until the mark goes.  Returns 0; -EINVAL (logged, nothing
 * changed) for ops NULL or without migrate_page, a page not ours, one
 * that is not the first page of an allocated block (a free page, a tail),
 * a block not allocated with BZ_GFP_MOVABLE, one already movable, or a
 * compound block of pageblock order or more (it could only move whole
 * pageblocks, which compaction never does).  Thread-safe, lock-free.
 */
BZ_API int bz_set_page_movable(bz_page *page, const struct bz_movable_operations *ops);
/*
 * __ClearPageMovable(): the block is not movable any more; page->mapping
 * is NULL again.  An owner that frees a movable block from a thread other
 * than the one its callbacks may run on clears the mark first (a free
 * also drops it).  0, or -EINVAL (logged) for a page that is not movable.
 */
BZ_API int bz_clear_page_movable(bz_page *page);
/* PageMovable(): 1 when the page is marked movable, 0 if not, -EINVAL if not ours. */
BZ_API int bz_page_movable(const bz_page *page);

/*
 * /proc/sys/vm/compact_memory (nid -1) or /sys/devices/system/node/nodeN/compact:
 * compacts every zone of node nid (-1: of every node) as far as it goes,
 * in MIGRATE_SYNC mode, on the calling thread (the callbacks run on it).
 * Counted in compact_migrate_scanned, compact_free_scanned,
 * compact_isolated and pgmigrate_*.  0; -EINVAL for a bad nid;
 * -EOPNOTSUPP when compaction is off (bz_config.compaction).  Blocks
 * (milliseconds per GiB); not from a callback or a signal handler.
 */
BZ_API int bz_compact(bz_system *sys, int nid);

/* ---- Splitting and exact sizes (mm/page_alloc.c) -------------------------------- */

/* get_order(): the order of the smallest block of at least size bytes (size 0: undefined, 52 as the kernel's). */
static inline int bz_get_order(unsigned long size)
{
	size = (size - 1) >> BZ_PAGE_SHIFT;
	return size ? 64 - __builtin_clzl(size) : 0;
}

/*
 * split_page(): a non-compound block of this order becomes 2^order order-0
 * pages, each freed on its own; the first keeps the block's references,
 * the others have one each.  0, or -EINVAL (a compound page, not an
 * allocated block of this order).
 */
BZ_API int bz_split_page(bz_page *page, unsigned order);

/*
 * alloc_pages_exact(): size bytes (rounded up to whole pages) from a block
 * of bz_get_order(size), its unused pages freed at once (make_alloc_exact).
 * Each page of the result is an order-0 page: free them with
 * bz_free_pages_exact (or one by one).  BZ_GFP_COMP is dropped (and
 * warned about), as the kernel does.  NULL on failure.
 */
BZ_API void *bz_alloc_pages_exact(bz_system *sys, size_t size, bz_gfp_t gfp);
/* alloc_pages_exact_nid(): the same from node nid's zonelist (as bz_alloc_pages_node). */
BZ_API void *bz_alloc_pages_exact_nid(bz_system *sys, int nid, size_t size, bz_gfp_t gfp);
/*
 * free_pages_exact(): frees the pages of [virt, virt + size rounded up to
 * a page).  0, or -EINVAL (nothing freed) when virt is misaligned or a
 * page of the range is not an allocated order-0 page.
 */
BZ_API int bz_free_pages_exact(void *virt, size_t size);

/*
 * alloc_pages_bulk() (the array form, __alloc_pages_bulk): fills each NULL
 * entry of page_array[0 .. nr_pages - 1] with an order-0 page, in order,
 * leaving entries already set as they are, until one allocation fails (only
 * the first may reclaim or warn; the kernel takes the rest from the
 * per-CPU list and stops when it cannot).  Returns the number of entries
 * from the start that are set.
 */
BZ_API unsigned long bz_alloc_pages_bulk(bz_system *sys, bz_gfp_t gfp, unsigned long nr_pages,
					 bz_page **page_array);

/*
 * ---- Page fragments (mm/page_frag_cache.c) -----------------------------------
 *
 * A page fragment cache hands out pieces of a 32 KiB compound page (a
 * single page when that is short), each holding a reference to it; the
 * page is freed when the cache has moved on and every piece was freed
 * (bz_page_frag_free, from any thread).  The cache itself is the caller's
 * (zeroed, or after bz_page_frag_cache_drain): one thread at a time, as
 * the kernel keeps one per CPU.  Its fields are the library's.
 */
struct bz_page_frag_cache {
	void *va;                       /* the current page's address, NULL: none */
	unsigned int offset;            /* fragments are carved downward from here */
	unsigned int size;              /* bytes of the current page */
	unsigned int pagecnt_bias;      /* references the cache holds for fragments to come */
	unsigned int pfmemalloc;        /* always 0 here */
};
#define BZ_PAGE_FRAG_CACHE_MAX_SIZE 32768u

/*
 * page_frag_alloc_align(): fragsz bytes aligned to align (a power of two,
 * 1 for none) from nc, refilled from sys with gfp when the page runs out.
 * NULL when no page could be had or fragsz does not fit the cache's page
 * (as the kernel's), and, logged, for a NULL nc or an align that is no
 * power of two.
 */
BZ_API void *bz_page_frag_alloc(bz_system *sys, struct bz_page_frag_cache *nc, unsigned int fragsz,
				bz_gfp_t gfp, unsigned int align);
/* page_frag_free(): drops the fragment's reference to its page.  0 or -EINVAL. */
BZ_API int bz_page_frag_free(void *addr);
/* page_frag_cache_drain(): the cache lets go of its page (freed once its fragments are); nc is empty after. */
BZ_API void bz_page_frag_cache_drain(struct bz_page_frag_cache *nc);
/* __page_frag_cache_drain(): drops count references to page, freeing it with the last.  0 or -EINVAL. */
BZ_API int bz_page_frag_drain_page(bz_page *page, unsigned int count);

/* ---- Tunables -------------------------------------------------------------- */

/*
 * Sets a tunable by its sysctl name (min_free_kbytes, watermark_scale_factor,
 * extfrag_threshold, compaction_proactiveness (writing a value above 0 wakes
 * kcompactd for a proactive pass, as the kernel's handler), compact_memory
 * (write-only: "1" compacts everything now, as bz_compact(sys, -1); reading
 * it is -EACCES),
 * watermark_boost_factor, lowmem_reserve_ratio ("256 256 32 0 0"),
 * percpu_pagelist_high_fraction, numa_zonelist_order ("Node"/"Zone"),
 * zone_reclaim_mode, transparent_hugepage ("always", "madvise" or "never",
 * /sys/kernel/mm/transparent_hugepage/enabled: see bz_config), and
 * libbuddyzone's page_reporting_order and page_reporting_delay_ms), with the
 * kernel's limits; watermarks, reserves and
 * pageset sizes are recomputed at once.  -EINVAL for an unknown name or
 * a value the kernel would refuse.
 */
BZ_API int bz_sysctl_set(bz_system *sys, const char *name, const char *value);

/* Writes the tunable's value as /proc/sys/vm shows it.  -EINVAL, -ERANGE if buf is small. */
BZ_API int bz_sysctl_get(bz_system *sys, const char *name, char *buf, size_t size);

/* ---- Introspection --------------------------------------------------------- */

BZ_API int bz_nr_nodes(bz_system *sys);     /* nodes with memory or CPUs, or -EINVAL */

struct bz_zone_stats {
	size_t size;            /* set by the caller to sizeof(struct bz_zone_stats) */
	unsigned long start_pfn, spanned, present, managed;
	unsigned long free;     /* NR_FREE_PAGES: in the buddy lists */
	unsigned long cached;   /* in per-thread caches */
	unsigned long allocated;
	unsigned long wmark_min, wmark_low, wmark_high, wmark_promo, boost;
	unsigned long lowmem_reserve[BZ_MAX_NR_ZONES];
	unsigned long nr_free[BZ_NR_PAGE_ORDERS]; /* free blocks per order (buddyinfo) */
	unsigned long pcp_batch, pcp_high_min, pcp_high_max;
	unsigned long lock_contended; /* zone->lock acquisitions that had to wait, since creation */
	/*
	 * Since creation, what the kernel's kmem tracepoints would have
	 * reported for this zone: blocks taken by __rmqueue_smallest
	 * (mm_page_alloc_zone_locked), fallbacks to another migratetype's block
	 * (mm_page_alloc_extfrag) and of those the ones that claimed the
	 * pageblock (its change_ownership=1), blocks drained from per-thread
	 * caches to the buddy lists (mm_page_pcpu_drain).
	 */
	unsigned long nr_zone_locked, nr_extfrag, nr_extfrag_claimed, nr_pcpu_drain;
};

/*
 * Fills *st for zone zid of node nid.  st->size must be set; fields beyond
 * it are left alone.  -EINVAL for a bad node or zone.
 */
BZ_API int bz_zone_stats(bz_system *sys, int nid, int zid, struct bz_zone_stats *st);

/*
 * Reports, in the exact text layout of the kernel's /proc files (Linux
 * 6.x): /proc/zoneinfo, /proc/buddyinfo, /proc/pagetypeinfo, /proc/vmstat,
 * and the boot log's "Fallback order for Node N: ..." lines.  Each takes the
 * zone locks briefly.  0, or -EIO when the stream fails.
 */
BZ_API int bz_write_zoneinfo(bz_system *sys, FILE *out);
BZ_API int bz_write_buddyinfo(bz_system *sys, FILE *out);
BZ_API int bz_write_pagetypeinfo(bz_system *sys, FILE *out);
BZ_API int bz_write_vmstat(bz_system *sys, FILE *out);
BZ_API int bz_write_zonelists(bz_system *sys, FILE *out);
/*
 * Like `numactl --hardware`: nodes, their CPUs and memory, the distance
 * matrix, and each arena's binding and backing (and, for an emulated
 * topology, which real node backs each emulated one).
 */
BZ_API int bz_write_topology(bz_system *sys, FILE *out);
/* The same data as one JSON object. */
BZ_API int bz_write_json(bz_system *sys, FILE *out);

/*
 * External fragmentation, as the kernel's debugfs files extfrag/unusable_index
 * and extfrag/extfrag_index print it (mm/vmstat.c): one line per populated
 * zone, "Node N, zone   NAME " and an index per order.  The unusable free
 * space index is the share of free memory in blocks too small for the order
 * (0 none .. 1 all); the fragmentation index says, for an order whose
 * request would fail, whether for lack of memory (towards 0) or for
 * fragmentation (towards 1), and is -1.000 where a request would succeed.
 * Blocks in per-thread caches are not free memory here, as in the kernel.
 * Takes each zone lock briefly.  0, -EINVAL for a NULL stream, -EIO when
 * the stream fails.
 */
BZ_API int bz_write_unusable_index(bz_system *sys, FILE *out);
BZ_API int bz_write_extfrag_index(bz_system *sys, FILE *out);

/*
 * The same indices for any free-block counts nr_free[order] (for instance
 * bz_zone_stats' nr_free, or a sum over zones), in thousandths:
 * unusable_free_index() 0..1000, __fragmentation_index() -1000 or 0..1000
 * (a single free block can give the kernel's out-of-range negative values).
 * -EINVAL for NULL or order > BZ_MAX_ORDER.  Pure functions: thread-safe and
 * async-signal-safe.
 */
BZ_API int bz_unusable_index(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned order);
BZ_API int bz_extfrag_index(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned order);

/*
 * Walks every invariant (DESIGN.md): each free block aligned, inside one
 * zone, on the list its head says, not mergeable with its buddy; counts
 * agree; free + cached + allocated = managed.  Returns 0, or -EUCLEAN after
 * logging the first broken invariant.  Takes each zone lock in turn.
 */
BZ_API int bz_check(bz_system *sys);

/* ---- Blocks by pfn: replaying a kernel's history --------------------------------- */

/*
 * What a tool needs to make a system follow a real kernel page by page
 * (bzreplay's exact mode, or a start from a /proc snapshot).  None of it
 * counts as an allocation or a free (pgalloc, pgfree); each call takes
 * one zone lock.  Thread-safe.
 *
 * bz_take_free_block takes the block of 2^order pages at pfn (aligned to
 * its order) off the free lists, splitting the free block that holds it
 * as the kernel's take_page_off_buddy() does; the block is then allocated
 * as if by a request of migratetype mt (BZ_MIGRATE_*) and freed with
 * bz_free_pages or bz_free_pages_to_buddy.  NULL when those pages are not
 * all free in one block (allocated, in a per-thread cache, or outside
 * every zone's memory), or for an order above BZ_MAX_ORDER, a misaligned
 * pfn or an mt above BZ_MIGRATE_RECLAIMABLE.
 */
BZ_API bz_page *bz_take_free_block(bz_system *sys, unsigned long pfn, unsigned order, int mt);

/*
 * Frees a block straight onto the buddy lists, merging with free buddies
 * (the kernel's free_one_page()), never into the calling thread's cache.
 * Errors as bz_free_pages.
 */
BZ_API int bz_free_pages_to_buddy(bz_page *page, unsigned order);

/*
 * Sets the migratetype of the pageblock holding pfn (BZ_MIGRATE_UNMOVABLE,
 * MOVABLE, RECLAIMABLE or HIGHATOMIC); its free blocks move to that type's
 * lists (set_pageblock_migratetype() with move_freepages_block()).  0, or
 * -EINVAL for a pfn outside every zone or another mt.
 */
BZ_API int bz_set_pageblock_migratetype(bz_system *sys, unsigned long pfn, int mt);

/* ---- Fault injection ------------------------------------------------------- */

/*
 * Makes allocations of sys fail on purpose, as the kernel's fail_page_alloc
 * (Documentation/fault-injection): spec is "key=value,..." with the keys of
 * its debugfs directory: probability (percent, 0..100), interval, times
 * (-1: no limit), space, min-order, ignore-gfp-wait (skip requests with
 * BZ_GFP_DIRECT_RECLAIM), ignore-gfp-highmem, verbose (0..2), and ours:
 * seed (for a repeatable sequence).  Keys left out take the kernel's
 * defaults: interval 1, times 1, space 0, min-order 1, ignore-gfp-wait 1,
 * ignore-gfp-highmem 1, verbose 2.  NULL, "" or probability=0 turns
 * injection off.  An injected failure is a real one to the caller: NULL,
 * the failure report unless BZ_GFP_NOWARN, counted in pgalloc_fail (and
 * pgalloc_fail_injected); BZ_GFP_NOFAIL requests never fail.  Returns 0, or
 * -EINVAL (logged, nothing changed) for an unknown key or a bad value.
 * Thread-safe; while injection is on, allocations and frees skip the
 * per-thread fast paths.  Also set at creation by bz_config.fail_page_alloc
 * or BUDDYZONE_FAIL_PAGE_ALLOC.
 */
BZ_API int bz_fault_inject_set(bz_system *sys, const char *spec);

#ifdef __cplusplus
}
#endif
#endif /* BUDDYZONE_H */
