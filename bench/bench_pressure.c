/* SPDX-License-Identifier: MIT */
/*
 * bench_pressure.c - the body of BM_pressure_alloc: a FIFO cache of blocks
 * with a shrinker (the oldest blocks go first, as a page cache's LRU
 * would) is the only user of a 1 GiB system.  It never frees on its own,
 * so once the system is full every allocation depends on reclaim: kswapd
 * woken below the low watermark, direct reclaim when kswapd falls behind.
 * Latencies are taken per call with CLOCK_MONOTONIC and sorted for the
 * percentiles; blocks are never touched (allocator work only).
 */
#include "bench_pressure.h"
#include "bench_shim.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <buddyzone/buddyzone.h>

struct fifo_cache {
	struct bz_shrinker shrinker;    /* first: callbacks cast back */
	pthread_mutex_t lock;
	bz_page **ring;
	size_t head, tail, cap;         /* blocks head - tail, oldest at tail */
	unsigned order;
	atomic_ulong freed;
};

static unsigned long fifo_count(struct bz_shrinker *s, struct bz_shrink_control *sc)
{
	struct fifo_cache *c = (struct fifo_cache *)s;
	size_t n;

	(void)sc;
	pthread_mutex_lock(&c->lock);
	n = c->head - c->tail;
	pthread_mutex_unlock(&c->lock);
	return n ? n : BZ_SHRINK_EMPTY;
}

static unsigned long fifo_scan(struct bz_shrinker *s, struct bz_shrink_control *sc)
{
	struct fifo_cache *c = (struct fifo_cache *)s;
	unsigned long freed = 0;

	pthread_mutex_lock(&c->lock);
	while (freed < sc->nr_to_scan && c->tail != c->head) {
		bz_free_pages(c->ring[c->tail++ % c->cap], c->order);
		freed++;
	}
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add(&c->freed, freed);
	return freed;
}

static void fifo_push(struct fifo_cache *c, bz_page *pg)
{
	pthread_mutex_lock(&c->lock);
	c->ring[c->head++ % c->cap] = pg;
	pthread_mutex_unlock(&c->lock);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return (double)sorted[i < n ? i : n - 1];
}

/* Times n allocations into the cache; the latencies go to lat. */
static unsigned long timed_run(bz_system *sys, struct fifo_cache *c, uint64_t *lat, size_t n)
{
	unsigned long failures = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		bz_page *pg = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, c->order);

		lat[i] = now_ns() - t0;
		if (pg)
			fifo_push(c, pg);
		else
			failures++;
	}
	return failures;
}

static void summarize(uint64_t *lat, size_t n, struct bz_pressure_result *r)
{
	double sum = 0;

	qsort(lat, n, sizeof(lat[0]), cmp_u64);
	for (size_t i = 0; i < n; i++)
		sum += (double)lat[i];
	r->p50_ns = percentile(lat, n, 0.50);
	r->p99_ns = percentile(lat, n, 0.99);
	r->p999_ns = percentile(lat, n, 0.999);
	r->max_ns = (double)lat[n - 1];
	r->mean_ns = sum / (double)n;
	r->allocs = n;
}

int bz_bench_pressure(unsigned order, size_t allocs, struct bz_pressure_result *r)
{
	struct fifo_cache c = { .shrinker = { fifo_count, fifo_scan, BZ_DEFAULT_SEEKS, 0, 0, NULL },
				.order = order };
	bz_system *sys = bz_bench_system_create();
	uint64_t *lat = calloc(allocs ? allocs : 1, sizeof(*lat));
	size_t total = 262144ul >> order;

	if (!sys || !lat || !allocs) {
		fprintf(stderr, "bzbench: pressure: no system or no memory\n");
		free(lat);
		bz_bench_system_destroy(sys);
		return -1;
	}
	pthread_mutex_init(&c.lock, NULL);
	c.cap = total + allocs + 1;
	c.ring = calloc(c.cap, sizeof(*c.ring));
	bz_shrinker_register(sys, &c.shrinker);
	/* Fill the system: from here on every block the cache takes is reclaimed from it. */
	timed_run(sys, &c, lat, allocs < total ? allocs : total);
	memset(r, 0, sizeof(*r));
	r->failures = timed_run(sys, &c, lat, allocs);
	r->allocstall = bz_bench_json_event(sys, "allocstall_normal");
	r->pageoutrun = bz_bench_json_event(sys, "pageoutrun");
	summarize(lat, allocs, r);
	bz_shrinker_unregister(sys, &c.shrinker);
	r->shrinker_freed = atomic_load(&c.freed);
	while (c.tail != c.head)
		bz_free_pages(c.ring[c.tail++ % c.cap], order);
	bz_bench_system_destroy(sys);
	pthread_mutex_destroy(&c.lock);
	free(c.ring);
	free(lat);
	return 0;
}
