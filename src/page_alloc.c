/* SPDX-License-Identifier: MIT */
/*
 * page_alloc.c - the allocation entry, as __alloc_pages in Linux 6.x: gfp
 * turned once into a zone index, a migratetype and alloc flags; the fast
 * path get_page_from_freelist() against the low watermark over the
 * zonelist; the slow path with the reserves the flags allow, highatomic
 * release, direct compaction (compaction.c) and retries; and the failure
 * report (warn_alloc).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entry.h"

/* What one request is about: struct alloc_context. */
struct alloc_context {
	struct bz_system *sys;
	bz_system *sysarg;      /* as the caller passed it (NULL: the default system) */
	uint64_t gen;           /* bz__tls_gen when the request began */
	bool memo_ok;           /* a local request: may set the thread's memo */
	const struct bz_zonelist *zonelist;
	struct bz_zone *preferred_zone;
	int highest_zoneidx;
	int migratetype;
	int nid;                /* node whose zonelist we walk */
	uint64_t nodemask;      /* nodes whose zones we may use (policy_nodemask); BZ_NODEMASK_ALL */
};

/* for_each_zone_zonelist_nodemask()'s filter: a zone of a node in the request's mask. */
static inline bool zone_allowed(const struct alloc_context *ac, const struct bz_zone *z)
{
	return ac->nodemask >> z->node->nid & 1;
}

/* ---- gfp to alloc flags -------------------------------------------------------- */

/* alloc_flags_nofragment(): avoid mixing pageblocks while a NORMAL zone has DMA32 below. */
static unsigned alloc_flags_nofragment(const struct bz_system *sys, const struct bz_zone *z, bz_gfp_t gfp)
{
	unsigned flags = gfp & BZ_GFP_KSWAPD_RECLAIM;

	if (!z || z->idx != BZ_ZONE_NORMAL)
		return flags;
	if (sys->nr_nodes > 1 && !populated_zone(&z->node->zones[BZ_ZONE_DMA32]))
		return flags;
	return flags | ALLOC_NOFRAGMENT;
}

/* gfp_to_alloc_flags(): the slow path's flags (no cpusets here: no ALLOC_CPUSET). */
static unsigned gfp_to_alloc_flags(bz_gfp_t gfp, unsigned order)
{
	unsigned flags = ALLOC_WMARK_MIN;

	flags |= gfp & (BZ_GFP_HIGH | BZ_GFP_KSWAPD_RECLAIM);
	if (!(gfp & BZ_GFP_DIRECT_RECLAIM)) {
		if (!(gfp & BZ_GFP_NOMEMALLOC))
			flags |= ALLOC_NON_BLOCK;
		if (order > 0)
			flags |= ALLOC_HIGHATOMIC;
	}
	return flags;
}

/* __gfp_pfmemalloc_flags(): may this request ignore the watermarks?  Reclaimers may (PF_MEMALLOC). */
static unsigned gfp_pfmemalloc_flags(bz_gfp_t gfp)
{
	if (gfp & BZ_GFP_NOMEMALLOC)
		return 0;
	if (gfp & BZ_GFP_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	if (bz__current_memalloc())
		return ALLOC_NO_WATERMARKS;
	return 0;
}

/* ---- the fast path -------------------------------------------------------------------- */

/*
 * zone_statistics(): numa_hit/miss/foreign/local/other, once per
 * allocation, in the thread's cache (tc) when it has one.
 */
static void zone_statistics(struct bz_system *sys, struct bz_tcache *tc, struct bz_zone *preferred,
			    struct bz_zone *z)
{
	int zn = z->node->nid;
	int local = zn == bz__task_node(sys) ? PCP_NUMA_LOCAL : PCP_NUMA_OTHER;

	if (bz_likely(tc)) {
		struct bz_pcp_stats *pcp = &tc->stats[z->zone_id];

		if (zn == preferred->node->nid) {
			pcp_count_numa(pcp, PCP_NUMA_HIT);
		} else {
			pcp_count_numa(pcp, PCP_NUMA_MISS);
			pcp_count_numa(&tc->stats[preferred->zone_id], PCP_NUMA_FOREIGN);
		}
		pcp_count_numa(pcp, local);
		return;
	}
	if (zn == preferred->node->nid) {
		zone_stat_add(z, NUMA_HIT, 1);
	} else {
		zone_stat_add(z, NUMA_MISS, 1);
		zone_stat_add(preferred, NUMA_FOREIGN, 1);
	}
	zone_stat_add(z, (enum bz_zone_stat_item)(NUMA_HIT + local), 1);
}

/* rmqueue_buddy(): one block from a zone's buddy lists. */
static struct bz_page *rmqueue_buddy(struct alloc_context *ac, struct bz_zone *z, unsigned order,
				     unsigned alloc_flags)
{
	struct bz_page *page;

	bz__zone_lock(z);
	page = bz__rmqueue_locked(z, order, ac->migratetype, alloc_flags);
	if (page)
		bz__prep_new_page(page, order, ac->migratetype);
	bz__zone_unlock(z);
	if (page)
		count_vm_events(ac->sys, (enum bz_vm_event)(PGALLOC_BASE + z->idx), 1ul << order);
	return page;
}

/* prep_new_page(): __GFP_COMP makes blocks of order > 0 compound pages (there is no compound order 0). */
static inline bool memo_compound(bz_gfp_t gfp, unsigned order)
{
	return (gfp & BZ_GFP_COMP) && order;
}

/*
 * Remembers a request the fast path served from the preferred zone's
 * cache: the next identical one goes straight to that list (alloc_memo).
 */
static void set_memo(struct alloc_context *ac, struct bz_tcache *tc, struct bz_zone *z, bz_gfp_t gfp,
		     unsigned order)
{
	struct bz_task *t = &bz__current.task;

	if (t->tc != tc)
		return;
	/* Debug hooks and fault injection live on the general path only. */
	if (bz_unlikely(ac->sys->debug.flags || bz__fail_enabled(ac->sys)))
		return;
	t->m_gfp = gfp;
	t->m_order = order;
	t->m_sysarg = ac->sysarg;
	t->m_zone = z;
	t->m_free = &z->vm_stat[NR_FREE_PAGES];
	t->m_mark = &z->fast_mark[ac->highest_zoneidx];
	t->m_pcp = &tc->pcp[z->zone_id];
	t->m_list = &t->m_pcp->lists[order_to_pindex(ac->migratetype, order)];
	t->m_hz = ac->highest_zoneidx;
	/* Memos are off in debug mode, the only user of uflags' PGDBG_* bits; a free cleared the others. */
	t->m_val = PAGE_VAL(PG_init | PG_head, order, ac->migratetype, 0, 1);
	t->m_nid = ac->sys->nr_nodes > 1 ? ac->nid : -1;
	t->m_cpu = bz__rseq_cpu();
	t->m_nr = 1 << order;
	t->m_count = &tc->stats[z->zone_id].fast_allocs[order > PAGE_ALLOC_COSTLY_ORDER ? PAGE_ALLOC_COSTLY_ORDER + 1 : order];
	t->m_mem_map = ac->sys->mem_map;
	t->m_base = ac->sys->base;
	/* Zeroing, a compound page, and a node to check, take the out-of-line hit (alloc_memo_special). */
	t->m_gen = ac->gen | (t->m_nid >= 0 || (gfp & BZ_GFP_ZERO) || memo_compound(gfp, order) ? MEMO_SPECIAL : 0);
	/* Without rseq the thread's node cannot be checked cheaply: no memo on NUMA. */
	if (t->m_nid >= 0 && t->m_cpu < 0)
		memo_clear(t);
	tls_refresh_gen(t, ac->gen);
}

/* rmqueue(): the thread's cache for the orders it holds, else the buddy lists. */
static struct bz_page *rmqueue(struct alloc_context *ac, struct bz_zone *z, bz_gfp_t gfp, unsigned order,
			       unsigned alloc_flags)
{
	struct bz_tcache *tc = bz__task_cache(ac->sys);
	struct bz_page *page = NULL;

	if (bz_likely(pcp_allowed_order(order) && tc)) {
		page = bz__rmqueue_pcplist(tc, z, order, ac->migratetype, alloc_flags);
		if (page && ac->memo_ok && z == ac->preferred_zone &&
		    (alloc_flags & (ALLOC_WMARK_MASK | ALLOC_NO_WATERMARKS)) == ALLOC_WMARK_LOW)
			set_memo(ac, tc, z, gfp, order);
	}
	if (!page)
		page = rmqueue_buddy(ac, z, order, alloc_flags);
	if (page)
		zone_statistics(ac->sys, tc, ac->preferred_zone, z);
	/* A fallback boosted the watermark: kswapd serves the boost (rmqueue()). */
	if ((alloc_flags & ALLOC_KSWAPD) &&
	    bz_unlikely(atomic_load_explicit(&z->boosted, memory_order_relaxed))) {
		atomic_store_explicit(&z->boosted, false, memory_order_relaxed);
		bz__wakeup_kswapd(z, 0, 0, z->idx);
	}
	return page;
}

/*
 * The zone failed its watermark: with zone_reclaim_mode, reclaim on its
 * node, if near enough (zone_allows_reclaim), and look again.
 */
static bool zone_reclaim_ok(struct alloc_context *ac, struct bz_zone *z, bz_gfp_t gfp, unsigned order,
			    unsigned long mark, unsigned alloc_flags)
{
	const struct bz_system *sys = ac->sys;

	if (!bz__node_reclaim_enabled(sys) ||
	    sys->topo.distance[ac->preferred_zone->node->nid][z->node->nid] > RECLAIM_DISTANCE)
		return false;
	if (bz__node_reclaim(ac->sys, z->node->nid, gfp, order) <= NODE_RECLAIM_FULL)
		return false;
	return bz__zone_watermark_ok(z, order, mark, ac->highest_zoneidx, alloc_flags,
				     zone_page_state(z, NR_FREE_PAGES));
}

/*
 * get_page_from_freelist(): the first zone of the zonelist, at or below the
 * highest usable index, whose watermark allows the request.
 */
static struct bz_page *get_page_from_freelist(struct alloc_context *ac, bz_gfp_t gfp, unsigned order,
					      unsigned alloc_flags)
{
	const struct bz_zonelist *zl = ac->zonelist;
	bool no_fallback;

retry:
	no_fallback = alloc_flags & ALLOC_NOFRAGMENT;
	for (int i = 0; i < zl->nr; i++) {
		struct bz_zone *z = zl->zones[i];
		unsigned long mark;
		struct bz_page *page;

		if (z->idx > ac->highest_zoneidx || !zone_allowed(ac, z))
			continue;
		/* Moving to a remote node: locality beats fragmentation avoidance. */
		if (no_fallback && ac->sys->nr_nodes > 1 && z != ac->preferred_zone &&
		    z->node->nid != ac->preferred_zone->node->nid) {
			alloc_flags &= ~ALLOC_NOFRAGMENT;
			goto retry;
		}
		/*
		 * ZONE_BELOW_HIGH is detected here rather than on the hotter free
		 * path (6.7+): above the high watermark the request's own mark
		 * passes too.
		 */
		if (!zone_flag_test(z, ZONE_BELOW_HIGH)) {
			if (bz__zone_watermark_fast(z, order, wmark_pages(z, WMARK_HIGH), ac->highest_zoneidx,
						    alloc_flags))
				goto try_this_zone;
			zone_flag_set(z, ZONE_BELOW_HIGH);
		}
		mark = wmark_pages(z, (enum bz_wmark)(alloc_flags & ALLOC_WMARK_MASK));
		if (!bz__zone_watermark_fast(z, order, mark, ac->highest_zoneidx, alloc_flags) &&
		    !(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_reclaim_ok(ac, z, gfp, order, mark, alloc_flags))
			continue;
try_this_zone:
		page = rmqueue(ac, z, gfp, order, alloc_flags);
		if (page) {
			if (alloc_flags & ALLOC_HIGHATOMIC)
				bz__reserve_highatomic_pageblock(z, page_to_pfn(ac->sys, page), order);
			return page;
		}
	}
	if (no_fallback) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		goto retry;
	}
	return NULL;
}

/* unreserve_highatomic_pageblock() over the zonelist: true if memory came back. */
static bool unreserve_highatomic(struct alloc_context *ac, bool force)
{
	bool released = false;

	for (int i = 0; i < ac->zonelist->nr && !released; i++) {
		struct bz_zone *z = ac->zonelist->zones[i];

		if (z->idx > ac->highest_zoneidx || !zone_allowed(ac, z) ||
		    atomic_load_explicit(&z->nr_reserved_highatomic, memory_order_relaxed) == 0)
			continue;
		bz__zone_lock(z);
		released = bz__unreserve_highatomic_pageblock_locked(z, ac->migratetype, force);
		bz__zone_unlock(z);
	}
	return released;
}

static void backoff(unsigned attempt)
{
	struct timespec ts = { 0, (long)BZ_MIN(1u << BZ_MIN(attempt, 10u), 1000u) * 1000l };

	nanosleep(&ts, NULL);
}

/*
 * __alloc_pages_direct_reclaim(): the shrinkers (try_to_free_pages), then
 * one attempt; failing that, pages may sit in thread caches or in the
 * highatomic reserve: give them back and try once more.  The caches are
 * drained even when the shrinkers freed nothing: they are free memory here,
 * not only a per-CPU convenience.
 */
static struct bz_page *direct_reclaim(struct alloc_context *ac, bz_gfp_t gfp, unsigned order,
				      unsigned alloc_flags, unsigned long *progress)
{
	struct bz_page *page;

	*progress = bz__try_to_free_pages(ac->sys, ac->zonelist, ac->highest_zoneidx, gfp, order);
	if (*progress) {
		page = get_page_from_freelist(ac, gfp, order, alloc_flags);
		if (page)
			return page;
	}
	unreserve_highatomic(ac, false);
	bz__tcache_drain_all(ac->sys);
	return get_page_from_freelist(ac, gfp, order, alloc_flags);
}

/*
 * should_reclaim_retry(): another round while reclaim makes progress (for
 * orders up to PAGE_ALLOC_COSTLY_ORDER), or while some zone would meet its
 * min watermark if everything reclaimable came back, for at most
 * MAX_RECLAIM_RETRIES rounds without progress.  Before giving up, the last
 * highatomic pageblock goes too.
 */
static bool should_reclaim_retry(struct alloc_context *ac, unsigned order, unsigned alloc_flags, bool progress,
				 int *no_progress_loops)
{
	if (progress && order <= PAGE_ALLOC_COSTLY_ORDER)
		*no_progress_loops = 0;
	else
		(*no_progress_loops)++;
	for (int i = 0; i < ac->zonelist->nr && *no_progress_loops <= MAX_RECLAIM_RETRIES; i++) {
		struct bz_zone *z = ac->zonelist->zones[i];
		long available;

		if (z->idx > ac->highest_zoneidx || !zone_allowed(ac, z))
			continue;
		available = zone_page_state(z, NR_FREE_PAGES) + (long)bz__zone_reclaimable_pages(z);
		if (bz__zone_watermark_ok(z, order, wmark_pages(z, WMARK_MIN), ac->highest_zoneidx, alloc_flags,
					  available))
			return true;
	}
	return unreserve_highatomic(ac, true);
}

/* ---- compaction in the slow path ------------------------------------------------------------ */

#define MAX_COMPACT_RETRIES 16

/*
 * __alloc_pages_direct_compact(): compaction at prio as a reclaimer
 * (PF_MEMALLOC: a callback's allocation neither reclaims nor compacts
 * again), then one attempt.  compact_stall unless compaction was skipped;
 * compact_success or compact_fail as the attempt goes.
 */
static struct bz_page *direct_compact(struct alloc_context *ac, bz_gfp_t gfp, unsigned order, unsigned alloc_flags,
				      enum compact_priority prio, enum compact_result *result)
{
	struct bz_page *page;
	unsigned noreclaim;

	if (!order)
		return NULL;
	noreclaim = bz_memalloc_save();
	*result = bz__try_to_compact_pages(ac->sys, ac->zonelist, ac->nodemask, ac->highest_zoneidx, gfp, order,
					   alloc_flags, prio);
	bz_memalloc_restore(noreclaim);
	if (*result == COMPACT_SKIPPED)
		return NULL;
	count_vm_event(ac->sys, COMPACT_STALL);
	page = get_page_from_freelist(ac, gfp, order, alloc_flags);
	if (page) {
		struct bz_zone *z = page_zone(ac->sys, page);

		atomic_store_explicit(&z->compact_blockskip_flush, false, memory_order_relaxed);
		bz__compaction_defer_reset(z, order, true);
		count_vm_event(ac->sys, COMPACTSUCCESS);
		return page;
	}
	count_vm_event(ac->sys, COMPACTFAIL);
	return NULL;
}

/*
 * compaction_zonelist_suitable(): would reclaim let compaction run?  Some
 * zone passes __compaction_suitable at min with its free pages and a
 * share of what its shrinkers hold.
 */
static bool compaction_zonelist_suitable(struct alloc_context *ac, unsigned order)
{
	for (int i = 0; i < ac->zonelist->nr; i++) {
		struct bz_zone *z = ac->zonelist->zones[i];
		long available;

		if (z->idx > ac->highest_zoneidx || !zone_allowed(ac, z))
			continue;
		available = (long)(bz__zone_reclaimable_pages(z) / order) + zone_page_state(z, NR_FREE_PAGES);
		if (bz__compaction_suitable_free(z, order, wmark_pages(z, WMARK_MIN), ac->highest_zoneidx, available))
			return true;
	}
	return false;
}

/*
 * should_compact_retry() (6.4+): skipped for lack of room, retry if
 * reclaim could make it; it worked but the page was taken, retry (16
 * times, 4 for costly orders); otherwise escalate the priority, down to
 * SYNC_FULL for non-costly orders and SYNC_LIGHT for costly ones.
 */
static bool should_compact_retry(struct alloc_context *ac, unsigned order, enum compact_result result,
				 enum compact_priority *prio, int *retries)
{
	int max_retries = MAX_COMPACT_RETRIES;
	enum compact_priority min_priority;

	if (!order)
		return false;
	if (result == COMPACT_SKIPPED)
		return compaction_zonelist_suitable(ac, order);
	if (result == COMPACT_SUCCESS) {
		if (order > PAGE_ALLOC_COSTLY_ORDER)
			max_retries /= 4;
		if (++(*retries) <= max_retries)
			return true;
	}
	min_priority = order > PAGE_ALLOC_COSTLY_ORDER ? MIN_COMPACT_COSTLY_PRIORITY : MIN_COMPACT_PRIORITY;
	if (*prio > min_priority) {
		(*prio)--;
		*retries = 0;
		return true;
	}
	return false;
}

/*
 * __alloc_pages_slowpath(): kswapd woken, the min watermark with the
 * reserves the flags allow (none for MEMALLOC requests and reclaimers);
 * for requests that may block and are not reclaimers themselves, direct
 * reclaim and the retry policy: NORETRY one round, costly orders one round
 * unless RETRY_MAYFAIL, else while should_reclaim_retry() says so; then the
 * OOM notifiers, retried once if they freed something.  NOFAIL never
 * gives up: the reserves of high-priority requests, a back-off, another
 * round.  Compaction comes in the kernel's places: an async pass before
 * reclaim for costly orders and non-movable high-order requests (a
 * costly NORETRY request gives up after it when it was skipped or
 * deferred, and stays async), one after each reclaim at the current
 * priority, and the retries should_compact_retry() allows.
 */
static struct bz_page *alloc_pages_slowpath(struct alloc_context *ac, bz_gfp_t gfp, unsigned order)
{
	unsigned alloc_flags = gfp_to_alloc_flags(gfp, order), reserve, attempt = 0;
	bool can_direct_reclaim = gfp & BZ_GFP_DIRECT_RECLAIM, oom_retried = false;
	/* gfp_compaction_allowed(): CONFIG_COMPACTION and __GFP_IO. */
	bool can_compact = ac->sys->compaction && (gfp & BZ_GFP_IO);
	bool costly_order = order > PAGE_ALLOC_COSTLY_ORDER;
	enum compact_result compact_result = COMPACT_SKIPPED;
	enum compact_priority compact_priority = DEF_COMPACT_PRIORITY;
	int no_progress_loops = 0, compaction_retries = 0;
	unsigned long progress;
	struct bz_page *page;

	if (alloc_flags & ALLOC_KSWAPD)
		bz__wake_all_kswapds(ac->zonelist, ac->highest_zoneidx, gfp, order);
	page = get_page_from_freelist(ac, gfp, order, alloc_flags);
	if (page)
		return page;
	/* Costly orders, and non-movable ones that would fragment: compaction before reclaim. */
	if (can_direct_reclaim && can_compact && (costly_order || (order && ac->migratetype != BZ_MIGRATE_MOVABLE)) &&
	    !gfp_pfmemalloc_flags(gfp)) {
		page = direct_compact(ac, gfp, order, alloc_flags, INIT_COMPACT_PRIORITY, &compact_result);
		if (page)
			return page;
		if (costly_order && (gfp & BZ_GFP_NORETRY)) {
			/* Skipped: no room; deferred: failed recently.  Reclaim would not help this request. */
			if (compact_result == COMPACT_SKIPPED || compact_result == COMPACT_DEFERRED)
				goto nopage;
			compact_priority = INIT_COMPACT_PRIORITY;
		}
	}
retry:
	/* Keep kswapd awake while we loop. */
	if (attempt && (alloc_flags & ALLOC_KSWAPD))
		bz__wake_all_kswapds(ac->zonelist, ac->highest_zoneidx, gfp, order);
	reserve = gfp_pfmemalloc_flags(gfp);
	if (reserve)
		alloc_flags = (alloc_flags & ~ALLOC_WMARK_MASK) | reserve;
	if (reserve || attempt) {
		page = get_page_from_freelist(ac, gfp, order, alloc_flags);
		if (page)
			return page;
	}
	/* A reclaimer never reclaims again: it is what frees memory. */
	if (!can_direct_reclaim || bz__current_memalloc())
		goto nopage;
	page = direct_reclaim(ac, gfp, order, alloc_flags, &progress);
	if (page)
		return page;
	page = direct_compact(ac, gfp, order, alloc_flags, compact_priority, &compact_result);
	if (page)
		return page;
	if ((gfp & BZ_GFP_NORETRY) || (costly_order && (!can_compact || !(gfp & BZ_GFP_RETRY_MAYFAIL))))
		goto nopage;
	attempt++;
	if (should_reclaim_retry(ac, order, alloc_flags, progress, &no_progress_loops))
		goto retry;
	if (progress && can_compact &&
	    should_compact_retry(ac, order, compact_result, &compact_priority, &compaction_retries))
		goto retry;
	if (!oom_retried && bz__out_of_memory(ac->sys, gfp, order, ac->highest_zoneidx, ac->nid)) {
		oom_retried = true;
		no_progress_loops = 0;
		goto retry;
	}
nopage:
	if (gfp & BZ_GFP_NOFAIL) {
		/* The kernel refuses NOFAIL without reclaim too: it would spin forever. */
		if (!can_direct_reclaim) {
			if (!(gfp & BZ_GFP_NOWARN))
				bz__log(ac->sys, BZ_LOG_WARNING,
					"__GFP_NOFAIL without __GFP_DIRECT_RECLAIM cannot wait for memory; failing");
			return NULL;
		}
		/* The reserves of high-priority requests, never ALLOC_NO_WATERMARKS. */
		page = get_page_from_freelist(ac, gfp, order, ALLOC_MIN_RESERVE | ALLOC_WMARK_MIN);
		if (page)
			return page;
		backoff(attempt++);
		goto retry;
	}
	return NULL;
}

/* ---- the entry ------------------------------------------------------------------------ */

static bool check_request(struct bz_system *sys, bz_gfp_t gfp, unsigned order, int *zone_idx)
{
	if (bz_unlikely(order > BZ_MAX_ORDER)) {
		if (!(gfp & BZ_GFP_NOWARN))
			bz__log(sys, BZ_LOG_WARNING, "allocation of order %u refused: the largest order is %d",
				order, BZ_MAX_ORDER);
		return false;
	}
	*zone_idx = bz__gfp_zone(gfp);
	if (bz_unlikely((gfp & ~BZ_GFP_VALID_MASK) || *zone_idx < 0 || bz__gfp_migratetype(gfp) < 0)) {
		char text[160];

		bz_gfp_format(gfp, text, sizeof(text));
		bz__log(sys, BZ_LOG_ERR, "allocation refused: invalid gfp flags %#x(%s)%s", gfp, text,
			(gfp & ~BZ_GFP_VALID_MASK) ? ": unknown bits" :
			*zone_idx < 0 ? ": zone modifiers that cannot be combined" :
					": __GFP_MOVABLE and __GFP_RECLAIMABLE together");
		return false;
	}
	if (bz_unlikely((gfp & BZ_GFP_NOFAIL) && order > 1 && !(gfp & BZ_GFP_NOWARN)))
		bz__log(sys, BZ_LOG_WARNING, "__GFP_NOFAIL allocation of order %u: costly orders may never succeed",
			order);
	return true;
}

/*
 * post_alloc_hook() (the reference count is set with the state, under the
 * zone lock or in the cache's section) and prep_new_page()'s compound
 * page: false when debug mode could not hand the block out (it went back).
 */
static bool prep_user_page(struct bz_system *sys, struct bz_page *page, unsigned order, bz_gfp_t gfp)
{
	uint8_t flags = PAGE_GET(page, flags);

	page->private = 0;
	/* Known zero (never touched, or given back by page reporting) until the caller writes. */
	if (bz_unlikely(flags & PG_zeroed))
		PAGE_SET(page, flags, flags & (uint8_t)~PG_zeroed);
	if (bz_unlikely(sys->debug.flags)) {
		if (!bz__debug_alloc(sys, page, order, gfp))
			return false;
	} else if ((gfp & BZ_GFP_ZERO) && (flags & PG_zeroed)) {
		count_vm_events(sys, PGALLOC_ZERO_SKIPPED, 1ul << order);
	} else if (gfp & BZ_GFP_ZERO) {
		memset(sys->base + (page_to_pfn(sys, page) << BZ_PAGE_SHIFT), 0, BZ_PAGE_SIZE << order);
	}
	if (memo_compound(gfp, order))
		prep_compound_page(page, order);
	return true;
}

/*
 * prepare_alloc_pages() and __alloc_pages() for a checked request: node
 * nid's zonelist, the first zone in the nodemask as the preferred one
 * (first_zones_zonelist), the fast path at the low watermark, then the slow
 * path; the failure report unless BZ_GFP_NOWARN.  ac has sys, sysarg, gen
 * and memo_ok set.
 */
static struct bz_page *__alloc_pages(struct alloc_context *ac, bz_gfp_t gfp, unsigned order, int nid,
				     uint64_t nodemask)
{
	struct bz_system *sys = ac->sys;
	struct bz_page *page = NULL;

	ac->nid = nid;
	ac->nodemask = nodemask;
	ac->highest_zoneidx = bz__gfp_zone(gfp);
	ac->migratetype = bz__gfp_migratetype(gfp);
	ac->zonelist = atomic_load_explicit(&sys->nodes[nid]->zonelists[(gfp & BZ_GFP_THISNODE) ?
									  ZONELIST_NOFALLBACK : ZONELIST_FALLBACK],
					    memory_order_acquire);
	ac->preferred_zone = NULL;
	for (int i = 0; i < ac->zonelist->nr && !ac->preferred_zone; i++) {
		struct bz_zone *z = ac->zonelist->zones[i];

		if (z->idx <= ac->highest_zoneidx && zone_allowed(ac, z))
			ac->preferred_zone = z;
	}
	if (ac->preferred_zone) {
		page = get_page_from_freelist(ac, gfp, order, ALLOC_WMARK_LOW |
					      alloc_flags_nofragment(sys, ac->preferred_zone, gfp));
		if (!page)
			page = alloc_pages_slowpath(ac, gfp, order);
	}
	if (page && prep_user_page(sys, page, order, gfp))
		return page;
	if (!(gfp & BZ_GFP_NOWARN))
		bz__warn_alloc(sys, gfp, order, nid);
	return NULL;
}

/* NUMA_INTERLEAVE_HIT: the page came from the node interleaving chose. */
static void count_interleave_hit(struct bz_system *sys, struct bz_page *page)
{
	struct bz_zone *z = page_zone(sys, page);
	struct bz_tcache *tc = bz__task_cache(sys);

	if (tc)
		pcp_count_numa(&tc->stats[z->zone_id], PCP_NUMA_INTERLEAVE);
	else
		zone_stat_add(z, NUMA_INTERLEAVE_HIT, 1);
}

/*
 * alloc_pages_mpol(): what the thread's policy decides (mempolicy.c), done
 * here: preferred-many's first pass over its nodes without waiting or a
 * failure report, then the node and nodemask of the policy.
 */
static struct bz_page *alloc_pages_mpol(struct bz_system *sys, bz_gfp_t gfp, unsigned order)
{
	struct alloc_context ac = { .sys = sys, .sysarg = sys, .memo_ok = false };
	struct bz_mpol_plan plan;
	struct bz_page *page = NULL;

	bz__mpol_plan(sys, gfp, &plan);
	if (plan.first_pass) {
		bz_gfp_t preferred_gfp = (gfp | BZ_GFP_NOWARN) & ~(BZ_GFP_DIRECT_RECLAIM | BZ_GFP_NOFAIL);

		page = __alloc_pages(&ac, preferred_gfp, order, plan.nid, plan.first_pass);
	}
	if (!page)
		page = __alloc_pages(&ac, gfp, order, plan.nid, plan.nodemask);
	if (page && plan.interleaved && page_zone(sys, page)->node->nid == plan.nid)
		count_interleave_hit(sys, page);
	return page;
}

/*
 * alloc_pages() (policy: the thread's memory policy applies) and
 * alloc_pages_node(): the checks, fault injection, then the policy's
 * allocation or __alloc_pages from the node asked for.  The memo is set
 * only while the thread's policy is the default: a memo hit skips policies.
 * Last, with no lock held: a free on the way (a cache's decay or drain)
 * may have asked for page reporting.
 */
static bz_page *alloc_pages_entry(bz_system *sys_in, int nid, bz_gfp_t gfp, unsigned order, bool policy)
{
	uint64_t gen = atomic_load_explicit(&bz__tls_gen, memory_order_relaxed);
	struct bz_system *sys = bz__resolve(sys_in);
	struct bz_tcache *own = bz__current.task.tc;
	struct alloc_context ac;
	struct bz_page *page = NULL;
	int zidx, target;
	bool mpol;

	if (bz_unlikely(!sys))
		return NULL;
	/* The thread's own decay ran: idle threads' caches are worth a look (its record is of sys). */
	if (bz_unlikely(own && bz__current.task.sys == sys && bz__current.task.id == sys->id &&
			own->decay_idle_due)) {
		own->decay_idle_due = false;
		bz__tcache_decay_idle(sys);
	}
	if (!check_request(sys, gfp, order, &zidx))
		goto out;
	if (nid >= sys->nr_nodes) {
		bz__log(sys, BZ_LOG_ERR, "allocation refused: node %d does not exist", nid);
		goto out;
	}
	target = nid < 0 ? bz__task_node(sys) : nid;
	/* prepare_alloc_pages(): an injected failure is decided before any zone is looked at. */
	if (bz_unlikely(bz__fail_enabled(sys)) && bz__should_fail_alloc_page(sys, gfp, order)) {
		if (!(gfp & BZ_GFP_NOWARN))
			bz__warn_alloc(sys, gfp, order, target);
		goto out;
	}
	/* alloc_pages(): __GFP_THISNODE requests take the default policy. */
	mpol = nid < 0 && !(gfp & BZ_GFP_THISNODE) && bz__mpol_active(sys);
	if (policy && mpol) {
		page = alloc_pages_mpol(sys, gfp, order);
	} else {
		ac.sys = sys;
		ac.sysarg = sys_in;
		ac.gen = gen;
		ac.memo_ok = nid < 0 && !mpol;
		page = __alloc_pages(&ac, gfp, order, target, BZ_NODEMASK_ALL);
	}
out:
	if (!page)
		count_vm_event(sys, PGALLOC_FAIL);
	bz__page_reporting_poll(sys);
	return page;
}

BZ_API bz_page *bz_alloc_pages_node(bz_system *sys, int nid, bz_gfp_t gfp, unsigned order)
{
	return alloc_pages_entry(sys, nid, gfp, order, false);
}

/*
 * The memo hit: straight to the list the last identical request used, if
 * the zone is above everything zone_watermark_fast() could ask.  No lock,
 * no atomic read-modify-write.
 */
static inline __attribute__((always_inline)) struct bz_page *alloc_memo(struct bz_task *t)
{
	struct bz_tcache *tc = t->tc;
	uint32_t *list = t->m_list;
	struct bz_page *p;

	/* zone_watermark_fast(): free pages above the mark */
	if (bz_unlikely(read_long_ge(t->m_mark, atomic_load_explicit(t->m_free, memory_order_relaxed))))
		return NULL;
	if (bz_unlikely(!tcache_try_enter(tc)))
		return NULL;
	if (bz_unlikely(pcp_list_empty(list))) {
		tcache_exit(tc, true);
		return NULL;
	}
	p = pcp_take(t->m_pcp, list, t->m_mem_map, t->m_nr, t->m_val);
	tcache_exit(tc, true);
	owner_inc_ulong(t->m_count);
	return p;
}

/* The address of a block the memo handed out: it is of the memo's system. */
static inline void *memo_block_address(const struct bz_task *t, const struct bz_page *p)
{
	return t->m_base + ((unsigned long)(p - t->m_mem_map) << BZ_PAGE_SHIFT);
}

/*
 * A hit on a memo that needs more than its list: the thread must still be
 * on the CPU it was made on (same node, so still a local allocation), a
 * zeroing request clears the block, a __GFP_COMP one makes it compound.
 * NULL: take the general path.
 */
static inline struct bz_page *alloc_memo_special(struct bz_task *t, bz_gfp_t gfp, unsigned order)
{
	struct bz_page *p;

	if (t->m_nid >= 0 && bz__rseq_cpu() != t->m_cpu)
		return NULL;
	p = alloc_memo(t);
	if (p && (gfp & BZ_GFP_ZERO))
		memset(memo_block_address(t, p), 0, BZ_PAGE_SIZE << order);
	if (p && memo_compound(gfp, order))
		prep_compound_page(p, order);
	return p;
}

/* Does the memo match this request?  Plain memos: MEMO_SPECIAL clear in m_gen. */
static inline bool memo_matches(const struct bz_task *t, bz_system *sys, bz_gfp_t gfp, unsigned order,
				uint64_t gen)
{
	return t->m_gfp == gfp && t->m_order == order && t->m_sysarg == sys && t->m_gen == gen;
}

/* bz_alloc_pages after its plain memo missed: a special memo's hit, else the general path. */
static __attribute__((noinline)) bz_page *alloc_pages_memo_miss(bz_system *sys, bz_gfp_t gfp, unsigned order)
{
	struct bz_task *t = &bz__current.task;
	struct bz_page *p;

	if (memo_matches(t, sys, gfp, order, atomic_load_explicit(&bz__tls_gen, memory_order_relaxed) | MEMO_SPECIAL) &&
	    (p = alloc_memo_special(t, gfp, order)))
		return p;
	return alloc_pages_entry(sys, -1, gfp, order, true);
}

BZ_API bz_page *bz_alloc_pages(bz_system *sys, bz_gfp_t gfp, unsigned order)
{
	struct bz_task *t = &bz__current.task;

	if (bz_likely(memo_matches(t, sys, gfp, order, atomic_load_explicit(&bz__tls_gen, memory_order_relaxed)))) {
		struct bz_page *p = alloc_memo(t);

		if (bz_likely(p))
			return p;
	}
	return alloc_pages_memo_miss(sys, gfp, order);
}

BZ_API void *bz_get_free_pages(bz_system *sys, bz_gfp_t gfp, unsigned order)
{
	struct bz_task *t = &bz__current.task;
	uint64_t gen = atomic_load_explicit(&bz__tls_gen, memory_order_relaxed);
	struct bz_page *page;
	uintptr_t off;

	/* Both kinds of memo inline: zeroed pages (get_zeroed_page) come this way. */
	if (bz_likely(memo_matches(t, sys, gfp, order, gen | (t->m_gen & MEMO_SPECIAL)))) {
		page = t->m_gen & MEMO_SPECIAL ? alloc_memo_special(t, gfp, order) : alloc_memo(t);
		if (bz_likely(page))
			return memo_block_address(t, page);
	}
	page = alloc_pages_entry(sys, -1, gfp, order, true);
	off = (uintptr_t)page - t->mem_map;
	/* Usually a page of the thread's current system: no registry walk. */
	if (bz_likely(page && off / sizeof(struct bz_page) < t->nr_pfns && t->gen == gen))
		return t->base + (off / sizeof(struct bz_page) << BZ_PAGE_SHIFT);
	return page ? bz_page_address(page) : NULL;
}

BZ_API void *bz_get_zeroed_page(bz_system *sys, bz_gfp_t gfp)
{
	return bz_get_free_pages(sys, gfp | BZ_GFP_ZERO, 0);
}
