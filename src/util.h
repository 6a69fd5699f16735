/* SPDX-License-Identifier: MIT */
/*
 * util.h - the base layer (DESIGN.md, "Layers"): what every file may use
 * and that knows nothing of the model.  Compiler helpers, assertions, the
 * clock, deadlines, rate limits, background threads (util.c), the log and
 * error strings (log.c), gfp flags (gfp.c) and the options table that
 * turns a struct bz_config and the environment into settled values
 * (options.c).  Names shared between files start with bz__.
 */
#ifndef BZ_UTIL_H
#define BZ_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <buddyzone/buddyzone.h>

#if defined(__GNUC__)
#define bz_likely(x)   __builtin_expect(!!(x), 1)
#define bz_unlikely(x) __builtin_expect(!!(x), 0)
#define BZ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define bz_likely(x)   (x)
#define bz_unlikely(x) (x)
#define BZ_PRINTF(a, b)
#endif

#define BZ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BZ_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BZ_MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * ---- assertions, in tiers (CMake BZ_ASSERT, default 0; 2 in the
 * sanitizer builds): 1 checks slow paths and lock ownership, 2 also the
 * hot paths.  A failed assertion is a bug in the library: it is logged
 * and the process aborts, as the kernel's VM_BUG_ON would stop it.
 */
#ifndef BZ_ASSERT_LEVEL
#define BZ_ASSERT_LEVEL 0
#endif

void bz__assert_fail(const char *file, int line, const char *expr) __attribute__((noreturn, cold));

#define BZ_ASSERT_TIER(level, cond)                                          \
	do {                                                                 \
		if (BZ_ASSERT_LEVEL >= (level) && bz_unlikely(!(cond)))      \
			bz__assert_fail(__FILE__, __LINE__, #cond);          \
	} while (0)
#define BZ_ASSERT(cond)     BZ_ASSERT_TIER(1, cond)   /* slow paths */
#define BZ_ASSERT_HOT(cond) BZ_ASSERT_TIER(2, cond)   /* fast paths */

/* ---- util.c: clock, deadlines, rate limits, background threads --------------- */

/* CLOCK_MONOTONIC in ns; the coarse clock (a vDSO read, jiffy resolution) for periodic work. */
long bz__now_ns(void);
long bz__now_coarse_ns(void);
/* The absolute CLOCK_MONOTONIC time ms from now, for pthread_cond_timedwait. */
struct timespec bz__deadline_ms(long ms);
/* A condition variable timed on CLOCK_MONOTONIC (bz__deadline_ms). */
void bz__cond_init_monotonic(pthread_cond_t *cond);

/* ___ratelimit(): at most burst events per interval_ns; relaxed atomics, no lock. */
struct bz_ratelimit {
	_Atomic long last_ns;           /* start of the current interval */
	_Atomic long burst;             /* events in it, the suppressed ones included */
};

/*
 * True when this event may be reported.  When a new interval begins and
 * missed is not NULL, *missed gets the number the last one suppressed (the
 * kernel's "N callbacks suppressed"), else 0.
 */
bool bz__ratelimit(struct bz_ratelimit *rs, long interval_ns, long burst, long *missed);
#define BZ_RATELIMIT_INTERVAL_NS (5l * 1000000000l) /* DEFAULT_RATELIMIT_INTERVAL */
#define BZ_RATELIMIT_BURST       10                 /* DEFAULT_RATELIMIT_BURST */

/*
 * Starts a background thread of the library with every signal blocked (the
 * application's handlers never run on it) and names it.  0, -EAGAIN in a
 * child forked from a threaded process (POSIX allows it only
 * async-signal-safe calls, and ThreadSanitizer refuses new threads there),
 * or pthread_create's -errno.
 */
int bz__thread_start(pthread_t *thread, void *(*fn)(void *), void *arg, const char *name);
/* False in such a child: no background thread may start (fork.c decides). */
bool bz__may_start_threads(void);
void bz__forbid_threads(void);

/* ---- log.c: messages, error strings ------------------------------------------------ */

/* Sends one message to sys's log callback (or the process-wide one); sys may be NULL. */
void bz__log(const struct bz_system *sys, int level, const char *fmt, ...) BZ_PRINTF(3, 4);
void bz__vlog(const struct bz_system *sys, int level, const char *fmt, va_list ap);
/* True when a message at this level would reach somebody. */
bool bz__log_enabled(const struct bz_system *sys);

/* ---- gfp.c: the flags, turned into what the allocator needs ---------------------------- */

/* Highest zone index for gfp, -EINVAL for a bad combination (gfp_zone). */
int bz__gfp_zone(bz_gfp_t gfp);
/* gfp_migratetype(); -EINVAL for MOVABLE and RECLAIMABLE together. */
int bz__gfp_migratetype(bz_gfp_t gfp);

#endif /* BZ_UTIL_H */
