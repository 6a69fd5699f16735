/* SPDX-License-Identifier: MIT */
/*
 * wait.h - how the tests wait for another thread: for a condition that
 * proves the awaited state was reached, never for a stretch of time.  A
 * condition is polled until it holds or a generous deadline passes, so a
 * slow or loaded machine (sanitizers, two cores shared) is not a failure
 * and a fast one does not pass without reaching the state.  Also the
 * records a worker thread keeps instead of asserting (cmocka's asserts
 * longjmp, which only the main thread may do): the main thread reports
 * them after pthread_join.
 */
#ifndef BZ_TEST_WAIT_H
#define BZ_TEST_WAIT_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

/* Far above what any condition of the suites needs; below ctest's 300 s per suite. */
#define WAIT_DEADLINE_S 60.0

static inline double wait_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Polls cond(arg) every millisecond until it holds (true) or the deadline passes (false). */
static inline bool wait_for(bool (*cond)(void *), void *arg)
{
	const struct timespec tick = { 0, 1000 * 1000 };
	double deadline = wait_now_s() + WAIT_DEADLINE_S;

	while (!cond(arg)) {
		if (wait_now_s() > deadline)
			return cond(arg);
		nanosleep(&tick, NULL);
	}
	return true;
}

/*
 * Whether thread tid of this process is asleep in the kernel ('S': a futex
 * wait, as in pthread_cond_wait), from /proc/self/task/TID/stat.
 */
static inline bool thread_sleeping(pid_t tid)
{
	char path[64], buf[512], *close_paren;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	close_paren = strrchr(buf, ')');        /* the name may hold spaces and parentheses */
	return close_paren && close_paren[1] == ' ' && close_paren[2] == 'S';
}

/* Failures seen by worker threads: the first message kept, all counted. */
struct thread_failures {
	pthread_mutex_t lock;
	_Atomic int count;
	char first[512];
};

#define THREAD_FAILURES_INIT { PTHREAD_MUTEX_INITIALIZER, 0, "" }

static inline void thread_fail(struct thread_failures *tf, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&tf->lock);
	if (atomic_fetch_add(&tf->count, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(tf->first, sizeof(tf->first), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&tf->lock);
}

/* Records a failure unless cond holds; evaluates to cond. */
#define THREAD_CHECK(tf, cond) \
	((cond) ? true : (thread_fail((tf), "%s:%d: %s", __FILE__, __LINE__, #cond), false))

/* In the main thread, after the workers were joined: fails the test if any failed. */
#define assert_no_thread_failures(tf)                                                        \
	do {                                                                                 \
		if (atomic_load(&(tf)->count))                                               \
			fail_msg("%d failure(s) in worker threads, the first: %s",           \
				 atomic_load(&(tf)->count), (tf)->first);                    \
	} while (0)

#endif /* BZ_TEST_WAIT_H */
