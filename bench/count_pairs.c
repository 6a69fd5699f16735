/* SPDX-License-Identifier: MIT */
/*
 * count_pairs.c - N alloc+free pairs with one allocator, for counting
 * instructions: run it under callgrind at two values of N and divide the
 * difference by their difference, so that start-up and exit cancel out
 * (count_pairs.sh does that).  The pairs are bzbench's own loop
 * (bz_bench_pairs), on the same system layout.
 *
 *   count_pairs ALLOCATOR N [ORDER]
 *   ALLOCATOR: libbuddyzone glibc jemalloc tcmalloc mimalloc mmap floor
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_shim.h"

static int parse_allocator(const char *name, enum bz_bench_allocator *a)
{
	for (int i = 0; i <= BZB_FLOOR; i++) {
		if (!strcmp(name, bz_bench_allocator_name((enum bz_bench_allocator)i))) {
			*a = (enum bz_bench_allocator)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bz_system *system_create(void)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	int err;

	bz_config_init(&cfg);
	cfg.zones = BZ_BENCH_ZONES;
	err = bz_system_create(&cfg, &sys);
	if (err)
		fprintf(stderr, "count_pairs: bz_system_create(%s): %s\n", BZ_BENCH_ZONES, bz_strerror(err));
	return sys;
}

int main(int argc, char **argv)
{
	enum bz_bench_allocator a;
	unsigned long order = 0;
	size_t n, failed;
	const char *why;
	bz_system *sys;
	char *end;

	if (argc < 3 || argc > 4 || parse_allocator(argv[1], &a)) {
		fprintf(stderr, "usage: count_pairs libbuddyzone|glibc|jemalloc|tcmalloc|mimalloc|mmap|floor N [ORDER]\n");
		return 2;
	}
	n = strtoul(argv[2], &end, 0);
	if (*end || (argc == 4 && ((order = strtoul(argv[3], &end, 0)) > BZ_MAX_ORDER || *end))) {
		fprintf(stderr, "count_pairs: bad N or ORDER\n");
		return 2;
	}
	bz_bench_allocators_load(argv);
	sys = system_create();
	if (!sys)
		return 1;
	bz_bench_allocators_set_system(sys);
	why = a == BZB_FLOOR ? NULL : bz_bench_allocator_missing(a);
	if (why) {
		fprintf(stderr, "count_pairs: %s is not available: %s\n", argv[1], why);
		return 1;
	}
	failed = bz_bench_pairs(a, (unsigned)order, n);
	printf("%s: %zu order-%lu pairs, %zu failed\n", argv[1], n, order, failed);
	bz_system_destroy(sys);
	return failed ? 1 : 0;
}
