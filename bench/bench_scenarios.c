/* SPDX-License-Identifier: MIT */
/*
 * bench_scenarios.c - the side-by-side scenarios, each written once over
 * an allocator's operations (bench_allocators.h) and compiled once per
 * allocator, so that every call is a direct call (or, for a dlopen()ed
 * peer, one indirect call) and no allocator pays for dispatch.  The harness
 * (bench_peers.cpp) times them; nothing here reads a clock.
 *
 * Blocks are never touched, except in the zeroed scenario, which writes one
 * byte of each page it gets (so mmap's zeroing, done by the page fault of
 * the first touch, is counted like everyone else's memset).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench_allocators.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* ---- the bodies ------------------------------------------------------------------- */

ALWAYS_INLINE size_t pairs_body(const struct bench_ops *o, unsigned order, size_t iters)
{
	size_t failed = 0;

	for (size_t i = 0; i < iters; i++) {
		void *b = o->alloc(order);

		if (__builtin_expect(!b, 0) || o->free(b, order))
			failed++;
	}
	return failed;
}

ALWAYS_INLINE size_t zeroed_body(const struct bench_ops *o, size_t iters)
{
	size_t failed = 0;

	for (size_t i = 0; i < iters; i++) {
		volatile char *p = o->zalloc(0);

		if (__builtin_expect(!p, 0)) {
			failed++;
			continue;
		}
		p[0] = 1;
		if (o->zfree((void *)p, 0))
			failed++;
	}
	return failed;
}

/* n order-0 blocks, then all of them freed in the order they came. */
ALWAYS_INLINE size_t burst_body(const struct bench_ops *o, void **slots, size_t n)
{
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		slots[i] = o->alloc(0);
		failed += !slots[i];
	}
	for (size_t i = 0; i < n; i++)
		if (slots[i] && o->free(slots[i], 0))
			failed++;
	return failed;
}

/* ---- the live set: seeded xorshift, the same sequence for every allocator ---------- */

struct bz_bench_live {
	enum bz_bench_allocator a;
	size_t n;
	uint64_t rng;
	void **blocks;
	unsigned char *orders;
};

/* xorshift64* (Vigna): good low bits, and cheap next to any allocation. */
static inline uint64_t live_next(struct bz_bench_live *ls)
{
	ls->rng ^= ls->rng >> 12;
	ls->rng ^= ls->rng << 25;
	ls->rng ^= ls->rng >> 27;
	return ls->rng * 0x2545F4914F6CDD1Dull;
}

/* One step: a random slot's block freed, a block of a random order 0..3 in its place. */
ALWAYS_INLINE size_t live_body(const struct bench_ops *o, struct bz_bench_live *ls, size_t iters)
{
	size_t failed = 0;

	for (size_t i = 0; i < iters; i++) {
		uint64_t r = live_next(ls);
		/* (r >> 32) * n >> 32 (Lemire): a slot without a division. */
		size_t slot = (size_t)(((r >> 32) * ls->n) >> 32);
		unsigned order = (unsigned)(r & 3);

		if (ls->blocks[slot] && o->free(ls->blocks[slot], ls->orders[slot]))
			failed++;
		ls->blocks[slot] = o->alloc(order);
		ls->orders[slot] = (unsigned char)order;
		failed += !ls->blocks[slot];
	}
	return failed;
}

/* Every slot gets a block of a random order, from the same sequence. */
ALWAYS_INLINE size_t live_fill_body(const struct bench_ops *o, struct bz_bench_live *ls)
{
	size_t failed = 0;

	for (size_t i = 0; i < ls->n; i++) {
		ls->orders[i] = (unsigned char)(live_next(ls) & 3);
		ls->blocks[i] = o->alloc(ls->orders[i]);
		failed += !ls->blocks[i];
	}
	return failed;
}

ALWAYS_INLINE size_t live_release_body(const struct bench_ops *o, struct bz_bench_live *ls)
{
	size_t failed = 0;

	for (size_t i = 0; i < ls->n; i++)
		if (ls->blocks[i] && o->free(ls->blocks[i], ls->orders[i]))
			failed++;
	return failed;
}

/* ---- producer and consumer: a bounded single-producer single-consumer ring ------- */

#define PC_RING 1024u

struct bz_bench_pc {
	_Alignas(64) _Atomic size_t tail;       /* written by the producer */
	size_t head_seen;                       /* the producer's last look at head */
	_Alignas(64) _Atomic size_t head;       /* written by the consumer */
	_Atomic size_t consumer_failed;
	_Atomic int stop;
	enum bz_bench_allocator a;
	pthread_t consumer;
	_Alignas(64) void *ring[PC_RING];
};

/* Spinning costs the other thread its core on a small machine: yield after a while. */
static inline void pc_wait(unsigned *spins)
{
	if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#elif defined(__aarch64__)
		__asm__ __volatile__("yield");
#endif
	} else {
		*spins = 0;
		sched_yield();
	}
}

ALWAYS_INLINE size_t produce_body(const struct bench_ops *o, struct bz_bench_pc *pc, size_t iters)
{
	size_t tail = atomic_load_explicit(&pc->tail, memory_order_relaxed), failed = 0;

	for (size_t i = 0; i < iters; i++) {
		void *b = o->alloc(0);
		unsigned spins = 0;

		if (__builtin_expect(!b, 0)) {
			failed++;
			continue;
		}
		while (tail - pc->head_seen >= PC_RING) {
			pc->head_seen = atomic_load_explicit(&pc->head, memory_order_acquire);
			if (tail - pc->head_seen >= PC_RING)
				pc_wait(&spins);
		}
		pc->ring[tail % PC_RING] = b;
		atomic_store_explicit(&pc->tail, ++tail, memory_order_release);
	}
	return failed;
}

ALWAYS_INLINE void consume_body(const struct bench_ops *o, struct bz_bench_pc *pc)
{
	size_t head = 0, tail = 0, failed = 0;
	unsigned spins = 0;

	for (;;) {
		if (head == tail) {
			tail = atomic_load_explicit(&pc->tail, memory_order_acquire);
			if (head == tail) {
				if (atomic_load_explicit(&pc->stop, memory_order_acquire) &&
				    head == atomic_load_explicit(&pc->tail, memory_order_acquire))
					break;
				pc_wait(&spins);
				continue;
			}
		}
		spins = 0;
		if (o->free(pc->ring[head % PC_RING], 0))
			failed++;
		atomic_store_explicit(&pc->head, ++head, memory_order_release);
	}
	atomic_store_explicit(&pc->consumer_failed, failed, memory_order_relaxed);
}

/* ---- one instance of every body per allocator --------------------------------------- */

struct scenarios {
	size_t (*pairs)(unsigned order, size_t iters);
	size_t (*zeroed)(size_t iters);
	size_t (*burst)(void **slots, size_t n);
	size_t (*live_fill)(struct bz_bench_live *ls);
	size_t (*live)(struct bz_bench_live *ls, size_t iters);
	size_t (*live_release)(struct bz_bench_live *ls);
	size_t (*produce)(struct bz_bench_pc *pc, size_t iters);
	void *(*consume)(void *pc);
};

#define DEFINE_SCENARIOS(name, zalloc_op, zfree_op)                                             \
	static const struct bench_ops name##_ops = { name##_alloc, name##_free, zalloc_op, zfree_op }; \
	static size_t name##_pairs(unsigned order, size_t iters)                                 \
	{                                                                                       \
		return pairs_body(&name##_ops, order, iters);                                    \
	}                                                                                       \
	static size_t name##_zeroed(size_t iters)                                                \
	{                                                                                       \
		return zeroed_body(&name##_ops, iters);                                          \
	}                                                                                       \
	static size_t name##_burst(void **slots, size_t n)                                       \
	{                                                                                       \
		return burst_body(&name##_ops, slots, n);                                        \
	}                                                                                       \
	static size_t name##_live_fill(struct bz_bench_live *ls)                                 \
	{                                                                                       \
		return live_fill_body(&name##_ops, ls);                                          \
	}                                                                                       \
	static size_t name##_live(struct bz_bench_live *ls, size_t iters)                        \
	{                                                                                       \
		return live_body(&name##_ops, ls, iters);                                        \
	}                                                                                       \
	static size_t name##_live_release(struct bz_bench_live *ls)                              \
	{                                                                                       \
		return live_release_body(&name##_ops, ls);                                       \
	}                                                                                       \
	static size_t name##_produce(struct bz_bench_pc *pc, size_t iters)                       \
	{                                                                                       \
		return produce_body(&name##_ops, pc, iters);                                     \
	}                                                                                       \
	static void *name##_consume(void *pc)                                                    \
	{                                                                                       \
		consume_body(&name##_ops, pc);                                                   \
		return NULL;                                                                    \
	}                                                                                       \
	static const struct scenarios name##_scenarios = {                                       \
		name##_pairs, name##_zeroed, name##_burst, name##_live_fill, name##_live,          \
		name##_live_release,                                                             \
		name##_produce, name##_consume,                                                  \
	}

DEFINE_SCENARIOS(buddyzone, buddyzone_zalloc, buddyzone_zfree);
DEFINE_SCENARIOS(glibc, glibc_zalloc, glibc_free);
DEFINE_SCENARIOS(jemalloc, jemalloc_zalloc, jemalloc_free);
DEFINE_SCENARIOS(tcmalloc, tcmalloc_zalloc, tcmalloc_free);
DEFINE_SCENARIOS(mimalloc, mimalloc_zalloc, mimalloc_free);
DEFINE_SCENARIOS(mmap, mmap_alloc, mmap_free);

static const struct scenarios *const table[BZB_NR_ALLOCATORS] = {
	[BZB_LIBBUDDYZONE] = &buddyzone_scenarios, [BZB_GLIBC] = &glibc_scenarios,
	[BZB_JEMALLOC] = &jemalloc_scenarios,      [BZB_TCMALLOC] = &tcmalloc_scenarios,
	[BZB_MIMALLOC] = &mimalloc_scenarios,      [BZB_MMAP] = &mmap_scenarios,
};

/* The allocator's bodies, or NULL when it is not loaded. */
static const struct scenarios *scenarios_of(enum bz_bench_allocator a)
{
	return a < BZB_NR_ALLOCATORS && !bz_bench_allocator_missing(a) ? table[a] : NULL;
}

/* ---- the entry points of bench_shim.h ------------------------------------------------ */

static const struct bench_ops floor_ops = { bench_floor_alloc, bench_floor_free, NULL, NULL };

static size_t floor_pairs(unsigned order, size_t iters)
{
	return pairs_body(&floor_ops, order, iters);
}

size_t bz_bench_pairs(enum bz_bench_allocator a, unsigned order, size_t iters)
{
	const struct scenarios *s = scenarios_of(a);

	if (a == BZB_FLOOR)
		return floor_pairs(order, iters);
	return s ? s->pairs(order, iters) : iters;
}

size_t bz_bench_zeroed(enum bz_bench_allocator a, size_t iters)
{
	const struct scenarios *s = scenarios_of(a);

	return s ? s->zeroed(iters) : iters;
}

size_t bz_bench_burst(enum bz_bench_allocator a, void **slots, size_t n)
{
	const struct scenarios *s = scenarios_of(a);

	return s ? s->burst(slots, n) : n;
}

struct bz_bench_live *bz_bench_live_create(enum bz_bench_allocator a, size_t bytes, uint64_t seed)
{
	struct bz_bench_live *ls = calloc(1, sizeof(*ls));
	const struct scenarios *s = scenarios_of(a);

	if (!ls || !s)
		goto fail;
	ls->a = a;
	ls->rng = seed ? seed : 1;
	/* Orders 0..3 equally likely: 3.75 pages a block on average. */
	ls->n = bytes * 4 / (15 * BLOCK_BYTES(0));
	ls->blocks = calloc(ls->n, sizeof(*ls->blocks));
	ls->orders = calloc(ls->n, 1);
	if (!ls->n || !ls->blocks || !ls->orders)
		goto fail;
	if (s->live_fill(ls))
		goto fail;
	return ls;
fail:
	bz_bench_live_destroy(ls);
	return NULL;
}

size_t bz_bench_live_replace(struct bz_bench_live *ls, size_t iters)
{
	return table[ls->a]->live(ls, iters);
}

size_t bz_bench_live_destroy(struct bz_bench_live *ls)
{
	size_t failed = 0;

	if (!ls)
		return 0;
	if (ls->blocks)
		failed = table[ls->a]->live_release(ls);
	free(ls->blocks);
	free(ls->orders);
	free(ls);
	return failed;
}

struct bz_bench_pc *bz_bench_pc_start(enum bz_bench_allocator a)
{
	const struct scenarios *s = scenarios_of(a);
	struct bz_bench_pc *pc;

	if (!s || !(pc = aligned_alloc(_Alignof(struct bz_bench_pc), sizeof(*pc))))
		return NULL;
	*pc = (struct bz_bench_pc){ .a = a };
	if (pthread_create(&pc->consumer, NULL, s->consume, pc)) {
		free(pc);
		return NULL;
	}
	return pc;
}

size_t bz_bench_pc_produce(struct bz_bench_pc *pc, size_t iters)
{
	return table[pc->a]->produce(pc, iters);
}

size_t bz_bench_pc_stop(struct bz_bench_pc *pc)
{
	size_t failed;

	atomic_store_explicit(&pc->stop, 1, memory_order_release);
	pthread_join(pc->consumer, NULL);
	failed = atomic_load_explicit(&pc->consumer_failed, memory_order_relaxed);
	free(pc);
	return failed;
}
