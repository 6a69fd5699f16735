/* SPDX-License-Identifier: MIT */
/*
 * fail_page_alloc.c - fault injection, as the kernel's fail_page_alloc
 * (mm/fail_page_alloc.c over lib/fault-inject.c's should_fail_ex): a
 * system's attributes (probability, interval, times, space, min-order,
 * ignore-gfp-wait, ignore-gfp-highmem, verbose), set from a spec at
 * creation (bz_config.fail_page_alloc, BUDDYZONE_FAIL_PAGE_ALLOC) or at run
 * time (bz_fault_inject_set); the decision for each allocation; and the
 * creation spec's os= part, handed to arena.c's injection points.
 *
 * Differences from the kernel: there is no task filter, stack filter or
 * fail-nth; "seed" makes the random sequence repeatable; an injected
 * failure also gets warn_alloc's report (the kernel returns before it), so
 * that it looks to the caller exactly like a real one; verbose 2 prints no
 * stack.  Attributes are relaxed atomics: a request racing with
 * bz_fault_inject_set sees old or new values, and "times" never lets more
 * failures through than it says.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"

/* One parsed spec; the defaults are FAULT_ATTR_INITIALIZER's and fail_page_alloc's. */
struct fail_spec {
	unsigned long probability, interval, verbose;
	long times, space, min_order;
	bool ignore_gfp_reclaim, ignore_gfp_highmem;
	uint64_t seed;                  /* 0: from the clock */
	unsigned os_ops;
	long os_skip;
};

static const struct fail_spec spec_defaults = {
	.interval = 1, .verbose = 2, .times = 1, .min_order = 1,
	.ignore_gfp_reclaim = true, .ignore_gfp_highmem = true,
};

/* ---- parsing ---------------------------------------------------------------------- */

/* A decimal in [lo, hi], the whole of text. */
static bool parse_num(const char *text, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* kstrtobool(): 1/0, y/n, on/off. */
static bool parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = { "1", "y", "Y", "yes", "on" }, *const no[] = { "0", "n", "N", "no", "off" };

	for (size_t i = 0; i < BZ_ARRAY_SIZE(yes); i++) {
		if (!strcmp(text, yes[i]) || !strcmp(text, no[i])) {
			*out = !strcmp(text, yes[i]);
			return true;
		}
	}
	return false;
}

/* "mmap|mbind|hugetlb|madvise|mprotect" into enum bz_os_op bits. */
static bool parse_os(const char *text, unsigned *ops)
{
	static const struct { const char *name; unsigned op; } names[] = {
		{ "mmap", BZ_OS_RESERVE }, { "mbind", BZ_OS_MBIND }, { "hugetlb", BZ_OS_HUGETLB },
		{ "madvise", BZ_OS_MADVISE }, { "mprotect", BZ_OS_MPROTECT },
	};

	*ops = 0;
	while (*text) {
		size_t len = strcspn(text, "|"), i;

		for (i = 0; i < BZ_ARRAY_SIZE(names); i++)
			if (strlen(names[i].name) == len && !strncmp(text, names[i].name, len))
				break;
		if (i == BZ_ARRAY_SIZE(names))
			return false;
		*ops |= names[i].op;
		text += len + (text[len] == '|');
	}
	return *ops != 0;
}

/* One key=value; false for an unknown key or a bad value. */
static bool parse_pair(const char *key, const char *val, struct fail_spec *s)
{
	long v;

	if (!strcmp(key, "probability") && parse_num(val, 0, 100, &v))
		s->probability = (unsigned long)v;
	else if (!strcmp(key, "interval") && parse_num(val, 1, LONG_MAX, &v))
		s->interval = (unsigned long)v;
	else if (!strcmp(key, "times") && parse_num(val, -1, INT_MAX, &v))
		s->times = v;
	else if (!strcmp(key, "space") && parse_num(val, 0, INT_MAX, &v))
		s->space = v;
	else if (!strcmp(key, "min-order") && parse_num(val, 0, BZ_MAX_ORDER + 1, &v))
		s->min_order = v;
	else if (!strcmp(key, "verbose") && parse_num(val, 0, 2, &v))
		s->verbose = (unsigned long)v;
	else if (!strcmp(key, "ignore-gfp-wait"))
		return parse_bool(val, &s->ignore_gfp_reclaim);
	else if (!strcmp(key, "ignore-gfp-highmem"))
		return parse_bool(val, &s->ignore_gfp_highmem);
	else if (!strcmp(key, "seed") && parse_num(val, 1, LONG_MAX, &v))
		s->seed = (uint64_t)v;
	else if (!strcmp(key, "os"))
		return parse_os(val, &s->os_ops);
	else if (!strcmp(key, "os-skip") && parse_num(val, 0, INT_MAX, &v))
		s->os_skip = v;
	else
		return false;
	return true;
}

/* "key=value,..." into *s (defaults first); -EINVAL, logged, for anything wrong. */
static int parse_spec(const struct bz_system *sys, const char *spec, const char *whose, struct fail_spec *s)
{
	const char *p = spec;

	*s = spec_defaults;
	while (*p) {
		size_t len = strcspn(p, ", ");
		char word[128], *eq;

		if (!len) {
			p++;
			continue;
		}
		if (len >= sizeof(word))
			goto bad;
		memcpy(word, p, len);
		word[len] = '\0';
		eq = strchr(word, '=');
		if (!eq)
			goto bad;
		*eq = '\0';
		if (!parse_pair(word, eq + 1, s))
			goto bad;
		p += len;
	}
	return 0;
bad:
	bz__log(sys, BZ_LOG_ERR,
		"%s: cannot use \"%.*s\" of \"%s\": expected key=value with keys probability (0..100), interval (>= 1), "
		"times (-1 or more), space, min-order (0..%d), ignore-gfp-wait, ignore-gfp-highmem (0/1), verbose (0..2), "
		"seed%s", whose, (int)strcspn(p, ", "), p, spec, BZ_MAX_ORDER + 1,
		", os (mmap|mbind|hugetlb|madvise|mprotect), os-skip");
	return -EINVAL;
}

/* Installs s; injection is off while the fields change, and memos made meanwhile die. */
static void apply_spec(struct bz_system *sys, const struct fail_spec *s)
{
	struct bz_fault_attr *a = &sys->fail;
	long now = bz__now_ns();

	atomic_store(&a->probability, 0);
	atomic_store(&a->interval, s->interval);
	atomic_store(&a->times, (int)s->times);
	atomic_store(&a->space, (int)s->space);
	atomic_store(&a->verbose, s->verbose);
	atomic_store(&a->min_order, (unsigned)s->min_order);
	atomic_store(&a->ignore_gfp_reclaim, s->ignore_gfp_reclaim);
	atomic_store(&a->ignore_gfp_highmem, s->ignore_gfp_highmem);
	atomic_store(&a->count, 0);
	atomic_store(&a->draws, 0);
	atomic_store(&a->seed, s->seed ? s->seed :
		     (uint64_t)(now % 1000000000l) ^ ((uint64_t)(now / 1000000000l) << 30) ^ sys->id);
	atomic_store(&a->probability, s->probability);
	/* Threads' memos bypass the general path, where the decision is: drop them all. */
	bz__invalidate_shortcuts();
}

int bz__fail_init(struct bz_system *sys, const struct bz_config *cfg, unsigned *os_ops, unsigned *os_skip)
{
	/* Settled by options.c: the config's spec, else BUDDYZONE_FAIL_PAGE_ALLOC's, else none. */
	const char *spec = cfg->fail_page_alloc, *whose = "fail_page_alloc (bz_config or BUDDYZONE_FAIL_PAGE_ALLOC)";
	struct fail_spec s;

	*os_ops = *os_skip = 0;
	if (!spec || !*spec)
		return 0;
	if (parse_spec(sys, spec, whose, &s))
		return -EINVAL;
	apply_spec(sys, &s);
	*os_ops = s.os_ops;
	*os_skip = (unsigned)s.os_skip;
	return 0;
}

int bz__fail_set(struct bz_system *sys, const char *spec)
{
	struct fail_spec s;

	if (parse_spec(sys, spec ? spec : "", "bz_fault_inject_set", &s))
		return -EINVAL;
	if (s.os_ops || s.os_skip) {
		bz__log(sys, BZ_LOG_ERR, "bz_fault_inject_set: os= and os-skip= act while a system is built: "
			"use bz_config.fail_page_alloc or BUDDYZONE_FAIL_PAGE_ALLOC");
		return -EINVAL;
	}
	pthread_mutex_lock(&sys->sysctl_lock);
	apply_spec(sys, &s);
	pthread_mutex_unlock(&sys->sysctl_lock);
	return 0;
}

/* ---- the decision ------------------------------------------------------------------ */

/* get_random_u32_below(100), from a counter through splitmix64: thread-safe, repeatable. */
static unsigned random_below_100(struct bz_fault_attr *a)
{
	uint64_t z = atomic_load_explicit(&a->seed, memory_order_relaxed) +
		     (atomic_fetch_add_explicit(&a->draws, 1, memory_order_relaxed) + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (unsigned)(((z >> 32) * 100) >> 32);
}

/* fail_dump()'s ratelimit: the kernel's default. */
static bool dump_ratelimit(struct bz_fault_attr *a)
{
	return bz__ratelimit(&a->warn_rs, BZ_RATELIMIT_INTERVAL_NS, BZ_RATELIMIT_BURST, NULL);
}

/* fail_dump() */
static void fail_dump(struct bz_system *sys, struct bz_fault_attr *a)
{
	if (!atomic_load(&a->verbose) || !dump_ratelimit(a))
		return;
	bz__log(sys, BZ_LOG_WARNING, "FAULT_INJECTION: forcing a failure.\n"
		"name fail_page_alloc, interval %lu, probability %lu, space %d, times %d",
		atomic_load(&a->interval), atomic_load(&a->probability), atomic_load(&a->space),
		atomic_load(&a->times));
}

/* atomic_dec_not_zero() */
static bool dec_not_zero(_Atomic int *v)
{
	int old = atomic_load(v);

	while (old != 0)
		if (atomic_compare_exchange_weak(v, &old, old - 1))
			return true;
	return false;
}

/* should_fail_ex(): space, then interval, then probability, then times. */
static bool should_fail_ex(struct bz_system *sys, struct bz_fault_attr *a, int size, bool nowarn)
{
	unsigned long prob = atomic_load_explicit(&a->probability, memory_order_relaxed);
	unsigned long interval = atomic_load_explicit(&a->interval, memory_order_relaxed);
	int times = atomic_load_explicit(&a->times, memory_order_relaxed), space;

	if (!prob || !times)
		return false;
	space = atomic_load_explicit(&a->space, memory_order_relaxed);
	if (space > size) {
		atomic_fetch_sub(&a->space, size);
		return false;
	}
	if (interval > 1 && (atomic_fetch_add(&a->count, 1) + 1) % interval)
		return false;
	if (prob <= random_below_100(a))
		return false;
	if (times != -1 && !dec_not_zero(&a->times))
		return false;
	if (!nowarn)
		fail_dump(sys, a);
	return true;
}

bool bz__should_fail_alloc_page(struct bz_system *sys, bz_gfp_t gfp, unsigned order)
{
	struct bz_fault_attr *a = &sys->fail;

	if (order < atomic_load_explicit(&a->min_order, memory_order_relaxed))
		return false;
	if (gfp & BZ_GFP_NOFAIL)
		return false;
	if ((gfp & BZ_GFP_HIGHMEM) && atomic_load_explicit(&a->ignore_gfp_highmem, memory_order_relaxed))
		return false;
	if ((gfp & BZ_GFP_DIRECT_RECLAIM) && atomic_load_explicit(&a->ignore_gfp_reclaim, memory_order_relaxed))
		return false;
	if (!should_fail_ex(sys, a, 1 << order, gfp & BZ_GFP_NOWARN))
		return false;
	count_vm_event(sys, PGALLOC_FAIL_INJECTED);
	return true;
}
