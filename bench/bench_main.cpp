// SPDX-License-Identifier: MIT
//
// bench_main.cpp - the Google Benchmark harness over the C bodies of
// bench_bodies.c.  Benchmarks are named BM_<op>/<order>/<threads>; every one
// runs on a single system built before the first timed loop.
//
//   ./build/bench/bzbench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_peers.h"
#include "bench_shim.h"

namespace {

bz_system *g_sys;

// Iterations run in batches so that the timed loop is one C call per batch.
constexpr benchmark::IterationCount kBatch = 256;

// alloc_pages + __free_pages of one block of 2^order pages.  Orders 0..3
// and 9 (pcp_allowed_order) are served by the thread's page cache; 4 and 10
// go to the buddy lists every time.  Arguments: order, threads (1 for now).
void BM_buddy_alloc_free(benchmark::State &state)
{
	const unsigned order = static_cast<unsigned>(state.range(0));
	size_t failed = 0;

	while (state.KeepRunningBatch(kBatch))
		failed += bz_bench_alloc_free(g_sys, order, kBatch);
	if (failed)
		state.SkipWithError("an allocation or free failed");
	state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_buddy_alloc_free)->ArgsProduct({{0, 3, 4, 9, 10}, {1}});

// The buddy path at cached orders: blocks of 2^order pages, four times the
// zone's pcp high_max in all, allocated then freed, so the cache cannot hold
// them and most pages pass through rmqueue_bulk and free_pcppages_bulk.  An
// iteration is one block's alloc and free.  Arguments: order, threads (1).
void BM_buddy_batch(benchmark::State &state)
{
	const unsigned order = static_cast<unsigned>(state.range(0));
	struct bz_zone_stats st = {};
	size_t failed = 0, blocks;

	st.size = sizeof(st);
	if (bz_zone_stats(g_sys, 0, BZ_ZONE_NORMAL, &st)) {
		state.SkipWithError("bz_zone_stats failed");
		return;
	}
	blocks = std::max<size_t>((4 * st.pcp_high_max) >> order, 2);
	std::vector<bz_page *> slots(blocks);
	while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(blocks)))
		failed += bz_bench_buddy_batch(g_sys, order, slots.data(), blocks);
	if (failed)
		state.SkipWithError("an allocation or free failed");
	state.SetItemsProcessed(state.iterations());
	state.SetLabel(std::to_string(blocks) + " blocks a batch");
}

BENCHMARK(BM_buddy_batch)->ArgsProduct({{0, 3, 9}, {1}});

bz_system *g_numa;
int g_local, g_remote, g_emulated;

// bz_alloc_pages_node(nid, GFP_KERNEL, order), first cache line of each page
// written, 1024 blocks in flight.  The label says whether the remote node is
// real memory of another node or an emulated node on the same memory.
void numa_alloc_touch(benchmark::State &state, int nid)
{
	const unsigned order = static_cast<unsigned>(state.range(0));
	size_t failed = 0;

	while (state.KeepRunningBatch(kBatch))
		failed += bz_bench_node_alloc_touch(g_numa, nid, order, kBatch);
	failed += bz_bench_node_ring_release(order);
	if (failed)
		state.SkipWithError("an allocation or free failed");
	state.SetItemsProcessed(state.iterations());
	state.SetLabel(g_emulated ? "emulated nodes: local and remote on the same real memory"
				  : "real NUMA nodes");
}

// Pages from the thread's own node, and from another node.  Arguments: order, threads (1).
void BM_numa_local(benchmark::State &state)
{
	numa_alloc_touch(state, g_local);
}

void BM_numa_remote(benchmark::State &state)
{
	numa_alloc_touch(state, g_remote);
}

BENCHMARK(BM_numa_local)->ArgsProduct({{0, 3}, {1}});
BENCHMARK(BM_numa_remote)->ArgsProduct({{0, 3}, {1}});

} // namespace

int main(int argc, char **argv)
{
	bz_bench_allocators_load(argv);  // first: it may run the program again
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	g_sys = bz_bench_system_create();
	if (!g_sys)
		return 1;
	bz_bench_allocators_set_system(g_sys);
	bz_bench_register_peers();
	g_numa = bz_bench_numa_system_create(&g_local, &g_remote, &g_emulated);
	if (!g_numa)
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	bz_bench_system_destroy(g_numa);
	bz_bench_system_destroy(g_sys);
	return 0;
}
