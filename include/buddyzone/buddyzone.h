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

#define BZ_DEFAULT (-1) /* "not set": use the environment, else the default */

struct bz_config {
	size_t size;            /* sizeof(struct bz_config); set by bz_config_init */
	/*
	 * Memory layout: "NID:ZONE=PAGES,..." with zone names as the kernel
	 * prints them (DMA, DMA32, Normal, Movable), e.g.
	 * "0:DMA=3840,0:DMA32=772917,0:Normal=163840".  NULL: BUDDYZONE_ZONES,
	 * else each node of the topology gets its real memory size, cut at
	 * x86-64's boundaries (DMA below 16 MiB, DMA32 below 4 GiB).
	 */
	const char *zones;
	/* Topology: NULL (BUDDYZONE_TOPOLOGY, else the machine's). */
	const char *topology;
	int cpus_per_node;      /* BZ_DEFAULT: from the topology */
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
	unsigned long hugetlb_page_size; /* 2 MiB or 1 GiB; 0: BUDDYZONE_HUGETLB_PAGE_SIZE, else 2 MiB */
};

enum bz_hugetlb_policy {
	BZ_HUGETLB_NEVER = 0,     /* transparent huge pages if the kernel allows, else base pages */
	BZ_HUGETLB_PREFERRED = 1, /* hugetlb pages from the node's pool when it has them */
	BZ_HUGETLB_REQUIRED = 2   /* fail bz_system_create when the pool cannot back an arena */
};

/* Fills cfg with defaults (every tunable BZ_DEFAULT, strings NULL). */
BZ_API void bz_config_init(struct bz_config *cfg);

/*
 * Builds a system from cfg (NULL: defaults).  Memory is reserved, not
 * committed: pages cost RSS only once handed out and touched.  Returns 0,
 * -EINVAL for a bad config (explained through the log callback), -ENOMEM
 * when the address space or metadata cannot be reserved.
 */
BZ_API int bz_system_create(const struct bz_config *cfg, bz_system **out);

/*
 * Destroys a system and unmaps its memory.  Pages still allocated become
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
 * Allocates 2^order contiguous, naturally aligned pages (alloc_pages).  The
 * flags choose the highest zone, the migratetype, the watermark and the
 * reserves the request may use.  NULL when order > BZ_MAX_ORDER, the flags
 * are invalid, or no zone can satisfy the request; unless BZ_GFP_NOWARN,
 * a failure logs a kernel-style "page allocation failure" report.
 */
BZ_API bz_page *bz_alloc_pages(bz_system *sys, bz_gfp_t gfp, unsigned order);

/* As bz_alloc_pages, starting from node nid's zonelist (-1: the local node). */
BZ_API bz_page *bz_alloc_pages_node(bz_system *sys, int nid, bz_gfp_t gfp, unsigned order);

/*
 * Frees a block returned by an allocation of the same order.  Returns 0, or
 * -EINVAL (nothing changes) for NULL, a page not ours, not the first page of
 * an allocated block, a double free, or the wrong order.
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

/* ---- Pages and addresses --------------------------------------------------- */

BZ_API void *bz_page_address(const bz_page *page);          /* NULL if not ours */
BZ_API bz_page *bz_virt_to_page(const void *addr);          /* NULL if not ours */
BZ_API unsigned long bz_page_to_pfn(const bz_page *page);  /* (unsigned long)-1 if not ours */
BZ_API bz_page *bz_pfn_to_page(bz_system *sys, unsigned long pfn); /* NULL outside every zone */
BZ_API int bz_page_to_nid(const bz_page *page);            /* -EINVAL if not ours */
BZ_API int bz_page_zonenum(const bz_page *page);           /* enum bz_zone_type, or -EINVAL */

/* ---- Tunables -------------------------------------------------------------- */

/*
 * Sets a tunable by its sysctl name (min_free_kbytes, watermark_scale_factor,
 * watermark_boost_factor, lowmem_reserve_ratio ("256 256 32 0 0"),
 * percpu_pagelist_high_fraction, numa_zonelist_order ("Node"/"Zone"),
 * zone_reclaim_mode), with the kernel's limits; watermarks, reserves and
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
 * Walks every invariant (DESIGN.md): each free block aligned, inside one
 * zone, on the list its head says, not mergeable with its buddy; counts
 * agree; free + cached + allocated = managed.  Returns 0, or -EUCLEAN after
 * logging the first broken invariant.  Takes each zone lock in turn.
 */
BZ_API int bz_check(bz_system *sys);

#ifdef __cplusplus
}
#endif
#endif /* BUDDYZONE_H */
