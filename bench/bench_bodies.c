/* SPDX-License-Identifier: MIT */
/*
 * bench_bodies.c - what the benchmarks time, in C, against the public API.
 * The harness (bench_main.cpp) owns timing, registration and reporting.
 */
#include "bench_shim.h"

#include <stdio.h>

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
