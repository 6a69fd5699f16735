/* SPDX-License-Identifier: MIT */
/*
 * test_numa.c - NUMA placement on emulated topologies: the fallback order
 * of each node against what the kernel prints for the same distance
 * matrix, __GFP_THISNODE, spilling over in fallback order when a node runs
 * out, zone_reclaim_mode, and memory hot-add (bz_memory_add).
 *
 * The expected "Fallback order" lines were derived by hand from Linux 6.x
 * find_next_best_node() and build_zonelists(): the local node first when
 * it has memory, then the node with the smallest
 *   (distance + (n < local) + (n has CPUs)) * MAX_NUMNODES + node_load[n],
 * node_load[n] growing by one for the first node of each distance group,
 * node_load kept across the nodes of one build.  For the AMD matrix of
 * amd-2s-4n-12-32.xml the kernel's own commit 54d032ced983 ("mm/page_alloc:
 * use accumulated load when building node fallback list") prints the same
 * four lines.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "numa_common.h"

#define MAX_PAGES 65536

struct fallback_case {
	const char *topology, *zones, *expected;
};

static const struct fallback_case fallback_cases[] = {
	{ "24em64t-2n6c2t-pci.xml", "0:Normal=1024,1:Normal=1024",
	  "Fallback order for Node 0: 0 1 \n"
	  "Fallback order for Node 1: 1 0 \n" },
	/* 4 sockets, all 26 apart: each node starts the rotation one further on */
	{ "96em64t-4n4d3ca2co-pci.xml", "0:Normal=1024,1:Normal=1024,2:Normal=1024,3:Normal=1024",
	  "Fallback order for Node 0: 0 1 2 3 \n"
	  "Fallback order for Node 1: 1 2 3 0 \n"
	  "Fallback order for Node 2: 2 3 0 1 \n"
	  "Fallback order for Node 3: 3 0 1 2 \n" },
	/* sub-NUMA clusters: 0 and 2 share a socket (11), as do 1 and 3; 21 across */
	{ "memorysidecaches.xml", "0:Normal=1024,1:Normal=1024,2:Normal=1024,3:Normal=1024",
	  "Fallback order for Node 0: 0 2 1 3 \n"
	  "Fallback order for Node 1: 1 3 2 0 \n"
	  "Fallback order for Node 2: 2 0 3 1 \n"
	  "Fallback order for Node 3: 3 1 0 2 \n" },
	/* AMD, 2 sockets x 2 nodes, 12 and 32: the kernel commit's own output */
	{ "amd-2s-4n-12-32.xml", "0:Normal=1024,1:Normal=1024,2:Normal=1024,3:Normal=1024",
	  "Fallback order for Node 0: 0 1 2 3 \n"
	  "Fallback order for Node 1: 1 0 3 2 \n"
	  "Fallback order for Node 2: 2 3 0 1 \n"
	  "Fallback order for Node 3: 3 2 1 0 \n" },
	/* 8 Opteron nodes, 10/20 */
	{ "16amd64-4distances.xml", "0:Normal=1024,1:Normal=1024,2:Normal=1024,3:Normal=1024,"
	  "4:Normal=1024,5:Normal=1024,6:Normal=1024,7:Normal=1024",
	  "Fallback order for Node 0: 0 1 2 3 4 5 6 7 \n"
	  "Fallback order for Node 1: 1 2 3 4 5 6 7 0 \n"
	  "Fallback order for Node 2: 2 3 4 5 6 7 0 1 \n"
	  "Fallback order for Node 3: 3 4 5 6 7 0 1 2 \n"
	  "Fallback order for Node 4: 4 5 6 7 0 1 2 3 \n"
	  "Fallback order for Node 5: 5 6 7 0 1 2 3 4 \n"
	  "Fallback order for Node 6: 6 7 0 1 2 3 4 5 \n"
	  "Fallback order for Node 7: 7 0 1 2 3 4 5 6 \n" },
	/* AMD, 2 sockets x 4 nodes (NPS4), 12 in a socket, 32 across */
	{ "amd-2s-8n-12-32.xml", "0:Normal=1024,1:Normal=1024,2:Normal=1024,3:Normal=1024,"
	  "4:Normal=1024,5:Normal=1024,6:Normal=1024,7:Normal=1024",
	  "Fallback order for Node 0: 0 1 2 3 4 5 6 7 \n"
	  "Fallback order for Node 1: 1 2 3 0 5 6 7 4 \n"
	  "Fallback order for Node 2: 2 3 0 1 6 7 4 5 \n"
	  "Fallback order for Node 3: 3 0 1 2 7 4 5 6 \n"
	  "Fallback order for Node 4: 4 5 6 7 0 1 2 3 \n"
	  "Fallback order for Node 5: 5 6 7 4 1 2 3 0 \n"
	  "Fallback order for Node 6: 6 7 4 5 2 3 0 1 \n"
	  "Fallback order for Node 7: 7 4 5 6 3 0 1 2 \n" },
	/* CPU-less memory nodes 1 and 3 (CXL-like): no CPU penalty, so they come early */
	{ "synthetic:pack:2 [numa(memory=4GiB)] [numa(memory=16GiB)] core:2 pu:1",
	  "0:Normal=1024,1:Normal=1024,2:Normal=1024,3:Normal=1024",
	  "Fallback order for Node 0: 0 1 3 2 \n"
	  "Fallback order for Node 1: 1 3 2 0 \n"
	  "Fallback order for Node 2: 2 3 1 0 \n"
	  "Fallback order for Node 3: 3 1 0 2 \n" },
	/* node 1 without memory: listed, never in anyone's order, its own starts elsewhere */
	{ "amd-2s-4n-12-32.xml", "0:Normal=1024,2:Normal=1024,3:Normal=1024",
	  "Fallback order for Node 0: 0 2 3 \n"
	  "Fallback order for Node 1: 0 3 2 \n"
	  "Fallback order for Node 2: 2 3 0 \n"
	  "Fallback order for Node 3: 3 2 0 \n" },
	/* node 0 without a NORMAL zone: node order is unchanged */
	{ "24em64t-2n6c2t-pci.xml", "0:DMA=3840,0:DMA32=4096,1:Normal=4096",
	  "Fallback order for Node 0: 0 1 \n"
	  "Fallback order for Node 1: 1 0 \n" },
};

static void test_numa_fallback_order_matches_kernel(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fallback_cases) / sizeof(fallback_cases[0]); i++) {
		const struct fallback_case *c = &fallback_cases[i];
		bz_system *sys = numa_system(c->topology, c->zones, BZ_DEFAULT, NULL);
		char *text = report_text(sys, bz_write_zonelists);

		if (strcmp(text, c->expected) != 0) {
			print_error("%s with %s:\n%s\nexpected:\n%s\n", c->topology, c->zones, text, c->expected);
			fail();
		}
		free(text);
		bz_system_destroy(sys);
	}
}

/* ---- THISNODE, spilling over ------------------------------------------------------------- */

static bz_page *pages[MAX_PAGES];
static int nids[MAX_PAGES], zids[MAX_PAGES];

/* Allocates from nid's zonelist (-1: bz_alloc_pages) until NULL; nodes and zones noted. */
static int exhaust(bz_system *sys, int nid, bz_gfp_t gfp, unsigned order)
{
	int n = 0;

	gfp |= BZ_GFP_NOWARN;
	while (n < MAX_PAGES) {
		bz_page *p = nid < 0 ? bz_alloc_pages(sys, gfp, order) : bz_alloc_pages_node(sys, nid, gfp, order);

		if (!p)
			break;
		pages[n] = p;
		nids[n] = bz_page_to_nid(p);
		zids[n++] = bz_page_zonenum(p);
	}
	return n;
}

static void free_all(int n, unsigned order)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(bz_free_pages(pages[i], order), 0);
}

/* Keys (node * BZ_MAX_NR_ZONES + zone, or node) in order of first appearance. */
static int first_appearance(const int *nid, const int *zid, int n, int *order)
{
	int nr = 0;

	for (int i = 0; i < n; i++) {
		int key = zid ? nid[i] * BZ_MAX_NR_ZONES + zid[i] : nid[i], seen = 0;

		for (int k = 0; k < nr; k++)
			seen |= order[k] == key;
		if (!seen)
			order[nr++] = key;
	}
	return nr;
}

static void test_numa_thisnode_never_leaves_the_node(void **state)
{
	bz_system *sys = numa_system(fallback_cases[4].topology, fallback_cases[4].zones, NUMA_CPUS, NULL);
	unsigned long free6 = zone_stats(sys, 6, BZ_ZONE_NORMAL).free;

	(void)state;
	for (unsigned order = 0; order <= 3; order += 3) {
		int n = exhaust(sys, 5, BZ_GFP_KERNEL | BZ_GFP_THISNODE, order);

		assert_true(n > (int)((900u) >> order));
		for (int i = 0; i < n; i++)
			assert_int_equal(nids[i], 5);
		/* the neighbours in node 5's fallback order kept every page */
		assert_int_equal(zone_stats(sys, 6, BZ_ZONE_NORMAL).free, free6);
		free_all(n, order);
	}
	/* bz_alloc_pages with THISNODE: the thread's own node */
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_THISNODE, 0)), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

static void expect_spill(bz_system *sys, int nid, const int *expected, int nr)
{
	int order[BZ_MAX_NUMNODES], n = exhaust(sys, nid, BZ_GFP_KERNEL, 0);

	assert_true(n > nr * 900);
	assert_int_equal(first_appearance(nids, NULL, n, order), nr);
	for (int i = 0; i < nr; i++)
		assert_int_equal(order[i], expected[i]);
	/* the first run is the starting node's, down to its watermark */
	for (int i = 0; i < 900; i++)
		assert_int_equal(nids[i], expected[0]);
	free_all(n, 0);
	assert_int_equal(bz_check(sys), 0);
}

static void test_numa_exhausting_a_node_spills_in_fallback_order(void **state)
{
	static const int from0[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, from1[8] = { 1, 2, 3, 0, 5, 6, 7, 4 };
	static const int from6[8] = { 6, 7, 4, 5, 2, 3, 0, 1 };
	bz_system *sys = numa_system(fallback_cases[5].topology, fallback_cases[5].zones, NUMA_CPUS, NULL);

	(void)state;
	expect_spill(sys, -1, from0, 8);
	expect_spill(sys, 1, from1, 8);
	expect_spill(sys, 6, from6, 8);
	bz_system_destroy(sys);
}

/* A node without NORMAL: its DMA32, then its DMA (lowmem_reserve permitting), then node 1. */
static void test_numa_node_without_normal_zone(void **state)
{
	const int expected[3] = { 0 * BZ_MAX_NR_ZONES + BZ_ZONE_DMA32, 0 * BZ_MAX_NR_ZONES + BZ_ZONE_DMA,
				  1 * BZ_MAX_NR_ZONES + BZ_ZONE_NORMAL };
	bz_system *sys = numa_system("24em64t-2n6c2t-pci.xml", "0:DMA=3840,0:DMA32=4096,1:Normal=4096",
				     NUMA_CPUS, NULL);
	int order[16], n;

	(void)state;
	n = exhaust(sys, -1, BZ_GFP_KERNEL, 0);
	assert_int_equal(first_appearance(nids, zids, n, order), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(order[i], expected[i]);
	free_all(n, 0);
	/* node 1 asks for DMA32: only node 0 has it */
	assert_int_equal(page_nid(bz_alloc_pages_node(sys, 1, BZ_GFP_KERNEL | BZ_GFP_DMA32, 0)), 0);
	bz_system_destroy(sys);
}

/*
 * zone_reclaim_mode: before a zone of another node is used, the kernel
 * reclaims a full zone's node if it is within RECLAIM_DISTANCE (30) of the
 * preferred node, and moves on when that frees nothing.  Nothing here is
 * reclaimable without shrinkers, so the allocation still spills in fallback
 * order, near (20) and far (40) alike, and is never refused for it.
 */
static void test_numa_zone_reclaim_mode_still_spills(void **state)
{
	static const char *const topologies[] = { "24em64t-2n6c2t-pci.xml", "power8gpudistances.xml" };

	(void)state;
	for (size_t t = 0; t < 2; t++) {
		bz_system *sys = numa_system(topologies[t], "0:Normal=1024,1:Normal=1024", NUMA_CPUS, NULL);
		char buf[16];
		int order[2], n;

		assert_int_equal(bz_sysctl_set(sys, "zone_reclaim_mode", "1"), 0);
		assert_int_equal(bz_sysctl_get(sys, "zone_reclaim_mode", buf, sizeof(buf)), 0);
		assert_string_equal(buf, "1");
		n = exhaust(sys, -1, BZ_GFP_KERNEL, 0);
		assert_true(n > 2 * 900);
		assert_int_equal(first_appearance(nids, NULL, n, order), 2);
		assert_int_equal(order[0], 0);
		assert_int_equal(order[1], 1);
		free_all(n, 0);
		bz_system_destroy(sys);
	}
}

/*
 * The distance rule (zone_allows_reclaim: node_distance <= RECLAIM_DISTANCE,
 * 30).  Node 0 (CPUs) falls back to node 1 (memory only, as CXL), then to
 * node 2 (CPUs).  Nodes 0 and 1 are full; node 1's memory sits in a NUMA
 * aware shrinker.  With zone_reclaim_mode 1 and node 1 at distance 20 the
 * allocation reclaims node 1 and stays there; at distance 40, or with
 * zone_reclaim_mode 0, it goes on to node 2.  (node_reclaim() itself, in
 * vmscan.c, reclaims only the local node or nodes without CPUs.)
 */
struct node_cache {
	struct bz_shrinker s;
	bz_page *blocks[512];
	int nr;
	unsigned long scanned;
};

#define CACHE_ORDER 4   /* above the per-thread caches' orders: freed blocks reach the buddy lists */

static unsigned long cache_count(struct bz_shrinker *s, struct bz_shrink_control *sc)
{
	struct node_cache *c = s->private_data;

	return sc->nid != 1 ? 0 : c->nr ? (unsigned long)c->nr : BZ_SHRINK_EMPTY;
}

static unsigned long cache_scan(struct bz_shrinker *s, struct bz_shrink_control *sc)
{
	struct node_cache *c = s->private_data;
	unsigned long n = 0;

	while (sc->nid == 1 && n < sc->nr_to_scan && c->nr > 0) {
		if (bz_free_pages(c->blocks[--c->nr], CACHE_ORDER) != 0)
			return BZ_SHRINK_STOP;
		n++;
	}
	c->scanned += n;
	return n;
}

/* Runs the calling thread on a CPU the emulation deals to node 0 (CPU % 4 of 0 or 1). */
static bool pin_to_node0(cpu_set_t *old)
{
	cpu_set_t set;

	if (pthread_getaffinity_np(pthread_self(), sizeof(*old), old))
		return false;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, old) || cpu % 4 > 1)
			continue;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
	}
	return false;
}

static int zone_reclaim_case(const char *topology, const char *mode)
{
	static bz_page *held[512];
	struct node_cache c = { .s = { .count_objects = cache_count, .scan_objects = cache_scan, .seeks = 0,
				       .flags = BZ_SHRINKER_NUMA_AWARE } };
	bz_system *sys = numa_system(topology, "0:Normal=4096,1:Normal=4096,2:Normal=4096", BZ_DEFAULT, NULL);
	const bz_gfp_t fill = BZ_GFP_THISNODE | BZ_GFP_NOWARN; /* no reclaim, no kswapd */
	char *vmstat;
	int nid, nr_held = 0;
	bz_page *p;

	c.s.private_data = &c;
	assert_int_equal(bz_sysctl_set(sys, "zone_reclaim_mode", mode), 0);
	assert_int_equal(bz_shrinker_register(sys, &c.s), 0);
	while (c.nr < 512 && (p = bz_alloc_pages_node(sys, 1, fill, CACHE_ORDER)))
		c.blocks[c.nr++] = p;
	while (nr_held < 512 && (p = bz_alloc_pages_node(sys, 0, fill, CACHE_ORDER)))
		held[nr_held++] = p;
	assert_true(c.nr > 200 && nr_held > 200);
	p = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
	nid = page_nid(p);
	vmstat = report_text(sys, bz_write_vmstat);
	/* node_reclaim() ran, and succeeded, exactly when node 1 was reclaimed */
	assert_non_null(strstr(vmstat, nid == 1 ? "\nzone_reclaim_success 1\n" : "\nzone_reclaim_success 0\n"));
	assert_int_equal(c.scanned > 0, nid == 1);
	free(vmstat);
	assert_int_equal(bz_free_pages(p, 0), 0);
	for (int i = 0; i < nr_held; i++)
		assert_int_equal(bz_free_pages(held[i], CACHE_ORDER), 0);
	bz_shrinker_unregister(sys, &c.s);
	while (c.nr > 0)
		assert_int_equal(bz_free_pages(c.blocks[--c.nr], CACHE_ORDER), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
	return nid;
}

static void test_numa_zone_reclaim_distance_rule(void **state)
{
	cpu_set_t old;

	(void)state;
	if (!pin_to_node0(&old))
		skip();
	assert_int_equal(zone_reclaim_case("cpuless-2s-20-30.xml", "1"), 1);
	assert_int_equal(zone_reclaim_case("cpuless-2s-40-50.xml", "1"), 2);
	assert_int_equal(zone_reclaim_case("cpuless-2s-20-30.xml", "0"), 2);
	assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(old), &old), 0);
}

/* ---- memory hot-add ---------------------------------------------------------------------- */

/* floor(sqrt(x)) by bisection (the kernel's int_sqrt() gives the same). */
static unsigned long isqrt(unsigned long x)
{
	unsigned long lo = 0, hi = 1ul << 32;

	while (hi - lo > 1) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (mid * mid <= x)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static unsigned long rounddown_pow2(unsigned long n)
{
	unsigned long p = 1;

	while (p * 2 <= n)
		p *= 2;
	return p;
}

/* __setup_per_zone_wmarks() for one non-MOVABLE zone: min, low, high, promo. */
static void expected_wmarks(unsigned long min_free_kbytes, unsigned long managed, unsigned long lowmem_pages,
			    unsigned long out[4])
{
	unsigned long min = (min_free_kbytes / 4) * managed / lowmem_pages;
	unsigned long scale = managed / 10000 * 10 + managed % 10000 * 10 / 10000;
	unsigned long gap = min / 4 > scale ? min / 4 : scale;

	out[0] = min;
	out[1] = min + gap;
	out[2] = min + 2 * gap;
	out[3] = min + 3 * gap;
}

static void assert_wmarks(const struct bz_zone_stats *st, const unsigned long w[4])
{
	assert_int_equal(st->wmark_min, w[0]);
	assert_int_equal(st->wmark_low, w[1]);
	assert_int_equal(st->wmark_high, w[2]);
	assert_int_equal(st->wmark_promo, w[3]);
}

static long sysctl_long(bz_system *sys, const char *name)
{
	char buf[64];

	assert_int_equal(bz_sysctl_get(sys, name, buf, sizeof(buf)), 0);
	return strtol(buf, NULL, 10);
}

/*
 * A NORMAL zone grows by 16384 pages: counts, free pages, and every number
 * init_per_zone_wmark_min() derives, computed here from the kernel's
 * formulas: min_free_kbytes = sqrt(lowmem_kbytes * 16) where lowmem counts
 * the pages above each zone's high watermark as it stood before
 * (nr_free_buffer_pages), then the watermarks, the lowmem reserve and
 * the pageset batch for the new managed sizes.
 */
static void test_numa_memory_add_grows_a_zone(void **state)
{
	bz_system *sys = numa_system_reserve("synthetic:numa:1 pu:2", "0:DMA32=8192,0:Normal=8192", BZ_DEFAULT,
					     65536, NULL);
	struct bz_zone_stats d0 = zone_stats(sys, 0, BZ_ZONE_DMA32), n0 = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	struct bz_zone_stats d1, n1;
	unsigned long lowmem_kb, mfk, w[4], b;
	int n;

	(void)state;
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, 16384), 0);
	d1 = zone_stats(sys, 0, BZ_ZONE_DMA32);
	n1 = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_int_equal(n1.start_pfn, n0.start_pfn);
	assert_int_equal(n1.spanned, n0.spanned + 16384);
	assert_int_equal(n1.present, n0.present + 16384);
	assert_int_equal(n1.managed, n0.managed + 16384);
	assert_int_equal(n1.free + n1.cached, n0.free + n0.cached + 16384);
	assert_int_equal(d1.managed, d0.managed);

	lowmem_kb = (d1.managed - d0.wmark_high + n1.managed - n0.wmark_high) * 4;
	mfk = isqrt(lowmem_kb * 16);
	mfk = mfk < 128 ? 128 : mfk > 262144 ? 262144 : mfk;
	assert_int_equal(sysctl_long(sys, "min_free_kbytes"), mfk);
	expected_wmarks(mfk, d1.managed, d1.managed + n1.managed, w);
	assert_wmarks(&d1, w);
	expected_wmarks(mfk, n1.managed, d1.managed + n1.managed, w);
	assert_wmarks(&n1, w);
	/* setup_per_zone_lowmem_reserve(): DMA32 keeps NORMAL's managed / 256 */
	assert_int_equal(d1.lowmem_reserve[BZ_ZONE_NORMAL], n1.managed / 256);
	assert_int_equal(d1.lowmem_reserve[BZ_ZONE_MOVABLE], n1.managed / 256);
	/* zone_batchsize() */
	b = (n1.managed >> 10 < 256 ? n1.managed >> 10 : 256) / 4;
	b = b < 1 ? 1 : b;
	assert_int_equal(n1.pcp_batch, rounddown_pow2(b + b / 2) - 1);
	/* the report shows it */
	assert_int_equal(zoneinfo_value(sys, 0, "Normal", "managed"), n1.managed);
	assert_int_equal(zoneinfo_value(sys, 0, "Normal", "spanned"), n1.spanned);
	assert_int_equal(zoneinfo_value(sys, 0, "Normal", "present"), n1.present);

	/* the new pages are used, and every invariant holds */
	assert_int_equal(bz_check(sys), 0);
	n = exhaust(sys, -1, BZ_GFP_KERNEL, 0);
	assert_true((unsigned long)n > n1.managed - n1.wmark_min);
	{
		int beyond = 0;

		for (int i = 0; i < n; i++)
			beyond += bz_page_to_pfn(pages[i]) >= n0.start_pfn + n0.spanned;
		assert_true(beyond > 16000);
	}
	free_all(n, 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* A MOVABLE zone appears above NORMAL, with the zonelists and reserves it brings. */
static void test_numa_memory_add_movable_zone_appears(void **state)
{
	bz_system *sys = numa_system_reserve("synthetic:numa:1 pu:2", "0:Normal=8192", BZ_DEFAULT, 16384, NULL);
	struct bz_zone_stats nz = zone_stats(sys, 0, BZ_ZONE_NORMAL), mz;
	struct log_catch lc;
	bz_page *p;

	(void)state;
	p = bz_alloc_pages(sys, BZ_GFP_HIGHUSER_MOVABLE, 0);
	assert_int_equal(bz_page_zonenum(p), BZ_ZONE_NORMAL);
	assert_int_equal(bz_free_pages(p, 0), 0);
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_MOVABLE, 4096), 0);
	mz = zone_stats(sys, 0, BZ_ZONE_MOVABLE);
	assert_int_equal(mz.start_pfn, (nz.start_pfn + nz.spanned + 1023) & ~1023ul);
	assert_int_equal(mz.present, 4096);
	assert_int_equal(mz.managed, 4096);
	/* MOVABLE's min is clamp(managed / 1024, 32, 128) */
	assert_int_equal(mz.wmark_min, 32);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).lowmem_reserve[BZ_ZONE_MOVABLE], 4096 / 32);
	/* the rebuilt zonelist puts it first for movable requests, and only for them */
	p = bz_alloc_pages(sys, BZ_GFP_HIGHUSER_MOVABLE, 0);
	assert_int_equal(bz_page_zonenum(p), BZ_ZONE_MOVABLE);
	assert_int_equal(bz_free_pages(p, 0), 0);
	p = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
	assert_int_equal(bz_page_zonenum(p), BZ_ZONE_NORMAL);
	assert_int_equal(bz_free_pages(p, 0), 0);
	/* it grows at its end; NORMAL below it cannot grow any more */
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_MOVABLE, 1024), 0);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_MOVABLE).spanned, 5120);
	bz_system_destroy(sys);

	log_catch_reset(&lc);
	sys = numa_system_reserve("synthetic:numa:1 pu:2", "0:Normal=8192,0:Movable=1024", BZ_DEFAULT, 4096, &lc);
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, 1), -EINVAL);
	assert_non_null(strstr(lc.last, "Movable zone lies above it"));
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* A memoryless node gets memory: it enters every zonelist, and policies may name it. */
static void test_numa_memory_add_populates_a_node(void **state)
{
	bz_system *sys = numa_system_reserve("synthetic:numa:2 pu:2", "0:Normal=4096", BZ_DEFAULT, 8192, NULL);
	unsigned long mask = 0x2;
	char *text;

	(void)state;
	text = report_text(sys, bz_write_zonelists);
	assert_string_equal(text, "Fallback order for Node 0: 0 \nFallback order for Node 1: 0 \n");
	free(text);
	assert_null(bz_alloc_pages_node(sys, 1, BZ_GFP_KERNEL | BZ_GFP_THISNODE | BZ_GFP_NOWARN, 0));
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_BIND, &mask, BZ_MAX_NUMNODES + 1), -EINVAL);

	assert_int_equal(bz_memory_add(sys, 1, BZ_ZONE_NORMAL, 4096), 0);
	text = report_text(sys, bz_write_zonelists);
	assert_string_equal(text, "Fallback order for Node 0: 0 1 \nFallback order for Node 1: 1 0 \n");
	free(text);
	assert_int_equal(page_nid(bz_alloc_pages_node(sys, 1, BZ_GFP_KERNEL | BZ_GFP_THISNODE, 0)), 1);
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_BIND, &mask, BZ_MAX_NUMNODES + 1), 0);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 1);
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_DEFAULT, NULL, 0), 0);
	assert_int_equal(zone_stats(sys, 1, BZ_ZONE_NORMAL).present, 4096);
	assert_int_equal(zone_stats(sys, 1, BZ_ZONE_NORMAL).start_pfn % 1024, 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

static void expect_add_error(bz_system *sys, struct log_catch *lc, int nid, int zid, unsigned long pages,
			     int err, const char *why)
{
	int before = lc->count;

	assert_int_equal(bz_memory_add(sys, nid, zid, pages), err);
	assert_int_equal(lc->count, before + 1);
	assert_non_null(strstr(lc->last, why));
}

static void test_numa_memory_add_refuses_bad_requests(void **state)
{
	struct log_catch lc;
	bz_system *sys;

	(void)state;
	log_catch_reset(&lc);
	sys = numa_system_reserve("synthetic:numa:1 pu:2", "0:DMA=1024", BZ_DEFAULT, 8192, &lc);
	expect_add_error(sys, &lc, 1, BZ_ZONE_DMA, 1, -EINVAL, "no such node");
	expect_add_error(sys, &lc, -1, BZ_ZONE_DMA, 1, -EINVAL, "no such node");
	expect_add_error(sys, &lc, 0, BZ_ZONE_DEVICE, 1, -EINVAL, "not a zone");
	expect_add_error(sys, &lc, 0, -1, 1, -EINVAL, "not a zone");
	expect_add_error(sys, &lc, 0, BZ_ZONE_DMA, 0, -EINVAL, "page count");
	/* DMA ends at 16 MiB (pfn 4096) */
	expect_add_error(sys, &lc, 0, BZ_ZONE_DMA, 3073, -EINVAL, "ceiling");
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_DMA, 3072), 0);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_DMA).spanned, 4096);
	/* the room after the node ends at pfn 1024 + 8192 */
	expect_add_error(sys, &lc, 0, BZ_ZONE_DMA32, 5121, -ENOSPC, "reserved room");
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_DMA32, 5120), 0);
	/* a NORMAL zone would start at 4 GiB: far outside the room */
	expect_add_error(sys, &lc, 0, BZ_ZONE_NORMAL, 1, -ENOSPC, "reserved room");
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);

	/* without a reserve there is no room at all */
	log_catch_reset(&lc);
	sys = numa_system("synthetic:numa:1 pu:2", "0:Normal=1024", BZ_DEFAULT, &lc);
	expect_add_error(sys, &lc, 0, BZ_ZONE_NORMAL, 1, -ENOSPC, "hotplug_reserve");
	bz_system_destroy(sys);
}

static void test_numa_memory_add_reserve_from_environment(void **state)
{
	struct log_catch lc;
	struct bz_config cfg;
	bz_system *sys = NULL;
	char spec[64];

	(void)state;
	assert_int_equal(setenv("BUDDYZONE_HOTPLUG_RESERVE", "64M", 1), 0);
	sys = numa_system("synthetic:numa:1 pu:2", "0:Normal=1024", BZ_DEFAULT, NULL);
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, 16385), -ENOSPC);
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, 16384), 0);
	bz_system_destroy(sys);

	log_catch_reset(&lc);
	assert_int_equal(setenv("BUDDYZONE_HOTPLUG_RESERVE", "12Q", 1), 0);
	bz_config_init(&cfg);
	snprintf(spec, sizeof(spec), "synthetic:numa:1 pu:2");
	cfg.topology = spec;
	cfg.zones = "0:Normal=1024";
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	sys = NULL;
	assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
	assert_null(sys);
	assert_non_null(strstr(lc.all, "BUDDYZONE_HOTPLUG_RESERVE"));
	assert_int_equal(unsetenv("BUDDYZONE_HOTPLUG_RESERVE"), 0);
}

/* Memory arrives while another thread allocates and frees: nothing is lost or found twice. */
struct churn {
	bz_system *sys;
	_Atomic int stop;
	_Atomic unsigned long rounds;
	unsigned long bad_frees;          /* cmocka asserts belong to the main thread */
};

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	bz_page *held[64];

	while (!atomic_load(&c->stop)) {
		for (int i = 0; i < 64; i++)
			held[i] = bz_alloc_pages(c->sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, i % 4 ? 0 : 3);
		for (int i = 0; i < 64; i++)
			if (held[i] && bz_free_pages(held[i], i % 4 ? 0 : 3) != 0)
				c->bad_frees++;
		atomic_fetch_add(&c->rounds, 1);
	}
	return NULL;
}

static void test_numa_memory_add_while_allocating(void **state)
{
	bz_system *sys = numa_system_reserve("synthetic:numa:1 pu:2", "0:Normal=2048", BZ_DEFAULT, 32768, NULL);
	struct churn c = { sys, 0, 0, 0 };
	struct bz_zone_stats st;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, churn_main, &c), 0);
	for (int i = 0; i < 16; i++) {
		unsigned long r = atomic_load(&c.rounds);

		assert_int_equal(bz_memory_add(sys, 0, i < 8 ? BZ_ZONE_NORMAL : BZ_ZONE_MOVABLE, 1000 + i), 0);
		while (atomic_load(&c.rounds) < r + 2)  /* the other thread works between additions */
			sched_yield();
	}
	atomic_store(&c.stop, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.bad_frees, 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(bz_check(sys), 0);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_int_equal(st.managed, 2048 + 8 * 1000 + 28);
	assert_int_equal(st.free, st.managed);
	st = zone_stats(sys, 0, BZ_ZONE_MOVABLE);
	assert_int_equal(st.managed, 8 * 1000 + (8 + 9 + 10 + 11 + 12 + 13 + 14 + 15));
	assert_int_equal(st.free, st.managed);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numa_fallback_order_matches_kernel),
		cmocka_unit_test(test_numa_thisnode_never_leaves_the_node),
		cmocka_unit_test(test_numa_exhausting_a_node_spills_in_fallback_order),
		cmocka_unit_test(test_numa_node_without_normal_zone),
		cmocka_unit_test(test_numa_zone_reclaim_mode_still_spills),
		cmocka_unit_test(test_numa_zone_reclaim_distance_rule),
		cmocka_unit_test(test_numa_memory_add_grows_a_zone),
		cmocka_unit_test(test_numa_memory_add_movable_zone_appears),
		cmocka_unit_test(test_numa_memory_add_populates_a_node),
		cmocka_unit_test(test_numa_memory_add_refuses_bad_requests),
		cmocka_unit_test(test_numa_memory_add_reserve_from_environment),
		cmocka_unit_test(test_numa_memory_add_while_allocating),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
