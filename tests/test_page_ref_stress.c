/* SPDX-License-Identifier: MIT */
/*
 * test_page_ref_stress.c - reference counts across threads (page_ref.h's
 * protocol): speculative get_page_unless_zero racing the owner's lock-free
 * free of the last reference, and references handed to other threads
 * whose put_page races the owner's __free_pages, of order-0, non-compound
 * and compound blocks.  Workers record failures in atomics; the test
 * asserts after joining: no call refused, nothing logged, every page back
 * after a drain, bz_check clean.  Also run under ThreadSanitizer (.ci/run).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common.h"

#define ZONES "0:DMA32=16384,0:Normal=16384"
#define SPEC_ROUNDS 20000
#define SPEC_SYNC_EVERY 16      /* rounds where the speculative reference is forced to be the last */
#define SPECULATORS 3
#define HAND_ROUNDS 20000
#define WORKERS 3
#define QUEUE 256

static _Atomic int errors_logged;

static void count_errors(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= BZ_LOG_ERR) {
		errors_logged++;
		fprintf(stderr, "logged: %s\n", msg);
	}
}

static bz_system *stress_system(unsigned debug)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.cpus_per_node = 4;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.log = count_errors;
	cfg.debug = debug;
	cfg.debug_check_interval = 500;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	bz_set_log_callback(count_errors, NULL);
	errors_logged = 0;
	return sys;
}

static void assert_all_back(bz_system *sys, unsigned long free_before)
{
	assert_int_equal(errors_logged, 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);
	assert_int_equal(total_free(sys), free_before);
	assert_int_equal(bz_check(sys), 0);
	bz_set_log_callback(NULL, NULL);
	bz_system_destroy(sys);
}

/* Progress counters order the threads: wait (yielding) until counter reaches value, or done. */
static void yield_until(_Atomic unsigned long *counter, unsigned long value, _Atomic int *done)
{
	while (atomic_load(counter) < value && !atomic_load(done))
		sched_yield();
}

/* ---- speculative references against the owner's fast free ------------------------------ */

struct spec {
	bz_system *sys;
	bz_page *_Atomic slot;          /* the owner's current page, for speculators to find */
	bz_page *_Atomic sync_page;     /* the same during a sync round, else NULL */
	_Atomic int done;
	_Atomic unsigned long sync_taken;   /* speculator 0 holds a reference to sync round n */
	_Atomic unsigned long sync_freed;   /* the owner has freed sync round n */
	_Atomic unsigned long taken, last_put, failures;
	unsigned long held_after_free;  /* the owner's: sync rounds whose page outlived its free */
};

struct spec_arg {
	struct spec *s;
	int id;
};

/* A speculative reference to q, dropped again; 1 when that drop freed the page. */
static int spec_once(struct spec *s, bz_page *q)
{
	int got = bz_get_page_unless_zero(q), put;

	if (got < 0)
		s->failures++;
	if (got <= 0)
		return 0;
	s->taken++;
	if (bz_page_count(q) < 1)
		s->failures++;
	put = bz_put_page(q);
	if (put < 0)
		s->failures++;
	return put == 1;
}

/*
 * Speculator 0 holds a reference to each sync round's page (sync_page)
 * across the owner's free (the owner waits for sync_taken, frees, then
 * bumps sync_freed): the owner's free is then not the last, and a
 * speculative put frees the page.  Otherwise it races the owner freely, as
 * the others always do.
 */
static void *speculator(void *arg)
{
	struct spec_arg *a = arg;
	struct spec *s = a->s;

	while (!atomic_load(&s->done)) {
		bz_page *q = atomic_load_explicit(&s->slot, memory_order_acquire);
		bz_page *sync = a->id == 0 ? atomic_load(&s->sync_page) : NULL;
		unsigned long target;
		int put;

		if (!sync) {
			if (q)
				s->last_put += (unsigned long)spec_once(s, q);
			continue;
		}
		if (bz_get_page_unless_zero(sync) != 1)
			continue;
		s->taken++;
		/* Still the round's page: the reference is to it, which the owner has not freed yet. */
		if (atomic_load(&s->sync_page) == sync) {
			target = atomic_load(&s->sync_freed) + 1;
			atomic_store(&s->sync_taken, target);
			yield_until(&s->sync_freed, target, &s->done);
		}
		put = bz_put_page(sync);
		if (put < 0)
			s->failures++;
		s->last_put += put == 1;
	}
	return NULL;
}

static void test_stress_speculative_get_vs_fast_free(void **state)
{
	struct spec s = { .sys = stress_system(0) };
	struct spec_arg args[SPECULATORS];
	pthread_t t[SPECULATORS];
	unsigned long free_before = total_free(s.sys), sync_rounds = 0;

	(void)state;
	for (int i = 0; i < SPECULATORS; i++) {
		args[i] = (struct spec_arg){ &s, i };
		assert_int_equal(pthread_create(&t[i], NULL, speculator, &args[i]), 0);
	}
	for (unsigned long i = 0; i < SPEC_ROUNDS && !s.failures; i++) {
		bz_page *p = bz_alloc_pages(s.sys, BZ_GFP_KERNEL, 0);
		bool sync = i % SPEC_SYNC_EVERY == 0;

		if (!p) {
			s.failures++;
			break;
		}
		*(volatile unsigned long *)bz_page_address(p) = i;   /* the page is the owner's to write */
		atomic_store_explicit(&s.slot, p, memory_order_release);
		if (sync) {
			atomic_store(&s.sync_page, p);
			/* The owner's own reference keeps p: a count of 0 here is a lost reference. */
			while (atomic_load(&s.sync_taken) < sync_rounds + 1 && bz_page_ref_count(p) >= 1)
				sched_yield();
			if (bz_page_ref_count(p) < 1)
				s.failures++;
		}
		if (bz_free_pages(p, 0) != 0)
			s.failures++;
		if (sync) {
			/* Speculator 0 holds a reference until sync_freed moves: the page is still in use. */
			s.held_after_free += bz_page_ref_count(p) >= 1;
			atomic_store(&s.sync_page, NULL);
			atomic_store(&s.sync_freed, ++sync_rounds);
		}
	}
	atomic_store(&s.slot, NULL);
	atomic_store(&s.done, 1);
	for (int i = 0; i < SPECULATORS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(s.failures, 0);
	/* Every sync round the owner's free left the page to a speculative reference... */
	assert_int_equal(s.held_after_free, sync_rounds);
	assert_true(s.taken >= sync_rounds);
	/* ...and a speculative put freed it (certainly the first round's page). */
	assert_true(s.last_put >= 1);
	assert_all_back(s.sys, free_before);
}

/* ---- references handed to other threads ------------------------------------------------ */

struct queue {
	bz_page *_Atomic ring[QUEUE];
	_Atomic unsigned long head, tail;   /* the owner pushes at head, the worker pops at tail */
};

struct hand {
	bz_system *sys;
	struct queue q[WORKERS];
	_Atomic int done;
	_Atomic unsigned long failures, freed_by_worker;
};

struct hand_arg {
	struct hand *h;
	int id;
};

static void push(struct queue *q, bz_page *p)
{
	unsigned long head = atomic_load_explicit(&q->head, memory_order_relaxed);

	while (head - atomic_load_explicit(&q->tail, memory_order_acquire) >= QUEUE)
		sched_yield();
	atomic_store_explicit(&q->ring[head % QUEUE], p, memory_order_relaxed);
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
}

static bz_page *pop(struct queue *q)
{
	unsigned long tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	bz_page *p;

	if (tail == atomic_load_explicit(&q->head, memory_order_acquire))
		return NULL;
	p = atomic_load_explicit(&q->ring[tail % QUEUE], memory_order_relaxed);
	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	return p;
}

/* A holder's use of its reference: more references of its own now and then, then its put. */
static void *worker(void *arg)
{
	struct hand_arg *a = arg;
	struct hand *h = a->h;
	unsigned long n = 0;

	for (;;) {
		bz_page *p = pop(&h->q[a->id]);
		int ret;

		if (!p) {
			if (atomic_load(&h->done) && !pop(&h->q[a->id]))
				break;
			sched_yield();
			continue;
		}
		if (++n % 3 == 0) {
			if (bz_page_ref_add(p, 2) < 3 || bz_page_ref_sub(p, 2) != 0)
				h->failures++;
		} else if (n % 3 == 1) {
			if (bz_get_page(p) || bz_put_page(p) != 0)
				h->failures++;
		}
		ret = bz_put_page(p);
		if (ret < 0)
			h->failures++;
		h->freed_by_worker += (unsigned long)ret;
	}
	return NULL;
}

/* The owner allocates blocks of each kind and hands a reference to 0..WORKERS workers before its own __free_pages. */
static void hand_run(unsigned debug)
{
	static const struct { bz_gfp_t gfp; unsigned order; } kinds[] = {
		{ BZ_GFP_KERNEL, 0 },
		{ BZ_GFP_KERNEL, 2 },           /* non-compound: __free_pages keeps the first page for them */
		{ BZ_GFP_KERNEL | BZ_GFP_COMP, 2 },
		{ BZ_GFP_KERNEL | BZ_GFP_COMP, 3 },
	};
	struct hand *h = calloc(1, sizeof(*h));
	struct hand_arg args[WORKERS];
	pthread_t t[WORKERS];
	unsigned long free_before;

	h->sys = stress_system(debug);
	free_before = total_free(h->sys);
	for (int i = 0; i < WORKERS; i++) {
		args[i] = (struct hand_arg){ h, i };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
	}
	for (unsigned long i = 0; i < HAND_ROUNDS && !h->failures; i++) {
		unsigned k = (unsigned)(i % 4), holders = (unsigned)(i % (WORKERS + 1));
		bz_page *p = bz_alloc_pages(h->sys, kinds[k].gfp, kinds[k].order);

		if (!p) {
			h->failures++;
			break;
		}
		/* A reference for each holder, given while the owner holds its own. */
		for (unsigned w = 0; w < holders; w++) {
			if (bz_get_page(p))
				h->failures++;
			push(&h->q[(i + w) % WORKERS], p);
		}
		if (bz_free_pages(p, kinds[k].order) != 0)
			h->failures++;
	}
	atomic_store(&h->done, 1);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(h->failures, 0);
	assert_all_back(h->sys, free_before);
	free(h);
}

static void test_stress_references_handed_to_other_threads(void **state)
{
	(void)state;
	hand_run(0);
}

/*
 * The same in debug mode: frees freeze their block under the zone lock
 * before the hooks, and bz_check runs every 500 operations with the other
 * threads at work; a check that saw an allocated block without a
 * reference would log its failure.
 */
static void test_stress_references_in_debug_mode(void **state)
{
	(void)state;
	hand_run(BZ_DEBUG_POISON | BZ_DEBUG_CHECK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_speculative_get_vs_fast_free),
		cmocka_unit_test(test_stress_references_handed_to_other_threads),
		cmocka_unit_test(test_stress_references_in_debug_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
