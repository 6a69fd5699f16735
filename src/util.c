/* SPDX-License-Identifier: MIT */
/*
 * util.c - the small services every layer shares: the monotonic clock and
 * deadlines, the kernel's ___ratelimit(), starting the library's
 * background threads (kswapd, page reporting, the statistics publisher)
 * the one safe way, and the assertion failure path.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

/* ---- time ------------------------------------------------------------------------- */

static long clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000l + ts.tv_nsec;
}

long bz__now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

long bz__now_coarse_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

struct timespec bz__deadline_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000l;
	if (ts.tv_nsec >= 1000000000l) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000l;
	}
	return ts;
}

void bz__cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* ---- rate limits ------------------------------------------------------------------- */

/*
 * ___ratelimit(): a new interval starts when the last one is over (one
 * thread wins the compare-exchange and restarts the count); every event
 * counts, and the first burst of an interval pass.
 */
bool bz__ratelimit(struct bz_ratelimit *rs, long interval_ns, long burst, long *missed)
{
	long now = bz__now_ns(), last = atomic_load_explicit(&rs->last_ns, memory_order_relaxed);

	if (missed)
		*missed = 0;
	if (now - last > interval_ns &&
	    atomic_compare_exchange_strong_explicit(&rs->last_ns, &last, now, memory_order_relaxed,
						    memory_order_relaxed)) {
		long seen = atomic_exchange_explicit(&rs->burst, 0, memory_order_relaxed);

		if (missed && seen > burst)
			*missed = seen - burst;
	}
	return atomic_fetch_add_explicit(&rs->burst, 1, memory_order_relaxed) < burst;
}

/* ---- background threads ------------------------------------------------------------- */

static atomic_bool threads_forbidden;

bool bz__may_start_threads(void)
{
	return !atomic_load_explicit(&threads_forbidden, memory_order_relaxed);
}

void bz__forbid_threads(void)
{
	atomic_store(&threads_forbidden, true);
}

int bz__thread_start(pthread_t *thread, void *(*fn)(void *), void *arg, const char *name)
{
	sigset_t all, old;
	int err;

	if (!bz__may_start_threads())
		return -EAGAIN;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	pthread_setname_np(*thread, name);
	return 0;
}

/* ---- assertions ---------------------------------------------------------------------- */

void bz__assert_fail(const char *file, int line, const char *expr)
{
	bz__log(NULL, BZ_LOG_ERR, "assertion failed at %s:%d: %s", file, line, expr);
	fprintf(stderr, "libbuddyzone: assertion failed at %s:%d: %s\n", file, line, expr);
	abort();
}
