/* SPDX-License-Identifier: MIT */
/*
 * test_stress.c - seeded random walks of allocations and frees of mixed
 * orders, zones and migratetypes, near and past the watermarks: a million
 * operations in one thread (a quarter of that under ThreadSanitizer), then
 * several threads at once that also free each other's blocks (handed over
 * through inboxes) and drain every thread's cache, stopping together at
 * barriers where the main thread runs bz_check and matches each zone's
 * free + cached + allocated against managed, counting as allocated exactly
 * the blocks the threads hold.
 * Every block handed out must be aligned, in the zone its flags allow, and
 * disjoint from every other live block (checked with a pfn map and with
 * a pattern written into each block); at the end everything is freed and
 * every page is free again.  The seed is printed; BUDDYZONE_TEST_SEED=N
 * repeats a walk's choices (the threads' interleaving is the scheduler's).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "wait.h"

#define LAYOUT "0:DMA=4096,0:DMA32=32768,0:Normal=65536"
#if defined(__SANITIZE_THREAD__)
#define OPS 250000              /* ThreadSanitizer is 10-20 times slower; CI runs it too */
#else
#define OPS 1000000
#endif
#define MAX_LIVE 4096
#define MAX_PFN (1048576 + 65536)

struct live {
	bz_page *page;
	unsigned order;
	unsigned char pattern;
};

/* BUDDYZONE_TEST_SEED if set (a nonzero number), else fallback. */
static uint64_t test_seed(uint64_t fallback)
{
	const char *env = getenv("BUDDYZONE_TEST_SEED");
	unsigned long long seed;
	char *end;

	if (!env || !*env)
		return fallback;
	errno = 0;
	seed = strtoull(env, &end, 0);
	if (errno || *end || !seed)
		fail_msg("BUDDYZONE_TEST_SEED=%s: not a nonzero number", env);
	return seed;
}

/* splitmix64: well-spread, never-zero xorshift states from one seed. */
static uint64_t derive_state(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

static uint32_t rnd_from(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)*state;
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
	return rnd_from(&rng_state);
}

/* Mostly small orders, as real workloads; sometimes large ones. */
static unsigned random_order_from(uint64_t *s)
{
	uint32_t r = rnd_from(s) % 100;

	if (r < 60)
		return 0;
	if (r < 80)
		return 1 + rnd_from(s) % 3;
	if (r < 97)
		return 4 + rnd_from(s) % 5;
	return 9 + rnd_from(s) % 2;
}

static unsigned random_order(void)
{
	return random_order_from(&rng_state);
}

/* The kinds of request, with the highest zone each may get. */
static const struct {
	bz_gfp_t gfp;
	int max_zone;
} gfp_kinds[] = {
	{ BZ_GFP_KERNEL, BZ_ZONE_NORMAL },
	{ BZ_GFP_KERNEL | BZ_GFP_RECLAIMABLE, BZ_ZONE_NORMAL },
	{ BZ_GFP_HIGHUSER_MOVABLE, BZ_ZONE_MOVABLE },
	{ BZ_GFP_ATOMIC, BZ_ZONE_NORMAL },
	{ BZ_GFP_NOWAIT, BZ_ZONE_NORMAL },
	{ BZ_GFP_KERNEL | BZ_GFP_DMA32, BZ_ZONE_DMA32 },
	{ BZ_GFP_KERNEL | BZ_GFP_DMA, BZ_ZONE_DMA },
	{ BZ_GFP_KERNEL | BZ_GFP_ZERO, BZ_ZONE_NORMAL },
	/* the threaded walk's only: the single-threaded one's fixed seed keeps its sequence */
	{ BZ_GFP_KERNEL | BZ_GFP_NORETRY, BZ_ZONE_NORMAL },
	{ BZ_GFP_HIGHUSER_MOVABLE | BZ_GFP_ZERO, BZ_ZONE_MOVABLE },
	{ BZ_GFP_NOWAIT | BZ_GFP_DMA32, BZ_ZONE_DMA32 },
};
#define SINGLE_THREAD_KINDS 8
#define ALL_KINDS ((unsigned)(sizeof(gfp_kinds) / sizeof(gfp_kinds[0])))

static bz_gfp_t random_gfp_from(uint64_t *s, unsigned nkinds, int *max_zone)
{
	unsigned k = rnd_from(s) % nkinds;

	*max_zone = gfp_kinds[k].max_zone;
	return gfp_kinds[k].gfp | BZ_GFP_NOWARN;
}

static bz_gfp_t random_gfp(int *max_zone)
{
	return random_gfp_from(&rng_state, SINGLE_THREAD_KINDS, max_zone);
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

	rng_state = test_seed(0x9e3779b97f4a7c15ull);
	print_message("single-threaded walk: seed %#llx\n", (unsigned long long)rng_state);
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

/* ---- several threads at once ------------------------------------------------------------- */

#define WALKERS 4
#define PHASES 12
#if defined(__SANITIZE_THREAD__)
#define PHASE_OPS 1500          /* per walker and phase: ThreadSanitizer is 10-20 times slower */
#else
#define PHASE_OPS 4000          /* per walker and phase */
#endif
#define WALK_LIVE 1024          /* blocks a walker holds at most: together, more than the zones have */
#define INBOX 128

struct inbox {                  /* blocks handed to a walker, for it to free */
	pthread_mutex_t lock;
	struct live block[INBOX];
	unsigned n;
};

struct walk;

struct walker {
	struct walk *w;
	int id;
	uint64_t rng;
	struct live live[WALK_LIVE];
	size_t nr;
	unsigned long allocs, fails, handed, drains;
};

struct walk {
	bz_system *sys;
	_Atomic unsigned char *map;     /* pfn: 1 while allocated, whoever holds it */
	pthread_barrier_t stopped, resume;
	_Atomic bool stop;              /* the main thread saw a failure: end at the next barrier */
	struct inbox inbox[WALKERS];
	struct walker walker[WALKERS];
	struct thread_failures tf;
	pthread_mutex_t log_lock;
	char last_log[512];             /* the library's last message (bz_check says what broke) */
};

static void walk_log(void *arg, int level, const char *msg)
{
	struct walk *w = arg;

	(void)level;
	pthread_mutex_lock(&w->log_lock);
	snprintf(w->last_log, sizeof(w->last_log), "%s", msg);
	pthread_mutex_unlock(&w->log_lock);
}

/* Marks [pfn, pfn + 2^order) allocated (v = 1) or free (v = 0); false if some page was not the opposite. */
static bool walk_mark(struct walk *w, unsigned long pfn, unsigned order, unsigned char v)
{
	bool ok = true;

	for (unsigned long i = 0; i < (1ul << order); i++) {
		if (!THREAD_CHECK(&w->tf, pfn + i < MAX_PFN))
			return false;
		if (atomic_exchange(&w->map[pfn + i], v) == v) {
			thread_fail(&w->tf, "pfn %#lx: %s twice (block %#lx order %u)", pfn + i,
				    v ? "allocated" : "freed", pfn, order);
			ok = false;
		}
	}
	return ok;
}

static bool walk_pattern_ok(struct walk *w, const struct live *l)
{
	const unsigned char *a = bz_page_address(l->page);
	size_t size = BZ_PAGE_SIZE << l->order;

	if (a[0] == l->pattern && a[size / 2] == l->pattern && a[size - 1] == l->pattern)
		return true;
	thread_fail(&w->tf, "block %#lx order %u: pattern %#x overwritten", bz_page_to_pfn(l->page), l->order,
		    l->pattern);
	return false;
}

static void walk_release(struct walk *w, const struct live *l)
{
	walk_pattern_ok(w, l);
	walk_mark(w, bz_page_to_pfn(l->page), l->order, 0);
	if (bz_free_pages(l->page, l->order) != 0)
		thread_fail(&w->tf, "bz_free_pages(%#lx, %u) refused", bz_page_to_pfn(l->page), l->order);
}

static void walk_alloc(struct walker *me)
{
	struct walk *w = me->w;
	int max_zone;
	bz_gfp_t gfp = random_gfp_from(&me->rng, ALL_KINDS, &max_zone);
	unsigned order = random_order_from(&me->rng);
	bz_page *p = bz_alloc_pages(w->sys, gfp, order);
	struct live *l = &me->live[me->nr];
	unsigned char *a;
	size_t size = BZ_PAGE_SIZE << order;

	if (!p) {
		me->fails++;
		return;
	}
	me->allocs++;
	THREAD_CHECK(&w->tf, bz_page_zonenum(p) <= max_zone);
	THREAD_CHECK(&w->tf, bz_page_to_pfn(p) % (1ul << order) == 0);
	walk_mark(w, bz_page_to_pfn(p), order, 1);
	a = bz_page_address(p);
	if (gfp & BZ_GFP_ZERO)
		THREAD_CHECK(&w->tf, a[0] == 0 && a[size / 2] == 0 && a[size - 1] == 0);
	*l = (struct live){ p, order, (unsigned char)(1 + rnd_from(&me->rng) % 255) };
	a[0] = a[size / 2] = a[size - 1] = l->pattern;
	me->nr++;
}

/* Frees what other walkers handed over. */
static void walk_empty_inbox(struct walker *me)
{
	struct inbox *in = &me->w->inbox[me->id];

	pthread_mutex_lock(&in->lock);
	while (in->n)
		walk_release(me->w, &in->block[--in->n]);
	pthread_mutex_unlock(&in->lock);
}

/* Gives l to another walker to free; false when its inbox is full. */
static bool walk_hand_over(struct walker *me, const struct live *l)
{
	int to = (me->id + 1 + (int)(rnd_from(&me->rng) % (WALKERS - 1))) % WALKERS;
	struct inbox *in = &me->w->inbox[to];
	bool ok;

	pthread_mutex_lock(&in->lock);
	ok = in->n < INBOX;
	if (ok)
		in->block[in->n++] = *l;
	pthread_mutex_unlock(&in->lock);
	return ok;
}

/* One step: mostly allocate or free, sometimes hand a block over, empty the inbox, drain every cache. */
static void walk_step(struct walker *me, bool grow)
{
	uint32_t r = rnd_from(&me->rng) % 1000;
	size_t target = grow ? WALK_LIVE : 64;

	if (r == 0) {
		THREAD_CHECK(&me->w->tf, bz_drain_all_pages(me->w->sys) == 0);
		me->drains++;
	} else if (r < 50) {
		walk_empty_inbox(me);
	} else if (me->nr && (me->nr >= target || rnd_from(&me->rng) % (grow ? 4 : 2) == 0)) {
		size_t i = rnd_from(&me->rng) % me->nr;
		struct live l = me->live[i];

		me->live[i] = me->live[--me->nr];
		if (rnd_from(&me->rng) % 4 == 0 && walk_hand_over(me, &l))
			me->handed++;
		else
			walk_release(me->w, &l);
	} else {
		walk_alloc(me);
	}
}

static void *walker_main(void *arg)
{
	struct walker *me = arg;
	struct walk *w = me->w;

	for (int phase = 0; phase < PHASES; phase++) {
		/* Phases alternate between a small working set and one that runs memory out. */
		for (int op = 0; op < PHASE_OPS && !atomic_load(&w->tf.count); op++)
			walk_step(me, phase % 2);
		pthread_barrier_wait(&w->stopped);
		pthread_barrier_wait(&w->resume);
		if (atomic_load(&w->stop))
			break;
	}
	/* Nobody hands over any more (all passed the last barrier): everything back. */
	while (me->nr)
		walk_release(w, &me->live[--me->nr]);
	walk_empty_inbox(me);
	return NULL;
}

/* Pages of each zone the walkers hold (in their hands and inboxes), and pfns marked in the map. */
static void walk_held(struct walk *w, unsigned long held[BZ_MAX_NR_ZONES], unsigned long *marked)
{
	memset(held, 0, BZ_MAX_NR_ZONES * sizeof(held[0]));
	for (int k = 0; k < WALKERS; k++) {
		for (size_t i = 0; i < w->walker[k].nr; i++)
			held[bz_page_zonenum(w->walker[k].live[i].page)] += 1ul << w->walker[k].live[i].order;
		pthread_mutex_lock(&w->inbox[k].lock);
		for (unsigned i = 0; i < w->inbox[k].n; i++)
			held[bz_page_zonenum(w->inbox[k].block[i].page)] += 1ul << w->inbox[k].block[i].order;
		pthread_mutex_unlock(&w->inbox[k].lock);
	}
	*marked = 0;
	for (unsigned long pfn = 0; pfn < MAX_PFN; pfn++)
		*marked += atomic_load_explicit(&w->map[pfn], memory_order_relaxed);
}

/* At a barrier, every walker stopped: the invariants, and the accounting against what they hold. */
static void walk_check(struct walk *w, int phase)
{
	unsigned long held[BZ_MAX_NR_ZONES], marked, total = 0;
	int ret = bz_check(w->sys);

	if (ret) {
		pthread_mutex_lock(&w->log_lock);
		thread_fail(&w->tf, "phase %d: bz_check: %d (%s)", phase, ret, w->last_log);
		pthread_mutex_unlock(&w->log_lock);
	}
	walk_held(w, held, &marked);
	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
		struct bz_zone_stats st = { .size = sizeof(st) };

		if (!THREAD_CHECK(&w->tf, bz_zone_stats(w->sys, 0, zid, &st) == 0))
			continue;
		if (st.free + st.cached + held[zid] != st.managed)
			thread_fail(&w->tf, "phase %d zone %d: free %lu + cached %lu + allocated %lu != managed %lu",
				    phase, zid, st.free, st.cached, held[zid], st.managed);
		total += held[zid];
	}
	if (marked != total)
		thread_fail(&w->tf, "phase %d: %lu pages marked allocated, the walkers hold %lu", phase, marked, total);
}

static struct walk *walk_new(uint64_t seed)
{
	struct walk *w = calloc(1, sizeof(*w));
	struct bz_config cfg;

	assert_non_null(w);
	w->map = calloc(MAX_PFN, sizeof(w->map[0]));
	assert_non_null(w->map);
	pthread_mutex_init(&w->tf.lock, NULL);
	pthread_mutex_init(&w->log_lock, NULL);
	bz_config_init(&cfg);
	cfg.zones = LAYOUT;
	cfg.cpus_per_node = 2;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	/* No background reporting: it takes free blocks off the lists while the walkers stand still. */
	cfg.page_reporting_delay_ms = 0;
	cfg.log = walk_log;
	cfg.log_arg = w;
	assert_int_equal(bz_system_create(&cfg, &w->sys), 0);
	for (int k = 0; k < WALKERS; k++) {
		pthread_mutex_init(&w->inbox[k].lock, NULL);
		w->walker[k] = (struct walker){ .w = w, .id = k, .rng = derive_state(seed, (uint64_t)k) };
	}
	assert_int_equal(pthread_barrier_init(&w->stopped, NULL, WALKERS + 1), 0);
	assert_int_equal(pthread_barrier_init(&w->resume, NULL, WALKERS + 1), 0);
	return w;
}

static void walk_free(struct walk *w)
{
	pthread_barrier_destroy(&w->stopped);
	pthread_barrier_destroy(&w->resume);
	for (int k = 0; k < WALKERS; k++)
		pthread_mutex_destroy(&w->inbox[k].lock);
	bz_system_destroy(w->sys);
	free((void *)w->map);
	free(w);
}

static void test_random_walk_threads(void **state)
{
	uint64_t seed = test_seed(derive_state((uint64_t)time(NULL), (uint64_t)getpid()));
	struct walk *w = walk_new(seed);
	unsigned long managed = total_free(w->sys), allocs = 0, fails = 0, handed = 0, drains = 0;
	pthread_t t[WALKERS];

	(void)state;
	print_message("threaded walk: seed %#llx (BUDDYZONE_TEST_SEED=%#llx repeats it)\n",
		      (unsigned long long)seed, (unsigned long long)seed);
	for (int k = 0; k < WALKERS; k++)
		assert_int_equal(pthread_create(&t[k], NULL, walker_main, &w->walker[k]), 0);
	for (int phase = 0; phase < PHASES; phase++) {
		pthread_barrier_wait(&w->stopped);
		walk_check(w, phase);
		if (atomic_load(&w->tf.count))
			atomic_store(&w->stop, true);
		pthread_barrier_wait(&w->resume);
		if (atomic_load(&w->stop))
			break;
	}
	for (int k = 0; k < WALKERS; k++) {
		assert_int_equal(pthread_join(t[k], NULL), 0);
		allocs += w->walker[k].allocs;
		fails += w->walker[k].fails;
		handed += w->walker[k].handed;
		drains += w->walker[k].drains;
	}
	print_message("threaded walk: %lu allocations, %lu failed, %lu blocks freed by another thread, %lu drains\n",
		      allocs, fails, handed, drains);
	assert_no_thread_failures(&w->tf);
	assert_true(allocs > 0);
	assert_true(fails > 0);         /* memory did run out at times (the growing phases) */
	assert_int_equal(bz_check(w->sys), 0);
	assert_int_equal(total_free(w->sys), managed);
	walk_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_walk_million_ops),
		cmocka_unit_test(test_random_walk_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
