// SPDX-License-Identifier: MIT
//
// bench_main.cpp - the Google Benchmark harness over the C bodies of
// bench_bodies.c.  Benchmarks are named BM_<op>/<order>/<threads>; every one
// runs on a single system built before the first timed loop.
//
//   ./build/bench/bzbench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdio>

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

} // namespace

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	g_sys = bz_bench_system_create();
	if (!g_sys)
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	bz_bench_system_destroy(g_sys);
	return 0;
}
