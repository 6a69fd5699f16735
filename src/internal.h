/* SPDX-License-Identifier: MIT */
/*
 * internal.h - what the library's files offer each other, grouped by the
 * file that defines it, lowest layer first (DESIGN.md, "Layers").
 * Names shared between files start with bz__; a _locked suffix means the
 * caller holds the zone lock.
 */
#ifndef BZ_INTERNAL_H
#define BZ_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include "mmzone.h"

#if defined(__GNUC__)
#define bz_likely(x)   __builtin_expect(!!(x), 1)
#define bz_unlikely(x) __builtin_expect(!!(x), 0)
#define BZ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define bz_likely(x)   (x)
#define bz_unlikely(x) (x)
#define BZ_PRINTF(a, b)
#endif

#define BZ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BZ_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BZ_MAX(a, b) ((a) > (b) ? (a) : (b))

/* The kernel's private alloc flags (mm/internal.h), chosen once per request. */
#define ALLOC_WMARK_MIN      WMARK_MIN
#define ALLOC_WMARK_LOW      WMARK_LOW
#define ALLOC_WMARK_HIGH     WMARK_HIGH
#define ALLOC_NO_WATERMARKS  0x04u
#define ALLOC_WMARK_MASK     (ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM            0x08u
#define ALLOC_NON_BLOCK      0x10u
#define ALLOC_MIN_RESERVE    0x20u  /* == BZ_GFP_HIGH */
#define ALLOC_CPUSET         0x40u
#define ALLOC_NOFRAGMENT     0x100u
#define ALLOC_HIGHATOMIC     0x200u
#define ALLOC_KSWAPD         0x800u /* == BZ_GFP_KSWAPD_RECLAIM */
#define ALLOC_RESERVES       (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

_Static_assert(ALLOC_MIN_RESERVE == BZ_GFP_HIGH, "gfp_to_alloc_flags relies on this");
_Static_assert(ALLOC_KSWAPD == BZ_GFP_KSWAPD_RECLAIM, "gfp_to_alloc_flags relies on this");

/* ---- log.c ------------------------------------------------------------------ */

/* Sends one message to sys's log callback (or the process-wide one). */
void bz__log(const struct bz_system *sys, int level, const char *fmt, ...) BZ_PRINTF(3, 4);
void bz__vlog(const struct bz_system *sys, int level, const char *fmt, va_list ap);
/* True when a message at this level would reach somebody. */
bool bz__log_enabled(const struct bz_system *sys);

/* ---- topology.c: nodes, CPUs, distances of the machine or an emulation ------- */

/*
 * Fills *topo from spec: NULL or "" for the machine (hwloc, else libnuma and
 * sysfs, else one node), "xml:PATH" or "synthetic:STRING" for an emulation.
 * Returns 0, or -EINVAL (logged) for a spec that cannot be loaded.
 */
int bz__topology_discover(const struct bz_system *sys, const char *spec, struct bz_topology *topo);

/* ---- arena.c: the OS contract (mmap, madvise, mbind, mprotect) -------------- */

/*
 * Reserves bytes of address space aligned to align (a power of two),
 * readable and writable, committed lazily (MAP_NORESERVE): untouched memory
 * costs no RSS.  NULL on failure.
 */
void *bz__os_reserve(size_t bytes, size_t align);
void bz__os_release(void *addr, size_t bytes);
/*
 * Prepares node nid's part of the reservation, [arena->start, +bytes): binds
 * it to sys->topo.os_node[nid] with mbind(MPOL_BIND) before first touch and
 * backs it per cfg (hugetlb / THP / base pages), recording the choice and
 * its reason in *arena.  0, or -ENOMEM when BZ_HUGETLB_REQUIRED cannot be
 * met (logged).  Never leaves memory that can SIGBUS on first touch.
 */
int bz__arena_setup(struct bz_system *sys, const struct bz_config *cfg, int nid, struct bz_arena *arena);
/*
 * mprotect(): [addr, +bytes) read-write (accessible) or PROT_NONE; page
 * aligned, inside a reservation without hugetlb parts.  0, or -errno
 * (-ENOMEM: the kernel's map count limit, vm.max_map_count).
 */
int bz__os_protect(void *addr, size_t bytes, bool accessible);
/*
 * madvise(MADV_DONTNEED): [addr, +bytes) gives its memory back to the OS and
 * reads as zero when next touched; page aligned, not hugetlb.  0 or -errno.
 */
int bz__os_discard(void *addr, size_t bytes);

/* ---- mm_init.c: laying out nodes and zones ------------------------------------- */

/* Topology, layout, reservation, zones, zonelists, watermarks: 0 or -errno (logged). */
int bz__build_system(struct bz_system *sys, const struct bz_config *cfg);
/* Undoes bz__build_system's reservations (also after a partial build). */
void bz__free_system_memory(struct bz_system *sys);
/* A zone as the zones spec gives it: /proc/zoneinfo's managed, present, spanned, start_pfn. */
#define BZ__PFN_AUTO (~0ul)             /* start_pfn: placed by mm_init.c */
struct bz__zone_spec {
	unsigned long managed, present, spanned, start_pfn;
};
struct bz__layout {
	struct bz__zone_spec zone[BZ_MAX_NUMNODES][BZ_MAX_NR_ZONES];
	int cpus[BZ_MAX_NUMNODES];      /* "NID:cpus=N"; -1: not given */
};
/* Parses a zones SPEC (bz_config.zones); returns the number of nodes or -EINVAL (logged). */
int bz__zones_parse(const struct bz_system *sys, const char *spec, struct bz__layout *layout);

/* ---- system.c: system lifetime; the registry of live systems ---------------------- */

/* The live system whose mem_map holds page / whose memory holds addr, else NULL. */
struct bz_system *bz__system_of_page(const bz_page *page);
struct bz_system *bz__system_of_addr(const void *addr);
/* The zone of a pfn, NULL outside every populated zone. */
struct bz_zone *bz__pfn_zone(const struct bz_system *sys, unsigned long pfn);
/* sys itself, or the default system for NULL (created on first use). */
struct bz_system *bz__resolve(bz_system *sys);
/* Is sys, with this id, still registered?  Callers hold bz__tcache_lock or the registry lock. */
bool bz__system_alive(const struct bz_system *sys, uint64_t id);
/* The registry lock (fork), and a walk of live systems under it. */
void bz__registry_lock(void);
void bz__registry_unlock(void);
void bz__for_each_system(void (*fn)(struct bz_system *sys, void *arg), void *arg);
/* The default system if it exists already (no creation). */
extern struct bz_system *_Atomic bz__default_sys;

/* ---- watermark.c: watermarks, reserves, pageset sizes ------------------------ */

/* Recomputes min_free_kbytes (unless user-set), reserves, watermarks, pagesets. */
void bz__recompute_watermarks(struct bz_system *sys);
void bz__setup_per_zone_wmarks(struct bz_system *sys);
void bz__setup_per_zone_lowmem_reserve(struct bz_system *sys);
void bz__calculate_min_free_kbytes(struct bz_system *sys);
/* The THP mode changed: khugepaged's min_free_kbytes, or calculate_min_free_kbytes() again. */
void bz__start_stop_khugepaged(struct bz_system *sys);
void bz__zone_pcp_update(struct bz_zone *zone);
bool bz__zone_watermark_ok(struct bz_zone *z, unsigned order, unsigned long mark,
			   int highest_zoneidx, unsigned alloc_flags, long free_pages);
bool bz__zone_watermark_fast(struct bz_zone *z, unsigned order, unsigned long mark,
			     int highest_zoneidx, unsigned alloc_flags);
/* boost_watermark(): after a pageblock steal; true when the boost grew. */
bool bz__boost_watermark_locked(struct bz_zone *zone);

/*
 * Bumped by every system destruction and zonelist rebuild (defined in
 * tcache.c): per-thread shortcuts made under an older value are dropped.
 */
extern _Atomic uint64_t bz__tls_gen __attribute__((visibility("hidden")));

/* ---- zonelist.c ------------------------------------------------------------------ */

/* build_all_zonelists(): fallback and no-fallback lists of every node. */
void bz__build_all_zonelists(struct bz_system *sys);
/* numa_node_id(): the calling thread's node in sys (its CPU's node). */
int bz__numa_node_id(const struct bz_system *sys);

/* ---- gfp.c -------------------------------------------------------------------------- */

/* Highest zone index for gfp, -EINVAL for a bad combination (gfp_zone). */
int bz__gfp_zone(bz_gfp_t gfp);
/* gfp_migratetype(); -EINVAL for MOVABLE and RECLAIMABLE together. */
int bz__gfp_migratetype(bz_gfp_t gfp);

/* ---- buddy.c: the free lists, under zone->lock -------------------------------------- */

/* Sets up empty free lists with the zone's memory as deferred MOVABLE blocks. */
void bz__zone_init_free_lists(struct bz_zone *zone);
/*
 * Memory hot-add: [start, end), just inside the zone's span, becomes free
 * memory, merged with free buddies as __free_pages_core() would.
 */
void bz__zone_grow_locked(struct bz_zone *zone, unsigned long start, unsigned long end);
enum { RMQUEUE_NORMAL, RMQUEUE_CLAIM, RMQUEUE_STEAL };
/* __rmqueue with a mode kept across a batch (rmqueue_bulk). */
struct bz_page *bz__rmqueue_mode_locked(struct bz_zone *zone, unsigned order, int mt, unsigned alloc_flags,
					int *mode);
/* rmqueue_buddy: a block of 2^order pages of migratetype mt (fallbacks, highatomic rules), or NULL. */
struct bz_page *bz__rmqueue_locked(struct bz_zone *zone, unsigned order, int mt, unsigned alloc_flags);
/* __free_one_page: frees the block at pfn into the lists, merging with its buddies. */
void bz__free_one_page_locked(struct bz_zone *zone, unsigned long pfn, unsigned order, int mt);
/* Marks a block from __rmqueue allocated: PG_head, its order, its migratetype. */
void bz__prep_new_page(struct bz_system *sys, struct bz_page *page, unsigned order, int mt);
/* reserve_highatomic_pageblock(): takes the zone lock itself. */
void bz__reserve_highatomic_pageblock(struct bz_zone *zone, unsigned long pfn, unsigned order);
/* unreserve_highatomic_pageblock(): true when a reserved pageblock went back to mt. */
bool bz__unreserve_highatomic_pageblock_locked(struct bz_zone *zone, int mt, bool force);
/* Number of blocks on one free list; walks it. */
unsigned long bz__free_list_count_locked(struct bz_zone *zone, unsigned order, int mt);
/* Counts pageblocks per migratetype in the zone. */
void bz__count_pageblocks(struct bz_zone *zone, unsigned long counts[BZ_MIGRATE_TYPES]);
/*
 * __isolate_free_page() for page reporting: takes a free block off its list
 * if the zone keeps its min watermark; the block looks allocated meanwhile.
 */
bool bz__isolate_free_block_locked(struct bz_zone *zone, unsigned long pfn, unsigned order);
/* __putback_isolated_page(): back to the lists, reported (zero, not resident) or as before. */
void bz__putback_isolated_locked(struct bz_zone *zone, unsigned long pfn, unsigned order, int mt, bool reported);
/* take_page_off_buddy() for [pfn, pfn + 2^order): false when not all inside one free block. */
bool bz__take_free_block_locked(struct bz_zone *zone, unsigned long pfn, unsigned order);
/* The pageblock of pfn becomes mt, its free blocks moved to mt's lists (move_freepages_block). */
void bz__set_pageblock_migratetype_locked(struct bz_zone *zone, unsigned long pfn, int mt);

/* page_reporting.c, after a free asked for reporting under the zone lock (see bz__zone_unlock). */
void bz__page_reporting_kick(struct bz_system *sys);

static inline bool bz__zone_lock(struct bz_zone *z)
{
	bool contended = bz_spin_lock(&z->lock);
	if (bz_unlikely(contended))
		atomic_fetch_add_explicit(&z->lock_contended, 1, memory_order_relaxed);
	return contended;
}

static inline void bz__zone_unlock(struct bz_zone *z)
{
	/* A free asked for page reporting: the worker is woken with no lock held. */
	if (bz_unlikely(z->reporting_requested)) {
		z->reporting_requested = false;
		bz_spin_unlock(&z->lock);
		bz__page_reporting_kick(z->sys);
		return;
	}
	bz_spin_unlock(&z->lock);
}

/* ---- page_alloc.c: allocation entry and the free path --------------------------------- */

/* warn_alloc(): the rate-limited failure report. */
void bz__warn_alloc(struct bz_system *sys, bz_gfp_t gfp, unsigned order, int nid);
/* show_free_areas() text into the log at level. */
void bz__show_free_areas(struct bz_system *sys, int level);
/* Is the calling thread a reclaimer (PF_MEMALLOC, bz_memalloc_save)? */
bool bz__current_memalloc(void);

/* A nodemask: bit n for node n (BZ_MAX_NUMNODES is 64); every node, as the kernel's NULL mask. */
#define BZ_NODEMASK_ALL (~0ull)
/*
 * __alloc_pages(): from node nid's zonelist (__GFP_THISNODE: its own zones),
 * zones of nodes in nodemask only; the slow path and the failure report as
 * gfp says.  The request is checked already (order, gfp); no policy.
 */
struct bz_page *bz__alloc_pages(struct bz_system *sys, bz_gfp_t gfp, unsigned order, int nid,
				uint64_t nodemask);

/* ---- mempolicy.c: per-thread memory policies ------------------------------------------- */

/* Has the calling thread a policy other than the default for sys? */
bool bz__mpol_active(const struct bz_system *sys);
/* alloc_pages_mpol(): a checked request under the calling thread's policy for sys. */
struct bz_page *bz__alloc_pages_mpol(struct bz_system *sys, bz_gfp_t gfp, unsigned order);

/* ---- vmstat.c --------------------------------------------------------------------------- */

extern const char *const bz__zone_names[BZ_MAX_NR_ZONES];
extern const char *const bz__migratetype_names[BZ_MIGRATE_TYPES];
/* Names of enum bz_vm_event: the kernel's vmstat names, then libbuddyzone's own. */
extern const char *const bz__vm_event_names[NR_VM_EVENTS];
/* Index of a zone name as the kernel prints it ("DMA32"), -1 if unknown. */
int bz__zone_index_by_name(const char *name);

/* ---- sysctl.c --------------------------------------------------------------------------- */

/* Fills sys->sysctl from cfg, then BUDDYZONE_<NAME>, then the kernel's defaults. */
int bz__sysctl_init(struct bz_system *sys, const struct bz_config *cfg);

/* ---- stats_shm.c: live statistics in shared memory (bzstat) ------------------------------ */

struct bz_stats_shm;
/*
 * Starts publishing when cfg (then BUDDYZONE_STATS) asks for it: creates
 * the segment and its thread.  0 (also when the segment cannot be made:
 * logged, the system works without it), or -EINVAL for a bad config.
 */
int bz__stats_publish_start(struct bz_system *sys, const struct bz_config *cfg);
/* Stops the thread, unlinks and unmaps the segment; before anything else of destroy. */
void bz__stats_publish_stop(struct bz_system *sys);
/* The segment's name ("/buddyzone.<pid>.<id>"), NULL when not publishing. */
const char *bz__stats_shm_name(const struct bz_system *sys);
/* One snapshot into seg under its seqlock: the payload words of snap (total_size set). */
void bz__stats_shm_write(struct bz_stats_shm *seg, const struct bz_stats_shm *snap);

/* ---- check.c ------------------------------------------------------------------------------ */

/* bz_check() for a caller holding every cache of sys stopped (bz__tcache_stopped_call). */
int bz__check_stopped(struct bz_system *sys, void *arg);

/* ---- debug_pagealloc.c: debug mode ---------------------------------------------------------- */

/*
 * Fills sys->debug from cfg->debug (else BUDDYZONE_DEBUG); guard mode turns
 * cfg's hugetlb off.  0, or -EINVAL (logged) for flags it does not know or
 * guard mode with hugetlb required.
 */
int bz__debug_init(struct bz_system *sys, struct bz_config *cfg);
/* After the build: guard mode makes every arena PROT_NONE.  0, or -ENOMEM (logged). */
int bz__debug_start(struct bz_system *sys);
/*
 * A block taken for the caller, before it is returned: unguarded, checked
 * for poison, zeroed as the options and gfp say.  False when guard mode
 * could not make it accessible: the block has been freed again.
 */
bool bz__debug_alloc(struct bz_system *sys, struct bz_page *page, unsigned order, bz_gfp_t gfp);
/* A block whose free passed every check, before it enters a cache or the buddy lists. */
void bz__debug_free(struct bz_system *sys, unsigned long pfn, unsigned order);
/* After a refused free (bad_page): BZ_DEBUG_ABORT aborts. */
void bz__debug_bad_page(struct bz_system *sys);

/* ---- fail_page_alloc.c: fault injection ------------------------------------------------------ */

/*
 * Fills sys->fail from cfg->fail_page_alloc (else BUDDYZONE_FAIL_PAGE_ALLOC)
 * and returns its os= part in *os_ops (enum bz_os_op bits, arena.h) and
 * *os_skip.  0, or -EINVAL (logged).
 */
int bz__fail_init(struct bz_system *sys, const struct bz_config *cfg, unsigned *os_ops, unsigned *os_skip);
/* should_fail_alloc_page(): must this request fail?  Counts and reports the failure. */
bool bz__should_fail_alloc_page(struct bz_system *sys, bz_gfp_t gfp, unsigned order);

static inline bool bz__fail_enabled(struct bz_system *sys)
{
	return atomic_load_explicit(&sys->fail.probability, memory_order_relaxed) != 0;
}

/* ---- vmscan.c, shrinker.c, oom.c: reclaim (private types in reclaim.h) ---------------------- */

#define MAX_RECLAIM_RETRIES 16
/* zone_reclaim_mode bits (mm/internal.h) */
#define RECLAIM_ZONE   0x1
#define RECLAIM_WRITE  0x2
#define RECLAIM_UNMAP  0x4
#define RECLAIM_DISTANCE 30             /* node_reclaim_distance: farther nodes are not worth it */
/* node_reclaim()'s answers (mm/internal.h) */
#define NODE_RECLAIM_NOSCAN  (-2)
#define NODE_RECLAIM_FULL    (-1)
#define NODE_RECLAIM_SOME    0
#define NODE_RECLAIM_SUCCESS 1

/* current->reclaim_state: pages a reclaiming thread freed, counted by the free path. */
struct bz_reclaim_state {
	struct bz_system *sys;
	unsigned long reclaimed;
};
extern _Thread_local struct bz_reclaim_state *bz__reclaim_state;

/* The free path's count (slow path only: a reclaimer's fast path is off); returns ret. */
static inline int bz__reclaim_account(struct bz_system *sys, unsigned order, int ret)
{
	struct bz_reclaim_state *rs = bz__reclaim_state;

	if (bz_unlikely(rs != NULL) && !ret && rs->sys == sys)
		rs->reclaimed += 1ul << order;
	return ret;
}

static inline bool bz__node_reclaim_enabled(const struct bz_system *sys)
{
	return __atomic_load_n(&sys->sysctl.zone_reclaim_mode, __ATOMIC_RELAXED) &
	       (RECLAIM_ZONE | RECLAIM_WRITE | RECLAIM_UNMAP);
}

/* wakeup_kswapd(): zone z is low; kswapd of its node reclaims for order up to highest_zoneidx. */
void bz__wakeup_kswapd(struct bz_zone *z, bz_gfp_t gfp, unsigned order, int highest_zoneidx);
/* wake_all_kswapds(): each node of the zonelist with a zone at or below highest_zoneidx. */
void bz__wake_all_kswapds(struct bz_system *sys, const struct bz_zonelist *zl, int highest_zoneidx, bz_gfp_t gfp,
			  unsigned order);
/* try_to_free_pages(): direct reclaim through the shrinkers; pages freed.  Counts allocstall. */
unsigned long bz__try_to_free_pages(struct bz_system *sys, const struct bz_zonelist *zl, int highest_zoneidx,
				    bz_gfp_t gfp, unsigned order);
/* node_reclaim(): NODE_RECLAIM_* */
int bz__node_reclaim(struct bz_system *sys, int nid, bz_gfp_t gfp, unsigned order);
/* zone_reclaimable_pages(): pages the node's shrinkers could give back (their last count). */
unsigned long bz__zone_reclaimable_pages(struct bz_zone *z);
/* __alloc_pages_may_oom(): OOM notifiers where the kernel would kill; true: retry the request. */
bool bz__out_of_memory(struct bz_system *sys, bz_gfp_t gfp, unsigned order, int highest_zoneidx, int nid);
/* kswapd_test_hopeless(): kswapd gave up on node nid (MAX_RECLAIM_RETRIES runs without progress). */
bool bz__kswapd_hopeless(struct bz_system *sys, int nid);
/*
 * free_frozen_page_commit(), on clearing ZONE_BELOW_HIGH: pressure on the
 * zone's node is gone, so a hopeless kswapd there may try again, if a
 * fallback node (one with memory, numbered after it) kept direct reclaim away.
 */
void bz__kswapd_clear_hopeless_below_high(struct bz_zone *z);
/* False in a child forked from a multi-threaded process: no background thread may start there. */
bool bz__may_start_threads(void);
/* Stops kswapd threads and frees the reclaim state; bz_system_destroy, before memory goes. */
void bz__vmscan_system_destroy(struct bz_system *sys);

/* ---- page_reporting.c: free page reporting, bz_trim ------------------------------------------- */

/* page_reporting_notify_free(): a block of order went free; zone lock held. */
void bz__page_reporting_notify_free_locked(struct bz_zone *z, unsigned order);
/* Stops the worker; bz_system_destroy, before memory goes. */
void bz__page_reporting_system_destroy(struct bz_system *sys);

#endif /* BZ_INTERNAL_H */
