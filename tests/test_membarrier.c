/* SPDX-License-Identifier: MIT */
/*
 * test_membarrier.c - a process whose kernel refuses membarrier (old
 * kernels, seccomp): per-thread caches cannot be stopped, so there are
 * none, and the library says so once through the log, shows it in the
 * JSON report, and keeps every allocation and free correct through the
 * zone lock.  Its own program: the registration is tried once per process,
 * and here it fails by injection (os.h) before any system exists.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"
#include "os.h"

#define ZONES "0:DMA32=8192,0:Normal=16384"

static struct log_catch lc;

static bz_system *make(void)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.cpus_per_node = 2;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	return sys;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

struct worker {
	bz_system *sys;
	atomic_int failures;
};

static void *churn(void *p)
{
	struct worker *w = p;
	bz_page *pages[64];

	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 64; i++)
			if (!(pages[i] = bz_alloc_pages(w->sys, BZ_GFP_KERNEL, (unsigned)(i % 4))))
				atomic_fetch_add(&w->failures, 1);
		for (int i = 0; i < 64; i++)
			if (pages[i] && bz_free_pages(pages[i], (unsigned)(i % 4)))
				atomic_fetch_add(&w->failures, 1);
	}
	return NULL;
}

static void test_no_membarrier_no_thread_caches(void **state)
{
	struct worker w = { 0 };
	struct bz_zone_stats st = { .size = sizeof(st) };
	pthread_t t[2];
	char *json;

	(void)state;
	bz__os_fail_next(BZ_OS_MEMBARRIER);
	w.sys = make();
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, &w), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(atomic_load(&w.failures), 0);
	/* Said once, not per thread or per allocation. */
	assert_int_equal(count(lc.all, "thread caches are off: membarrier"), 1);
	/* No page ever sat in a cache: every free went to the buddy lists. */
	assert_int_equal(bz_zone_stats(w.sys, 0, BZ_ZONE_NORMAL, &st), 0);
	assert_int_equal(st.cached, 0);
	assert_int_equal(st.free + st.cached + st.allocated, st.managed);
	assert_int_equal(bz_check(w.sys), 0);
	json = report_text(w.sys, bz_write_json);
	assert_non_null(strstr(json, "\"thread_caches\":{\"enabled\":false"));
	free(json);
	bz_system_destroy(w.sys);
	/* A second system of the process: the state stays, the message is not repeated. */
	w.sys = make();
	assert_non_null(bz_alloc_pages(w.sys, BZ_GFP_KERNEL, 0));
	assert_int_equal(count(lc.all, "thread caches are off: membarrier"), 1);
	bz_system_destroy(w.sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_membarrier_no_thread_caches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
