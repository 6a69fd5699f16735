/* SPDX-License-Identifier: MIT */
/*
 * bench_compaction.c - the body of BM_compaction_order9: the issue's
 * scenario.  An application owns movable order-0 pages through a handle
 * table (page->private holds the handle; migrate_page repoints it), fills
 * a zone with them, frees every other one so that no free block above
 * order 0 is left, and then asks for order-9 blocks until one fails.
 * Without compaction the first fails; with it, each request compacts
 * directly.  Only the order-9 phase is timed.  Afterwards every handle is
 * checked against the word it was stamped with.
 */
#include "bench_compaction.h"
#include "bench_shim.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <buddyzone/buddyzone.h>

#define ZONE_PAGES 16384
#define MAX_BLOCKS 64

/* The callbacks get no context: one application at a time (the benchmark is single-threaded). */
static bz_page **handle;

static uint64_t stamp(size_t id)
{
	return (uint64_t)id * 0x9e3779b97f4a7c15ull;
}

static bool isolate(bz_page *page, unsigned mode)
{
	(void)page;
	(void)mode;
	return true;
}

static int migrate(bz_page *dst, bz_page *src, enum bz_migrate_mode mode)
{
	(void)mode;
	handle[bz_page_private(src)] = dst;
	return BZ_MIGRATEPAGE_SUCCESS;
}

static void putback(bz_page *page)
{
	(void)page;
}

static const struct bz_movable_operations ops = { isolate, migrate, putback };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Movable pages until none is left, each stamped with its handle; how many. */
static size_t fill(bz_system *sys)
{
	size_t n = 0;
	bz_page *page;

	while (n < ZONE_PAGES && (page = bz_alloc_pages(sys, BZ_GFP_NOWAIT | BZ_GFP_MOVABLE, 0))) {
		*(uint64_t *)bz_page_address(page) = stamp(n);
		bz_set_page_private(page, n);
		bz_set_page_movable(page, &ops);
		handle[n++] = page;
	}
	return n;
}

static void release(size_t n)
{
	for (size_t id = 0; id < n; id++)
		if (handle[id]) {
			bz_clear_page_movable(handle[id]);
			bz_free_pages(handle[id], 0);
			handle[id] = NULL;
		}
}

static unsigned long bad_handles(size_t n)
{
	unsigned long bad = 0;

	for (size_t id = 0; id < n; id++)
		if (handle[id] && (*(uint64_t *)bz_page_address(handle[id]) != stamp(id) ||
				   bz_page_private(handle[id]) != id))
			bad++;
	return bad;
}

int bz_bench_compaction(int compaction, struct bz_compaction_result *r)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	bz_page *blocks[MAX_BLOCKS];
	size_t n;
	double t0;

	memset(r, 0, sizeof(*r));
	bz_config_init(&cfg);
	cfg.zones = "0:Normal=16384";
	cfg.cpus_per_node = 1;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.compaction = compaction;
	cfg.compaction_proactiveness = 0;
	handle = calloc(ZONE_PAGES, sizeof(*handle));
	if (!handle || bz_system_create(&cfg, &sys)) {
		fprintf(stderr, "bzbench: compaction: no system or no memory\n");
		free(handle);
		return -1;
	}
	n = fill(sys);
	for (size_t id = 1; id < n; id += 2) {
		bz_clear_page_movable(handle[id]);
		bz_free_pages(handle[id], 0);
		handle[id] = NULL;
	}
	bz_drain_all_pages(sys);
	t0 = now_ns();
	while (r->blocks < MAX_BLOCKS &&
	       (blocks[r->blocks] = bz_alloc_pages(sys, BZ_GFP_TRANSHUGE, BZ_PAGEBLOCK_ORDER)))
		r->blocks++;
	r->alloc_ns = now_ns() - t0;
	r->migrated = bz_bench_json_event(sys, "pgmigrate_success");
	r->migrate_fail = bz_bench_json_event(sys, "pgmigrate_fail");
	r->stalls = bz_bench_json_event(sys, "compact_stall");
	r->handles_bad = bad_handles(n);
	for (unsigned long i = 0; i < r->blocks; i++)
		bz_free_pages(blocks[i], BZ_PAGEBLOCK_ORDER);
	release(n);
	bz_system_destroy(sys);
	free(handle);
	handle = NULL;
	return 0;
}
