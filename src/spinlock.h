/* SPDX-License-Identifier: MIT */
/*
 * spinlock.h - the zone lock: test-and-test-and-set with a pause in the
 * spin, counting acquisitions that had to wait (lock contention is reported
 * in zoneinfo).  Critical sections are short (a batch of list operations),
 * so spinning beats sleeping; after a long spin we yield the CPU so an
 * oversubscribed machine still makes progress.
 */
#ifndef BZ_SPINLOCK_H
#define BZ_SPINLOCK_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "util.h"

typedef struct {
	atomic_int locked;
#if BZ_ASSERT_LEVEL
	_Atomic(pthread_t) owner;       /* for bz_spin_held(): assertion builds only */
#endif
} bz_spinlock;

#if BZ_ASSERT_LEVEL
static inline void bz_spin_set_owner(bz_spinlock *l, bool mine)
{
	atomic_store_explicit(&l->owner, mine ? pthread_self() : (pthread_t)0, memory_order_relaxed);
}

/* lockdep_assert_held(): the calling thread holds l. */
static inline bool bz_spin_held(bz_spinlock *l)
{
	return atomic_load_explicit(&l->locked, memory_order_relaxed) &&
	       pthread_equal(atomic_load_explicit(&l->owner, memory_order_relaxed), pthread_self());
}
#else
static inline void bz_spin_set_owner(bz_spinlock *l, bool mine)
{
	(void)l;
	(void)mine;
}

static inline bool bz_spin_held(bz_spinlock *l)
{
	(void)l;
	return true;
}
#endif

static inline void bz_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static inline void bz_spin_init(bz_spinlock *l)
{
	atomic_init(&l->locked, 0);
}

static inline bool bz_spin_trylock(bz_spinlock *l)
{
	if (atomic_load_explicit(&l->locked, memory_order_relaxed) ||
	    atomic_exchange_explicit(&l->locked, 1, memory_order_acquire))
		return false;
	bz_spin_set_owner(l, true);
	return true;
}

/* Returns true when the lock was contended. */
static inline bool bz_spin_lock(bz_spinlock *l)
{
	if (bz_spin_trylock(l))
		return false;
	for (unsigned spins = 0;; spins++) {
		while (atomic_load_explicit(&l->locked, memory_order_relaxed)) {
			if (++spins < 128)
				bz_cpu_relax();
			else {
				spins = 0;
				sched_yield();
			}
		}
		if (!atomic_exchange_explicit(&l->locked, 1, memory_order_acquire)) {
			bz_spin_set_owner(l, true);
			return true;
		}
	}
}

static inline void bz_spin_unlock(bz_spinlock *l)
{
	bz_spin_set_owner(l, false);
	atomic_store_explicit(&l->locked, 0, memory_order_release);
}

/*
 * A ticket lock: taken in arrival order.  For a thread cache's lock, where
 * a drainer looping over bz_drain_all_pages would otherwise re-take the
 * lock before a waiting owner ever got it.
 */
typedef struct {
	atomic_uint next, owner;
} bz_ticketlock;

static inline void bz_ticket_init(bz_ticketlock *l)
{
	atomic_init(&l->next, 0);
	atomic_init(&l->owner, 0);
}

static inline void bz_ticket_lock(bz_ticketlock *l)
{
	unsigned me = atomic_fetch_add_explicit(&l->next, 1, memory_order_relaxed);

	for (unsigned spins = 0; atomic_load_explicit(&l->owner, memory_order_acquire) != me;) {
		if (++spins < 128) {
			bz_cpu_relax();
		} else {
			spins = 0;
			sched_yield();
		}
	}
}

static inline void bz_ticket_unlock(bz_ticketlock *l)
{
	atomic_store_explicit(&l->owner, atomic_load_explicit(&l->owner, memory_order_relaxed) + 1,
			      memory_order_release);
}

#endif /* BZ_SPINLOCK_H */
