/* SPDX-License-Identifier: MIT */
/*
 * test_mempolicy.c - per-thread memory policies (mempolicy.c) against the
 * kernel's set_mempolicy(2)/get_mempolicy(2) rules and mm/mempolicy.c's
 * allocation behaviour, on emulated topologies.
 *
 * Most cases run on amd-2s-4n-12-32.xml: two sockets of two nodes, distance
 * 12 inside a socket and 32 across.  Node 0's fallback order is 0 1 2 3
 * and node 2's is 2 3 0 1 (the kernel's own example, commit 54d032ced983).
 * With cpus_per_node NUMA_CPUS the test thread runs on node 0.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "numa_common.h"

#define AMD4 "amd-2s-4n-12-32.xml"
#define AMD4_ZONES "0:Normal=2048,1:Normal=2048,2:Normal=2048,3:Normal=2048"
#define MAXNODE (BZ_MAX_NUMNODES + 1) /* a whole unsigned long: the kernel reads maxnode - 1 bits */
#define MAX_PAGES 16384

static bz_system *amd4(struct log_catch *lc)
{
	return numa_system(AMD4, AMD4_ZONES, NUMA_CPUS, lc);
}

static int set_policy(bz_system *sys, int mode, unsigned long mask)
{
	return bz_set_mempolicy(sys, mode, &mask, MAXNODE);
}

/* Allocates order-0 pages with gfp until NULL (or MAX_PAGES); returns how many, nodes in nid[]. */
static int exhaust(bz_system *sys, bz_gfp_t gfp, bz_page **pages, int *nid)
{
	int n = 0;

	while (n < MAX_PAGES && (pages[n] = bz_alloc_pages(sys, gfp | BZ_GFP_NOWARN, 0)) != NULL) {
		nid[n] = bz_page_to_nid(pages[n]);
		n++;
	}
	return n;
}

static void free_all(bz_page **pages, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(bz_free_pages(pages[i], 0), 0);
}

/* The nodes in order of first appearance; returns how many. */
static int first_appearance(const int *nid, int n, int *order)
{
	int nr = 0;

	for (int i = 0; i < n; i++) {
		int seen = 0;

		for (int k = 0; k < nr; k++)
			seen |= order[k] == nid[i];
		if (!seen)
			order[nr++] = nid[i];
	}
	return nr;
}

static unsigned long free_and_cached(bz_system *sys, int nid)
{
	struct bz_zone_stats st = zone_stats(sys, nid, BZ_ZONE_NORMAL);

	return st.free + st.cached;
}

/* ---- the interface ------------------------------------------------------------------ */

static void test_mempolicy_numbers_are_the_kernels(void **state)
{
	(void)state;
	/* include/uapi/linux/mempolicy.h */
	assert_int_equal(BZ_MPOL_DEFAULT, 0);
	assert_int_equal(BZ_MPOL_PREFERRED, 1);
	assert_int_equal(BZ_MPOL_BIND, 2);
	assert_int_equal(BZ_MPOL_INTERLEAVE, 3);
	assert_int_equal(BZ_MPOL_LOCAL, 4);
	assert_int_equal(BZ_MPOL_PREFERRED_MANY, 5);
	assert_int_equal(BZ_MPOL_WEIGHTED_INTERLEAVE, 6);
	assert_int_equal(BZ_MPOL_F_STATIC_NODES, 0x8000);
	assert_int_equal(BZ_MPOL_F_RELATIVE_NODES, 0x4000);
	assert_int_equal(BZ_MPOL_F_NUMA_BALANCING, 0x2000);
}

static void expect_policy(bz_system *sys, int mode, unsigned long mask)
{
	unsigned long got[2] = { ~0ul, ~0ul };
	int m = -1;

	assert_int_equal(bz_get_mempolicy(sys, &m, got, 2 * BZ_MAX_NUMNODES + 1), 0);
	assert_int_equal(m, mode);
	assert_int_equal(got[0], mask);
	assert_int_equal(got[1], 0); /* past the system's nodes: cleared */
}

static void test_mempolicy_set_get_roundtrip(void **state)
{
	bz_system *sys = amd4(NULL);

	(void)state;
	expect_policy(sys, BZ_MPOL_DEFAULT, 0);
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0xa), 0);
	expect_policy(sys, BZ_MPOL_BIND, 0xa);
	assert_int_equal(set_policy(sys, BZ_MPOL_INTERLEAVE, 0xf), 0);
	expect_policy(sys, BZ_MPOL_INTERLEAVE, 0xf);
	assert_int_equal(set_policy(sys, BZ_MPOL_WEIGHTED_INTERLEAVE, 0x6), 0);
	expect_policy(sys, BZ_MPOL_WEIGHTED_INTERLEAVE, 0x6);
	assert_int_equal(set_policy(sys, BZ_MPOL_PREFERRED_MANY, 0xc), 0);
	expect_policy(sys, BZ_MPOL_PREFERRED_MANY, 0xc);
	/* mpol_new_preferred(): the first node only */
	assert_int_equal(set_policy(sys, BZ_MPOL_PREFERRED, 0xa), 0);
	expect_policy(sys, BZ_MPOL_PREFERRED, 0x2);
	/* an empty preferred mask is local allocation */
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_PREFERRED, NULL, 0), 0);
	expect_policy(sys, BZ_MPOL_LOCAL, 0);
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_LOCAL, NULL, 0), 0);
	expect_policy(sys, BZ_MPOL_LOCAL, 0);
	/* nodes beyond the system's are not N_MEMORY: dropped */
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0x31), 0);
	expect_policy(sys, BZ_MPOL_BIND, 0x1);
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_DEFAULT, NULL, 0), 0);
	expect_policy(sys, BZ_MPOL_DEFAULT, 0);
	/* NUMA balancing is accepted with bind and reported back with the mask as given */
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND | BZ_MPOL_F_NUMA_BALANCING, 0x12), 0);
	expect_policy(sys, BZ_MPOL_BIND | BZ_MPOL_F_NUMA_BALANCING, 0x12);
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_DEFAULT, NULL, 0), 0);
	bz_system_destroy(sys);
}

static void expect_einval(bz_system *sys, struct log_catch *lc, int mode, const unsigned long *mask,
			  unsigned long maxnode)
{
	int before = lc->count;

	assert_int_equal(bz_set_mempolicy(sys, mode, mask, maxnode), -EINVAL);
	assert_int_equal(lc->count, before + 1);
	assert_int_equal(lc->last_level, BZ_LOG_ERR);
	assert_non_null(strstr(lc->last, "set_mempolicy"));
}

/* The kernel's EINVAL cases (sanitize_mpol_flags, get_nodes, mpol_new, mpol_set_nodemask). */
static void test_mempolicy_einval_rules(void **state)
{
	unsigned long one = 0x1, empty = 0, big[2] = { 0x1, 0x1 }, got[1];
	struct log_catch lc;
	bz_system *sys;
	int mode;

	(void)state;
	log_catch_reset(&lc);
	sys = numa_system(AMD4, "0:Normal=2048,2:Normal=2048", NUMA_CPUS, &lc);
	assert_int_equal(set_policy(sys, BZ_MPOL_INTERLEAVE, 0x5), 0);
	expect_einval(sys, &lc, BZ_MPOL_MAX, &one, MAXNODE);
	expect_einval(sys, &lc, -1, &one, MAXNODE);
	expect_einval(sys, &lc, BZ_MPOL_BIND | BZ_MPOL_F_STATIC_NODES | BZ_MPOL_F_RELATIVE_NODES, &one, MAXNODE);
	expect_einval(sys, &lc, BZ_MPOL_INTERLEAVE | BZ_MPOL_F_NUMA_BALANCING, &one, MAXNODE);
	expect_einval(sys, &lc, BZ_MPOL_BIND, &empty, MAXNODE);
	expect_einval(sys, &lc, BZ_MPOL_BIND, NULL, 0);
	expect_einval(sys, &lc, BZ_MPOL_INTERLEAVE, &empty, MAXNODE);
	expect_einval(sys, &lc, BZ_MPOL_PREFERRED_MANY, &empty, MAXNODE);
	expect_einval(sys, &lc, BZ_MPOL_WEIGHTED_INTERLEAVE, &empty, MAXNODE);
	expect_einval(sys, &lc, BZ_MPOL_DEFAULT, &one, MAXNODE);
	expect_einval(sys, &lc, BZ_MPOL_LOCAL, &one, MAXNODE);
	expect_einval(sys, &lc, BZ_MPOL_LOCAL | BZ_MPOL_F_STATIC_NODES, NULL, 0);
	expect_einval(sys, &lc, BZ_MPOL_PREFERRED | BZ_MPOL_F_RELATIVE_NODES, &empty, MAXNODE);
	/* nodes 1 and 3 have no memory: nothing left of the mask */
	{
		unsigned long memless = 0xa;

		expect_einval(sys, &lc, BZ_MPOL_BIND, &memless, MAXNODE);
	}
	/* a bit past BZ_MAX_NUMNODES - 1, inside maxnode - 1 bits */
	expect_einval(sys, &lc, BZ_MPOL_BIND, big, 2 * BZ_MAX_NUMNODES + 1);
	/* maxnode above PAGE_SIZE * 8 + 1 */
	expect_einval(sys, &lc, BZ_MPOL_BIND, &one, BZ_PAGE_SIZE * 8 + 2);
	/* a mask non-NULL with maxnode 0 reads as 2^64 - 1 bits: too many */
	expect_einval(sys, &lc, BZ_MPOL_BIND, &one, 0);
	/* every refusal left the policy as it was */
	expect_policy(sys, BZ_MPOL_INTERLEAVE, 0x5);
	/* the same bit 64 outside maxnode - 1 bits is not read */
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_BIND, big, BZ_MAX_NUMNODES + 1), 0);
	expect_policy(sys, BZ_MPOL_BIND, 0x1);
	/* get_mempolicy: maxnode below the node count, or a mask over a page */
	assert_int_equal(bz_get_mempolicy(sys, &mode, got, 3), -EINVAL);
	assert_int_equal(bz_get_mempolicy(sys, &mode, got, BZ_PAGE_SIZE * 8 + 65), -EINVAL);
	assert_int_equal(bz_get_mempolicy(sys, &mode, NULL, 0), 0);
	assert_int_equal(mode, BZ_MPOL_BIND);
	bz_system_destroy(sys);
}

/* get_nodes() reads maxnode - 1 bits, as every set_mempolicy(2) caller knows. */
static void test_mempolicy_maxnode_counts_like_the_kernel(void **state)
{
	unsigned long mask = 0x2;
	bz_system *sys = amd4(NULL);

	(void)state;
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_BIND, &mask, 2), -EINVAL); /* bit 1 unread */
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_BIND, &mask, 3), 0);
	expect_policy(sys, BZ_MPOL_BIND, 0x2);
	mask = 0xf;
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_INTERLEAVE, &mask, 4), 0); /* nodes 0..2 */
	expect_policy(sys, BZ_MPOL_INTERLEAVE, 0x7);
	bz_system_destroy(sys);
}

/* MPOL_F_RELATIVE_NODES numbers the nodes with memory; STATIC keeps the mask as given. */
static void test_mempolicy_relative_and_static_nodes(void **state)
{
	bz_system *sys = numa_system(AMD4, "0:Normal=2048,2:Normal=2048", NUMA_CPUS, NULL);
	unsigned long got;
	int mode;

	(void)state;
	/* relative bit 1: the second node with memory, node 2 */
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND | BZ_MPOL_F_RELATIVE_NODES, 0x2), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 2);
	expect_policy(sys, BZ_MPOL_BIND | BZ_MPOL_F_RELATIVE_NODES, 0x2);
	/* relative bit 3 folds onto bit 1 (3 mod 2 nodes) */
	assert_int_equal(set_policy(sys, BZ_MPOL_PREFERRED | BZ_MPOL_F_RELATIVE_NODES, 0x8), 0);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 2);
	/* static: nodes 1 and 2 given, node 2 in effect, both reported */
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND | BZ_MPOL_F_STATIC_NODES, 0x6), 0);
	assert_int_equal(bz_get_mempolicy(sys, &mode, &got, MAXNODE), 0);
	assert_int_equal(mode, BZ_MPOL_BIND | BZ_MPOL_F_STATIC_NODES);
	assert_int_equal(got, 0x6);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 2);
	bz_system_destroy(sys);
}

/* ---- scope: per thread, per system ----------------------------------------------------- */

struct peer {
	bz_system *sys;
	int mode, nid, get_ret;
	bz_page *page;
};

/* No cmocka assert here (it would longjmp out of this thread): the main thread checks. */
static void *peer_main(void *arg)
{
	struct peer *p = arg;

	p->get_ret = bz_get_mempolicy(p->sys, &p->mode, NULL, 0);
	p->page = bz_alloc_pages(p->sys, BZ_GFP_KERNEL, 0);
	return NULL;
}

static void test_mempolicy_is_per_thread_and_per_system(void **state)
{
	bz_system *sys = amd4(NULL), *other = amd4(NULL);
	struct peer peer = { sys, -1, -1, -1, NULL };
	pthread_t t;
	int mode;

	(void)state;
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0x8), 0);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 3);
	assert_int_equal(pthread_create(&t, NULL, peer_main, &peer), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(peer.get_ret, 0);
	assert_int_equal(peer.mode, BZ_MPOL_DEFAULT);
	assert_int_equal(page_nid(peer.page), 0);
	assert_int_equal(bz_get_mempolicy(other, &mode, NULL, 0), 0);
	assert_int_equal(mode, BZ_MPOL_DEFAULT);
	assert_int_equal(page_nid(bz_alloc_pages(other, BZ_GFP_KERNEL, 0)), 0);
	bz_system_destroy(other);
	bz_system_destroy(sys);
}

/* Sixteen systems with policies per thread; a destroyed system's slot is reused. */
static void test_mempolicy_slots_of_destroyed_systems_are_reused(void **state)
{
	bz_system *sys[17];
	unsigned long mask = 0x1;

	(void)state;
	for (int i = 0; i < 17; i++)
		sys[i] = make_system("0:Normal=1024", 1, NULL);
	for (int i = 0; i < 16; i++)
		assert_int_equal(bz_set_mempolicy(sys[i], BZ_MPOL_BIND, &mask, MAXNODE), 0);
	assert_int_equal(bz_set_mempolicy(sys[16], BZ_MPOL_BIND, &mask, MAXNODE), -ENOMEM);
	bz_system_destroy(sys[3]);
	assert_int_equal(bz_set_mempolicy(sys[16], BZ_MPOL_BIND, &mask, MAXNODE), 0);
	/* back to default frees a slot too */
	assert_int_equal(bz_set_mempolicy(sys[0], BZ_MPOL_DEFAULT, NULL, 0), 0);
	for (int i = 0; i < 17; i++)
		if (i != 3)
			bz_system_destroy(sys[i]);
}

/*
 * The per-thread memo must not serve a request the policy would send
 * elsewhere.  Zones large enough for a pageset batch above one page, so
 * that the memo's list is not empty after each refill.
 */
static void test_mempolicy_memo_follows_the_policy(void **state)
{
	bz_system *sys = numa_system(AMD4, "0:Normal=65536,1:Normal=65536,2:Normal=65536,3:Normal=65536",
				     NUMA_CPUS, NULL);
	bz_page *p;

	(void)state;
	for (int i = 0; i < 64; i++) {
		p = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
		assert_int_equal(page_nid(p), 0);
		assert_int_equal(bz_free_pages(p, 0), 0);
	}
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0x2), 0);
	for (int i = 0; i < 64; i++) {
		p = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
		assert_int_equal(page_nid(p), 1);
		assert_int_equal(bz_free_pages(p, 0), 0);
	}
	/* bz_alloc_pages_node(-1) must not leave a memo behind that skips the policy */
	assert_int_equal(page_nid(bz_alloc_pages_node(sys, -1, BZ_GFP_KERNEL, 0)), 0);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 1);
	assert_int_equal(bz_set_mempolicy(sys, BZ_MPOL_DEFAULT, NULL, 0), 0);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 0);
	bz_system_destroy(sys);
}

/* alloc_pages_node() and __GFP_THISNODE ignore the task policy. */
static void test_mempolicy_node_requests_ignore_the_policy(void **state)
{
	bz_system *sys = amd4(NULL);

	(void)state;
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0x2), 0);
	assert_int_equal(page_nid(bz_alloc_pages_node(sys, 2, BZ_GFP_KERNEL, 0)), 2);
	assert_int_equal(page_nid(bz_alloc_pages_node(sys, -1, BZ_GFP_KERNEL, 0)), 0);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_THISNODE, 0)), 0);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 1);
	bz_system_destroy(sys);
}

/* ---- bind ------------------------------------------------------------------------------------ */

static void test_mempolicy_bind_never_leaves_its_mask(void **state)
{
	static bz_page *pages[MAX_PAGES];
	static int nid[MAX_PAGES];
	bz_system *sys = amd4(NULL);
	unsigned long free0 = free_and_cached(sys, 0), free2 = free_and_cached(sys, 2);
	int n, order[4];

	(void)state;
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0xa), 0);
	n = exhaust(sys, BZ_GFP_KERNEL, pages, nid);
	assert_true(n > 2 * 1900 && n < 2 * 2048);
	for (int i = 0; i < n; i++)
		assert_true(nid[i] == 1 || nid[i] == 3);
	/* node 0's zonelist filtered by the mask: 1 (distance 12) before 3 (32) */
	assert_int_equal(first_appearance(nid, n, order), 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 3);
	assert_int_equal(free_and_cached(sys, 0), free0);
	assert_int_equal(free_and_cached(sys, 2), free2);
	free_all(pages, n);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* apply_policy_zone(): bind leaves GFP_DMA32 alone; a movable-only mask binds MOVABLE only. */
static void test_mempolicy_bind_applies_to_the_policy_zone(void **state)
{
	bz_system *sys = numa_system(AMD4, "0:DMA32=2048,0:Normal=2048,1:Normal=2048,2:Movable=2048",
				     NUMA_CPUS, NULL);
	bz_page *p;

	(void)state;
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0x2), 0);
	p = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_DMA32, 0);
	assert_int_equal(page_nid(p), 0);
	assert_int_equal(bz_page_zonenum(p), BZ_ZONE_DMA32);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 1);
	/* node 2 has only MOVABLE memory: not N_HIGH_MEMORY */
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0x4), 0);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 0);
	p = bz_alloc_pages(sys, BZ_GFP_HIGHUSER_MOVABLE, 0);
	assert_int_equal(page_nid(p), 2);
	assert_int_equal(bz_page_zonenum(p), BZ_ZONE_MOVABLE);
	bz_system_destroy(sys);
}

/* ---- interleave ---------------------------------------------------------------------------- */

static void test_mempolicy_interleave_spreads_evenly(void **state)
{
	static bz_page *pages[400];
	bz_system *sys = amd4(NULL);

	(void)state;
	assert_int_equal(set_policy(sys, BZ_MPOL_INTERLEAVE, 0xf), 0);
	for (int i = 0; i < 400; i++) {
		pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
		assert_int_equal(page_nid(pages[i]), i % 4);
	}
	for (int nid = 0; nid < 4; nid++) {
		/* every page came from the node interleaving chose: a hit, and numa_interleave */
		assert_int_equal(zoneinfo_value(sys, nid, "Normal", "numa_interleave"), 100);
		assert_int_equal(zoneinfo_value(sys, nid, "Normal", "numa_hit"), 100);
		assert_int_equal(zoneinfo_value(sys, nid, "Normal", "numa_miss"), 0);
		assert_int_equal(zoneinfo_value(sys, nid, "Normal", nid ? "numa_other" : "numa_local"), 100);
	}
	free_all(pages, 400);
	/* a new policy starts again at the mask's first node; other masks take turns too */
	assert_int_equal(set_policy(sys, BZ_MPOL_INTERLEAVE, 0xa), 0);
	for (int i = 0; i < 40; i++) {
		pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, i % 3 ? 0 : 2);
		assert_int_equal(page_nid(pages[i]), i % 2 ? 3 : 1);
	}
	for (int i = 0; i < 40; i++)
		assert_int_equal(bz_free_pages(pages[i], i % 3 ? 0 : 2), 0);
	bz_system_destroy(sys);
}

/* An interleave target that is full: the page comes from its fallback, no numa_interleave. */
static void test_mempolicy_interleave_miss_is_not_a_hit(void **state)
{
	static bz_page *pages[MAX_PAGES];
	static int nid[MAX_PAGES];
	bz_system *sys = amd4(NULL);
	int n;

	(void)state;
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0x8), 0);
	n = exhaust(sys, BZ_GFP_KERNEL, pages, nid);
	assert_true(n > 1900);
	assert_int_equal(set_policy(sys, BZ_MPOL_INTERLEAVE, 0xc), 0);
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 2);
	/* node 3's fallback order is 3 2 1 0 */
	assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 2);
	assert_int_equal(zoneinfo_value(sys, 2, "Normal", "numa_interleave"), 1);
	assert_int_equal(zoneinfo_value(sys, 2, "Normal", "numa_miss"), 1);
	assert_int_equal(zoneinfo_value(sys, 3, "Normal", "numa_foreign"), 1);
	assert_int_equal(zoneinfo_value(sys, 3, "Normal", "numa_interleave"), 0);
	bz_system_destroy(sys);
}

static void test_mempolicy_weighted_interleave_follows_weights(void **state)
{
	static const int cycle[7] = { 0, 0, 0, 1, 2, 2, 3 };
	const unsigned char weights[4] = { 3, 1, 2, 1 }, reset[4] = { 0, 0, 0, 0 };
	static bz_page *pages[700];
	struct log_catch lc;
	bz_system *sys;

	(void)state;
	log_catch_reset(&lc);
	sys = amd4(&lc);
	assert_int_equal(bz_set_interleave_weights(sys, weights, 4), 0);
	assert_int_equal(set_policy(sys, BZ_MPOL_WEIGHTED_INTERLEAVE, 0xf), 0);
	for (int i = 0; i < 700; i++) {
		pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
		assert_int_equal(page_nid(pages[i]), cycle[i % 7]);
	}
	assert_int_equal(zoneinfo_value(sys, 0, "Normal", "numa_interleave"), 300);
	assert_int_equal(zoneinfo_value(sys, 1, "Normal", "numa_interleave"), 100);
	assert_int_equal(zoneinfo_value(sys, 2, "Normal", "numa_interleave"), 200);
	assert_int_equal(zoneinfo_value(sys, 3, "Normal", "numa_interleave"), 100);
	free_all(pages, 700);
	/* 0 means the default weight 1: plain round robin over {1, 2} */
	assert_int_equal(bz_set_interleave_weights(sys, reset, 4), 0);
	assert_int_equal(set_policy(sys, BZ_MPOL_WEIGHTED_INTERLEAVE, 0x6), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 1 + i % 2);
	/* a new weight is read when the thread moves to that node */
	assert_int_equal(bz_set_interleave_weights(sys, (const unsigned char[]){ 0, 2, 4 }, 3), 0);
	for (int i = 0; i < 12; i++)
		assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), i % 6 < 2 ? 1 : 2);
	assert_int_equal(bz_set_interleave_weights(sys, NULL, 4), -EINVAL);
	assert_int_equal(bz_set_interleave_weights(sys, weights, 0), -EINVAL);
	assert_int_equal(bz_set_interleave_weights(sys, weights, 5), -EINVAL);
	assert_non_null(strstr(lc.last, "interleave weights"));
	bz_system_destroy(sys);
}

/* ---- preferred ------------------------------------------------------------------------------- */

static void test_mempolicy_preferred_falls_back_from_its_node(void **state)
{
	static bz_page *pages[MAX_PAGES];
	static int nid[MAX_PAGES];
	bz_system *sys = amd4(NULL);
	int n = 0;

	(void)state;
	assert_int_equal(set_policy(sys, BZ_MPOL_PREFERRED, 0x4), 0);
	do {
		pages[n] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
		nid[n] = page_nid(pages[n]);
	} while (nid[n++] == 2);
	/* node 2's fallback order is 2 3 0 1 */
	assert_int_equal(nid[n - 1], 3);
	assert_int_equal(zoneinfo_value(sys, 2, "Normal", "numa_hit"), n - 1);
	assert_int_equal(zoneinfo_value(sys, 2, "Normal", "numa_other"), n - 1);
	assert_int_equal(zoneinfo_value(sys, 3, "Normal", "numa_miss"), 1);
	assert_int_equal(zoneinfo_value(sys, 2, "Normal", "numa_foreign"), 1);
	assert_int_equal(zoneinfo_value(sys, 3, "Normal", "numa_other"), 1);
	free_all(pages, n);
	bz_system_destroy(sys);
}

/*
 * alloc_pages_preferred_many(): the mask first, quietly and without
 * reclaim, then every node from the local one.
 */
static void test_mempolicy_preferred_many_then_everywhere(void **state)
{
	static bz_page *pages[MAX_PAGES];
	static int nid[MAX_PAGES];
	struct log_catch lc;
	bz_system *sys;
	int n = 0, order[4];

	(void)state;
	log_catch_reset(&lc);
	sys = amd4(&lc);
	assert_int_equal(set_policy(sys, BZ_MPOL_PREFERRED_MANY, 0xc), 0);
	do {
		pages[n] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
		nid[n] = page_nid(pages[n]);
	} while (nid[n++] >= 2);
	assert_true(n > 2 * 1900);
	assert_int_equal(first_appearance(nid, n, order), 3);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 3);
	assert_int_equal(order[2], 0);
	assert_null(strstr(lc.all, "page allocation failure"));
	free_all(pages, n);
	bz_system_destroy(sys);
}

/* ---- counters ------------------------------------------------------------------------------- */

/* zone_statistics(): hit or miss against the preferred node, local or other against the thread's. */
static void test_mempolicy_numa_counters(void **state)
{
	bz_system *sys = amd4(NULL);
	char *vmstat;

	(void)state;
	for (int i = 0; i < 10; i++)
		page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0));
	for (int i = 0; i < 5; i++)
		assert_int_equal(page_nid(bz_alloc_pages_node(sys, 1, BZ_GFP_KERNEL, 0)), 1);
	assert_int_equal(set_policy(sys, BZ_MPOL_BIND, 0x8), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(page_nid(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0)), 3);
	assert_int_equal(zoneinfo_value(sys, 0, "Normal", "numa_hit"), 10);
	assert_int_equal(zoneinfo_value(sys, 0, "Normal", "numa_local"), 10);
	assert_int_equal(zoneinfo_value(sys, 1, "Normal", "numa_hit"), 5);
	assert_int_equal(zoneinfo_value(sys, 1, "Normal", "numa_other"), 5);
	assert_int_equal(zoneinfo_value(sys, 1, "Normal", "numa_local"), 0);
	/* bind's preferred zone is the first of the local zonelist inside the mask */
	assert_int_equal(zoneinfo_value(sys, 3, "Normal", "numa_hit"), 3);
	assert_int_equal(zoneinfo_value(sys, 3, "Normal", "numa_other"), 3);
	vmstat = report_text(sys, bz_write_vmstat);
	assert_non_null(strstr(vmstat, "\nnuma_hit 18\nnuma_miss 0\nnuma_foreign 0\nnuma_interleave 0\n"
					"numa_local 10\nnuma_other 8\n"));
	free(vmstat);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mempolicy_numbers_are_the_kernels),
		cmocka_unit_test(test_mempolicy_set_get_roundtrip),
		cmocka_unit_test(test_mempolicy_einval_rules),
		cmocka_unit_test(test_mempolicy_maxnode_counts_like_the_kernel),
		cmocka_unit_test(test_mempolicy_relative_and_static_nodes),
		cmocka_unit_test(test_mempolicy_is_per_thread_and_per_system),
		cmocka_unit_test(test_mempolicy_slots_of_destroyed_systems_are_reused),
		cmocka_unit_test(test_mempolicy_memo_follows_the_policy),
		cmocka_unit_test(test_mempolicy_node_requests_ignore_the_policy),
		cmocka_unit_test(test_mempolicy_bind_never_leaves_its_mask),
		cmocka_unit_test(test_mempolicy_bind_applies_to_the_policy_zone),
		cmocka_unit_test(test_mempolicy_interleave_spreads_evenly),
		cmocka_unit_test(test_mempolicy_interleave_miss_is_not_a_hit),
		cmocka_unit_test(test_mempolicy_weighted_interleave_follows_weights),
		cmocka_unit_test(test_mempolicy_preferred_falls_back_from_its_node),
		cmocka_unit_test(test_mempolicy_preferred_many_then_everywhere),
		cmocka_unit_test(test_mempolicy_numa_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
