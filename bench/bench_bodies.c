/* SPDX-License-Identifier: MIT */
/*
 * bench_bodies.c - what the benchmarks time, in C, against the public API.
 * The harness (bench_main.cpp) owns timing, registration and reporting.
 */
#include "bench_shim.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bz_system *bz_bench_system_create(void)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	int err;

	bz_config_init(&cfg);
	cfg.zones = BZ_BENCH_ZONES;
	err = bz_system_create(&cfg, &sys);
	if (err) {
		fprintf(stderr, "bzbench: bz_system_create(%s): %s\n", BZ_BENCH_ZONES,
			bz_strerror(err));
		return NULL;
	}
	return sys;
}

void bz_bench_system_destroy(bz_system *sys)
{
	bz_system_destroy(sys);
}

/*
 * The block is neither written nor read: this times the allocator's own
 * work (zone choice, watermark test, split on allocation, merge on free),
 * not page faults or memset.
 */
size_t bz_bench_alloc_free(bz_system *sys, unsigned order, size_t iters)
{
	size_t failed = 0;

	for (size_t i = 0; i < iters; i++) {
		bz_page *page = bz_alloc_pages(sys, BZ_GFP_KERNEL, order);

		if (!page || bz_free_pages(page, order) != 0)
			failed++;
	}
	return failed;
}

/* Freed in the order they came, so the cache overflows and drains in batches. */
size_t bz_bench_buddy_batch(bz_system *sys, unsigned order, bz_page **slots, size_t blocks)
{
	size_t failed = 0;

	for (size_t i = 0; i < blocks; i++) {
		slots[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, order);
		failed += !slots[i];
	}
	for (size_t i = 0; i < blocks; i++)
		if (slots[i] && bz_free_pages(slots[i], order) != 0)
			failed++;
	return failed;
}

/* ---- NUMA: local against remote ---------------------------------------------------- */

#define NUMA_EMULATED_TOPOLOGY "synthetic:numa:2 pu:1"
#define NUMA_EMULATED_ZONES "0:Normal=262144,1:Normal=262144"

static bz_system *numa_create(const char *topology, const char *zones, int cpus_per_node)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	int err;

	bz_config_init(&cfg);
	cfg.topology = topology;
	cfg.zones = zones;
	cfg.cpus_per_node = cpus_per_node;
	err = bz_system_create(&cfg, &sys);
	if (err) {
		fprintf(stderr, "bzbench: bz_system_create(%s): %s\n", topology ? topology : "this machine",
			bz_strerror(err));
		return NULL;
	}
	return sys;
}

/* What the topology report says: "topology: SOURCE (emulated)" or "(this machine)". */
static int topology_emulated(bz_system *sys)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int emulated = 1;

	if (f && bz_write_topology(sys, f) == 0 && fclose(f) == 0)
		emulated = strstr(text, " (emulated)\n") != NULL;
	free(text);
	return emulated;
}

bz_system *bz_bench_numa_system_create(int *local, int *remote, int *emulated)
{
	int cpu = sched_getcpu();
	cpu_set_t set;
	bz_system *sys;
	bz_page *page;

	/* Stay on one CPU, so that "local" keeps meaning the same node. */
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	*emulated = 0;
	sys = numa_create(NULL, NULL, BZ_DEFAULT);
	/* Two nodes or more are not enough: HWLOC_XMLFILE may have made them up. */
	if (sys && bz_nr_nodes(sys) >= 2)
		*emulated = topology_emulated(sys);
	if (sys && bz_nr_nodes(sys) < 2) {
		bz_system_destroy(sys);
		*emulated = 1;
		/* Every CPU below 4096 is dealt to node 0 of the emulation. */
		sys = numa_create(NUMA_EMULATED_TOPOLOGY, NUMA_EMULATED_ZONES, 4096);
	}
	if (!sys)
		return NULL;
	page = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
	if (!page) {
		fprintf(stderr, "bzbench: no page for finding the local node\n");
		bz_system_destroy(sys);
		return NULL;
	}
	*local = bz_page_to_nid(page);
	*remote = (*local + 1) % bz_nr_nodes(sys);
	bz_free_pages(page, 0);
	return sys;
}

static bz_page *ring[BZ_BENCH_NUMA_RING];
static size_t ring_head;

size_t bz_bench_node_alloc_touch(bz_system *sys, int nid, unsigned order, size_t iters)
{
	size_t failed = 0, head = ring_head;

	for (size_t i = 0; i < iters; i++) {
		bz_page *page;
		char *addr;

		if (ring[head] && bz_free_pages(ring[head], order) != 0)
			failed++;
		ring[head] = page = bz_alloc_pages_node(sys, nid, BZ_GFP_KERNEL, order);
		if (!page) {
			failed++;
			continue;
		}
		addr = bz_page_address(page);
		for (size_t p = 0; p < (1ul << order); p++)
			memset(addr + p * BZ_PAGE_SIZE, (int)i, 64);
		head = (head + 1) % BZ_BENCH_NUMA_RING;
	}
	ring_head = head;
	return failed;
}

size_t bz_bench_node_ring_release(unsigned order)
{
	size_t failed = 0;

	for (size_t k = 0; k < BZ_BENCH_NUMA_RING; k++) {
		if (ring[k] && bz_free_pages(ring[k], order) != 0)
			failed++;
		ring[k] = NULL;
	}
	ring_head = 0;
	return failed;
}

unsigned long bz_bench_json_event(bz_system *sys, const char *name)
{
	char *text = NULL, key[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned long v = 0;
	const char *at;

	if (!f)
		return 0;
	bz_write_json(sys, f);
	fclose(f);
	snprintf(key, sizeof(key), "\"%s\":", name);
	at = strstr(text, key);
	if (at)
		v = strtoul(at + strlen(key), NULL, 10);
	free(text);
	return v;
}
