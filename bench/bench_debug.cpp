// SPDX-License-Identifier: MIT
//
// bench_debug.cpp - what debug mode and fault injection cost: order-0 and
// order-3 alloc+free pairs with each option on, next to the same with
// none (BM_alloc_free_off).  Each benchmark builds its own system (outside
// the timed loop) with the option set in bz_config.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_shim.h"

namespace {

constexpr benchmark::IterationCount kBatch = 256;

struct debug_option {
	const char *name;
	unsigned debug;         // BZ_DEBUG_* flags
	const char *fail;       // a fault-injection spec, or nullptr
};

const debug_option options[] = {
	{ "off", 0, nullptr },
	{ "poison", BZ_DEBUG_POISON, nullptr },
	{ "init_on_alloc", BZ_DEBUG_INIT_ON_ALLOC, nullptr },
	{ "init_on_free", BZ_DEBUG_INIT_ON_FREE, nullptr },
	{ "guard", BZ_DEBUG_GUARD, nullptr },
	{ "check", BZ_DEBUG_CHECK, nullptr },           // bz_check every 1000 operations
	{ "abort", BZ_DEBUG_ABORT, nullptr },           // no per-block work: the fast paths off
	{ "fail_page_alloc", 0, "probability=100,min-order=11" }, // on, never failing
};

void BM_alloc_free_debug(benchmark::State &state, const debug_option *opt)
{
	const unsigned order = static_cast<unsigned>(state.range(0));
	bz_system *sys = bz_bench_debug_system_create(opt->debug, opt->fail);
	size_t failed = 0;

	if (!sys) {
		state.SkipWithError("bz_system_create failed");
		return;
	}
	while (state.KeepRunningBatch(kBatch))
		failed += bz_bench_alloc_free(sys, order, kBatch);
	if (failed)
		state.SkipWithError("an allocation or free failed");
	state.SetItemsProcessed(state.iterations());
	bz_bench_system_destroy(sys);
}

// Named BM_alloc_free_<option>/<order>/<threads>.
const int registered = [] {
	for (const debug_option &opt : options)
		benchmark::RegisterBenchmark((std::string("BM_alloc_free_") + opt.name).c_str(),
					     BM_alloc_free_debug, &opt)
			->ArgsProduct({ { 0, 3 }, { 1 } });
	return 0;
}();

} // namespace
