/* SPDX-License-Identifier: MIT */
/*
 * bench_pressure.h - allocation latency under memory pressure (C body of
 * bench_pressure.cpp): a page cache that only shrinks through its
 * shrinker keeps a system full, so allocations run into kswapd and direct
 * reclaim; each allocation is timed on its own.
 */
#ifndef BZ_BENCH_PRESSURE_H
#define BZ_BENCH_PRESSURE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bz_pressure_result {
	double p50_ns, p99_ns, p999_ns, max_ns, mean_ns;   /* per bz_alloc_pages call */
	unsigned long allocs, failures;
	unsigned long allocstall;       /* direct reclaims (allocstall_normal) */
	unsigned long pageoutrun;       /* kswapd runs */
	unsigned long shrinker_freed;   /* blocks the cache's shrinker gave back */
};

/*
 * On a fresh 1 GiB system: fills it with the cache, then times allocs
 * GFP_KERNEL allocations of 2^order pages (each kept by the cache) with
 * clock_gettime around every call.  0, or -1 (with a message on stderr).
 */
int bz_bench_pressure(unsigned order, size_t allocs, struct bz_pressure_result *r);

#ifdef __cplusplus
}
#endif
#endif /* BZ_BENCH_PRESSURE_H */
