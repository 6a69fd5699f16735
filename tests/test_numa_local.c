/* SPDX-License-Identifier: MIT */
/*
 * test_numa_local.c - node-local everything (issue 13): threads placed on
 * the nodes of an emulated topology (bz_thread_set_node), the memory
 * behind each node's pages, struct pages, pageblock flags and pg_data_t,
 * and behind each thread's cache, bound to the node's backing real node;
 * and the kernel's remote pageset expiry (refresh_cpu_vm_stats,
 * drain_zone_pages).  White-box: it looks at sys->mem_map, the nodes and
 * the thread's cache where the public API shows no address.
 *
 * On a one-node machine every emulated node is backed by real node 0, so
 * "on the right node" alone could not fail; the policy of each address
 * (get_mempolicy(MPOL_F_ADDR): MPOL_BIND to the backing node) can.
 */
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "numa_common.h"
#include "task.h"

#define NODES 4
#define NODE_PAGES 16384                /* 64 MiB a node */
#define ZONES_4 "0:Normal=16384,1:Normal=16384,2:Normal=16384,3:Normal=16384"
#define ZONES_2 "0:Normal=16384,1:Normal=16384"
#define TOPO_4 "amd-2s-4n-12-32.xml"    /* 2 sockets, 4 nodes, 4 CPUs each */
#define TOPO_2 "synthetic:numa:2 pu:1"

static bool have_numa(void)
{
	return numa_available() >= 0;
}

/* 0 when addr's page is bound (MPOL_BIND) to os_node alone and, once touched, lies there. */
static int bound_to(const void *addr, int os_node)
{
	unsigned long mask[1024 / (8 * sizeof(unsigned long))] = { 0 };
	int mode = -1, node = -1;

	if (get_mempolicy(&mode, mask, 1024, (void *)addr, MPOL_F_ADDR))
		return 1;
	if (mode != MPOL_BIND)
		return 2;
	for (int n = 0; n < 1024; n++)
		if (!!(mask[n / (8 * sizeof(long))] & 1ul << (n % (8 * sizeof(long)))) != (n == os_node))
			return 3;
	if (get_mempolicy(&node, NULL, 0, (void *)addr, MPOL_F_NODE | MPOL_F_ADDR))
		return 4;
	return node == os_node ? 0 : 5;
}

/* ---- a thread on each node: its pages, their struct pages, its cache ----------- */

struct placed {
	struct bz_system *sys;
	int nid;
	_Atomic int failures;           /* what went wrong, checked after the join */
	_Atomic int stage;              /* the first check that failed */
};

static void fail_at(struct placed *p, int stage)
{
	if (!atomic_fetch_add(&p->failures, 1))
		atomic_store(&p->stage, stage);
}

static void *placed_thread(void *arg)
{
	struct placed *p = arg;
	struct bz_system *sys = p->sys;
	int os = sys->topo.os_node[p->nid];
	bz_page *pages[64];

	if (bz_thread_set_node(sys, p->nid) || bz_thread_node(sys) != p->nid)
		fail_at(p, 1);
	for (int i = 0; i < 64; i++) {
		char *addr;

		pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
		if (!pages[i] || bz_page_to_nid(pages[i]) != p->nid) {
			fail_at(p, 2);
			continue;
		}
		addr = bz_page_address(pages[i]);
		addr[0] = 1;
		if (bound_to(addr, os))
			fail_at(p, 10 + bound_to(addr, os));
		if (bound_to(pages[i], os))             /* its struct page, in mem_map */
			fail_at(p, 20 + bound_to(pages[i], os));
	}
	/* The thread's cache and its counters, and the node's pg_data_t. */
	if (!bz__current.task.tc || bz__current.task.tc->nid != p->nid || bound_to(bz__current.task.tc, os))
		fail_at(p, 30);
	if (bound_to(sys->nodes[p->nid], os) || bound_to(&sys->nodes[p->nid]->zones[BZ_ZONE_NORMAL].lock, os))
		fail_at(p, 40);
	for (int i = 0; i < 64; i++)
		if (pages[i] && bz_free_pages(pages[i], 0))
			fail_at(p, 3);
	return NULL;
}

static void test_numa_local_threads_pages_and_metadata_on_their_node(void **state)
{
	struct placed p[NODES];
	pthread_t t[NODES];
	bz_system *sys;

	(void)state;
	if (!have_numa())
		skip();
	sys = numa_system(TOPO_4, ZONES_4, BZ_DEFAULT, NULL);
	for (int n = 0; n < NODES; n++) {
		p[n] = (struct placed){ .sys = sys, .nid = n };
		assert_int_equal(pthread_create(&t[n], NULL, placed_thread, &p[n]), 0);
	}
	for (int n = 0; n < NODES; n++) {
		assert_int_equal(pthread_join(t[n], NULL), 0);
		if (atomic_load(&p[n].failures))
			print_error("node %d: first failure at stage %d\n", n, atomic_load(&p[n].stage));
		assert_int_equal(atomic_load(&p[n].failures), 0);
	}
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* Each node's part of mem_map and of the pageblock flags is bound before anything touches it. */
static void test_numa_local_mem_map_parts_bound_before_use(void **state)
{
	bz_system *sys;

	(void)state;
	if (!have_numa())
		skip();
	sys = numa_system(TOPO_4, ZONES_4, BZ_DEFAULT, NULL);
	for (int n = 0; n < NODES; n++) {
		const struct bz_node *node = sys->nodes[n];
		const struct bz_page *first = pfn_to_page(sys, node->node_start_pfn);
		const struct bz_page *last = pfn_to_page(sys, node->node_start_pfn + node->node_spanned_pages - 1);
		int mode = -1;

		/* The policy is there before the first touch: no struct page of the node was used yet. */
		assert_int_equal(get_mempolicy(&mode, NULL, 0, (void *)first, MPOL_F_ADDR), 0);
		assert_int_equal(mode, MPOL_BIND);
		assert_int_equal(get_mempolicy(&mode, NULL, 0, (void *)last, MPOL_F_ADDR), 0);
		assert_int_equal(mode, MPOL_BIND);
		assert_int_equal(get_mempolicy(&mode, NULL, 0,
					       (void *)&sys->pageblock_mt[node->node_start_pfn >> BZ_PAGEBLOCK_ORDER],
					       MPOL_F_ADDR), 0);
		assert_int_equal(mode, MPOL_BIND);
	}
	bz_system_destroy(sys);
}

/* ---- placing a thread ---------------------------------------------------------------- */

static void test_numa_local_set_node_steers_allocations(void **state)
{
	struct log_catch lc = { 0 };
	bz_system *sys;
	bz_page *page;

	(void)state;
	sys = numa_system(TOPO_4, ZONES_4, BZ_DEFAULT, &lc);
	assert_int_equal(bz_thread_set_node(sys, 2), 0);
	assert_int_equal(bz_thread_node(sys), 2);
	/* Enough identical requests for the memo to serve them. */
	for (int i = 0; i < 100; i++) {
		page = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
		assert_int_equal(page_nid(page), 2);
		assert_int_equal(bz_free_pages(page, 0), 0);
	}
	assert_true(zoneinfo_value(sys, 2, "Normal", "numa_local") >= 100);
	/* A new node: the memo made on node 2 must not serve it, though the CPU is the same. */
	assert_int_equal(bz_thread_set_node(sys, 3), 0);
	for (int i = 0; i < 100; i++) {
		page = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
		assert_int_equal(page_nid(page), 3);
		assert_int_equal(bz_free_pages(page, 0), 0);
	}
	/* Back to the CPU's node; bad nodes are refused and change nothing. */
	assert_int_equal(bz_thread_set_node(sys, -1), 0);
	assert_int_equal(bz_thread_node(sys), bz__numa_node_id(sys));
	assert_int_equal(bz_thread_set_node(sys, 1), 0);
	assert_int_equal(bz_thread_set_node(sys, 4), -EINVAL);
	assert_non_null(strstr(lc.last, "node 4 does not exist"));
	assert_int_equal(bz_thread_set_node(sys, -2), -EINVAL);
	assert_int_equal(bz_thread_node(sys), 1);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* The thread on one CPU: its node as the topology lists that CPU. */
static int node_on_cpu(bz_system *sys, int cpu)
{
	cpu_set_t set, saved;
	int nid;

	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	nid = bz_thread_node(sys);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	return nid;
}

/*
 * An emulated topology deals this machine's CPUs as its file lists them:
 * in 16amd64-4distances.xml CPU 0 and 1 belong to node 1, and CPU 2 to
 * node 0.  With cpus_per_node in the config, CPUs are dealt in order.
 */
static void test_numa_local_cpus_dealt_as_the_file_lists_them(void **state)
{
	const char *zones = "0:Normal=4096,1:Normal=4096,2:Normal=4096,3:Normal=4096,"
			    "4:Normal=4096,5:Normal=4096,6:Normal=4096,7:Normal=4096";
	cpu_set_t allowed;
	bz_system *sys;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
	sys = numa_system("16amd64-4distances.xml", zones, BZ_DEFAULT, NULL);
	assert_int_equal(node_on_cpu(sys, 0), 1);
	if (CPU_ISSET(1, &allowed))
		assert_int_equal(node_on_cpu(sys, 1), 1);
	if (CPU_ISSET(2, &allowed))
		assert_int_equal(node_on_cpu(sys, 2), 0);
	bz_system_destroy(sys);
	sys = numa_system("16amd64-4distances.xml", zones, 2, NULL);
	assert_int_equal(node_on_cpu(sys, 0), 0);
	if (CPU_ISSET(1, &allowed))
		assert_int_equal(node_on_cpu(sys, 1), 0);
	bz_system_destroy(sys);
}

/* bz_get_free_pages (its memo inline) follows the node too; the setting is per system. */
static void test_numa_local_set_node_per_system(void **state)
{
	bz_system *a, *b;
	void *addr;

	(void)state;
	a = numa_system(TOPO_4, ZONES_4, BZ_DEFAULT, NULL);
	b = numa_system(TOPO_4, ZONES_4, BZ_DEFAULT, NULL);
	assert_int_equal(bz_thread_set_node(a, 3), 0);
	assert_int_equal(bz_thread_set_node(b, 1), 0);
	for (int i = 0; i < 50; i++) {
		addr = bz_get_free_pages(a, BZ_GFP_KERNEL, 0);
		assert_int_equal(page_nid(bz_virt_to_page(addr)), 3);
		assert_int_equal(bz_free_pages_addr(addr, 0), 0);
		addr = bz_get_free_pages(b, BZ_GFP_KERNEL, 0);
		assert_int_equal(page_nid(bz_virt_to_page(addr)), 1);
		assert_int_equal(bz_free_pages_addr(addr, 0), 0);
	}
	assert_int_equal(bz_thread_node(a), 3);
	assert_int_equal(bz_thread_node(b), 1);
	bz_system_destroy(b);
	bz_system_destroy(a);
}

/* ---- remote pageset expiry ------------------------------------------------------------ */

static struct bz_pcp *own_pcp(bz_system *sys, int nid)
{
	struct bz_tcache *tc = bz__current.task.tc;

	assert_non_null(tc);
	return &tc->pcp[sys->nodes[nid]->zones[BZ_ZONE_NORMAL].zone_id];
}

static unsigned long remote_drained(bz_system *sys)
{
	return json_counter(sys, "pcp_remote_drained");
}

/*
 * A thread of node 1 frees pages of node 0 into its cache: three refreshes
 * after the last time it moved node 0's counters, a batch goes back
 * (drain_zone_pages), and each batch restarts the count; its own node's
 * pages never expire.  Refreshes are called here with a made-up clock.
 */
static void test_numa_local_remote_pcp_expires_after_three_refreshes(void **state)
{
	bz_page *pages[40];
	struct bz_pcp *remote, *local;
	long now = bz__now_coarse_ns();
	int count, batch, local_count;
	bz_system *sys;

	(void)state;
	sys = numa_system(TOPO_2, ZONES_2, BZ_DEFAULT, NULL);
	assert_int_equal(bz_thread_set_node(sys, 1), 0);
	for (int i = 0; i < 40; i++)
		pages[i] = bz_alloc_pages_node(sys, 0, BZ_GFP_KERNEL, 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(bz_free_pages(pages[i], 0), 0);
	pages[0] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);      /* node 1's own cache */
	assert_int_equal(page_nid(pages[0]), 1);
	assert_int_equal(bz_free_pages(pages[0], 0), 0);
	remote = own_pcp(sys, 0);
	local = own_pcp(sys, 1);
	batch = (int)zone_stats(sys, 0, BZ_ZONE_NORMAL).pcp_batch;
	count = PCP_GET(remote, count);
	local_count = PCP_GET(local, count);
	assert_true(count > 2 * batch);
	/* At or below high_min: decay_pcp_high alone would keep them all. */
	assert_true(count <= (int)zone_stats(sys, 0, BZ_ZONE_NORMAL).pcp_high_min);
	assert_true(local_count > 0);
	for (int round = 0; round < 3; round++) {
		/* Two refreshes see nothing expire; the third gives back one batch. */
		for (int r = 0; r < 2; r++) {
			bz__pcp_decay(bz__current.task.tc, now += BZ_PCP_DECAY_PERIOD_NS);
			assert_int_equal(PCP_GET(remote, count), count);
		}
		bz__pcp_decay(bz__current.task.tc, now += BZ_PCP_DECAY_PERIOD_NS);
		assert_int_equal(PCP_GET(remote, count), count - BZ_MIN(count, batch));
		count -= BZ_MIN(count, batch);
		assert_int_equal(PCP_GET(local, count), local_count);
	}
	assert_int_equal(remote_drained(sys), 3ul * (unsigned long)batch);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* A refill (or drain) of the remote zone in between restarts the countdown. */
static void test_numa_local_remote_pcp_activity_restarts_expiry(void **state)
{
	long now = bz__now_coarse_ns();
	struct bz_pcp *remote;
	bz_page *page;
	bz_system *sys;
	int count;

	(void)state;
	sys = numa_system(TOPO_2, ZONES_2, BZ_DEFAULT, NULL);
	assert_int_equal(bz_thread_set_node(sys, 1), 0);
	page = bz_alloc_pages_node(sys, 0, BZ_GFP_KERNEL, 0);  /* a refill: node 0's counters move */
	assert_int_equal(bz_free_pages(page, 0), 0);
	remote = own_pcp(sys, 0);
	count = PCP_GET(remote, count);
	bz__pcp_decay(bz__current.task.tc, now += BZ_PCP_DECAY_PERIOD_NS);
	bz__pcp_decay(bz__current.task.tc, now += BZ_PCP_DECAY_PERIOD_NS);
	/* Empty the list and refill it: node 0's counters move again. */
	{
		bz_page *held[256];
		int n = 0;

		while (n < 256 && PCP_GET(remote, count) > 0)
			held[n++] = bz_alloc_pages_node(sys, 0, BZ_GFP_KERNEL, 0);
		held[n++] = bz_alloc_pages_node(sys, 0, BZ_GFP_KERNEL, 0);
		for (int i = 0; i < n; i++)
			assert_int_equal(bz_free_pages(held[i], 0), 0);
	}
	count = PCP_GET(remote, count);
	bz__pcp_decay(bz__current.task.tc, now += BZ_PCP_DECAY_PERIOD_NS);
	bz__pcp_decay(bz__current.task.tc, now += BZ_PCP_DECAY_PERIOD_NS);
	assert_int_equal(PCP_GET(remote, count), count);
	assert_int_equal(remote_drained(sys), 0);
	bz__pcp_decay(bz__current.task.tc, now += BZ_PCP_DECAY_PERIOD_NS);
	assert_true(PCP_GET(remote, count) < count);
	assert_true(remote_drained(sys) > 0);
	bz_system_destroy(sys);
}

/*
 * End to end, on the kernel's clock: a thread of node 1 takes a refill of
 * node 0's pages, frees them and waits; another thread goes on with its
 * own node's work (its refills run its refresh, which looks at idle
 * threads' caches too), and the waiting thread's node-0 pages go back a
 * few seconds later.
 */
/* Node 0: batches of 63; node 1 small, so that bursts beyond its cache's high_max are cheap. */
#define ZONES_2_BIG "0:Normal=262144,1:Normal=16384"

struct idle_remote {
	bz_system *sys;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage;                      /* 1: the pages are in its cache; 2: it may leave */
	unsigned long freed;
	_Atomic int failures;
};

/* Pages of node 0's zone in caches, without cmocka (a worker's check). */
static unsigned long cached_quiet(bz_system *sys)
{
	struct bz_zone_stats st = { .size = sizeof(st) };

	return bz_zone_stats(sys, 0, BZ_ZONE_NORMAL, &st) ? ~0ul : st.cached;
}

static void *idle_remote_thread(void *arg)
{
	struct idle_remote *r = arg;
	bz_page *held[1024];
	unsigned long n = 0;

	if (bz_thread_set_node(r->sys, 1))
		atomic_fetch_add(&r->failures, 1);
	/* One refill of node 0's zone, taken whole: the list is empty again when no page is cached. */
	do
		held[n++] = bz_alloc_pages_node(r->sys, 0, BZ_GFP_KERNEL, 0);
	while (n < 1024 && cached_quiet(r->sys) > 0);
	for (unsigned long i = 0; i < n; i++)
		if (!held[i] || bz_free_pages(held[i], 0))
			atomic_fetch_add(&r->failures, 1);
	pthread_mutex_lock(&r->lock);
	r->freed = n;
	r->stage = 1;
	pthread_cond_broadcast(&r->cond);
	while (r->stage < 2)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void test_numa_local_idle_thread_remote_pages_expire(void **state)
{
	struct idle_remote r = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	size_t burst_len;
	bz_page **burst;
	long deadline;
	pthread_t t;

	(void)state;
	r.sys = numa_system(TOPO_2, ZONES_2_BIG, BZ_DEFAULT, NULL);
	assert_int_equal(bz_thread_set_node(r.sys, 1), 0);
	assert_int_equal(pthread_create(&t, NULL, idle_remote_thread, &r), 0);
	pthread_mutex_lock(&r.lock);
	while (r.stage < 1)
		pthread_cond_wait(&r.cond, &r.lock);
	pthread_mutex_unlock(&r.lock);
	assert_true(r.freed > 1);
	assert_int_equal(zone_stats(r.sys, 0, BZ_ZONE_NORMAL).cached, r.freed);
	assert_int_equal(remote_drained(r.sys), 0);
	/* This thread's own node's work, in bursts beyond its cache's high: each refills and drains. */
	burst_len = 2 * zone_stats(r.sys, 1, BZ_ZONE_NORMAL).pcp_high_max + 64;
	burst = calloc(burst_len, sizeof(*burst));
	assert_non_null(burst);
	deadline = bz__now_coarse_ns() + 20l * BZ_PCP_DECAY_PERIOD_NS;
	while (zone_stats(r.sys, 0, BZ_ZONE_NORMAL).cached > 0 && bz__now_coarse_ns() < deadline) {
		for (size_t i = 0; i < burst_len; i++)
			assert_int_equal(page_nid(burst[i] = bz_alloc_pages(r.sys, BZ_GFP_KERNEL, 0)), 1);
		for (size_t i = 0; i < burst_len; i++)
			assert_int_equal(bz_free_pages(burst[i], 0), 0);
	}
	free(burst);
	assert_int_equal(zone_stats(r.sys, 0, BZ_ZONE_NORMAL).cached, 0);
	assert_int_equal(remote_drained(r.sys), r.freed);
	pthread_mutex_lock(&r.lock);
	r.stage = 2;
	pthread_cond_broadcast(&r.cond);
	pthread_mutex_unlock(&r.lock);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(atomic_load(&r.failures), 0);
	assert_int_equal(bz_check(r.sys), 0);
	bz_system_destroy(r.sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numa_local_threads_pages_and_metadata_on_their_node),
		cmocka_unit_test(test_numa_local_mem_map_parts_bound_before_use),
		cmocka_unit_test(test_numa_local_set_node_steers_allocations),
		cmocka_unit_test(test_numa_local_set_node_per_system),
		cmocka_unit_test(test_numa_local_cpus_dealt_as_the_file_lists_them),
		cmocka_unit_test(test_numa_local_remote_pcp_expires_after_three_refreshes),
		cmocka_unit_test(test_numa_local_remote_pcp_activity_restarts_expiry),
		cmocka_unit_test(test_numa_local_idle_thread_remote_pages_expire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
