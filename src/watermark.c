/* SPDX-License-Identifier: MIT */
/*
 * watermark.c - how much of each zone the allocator keeps back, and how big
 * the per-thread caches may grow.  It owns min_free_kbytes' computed value,
 * the zone watermarks (min, low, high, promo) and their boost, the lowmem
 * reserves ("protection" in zoneinfo), the pageset batch/high_min/high_max,
 * the vmstat threshold, and the watermark tests every allocation makes.
 *
 * Everything here is Linux 6.x arithmetic, function by function (the
 * kernel's name is in each comment; mm/page_alloc.c unless noted), so a
 * system built with a real machine's managed page counts and tunables shows
 * the numbers of that machine's /proc/zoneinfo.
 *
 * Locking: the setup functions run under sys->sysctl_lock (or before the
 * system is published) and take each zone lock while they rewrite that
 * zone's watermarks, since the boost is written under it.  The watermark
 * tests take no lock, as in the kernel: they read counters and list heads
 * once (READ_ONCE), and a stale answer only means one retry.
 */
#include "buddy.h"

#define SWAP_CLUSTER_MAX                  32ul
#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8
#define MIN_FREE_KBYTES_FLOOR             128
#define MIN_FREE_KBYTES_CEIL              262144 /* 256 MiB (older kernels: 64 MiB) */

/* ---- kernel helpers ----------------------------------------------------- */

/* READ_ONCE for fields that zone->lock holders write: one untorn load. */
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* int_sqrt(), lib/math/int_sqrt.c: floor(sqrt(x)), bit by bit. */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long b, m, y = 0;

	if (x <= 1)
		return x;
	m = 1ul << ((63 - __builtin_clzl(x)) & ~1);
	while (m != 0) {
		b = y + m;
		y >>= 1;
		if (x >= b) {
			x -= b;
			y += m;
		}
		m >>= 2;
	}
	return y;
}

/* fls(), include/asm-generic/bitops: 1-based index of the highest set bit, 0 for 0. */
static int bz_fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

static unsigned long rounddown_pow_of_two(unsigned long n)
{
	return 1ul << (63 - __builtin_clzl(n));
}

/* mult_frac(): x * numer / denom without overflowing the product. */
static unsigned long mult_frac(unsigned long x, unsigned long numer, unsigned long denom)
{
	unsigned long quot = x / denom, rem = x % denom;

	return quot * numer + rem * numer / denom;
}

static int sysctl_read(const int *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static void set_wmark(struct bz_zone *z, enum bz_wmark w, unsigned long v)
{
	atomic_store_explicit(&z->watermark[w], v, memory_order_relaxed);
}

static unsigned long raw_wmark(const struct bz_zone *z, enum bz_wmark w)
{
	return atomic_load_explicit(&z->watermark[w], memory_order_relaxed);
}

#define for_each_zone(sys, nid, z)                                              \
	for ((nid) = 0; (nid) < (sys)->nr_nodes; (nid)++)                         \
		for ((z) = (sys)->nodes[nid]->zones;                              \
		     (z) < (sys)->nodes[nid]->zones + BZ_MAX_NR_ZONES; (z)++)

/* num_online_cpus(): every node's CPUs, at least one. */
static int num_online_cpus(const struct bz_system *sys)
{
	int nid, n = 0;

	for_each_node(sys, nid)
		n += sys->nodes[nid]->nr_cpus;
	return n > 0 ? n : 1;
}

/* ---- min_free_kbytes ------------------------------------------------------ */

/*
 * nr_free_zone_pages(): pages above the high watermark (boost included) in
 * the populated zones up to zone index offset.  The kernel walks the local
 * node's fallback zonelist, which holds every node's zones: all of them.
 */
static unsigned long nr_free_zone_pages(const struct bz_system *sys, int offset)
{
	const struct bz_zone *z;
	unsigned long sum = 0;
	int nid;

	for_each_zone(sys, nid, z) {
		unsigned long size = z->managed_pages, high;

		if (z->idx > offset || !populated_zone(z))
			continue;
		high = wmark_pages(z, WMARK_HIGH);
		if (size > high)
			sum += size - high;
	}
	return sum;
}

/* nr_free_buffer_pages(): GFP_USER reaches up to ZONE_NORMAL. */
static unsigned long nr_free_buffer_pages(const struct bz_system *sys)
{
	return nr_free_zone_pages(sys, BZ_ZONE_NORMAL);
}

/*
 * calculate_min_free_kbytes(): sqrt(lowmem_kbytes * 16), clamped to
 * 128 KiB..256 MiB, unless the user's value is at least as large.  Note
 * lowmem counts pages above the high watermarks as they are now: 0 at the
 * first computation, the previous ones on a recomputation (memory hotplug).
 */
void bz__calculate_min_free_kbytes(struct bz_system *sys)
{
	struct bz_sysctls *s = &sys->sysctl;
	unsigned long lowmem_kbytes = nr_free_buffer_pages(sys) * (BZ_PAGE_SIZE >> 10);
	int new_min_free_kbytes = (int)int_sqrt(lowmem_kbytes * 16);

	if (new_min_free_kbytes > s->user_min_free_kbytes) {
		int v = BZ_MIN(BZ_MAX(new_min_free_kbytes, MIN_FREE_KBYTES_FLOOR), MIN_FREE_KBYTES_CEIL);

		__atomic_store_n(&s->min_free_kbytes, v, __ATOMIC_RELAXED);
	} else {
		bz__log(sys, BZ_LOG_WARNING,
			"min_free_kbytes is not updated to %d because user defined value %d is preferred",
			new_min_free_kbytes, s->user_min_free_kbytes);
	}
}

/* ---- watermarks ------------------------------------------------------------- */

/*
 * One zone's share of __setup_per_zone_wmarks().  MOVABLE (HIGHMEM on 32-bit)
 * gets a small fixed min: __GFP_HIGH and PF_MEMALLOC allocations seldom
 * need its pages.  The low/high/promo spacing still follows the proportional
 * share tmp, not the capped min, so kswapd's window scales with the zone.
 */
static void zone_setup_wmarks_locked(struct bz_zone *z, unsigned long pages_min,
				     unsigned long lowmem_pages, int scale_factor)
{
	unsigned long managed = z->managed_pages, min, tmp = 0;

	zone_lock_held(z);
	if (lowmem_pages)	/* the kernel divides by zero on a MOVABLE-only machine */
		tmp = (unsigned long)((unsigned long long)pages_min * managed / lowmem_pages);
	if (z->idx == BZ_ZONE_MOVABLE) {
		min = managed / 1024;
		min = BZ_MIN(BZ_MAX(min, SWAP_CLUSTER_MAX), 128ul);
	} else {
		min = tmp;
	}
	/* kswapd's distance: the scale factor's share of the zone, or min/4 on small zones */
	tmp = BZ_MAX(tmp >> 2, mult_frac(managed, (unsigned long)scale_factor, 10000));

	atomic_store_explicit(&z->watermark_boost, 0, memory_order_relaxed);
	set_wmark(z, WMARK_MIN, min);
	set_wmark(z, WMARK_LOW, min + tmp);
	set_wmark(z, WMARK_HIGH, min + 2 * tmp);
	set_wmark(z, WMARK_PROMO, min + 3 * tmp);
	zone_update_fast_mark(z);
}

/* __setup_per_zone_wmarks(): share pages_min among the zones by size. */
static void __setup_per_zone_wmarks(struct bz_system *sys)
{
	unsigned long pages_min = (unsigned long)sys->sysctl.min_free_kbytes >> (BZ_PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;
	int scale_factor = sys->sysctl.watermark_scale_factor;
	struct bz_zone *z;
	int nid;

	/* Calculate total number of !ZONE_HIGHMEM and !ZONE_MOVABLE pages */
	for_each_zone(sys, nid, z)
		if (z->idx != BZ_ZONE_MOVABLE)
			lowmem_pages += z->managed_pages;

	for_each_zone(sys, nid, z) {
		bz__zone_lock(z);
		zone_setup_wmarks_locked(z, pages_min, lowmem_pages, scale_factor);
		bz__zone_unlock(z);
	}
}

/*
 * setup_per_zone_wmarks(): after min_free_kbytes or watermark_scale_factor
 * changed.  Pageset high limits follow the low watermark, so they are
 * recomputed too.  The kernel also updates unpopulated zones, whose pagesets
 * are the shared boot pageset; ours keep the boot values (high 0, batch 1).
 */
void bz__setup_per_zone_wmarks(struct bz_system *sys)
{
	struct bz_zone *z;
	int nid;

	__setup_per_zone_wmarks(sys);
	for_each_zone(sys, nid, z)
		if (populated_zone(z))
			bz__zone_pcp_update(z);
}

/*
 * setup_per_zone_lowmem_reserve(): an allocation that may use zone j must
 * leave sum(managed of zones i+1..j) / ratio[i] pages free in a lower zone i,
 * so that memory only it can use is not eaten by callers that could have
 * gone higher.  No reserve in an empty zone or with ratio 0.
 */
void bz__setup_per_zone_lowmem_reserve(struct bz_system *sys)
{
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		struct bz_node *node = sys->nodes[nid];

		for (int i = 0; i < BZ_MAX_NR_ZONES - 1; i++) {
			struct bz_zone *z = &node->zones[i];
			int ratio = sys->sysctl.lowmem_reserve_ratio[i];
			bool clear = ratio <= 0 || !z->managed_pages;
			unsigned long managed_pages = 0;

			for (int j = i + 1; j < BZ_MAX_NR_ZONES; j++) {
				long reserve;

				managed_pages += node->zones[j].managed_pages;
				reserve = clear ? 0 : (long)(managed_pages / (unsigned long)ratio);
				atomic_store_explicit(&z->lowmem_reserve[j], reserve, memory_order_relaxed);
			}
			zone_update_fast_mark(z);
		}
	}
}

/* ---- pagesets and vmstat thresholds ------------------------------------------ */

/*
 * zone_batchsize(): about 0.1% of the zone, at most 1 MiB, clamped to
 * 2^n - 1 (a power of two was found to alias badly in caches).
 */
static int zone_batchsize(const struct bz_zone *z)
{
	unsigned long batch = BZ_MIN(z->managed_pages >> 10, (1ul << 20) / BZ_PAGE_SIZE);

	batch /= 4;		/* We effectively *= 4 below */
	if (batch < 1)
		batch = 1;
	return (int)(rounddown_pow_of_two(batch + batch / 2) - 1);
}

/*
 * zone_highsize(): the low watermark (or managed / high_fraction) split
 * over the node's CPUs, so that full caches do not start reclaim early;
 * memory-only nodes split over every CPU.  At least 4 batches.
 */
static int zone_highsize(const struct bz_zone *z, int batch, int cpu_online, int high_fraction)
{
	unsigned long total_pages;
	int nr_split_cpus, high;

	if (!high_fraction)
		total_pages = wmark_pages(z, WMARK_LOW);
	else
		total_pages = z->managed_pages / (unsigned long)high_fraction;

	nr_split_cpus = z->node->nr_cpus + cpu_online;
	if (!nr_split_cpus)
		nr_split_cpus = num_online_cpus(z->sys);
	high = (int)(total_pages / (unsigned long)nr_split_cpus);
	return BZ_MAX(high, batch << 2);
}

/*
 * zone_set_pageset_high_and_batch(): with percpu_pagelist_high_fraction set,
 * high is fixed (high_min == high_max, no auto-tuning); else it may float
 * between the low-watermark share and an eighth of the zone.
 */
static void zone_set_pageset_high_and_batch(struct bz_zone *z, int cpu_online)
{
	int fraction = z->sys->sysctl.percpu_pagelist_high_fraction;
	int new_batch = BZ_MAX(1, zone_batchsize(z));
	int new_high_min, new_high_max;

	if (fraction) {
		new_high_min = zone_highsize(z, new_batch, cpu_online, fraction);
		new_high_max = new_high_min;
	} else {
		new_high_min = zone_highsize(z, new_batch, cpu_online, 0);
		new_high_max = zone_highsize(z, new_batch, cpu_online,
					     MIN_PERCPU_PAGELIST_HIGH_FRACTION);
	}
	atomic_store_explicit(&z->pcp_batch, new_batch, memory_order_relaxed);
	atomic_store_explicit(&z->pcp_high_min, new_high_min, memory_order_relaxed);
	atomic_store_explicit(&z->pcp_high_max, new_high_max, memory_order_relaxed);
}

/* zone_pcp_update(zone, 0): new managed pages or watermarks, new pageset sizes. */
void bz__zone_pcp_update(struct bz_zone *zone)
{
	zone_set_pageset_high_and_batch(zone, 0);
}

/*
 * calculate_normal_threshold(), mm/vmstat.c: per-CPU counter drift allowed
 * before folding, growing with log2(CPUs) and log2(zone size in 128 MiB).
 */
static int calculate_normal_threshold(const struct bz_zone *z)
{
	int mem = (int)(z->managed_pages >> (27 - BZ_PAGE_SHIFT));
	int threshold = 2 * bz_fls((unsigned)num_online_cpus(z->sys)) * (1 + bz_fls((unsigned)mem));

	return BZ_MIN(125, threshold);
}

/* refresh_zone_stat_thresholds(), mm/vmstat.c: populated zones only. */
static void refresh_zone_stat_thresholds(struct bz_system *sys)
{
	struct bz_zone *z;
	int nid;

	for_each_zone(sys, nid, z)
		z->stat_threshold = populated_zone(z) ? calculate_normal_threshold(z) : 0;
}

/* ---- khugepaged's min_free_kbytes (mm/khugepaged.c) ---------------------------- */

/*
 * set_recommended_min_free_kbytes(): with transparent huge pages enabled,
 * keep two pageblocks free per zone up to NORMAL (gfp_zone(GFP_USER); the
 * MOVABLE zone has only movable pages) for fragmentation avoidance, plus
 * on average two almost free of another type per pair of the three pcp
 * types, so that a fallback finds one; at most 5% of lowmem.  It only
 * raises min_free_kbytes, over a user's value too.  With THP off it is
 * calculate_min_free_kbytes() again.
 */
static void set_recommended_min_free_kbytes(struct bz_system *sys)
{
	struct bz_sysctls *s = &sys->sysctl;
	unsigned long recommended_min, nr_zones = 0;
	const struct bz_zone *z;
	int nid;

	if (sysctl_read(&s->transparent_hugepage) == BZ_THP_NEVER) {
		bz__calculate_min_free_kbytes(sys);
		goto update_wmarks;
	}
	for_each_zone(sys, nid, z)
		if (populated_zone(z) && z->idx <= BZ_ZONE_NORMAL)
			nr_zones++;
	/* Ensure 2 pageblocks are free to assist fragmentation avoidance */
	recommended_min = PAGEBLOCK_NR_PAGES * nr_zones * 2;
	recommended_min += PAGEBLOCK_NR_PAGES * nr_zones * BZ_MIGRATE_PCPTYPES * BZ_MIGRATE_PCPTYPES;
	/* don't ever allow to reserve more than 5% of the lowmem */
	recommended_min = BZ_MIN(recommended_min, nr_free_buffer_pages(sys) / 20);
	recommended_min <<= BZ_PAGE_SHIFT - 10;
	if (recommended_min > (unsigned long)s->min_free_kbytes) {
		if (s->user_min_free_kbytes >= 0)
			bz__log(sys, BZ_LOG_INFO,
				"raising min_free_kbytes from %d to %lu to help transparent hugepage allocations",
				s->min_free_kbytes, recommended_min);
		__atomic_store_n(&s->min_free_kbytes, (int)recommended_min, __ATOMIC_RELAXED);
	}
update_wmarks:
	bz__setup_per_zone_wmarks(sys);
}

/* start_stop_khugepaged(): the THP mode changed (sysctl.c, under sysctl_lock). */
void bz__start_stop_khugepaged(struct bz_system *sys)
{
	set_recommended_min_free_kbytes(sys);
}

/*
 * init_per_zone_wmark_min(): boot and memory hotplug.  A user-set
 * min_free_kbytes stays, as after `sysctl vm.min_free_kbytes=`; then
 * khugepaged_min_free_kbytes_update() raises it while THP is enabled
 * (khugepaged starts at boot, hugepage_init(), and does the same).  Caller
 * holds sys->sysctl_lock, or the system is not yet visible to others.
 */
void bz__recompute_watermarks(struct bz_system *sys)
{
	if (sys->sysctl.user_min_free_kbytes < 0)
		bz__calculate_min_free_kbytes(sys);
	bz__setup_per_zone_wmarks(sys);
	refresh_zone_stat_thresholds(sys);
	bz__setup_per_zone_lowmem_reserve(sys);
	if (sysctl_read(&sys->sysctl.transparent_hugepage) != BZ_THP_NEVER)
		set_recommended_min_free_kbytes(sys);
}

/* ---- the watermark tests ------------------------------------------------------ */

/*
 * __zone_watermark_unusable_free(): the pages an order-N request cannot
 * count on: the tail of its own block, and the highatomic reserve unless it
 * may dip into reserves.  6.13+ subtracts the free highatomic pages
 * (nr_free_highatomic); we have only the reserved count, the 6.12 rule.
 */
static long __zone_watermark_unusable_free(const struct bz_zone *z, unsigned order,
					   unsigned alloc_flags)
{
	long unusable_free = (1l << order) - 1;

	if (bz_likely(!(alloc_flags & ALLOC_RESERVES)))
		unusable_free += (long)atomic_load_explicit(&z->nr_reserved_highatomic,
							    memory_order_relaxed);
	return unusable_free;
}

/* free_area_empty() on a list head read once, as the kernel's list_empty(). */
static bool free_area_empty(const struct bz_free_area *area, int mt)
{
	return READ_ONCE(area->free_list[mt].first) == BZ_NIL;
}

/*
 * A free block of at least this order exists that the request may take:
 * the pcp types always, HIGHATOMIC only for ALLOC_HIGHATOMIC (the kernel's
 * ALLOC_OOM too, for OOM victims, which we do not have).
 * Deferred max-order blocks need no look: buddy.c keeps one of them on the
 * MOVABLE list while any remain, so "list empty" stays exact.
 */
static bool zone_has_free_block(const struct bz_zone *z, unsigned order, unsigned alloc_flags)
{
	for (unsigned o = order; o < BZ_NR_PAGE_ORDERS; o++) {
		const struct bz_free_area *area = &z->free_area[o];

		if (!READ_ONCE(area->nr_free))
			continue;
		for (int mt = 0; mt < BZ_MIGRATE_PCPTYPES; mt++)
			if (!free_area_empty(area, mt))
				return true;
		if ((alloc_flags & ALLOC_HIGHATOMIC) &&
		    !free_area_empty(area, BZ_MIGRATE_HIGHATOMIC))
			return true;
	}
	return false;
}

/*
 * __zone_watermark_ok(): free pages above mark plus the lowmem reserve for
 * highest_zoneidx, and for order > 0 a suitable free block.  Reserve access
 * lowers the bar: __GFP_HIGH (ALLOC_MIN_RESERVE) to 1/2 of mark, non-blocking
 * __GFP_HIGH (GFP_ATOMIC) to 3/8 (the kernel's OOM victims would halve
 * what is left; there are none here).
 */
bool bz__zone_watermark_ok(struct bz_zone *z, unsigned order, unsigned long mark,
			   int highest_zoneidx, unsigned alloc_flags, long free_pages)
{
	long min = (long)mark;

	/* free_pages may go negative - that's OK */
	free_pages -= __zone_watermark_unusable_free(z, order, alloc_flags);

	if (bz_unlikely(alloc_flags & ALLOC_MIN_RESERVE)) {
		min -= min / 2;
		/* GFP_ATOMIC may go further; GFP_NOWAIT (no __GFP_HIGH) may not */
		if (alloc_flags & ALLOC_NON_BLOCK)
			min -= min / 4;
	}

	/* an order-0 failure means no higher order can succeed either */
	if (free_pages <= min + atomic_load_explicit(&z->lowmem_reserve[highest_zoneidx],
						     memory_order_relaxed))
		return false;
	if (!order)
		return true;
	return zone_has_free_block(z, order, alloc_flags);
}

/*
 * zone_watermark_fast(): order-0 shortcut first (no reserve arithmetic),
 * and __GFP_HIGH order-0 requests checking the min watermark ignore the
 * boost: min is where boosting stops mattering, and kswapd is woken at low.
 */
bool bz__zone_watermark_fast(struct bz_zone *z, unsigned order, unsigned long mark,
			     int highest_zoneidx, unsigned alloc_flags)
{
	long free_pages = zone_page_state(z, NR_FREE_PAGES);
	long reserve = atomic_load_explicit(&z->lowmem_reserve[highest_zoneidx],
					    memory_order_relaxed);

	if (!order) {
		long usable_free = free_pages;
		long reserved = __zone_watermark_unusable_free(z, 0, alloc_flags);

		/* reserved may over estimate high-atomic reserves. */
		usable_free -= BZ_MIN(usable_free, reserved);
		if ((unsigned long)usable_free > mark + (unsigned long)reserve)
			return true;
	}

	if (bz__zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages))
		return true;

	if (bz_unlikely(!order && (alloc_flags & ALLOC_MIN_RESERVE) &&
			atomic_load_explicit(&z->watermark_boost, memory_order_relaxed) &&
			(alloc_flags & ALLOC_WMARK_MASK) == WMARK_MIN)) {
		mark = raw_wmark(z, WMARK_MIN);
		return bz__zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags,
					     free_pages);
	}
	return false;
}

/*
 * boost_watermark(): a fallback stole a pageblock, a sign of fragmentation;
 * raise the watermarks by a pageblock (up to watermark_boost_factor of high)
 * so kswapd reclaims a little more and compaction has room.  Skipped for
 * zones under four pageblocks (boosting could OOM a kdump kernel) and before
 * the high watermark exists.  Returns true when the zone is boosted, as the
 * kernel does, also when it was already at its maximum.
 */
bool bz__boost_watermark_locked(struct bz_zone *zone)
{
	int factor = sysctl_read(&zone->sys->sysctl.watermark_boost_factor);
	unsigned long max_boost, boost;

	zone_lock_held(zone);
	if (!factor)
		return false;
	if (PAGEBLOCK_NR_PAGES * 4 > zone->managed_pages)
		return false;

	max_boost = mult_frac(raw_wmark(zone, WMARK_HIGH), (unsigned long)factor, 10000);
	/* too early in boot: reclaim could never reach a boosted mark */
	if (!max_boost)
		return false;
	max_boost = BZ_MAX(PAGEBLOCK_NR_PAGES, max_boost);

	boost = atomic_load_explicit(&zone->watermark_boost, memory_order_relaxed);
	boost = BZ_MIN(boost + PAGEBLOCK_NR_PAGES, max_boost);
	atomic_store_explicit(&zone->watermark_boost, boost, memory_order_relaxed);
	zone_update_fast_mark(zone);
	return true;
}
