/* SPDX-License-Identifier: MIT */
/*
 * pcp.c - per-thread page caches in front of the buddy lists, after the
 * kernel's per-CPU pagesets (struct per_cpu_pages, Linux 6.7+): lists per
 * order 0..3 and pageblock order per pcp migratetype, refilled in batches
 * under the zone lock (rmqueue_bulk), freed back in batches above an
 * adaptive high mark (free_pcppages_bulk, nr_pcp_high, nr_pcp_alloc,
 * nr_pcp_free, decay_pcp_high).  Also the caches' lifetime: created on a
 * thread's first use of a system, drained at thread exit, dropped with
 * their system, drained by bz_drain_all_pages, and made consistent across
 * fork.
 *
 * One difference from the kernel: a list is a LIFO stack, so a batch
 * returned to the buddy lists takes the most recently freed pages rather
 * than the coldest; it keeps the owner's push and pop at two stores each.
 */
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pcp.h"

_Thread_local struct bz_tls bz__tls __attribute__((tls_model("initial-exec")));

bool bz__use_membarrier;

/* ---- the owner's critical section -------------------------------------------------- */

void bz__force_barriers(void)
{
	if (bz__use_membarrier)
		syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	atomic_thread_fence(memory_order_seq_cst);
}

/* ---- list indices ---------------------------------------------------------------------- */

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
	if (tail != BZ_NIL) {
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
			struct bz_page *p = pfn_to_page(sys, pfn);

			pcp->lists[pindex] = p->next;
			PAGE_SET(p, flags, PAGE_GET(p, flags) & ((uint8_t)~PG_pcp));
			count -= 1 << order;
			PCP_ADD(pcp, count, -(1 << order));
			__atomic_store_n(&z->nr_pcpu_drain, z->nr_pcpu_drain + 1, __ATOMIC_RELAXED); /* trace_mm_page_pcpu_drain */
			bz__free_one_page_locked(z, pfn, order, get_pageblock_migratetype(sys, pfn));
		} while (count > 0 && pcp->lists[pindex] != BZ_NIL);
	}
	bz__zone_unlock(z);
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000l + ts.tv_nsec;
}

#define DECAY_PERIOD_NS 1000000000l  /* vmstat_update: once a second */

/*
 * decay_pcp_high(): high an eighth closer to high_min (at most 32 batches
 * below the count), and pages above high back to the buddy lists.  The
 * caller owns tc: its thread, or a drainer that stopped it.
 */
static void decay_cache(struct bz_tcache *tc, long now)
{
	tc->last_decay_ns = now;
	for (int i = 0; i < tc->nr_pcp; i++) {
		struct bz_pcp *pcp = &tc->pcp[i];
		struct bz_zone *z = &tc->sys->nodes[i / BZ_MAX_NR_ZONES]->zones[i % BZ_MAX_NR_ZONES];
		int high_min = atomic_load_explicit(&z->pcp_high_min, memory_order_relaxed);
		int batch = atomic_load_explicit(&z->pcp_batch, memory_order_relaxed);

		if (!populated_zone(z))
			continue;
		int count = PCP_GET(pcp, count), high = PCP_GET(pcp, high);

		if (high > high_min) {
			high = BZ_MAX(BZ_MAX(count - (batch << PCP_BATCH_SCALE_MAX), high - (high >> 3)), high_min);
			PCP_SET(pcp, high, high);
		}
		if (count - high > 0)
			free_pcppages_bulk(z, count - high, pcp, 0);
	}
}

_Thread_local bool bz__decay_idle_due __attribute__((tls_model("initial-exec")));

/*
 * The owner's decay, when it refills or drains: at most once a period.
 * Then the thread also looks at idle threads' caches, once out of its own.
 */
static void decay_pcp_high(struct bz_tcache *tc)
{
	long now = now_ns();

	if (now - tc->last_decay_ns >= DECAY_PERIOD_NS) {
		decay_cache(tc, now);
		bz__decay_idle_due = true;
	}
}

/* Caches whose owners have not decayed them for a period: idle threads'. */
static int decay_idle_caches(struct bz_system *sys, void *arg)
{
	long now = *(const long *)arg;

	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next)
		if (now - tc->last_decay_ns >= DECAY_PERIOD_NS)
			decay_cache(tc, now);
	return 0;
}

void bz__pcp_decay_idle(struct bz_system *sys)
{
	long now = now_ns(), last = atomic_load_explicit(&sys->idle_decay_ns, memory_order_relaxed);

	bz__decay_idle_due = false;
	/* One thread a period does it; the others pass by with a load. */
	if (bz_likely(now - last < DECAY_PERIOD_NS) ||
	    !atomic_compare_exchange_strong(&sys->idle_decay_ns, &last, now))
		return;
	bz__tcache_try_stopped_call(sys, decay_idle_caches, &now);
}

void bz__free_isolated(struct bz_zone *z, unsigned long pfn, unsigned order)
{
	bz__zone_lock(z);
	PAGE_SET(pfn_to_page(z->sys, pfn), flags, PAGE_GET(pfn_to_page(z->sys, pfn), flags) & ((uint8_t)~PG_head));
	bz__free_one_page_locked(z, pfn, order, BZ_MIGRATE_ISOLATE);
	bz__zone_unlock(z);
}

/* ---- the cache's two operations --------------------------------------------------------- */

struct bz_page *bz__rmqueue_pcplist(struct bz_tcache *tc, struct bz_zone *z, unsigned order, int mt,
				    unsigned alloc_flags)
{
	struct bz_pcp *pcp = &tc->pcp[z->zone_id];
	struct bz_system *sys = z->sys;
	uint32_t *list, pfn;
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
		tc->cpu = sched_getcpu();
		if (*list == BZ_NIL) {
			tcache_exit(tc, fast);
			return NULL;
		}
	}
	pfn = *list;
	p = pfn_to_page(sys, pfn);
	*list = p->next;
	owner_sub_int(&pcp->count, 1 << order);
	PAGE_SET(p, state, PAGE_STATE(PG_init | PG_head, order));
	PAGE_SET(p, mt, (uint8_t)mt);
	tcache_exit(tc, fast);
	tc_count_event(tc, (enum bz_vm_event)(PGALLOC_BASE + z->idx), 1ul << order);
	return p;
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
		bz__kswapd_clear_hopeless_below_high(z);
	}
	decay_pcp_high(tc);
}

/*
 * New pageset limits (zone_set_pageset_high_and_batch): each CPU's next
 * free or refill clamps its high in the kernel; a thread's fast free does
 * not look, so every cache takes them now, its owner stopped.
 */
static int retune_caches(struct bz_system *sys, void *arg)
{
	(void)arg;
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next)
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
	return 0;
}

void bz__pcp_retune(struct bz_system *sys)
{
	bz__tcache_stopped_call(sys, retune_caches, NULL);
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
