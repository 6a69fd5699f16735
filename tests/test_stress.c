/* SPDX-License-Identifier: MIT */
/*
 * test_stress.c - a seeded random walk of a million allocations and frees
 * of mixed orders, zones and migratetypes, near and past the watermarks.
 * Every block handed out must be aligned, in the zone its flags allow, and
 * disjoint from every other live block (checked with a pfn map and with
 * a pattern written into each block); bz_check runs at checkpoints; at the
 * end everything is freed and every page is free again.
 */
#include <stdlib.h>

#include "common.h"

#define LAYOUT "0:DMA=4096,0:DMA32=32768,0:Normal=65536"
#define OPS 1000000
#define MAX_LIVE 4096
#define MAX_PFN (1048576 + 65536)

struct live {
	bz_page *page;
	unsigned order;
	unsigned char pattern;
};

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* Mostly small orders, as real workloads; sometimes large ones. */
static unsigned random_order(void)
{
	uint32_t r = rnd() % 100;

	if (r < 60)
		return 0;
	if (r < 80)
		return 1 + rnd() % 3;
	if (r < 97)
		return 4 + rnd() % 5;
	return 9 + rnd() % 2;
}

static bz_gfp_t random_gfp(int *max_zone)
{
	static const struct {
		bz_gfp_t gfp;
		int max_zone;
	} kinds[] = {
		{ BZ_GFP_KERNEL, BZ_ZONE_NORMAL },
		{ BZ_GFP_KERNEL | BZ_GFP_RECLAIMABLE, BZ_ZONE_NORMAL },
		{ BZ_GFP_HIGHUSER_MOVABLE, BZ_ZONE_MOVABLE },
		{ BZ_GFP_ATOMIC, BZ_ZONE_NORMAL },
		{ BZ_GFP_NOWAIT, BZ_ZONE_NORMAL },
		{ BZ_GFP_KERNEL | BZ_GFP_DMA32, BZ_ZONE_DMA32 },
		{ BZ_GFP_KERNEL | BZ_GFP_DMA, BZ_ZONE_DMA },
		{ BZ_GFP_KERNEL | BZ_GFP_ZERO, BZ_ZONE_NORMAL },
	};
	int k = (int)(rnd() % (sizeof(kinds) / sizeof(kinds[0])));

	*max_zone = kinds[k].max_zone;
	return kinds[k].gfp | BZ_GFP_NOWARN;
}

static void mark(unsigned char *map, unsigned long pfn, unsigned order, unsigned char v)
{
	for (unsigned long i = 0; i < (1ul << order); i++) {
		assert_true(pfn + i < MAX_PFN);
		if (v)
			assert_int_equal(map[pfn + i], 0); /* overlapping blocks */
		map[pfn + i] = v;
	}
}

static void check_pattern(const struct live *l)
{
	const unsigned char *a = bz_page_address(l->page);
	size_t size = BZ_PAGE_SIZE << l->order;

	assert_int_equal(a[0], l->pattern);
	assert_int_equal(a[size / 2], l->pattern);
	assert_int_equal(a[size - 1], l->pattern);
}

static void release(struct live *l, unsigned char *map)
{
	check_pattern(l);
	mark(map, bz_page_to_pfn(l->page), l->order, 0);
	assert_int_equal(bz_free_pages(l->page, l->order), 0);
}

static void test_random_walk_million_ops(void **state)
{
	(void)state;
	bz_system *sys = make_system(LAYOUT, 2, NULL);
	unsigned long managed = total_free(sys);
	unsigned char *map = calloc(MAX_PFN, 1);
	struct live *live = calloc(MAX_LIVE, sizeof(*live));
	unsigned long failures = 0;
	size_t nr = 0;

	rng_state = 0x9e3779b97f4a7c15ull;
	for (long op = 0; op < OPS; op++) {
		/* Grow while below a moving target, so memory runs out now and then. */
		size_t target = (size_t)(op / 50000 % 2 ? MAX_LIVE : 256);

		if (nr && (nr >= target || rnd() % 2)) {
			size_t i = rnd() % nr;

			release(&live[i], map);
			live[i] = live[--nr];
		} else {
			int max_zone;
			bz_gfp_t gfp = random_gfp(&max_zone);
			unsigned order = random_order();
			bz_page *p = bz_alloc_pages(sys, gfp, order);
			unsigned char *a;

			if (!p) {
				failures++;
				continue;
			}
			assert_true(bz_page_zonenum(p) <= max_zone);
			assert_int_equal(bz_page_to_pfn(p) % (1ul << order), 0);
			mark(map, bz_page_to_pfn(p), order, 1);
			a = bz_page_address(p);
			if (gfp & BZ_GFP_ZERO)
				assert_true(a[0] == 0 && a[(BZ_PAGE_SIZE << order) - 1] == 0);
			live[nr] = (struct live){ p, order, (unsigned char)(1 + rnd() % 255) };
			memset(a, live[nr].pattern, BZ_PAGE_SIZE << order);
			nr++;
		}
		if (op % 100000 == 0)
			assert_int_equal(bz_check(sys), 0);
	}
	assert_true(failures > 0); /* memory did run out at times */
	while (nr)
		release(&live[--nr], map);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(total_free(sys), managed);
	free(map);
	free(live);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_walk_million_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
