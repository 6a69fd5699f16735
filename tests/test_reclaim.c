/* SPDX-License-Identifier: MIT */
/*
 * test_reclaim.c - memory pressure: shrinkers (the kernel's do_shrink_slab
 * scan amounts, NUMA-aware calls, registration and its waiting), kswapd
 * (reclaims a squeezed cache back above high, serves a watermark boost),
 * direct reclaim and the retry policy of NORETRY, RETRY_MAYFAIL, NOFAIL
 * and costly orders, the reserves of GFP_ATOMIC, __GFP_HIGH, MEMALLOC and
 * reclaimers, the highatomic reserve and its release, zone_reclaim_mode,
 * OOM notifiers, and the warn_alloc report.  Requests that must not race
 * with kswapd leave out BZ_GFP_KSWAPD_RECLAIM.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "wait.h"

/* GFP_KERNEL without waking kswapd: direct reclaim only, nothing runs beside the test. */
#define GFP_DIRECT (BZ_GFP_KERNEL & ~BZ_GFP_KSWAPD_RECLAIM)
#define MAX_RECLAIM_RETRIES 16

/* ---- helpers ------------------------------------------------------------------------ */

/* A stack of allocated blocks. */
struct pile {
	bz_page **page;
	size_t n, cap;
	unsigned order;
};

static void pile_push(struct pile *p, bz_page *pg)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->page = realloc(p->page, p->cap * sizeof(p->page[0]));
		assert_non_null(p->page);
	}
	p->page[p->n++] = pg;
}

/* Allocates blocks of order with gfp until one fails; returns how many. */
static size_t pile_fill(struct pile *p, bz_system *sys, int nid, bz_gfp_t gfp, unsigned order, size_t max)
{
	size_t got = 0;

	p->order = order;
	while (got < max) {
		bz_page *pg = nid < 0 ? bz_alloc_pages(sys, gfp | BZ_GFP_NOWARN, order) :
					bz_alloc_pages_node(sys, nid, gfp | BZ_GFP_NOWARN, order);

		if (!pg)
			break;
		pile_push(p, pg);
		got++;
	}
	return got;
}

/* Frees that failed, also in threads where cmocka cannot assert; checked by pile_release. */
static _Atomic int bad_frees;

static size_t pile_free(struct pile *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p->n; i++)
		if (bz_free_pages(p->page[--p->n], p->order) != 0)
			atomic_fetch_add(&bad_frees, 1);
	return i;
}

static void pile_release(struct pile *p)
{
	pile_free(p, p->n);
	free(p->page);
	memset(p, 0, sizeof(*p));
	assert_int_equal(atomic_load(&bad_frees), 0);
}

/*
 * Takes every page the zones of nid (-1: the local zonelist) have, gfp
 * first, then below the watermarks: the thread caches end empty too, so
 * nothing a drain gives back can satisfy the next request.
 */
static void exhaust(struct pile *p, bz_system *sys, int nid, bz_gfp_t gfp)
{
	if (nid >= 0)
		gfp |= BZ_GFP_THISNODE;
	pile_fill(p, sys, nid, gfp, 0, SIZE_MAX);
	pile_fill(p, sys, nid, gfp | BZ_GFP_MEMALLOC, 0, SIZE_MAX);
}

/* A cache of pages with a shrinker: the reclaimable memory of these tests. */
struct cache {
	struct bz_shrinker shrinker;    /* first: the callbacks cast back */
	pthread_mutex_t lock;
	struct pile pile;
	pthread_t owner;
	unsigned long fixed_count;      /* nonzero: count_objects says this and scan frees nothing */
	bool stop_after_one;            /* scan frees one page, then says BZ_SHRINK_STOP */
	bool numa_pages;                /* scan frees only pages of sc->nid */
	_Atomic long count_calls, scan_calls, freed, foreign_scans;
	_Atomic unsigned long nid_seen; /* bit per sc->nid */
	unsigned long log[512];         /* nr_to_scan of each scan call */
	_Atomic int nlog;
	/* blocking mode: the first scan call waits until release (unregister test) */
	bool block;
	_Atomic bool in_scan, release, scan_returned;
	pthread_mutex_t gate_lock;
	pthread_cond_t gate;
};

static unsigned long cache_count(struct bz_shrinker *s, struct bz_shrink_control *sc)
{
	struct cache *c = (struct cache *)s;
	unsigned long n;

	atomic_fetch_add(&c->count_calls, 1);
	atomic_fetch_or(&c->nid_seen, 1ul << sc->nid);
	if (c->fixed_count)
		return c->fixed_count;
	pthread_mutex_lock(&c->lock);
	n = c->pile.n;
	pthread_mutex_unlock(&c->lock);
	return n ? n : BZ_SHRINK_EMPTY;
}

static unsigned long cache_scan(struct bz_shrinker *s, struct bz_shrink_control *sc)
{
	struct cache *c = (struct cache *)s;
	unsigned long freed = 0, want = c->stop_after_one ? 1 : sc->nr_to_scan;
	int i = atomic_fetch_add(&c->nlog, 1);

	if (i < 512)
		c->log[i] = sc->nr_to_scan;
	atomic_fetch_add(&c->scan_calls, 1);
	if (!pthread_equal(pthread_self(), c->owner))
		atomic_fetch_add(&c->foreign_scans, 1);
	if (c->block && !atomic_exchange(&c->in_scan, true)) {
		pthread_mutex_lock(&c->gate_lock);
		while (!atomic_load(&c->release))
			pthread_cond_wait(&c->gate, &c->gate_lock);
		pthread_mutex_unlock(&c->gate_lock);
		atomic_store(&c->scan_returned, true);
	}
	if (c->fixed_count)
		return 0;
	pthread_mutex_lock(&c->lock);
	for (size_t k = c->pile.n; k > 0 && freed < want; k--) {
		bz_page *pg = c->pile.page[k - 1];

		if (c->numa_pages && bz_page_to_nid(pg) != sc->nid)
			continue;
		c->pile.page[k - 1] = c->pile.page[--c->pile.n];
		if (bz_free_pages(pg, c->pile.order) != 0)
			atomic_fetch_add(&bad_frees, 1);
		freed++;
	}
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add(&c->freed, (long)freed);
	return c->stop_after_one ? BZ_SHRINK_STOP : freed;
}

static struct cache *cache_new(int seeks, long batch, unsigned flags)
{
	struct cache *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->shrinker.count_objects = cache_count;
	c->shrinker.scan_objects = cache_scan;
	c->shrinker.seeks = seeks;
	c->shrinker.batch = batch;
	c->shrinker.flags = flags;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->gate_lock, NULL);
	pthread_cond_init(&c->gate, NULL);
	c->owner = pthread_self();
	return c;
}

/* Lets the blocked scan call return. */
static void cache_release(struct cache *c)
{
	pthread_mutex_lock(&c->gate_lock);
	atomic_store(&c->release, true);
	pthread_cond_broadcast(&c->gate);
	pthread_mutex_unlock(&c->gate_lock);
}

static void cache_fill(struct cache *c, bz_system *sys, int nid, bz_gfp_t gfp, size_t max)
{
	pthread_mutex_lock(&c->lock);
	pile_fill(&c->pile, sys, nid, gfp, 0, max);
	pthread_mutex_unlock(&c->lock);
}

static void cache_destroy(struct cache *c)
{
	pile_release(&c->pile);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->gate);
	pthread_mutex_destroy(&c->gate_lock);
	free(c);
}

/* A counter from the JSON report: "name":value. */
static unsigned long event(bz_system *sys, const char *name)
{
	char *text = NULL, key[64];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned long v = 0;
	const char *at;

	assert_non_null(f);
	assert_int_equal(bz_write_json(sys, f), 0);
	fclose(f);
	snprintf(key, sizeof(key), "\"%s\":", name);
	at = strstr(text, key);
	assert_non_null(at);
	v = strtoul(at + strlen(key), NULL, 10);
	free(text);
	return v;
}

/* ---- shrinkers ---------------------------------------------------------------------- */

static void test_shrinker_register_bad_input(void **state)
{
	struct log_catch lc;
	bz_system *sys;
	struct cache *c = cache_new(BZ_DEFAULT_SEEKS, 0, 0);
	struct bz_shrinker bad;

	(void)state;
	log_catch_reset(&lc);
	sys = make_system("0:Normal=16384", 2, &lc);
	assert_int_equal(bz_shrinker_register(sys, NULL), -EINVAL);
	memset(&bad, 0, sizeof(bad));
	bad.count_objects = cache_count;
	assert_int_equal(bz_shrinker_register(sys, &bad), -EINVAL);
	assert_non_null(strstr(lc.last, "scan_objects"));
	bad = c->shrinker;
	bad.seeks = -1;
	assert_int_equal(bz_shrinker_register(sys, &bad), -EINVAL);
	bad = c->shrinker;
	bad.batch = -5;
	assert_int_equal(bz_shrinker_register(sys, &bad), -EINVAL);
	bad = c->shrinker;
	bad.flags = 0x100;
	assert_int_equal(bz_shrinker_register(sys, &bad), -EINVAL);
	assert_int_equal(bz_shrinker_register(sys, &c->shrinker), 0);
	assert_int_equal(bz_shrinker_register(sys, &c->shrinker), -EINVAL);
	assert_non_null(strstr(lc.last, "registered already"));
	bz_shrinker_unregister(sys, &c->shrinker);
	lc.count = 0;
	bz_shrinker_unregister(sys, &c->shrinker);
	assert_int_equal(lc.count, 1);
	assert_non_null(strstr(lc.last, "not a registered shrinker"));
	cache_destroy(c);
	bz_system_destroy(sys);
}

/*
 * The kernel's do_shrink_slab(), written out again here: the nr_to_scan of
 * every scan_objects call of one direct reclaim (priorities 12..0, no
 * progress) for a shrinker that always counts F objects and frees none.
 */
static int simulate_do_shrink_slab(long freeable, int seeks, long batch, unsigned long *out, int max)
{
	long deferred = 0;
	int n = 0;

	for (int prio = 12; prio >= 0; prio--) {
		long nr = deferred, scanned = 0, delta, total;

		delta = seeks ? (freeable >> prio) * 4 / seeks : freeable / 2;
		total = (nr >> prio) + delta;
		if (total > 2 * freeable)
			total = 2 * freeable;
		while (total >= batch || total >= freeable) {
			long step = total < batch ? total : batch;

			if (n < max)
				out[n] = (unsigned long)step;
			n++;
			total -= step;
			scanned += step;
		}
		deferred = nr + delta - scanned;
		if (deferred < 0)
			deferred = 0;
		if (deferred > 2 * freeable)
			deferred = 2 * freeable;
	}
	return n;
}

/* Memory short, shrinker that frees nothing: one NORETRY request is one direct reclaim. */
static void check_scan_amounts(long freeable, int seeks, long batch, int expect_calls)
{
	unsigned long expect[512];
	struct pile fill = { 0 };
	struct cache *c = cache_new(seeks, batch, 0);
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);
	int n;

	exhaust(&fill, sys, -1, 0);
	c->fixed_count = (unsigned long)freeable;
	assert_int_equal(bz_shrinker_register(sys, &c->shrinker), 0);
	assert_null(bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_NORETRY | BZ_GFP_NOWARN, 0));
	n = simulate_do_shrink_slab(freeable, seeks, batch ? batch : 128, expect, 512);
	if (expect_calls >= 0)
		assert_int_equal(n, expect_calls);
	assert_int_equal(atomic_load(&c->nlog), n);
	for (int i = 0; i < n && i < 512; i++)
		assert_int_equal(c->log[i], expect[i]);
	assert_int_equal(atomic_load(&c->count_calls), 13);   /* once per priority */
	assert_int_equal(event(sys, "allocstall_normal"), 1);
	bz_shrinker_unregister(sys, &c->shrinker);
	pile_release(&fill);
	cache_destroy(c);
	bz_system_destroy(sys);
}

static void test_shrinker_scan_follows_do_shrink_slab(void **state)
{
	(void)state;
	/* Worked by hand: 1+2+4+8+15 calls of 128 at priorities 4..0, nothing before. */
	check_scan_amounts(1000, 2, 0, 30);
	check_scan_amounts(1000, 0, 0, -1);     /* seeks 0: half of F every priority */
	check_scan_amounts(50, 2, 0, -1);       /* fewer objects than a batch: all at once */
	check_scan_amounts(100000, 1, 1000, -1);
	check_scan_amounts(7, 4, 3, -1);
}

static void test_shrinker_numa_aware_per_node(void **state)
{
	struct cache *aware = cache_new(BZ_DEFAULT_SEEKS, 0, BZ_SHRINKER_NUMA_AWARE);
	struct cache *plain = cache_new(BZ_DEFAULT_SEEKS, 0, 0);
	bz_system *sys = make_system("0:Normal=16384,1:Normal=16384", 0, NULL);
	struct pile fill = { 0 };

	(void)state;
	exhaust(&fill, sys, 0, 0);
	exhaust(&fill, sys, 1, 0);
	aware->fixed_count = plain->fixed_count = 1000;
	assert_int_equal(bz_shrinker_register(sys, &aware->shrinker), 0);
	assert_int_equal(bz_shrinker_register(sys, &plain->shrinker), 0);
	assert_null(bz_alloc_pages_node(sys, 0, GFP_DIRECT | BZ_GFP_NORETRY | BZ_GFP_NOWARN, 0));
	assert_int_equal(atomic_load(&aware->nid_seen), 0x3);   /* nodes 0 and 1 */
	assert_int_equal(atomic_load(&aware->count_calls), 2 * 13);
	assert_int_equal(atomic_load(&plain->nid_seen), 0x1);   /* nid 0 only */
	assert_int_equal(atomic_load(&plain->count_calls), 13); /* once per pass, not per node */
	bz_shrinker_unregister(sys, &aware->shrinker);
	bz_shrinker_unregister(sys, &plain->shrinker);
	pile_release(&fill);
	cache_destroy(aware);
	cache_destroy(plain);
	bz_system_destroy(sys);
}

struct unreg_arg {
	bz_system *sys;
	struct cache *c;
	_Atomic pid_t tid;              /* the unregistering thread, once it runs */
	_Atomic bool done;              /* bz_shrinker_unregister returned */
	_Atomic bool scan_over_at_return; /* ... and the blocked scan had returned by then */
	bz_page *got;
};

static void *reclaim_thread(void *arg)
{
	struct unreg_arg *a = arg;

	a->got = bz_alloc_pages(a->sys, GFP_DIRECT | BZ_GFP_NORETRY | BZ_GFP_NOWARN, 0);
	return NULL;
}

static void *unregister_thread(void *arg)
{
	struct unreg_arg *a = arg;

	atomic_store(&a->tid, gettid());
	bz_shrinker_unregister(a->sys, &a->c->shrinker);
	atomic_store(&a->scan_over_at_return, atomic_load(&a->c->scan_returned));
	atomic_store(&a->done, true);
	return NULL;
}

static bool in_scan(void *arg)
{
	return atomic_load(&((struct cache *)arg)->in_scan);
}

/*
 * Whether the unregistering thread is provably waiting: a direct reclaim
 * run now (allocstall counts it) no longer calls the shrinker, so the entry
 * is marked dead, and the thread sleeps in the kernel.  True as well once
 * unregister has returned, which the caller then finds wrong.
 */
static bool unregister_waiting(void *arg)
{
	struct unreg_arg *a = arg;
	unsigned long stalls = event(a->sys, "allocstall_normal");
	long counts = atomic_load(&a->c->count_calls);
	bz_page *pg;

	if (atomic_load(&a->done))
		return true;
	pg = bz_alloc_pages(a->sys, GFP_DIRECT | BZ_GFP_NORETRY | BZ_GFP_NOWARN, 0);
	if (pg && bz_free_pages(pg, 0) != 0)
		atomic_fetch_add(&bad_frees, 1);
	return !pg && event(a->sys, "allocstall_normal") > stalls && atomic_load(&a->c->count_calls) == counts &&
	       thread_sleeping(atomic_load(&a->tid));
}

/* Unregistering waits until a scan in progress returns. */
static void test_shrinker_unregister_waits(void **state)
{
	struct unreg_arg a = { .c = cache_new(0, 1, 0) };
	struct pile fill = { 0 };
	pthread_t t1, t2;

	(void)state;
	a.sys = make_system("0:Normal=16384", 2, NULL);
	exhaust(&fill, a.sys, -1, 0);
	a.c->fixed_count = 10;
	a.c->block = true;
	assert_int_equal(bz_shrinker_register(a.sys, &a.c->shrinker), 0);
	assert_int_equal(pthread_create(&t1, NULL, reclaim_thread, &a), 0);
	assert_true(wait_for(in_scan, a.c));
	assert_int_equal(pthread_create(&t2, NULL, unregister_thread, &a), 0);
	assert_true(wait_for(unregister_waiting, &a));
	assert_false(atomic_load(&a.done));     /* the scan is still running: unregister has not returned */
	cache_release(a.c);
	assert_int_equal(pthread_join(t1, NULL), 0);
	assert_int_equal(pthread_join(t2, NULL), 0);
	assert_true(atomic_load(&a.done));
	assert_true(atomic_load(&a.scan_over_at_return));
	assert_null(a.got);
	pile_release(&fill);
	cache_destroy(a.c);
	bz_system_destroy(a.sys);
}

/* ---- kswapd ------------------------------------------------------------------------ */

struct above_high_arg {
	bz_system *sys;
	struct cache *c;
};

static bool above_high(void *arg)
{
	struct above_high_arg *a = arg;
	struct bz_zone_stats st = zone_stats(a->sys, 0, BZ_ZONE_NORMAL);

	return st.free > st.wmark_high && atomic_load(&a->c->foreign_scans) > 0;
}

static void test_kswapd_reclaims_above_high(void **state)
{
	struct above_high_arg a = { .c = cache_new(BZ_DEFAULT_SEEKS, 0, 0) };
	struct bz_zone_stats st;
	bz_page *pg;

	(void)state;
	a.sys = make_system("0:Normal=16384", 2, NULL);
	cache_fill(a.c, a.sys, -1, 0, SIZE_MAX);
	st = zone_stats(a.sys, 0, BZ_ZONE_NORMAL);
	assert_true(st.free < st.wmark_low);
	assert_int_equal(event(a.sys, "pageoutrun"), 0);
	assert_int_equal(bz_shrinker_register(a.sys, &a.c->shrinker), 0);
	/* Below low: an allocation that may wake kswapd, but not reclaim itself. */
	pg = bz_alloc_pages(a.sys, BZ_GFP_NOWAIT, 0);
	assert_true(wait_for(above_high, &a));
	assert_true(event(a.sys, "pageoutrun") >= 1);
	assert_int_equal(event(a.sys, "allocstall_normal"), 0);
	assert_true(atomic_load(&a.c->freed) > 0);
	if (pg)
		assert_int_equal(bz_free_pages(pg, 0), 0);
	bz_shrinker_unregister(a.sys, &a.c->shrinker);
	assert_int_equal(bz_check(a.sys), 0);
	cache_destroy(a.c);
	bz_system_destroy(a.sys);
}

static bool scanning(void *arg)
{
	return atomic_load(&((struct cache *)arg)->in_scan);
}

/*
 * A child forked while kswapd was inside balance_pgdat has no kswapd to
 * clear ZONE_RECLAIM_ACTIVE: the fork does, and the child's caches keep
 * what being below the high watermark allows (high_min), not four batches.
 */
static void fork_and_check_no_reclaim_cap(bz_system *sys, struct pile *mine)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)sys;
	(void)mine;     /* GCC 12's ASan allocator is not fork-safe with other threads about */
#else
	struct bz_zone_stats st;
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		pile_free(mine, mine->n);
		st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
		_exit(st.cached > 4 * st.pcp_batch && atomic_load(&bad_frees) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

/*
 * ZONE_RECLAIM_ACTIVE: while kswapd balances the node (held here inside a
 * shrinker), a thread's frees keep at most four batches in its cache
 * (nr_pcp_high's cap), not the high_min that being below the high
 * watermark alone would allow.
 */
static void test_caches_capped_while_kswapd_balances(void **state)
{
	struct cache *c = cache_new(BZ_DEFAULT_SEEKS, 0, 0);
	struct pile mine = { 0 };
	struct bz_zone_stats st;
	bz_system *sys;
	bz_page *pg;

	(void)state;
	sys = make_system("0:Normal=16384", 2, NULL);
	pile_fill(&mine, sys, -1, GFP_DIRECT, 0, 600);
	cache_fill(c, sys, -1, 0, SIZE_MAX);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_true(st.free < st.wmark_low);
	assert_true(4 * st.pcp_batch + 16 < st.pcp_high_min);   /* the cap is below what the test frees */
	c->block = true;
	assert_int_equal(bz_shrinker_register(sys, &c->shrinker), 0);
	pg = bz_alloc_pages(sys, BZ_GFP_NOWAIT | BZ_GFP_NOWARN, 0);    /* wakes kswapd */
	assert_true(wait_for(scanning, c));
	fork_and_check_no_reclaim_cap(sys, &mine);
	pile_free(&mine, mine.n);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_true(st.cached <= 4 * st.pcp_batch);
	cache_release(c);
	if (pg)
		assert_int_equal(bz_free_pages(pg, 0), 0);
	bz_shrinker_unregister(sys, &c->shrinker);
	pile_release(&mine);
	assert_int_equal(bz_check(sys), 0);
	cache_destroy(c);
	bz_system_destroy(sys);
}

/* zoneinfo's node_unreclaimable for the node (pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES). */
static bool node_unreclaimable(bz_system *sys, int nid)
{
	char *text = report_text(sys, bz_write_zoneinfo), head[64], *p;
	bool v;

	snprintf(head, sizeof(head), "Node %d, zone   Normal", nid);
	p = strstr(text, head);
	assert_non_null(p);
	p = strstr(p, "node_unreclaimable:");
	assert_non_null(p);
	v = atoi(p + strlen("node_unreclaimable:")) != 0;
	free(text);
	return v;
}

struct hopeless_arg {
	bz_system *sys;
	int nid;
};

static bool hopeless(void *arg)
{
	struct hopeless_arg *a = arg;

	return node_unreclaimable(a->sys, a->nid);
}

/*
 * kswapd gives up on a node after MAX_RECLAIM_RETRIES runs that reclaim
 * nothing (node_unreclaimable).  Freeing enough to clear ZONE_BELOW_HIGH
 * lets it try again when a memory node numbered after it exists
 * (free_frozen_page_commit), and not on the last node.
 */
static void hopeless_node_then_freed(int nid, bool reset)
{
	struct bz_config cfg;
	struct cache *c = cache_new(BZ_DEFAULT_SEEKS, 0, 0);
	struct hopeless_arg a = { .nid = nid };
	bz_page *pg;

	bz_config_init(&cfg);
	cfg.topology = "synthetic:pack:2 numa:1 pu:1";
	cfg.zones = "0:Normal=16384,1:Normal=16384";
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	assert_int_equal(bz_system_create(&cfg, &a.sys), 0);
	cache_fill(c, a.sys, nid, BZ_GFP_THISNODE, SIZE_MAX);   /* no reclaim, no kswapd */
	c->fixed_count = 1000;          /* something to scan, nothing freed: no progress */
	assert_int_equal(bz_shrinker_register(a.sys, &c->shrinker), 0);
	assert_false(node_unreclaimable(a.sys, nid));
	for (int i = 0; i < 100 && !hopeless(&a); i++) {
		pg = bz_alloc_pages_node(a.sys, nid, BZ_GFP_NOWAIT | BZ_GFP_THISNODE | BZ_GFP_NOWARN, 0);
		if (pg)
			assert_int_equal(bz_free_pages(pg, 0), 0);
		wait_for(hopeless, &a);
	}
	assert_true(node_unreclaimable(a.sys, nid));
	bz_shrinker_unregister(a.sys, &c->shrinker);
	pile_free(&c->pile, c->pile.n);
	assert_true(zone_stats(a.sys, nid, BZ_ZONE_NORMAL).free > zone_stats(a.sys, nid, BZ_ZONE_NORMAL).wmark_high);
	assert_int_equal(node_unreclaimable(a.sys, nid), !reset);
	assert_int_equal(bz_check(a.sys), 0);
	cache_destroy(c);
	bz_system_destroy(a.sys);
}

static void test_hopeless_node_retried_after_frees(void **state)
{
	(void)state;
	hopeless_node_then_freed(0, true);
	hopeless_node_then_freed(1, false);
}

static bool boost_gone(void *arg)
{
	return zone_stats(arg, 0, BZ_ZONE_NORMAL).boost == 0;
}

/* A fallback steal boosts the watermark; kswapd, woken below low, takes the boost off. */
static void test_kswapd_clears_boost(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);
	struct pile movable = { 0 }, unmovable = { 0 };
	bz_page *pg;

	(void)state;
	pile_fill(&movable, sys, -1, BZ_GFP_MOVABLE, 0, SIZE_MAX);
	/* Unmovable, no kswapd: falls back into a movable pageblock (boost), wakes nobody. */
	pg = bz_alloc_pages(sys, BZ_GFP_HIGH | BZ_GFP_NOWARN, 0);
	assert_non_null(pg);
	pile_push(&unmovable, pg);
	assert_true(zone_stats(sys, 0, BZ_ZONE_NORMAL).boost > 0);
	assert_int_equal(event(sys, "pageoutrun"), 0);
	pg = bz_alloc_pages(sys, BZ_GFP_NOWAIT, 0);
	if (pg)
		pile_push(&unmovable, pg);
	assert_true(wait_for(boost_gone, sys));
	assert_true(event(sys, "pageoutrun") >= 1);
	pile_release(&movable);
	pile_release(&unmovable);
	bz_system_destroy(sys);
}

/* ---- direct reclaim and retries ------------------------------------------------------ */

static void test_direct_reclaim_gfp_kernel(void **state)
{
	struct cache *c = cache_new(BZ_DEFAULT_SEEKS, 0, 0);
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);
	bz_page *pg, *pg2;

	(void)state;
	cache_fill(c, sys, -1, 0, SIZE_MAX);
	cache_fill(c, sys, -1, BZ_GFP_MEMALLOC, SIZE_MAX);
	assert_null(bz_alloc_pages(sys, BZ_GFP_NOWARN, 0));     /* no free page at all */
	assert_int_equal(bz_shrinker_register(sys, &c->shrinker), 0);
	/* Rounds of SWAP_CLUSTER_MAX pages each, until the zone is above min again. */
	pg = bz_alloc_pages(sys, GFP_DIRECT, 0);
	assert_non_null(pg);
	assert_true(event(sys, "allocstall_normal") >= 1);
	assert_true(atomic_load(&c->freed) >= 1);
	assert_int_equal(atomic_load(&c->foreign_scans), 0);    /* this thread reclaimed */
	assert_true(event(sys, "slabs_scanned") > 0);
	pg2 = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);            /* kswapd may help now */
	assert_non_null(pg2);
	assert_int_equal(bz_free_pages(pg, 0), 0);
	assert_int_equal(bz_free_pages(pg2, 0), 0);
	bz_shrinker_unregister(sys, &c->shrinker);
	assert_int_equal(bz_check(sys), 0);
	cache_destroy(c);
	bz_system_destroy(sys);
}

/* A shrinker that never frees: count the reclaim rounds each policy makes. */
static void check_rounds(bz_gfp_t gfp, unsigned order, unsigned long rounds)
{
	struct cache *c = cache_new(BZ_DEFAULT_SEEKS, 0, 0);
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);
	struct pile fill = { 0 };

	exhaust(&fill, sys, -1, 0);
	c->fixed_count = 1000;
	assert_int_equal(bz_shrinker_register(sys, &c->shrinker), 0);
	assert_null(bz_alloc_pages(sys, gfp | BZ_GFP_NOWARN, order));
	assert_int_equal(event(sys, "allocstall_normal"), rounds);
	bz_shrinker_unregister(sys, &c->shrinker);
	pile_release(&fill);
	cache_destroy(c);
	bz_system_destroy(sys);
}

static void test_retry_policy_without_progress(void **state)
{
	(void)state;
	check_rounds(GFP_DIRECT | BZ_GFP_NORETRY, 0, 1);
	check_rounds(GFP_DIRECT | BZ_GFP_RETRY_MAYFAIL, 0, MAX_RECLAIM_RETRIES + 1);
	check_rounds(GFP_DIRECT, 0, MAX_RECLAIM_RETRIES + 1);
	check_rounds(GFP_DIRECT, 4, 1);                         /* costly order: one round */
	/*
	 * should_reclaim_retry() wants a free block of the order for order > 0:
	 * in an empty zone only order 0 can hope, so higher orders stop after one round.
	 */
	check_rounds(GFP_DIRECT | BZ_GFP_RETRY_MAYFAIL, 4, 1);
	check_rounds(GFP_DIRECT | BZ_GFP_RETRY_MAYFAIL, 1, 1);
	check_rounds(BZ_GFP_NOWAIT | BZ_GFP_NOFAIL, 0, 0);      /* NOFAIL cannot wait without reclaim */
}

/*
 * Below min by 400 pages; the shrinker frees one page per call, about a
 * dozen per reclaim round: RETRY_MAYFAIL keeps going while that is
 * progress, well past MAX_RECLAIM_RETRIES rounds; NORETRY stops after one.
 */
static void test_retry_while_progress(void **state)
{
	struct cache *c = cache_new(BZ_DEFAULT_SEEKS, 1, 0);
	bz_system *sys = make_system("0:Normal=65536", 2, NULL);
	struct pile fill = { 0 };
	bz_page *pg;

	(void)state;
	cache_fill(c, sys, -1, 0, 3000);
	/* No thread cache may hold pages back: order 4 from here on. */
	assert_int_equal(bz_drain_all_pages(sys), 0);
	pile_fill(&fill, sys, -1, 0, 4, SIZE_MAX);
	assert_int_equal(pile_fill(&fill, sys, -1, BZ_GFP_MEMALLOC, 4, 25), 25);
	c->stop_after_one = true;
	assert_int_equal(bz_shrinker_register(sys, &c->shrinker), 0);
	assert_null(bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_NORETRY | BZ_GFP_NOWARN, 0));
	assert_int_equal(event(sys, "allocstall_normal"), 1);
	pg = bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_RETRY_MAYFAIL, 0);
	assert_non_null(pg);
	assert_true(event(sys, "allocstall_normal") > 1 + MAX_RECLAIM_RETRIES + 1);
	assert_int_equal(bz_free_pages(pg, 0), 0);
	bz_shrinker_unregister(sys, &c->shrinker);
	pile_release(&fill);
	cache_destroy(c);
	bz_system_destroy(sys);
}

/*
 * A thread that frees once the NOFAIL request is provably waiting: the OOM
 * notifiers ran twice, so the request went past the point where any other
 * request would have failed (the first run) and round the NOFAIL back-off
 * once (the second).
 */
struct nofail_wait {
	struct bz_oom_notifier nb;      /* first: the callback casts back */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int oom_calls;
	bool alloc_returned;            /* the request is over: stop waiting */
	int oom_calls_at_free;          /* what the freeing thread saw before it freed */
	struct pile *pile;
	size_t n;
};

static unsigned long nofail_oom(struct bz_oom_notifier *nb, const struct bz_oom_control *oc)
{
	struct nofail_wait *w = (struct nofail_wait *)nb;

	(void)oc;
	pthread_mutex_lock(&w->lock);
	w->oom_calls++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

static void *late_freer(void *arg)
{
	struct nofail_wait *w = arg;
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)WAIT_DEADLINE_S;
	pthread_mutex_lock(&w->lock);
	while (w->oom_calls < 2 && !w->alloc_returned &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != ETIMEDOUT)
		;
	w->oom_calls_at_free = w->oom_calls;
	pthread_mutex_unlock(&w->lock);
	pile_free(w->pile, w->n);
	return NULL;
}

/* NOFAIL waits out an empty zone until another thread frees memory. */
static void test_nofail_waits_for_memory(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);
	struct pile fill = { 0 };
	struct nofail_wait w = { .nb = { .notifier_call = nofail_oom }, .pile = &fill, .n = 2048 };
	pthread_t t;
	bz_page *pg;

	(void)state;
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	exhaust(&fill, sys, -1, 0);
	assert_null(bz_alloc_pages(sys, BZ_GFP_MEMALLOC | BZ_GFP_NOWARN, 0));
	assert_int_equal(bz_register_oom_notifier(sys, &w.nb), 0);
	assert_int_equal(pthread_create(&t, NULL, late_freer, &w), 0);
	pg = bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_NOFAIL, 0);
	pthread_mutex_lock(&w.lock);
	w.alloc_returned = true;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(pg);
	assert_true(w.oom_calls_at_free >= 2);  /* it did wait, and only the other thread's frees ended it */
	assert_int_equal(bz_free_pages(pg, 0), 0);
	assert_int_equal(bz_unregister_oom_notifier(sys, &w.nb), 0);
	pile_release(&fill);
	assert_int_equal(bz_check(sys), 0);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	bz_system_destroy(sys);
}

/* ---- reserves ----------------------------------------------------------------------- */

/* Order-4 movable blocks with gfp until one fails; the zone's free pages then. */
static unsigned long drain_to(bz_system *sys, struct pile *p, bz_gfp_t gfp)
{
	pile_fill(p, sys, -1, gfp | BZ_GFP_MOVABLE, 4, SIZE_MAX);
	return zone_stats(sys, 0, BZ_ZONE_NORMAL).free;
}

/*
 * __zone_watermark_ok(): an order-4 request succeeds while free - 15 >
 * mark, so after the last success free lies in (mark, mark + 15].
 * __GFP_HIGH goes to half of min, non-blocking __GFP_HIGH (GFP_ATOMIC) a
 * further quarter below, MEMALLOC and reclaimers to the bottom.
 */
static void test_atomic_reserves(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);
	struct pile p = { 0 };
	unsigned long min, min_high, min_atomic, free;
	unsigned saved;
	bz_page *pg;

	(void)state;
	min = zone_stats(sys, 0, BZ_ZONE_NORMAL).wmark_min;
	min_high = min - min / 2;
	min_atomic = min_high - min_high / 4;
	free = drain_to(sys, &p, 0);
	assert_true(free > min - 1 && free <= min + 15);
	assert_null(bz_alloc_pages(sys, BZ_GFP_NOWAIT | BZ_GFP_MOVABLE, 4));
	free = drain_to(sys, &p, BZ_GFP_HIGH | BZ_GFP_DIRECT_RECLAIM | BZ_GFP_NORETRY);
	assert_true(free > min_high - 1 && free <= min_high + 15);
	assert_null(bz_alloc_pages(sys, BZ_GFP_ATOMIC | BZ_GFP_NOMEMALLOC | BZ_GFP_MOVABLE | BZ_GFP_NOWARN, 4));
	free = drain_to(sys, &p, BZ_GFP_ATOMIC);
	assert_true(free > min_atomic - 1 && free <= min_atomic + 15);
	assert_true(free < min_high);
	/* A reclaimer ignores the watermarks, unless it says NOMEMALLOC. */
	saved = bz_memalloc_save();
	assert_null(bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_NOMEMALLOC | BZ_GFP_MOVABLE | BZ_GFP_NOWARN, 4));
	pg = bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_MOVABLE, 4);
	assert_non_null(pg);
	pile_push(&p, pg);
	bz_memalloc_restore(saved);
	free = drain_to(sys, &p, BZ_GFP_MEMALLOC);
	assert_true(free < 16);
	pile_release(&p);
	bz_system_destroy(sys);
}

static unsigned long highatomic_blocks(bz_system *sys)
{
	char *text = NULL, *at;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned long u, m, e, h = ~0ul, i;

	assert_non_null(f);
	assert_int_equal(bz_write_pagetypeinfo(sys, f), 0);
	fclose(f);
	at = strstr(text, "Number of blocks type");
	assert_non_null(at);
	assert_non_null(strstr(at, "HighAtomic"));
	at = strstr(at, "zone   Normal");
	assert_non_null(at);
	assert_int_equal(sscanf(at + strlen("zone   Normal"), "%lu %lu %lu %lu %lu", &u, &m, &e, &h, &i), 5);
	free(text);
	return h;
}

/*
 * A high-order atomic request that succeeds in the slow path reserves its
 * pageblock (at most ~1% of the zone); requests that may not use reserves
 * leave it alone; a blocking request that would otherwise fail releases it.
 */
static void test_highatomic_reserve_and_release(void **state)
{
	bz_system *sys = make_system("0:Normal=65536", 2, NULL);
	struct pile p = { 0 }, atomic = { 0 };
	bz_page *pg;

	(void)state;
	assert_int_equal(highatomic_blocks(sys), 0);
	/*
	 * Below low, above min: the slow path serves GFP_ATOMIC.  Order-4
	 * blocks throughout: no thread cache holds pages back to blur the
	 * watermarks.
	 */
	while (zone_stats(sys, 0, BZ_ZONE_NORMAL).free >= zone_stats(sys, 0, BZ_ZONE_NORMAL).wmark_low)
		pile_fill(&p, sys, -1, BZ_GFP_MOVABLE | BZ_GFP_DIRECT_RECLAIM | BZ_GFP_NORETRY, 4, 1);
	pg = bz_alloc_pages(sys, BZ_GFP_ATOMIC, 2);
	assert_non_null(pg);
	atomic.order = 2;
	pile_push(&atomic, pg);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(highatomic_blocks(sys), 1);
	/* Requests that may not use reserves leave the reserved pageblock alone. */
	pile_fill(&p, sys, -1, BZ_GFP_MOVABLE | BZ_GFP_NOMEMALLOC | BZ_GFP_DIRECT_RECLAIM | BZ_GFP_NORETRY, 4,
		  SIZE_MAX);
	assert_int_equal(highatomic_blocks(sys), 1);
	/* One that would fail otherwise takes it back (should_reclaim_retry). */
	pg = bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_RETRY_MAYFAIL | BZ_GFP_MOVABLE, 4);
	assert_non_null(pg);
	assert_int_equal(highatomic_blocks(sys), 0);
	assert_int_equal(bz_free_pages(pg, 4), 0);
	pile_release(&p);
	pile_release(&atomic);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* ---- zone_reclaim_mode ------------------------------------------------------------------ */

static void node_reclaim_case(const char *mode, int expect_nid, unsigned long expect_success)
{
	struct cache *c = cache_new(BZ_DEFAULT_SEEKS, 0, BZ_SHRINKER_NUMA_AWARE);
	bz_system *sys = make_system("0:Normal=16384,1:Normal=16384", 0, NULL);
	bz_page *pg;

	c->numa_pages = true;
	assert_int_equal(bz_sysctl_set(sys, "zone_reclaim_mode", mode), 0);
	cache_fill(c, sys, 0, BZ_GFP_THISNODE, SIZE_MAX);
	assert_int_equal(bz_shrinker_register(sys, &c->shrinker), 0);
	pg = bz_alloc_pages_node(sys, 0, GFP_DIRECT, 0);
	assert_non_null(pg);
	assert_int_equal(bz_page_to_nid(pg), expect_nid);
	assert_int_equal(event(sys, "zone_reclaim_success"), expect_success);
	assert_int_equal(atomic_load(&c->scan_calls) > 0, expect_success > 0);
	if (expect_success)
		assert_int_equal(atomic_load(&c->nid_seen), 0x1);
	assert_int_equal(bz_free_pages(pg, 0), 0);
	bz_shrinker_unregister(sys, &c->shrinker);
	cache_destroy(c);
	bz_system_destroy(sys);
}

static void test_zone_reclaim_mode(void **state)
{
	(void)state;
	node_reclaim_case("1", 0, 1);   /* reclaim node 0 before going to node 1 */
	node_reclaim_case("0", 1, 0);   /* the default: the next node */
}

/* ---- OOM notifiers ----------------------------------------------------------------------- */

struct notifier {
	struct bz_oom_notifier nb;      /* first */
	struct pile *pile;
	size_t frees;
	_Atomic int calls;
	int *order_log, *order_n, id;
};

static unsigned long notify(struct bz_oom_notifier *nb, const struct bz_oom_control *oc)
{
	struct notifier *n = (struct notifier *)nb;

	assert_int_equal(oc->order, 0);
	atomic_fetch_add(&n->calls, 1);
	if (n->order_log)
		n->order_log[(*n->order_n)++] = n->id;
	return n->pile ? pile_free(n->pile, n->frees) : 0;
}

static void test_oom_notifiers(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);
	struct pile fill = { 0 };
	int log[4], nlog = 0;
	struct notifier low = { .nb = { .notifier_call = notify, .priority = 1 }, .order_log = log,
				.order_n = &nlog, .id = 1 };
	struct notifier high = { .nb = { .notifier_call = notify, .priority = 5 }, .order_log = log,
				 .order_n = &nlog, .id = 5 };
	bz_page *pg;

	(void)state;
	exhaust(&fill, sys, -1, 0);
	assert_int_equal(bz_register_oom_notifier(sys, &low.nb), 0);
	assert_int_equal(bz_register_oom_notifier(sys, &high.nb), 0);
	assert_int_equal(bz_register_oom_notifier(sys, &low.nb), -EINVAL);
	/* Nothing freed: the request fails after one run of the chain, higher priority first. */
	assert_null(bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_NOWARN, 0));
	assert_int_equal(atomic_load(&low.calls), 1);
	assert_int_equal(nlog, 2);
	assert_int_equal(log[0], 5);
	assert_int_equal(log[1], 1);
	/* Where the kernel would not go OOM, the notifiers do not run. */
	assert_null(bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_RETRY_MAYFAIL | BZ_GFP_NOWARN, 0));
	assert_null(bz_alloc_pages(sys, GFP_DIRECT | BZ_GFP_NORETRY | BZ_GFP_NOWARN, 0));
	assert_null(bz_alloc_pages(sys, BZ_GFP_NOWAIT, 0));
	assert_int_equal(atomic_load(&low.calls), 1);
	/* A notifier that frees: the request is retried and succeeds. */
	low.pile = &fill;
	low.frees = 1024;
	pg = bz_alloc_pages(sys, GFP_DIRECT, 0);
	assert_non_null(pg);
	assert_int_equal(atomic_load(&low.calls), 2);
	assert_int_equal(bz_free_pages(pg, 0), 0);
	assert_int_equal(bz_unregister_oom_notifier(sys, &low.nb), 0);
	assert_int_equal(bz_unregister_oom_notifier(sys, &low.nb), -ENOENT);
	assert_int_equal(bz_unregister_oom_notifier(sys, &high.nb), 0);
	pile_release(&fill);
	bz_system_destroy(sys);
}

/* ---- the failure report ---------------------------------------------------------------------- */

static int count_substr(const char *text, const char *what)
{
	int n = 0;

	for (const char *at = strstr(text, what); at; at = strstr(at + 1, what))
		n++;
	return n;
}

static void test_warn_alloc_report(void **state)
{
	struct log_catch *lc = calloc(1, sizeof(*lc));
	bz_system *sys = make_system("0:DMA32=4096,0:Normal=16384", 2, lc);
	struct pile fill = { 0 };
	const char *line;

	(void)state;
	exhaust(&fill, sys, -1, BZ_GFP_DMA32);
	exhaust(&fill, sys, -1, 0);
	log_catch_reset(lc);
	assert_null(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_ZERO, 0));
	line = strstr(lc->all, ": page allocation failure: order:0, mode:0xdc0(GFP_KERNEL|__GFP_ZERO), "
			      "nodemask=(null),cpuset=/,mems_allowed=0\n");
	assert_non_null(line);
	assert_non_null(strstr(lc->all, "\nCPU: "));
	assert_non_null(strstr(lc->all, "\nMem-Info:\n"));
	assert_non_null(strstr(lc->all, "\nactive_anon:0 inactive_anon:0 isolated_anon:0\n"));
	assert_non_null(strstr(lc->all, " free_cma:0\n"));
	assert_non_null(strstr(lc->all, "\nNode 0 active_anon:0kB"));
	assert_non_null(strstr(lc->all, "all_unreclaimable? no Balloon:0kB\n"));
	assert_non_null(strstr(lc->all, "\nNode 0 DMA32 free:"));
	assert_non_null(strstr(lc->all, "\nNode 0 Normal free:"));
	assert_non_null(strstr(lc->all, " reserved_highatomic:0KB free_highatomic:0KB "));
	assert_non_null(strstr(lc->all, "\nlowmem_reserve[]: 0 0 64 64 64\n"));
	line = strstr(lc->all, "\nNode 0 Normal: ");
	assert_non_null(line);
	assert_non_null(strstr(line, "4096kB = "));
	assert_non_null(strstr(lc->all, "\n0 total pagecache pages\n0 pages in swap cache\n"
				       "Free swap  = 0kB\nTotal swap = 0kB\n20480 pages RAM\n"
				       "0 pages HighMem/MovableOnly\n0 pages reserved\n0 pages hwpoisoned\n"));
	/* A DMA32 request shows the zones it could use only. */
	log_catch_reset(lc);
	assert_null(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_DMA32, 0));
	assert_non_null(strstr(lc->all, "mode:0xcc4(GFP_KERNEL|GFP_DMA32)"));
	assert_non_null(strstr(lc->all, "\nNode 0 DMA32 free:"));
	assert_null(strstr(lc->all, "Node 0 Normal free:"));
	/* NOWARN: silence. */
	log_catch_reset(lc);
	assert_null(bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0));
	assert_int_equal(lc->count, 0);
	pile_release(&fill);
	bz_system_destroy(sys);
	free(lc);
}

/* nopage_rs: ten reports per five seconds (20 failures take far less than that). */
static void test_warn_alloc_ratelimit(void **state)
{
	struct log_catch *lc = calloc(1, sizeof(*lc));
	bz_system *sys = make_system("0:Normal=4096", 2, lc);
	struct pile fill = { 0 };
	char *all = calloc(1, 1 << 20);
	size_t used = 0;

	(void)state;
	exhaust(&fill, sys, -1, 0);
	for (int i = 0; i < 20; i++) {
		log_catch_reset(lc);
		assert_null(bz_alloc_pages(sys, BZ_GFP_NOWAIT & ~BZ_GFP_NOWARN, 0));
		used += (size_t)snprintf(all + used, (1 << 20) - used, "%s", lc->all);
	}
	assert_int_equal(count_substr(all, "page allocation failure"), 10);
	pile_release(&fill);
	bz_system_destroy(sys);
	free(all);
	free(lc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shrinker_register_bad_input),
		cmocka_unit_test(test_shrinker_scan_follows_do_shrink_slab),
		cmocka_unit_test(test_shrinker_numa_aware_per_node),
		cmocka_unit_test(test_shrinker_unregister_waits),
		cmocka_unit_test(test_kswapd_reclaims_above_high),
		cmocka_unit_test(test_kswapd_clears_boost),
		cmocka_unit_test(test_caches_capped_while_kswapd_balances),
		cmocka_unit_test(test_hopeless_node_retried_after_frees),
		cmocka_unit_test(test_direct_reclaim_gfp_kernel),
		cmocka_unit_test(test_retry_policy_without_progress),
		cmocka_unit_test(test_retry_while_progress),
		cmocka_unit_test(test_nofail_waits_for_memory),
		cmocka_unit_test(test_atomic_reserves),
		cmocka_unit_test(test_highatomic_reserve_and_release),
		cmocka_unit_test(test_zone_reclaim_mode),
		cmocka_unit_test(test_oom_notifiers),
		cmocka_unit_test(test_warn_alloc_report),
		cmocka_unit_test(test_warn_alloc_ratelimit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
