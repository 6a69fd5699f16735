/* SPDX-License-Identifier: MIT */
/*
 * test_topology.c - topology discovery (topology.c) and its report
 * (topology_report.c): real machines' hwloc exports in tests/topologies,
 * hwloc synthetic strings, bad specs, and this machine.  The expected
 * values below were read from the XML files by hand (NUMANode objects'
 * os_index, local_memory and cpuset; the "NUMALatency" distances2 block),
 * not through hwloc.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <numa.h>

#include "os.h"

#ifndef BZ_TOPOLOGIES_DIR
#define BZ_TOPOLOGIES_DIR "tests/topologies"
#endif

static struct bz_topology topo;

static const char *topologies_dir(void)
{
	const char *env = getenv("BUDDYZONE_TOPOLOGIES");

	return env && *env ? env : BZ_TOPOLOGIES_DIR;
}

static int load_xml(const char *file)
{
	char spec[PATH_MAX + 8];

	snprintf(spec, sizeof(spec), "xml:%s/%s", topologies_dir(), file);
	return bz__topology_discover(NULL, spec, &topo);
}

/* ---- log capture ------------------------------------------------------------ */

static int logged_errors;
static char last_error[512];

static void capture_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= BZ_LOG_ERR) {
		logged_errors++;
		snprintf(last_error, sizeof(last_error), "%s", msg);
	}
}

static int setup_log(void **state)
{
	(void)state;
	logged_errors = 0;
	last_error[0] = '\0';
	bz_set_log_callback(capture_log, NULL);
	return 0;
}

static int teardown_log(void **state)
{
	(void)state;
	bz_set_log_callback(NULL, NULL);
	return 0;
}

/* ---- the real machines' exports --------------------------------------------- */

struct xml_case {
	const char *file;
	int nr_nodes;
	int cpus_per_node;
	unsigned long mem[8];           /* by node id = rank of os_index */
	int local, remote;              /* uniform matrices; remote 0: see matrix */
};

static const struct xml_case xml_cases[] = {
	/* os_index order 1 0 2 5 4 3 6 7 in the file; os 0 has less memory */
	{ "16amd64-4distances.xml", 8, 2,
	  { 8587984896ul, 8589934592ul, 8589934592ul, 8589934592ul,
	    8589934592ul, 8589934592ul, 8589934592ul, 8589934592ul }, 10, 20 },
	{ "24em64t-2n6c2t-pci.xml", 2, 12, { 19316633600ul, 19327348736ul }, 10, 20 },
	{ "96em64t-4n4d3ca2co-pci.xml", 4, 24,
	  { 51269931008ul, 51271172096ul, 51271172096ul, 51271172096ul }, 10, 26 },
	{ "memorysidecaches.xml", 4, 20,
	  { 397816131584ul, 399527780352ul, 399527772160ul, 399526719488ul }, 10, 0 },
	{ "nvidiaDGX2.xml", 2, 2, { 810234351616ul, 811737923584ul }, 10, 21 },
	{ "power8gpudistances.xml", 2, 8, { 68556816384ul, 68450713600ul }, 10, 40 },
};

/* memorysidecaches.xml: two sockets with sub-NUMA clustering; nodes 0 and
 * 2 share a socket (11), as do 1 and 3. */
static const unsigned char sidecaches_distance[4][4] = {
	{ 10, 21, 11, 21 },
	{ 21, 10, 21, 11 },
	{ 11, 21, 10, 21 },
	{ 21, 11, 21, 10 },
};

static bool is_real_memory_node(int os)
{
	return numa_available() >= 0 && os >= 0 && numa_bitmask_isbitset(numa_all_nodes_ptr, os);
}

static void check_xml_case(const struct xml_case *c)
{
	int i, j;

	assert_int_equal(load_xml(c->file), 0);
	assert_int_equal(topo.nr_nodes, c->nr_nodes);
	assert_true(topo.emulated);
	assert_memory_equal(topo.source, "xml:", 4);
	assert_non_null(strstr(topo.source, c->file));
	for (i = 0; i < c->nr_nodes; i++) {
		assert_int_equal(topo.nr_cpus[i], c->cpus_per_node);
		assert_int_equal(topo.mem_bytes[i], c->mem[i]);
		/* Backed by a real node, never silently "local". */
		if (numa_available() >= 0)
			assert_true(is_real_memory_node(topo.os_node[i]));
		for (j = 0; j < c->nr_nodes; j++) {
			int want = !c->remote ? sidecaches_distance[i][j] :
				   i == j ? c->local : c->remote;

			assert_int_equal(topo.distance[i][j], want);
		}
	}
}

static void test_topology_xml_machines(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < BZ_ARRAY_SIZE(xml_cases); k++)
		check_xml_case(&xml_cases[k]);
}

/* 8 nodes, os_index out of order in the file: ids still follow os_index. */
static void test_topology_xml_os_order(void **state)
{
	(void)state;
	assert_int_equal(load_xml("16amd64-4distances.xml"), 0);
	/* Only os node 0 has 8386704 kB: it must be node id 0, not logical 1. */
	assert_int_equal(topo.mem_bytes[0], 8587984896ul);
	assert_int_equal(topo.mem_bytes[1], 8589934592ul);
}

/* Emulated nodes are backed round-robin by the real memory nodes. */
static void test_topology_xml_backing_round_robin(void **state)
{
	int real[BZ_MAX_NUMNODES], nr_real = 0, os, nid;

	(void)state;
	if (numa_available() < 0)
		skip();
	for (os = 0; os <= numa_max_node(); os++)
		if (numa_bitmask_isbitset(numa_all_nodes_ptr, os))
			real[nr_real++] = os;
	assert_int_equal(load_xml("16amd64-4distances.xml"), 0);
	for (nid = 0; nid < topo.nr_nodes; nid++)
		assert_int_equal(topo.os_node[nid], real[nid % nr_real]);
}

/*
 * cpu_to_node() as the file lists it: each PU in the node whose cpuset
 * holds it.  In 16amd64-4distances.xml PUs 0-1 sit in NUMANode os 1
 * (node id 1), PUs 2-3 in os 0, 6-7 in os 5, 10-11 in os 3.
 */
static void test_topology_xml_cpu_to_node_as_listed(void **state)
{
	static const int want[16] = { 1, 1, 0, 0, 2, 2, 5, 5, 4, 4, 3, 3, 6, 6, 7, 7 };

	(void)state;
	assert_int_equal(load_xml("16amd64-4distances.xml"), 0);
	assert_int_equal(topo.nr_pu_ids, 16);
	for (int cpu = 0; cpu < 16; cpu++)
		assert_int_equal(topo.pu_node[cpu], want[cpu] + 1);
	assert_int_equal(topo.pu_node[16], 0);
	/* A memory-only node (smaller cpuset wins, ties to the lower id) gets no CPU. */
	assert_int_equal(load_xml("cpuless-2s-20-30.xml"), 0);
	for (int cpu = 0; cpu < topo.nr_pu_ids; cpu++)
		assert_int_equal(topo.nr_cpus[topo.pu_node[cpu] - 1] > 0, 1);
}

/* ---- synthetic strings --------------------------------------------------------- */

static void check_uniform(int nr_nodes, int cpus, unsigned long mem)
{
	int i, j;

	assert_int_equal(topo.nr_nodes, nr_nodes);
	assert_true(topo.emulated);
	for (i = 0; i < nr_nodes; i++) {
		assert_int_equal(topo.nr_cpus[i], cpus);
		assert_int_equal(topo.mem_bytes[i], mem);
		for (j = 0; j < nr_nodes; j++)
			assert_int_equal(topo.distance[i][j], i == j ? 10 : 20);
	}
}

static void test_topology_synthetic_2_4_8(void **state)
{
	(void)state;
	assert_int_equal(bz__topology_discover(NULL, "synthetic:pack:2 numa:1 core:4 pu:1", &topo), 0);
	check_uniform(2, 4, 1ul << 30);        /* hwloc's default: 1 GiB a node */
	assert_string_equal(topo.source, "synthetic:pack:2 numa:1 core:4 pu:1");
	assert_int_equal(bz__topology_discover(NULL, "synthetic:pack:4 numa:1 core:2 pu:2", &topo), 0);
	check_uniform(4, 4, 1ul << 30);
	assert_int_equal(bz__topology_discover(NULL,
			 "synthetic:pack:2 group:4 numa:1(memory=64MiB) core:1 pu:1", &topo), 0);
	check_uniform(8, 1, 64ul << 20);
}

static void test_topology_synthetic_memory(void **state)
{
	(void)state;
	/* hwloc's "GB" is 10^9, "GiB" 2^30. */
	assert_int_equal(bz__topology_discover(NULL, "synthetic:numa:2(memory=16GB) pu:2", &topo), 0);
	check_uniform(2, 2, 16000000000ul);
	assert_int_equal(bz__topology_discover(NULL, "synthetic:numa:2(memory=2GiB) pu:1", &topo), 0);
	check_uniform(2, 1, 2ul << 30);
}

/* Two nodes under one package, like DRAM plus CXL/HBM: the second has no CPUs. */
static void test_topology_cpuless_node(void **state)
{
	(void)state;
	assert_int_equal(bz__topology_discover(NULL,
			 "synthetic:pack:2 [numa(memory=4GiB)] [numa(memory=16GiB)] core:2 pu:1",
			 &topo), 0);
	assert_int_equal(topo.nr_nodes, 4);
	assert_int_equal(topo.nr_cpus[0], 2);
	assert_int_equal(topo.nr_cpus[1], 0);
	assert_int_equal(topo.nr_cpus[2], 2);
	assert_int_equal(topo.nr_cpus[3], 0);
	assert_int_equal(topo.mem_bytes[0], 4ul << 30);
	assert_int_equal(topo.mem_bytes[1], 16ul << 30);
	assert_int_equal(topo.distance[0][1], 20);
	assert_int_equal(topo.distance[1][1], 10);
}

/* ---- errors ------------------------------------------------------------------------ */

static void expect_einval(const char *spec)
{
	int before = logged_errors;

	topo.nr_nodes = 99;
	assert_int_equal(bz__topology_discover(NULL, spec, &topo), -EINVAL);
	assert_int_equal(topo.nr_nodes, 0);
	assert_int_equal(logged_errors, before + 1);
}

static void test_topology_bad_specs(void **state)
{
	char readme[PATH_MAX + 8];

	(void)state;
	expect_einval("xml:/nonexistent/machine.xml");
	assert_non_null(strstr(last_error, "/nonexistent/machine.xml"));
	expect_einval("xml:");
	snprintf(readme, sizeof(readme), "xml:%s/README.md", topologies_dir());
	expect_einval(readme);
	expect_einval("synthetic:");
	expect_einval("synthetic:garbage:2");
	expect_einval("synthetic:pack:0 pu:1");
	expect_einval("numa:2");
	expect_einval("hwloc");
	/* More nodes than BZ_MAX_NUMNODES. */
	expect_einval("synthetic:numa:65 pu:1");
	assert_non_null(strstr(last_error, "64"));
	assert_int_equal(bz__topology_discover(NULL, "synthetic:numa:64 pu:1", &topo), 0);
	assert_int_equal(topo.nr_nodes, 64);
}

/* ---- this machine -------------------------------------------------------------------- */

static void check_machine(const char *spec)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nid, sum_cpus = 0;
	unsigned long mem = 0;

	assert_int_equal(bz__topology_discover(NULL, spec, &topo), 0);
	assert_true(topo.nr_nodes >= 1);
	assert_false(topo.emulated);
	for (nid = 0; nid < topo.nr_nodes; nid++) {
		sum_cpus += topo.nr_cpus[nid];
		mem += topo.mem_bytes[nid];
		assert_int_equal(topo.distance[nid][nid], 10);
	}
	assert_int_equal(sum_cpus, cpus);
	assert_true(mem > 0);
}

static void test_topology_machine(void **state)
{
	(void)state;
	check_machine(NULL);
	check_machine("");
	assert_string_equal(topo.source, "hwloc");
}

/* hwloc without its Linux backend knows no memory: libnuma/sysconf fill in. */
static void test_topology_machine_without_hwloc_linux(void **state)
{
	(void)state;
	setenv("HWLOC_COMPONENTS", "-linux", 1);
	check_machine(NULL);
	unsetenv("HWLOC_COMPONENTS");
}

/* HWLOC_XMLFILE makes hwloc describe another machine: that is an emulation. */
static void test_topology_hwloc_env_is_emulated(void **state)
{
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/power8gpudistances.xml", topologies_dir());
	setenv("HWLOC_XMLFILE", path, 1);
	assert_int_equal(bz__topology_discover(NULL, NULL, &topo), 0);
	unsetenv("HWLOC_XMLFILE");
	assert_true(topo.emulated);
	assert_int_equal(topo.nr_nodes, 2);
	assert_int_equal(topo.distance[0][1], 40);
	assert_non_null(strstr(topo.source, "env"));
}

/* The machine's nodes and distances are the kernel's, as libnuma sees them. */
static void test_topology_machine_matches_libnuma(void **state)
{
	int nid, j, nr_all = 0, nr_mem = 0, os;

	(void)state;
	if (numa_available() < 0)
		skip();
	check_machine(NULL);
	for (os = 0; os <= numa_max_node(); os++) {
		if (!numa_bitmask_isbitset(numa_nodes_ptr, os))
			continue;
		nr_all++;
		nr_mem += numa_node_size64(os, NULL) > 0;
	}
	/* Every node with memory; a memoryless CPU node may be folded away. */
	assert_true(topo.nr_nodes >= nr_mem && topo.nr_nodes <= nr_all);
	for (nid = 0; nid < topo.nr_nodes; nid++) {
		assert_true(numa_bitmask_isbitset(numa_nodes_ptr, topo.os_node[nid]));
		assert_true(nid == 0 || topo.os_node[nid] > topo.os_node[nid - 1]);
		for (j = 0; j < topo.nr_nodes; j++) {
			int d = numa_distance(topo.os_node[nid], topo.os_node[j]);

			if (d > 0)
				assert_int_equal(topo.distance[nid][j], d);
		}
	}
}

/* ---- the report ------------------------------------------------------------------------ */

static char *report(const char *spec)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	bz_config_init(&cfg);
	cfg.topology = spec;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(bz_write_topology(sys, f), 0);
	fclose(f);
	bz_system_destroy(sys);
	return buf;
}

static void test_topology_report_numactl_layout(void **state)
{
	char *text;

	(void)state;
	text = report("synthetic:pack:2 [numa(memory=64MiB)] [numa(memory=32MiB)] core:2 pu:1");
	assert_non_null(strstr(text, "available: 4 nodes (0-3)\n"));
	assert_non_null(strstr(text, "node 0 cpus: 0 1\n"));
	assert_non_null(strstr(text, "node 1 cpus:\n"));  /* memory-only */
	assert_non_null(strstr(text, "node 2 cpus: 2 3\n"));
	assert_non_null(strstr(text, "node 1 size: "));
	assert_non_null(strstr(text, "node 3 free: "));
	assert_non_null(strstr(text, "node distances:\nnode   0   1   2   3 \n"
				     "  0:  10  20  20  20 \n"));
	assert_non_null(strstr(text, "  3:  20  20  20  10 \n"));
	assert_non_null(strstr(text, "(emulated)"));
	assert_non_null(strstr(text, "node 3 is emulated: backed by"));
	assert_non_null(strstr(text, "not memory local"));
	assert_non_null(strstr(text, "hugetlb never"));
	free(text);
}

static void test_topology_report_machine(void **state)
{
	char *text;

	(void)state;
	text = report(NULL);
	assert_non_null(strstr(text, "available: "));
	assert_non_null(strstr(text, "node 0 cpus:"));
	assert_non_null(strstr(text, "node distances:\nnode   0 "));
	assert_non_null(strstr(text, "(this machine)"));
	assert_null(strstr(text, "is emulated"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology_xml_machines),
		cmocka_unit_test(test_topology_xml_os_order),
		cmocka_unit_test(test_topology_xml_backing_round_robin),
		cmocka_unit_test(test_topology_xml_cpu_to_node_as_listed),
		cmocka_unit_test(test_topology_synthetic_2_4_8),
		cmocka_unit_test(test_topology_synthetic_memory),
		cmocka_unit_test(test_topology_cpuless_node),
		cmocka_unit_test(test_topology_bad_specs),
		cmocka_unit_test(test_topology_machine),
		cmocka_unit_test(test_topology_machine_matches_libnuma),
		cmocka_unit_test(test_topology_machine_without_hwloc_linux),
		cmocka_unit_test(test_topology_hwloc_env_is_emulated),
		cmocka_unit_test(test_topology_report_numactl_layout),
		cmocka_unit_test(test_topology_report_machine),
	};

	return cmocka_run_group_tests(tests, setup_log, teardown_log);
}
