/* SPDX-License-Identifier: MIT */
/*
 * topology_report.c - bz_write_topology(): the model's `numactl --hardware`.
 * The first part is numactl's exact layout (available nodes, each node's
 * CPUs, size and free memory, the distance matrix), so tools that parse
 * numactl read it too; then what numactl cannot know: where the topology
 * came from and, per node, how its arena is bound and backed, and for an
 * emulated topology which real node's memory stands in for each node.
 *
 * Size is the node's managed pages (numactl's MemTotal), free its zones'
 * NR_FREE_PAGES.  CPUs are the machine's own numbers (libnuma) when the
 * model's nodes are the machine's nodes with their real CPU counts; else
 * the model numbers its CPUs consecutively, node by node.
 */
#include <errno.h>
#include <stdio.h>

#include <numa.h>

#include "report.h"

static unsigned long node_managed(const struct bz_node *node)
{
	unsigned long pages = 0;
	int zid;

	for (zid = 0; node && zid < BZ_MAX_NR_ZONES; zid++)
		pages += node->zones[zid].managed_pages;
	return pages;
}

static unsigned long node_free(const struct bz_node *node)
{
	unsigned long pages = 0;
	int zid;

	for (zid = 0; node && zid < BZ_MAX_NR_ZONES; zid++)
		pages += (unsigned long)zone_page_state(&node->zones[zid], NR_FREE_PAGES);
	return pages;
}

static int node_cpus(const struct bz_system *sys, int nid)
{
	const struct bz_node *node = sys->nodes[nid];

	return node ? node->nr_cpus : sys->topo.nr_cpus[nid];
}

/* True when every node is a real node with the machine's CPU count. */
static bool real_cpu_numbers(const struct bz_system *sys)
{
	int nid;

	if (sys->topo.emulated || numa_available() < 0)
		return false;
	for (nid = 0; nid < sys->nr_nodes; nid++)
		if (sys->topo.os_node[nid] < 0 || node_cpus(sys, nid) != sys->topo.nr_cpus[nid])
			return false;
	return true;
}

static void print_real_cpus(FILE *out, int os_node)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	unsigned i;

	if (cpus && numa_node_to_cpus(os_node, cpus) == 0)
		for (i = 0; i < cpus->size; i++)
			if (numa_bitmask_isbitset(cpus, i))
				fprintf(out, " %u", i);
	if (cpus)
		numa_free_cpumask(cpus);
}

/* numactl's "(0-3)" or "(0)": our node ids are always 0..n-1. */
static void print_nodes(const struct bz_system *sys, FILE *out)
{
	bool real = real_cpu_numbers(sys);
	int nid, cpu, first_cpu = 0;

	if (sys->nr_nodes > 1)
		fprintf(out, "available: %d nodes (0-%d)\n", sys->nr_nodes, sys->nr_nodes - 1);
	else
		fprintf(out, "available: %d nodes (0)\n", sys->nr_nodes);
	for (nid = 0; nid < sys->nr_nodes; nid++) {
		const struct bz_node *node = sys->nodes[nid];
		int n = node_cpus(sys, nid);

		fprintf(out, "node %d cpus:", nid);
		if (real)
			print_real_cpus(out, sys->topo.os_node[nid]);
		else
			for (cpu = first_cpu; cpu < first_cpu + n; cpu++)
				fprintf(out, " %d", cpu);
		first_cpu += n;
		fprintf(out, "\nnode %d size: %lu MB\n", nid, node_managed(node) >> (20 - BZ_PAGE_SHIFT));
		fprintf(out, "node %d free: %lu MB\n", nid, node_free(node) >> (20 - BZ_PAGE_SHIFT));
	}
}

/* numactl's print_distances(), column for column. */
static void print_distances(const struct bz_system *sys, FILE *out)
{
	int i, j;

	fprintf(out, "node distances:\nnode ");
	for (i = 0; i < sys->nr_nodes; i++)
		fprintf(out, "% 3d ", i);
	fprintf(out, "\n");
	for (i = 0; i < sys->nr_nodes; i++) {
		fprintf(out, "% 3d: ", i);
		for (j = 0; j < sys->nr_nodes; j++)
			fprintf(out, "% 3d ", sys->topo.distance[i][j]);
		fprintf(out, "\n");
	}
}

static void print_arenas(const struct bz_system *sys, FILE *out)
{
	int nid;

	fprintf(out, "topology: %s%s\n", sys->topo.source[0] ? sys->topo.source : "unknown",
		sys->topo.emulated ? " (emulated)" : " (this machine)");
	for (nid = 0; nid < sys->nr_nodes; nid++) {
		const struct bz_node *node = sys->nodes[nid];
		const struct bz_arena *a;

		if (!node)
			continue;
		a = &node->arena;
		fprintf(out, "node %d arena: %zu MB, %s pages of %zu kB, ", nid, a->bytes >> 20,
			bz__backing_name(a->backing), a->page_size >> 10);
		if (a->os_node >= 0)
			fprintf(out, "bound to real node %d\n", a->os_node);
		else
			fprintf(out, "not bound\n");
		fprintf(out, "node %d reason: %s\n", nid, a->reason);
		if (!sys->topo.emulated)
			continue;
		if (sys->topo.os_node[nid] >= 0)
			fprintf(out, "node %d is emulated: backed by memory of real node %d, "
				"not memory local to a distinct node\n", nid, sys->topo.os_node[nid]);
		else
			fprintf(out, "node %d is emulated: backed by unbound process memory, "
				"not memory local to a distinct node\n", nid);
	}
}

BZ_API int bz_write_topology(bz_system *sys, FILE *out)
{
	sys = bz__resolve(sys);
	if (!sys || !out)
		return -EINVAL;
	print_nodes(sys, out);
	print_distances(sys, out);
	print_arenas(sys, out);
	return ferror(out) ? -EIO : 0;
}
