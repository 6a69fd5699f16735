/* SPDX-License-Identifier: MIT */
/*
 * bench_shim.h - the C benchmark bodies, callable from the C++ harness.
 *
 * Each body runs an operation a given number of times and returns how many
 * of them failed, so the harness can time whole batches and still notice a
 * broken run.  Systems are built outside the timed loops.
 */
#ifndef BZ_BENCH_SHIM_H
#define BZ_BENCH_SHIM_H

#include <stddef.h>
#include <buddyzone/buddyzone.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The layout every benchmark runs on: one node, 1 GiB of ZONE_NORMAL. */
#define BZ_BENCH_ZONES "0:Normal=262144"

/* Builds the benchmark system; NULL (with a message on stderr) on failure. */
bz_system *bz_bench_system_create(void);
void bz_bench_system_destroy(bz_system *sys);

/*
 * The benchmark system with debug options (BZ_DEBUG_*) and a fault-injection
 * spec (NULL: none) in its config; NULL, with a message, on failure.
 */
bz_system *bz_bench_debug_system_create(unsigned debug, const char *fail_spec);

/* iters times: allocate a block of 2^order pages with GFP_KERNEL and free it. */
size_t bz_bench_alloc_free(bz_system *sys, unsigned order, size_t iters);

#ifdef __cplusplus
}
#endif
#endif /* BZ_BENCH_SHIM_H */
