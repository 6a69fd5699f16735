// SPDX-License-Identifier: MIT
//
// bench_compaction.cpp - BM_compaction_order9/{0,1}: order-9 requests in a
// zone fragmented by movable order-0 pages (every other one freed), with
// compaction off (0) and on (1) (bench_compaction.c).  One iteration is
// one fresh system; its time is the order-9 phase only (manual time).
// Counters: order-9 blocks obtained, ns per block, pages migrated,
// direct compactions, and handles that lost their data (must be 0).
#include <benchmark/benchmark.h>

#include "bench_compaction.h"

namespace {

void BM_compaction_order9(benchmark::State &state)
{
	bz_compaction_result r{};

	for (auto _ : state) {
		if (bz_bench_compaction(static_cast<int>(state.range(0)), &r) || r.handles_bad) {
			state.SkipWithError(r.handles_bad ? "a handle lost its data" : "the compaction run failed");
			return;
		}
		state.SetIterationTime(r.alloc_ns / 1e9);
	}
	state.counters["blocks"] = static_cast<double>(r.blocks);
	state.counters["ns_per_block"] = r.blocks ? r.alloc_ns / static_cast<double>(r.blocks) : 0;
	state.counters["migrated"] = static_cast<double>(r.migrated);
	state.counters["migrate_fail"] = static_cast<double>(r.migrate_fail);
	state.counters["compact_stall"] = static_cast<double>(r.stalls);
}

BENCHMARK(BM_compaction_order9)->Arg(0)->Arg(1)->UseManualTime()->Iterations(20)->Unit(benchmark::kMicrosecond);

} // namespace
