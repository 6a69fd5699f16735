/* SPDX-License-Identifier: MIT */
/*
 * test_pcp.c - the per-thread caches under threads: random mixed-order
 * allocation with frees by other threads, exhaustion near the watermarks,
 * thousands of short-lived threads, bz_drain_all_pages while owners run,
 * fork while others allocate, a system destroyed while threads still hold
 * caches.  bz_check after joining; every test also runs under TSan in CI.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "wait.h"

#define THREADS 4

struct ring {                     /* blocks handed from one thread to another */
	pthread_mutex_t lock;
	bz_page *page[1024];
	unsigned order[1024];
	unsigned head, tail;
};

struct shared {
	bz_system *sys;
	struct ring ring[THREADS];
	_Atomic int stop;
	_Atomic long allocs, fails;
	int ops;
	/* The extra thread's rounds: the workers go on until it made extra_target of them. */
	_Atomic long extra_rounds;
	long extra_target;
	double deadline;
	pthread_barrier_t start;        /* the workers begin together */
	struct thread_failures tf;
};

#define SHARED_INIT(zones, cpus) \
	{ .sys = make_system((zones), (cpus), NULL), .ops = 20000, .tf = THREAD_FAILURES_INIT }

/* A worker's ops done: its quota, and the extra thread ran alongside (or time is up). */
static bool worker_done(struct shared *sh, int i)
{
	if (i < sh->ops || atomic_load(&sh->extra_rounds) >= sh->extra_target)
		return i >= sh->ops;
	return (i & 1023) == 0 && wait_now_s() > sh->deadline;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool ring_put(struct ring *r, bz_page *p, unsigned order)
{
	bool ok;

	pthread_mutex_lock(&r->lock);
	ok = r->head - r->tail < 1024;
	if (ok) {
		r->page[r->head % 1024] = p;
		r->order[r->head % 1024] = order;
		r->head++;
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}

static bz_page *ring_get(struct ring *r, unsigned *order)
{
	bz_page *p = NULL;

	pthread_mutex_lock(&r->lock);
	if (r->head != r->tail) {
		p = r->page[r->tail % 1024];
		*order = r->order[r->tail % 1024];
		r->tail++;
	}
	pthread_mutex_unlock(&r->lock);
	return p;
}

struct worker_arg {
	struct shared *sh;
	int id;
};

/* Allocates mixed orders, frees half itself and hands half to the next thread. */
static void *worker(void *argp)
{
	struct worker_arg *arg = argp;
	struct shared *sh = arg->sh;
	uint64_t seed = 0x12345u + (uint64_t)arg->id * 7919u;
	static const unsigned orders[] = { 0, 0, 0, 0, 1, 2, 3, 0, 9, 5 };

	pthread_barrier_wait(&sh->start);
	for (int i = 0; !worker_done(sh, i); i++) {
		unsigned order = orders[xorshift(&seed) % 10], got_order;
		bz_gfp_t gfp = (xorshift(&seed) & 1) ? BZ_GFP_KERNEL : BZ_GFP_HIGHUSER_MOVABLE;
		bz_page *p = bz_alloc_pages(sh->sys, gfp | BZ_GFP_NOWARN, order);

		if (p) {
			unsigned char *a = bz_page_address(p);

			a[0] = (unsigned char)i;
			atomic_fetch_add(&sh->allocs, 1);
			if ((xorshift(&seed) & 1) || !ring_put(&sh->ring[(arg->id + 1) % THREADS], p, order))
				THREAD_CHECK(&sh->tf, bz_free_pages(p, order) == 0);
		} else {
			atomic_fetch_add(&sh->fails, 1);
		}
		while ((p = ring_get(&sh->ring[arg->id], &got_order)) != NULL)
			THREAD_CHECK(&sh->tf, bz_free_pages(p, got_order) == 0);
	}
	return NULL;
}

static void run_workers(struct shared *sh, void *(*extra)(void *))
{
	pthread_t t[THREADS], ex;
	struct worker_arg args[THREADS];

	for (int i = 0; i < THREADS; i++)
		pthread_mutex_init(&sh->ring[i].lock, NULL);
	assert_int_equal(pthread_barrier_init(&sh->start, NULL, THREADS), 0);
	sh->deadline = wait_now_s() + WAIT_DEADLINE_S;
	if (extra)
		assert_int_equal(pthread_create(&ex, NULL, extra, sh), 0);
	for (int i = 0; i < THREADS; i++) {
		args[i] = (struct worker_arg){ sh, i };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	atomic_store(&sh->stop, 1);
	if (extra)
		assert_int_equal(pthread_join(ex, NULL), 0);
	pthread_barrier_destroy(&sh->start);
	assert_no_thread_failures(&sh->tf);
	/* The extra thread's work overlapped the workers'. */
	assert_true(atomic_load(&sh->extra_rounds) >= sh->extra_target);
	for (int i = 0; i < THREADS; i++) {
		unsigned order;
		bz_page *p;

		while ((p = ring_get(&sh->ring[i], &order)) != NULL)
			assert_int_equal(bz_free_pages(p, order), 0);
	}
}

static void assert_everything_back(bz_system *sys)
{
	unsigned long managed = 0;

	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		managed += zone_stats(sys, 0, zid).managed;
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(total_free(sys), managed);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		assert_int_equal(zone_stats(sys, 0, zid).cached, 0);
	assert_int_equal(bz_check(sys), 0);
}

static void test_threads_cross_free_mixed_orders(void **state)
{
	(void)state;
	struct shared sh = SHARED_INIT("0:DMA32=16384,0:Normal=65536", 4);

	run_workers(&sh, NULL);
	assert_true(atomic_load(&sh.allocs) > 0);
	assert_everything_back(sh.sys);
	bz_system_destroy(sh.sys);
}

/* A zone so small the workers live at its watermarks: failures, refills, drains. */
static void test_threads_near_watermarks(void **state)
{
	(void)state;
	struct shared sh = SHARED_INIT("0:Normal=4096", 4);

	run_workers(&sh, NULL);
	assert_true(atomic_load(&sh.fails) > 0);
	assert_everything_back(sh.sys);
	bz_system_destroy(sh.sys);
}

static void *drainer(void *p)
{
	struct shared *sh = p;

	while (!atomic_load(&sh->stop)) {
		THREAD_CHECK(&sh->tf, bz_drain_all_pages(sh->sys) == 0);
		atomic_fetch_add(&sh->extra_rounds, 1);
	}
	return NULL;
}

static void test_drain_while_owners_run(void **state)
{
	(void)state;
	struct shared sh = SHARED_INIT("0:Normal=65536", 4);

	sh.extra_target = 50;           /* drains while the owners still allocate and free */
	run_workers(&sh, drainer);
	assert_everything_back(sh.sys);
	bz_system_destroy(sh.sys);
}

static void *short_lived(void *p)
{
	struct shared *sh = p;
	bz_page *pg[8];

	for (int i = 0; i < 8; i++)
		pg[i] = bz_alloc_pages(sh->sys, BZ_GFP_KERNEL, (unsigned)i % 4);
	for (int i = 0; i < 8; i++)
		if (pg[i])
			THREAD_CHECK(&sh->tf, bz_free_pages(pg[i], (unsigned)i % 4) == 0);
	return NULL;
}

/* Thread exit gives the cache back: nothing stays cached after thousands of threads. */
static void test_thousands_of_short_lived_threads(void **state)
{
	(void)state;
	struct shared sh = SHARED_INIT("0:Normal=65536", 2);
	bz_system *sys = sh.sys;

	for (int round = 0; round < 50; round++) {
		pthread_t t[40];

		for (int i = 0; i < 40; i++)
			assert_int_equal(pthread_create(&t[i], NULL, short_lived, &sh), 0);
		for (int i = 0; i < 40; i++)
			assert_int_equal(pthread_join(t[i], NULL), 0);
	}
	assert_no_thread_failures(&sh.tf);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).cached, 0);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).free, 65536);
	bz_system_destroy(sys);
}

/* A broken invariant in a child is worth seeing: bz_check's report to stderr. */
static void child_log(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	fprintf(stderr, "fork child: %s\n", msg);
}

static void *forker(void *p)
{
	struct shared *sh = p;
	int forks = 0;

	while (!atomic_load(&sh->stop) && forks < 2 * sh->extra_target) {
		pid_t pid = fork();

		if (pid == 0) {
			/* The child: the caches of threads that did not come along are back. */
			/* Memory may be short (the parent's threads hold pages): consistency is the point. */
			bz_page *q;
			int ok;

			bz_set_log_callback(child_log, NULL);
			q = bz_alloc_pages(sh->sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0);
			ok = (!q || bz_free_pages(q, 0) == 0) && bz_drain_all_pages(sh->sys) == 0 &&
			     bz_check(sh->sys) == 0;

			_exit(ok ? 0 : 1);
		}
		if (THREAD_CHECK(&sh->tf, pid > 0)) {
			int status = 0;

			THREAD_CHECK(&sh->tf, waitpid(pid, &status, 0) == pid);
			THREAD_CHECK(&sh->tf, WIFEXITED(status) && WEXITSTATUS(status) == 0);
			forks++;
			atomic_fetch_add(&sh->extra_rounds, 1);
		}
	}
	return NULL;
}

static void test_fork_while_others_allocate(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	/*
	 * GCC 12's AddressSanitizer does not make its own allocator fork-safe:
	 * a child forked while another thread holds its internal lock hangs
	 * in the first malloc.  The plain and ThreadSanitizer builds run this.
	 */
	skip();
#endif
	struct shared sh = SHARED_INIT("0:Normal=65536", 4);

	sh.extra_target = 10;           /* children forked while the workers still allocate and free */
	run_workers(&sh, forker);
	assert_everything_back(sh.sys);
	bz_system_destroy(sh.sys);
}

struct holder {
	bz_system *sys;
	pthread_barrier_t *held, *destroyed;
	struct thread_failures tf;
};

static void *hold_cache(void *p)
{
	struct holder *h = p;
	bz_page *pg = bz_alloc_pages(h->sys, BZ_GFP_KERNEL, 0);

	if (THREAD_CHECK(&h->tf, pg != NULL))
		THREAD_CHECK(&h->tf, bz_free_pages(pg, 0) == 0); /* now cached in this thread */
	pthread_barrier_wait(h->held);
	pthread_barrier_wait(h->destroyed);
	/* The system is gone; this thread's exit must not touch its cache. */
	if (pg)
		THREAD_CHECK(&h->tf, bz_free_pages(pg, 0) == -EINVAL);
	return NULL;
}

static void test_destroy_while_threads_hold_caches(void **state)
{
	(void)state;
	pthread_barrier_t held, destroyed;
	struct holder h = { make_system("0:Normal=8192", 2, NULL), &held, &destroyed, THREAD_FAILURES_INIT };
	pthread_t t[3];

	pthread_barrier_init(&held, NULL, 4);
	pthread_barrier_init(&destroyed, NULL, 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hold_cache, &h), 0);
	pthread_barrier_wait(&held);
	assert_true(zone_stats(h.sys, 0, BZ_ZONE_NORMAL).cached > 0);
	bz_system_destroy(h.sys);
	pthread_barrier_wait(&destroyed);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_no_thread_failures(&h.tf);
	pthread_barrier_destroy(&held);
	pthread_barrier_destroy(&destroyed);
}

/* Frees go to the freeing thread's cache, whoever allocated the page. */
static void *free_here(void *p)
{
	bz_page **pages = p;
	long bad = 0;

	for (int i = 0; i < 16; i++)
		bad += bz_free_pages(pages[i], 0) != 0;
	return (void *)bad;
}

static void test_free_goes_to_freeing_threads_cache(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=65536", 2, NULL);
	bz_page *pages[16];
	pthread_t t;
	unsigned long before;
	void *bad;

	for (int i = 0; i < 16; i++)
		assert_non_null(pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0));
	before = zone_stats(sys, 0, BZ_ZONE_NORMAL).free;
	assert_int_equal(pthread_create(&t, NULL, free_here, pages), 0);
	assert_int_equal(pthread_join(t, &bad), 0);
	assert_null(bad);
	/* That thread's cache went back to the buddy lists when it exited. */
	assert_true(zone_stats(sys, 0, BZ_ZONE_NORMAL).free >= before + 16);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* The adaptive high mark: a thread that frees a lot keeps at most high_max pages. */
static void test_cache_bounded_by_high_max(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=262144", 2, NULL);
	struct bz_zone_stats st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	bz_page **pages = calloc(20000, sizeof(*pages));

	for (int i = 0; i < 20000; i++)
		assert_non_null(pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0));
	for (int i = 0; i < 20000; i++)
		assert_int_equal(bz_free_pages(pages[i], 0), 0);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_true(st.cached > 0);
	assert_true(st.cached <= st.pcp_high_max);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).cached, 0);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).free, 262144);
	free(pages);
	bz_system_destroy(sys);
}

/* ---- statistics while caches fill and drain ------------------------------------------------ */

struct mover {
	bz_system *sys;
	_Atomic bool stop;
	_Atomic unsigned long rounds;
	_Atomic int bad_frees;
};

/* Refills and drains its cache over and over: pages go between the lists and the cache in batches. */
static void *refill_and_drain(void *arg)
{
	struct mover *m = arg;
	bz_page *pages[512];

	while (!atomic_load(&m->stop)) {
		int n = 0;

		while (n < 512 && (pages[n] = bz_alloc_pages(m->sys, BZ_GFP_KERNEL, 0)))
			n++;
		for (int i = 0; i < n; i++)
			if (bz_free_pages(pages[i], 0))
				m->bad_frees++;
		if (bz_drain_all_pages(m->sys))
			m->bad_frees++;
		m->rounds++;
	}
	return NULL;
}

/*
 * bz_zone_stats (and bzstat's segment, zoneinfo) while another thread's
 * cache refills and drains: no page is counted both free and cached.
 */
static void test_zone_stats_never_count_a_page_twice(void **state)
{
	struct mover m = { .sys = make_system("0:Normal=65536", 2, NULL) };
	unsigned long twice = 0, looks = 0;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, refill_and_drain, &m), 0);
	while (atomic_load(&m.rounds) < 500 || looks < 5000) {
		struct bz_zone_stats st;

		assert_int_equal(bz_zone_stats(m.sys, 0, BZ_ZONE_NORMAL, &st), 0);
		twice += st.free + st.cached > st.managed || st.free + st.cached + st.allocated != st.managed;
		looks++;
	}
	m.stop = true;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(m.bad_frees, 0);
	assert_int_equal(twice, 0);
	bz_system_destroy(m.sys);
}

/* The largest "high:" of the zone's pagesets in zoneinfo: the one cache's, or high_min. */
static int zoneinfo_max_high(bz_system *sys, const char *zone)
{
	char *text = report_text(sys, bz_write_zoneinfo), *p, *end;
	char head[64];
	int max = -1;

	snprintf(head, sizeof(head), "zone %8s", zone);
	p = strstr(text, head);
	assert_non_null(p);
	end = strstr(p + 1, "Node ");
	while ((p = strstr(p, "high:     ")) && (!end || p < end)) {
		int v = atoi(p + strlen("high:     "));

		max = v > max ? v : max;
		p++;
	}
	free(text);
	return max;
}

/*
 * ZONE_BELOW_HIGH (6.7+): an allocation that finds the zone below its high
 * watermark marks it; from then on each free shrinks the cache's high by
 * max(free_count, batch) down to high_min (nr_pcp_high), where above the
 * watermark refills had grown it towards high_max.
 */
static void test_high_shrinks_below_high_watermark(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=262144", 2, NULL);
	enum { BALLAST = 255000 };
	bz_page **pages = calloc(BALLAST, sizeof(*pages));
	struct bz_zone_stats st;
	bz_page *one;

	for (int i = 0; i < BALLAST; i++)
		assert_non_null(pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0));
	assert_int_equal(bz_drain_all_pages(sys), 0);
	/* Watermarks gap 5242: low 6267, high 11510 around the 7144 pages free; high_min 3133. */
	assert_int_equal(bz_sysctl_set(sys, "watermark_scale_factor", "200"), 0);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_true(st.free > st.wmark_low && st.free < st.wmark_high);
	assert_true(st.pcp_high_min < st.pcp_high_max);
	/* The refills grew high above high_min: the test can fail. */
	assert_true(zoneinfo_max_high(sys, "Normal") > (int)st.pcp_high_min);
	assert_non_null(one = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0));
	for (int i = 0; i < 200; i++)
		assert_int_equal(bz_free_pages(pages[i], 0), 0);
	assert_true(zone_stats(sys, 0, BZ_ZONE_NORMAL).free < st.wmark_high);
	assert_int_equal(zoneinfo_max_high(sys, "Normal"), (int)st.pcp_high_min);
	assert_int_equal(bz_free_pages(one, 0), 0);
	for (int i = 200; i < BALLAST; i++)
		assert_int_equal(bz_free_pages(pages[i], 0), 0);
	assert_int_equal(bz_check(sys), 0);
	free(pages);
	bz_system_destroy(sys);
}

/*
 * New pageset limits reach every cache at once: with high grown towards
 * high_max, percpu_pagelist_high_fraction pins high (high_min == high_max)
 * and the next fast free already drains against it, as the kernel's next
 * free clamps (nr_pcp_high).
 */
static void test_high_fraction_pins_live_caches(void **state)
{
	(void)state;
	bz_system *sys = make_system("0:Normal=262144", 2, NULL);
	enum { N = 30000 };
	bz_page **pages = calloc(N, sizeof(*pages));
	struct bz_zone_stats st;

	for (int i = 0; i < N; i++)
		assert_non_null(pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0));
	for (int i = 0; i < N / 2; i++)
		assert_int_equal(bz_free_pages(pages[i], 0), 0);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_true(zoneinfo_max_high(sys, "Normal") > 2048);
	/* 262144 / 64 pages over 2 CPUs: high 2048 for every cache. */
	assert_int_equal(bz_sysctl_set(sys, "percpu_pagelist_high_fraction", "64"), 0);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_int_equal(st.pcp_high_min, 2048);
	assert_int_equal(st.pcp_high_max, 2048);
	assert_int_equal(zoneinfo_max_high(sys, "Normal"), 2048);
	for (int i = N / 2; i < N; i++)
		assert_int_equal(bz_free_pages(pages[i], 0), 0);
	assert_true(zone_stats(sys, 0, BZ_ZONE_NORMAL).cached < 2048);
	assert_int_equal(bz_check(sys), 0);
	free(pages);
	bz_system_destroy(sys);
}

struct idle_arg {
	bz_system *sys;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage;                      /* 1: the cache is full; 2: may exit */
	struct thread_failures tf;
};

static void *fill_then_idle(void *p)
{
	struct idle_arg *a = p;
	enum { N = 20000 };
	bz_page **pages = calloc(N, sizeof(*pages));

	for (int i = 0; i < N; i++)
		pages[i] = bz_alloc_pages(a->sys, BZ_GFP_KERNEL, 0);
	for (int i = 0; i < N; i++)
		if (THREAD_CHECK(&a->tf, pages[i] != NULL))
			THREAD_CHECK(&a->tf, bz_free_pages(pages[i], 0) == 0);
	free(pages);
	pthread_mutex_lock(&a->lock);
	a->stage = 1;
	pthread_cond_broadcast(&a->cond);
	while (a->stage < 2)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/*
 * decay_pcp_high() runs for every CPU once a second, idle or not: the
 * cache of a thread that stopped allocating shrinks while other threads
 * work (here in another zone, so that the Normal zone's cache is only
 * the idle thread's).
 */
static void test_idle_thread_cache_decays(void **state)
{
	(void)state;
	struct idle_arg a = { .sys = make_system("0:DMA32=65536,0:Normal=262144", 2, NULL),
			      .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
			      .tf = THREAD_FAILURES_INIT };
	enum { MINE = 5000 };           /* above DMA32's high_max: every round refills and drains */
	bz_page **mine = calloc(MINE, sizeof(*mine));
	unsigned long full, now = 0;
	double deadline;
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fill_then_idle, &a), 0);
	pthread_mutex_lock(&a.lock);
	while (a.stage < 1)
		pthread_cond_wait(&a.cond, &a.lock);
	pthread_mutex_unlock(&a.lock);
	full = zone_stats(a.sys, 0, BZ_ZONE_NORMAL).cached;
	assert_true(full > zone_stats(a.sys, 0, BZ_ZONE_NORMAL).pcp_high_min);
	/*
	 * Work in DMA32 (refills and drains, each decaying this thread's cache)
	 * until the idle cache shrank: a second of wall time is due, allowed many.
	 */
	deadline = wait_now_s() + WAIT_DEADLINE_S;
	do {
		for (int i = 0; i < MINE; i++)
			assert_non_null(mine[i] = bz_alloc_pages(a.sys, BZ_GFP_KERNEL | BZ_GFP_DMA32, 0));
		for (int i = 0; i < MINE; i++)
			assert_int_equal(bz_free_pages(mine[i], 0), 0);
		now = zone_stats(a.sys, 0, BZ_ZONE_NORMAL).cached;
		if (now < full)
			break;
		usleep(50000);          /* a pace for the loop, not an order between threads */
	} while (wait_now_s() < deadline);
	assert_true(now < full);
	pthread_mutex_lock(&a.lock);
	a.stage = 2;
	pthread_cond_broadcast(&a.cond);
	pthread_mutex_unlock(&a.lock);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_no_thread_failures(&a.tf);
	assert_int_equal(bz_check(a.sys), 0);
	free(mine);
	bz_system_destroy(a.sys);
}

static pthread_key_t late_key;
static bz_system *late_sys;
static _Atomic int late_result = 1;

/* A destructor of a key made after the library's: it runs after the thread's cache went away. */
static void late_free(void *page)
{
	atomic_store(&late_result, bz_free_pages(page, 0));
}

static void *alloc_into_late_key(void *arg)
{
	bz_page *p = bz_alloc_pages(late_sys, BZ_GFP_KERNEL, 0), *q = NULL;
	long bad;

	(void)arg;
	if (p)
		q = bz_alloc_pages(late_sys, BZ_GFP_KERNEL, 0);
	bad = !p || !q || bz_free_pages(q, 0) != 0;     /* the fast paths are on */
	pthread_setspecific(late_key, p);
	return (void *)bad;
}

/* A free from a thread-exit destructor that runs after ours: the buddy lists take it. */
static void test_free_after_thread_cache_is_gone(void **state)
{
	pthread_t t;
	void *bad;

	(void)state;
	late_sys = make_system("0:Normal=65536", 2, NULL);
	assert_int_equal(pthread_key_create(&late_key, late_free), 0);
	assert_int_equal(pthread_create(&t, NULL, alloc_into_late_key, NULL), 0);
	assert_int_equal(pthread_join(t, &bad), 0);
	assert_null(bad);
	assert_int_equal(atomic_load(&late_result), 0);
	assert_int_equal(zone_stats(late_sys, 0, BZ_ZONE_NORMAL).free, 65536);
	assert_int_equal(bz_check(late_sys), 0);
	pthread_key_delete(late_key);
	bz_system_destroy(late_sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_cross_free_mixed_orders),
		cmocka_unit_test(test_threads_near_watermarks),
		cmocka_unit_test(test_drain_while_owners_run),
		cmocka_unit_test(test_thousands_of_short_lived_threads),
		cmocka_unit_test(test_fork_while_others_allocate),
		cmocka_unit_test(test_destroy_while_threads_hold_caches),
		cmocka_unit_test(test_free_goes_to_freeing_threads_cache),
		cmocka_unit_test(test_cache_bounded_by_high_max),
		cmocka_unit_test(test_high_shrinks_below_high_watermark),
		cmocka_unit_test(test_high_fraction_pins_live_caches),
		cmocka_unit_test(test_idle_thread_cache_decays),
		cmocka_unit_test(test_free_after_thread_cache_is_gone),
		cmocka_unit_test(test_zone_stats_never_count_a_page_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
