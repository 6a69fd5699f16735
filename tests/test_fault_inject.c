/* SPDX-License-Identifier: MIT */
/*
 * test_fault_inject.c - failures on purpose and failures of the OS:
 * fail_page_alloc's probability, interval, times, space, min-order and gfp
 * filters (bz_fault_inject_set, the config, the environment), NOFAIL
 * exempt, an injected failure reported and counted as a real one; mmap,
 * mbind, hugetlb, madvise and mprotect failing while a system is built,
 * each ending in a clean error with no address space left behind; an
 * address-space limit (RLIMIT_AS, in a child); signals interrupting
 * sleeps and system calls.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "wait.h"

#define ZONES "0:DMA=4096,0:DMA32=8192,0:Normal=8192"
#define BZ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct log_catch lc;
static bz_system *sys;

static int setup(void **state)
{
	(void)state;
	log_catch_reset(&lc);
	sys = make_system(ZONES, 2, &lc);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bz_system_destroy(sys);
	return 0;
}

static void assert_log_has(const char *what)
{
	if (!strstr(lc.all, what))
		fail_msg("log \"%s\" lacks \"%s\"", lc.all, what);
}

/* Allocates and at once frees; true when the allocation succeeded. */
static bool try_alloc(bz_gfp_t gfp, unsigned order)
{
	bz_page *p = bz_alloc_pages(sys, gfp, order);

	if (!p)
		return false;
	assert_int_equal(bz_free_pages(p, order), 0);
	return true;
}

#define ALL "times=-1,min-order=0,ignore-gfp-wait=0,ignore-gfp-highmem=0"

/* ---- fail_page_alloc ------------------------------------------------------------------ */

static void test_probability_100_fails_all_but_nofail(void **state)
{
	unsigned long free_before = total_free(sys), fails = json_counter(sys, "pgalloc_fail");
	const bz_gfp_t gfps[] = { BZ_GFP_KERNEL, BZ_GFP_ATOMIC, BZ_GFP_NOWAIT, BZ_GFP_KERNEL | BZ_GFP_DMA32,
				  BZ_GFP_HIGHUSER_MOVABLE, BZ_GFP_USER, BZ_GFP_KERNEL | BZ_GFP_ZERO };
	int n = 0;

	(void)state;
	assert_int_equal(bz_fault_inject_set(sys, "probability=100," ALL), 0);
	for (size_t i = 0; i < BZ_ARRAY_SIZE(gfps); i++)
		for (unsigned order = 0; order <= BZ_MAX_ORDER; order += 3, n++)
			assert_false(try_alloc(gfps[i], order));
	assert_log_has("FAULT_INJECTION: forcing a failure.\nname fail_page_alloc, interval 1, probability 100, "
		       "space 0, times -1");
	assert_log_has("page allocation failure: order:0");
	assert_int_equal(json_counter(sys, "pgalloc_fail") - fails, n);
	assert_int_equal(json_counter(sys, "pgalloc_fail_injected"), n);
	/* NOWARN: quiet, still failing; NOFAIL: never. */
	log_catch_reset(&lc);
	assert_false(try_alloc(BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0));
	assert_int_equal(lc.count, 0);
	for (unsigned order = 0; order <= 1; order++)
		assert_true(try_alloc(BZ_GFP_KERNEL | BZ_GFP_NOFAIL, order));
	assert_int_equal(total_free(sys), free_before);
	assert_int_equal(bz_check(sys), 0);
	/* Off again: everything succeeds. */
	assert_int_equal(bz_fault_inject_set(sys, ""), 0);
	for (int i = 0; i < 100; i++)
		assert_true(try_alloc(BZ_GFP_KERNEL, 0));
	assert_int_equal(bz_fault_inject_set(sys, "probability=100," ALL), 0);
	assert_false(try_alloc(BZ_GFP_KERNEL, 0)); /* and the memo made meanwhile is gone */
	assert_int_equal(bz_fault_inject_set(sys, NULL), 0);
	assert_true(try_alloc(BZ_GFP_KERNEL, 0));
}

/* The kernel's defaults: times 1, min-order 1, requests that may reclaim or want highmem ignored. */
static void test_kernel_defaults(void **state)
{
	(void)state;
	assert_int_equal(bz_fault_inject_set(sys, "probability=100"), 0);
	assert_true(try_alloc(BZ_GFP_ATOMIC, 0));             /* below min-order 1 */
	assert_true(try_alloc(BZ_GFP_KERNEL, 2));             /* may reclaim: ignored */
	assert_true(try_alloc(BZ_GFP_ATOMIC | BZ_GFP_HIGHMEM, 2)); /* highmem: ignored */
	assert_false(try_alloc(BZ_GFP_ATOMIC, 1));            /* the one failure */
	for (int i = 0; i < 20; i++)
		assert_true(try_alloc(BZ_GFP_ATOMIC, 1));     /* times used up */
	assert_int_equal(json_counter(sys, "pgalloc_fail_injected"), 1);
}

static void test_interval_and_times(void **state)
{
	(void)state;
	assert_int_equal(bz_fault_inject_set(sys, "probability=100,interval=3," ALL), 0);
	for (int i = 1; i <= 30; i++)
		assert_int_equal(try_alloc(BZ_GFP_KERNEL, 0), i % 3 != 0);
	assert_int_equal(bz_fault_inject_set(sys, "probability=100,times=2,min-order=0,ignore-gfp-wait=0"), 0);
	assert_false(try_alloc(BZ_GFP_KERNEL, 0));
	assert_false(try_alloc(BZ_GFP_KERNEL, 1));
	for (int i = 0; i < 20; i++)
		assert_true(try_alloc(BZ_GFP_KERNEL, (unsigned)i % 4));
	assert_int_equal(json_counter(sys, "pgalloc_fail_injected"), 12);
}

static void test_min_order_and_space(void **state)
{
	(void)state;
	assert_int_equal(bz_fault_inject_set(sys, "probability=100,times=-1,min-order=2,ignore-gfp-wait=0"), 0);
	for (unsigned order = 0; order <= BZ_MAX_ORDER; order++)
		assert_int_equal(try_alloc(BZ_GFP_KERNEL, order), order < 2);
	/* space: pages let through first, while more than the request is left (should_fail_ex). */
	assert_int_equal(bz_fault_inject_set(sys, "probability=100,space=8," ALL), 0);
	for (int i = 0; i < 7; i++)
		assert_true(try_alloc(BZ_GFP_KERNEL, 0));
	assert_false(try_alloc(BZ_GFP_KERNEL, 0));
	assert_int_equal(bz_fault_inject_set(sys, "probability=100,space=8," ALL), 0);
	assert_true(try_alloc(BZ_GFP_KERNEL, 2));   /* 8 > 4: space 4 left */
	assert_false(try_alloc(BZ_GFP_KERNEL, 2));  /* 4 > 4 is false: fails */
}

static void test_gfp_filters(void **state)
{
	(void)state;
	assert_int_equal(bz_fault_inject_set(sys, "probability=100,times=-1,min-order=0,ignore-gfp-wait=1,"
					     "ignore-gfp-highmem=0"), 0);
	assert_true(try_alloc(BZ_GFP_KERNEL, 0));   /* __GFP_DIRECT_RECLAIM */
	assert_false(try_alloc(BZ_GFP_ATOMIC, 0));
	assert_false(try_alloc(BZ_GFP_NOWAIT | BZ_GFP_HIGHMEM, 0));
	assert_int_equal(bz_fault_inject_set(sys, "probability=100,times=-1,min-order=0,ignore-gfp-wait=n,"
					     "ignore-gfp-highmem=y"), 0);
	assert_false(try_alloc(BZ_GFP_KERNEL, 0));
	assert_true(try_alloc(BZ_GFP_HIGHUSER_MOVABLE, 0));
	assert_true(try_alloc(BZ_GFP_NOWAIT | BZ_GFP_HIGHMEM, 0));
}

/* A seed gives one sequence; the share of failures is about the probability. */
static void test_probability_and_seed(void **state)
{
	char first[2000], second[2000];
	int fails = 0;

	(void)state;
	log_catch_reset(&lc);
	for (int run = 0; run < 2; run++) {
		char *seq = run ? second : first;

		assert_int_equal(bz_fault_inject_set(sys, "probability=30,seed=12345,verbose=0," ALL), 0);
		for (int i = 0; i < 2000; i++) {
			seq[i] = (char)try_alloc(BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0);
			fails += !seq[i];
		}
	}
	assert_memory_equal(first, second, sizeof(first));
	assert_in_range(fails / 2, 450, 750); /* 30% of 2000 is 600; p < 1e-12 outside */
	assert_int_equal(lc.count, 0);        /* verbose=0 and NOWARN */
}

static void test_bad_specs_change_nothing(void **state)
{
	const char *bad[] = {
		"probability=101", "probability=-1", "probability=ten", "interval=0", "times=-2", "space=-1",
		"min-order=12", "verbose=3", "ignore-gfp-wait=maybe", "bogus=1", "probability", "=5",
		"os=mmap", "os-skip=1", "probability=10,,times=x", "seed=0",
	};

	(void)state;
	assert_int_equal(bz_fault_inject_set(sys, "probability=100," ALL), 0);
	for (size_t i = 0; i < BZ_ARRAY_SIZE(bad); i++) {
		log_catch_reset(&lc);
		assert_int_equal(bz_fault_inject_set(sys, bad[i]), -EINVAL);
		assert_true(lc.count > 0);
		assert_false(try_alloc(BZ_GFP_KERNEL | BZ_GFP_NOWARN, 0)); /* the old setting holds */
	}
}

static void test_config_and_environment(void **state)
{
	struct bz_config cfg;
	bz_system *s = NULL;

	(void)state;
	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	cfg.fail_page_alloc = "probability=100,times=1,min-order=0,ignore-gfp-wait=0";
	assert_int_equal(bz_system_create(&cfg, &s), 0);
	assert_null(bz_alloc_pages(s, BZ_GFP_KERNEL, 0));
	assert_non_null(bz_alloc_pages(s, BZ_GFP_KERNEL, 0));
	bz_system_destroy(s);
	setenv("BUDDYZONE_FAIL_PAGE_ALLOC", "probability=100,interval=2,times=-1,min-order=0,ignore-gfp-wait=0", 1);
	cfg.fail_page_alloc = NULL;
	assert_int_equal(bz_system_create(&cfg, &s), 0);
	assert_non_null(bz_alloc_pages(s, BZ_GFP_KERNEL, 0));
	assert_null(bz_alloc_pages(s, BZ_GFP_KERNEL, 0));
	bz_system_destroy(s);
	setenv("BUDDYZONE_FAIL_PAGE_ALLOC", "probability=200", 1);
	log_catch_reset(&lc);
	assert_int_equal(bz_system_create(&cfg, &s), -EINVAL);
	assert_log_has("BUDDYZONE_FAIL_PAGE_ALLOC");
	unsetenv("BUDDYZONE_FAIL_PAGE_ALLOC");
}

/* ---- the OS failing ---------------------------------------------------------------------- */

/* Virtual memory of the process, from /proc/self/status, in kB. */
static long vm_size_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * No reservation left behind: the address space is back where it was, but
 * for what malloc keeps (sanitizers' allocators hold on to freed chunks);
 * every reservation a system makes is far larger than the slack.
 */
static bool vm_back_to(long before_kb)
{
	long now = vm_size_kb();

	return now >= before_kb - (64l << 10) && now <= before_kb + (64l << 10);
}

static int create_with(const char *spec, int hugetlb, unsigned debug, bz_system **out)
{
	struct bz_config cfg;

	bz_config_init(&cfg);
	cfg.zones = "0:DMA32=16384,0:Normal=65536";
	cfg.hugetlb = hugetlb;
	cfg.debug = debug;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	cfg.fail_page_alloc = spec;
	return bz_system_create(&cfg, out);
}

static void test_os_failures_at_creation(void **state)
{
	static const struct {
		const char *spec;
		int hugetlb;
		unsigned debug;
		int ret;
	} cases[] = {
		{ "os=mmap", BZ_HUGETLB_NEVER, 0, -ENOMEM },            /* the address-space reservation */
		{ "os=mmap,os-skip=1", BZ_HUGETLB_NEVER, 0, -ENOMEM },  /* a later one: nodes, arena, mem_map */
		{ "os=hugetlb", BZ_HUGETLB_REQUIRED, 0, -ENOMEM },      /* pool short, or its mmap refused */
		{ "os=mprotect", BZ_HUGETLB_NEVER, BZ_DEBUG_GUARD, -ENOMEM },
		{ "os=hugetlb", BZ_HUGETLB_PREFERRED, 0, 0 },           /* falls back */
		{ "os=mbind", BZ_HUGETLB_NEVER, 0, 0 },                 /* unbound, warned */
		{ "os=madvise", BZ_HUGETLB_NEVER, 0, 0 },               /* base pages */
		{ "os=mmap|mbind|hugetlb|madvise", BZ_HUGETLB_PREFERRED, 0, -ENOMEM },
	};
	long vm_before;

	(void)state;
	bz_system_destroy(sys);
	sys = NULL;
	/* One creation first, so that lazily made process state does not count as a leak. */
	assert_int_equal(create_with(NULL, BZ_HUGETLB_NEVER, 0, &sys), 0);
	bz_system_destroy(sys);
	sys = NULL;
	for (size_t i = 0; i < BZ_ARRAY_SIZE(cases); i++) {
		bz_system *s = (bz_system *)0x1;

		log_catch_reset(&lc);
		vm_before = vm_size_kb();
		assert_int_equal(create_with(cases[i].spec, cases[i].hugetlb, cases[i].debug, &s), cases[i].ret);
		if (cases[i].ret) {
			assert_null(s);
			assert_true(lc.count > 0);
		} else {
			bz_page *p;

			assert_non_null(s);
			p = bz_alloc_pages(s, BZ_GFP_KERNEL, 3);
			assert_non_null(p);
			memset(bz_page_address(p), 1, 8 * BZ_PAGE_SIZE);
			assert_int_equal(bz_free_pages(p, 3), 0);
			assert_int_equal(bz_check(s), 0);
			bz_system_destroy(s);
		}
		assert_true(vm_back_to(vm_before));
		/* Disarmed after the build: the next creation works. */
		assert_int_equal(create_with(NULL, BZ_HUGETLB_NEVER, 0, &s), 0);
		bz_system_destroy(s);
	}
	sys = make_system(ZONES, 2, &lc);
}

/* Creates, uses and destroys a system; 0, or the creation's error. */
static int create_use_destroy(const char *zones)
{
	struct bz_config cfg;
	bz_system *s = (bz_system *)0x1;
	bz_page *p;
	int ret;

	bz_config_init(&cfg);
	cfg.zones = zones;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	ret = bz_system_create(&cfg, &s);
	if (ret)
		return s ? -EFAULT : ret;
	p = bz_alloc_pages(s, BZ_GFP_KERNEL, 0);
	ret = p && bz_free_pages(p, 0) == 0 && bz_check(s) == 0 ? 0 : -EFAULT;
	bz_system_destroy(s);
	return ret;
}

/*
 * In a child: with the address space limited (RLIMIT_AS), a system too
 * large to reserve fails with -ENOMEM and leaves no mapping behind, and
 * one that fits is still created.
 */
static void test_address_space_exhausted(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		long vm;

		if (create_use_destroy("0:Normal=2G"))   /* warm up lazily made process state */
			_exit(10);
		vm = vm_size_kb();
		rl.rlim_cur = rl.rlim_max = ((rlim_t)vm << 10) + (8ul << 30);
		if (setrlimit(RLIMIT_AS, &rl))
			_exit(11);
		if (create_use_destroy("0:Normal=1T") != -ENOMEM)
			_exit(12);
		if (create_use_destroy("0:Normal=16G") != -ENOMEM) /* 20 GiB of pfn space */
			_exit(13);
		if (!vm_back_to(vm))
			_exit(14);
		if (create_use_destroy("0:Normal=2G"))   /* 6 GiB of pfn space: fits */
			_exit(15);
		_exit(vm_back_to(vm) ? 0 : 16);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- signals ---------------------------------------------------------------------------------- */

static atomic_int ticks;

static void on_alarm(int sig)
{
	(void)sig;
	atomic_fetch_add(&ticks, 1);
}

/*
 * The NOFAIL request below, seen from the OOM notifier it runs once per
 * round: it is provably waiting for memory once the notifier ran twice
 * (past where any other request fails, then round the back-off) with
 * timer ticks in between, delivered to it (the freeing thread blocks them).
 */
struct nofail_signals {
	struct bz_oom_notifier nb;      /* first: the callback casts back */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int oom_calls, ticks_at_first;
	bool waited, alloc_returned;
	bool waited_at_free;            /* what the freeing thread saw */
	bz_page **held;
	_Atomic int bad_frees;
};

static unsigned long nofail_oom(struct bz_oom_notifier *nb, const struct bz_oom_control *oc)
{
	struct nofail_signals *w = (struct nofail_signals *)nb;
	int now = atomic_load(&ticks);

	(void)oc;
	pthread_mutex_lock(&w->lock);
	if (++w->oom_calls == 1)
		w->ticks_at_first = now;
	else if (now - w->ticks_at_first >= 2)
		w->waited = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

static void *free_later(void *arg)
{
	struct nofail_signals *w = arg;
	struct timespec deadline;
	sigset_t alarm;

	sigemptyset(&alarm);
	sigaddset(&alarm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alarm, NULL);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)WAIT_DEADLINE_S;
	pthread_mutex_lock(&w->lock);
	while (!w->waited && !w->alloc_returned &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != ETIMEDOUT)
		;
	w->waited_at_free = w->waited;
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; w->held[i]; i++)
		if (bz_free_pages(w->held[i], 0) != 0)
			atomic_fetch_add(&w->bad_frees, 1);
	return NULL;
}

/*
 * A timer without SA_RESTART interrupts whatever sleeps or waits (the
 * NOFAIL back-off, membarrier, mutexes): creation, allocation, drains and
 * a NOFAIL request that must wait for another thread all still work.
 */
static void test_signals_interrupting(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { { 0, 200 }, { 0, 200 } }, off = { { 0, 0 }, { 0, 0 } };
	static bz_page *held[8192];
	struct nofail_signals w = { .nb = { .notifier_call = nofail_oom }, .held = held };
	bz_system *small;
	bz_page *p;
	pthread_t t;
	int n = 0;

	(void)state;
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	for (int i = 0; i < 5; i++) {
		bz_system *s = make_system("0:Normal=8192", 2, NULL);

		for (int k = 0; k < 1000; k++)
			assert_true(bz_free_pages(bz_alloc_pages(s, BZ_GFP_KERNEL, (unsigned)k % 4), (unsigned)k % 4) == 0);
		assert_int_equal(bz_drain_all_pages(s), 0);
		bz_system_destroy(s);
	}
	/* Every page taken (MEMALLOC ignores the watermarks), then NOFAIL backs off until a thread frees. */
	small = make_system("0:Normal=4096", 2, NULL);
	while (n < (int)BZ_ARRAY_SIZE(held) - 1 &&
	       (held[n] = bz_alloc_pages(small, BZ_GFP_ATOMIC | BZ_GFP_MEMALLOC | BZ_GFP_NOWARN, 0)))
		n++;
	held[n] = NULL;
	assert_int_equal(n, 4096);
	assert_int_equal(bz_register_oom_notifier(small, &w.nb), 0);
	assert_int_equal(pthread_create(&t, NULL, free_later, &w), 0);
	p = bz_alloc_pages(small, BZ_GFP_KERNEL | BZ_GFP_NOFAIL | BZ_GFP_NOWARN, 0);
	pthread_mutex_lock(&w.lock);
	w.alloc_returned = true;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(p);
	assert_true(w.waited_at_free);  /* it waited, with signals arriving, until the frees */
	assert_int_equal(atomic_load(&w.bad_frees), 0);
	assert_int_equal(bz_free_pages(p, 0), 0);
	assert_int_equal(bz_unregister_oom_notifier(small, &w.nb), 0);
	assert_int_equal(bz_check(small), 0);
	assert_int_equal(total_free(small), 4096);
	bz_system_destroy(small);
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	signal(SIGALRM, SIG_IGN); /* discards a tick still pending (valgrind delivers late) */
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	assert_true(atomic_load(&ticks) > 0);
	assert_int_equal(bz_check(sys), 0);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probability_100_fails_all_but_nofail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interval_and_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_order_and_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gfp_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probability_and_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_specs_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_and_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_os_failures_at_creation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_space_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signals_interrupting, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
