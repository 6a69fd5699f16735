/* SPDX-License-Identifier: MIT */
/*
 * pcp.c - per-thread page caches in front of the buddy lists, after the
 * kernel's per-CPU pagesets (struct per_cpu_pages, Linux 6.7+): lists per
 * order 0..3 and pageblock order per pcp migratetype, refilled in batches
 * under the zone lock (rmqueue_bulk), freed back in batches above an
 * adaptive high mark (free_pcppages_bulk, nr_pcp_high, nr_pcp_alloc,
 * nr_pcp_free, decay_pcp_high).  What one cache does; tcache.c owns the
 * caches of a system.
 *
 * One difference from the kernel: a list is a LIFO stack, so a batch
 * returned to the buddy lists takes the most recently freed pages rather
 * than the coldest; it keeps the owner's push and pop at two stores each.
 */
#include <sched.h>

#include "pcp.h"

/* ---- sizing: the kernel's 6.7+ adaptive high ------------------------------------------ */

/*
 * The kernel's clamp() (include/linux/minmax.h __clamp), which matters
 * when lo > hi: high_min follows the low watermark and high_max a fraction
 * of the zone, so a large watermark_scale_factor puts high_min above high_max.
 */
static int clamp_int(int v, int lo, int hi)
{
	return v >= hi ? hi : v <= lo ? lo : v;
}

/* nr_pcp_alloc(): how many blocks a refill takes. */
static int nr_pcp_alloc(struct bz_pcp *pcp, struct bz_zone *z, unsigned order)
{
	int base_batch = atomic_load_explicit(&z->pcp_batch, memory_order_relaxed);
	int high_min = atomic_load_explicit(&z->pcp_high_min, memory_order_relaxed);
	int high_max = atomic_load_explicit(&z->pcp_high_max, memory_order_relaxed);
	int high = clamp_int(PCP_GET(pcp, high), high_min, high_max);
	int batch;

	PCP_SET(pcp, high, high);
	if (high < base_batch)
		return 1;
	batch = order ? base_batch : base_batch << pcp->alloc_factor;
	if (high_min != high_max && !zone_flag_test(z, ZONE_BELOW_HIGH)) {
		high = BZ_MIN(high + batch, high_max);
		PCP_SET(pcp, high, high);
	}
	if (!order) {
		int max_nr_alloc = BZ_MAX(high - PCP_GET(pcp, count) - base_batch, base_batch);

		if (batch <= max_nr_alloc && pcp->alloc_factor < PCP_BATCH_SCALE_MAX)
			pcp->alloc_factor++;
		batch = BZ_MIN(batch, max_nr_alloc);
	}
	if (batch > 1)
		batch = BZ_MAX(batch >> order, 2);
	return batch;
}

/* nr_pcp_high(): the high mark now, adapting pcp->high on the way. */
static int nr_pcp_high(struct bz_pcp *pcp, struct bz_zone *z, int batch, bool free_high)
{
	int high_min = atomic_load_explicit(&z->pcp_high_min, memory_order_relaxed);
	int high_max = atomic_load_explicit(&z->pcp_high_max, memory_order_relaxed);
	int high = clamp_int(PCP_GET(pcp, high), high_min, high_max);

	PCP_SET(pcp, high, high);
	if (!high)
		return 0;
	if (free_high) {
		PCP_SET(pcp, high, BZ_MAX(high - (batch << PCP_BATCH_SCALE_MAX), high_min));
		return 0;
	}
	/* kswapd at work: at most four batches stay, even with high pinned. */
	if (zone_flag_test(z, ZONE_RECLAIM_ACTIVE)) {
		PCP_SET(pcp, high, BZ_MAX(high - BZ_MAX(pcp->free_count, batch), high_min));
		return BZ_MIN(batch << 2, PCP_GET(pcp, high));
	}
	if (high_min == high_max)
		return high;
	if (zone_flag_test(z, ZONE_BELOW_HIGH)) {
		PCP_SET(pcp, high, BZ_MAX(high - BZ_MAX(pcp->free_count, batch), high_min));
		high = BZ_MAX(PCP_GET(pcp, count), high_min);
	} else if (PCP_GET(pcp, count) >= high) {
		int need_high = pcp->free_count + batch;

		if (PCP_GET(pcp, high) < need_high)
			PCP_SET(pcp, high, clamp_int(need_high, high_min, high_max));
	}
	return high;
}

/* nr_pcp_free(): how many pages a drain above high returns. */
static int nr_pcp_free(struct bz_pcp *pcp, int batch, int high, bool free_high)
{
	if (free_high)
		return BZ_MIN(PCP_GET(pcp, count), batch << PCP_BATCH_SCALE_MAX);
	if (high < batch)
		return 1;
	return clamp_int(pcp->free_count, batch, high - batch);
}

/* ---- moving pages between a cache and the buddy lists ------------------------------- */

/* rmqueue_bulk(): count blocks onto an empty list under one lock hold; returns how many. */
static int rmqueue_bulk(struct bz_zone *z, unsigned order, int count, int mt, unsigned alloc_flags,
			uint32_t *list)
{
	struct bz_system *sys = z->sys;
	uint32_t head = BZ_NIL, tail = BZ_NIL;
	int mode = 0, i;

	bz__zone_lock(z);
	for (i = 0; i < count; i++) {
		struct bz_page *p = bz__rmqueue_mode_locked(z, order, mt, alloc_flags, &mode);
		uint32_t pfn;

		if (!p)
			break;
		pfn = (uint32_t)page_to_pfn(sys, p);
		PAGE_SET(p, flags, (uint8_t)((PAGE_GET(p, flags) & PG_init) | PG_pcp));
		PAGE_SET(p, order, (uint8_t)order);
		p->next = BZ_NIL;
		if (tail == BZ_NIL)
			head = pfn;
		else
			pfn_to_page(sys, tail)->next = pfn;
		tail = pfn;
	}
	bz__zone_unlock(z);
	if (tail != BZ_NIL) {       /* the batch's chain in front of the list: one push */
		pfn_to_page(sys, tail)->next = *list;
		*list = head;
	}
	return i;
}

/* free_pcppages_bulk(): count pages back to the buddy lists, lists in turn from pindex. */
static void free_pcppages_bulk(struct bz_zone *z, int count, struct bz_pcp *pcp, unsigned pindex)
{
	struct bz_system *sys = z->sys;

	count = BZ_MIN(PCP_GET(pcp, count), count);
	if (count <= 0)
		return;
	pindex = pindex ? pindex - 1 : NR_PCP_LISTS - 1;
	bz__zone_lock(z);
	while (count > 0) {
		unsigned order;

		do {
			if (++pindex > NR_PCP_LISTS - 1)
				pindex = 0;
		} while (pcp->lists[pindex] == BZ_NIL);
		order = pindex_to_order(pindex);
		do {
			uint32_t pfn = pcp->lists[pindex];
			struct bz_page *p = pcp_list_pop(&pcp->lists[pindex], sys->mem_map);

			PAGE_SET(p, flags, PAGE_GET(p, flags) & ((uint8_t)~PG_pcp));
			count -= 1 << order;
			PCP_ADD(pcp, count, -(1 << order));
			__atomic_store_n(&z->nr_pcpu_drain, z->nr_pcpu_drain + 1, __ATOMIC_RELAXED); /* trace_mm_page_pcpu_drain */
			bz__free_one_page_locked(z, pfn, order, get_pageblock_migratetype(sys, pfn));
		} while (count > 0 && pcp->lists[pindex] != BZ_NIL);
	}
	bz__zone_unlock(z);
	pcp->stat_dirty = true;         /* NR_FREE_PAGES moved: the refresh sees a vm_stat_diff */
}

/*
 * decay_pcp_high(): high an eighth closer to high_min (at most 32 batches
 * below the count), and pages above high back to the buddy lists.
 */
static void decay_pcp_high_zone(struct bz_zone *z, struct bz_pcp *pcp)
{
	int high_min = atomic_load_explicit(&z->pcp_high_min, memory_order_relaxed);
	int batch = atomic_load_explicit(&z->pcp_batch, memory_order_relaxed);
	int count = PCP_GET(pcp, count), high = PCP_GET(pcp, high);

	if (high > high_min) {
		high = BZ_MAX(BZ_MAX(count - (batch << PCP_BATCH_SCALE_MAX), high - (high >> 3)), high_min);
		PCP_SET(pcp, high, high);
	}
	if (count - high > 0)
		free_pcppages_bulk(z, count - high, pcp, 0);
}

/*
 * refresh_cpu_vm_stats()'s remote pageset expiry (CONFIG_NUMA): a cache of
 * another node's zone whose buddy counters this thread has not moved for
 * three refreshes gives a batch back (drain_zone_pages: min(count, batch)),
 * so that pages freed here for a remote node do not stay trapped in this
 * thread's cache; the owner's own node is never drained.  Counted in pages
 * as libbuddyzone's pcp_remote_drained (the kernel counts no event).
 */
static void expire_remote_pcp(struct bz_tcache *tc, struct bz_zone *z, struct bz_pcp *pcp)
{
	int count = PCP_GET(pcp, count), n;

	if (!pcp->expire || !count)
		return;
	if (z->node->nid == tc->nid) {
		pcp->expire = 0;
		return;
	}
	if (--pcp->expire)
		return;
	n = BZ_MIN(count, atomic_load_explicit(&z->pcp_batch, memory_order_relaxed));
	free_pcppages_bulk(z, n, pcp, 0);
	tc_count_event(tc, PCP_REMOTE_DRAINED, (unsigned long)n);
}

/*
 * One refresh of a cache, refresh_cpu_vm_stats(true) per zone in order:
 * a zone whose counters moved since the last refresh restarts its expiry
 * ("3 seconds idle till flush"), decay_pcp_high(), then the expiry.  The
 * caller owns tc: its thread, or a drainer that stopped it.
 */
void bz__pcp_decay(struct bz_tcache *tc, long now)
{
	tc->last_decay_ns = now;
	for (int i = 0; i < tc->nr_pcp; i++) {
		struct bz_pcp *pcp = &tc->pcp[i];
		struct bz_zone *z = &tc->sys->nodes[i / BZ_MAX_NR_ZONES]->zones[i % BZ_MAX_NR_ZONES];

		if (!populated_zone(z))
			continue;
		if (pcp->stat_dirty) {
			pcp->stat_dirty = false;
			pcp->expire = 3;
		}
		decay_pcp_high_zone(z, pcp);
		expire_remote_pcp(tc, z, pcp);
	}
}

/*
 * The owner's decay, when it refills or drains: at most once a period.
 * Then the thread also looks at idle threads' caches, once out of its own
 * (tcache.c's bz__tcache_decay_idle).
 */
static void decay_pcp_high(struct bz_tcache *tc)
{
	long now = bz__now_coarse_ns();

	if (now - tc->last_decay_ns >= BZ_PCP_DECAY_PERIOD_NS) {
		bz__pcp_decay(tc, now);
		tc->decay_idle_due = true;
	}
}

bool bz__free_isolated(struct bz_zone *z, unsigned long pfn, unsigned order, int refs)
{
	return bz__free_block(z, pfn, order, refs);
}

/* ---- the cache's two operations --------------------------------------------------------- */

struct bz_page *bz__rmqueue_pcplist(struct bz_tcache *tc, struct bz_zone *z, unsigned order, int mt,
				    unsigned alloc_flags)
{
	struct bz_pcp *pcp = &tc->pcp[z->zone_id];
	struct bz_system *sys = z->sys;
	uint32_t *list;
	struct bz_page *p;
	bool fast = tcache_enter(tc);

	pcp->free_count >>= 1;
	list = &pcp->lists[order_to_pindex(mt, order)];
	if (bz_unlikely(*list == BZ_NIL)) {
		int got;

		/* The kernel decays every CPU's high once a second; a thread's, when it next refills or drains. */
		decay_pcp_high(tc);
		bz__pcp_refresh_batch(pcp);
		got = rmqueue_bulk(z, order, nr_pcp_alloc(pcp, z, order), mt, alloc_flags, list);

		PCP_ADD(pcp, count, got << order);
		pcp->stat_dirty |= got > 0;
		tc->cpu = sched_getcpu();
		/* A thread nobody placed follows its CPU (the kernel's pcp never moves). */
		if (!tc->pinned)
			tc->nid = bz__numa_node_id(sys);
		if (*list == BZ_NIL) {
			tcache_exit(tc, fast);
			return NULL;
		}
	}
	p = pcp_list_pop(list, sys->mem_map);
	owner_sub_int(&pcp->count, 1 << order);
	PAGE_SET(p, state, PAGE_STATE(PG_init | PG_head, order));
	PAGE_SET(p, mt, (uint8_t)mt);
	set_page_count(p, 1);   /* set_page_refcounted(), inside the section with the state */
	tcache_exit(tc, fast);
	tc_count_event(tc, (enum bz_vm_event)(PGALLOC_BASE + z->idx), 1ul << order);
	return p;
}

/*
 * free_frozen_page_commit(), on clearing ZONE_BELOW_HIGH: pressure on the
 * zone's node is gone, so a hopeless kswapd there may try again
 * (kswapd_failures = 0), if a fallback node (one with memory, numbered
 * after it: next_memory_node()) kept direct reclaim away.
 */
static void clear_hopeless(struct bz_zone *z)
{
	struct bz_system *sys = z->sys;
	struct bz_node *node = z->node;

	if (!kswapd_hopeless(node))
		return;
	for (int n = node->nid + 1; n < sys->nr_nodes; n++)
		if (__atomic_load_n(&sys->nodes[n]->node_present_pages, __ATOMIC_RELAXED)) {
			atomic_store_explicit(&node->kswapd_failures, 0, memory_order_relaxed);
			return;
		}
}

/* The rest of free_unref_page_commit(): high-order bookkeeping and draining above high. */
void bz__pcp_commit_slow(struct bz_tcache *tc, struct bz_pcp *pcp, unsigned order, unsigned pindex)
{
	struct bz_zone *z = pcp->zone;
	int batch = bz__pcp_refresh_batch(pcp);
	bool free_high = false;
	int high;

	if (order) {
		/* The order-0 fast path did this much already. */
		pcp->alloc_factor >>= 1;
		if (order <= PAGE_ALLOC_COSTLY_ORDER) {
			int high_min = atomic_load_explicit(&z->pcp_high_min, memory_order_relaxed);

			/* Linux 6.16+: the threshold has high_min / 2 on top of batch. */
			free_high = pcp->free_count >= batch + high_min / 2 &&
				    (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) &&
				    (!pcp->free_high_batch || PCP_GET(pcp, count) >= batch);
			pcp->flags |= PCPF_PREV_FREE_HIGH_ORDER;
		} else {
			pcp->flags &= (uint8_t)~PCPF_PREV_FREE_HIGH_ORDER;
		}
		if (pcp->free_count < pcp->free_cap)
			pcp->free_count += 1 << order;
	}
	high = nr_pcp_high(pcp, z, batch, free_high);
	if (PCP_GET(pcp, count) < high)
		return;
	free_pcppages_bulk(z, nr_pcp_free(pcp, batch, high, free_high), pcp, pindex);
	if (zone_flag_test(z, ZONE_BELOW_HIGH) &&
	    bz__zone_watermark_ok(z, 0, wmark_pages(z, WMARK_HIGH), BZ_ZONE_MOVABLE, 0,
				  zone_page_state(z, NR_FREE_PAGES))) {
		zone_flag_clear(z, ZONE_BELOW_HIGH);
		clear_hopeless(z);
	}
	decay_pcp_high(tc);
}

/*
 * New pageset limits (zone_set_pageset_high_and_batch): each CPU's next
 * free or refill clamps its high in the kernel; a thread's fast free does
 * not look, so tcache.c has every cache take them now, its owner stopped.
 */
void bz__pcp_retune(struct bz_tcache *tc)
{
	for (int i = 0; i < tc->nr_pcp; i++) {
		struct bz_pcp *pcp = &tc->pcp[i];
		const struct bz_zone *z = pcp->zone;

		if (!populated_zone(z))
			continue;
		bz__pcp_refresh_batch(pcp);
		PCP_SET(pcp, high, clamp_int(PCP_GET(pcp, high),
					      atomic_load_explicit(&z->pcp_high_min, memory_order_relaxed),
					      atomic_load_explicit(&z->pcp_high_max, memory_order_relaxed)));
	}
}

/* Every block of every list back to the buddy lists; the caller owns the cache. */
void bz__pcp_drain(struct bz_tcache *tc)
{
	for (int i = 0; i < tc->nr_pcp; i++) {
		struct bz_pcp *pcp = &tc->pcp[i];

		if (PCP_GET(pcp, count))
			free_pcppages_bulk(&tc->sys->nodes[i / BZ_MAX_NR_ZONES]->zones[i % BZ_MAX_NR_ZONES],
					   PCP_GET(pcp, count), pcp, 0);
	}
}
