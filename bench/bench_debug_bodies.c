/* SPDX-License-Identifier: MIT */
/*
 * bench_debug_bodies.c - systems for bench_debug.cpp: the benchmark layout
 * with debug options and a fault-injection spec set in the config.
 */
#include "bench_shim.h"

#include <stdio.h>

bz_system *bz_bench_debug_system_create(unsigned debug, const char *fail_spec)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	int err;

	bz_config_init(&cfg);
	cfg.zones = BZ_BENCH_ZONES;
	cfg.debug = debug;
	cfg.fail_page_alloc = fail_spec ? fail_spec : "";
	err = bz_system_create(&cfg, &sys);
	if (err) {
		fprintf(stderr, "bzbench: bz_system_create(debug %#x, %s): %s\n", debug,
			fail_spec ? fail_spec : "no injection", bz_strerror(err));
		return NULL;
	}
	return sys;
}
