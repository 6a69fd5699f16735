/* SPDX-License-Identifier: MIT */
/*
 * zonelist.c - each node's zonelists, as mm/page_alloc.c builds them in
 * Linux 6.x: the fallback list (nodes ordered by find_next_best_node, each
 * node's zones from high to low) and the no-fallback list used by
 * __GFP_THISNODE.  numa_zonelist_order "Zone" gives the legacy zone-major
 * order (all nodes' NORMAL zones before any DMA32), which kernels before
 * 4.14 offered.  Also the calling thread's node, numa_node_id().
 */
#include <sched.h>
#include <numa.h>
#include <stdlib.h>

#include "model.h"

#define PENALTY_FOR_NODE_WITH_CPUS 1
#define KERNEL_MAX_NUMNODES 1024   /* NODES_SHIFT 10, as distribution kernels build */

static bool node_has_memory(const struct bz_system *sys, int nid)
{
	return sys->nodes[nid]->node_present_pages != 0;
}

static int node_distance(const struct bz_system *sys, int a, int b)
{
	return sys->topo.distance[a][b];
}

/*
 * find_next_best_node(): the local node first (if it has memory), then the
 * nearest unused node with memory; ties go to nodes after the local one, to
 * nodes without CPUs, and to the least loaded, so that nodes at equal
 * distance take turns being first.
 */
static int find_next_best_node(const struct bz_system *sys, int node, bool *used, int *node_load)
{
	int best = -1, min_val = __INT_MAX__;

	if (!used[node] && node_has_memory(sys, node)) {
		used[node] = true;
		return node;
	}
	for (int n = 0; n < sys->nr_nodes; n++) {
		int val;

		if (used[n] || !node_has_memory(sys, n))
			continue;
		val = node_distance(sys, node, n);
		val += (n < node);
		if (sys->nodes[n]->nr_cpus)
			val += PENALTY_FOR_NODE_WITH_CPUS;
		val *= KERNEL_MAX_NUMNODES;
		val += node_load[n];
		if (val < min_val) {
			min_val = val;
			best = n;
		}
	}
	if (best >= 0)
		used[best] = true;
	return best;
}

/* build_zonerefs_node(): a node's populated zones, highest first. */
static void add_node_zones(struct bz_zonelist *zl, struct bz_node *node, int only_zone)
{
	for (int zid = BZ_MAX_NR_ZONES - 1; zid >= 0; zid--) {
		struct bz_zone *z = &node->zones[zid];

		if (populated_zone(z) && (only_zone < 0 || only_zone == zid))
			zl->zones[zl->nr++] = z;
	}
}

/* Publishes zl as the node's list i; readers keep using the one they loaded. */
static void publish(struct bz_node *pgdat, int i, struct bz_zonelist *zl)
{
	zl->retired = atomic_load_explicit(&pgdat->zonelists[i], memory_order_relaxed);
	atomic_store_explicit(&pgdat->zonelists[i], zl, memory_order_release);
}

static void build_zonelists(struct bz_system *sys, struct bz_node *pgdat, int *node_load)
{
	bool used[BZ_MAX_NUMNODES] = { false };
	int os_node = bz__os_node(sys, pgdat->nid);
	/*
	 * On the node, beside the pgdat that points at them: heap memory
	 * reachable only from the pgdat's mapping would look leaked to a
	 * leak checker in an application that never destroys its system.
	 */
	struct bz_zonelist *fb = bz__os_alloc_node(sizeof(*fb), os_node);
	struct bz_zonelist *tn = bz__os_alloc_node(sizeof(*tn), os_node);
	int local = pgdat->nid, prev = local, node, nr = 0;

	if (!fb || !tn) {
		/* Keep the lists we have; only a first build must succeed (see mm_init.c). */
		bz__os_release(fb, sizeof(*fb));
		bz__os_release(tn, sizeof(*tn));
		return;
	}

	while ((node = find_next_best_node(sys, local, used, node_load)) >= 0) {
		/* Penalise the first node of each distance group: round-robin. */
		if (node_distance(sys, local, node) != node_distance(sys, local, prev))
			node_load[node] += 1;
		pgdat->node_order[nr++] = node;
		prev = node;
	}
	pgdat->nr_node_order = nr;
	fb->nr = 0;
	if (sys->sysctl.numa_zonelist_order == 1) {
		for (int zid = BZ_MAX_NR_ZONES - 1; zid >= 0; zid--)
			for (int i = 0; i < nr; i++)
				add_node_zones(fb, sys->nodes[pgdat->node_order[i]], zid);
	} else {
		for (int i = 0; i < nr; i++)
			add_node_zones(fb, sys->nodes[pgdat->node_order[i]], -1);
	}
	tn->nr = 0;
	add_node_zones(tn, pgdat, -1);
	publish(pgdat, ZONELIST_FALLBACK, fb);
	publish(pgdat, ZONELIST_NOFALLBACK, tn);
}

void bz__build_all_zonelists(struct bz_system *sys)
{
	int node_load[BZ_MAX_NUMNODES] = { 0 };

	for (int nid = 0; nid < sys->nr_nodes; nid++)
		build_zonelists(sys, sys->nodes[nid], node_load);
	/* Threads' memos name a preferred zone of the old lists: look again. */
	bz__invalidate_shortcuts();
}

/*
 * An emulated topology's cpu_to_node(): this machine's CPU c is the
 * topology's PU c (modulo the PUs it lists), in the node whose cpuset
 * holds it.  With bz_config.cpus_per_node the nodes' CPU counts are the
 * config's, not the file's: CPUs are dealt to the nodes in order by those
 * counts.  (Threads choose another node with bz_thread_set_node, task.c.)
 */
static int emulated_cpu_to_node(const struct bz_system *sys, int cpu)
{
	const struct bz_topology *topo = &sys->topo;
	int total = 0;

	if (!topo->cpus_from_config && topo->nr_pu_ids > 0) {
		for (int k = 0, id = cpu % topo->nr_pu_ids; k < topo->nr_pu_ids; k++) {
			int n = topo->pu_node[(id + k) % topo->nr_pu_ids];

			if (n && n <= sys->nr_nodes)
				return n - 1;
		}
	}
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		total += sys->nodes[nid]->nr_cpus;
	if (total == 0)
		return 0;
	cpu %= total;
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		if (cpu < sys->nodes[nid]->nr_cpus)
			return nid;
		cpu -= sys->nodes[nid]->nr_cpus;
	}
	return 0;
}

/*
 * numa_node_id(): the node of the CPU the thread runs on.  With a real
 * topology that is the model node bound to the CPU's real node; in an
 * emulation, the node the topology gives the CPU (above).
 */
int bz__numa_node_id(const struct bz_system *sys)
{
	int cpu, real;

	if (sys->nr_nodes == 1)
		return 0;
	cpu = sched_getcpu();
	if (cpu < 0)
		return 0;
	if (sys->topo.emulated)
		return emulated_cpu_to_node(sys, cpu);
	real = numa_available() < 0 ? 0 : numa_node_of_cpu(cpu);
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		if (sys->topo.os_node[nid] == real)
			return nid;
	return 0;
}
