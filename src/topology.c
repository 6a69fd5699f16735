/* SPDX-License-Identifier: MIT */
/*
 * topology.c - the machine as the model sees it, the part of boot that
 * reads the firmware tables (SRAT, SLIT) in the kernel: which NUMA nodes
 * exist, the memory and CPUs of each, and node_distance().  It owns
 * struct bz_topology and nothing else; mm_init.c turns it into nodes and
 * zones, arena.c binds memory with os_node[].
 *
 * Sources, best first: hwloc (nodes, memory, CPUs, the NUMA latency matrix,
 * which on Linux is the kernel's own distance table); libnuma (nodes, sizes,
 * CPUs, numa_distance()); sysconf (one node holding everything).  An
 * emulated topology ("xml:PATH", "synthetic:STRING") comes from hwloc alone
 * and each of its nodes is backed by a real node of this machine, chosen
 * round-robin among the nodes libnuma says we may allocate from.
 *
 * Node ids are compact: the n nodes get ids 0..n-1 in os_index order (what
 * the kernel calls the node numbers), os_node[] keeps the real index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>
#include <numa.h>

#include "os.h"

#define LOCAL_DISTANCE   10     /* include/linux/topology.h */
#define REMOTE_DISTANCE  20
/* hwloc's synthetic nodes have 1 GiB unless the string says "(memory=...)";
 * an XML node without local_memory gets the same. */
#define EMULATED_NODE_DEFAULT_BYTES (1ul << 30)

enum topo_kind { TOPO_MACHINE, TOPO_XML, TOPO_SYNTHETIC };

static void topo_clear(struct bz_topology *topo)
{
	int nid;

	memset(topo, 0, sizeof(*topo));
	for (nid = 0; nid < BZ_MAX_NUMNODES; nid++)
		topo->os_node[nid] = -1;
}

/* Whatever no table told us: 10 to itself, 20 to the others (the kernel's
 * default when there is no SLIT). */
static void fill_default_distances(struct bz_topology *topo)
{
	int i, j;

	for (i = 0; i < topo->nr_nodes; i++)
		for (j = 0; j < topo->nr_nodes; j++)
			if (!topo->distance[i][j])
				topo->distance[i][j] = i == j ? LOCAL_DISTANCE : REMOTE_DISTANCE;
}

/* Real nodes this process may allocate from, in os order; 0 without NUMA. */
static int real_memory_nodes(int nodes[BZ_MAX_NUMNODES])
{
	int os, max, n = 0;

	if (numa_available() < 0)
		return 0;
	max = numa_max_node();
	for (os = 0; os <= max && n < BZ_MAX_NUMNODES; os++)
		if (numa_bitmask_isbitset(numa_all_nodes_ptr, os))
			nodes[n++] = os;
	return n;
}

/* ---- hwloc ----------------------------------------------------------------- */

static int hwloc_open(const struct bz_system *sys, enum topo_kind kind, const char *arg,
		      hwloc_topology_t *out)
{
	hwloc_topology_t t;
	int err = 0;

	if (hwloc_topology_init(&t) < 0)
		return -ENOMEM;
	/* The kernel's view: every online CPU and node, whatever our cgroup allows. */
	hwloc_topology_set_flags(t, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	if (kind == TOPO_XML)
		err = hwloc_topology_set_xml(t, arg);
	else if (kind == TOPO_SYNTHETIC)
		err = hwloc_topology_set_synthetic(t, arg);
	if (err == 0)
		err = hwloc_topology_load(t);
	if (err < 0) {
		int e = errno;
		hwloc_topology_destroy(t);
		if (kind != TOPO_MACHINE)
			bz__log(sys, BZ_LOG_ERR, "topology %s:%s: hwloc cannot load it (%s)",
				kind == TOPO_XML ? "xml" : "synthetic", arg, strerror(e ? e : EINVAL));
		return -EINVAL;
	}
	*out = t;
	return 0;
}

static int cmp_os_index(const void *a, const void *b)
{
	unsigned x = (*(const hwloc_obj_t *)a)->os_index;
	unsigned y = (*(const hwloc_obj_t *)b)->os_index;

	return x < y ? -1 : x > y;
}

/* The NUMA nodes in os_index order, with their memory. */
static int hwloc_read_nodes(const struct bz_system *sys, hwloc_topology_t t, bool emulated,
			    hwloc_obj_t nodes[BZ_MAX_NUMNODES], struct bz_topology *topo)
{
	int i, n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);

	if (n <= 0) {
		bz__log(sys, BZ_LOG_ERR, "topology: hwloc found no NUMA node");
		return -EINVAL;
	}
	if (n > BZ_MAX_NUMNODES) {
		bz__log(sys, BZ_LOG_ERR, "topology: %d NUMA nodes, more than the %d supported",
			n, BZ_MAX_NUMNODES);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		nodes[i] = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, (unsigned)i);
	qsort(nodes, (size_t)n, sizeof(nodes[0]), cmp_os_index);
	for (i = 0; i < n; i++) {
		topo->os_node[i] = (int)nodes[i]->os_index;
		topo->mem_bytes[i] = (unsigned long)nodes[i]->attr->numanode.local_memory;
		if (emulated && !topo->mem_bytes[i])
			topo->mem_bytes[i] = EMULATED_NODE_DEFAULT_BYTES;
	}
	topo->nr_nodes = n;
	return 0;
}

/*
 * The kernel gives each CPU to exactly one node, while hwloc gives a node
 * the cpuset of the object it hangs from: a memory-only node (CXL, HBM,
 * PMEM as RAM) shares its package's or the machine's cpuset.  So each PU
 * goes to the node with the smallest cpuset holding it, ties to the lowest
 * os index (CPU-bearing DRAM nodes come first); the others count 0 CPUs.
 * The same choice fills cpu_to_node() (pu_node[]).
 */
static void hwloc_count_cpus(hwloc_topology_t t, hwloc_obj_t nodes[], struct bz_topology *topo)
{
	int weight[BZ_MAX_NUMNODES];
	hwloc_obj_t pu = NULL;
	int i;

	for (i = 0; i < topo->nr_nodes; i++)
		weight[i] = nodes[i]->cpuset ? hwloc_bitmap_weight(nodes[i]->cpuset) : -1;
	while ((pu = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PU, pu))) {
		int best = -1;

		for (i = 0; i < topo->nr_nodes; i++) {
			if (weight[i] <= 0 || !hwloc_bitmap_isset(nodes[i]->cpuset, pu->os_index))
				continue;
			if (best < 0 || weight[i] < weight[best])
				best = i;
		}
		if (best < 0)
			continue;
		topo->nr_cpus[best]++;
		if (pu->os_index < BZ_TOPO_MAX_PUS) {
			topo->pu_node[pu->os_index] = (uint8_t)(best + 1);
			topo->nr_pu_ids = BZ_MAX(topo->nr_pu_ids, (int)pu->os_index + 1);
		}
	}
}

static int node_index(hwloc_obj_t nodes[], int n, hwloc_obj_t obj)
{
	int i;

	for (i = 0; i < n; i++)
		if (nodes[i] == obj)
			return i;
	return -1;
}

/* A matrix we can use as node_distance(): values 1..255, like the SLIT. */
static bool distances_usable(const struct hwloc_distances_s *d)
{
	unsigned long k;

	if (d->nbobjs < 2)
		return false;
	for (k = 0; k < (unsigned long)d->nbobjs * d->nbobjs; k++)
		if (d->values[k] == 0 || d->values[k] > 255)
			return false;
	return true;
}

static void copy_distances(const struct hwloc_distances_s *d, hwloc_obj_t nodes[],
			   struct bz_topology *topo)
{
	unsigned i, j;

	for (i = 0; i < d->nbobjs; i++) {
		int a = node_index(nodes, topo->nr_nodes, d->objs[i]);

		for (j = 0; a >= 0 && j < d->nbobjs; j++) {
			int b = node_index(nodes, topo->nr_nodes, d->objs[j]);

			if (b >= 0)
				topo->distance[a][b] = (unsigned char)d->values[i * d->nbobjs + j];
		}
	}
}

/* Prefer the OS's matrix (the kernel's table) to a user's, then the widest. */
static unsigned long distances_score(const struct hwloc_distances_s *d)
{
	return (d->kind & HWLOC_DISTANCES_KIND_FROM_OS ? 1ul << 32 : 0) + d->nbobjs;
}

/*
 * hwloc's NUMA latency matrix ("NUMALatency"; on Linux it is read from
 * /sys/devices/system/node/nodeN/distance).  True when one was used.
 */
static bool hwloc_read_distances(hwloc_topology_t t, hwloc_obj_t nodes[], struct bz_topology *topo)
{
	struct hwloc_distances_s *d[16];
	unsigned nr = BZ_ARRAY_SIZE(d), k, best = ~0u;
	unsigned long kind = HWLOC_DISTANCES_KIND_FROM_OS | HWLOC_DISTANCES_KIND_FROM_USER |
			     HWLOC_DISTANCES_KIND_MEANS_LATENCY;

	if (hwloc_distances_get_by_type(t, HWLOC_OBJ_NUMANODE, &nr, d, kind, 0) < 0)
		return false;
	if (nr > BZ_ARRAY_SIZE(d))
		nr = BZ_ARRAY_SIZE(d);          /* nr counts all that exist, not those stored */
	for (k = 0; k < nr; k++)
		if (distances_usable(d[k]) &&
		    (best == ~0u || distances_score(d[k]) > distances_score(d[best])))
			best = k;
	if (best != ~0u)
		copy_distances(d[best], nodes, topo);
	for (k = 0; k < nr; k++)
		hwloc_distances_release(t, d[k]);
	return best != ~0u;
}

/*
 * update_per_cpu_data_slice_size_cpu(): for the first CPU of each node, its
 * last-level cache (the outermost data or unified one) divided among the
 * CPUs sharing it.
 */
static void hwloc_read_llc_slices(hwloc_topology_t t, hwloc_obj_t nodes[], struct bz_topology *topo)
{
	for (int i = 0; i < topo->nr_nodes; i++) {
		hwloc_obj_t pu, llc = NULL;
		int shared;

		if (!topo->nr_cpus[i] || !nodes[i]->cpuset)
			continue;
		pu = hwloc_get_obj_inside_cpuset_by_type(t, nodes[i]->cpuset, HWLOC_OBJ_PU, 0);
		for (hwloc_obj_t o = pu ? pu->parent : NULL; o; o = o->parent)
			if (hwloc_obj_type_is_dcache(o->type))
				llc = o;
		if (!llc || !llc->attr || !llc->cpuset)
			continue;
		shared = hwloc_bitmap_weight(llc->cpuset);
		if (shared > 0)
			topo->llc_slice_bytes[i] = (unsigned long)(llc->attr->cache.size / (unsigned)shared);
	}
}

/* Fills topo from a loaded hwloc topology; *have_dist says if it had distances. */
static int from_hwloc(const struct bz_system *sys, hwloc_topology_t t, bool emulated,
		      struct bz_topology *topo, bool *have_dist)
{
	hwloc_obj_t nodes[BZ_MAX_NUMNODES];
	int err = hwloc_read_nodes(sys, t, emulated, nodes, topo);

	if (err)
		return err;
	hwloc_count_cpus(t, nodes, topo);
	hwloc_read_llc_slices(t, nodes, topo);
	*have_dist = hwloc_read_distances(t, nodes, topo);
	return 0;
}

/* ---- libnuma and sysconf fallbacks ------------------------------------------ */

static void numa_read_distances(struct bz_topology *topo)
{
	int i, j;

	if (numa_available() < 0)
		return;
	for (i = 0; i < topo->nr_nodes; i++)
		for (j = 0; j < topo->nr_nodes; j++) {
			int d = numa_distance(topo->os_node[i], topo->os_node[j]);

			if (d > 0 && d <= 255)
				topo->distance[i][j] = (unsigned char)d;
		}
}

static int discover_libnuma(struct bz_topology *topo)
{
	struct bitmask *cpus;
	int os, max, n = 0;

	if (numa_available() < 0)
		return -ENOSYS;
	cpus = numa_allocate_cpumask();
	if (!cpus)
		return -ENOMEM;
	max = numa_max_node();
	for (os = 0; os <= max; os++) {
		long long size;
		int nr_cpus = 0;

		if (!numa_bitmask_isbitset(numa_nodes_ptr, os))
			continue;
		size = numa_node_size64(os, NULL);
		if (numa_node_to_cpus(os, cpus) == 0)
			nr_cpus = (int)numa_bitmask_weight(cpus);
		if (size <= 0 && !nr_cpus)
			continue;
		if (n == BZ_MAX_NUMNODES) {
			numa_free_cpumask(cpus);
			return -EINVAL;
		}
		topo->os_node[n] = os;
		topo->mem_bytes[n] = size > 0 ? (unsigned long)size : 0;
		topo->nr_cpus[n++] = nr_cpus;
	}
	numa_free_cpumask(cpus);
	topo->nr_nodes = n;
	return n ? 0 : -ENOENT;
}

static void discover_sysconf(struct bz_topology *topo)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	topo->nr_nodes = 1;
	topo->mem_bytes[0] = pages > 0 && psize > 0 ? (unsigned long)pages * (unsigned long)psize : 0;
	topo->nr_cpus[0] = cpus > 0 ? (int)cpus : 1;
	topo->os_node[0] = -1;
}

/*
 * hwloc without its Linux backend (HWLOC_COMPONENTS=-linux, a seccomp'd
 * sandbox) still loads, with nodes that know no memory: ask libnuma, and
 * for a single node, sysconf.
 */
static void fill_missing_memory(struct bz_topology *topo)
{
	struct bz_topology one;
	unsigned long total = 0;
	int nid, cpus = 0;

	for (nid = 0; nid < topo->nr_nodes; nid++) {
		if (!topo->mem_bytes[nid] && topo->os_node[nid] >= 0 && numa_available() >= 0) {
			long long size = numa_node_size64(topo->os_node[nid], NULL);

			topo->mem_bytes[nid] = size > 0 ? (unsigned long)size : 0;
		}
		total += topo->mem_bytes[nid];
		cpus += topo->nr_cpus[nid];
	}
	if (topo->nr_nodes != 1 || (total && cpus))
		return;
	discover_sysconf(&one);
	if (!total)
		topo->mem_bytes[0] = one.mem_bytes[0];
	if (!cpus)
		topo->nr_cpus[0] = one.nr_cpus[0];
}

/* ---- the three kinds of topology ---------------------------------------------- */

/* Each emulated node borrows the memory of a real one, round-robin. */
static void back_emulated_nodes(struct bz_topology *topo)
{
	int real[BZ_MAX_NUMNODES];
	int nid, nr_real = real_memory_nodes(real);

	topo->emulated = true;
	for (nid = 0; nid < topo->nr_nodes; nid++)
		topo->os_node[nid] = nr_real ? real[nid % nr_real] : -1;
}

static int discover_machine(const struct bz_system *sys, struct bz_topology *topo)
{
	hwloc_topology_t t;
	bool have_dist = false;
	int err = hwloc_open(sys, TOPO_MACHINE, NULL, &t);

	if (!err) {
		/* HWLOC_XMLFILE or HWLOC_SYNTHETIC in the environment: not this machine. */
		bool here = hwloc_topology_is_thissystem(t);

		err = from_hwloc(sys, t, !here, topo, &have_dist);
		hwloc_topology_destroy(t);
		if (err)
			return err;
		snprintf(topo->source, sizeof(topo->source), "%s", here ? "hwloc" : "hwloc (HWLOC_* env)");
		if (!here) {
			back_emulated_nodes(topo);
			return 0;
		}
		fill_missing_memory(topo);
		if (!have_dist)
			numa_read_distances(topo);
		return 0;
	}
	bz__log(sys, BZ_LOG_WARNING, "topology: hwloc cannot read this machine; trying libnuma");
	topo_clear(topo);
	err = discover_libnuma(topo);
	if (err == -EINVAL) {
		bz__log(sys, BZ_LOG_ERR, "topology: more than %d NUMA nodes", BZ_MAX_NUMNODES);
		return err;
	}
	if (!err) {
		snprintf(topo->source, sizeof(topo->source), "libnuma");
		numa_read_distances(topo);
		return 0;
	}
	topo_clear(topo);
	discover_sysconf(topo);
	snprintf(topo->source, sizeof(topo->source), "sysconf");
	return 0;
}

/* "xml:PATH" keeps as much of PATH as fits, its end (the file name) first. */
static void set_source(struct bz_topology *topo, const char *prefix, const char *arg)
{
	size_t room = sizeof(topo->source) - strlen(prefix) - 1, len = strlen(arg);

	if (len <= room)
		snprintf(topo->source, sizeof(topo->source), "%s%s", prefix, arg);
	else
		snprintf(topo->source, sizeof(topo->source), "%s...%s", prefix, arg + len - (room - 3));
}

static int discover_emulated(const struct bz_system *sys, enum topo_kind kind, const char *arg,
			     struct bz_topology *topo)
{
	const char *prefix = kind == TOPO_XML ? "xml:" : "synthetic:";
	hwloc_topology_t t;
	bool have_dist;
	int err;

	if (!*arg) {
		bz__log(sys, BZ_LOG_ERR, "topology %s: empty %s", prefix,
			kind == TOPO_XML ? "path" : "description");
		return -EINVAL;
	}
	err = hwloc_open(sys, kind, arg, &t);
	if (err)
		return err;
	err = from_hwloc(sys, t, true, topo, &have_dist);
	hwloc_topology_destroy(t);
	if (err) {
		topo_clear(topo);
		return err;
	}
	/* No libnuma fallback: the real machine's distances say nothing here. */
	back_emulated_nodes(topo);
	set_source(topo, prefix, arg);
	return 0;
}

int bz__topology_discover(const struct bz_system *sys, const char *spec, struct bz_topology *topo)
{
	int err;

	topo_clear(topo);
	if (!spec || !*spec)
		err = discover_machine(sys, topo);
	else if (!strncmp(spec, "xml:", 4))
		err = discover_emulated(sys, TOPO_XML, spec + 4, topo);
	else if (!strncmp(spec, "synthetic:", 10))
		err = discover_emulated(sys, TOPO_SYNTHETIC, spec + 10, topo);
	else {
		bz__log(sys, BZ_LOG_ERR,
			"topology '%s': expected \"xml:PATH\" or \"synthetic:STRING\" (empty: this machine)",
			spec);
		err = -EINVAL;
	}
	if (err) {
		topo_clear(topo);
		return err;
	}
	fill_default_distances(topo);
	bz__log(sys, BZ_LOG_DEBUG, "topology %s: %d node(s)%s", topo->source, topo->nr_nodes,
		topo->emulated ? ", emulated" : "");
	return 0;
}
