// SPDX-License-Identifier: MIT
//
// bench_pressure.cpp - BM_pressure_alloc/<order>/1: allocation latency
// percentiles (p50, p99, p99.9, max) with a system kept full by a cache
// that only shrinks through its shrinker (bench_pressure.c).  One run of a
// million timed allocations per benchmark; the counters are nanoseconds
// per bz_alloc_pages call, plus how often reclaim ran.
#include <benchmark/benchmark.h>

#include "bench_pressure.h"

namespace {

constexpr size_t kAllocs = 1000000;

void BM_pressure_alloc(benchmark::State &state)
{
	const unsigned order = static_cast<unsigned>(state.range(0));
	bz_pressure_result r{};

	for (auto _ : state) {
		if (bz_bench_pressure(order, kAllocs, &r)) {
			state.SkipWithError("the pressure run failed");
			return;
		}
	}
	state.counters["p50_ns"] = r.p50_ns;
	state.counters["p99_ns"] = r.p99_ns;
	state.counters["p99.9_ns"] = r.p999_ns;
	state.counters["max_ns"] = r.max_ns;
	state.counters["mean_ns"] = r.mean_ns;
	state.counters["failures"] = static_cast<double>(r.failures);
	state.counters["allocstall"] = static_cast<double>(r.allocstall);
	state.counters["pageoutrun"] = static_cast<double>(r.pageoutrun);
	state.counters["shrunk"] = static_cast<double>(r.shrinker_freed);
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kAllocs));
}

BENCHMARK(BM_pressure_alloc)->ArgsProduct({{0, 3}, {1}})->Iterations(1)->Unit(benchmark::kMillisecond);

} // namespace
