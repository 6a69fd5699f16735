// SPDX-License-Identifier: MIT
//
// bench_peers.cpp - libbuddyzone next to glibc, jemalloc, tcmalloc, mimalloc
// and mmap in one process: every scenario registered once per allocator
// that loaded, named BM_<scenario>/<allocator>/<argument>, plus the harness
// floor (the same loop around two calls that do nothing).  The bodies are
// C (bench_scenarios.c); this file times them.
#include <benchmark/benchmark.h>

#include <sched.h>

#include <string>
#include <vector>

#include "bench_peers.h"
#include "bench_shim.h"

namespace {

constexpr benchmark::IterationCount kBatch = 256;
constexpr uint64_t kSeed = 0x9E3779B97F4A7C15ull;

// The CPUs the process may use, before anything pins the main thread (the
// NUMA benchmarks do): threaded scenarios run their threads on all of them.
const cpu_set_t g_all_cpus = [] {
	cpu_set_t set;

	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof(set), &set);
	return set;
}();

// The calling thread on every CPU of the process while it lives.
class Unpinned {
public:
	Unpinned()
	{
		sched_getaffinity(0, sizeof(saved_), &saved_);
		sched_setaffinity(0, sizeof(g_all_cpus), &g_all_cpus);
	}
	~Unpinned() { sched_setaffinity(0, sizeof(saved_), &saved_); }

private:
	cpu_set_t saved_;
};

void check(benchmark::State &state, size_t failed)
{
	if (failed)
		state.SkipWithError("an allocation or free failed");
}

void BM_harness_floor(benchmark::State &state)
{
	size_t failed = 0;

	while (state.KeepRunningBatch(kBatch))
		failed += bz_bench_pairs(BZB_FLOOR, 0, kBatch);
	check(state, failed);
	state.SetItemsProcessed(state.iterations());
}

// Alloc + free of one block of 2^order pages.  Argument: order.
void BM_pair(benchmark::State &state, bz_bench_allocator a)
{
	const unsigned order = static_cast<unsigned>(state.range(0));
	size_t failed = 0;

	while (state.KeepRunningBatch(kBatch))
		failed += bz_bench_pairs(a, order, kBatch);
	check(state, failed);
	state.SetItemsProcessed(state.iterations());
}

// Order-0 pairs in every thread; items/s is the sum over threads.
void BM_pair_threads(benchmark::State &state, bz_bench_allocator a)
{
	Unpinned unpinned;
	size_t failed = 0;

	while (state.KeepRunningBatch(kBatch))
		failed += bz_bench_pairs(a, 0, kBatch);
	check(state, failed);
	state.SetItemsProcessed(state.iterations());
}

// range(0) pages allocated, then freed; an iteration is one page (its alloc and free).
void BM_burst(benchmark::State &state, bz_bench_allocator a)
{
	const size_t n = static_cast<size_t>(state.range(0));
	std::vector<void *> slots(n);
	size_t failed = 0;

	while (state.KeepRunningBatch(static_cast<benchmark::IterationCount>(n)))
		failed += bz_bench_burst(a, slots.data(), n);
	check(state, failed);
	state.SetItemsProcessed(state.iterations());
}

// A live set of range(0) MiB; an iteration is one block freed and one allocated.
void BM_liveset(benchmark::State &state, bz_bench_allocator a)
{
	bz_bench_live *ls = bz_bench_live_create(a, static_cast<size_t>(state.range(0)) << 20, kSeed);
	size_t failed = 0;

	if (!ls) {
		state.SkipWithError("could not build the live set");
		return;
	}
	while (state.KeepRunningBatch(kBatch))
		failed += bz_bench_live_replace(ls, kBatch);
	failed += bz_bench_live_destroy(ls);
	check(state, failed);
	state.SetItemsProcessed(state.iterations());
}

// This thread allocates pages, a consumer thread frees them; items/s is pages/s.
void BM_prodcons(benchmark::State &state, bz_bench_allocator a)
{
	Unpinned unpinned;
	bz_bench_pc *pc = bz_bench_pc_start(a);
	size_t failed = 0;

	if (!pc) {
		state.SkipWithError("could not start the consumer");
		return;
	}
	while (state.KeepRunningBatch(kBatch))
		failed += bz_bench_pc_produce(pc, kBatch);
	failed += bz_bench_pc_stop(pc);
	check(state, failed);
	state.SetItemsProcessed(state.iterations());
}

// A zero-filled page, one byte written, freed.
void BM_zeroed(benchmark::State &state, bz_bench_allocator a)
{
	size_t failed = 0;

	while (state.KeepRunningBatch(kBatch))
		failed += bz_bench_zeroed(a, kBatch);
	check(state, failed);
	state.SetItemsProcessed(state.iterations());
}

} // namespace

void bz_bench_register_peers()
{
	benchmark::RegisterBenchmark("BM_harness_floor", BM_harness_floor);
	for (int i = 0; i < BZB_NR_ALLOCATORS; i++) {
		const auto a = static_cast<bz_bench_allocator>(i);
		const std::string name = std::string("/") + bz_bench_allocator_name(a);

		if (bz_bench_allocator_missing(a))
			continue;
		benchmark::RegisterBenchmark(("BM_pair" + name).c_str(), BM_pair, a)->Arg(0)->Arg(9);
		benchmark::RegisterBenchmark(("BM_burst" + name).c_str(), BM_burst, a)->Arg(4096);
		benchmark::RegisterBenchmark(("BM_liveset" + name).c_str(), BM_liveset, a)->Arg(64);
		benchmark::RegisterBenchmark(("BM_prodcons" + name).c_str(), BM_prodcons, a)->UseRealTime();
		benchmark::RegisterBenchmark(("BM_zeroed" + name).c_str(), BM_zeroed, a);
		benchmark::RegisterBenchmark(("BM_pair_threads" + name).c_str(), BM_pair_threads, a)
			->Threads(1)
			->Threads(2)
			->Threads(4)
			->UseRealTime();
	}
}
