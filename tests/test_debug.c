/* SPDX-License-Identifier: MIT */
/*
 * test_debug.c - debug mode (debug_pagealloc.c): a write after free is
 * reported with its pfn and first bad offset and the allocator goes on;
 * init_on_free and init_on_alloc leave no data for the next user; guard
 * mode makes a stray access to free memory fault (in a child); check=N
 * runs bz_check, exactly also while other threads work, and reports a
 * broken invariant; abort mode aborts; the options from the environment.
 * White-box: it breaks an invariant and an mprotect on purpose.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "wait.h"
#include "os.h"

#define ZONES "0:DMA32=4096,0:Normal=8192"

static struct log_catch lc;

static bz_system *debug_system(unsigned flags, unsigned long interval)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.cpus_per_node = 2;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.debug = flags;
	cfg.debug_check_interval = interval ? interval : (unsigned long)BZ_DEFAULT;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	return sys;
}

static int reset(void **state)
{
	(void)state;
	log_catch_reset(&lc);
	bz__os_fail_next(0);
	return 0;
}

/* Allocates until the block at want comes back (caches are LIFO: at once); frees the others. */
static char *realloc_same(bz_system *sys, bz_gfp_t gfp, unsigned order, char *want)
{
	char *got[64];
	int n = 0;
	char *found = NULL;

	while (n < 64 && !found) {
		char *p = bz_get_free_pages(sys, gfp, order);

		assert_non_null(p);
		if (p == want)
			found = p;
		else
			got[n++] = p;
	}
	while (n--)
		assert_int_equal(bz_free_pages_addr(got[n], order), 0);
	assert_ptr_equal(found, want);
	return found;
}

static bool all_bytes(const char *p, size_t len, unsigned char v)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] != v)
			return false;
	return true;
}

static void assert_log_has(const char *what)
{
	if (!strstr(lc.all, what))
		fail_msg("log \"%s\" lacks \"%s\"", lc.all, what);
}

/* ---- poisoning ------------------------------------------------------------------------ */

/* Same request again and again: the memo fast path would skip the check; debug mode has none. */
static void test_poison_use_after_free_write_reported(void **state)
{
	bz_system *sys = debug_system(BZ_DEBUG_POISON, 0);
	char want[96];

	(void)state;
	for (int round = 0; round < 3; round++) {
		char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, 0);
		unsigned long pfn = bz_page_to_pfn(bz_virt_to_page(p));

		memset(p, 0x11, BZ_PAGE_SIZE);
		assert_int_equal(bz_free_pages_addr(p, 0), 0);
		assert_true(all_bytes(p, BZ_PAGE_SIZE, 0xaa)); /* poisoned on free, in the thread's cache */
		p[0x123] = 0x42;                               /* the use after free */
		p[0x130] = 0x43;
		log_catch_reset(&lc);
		realloc_same(sys, BZ_GFP_KERNEL, 0, p);
		assert_log_has("pagealloc: memory corruption");
		snprintf(want, sizeof(want), "pfn:%05lx node:0 zone:Normal offset:0x123..0x130 (14 bytes)", pfn);
		assert_log_has(want);
		assert_log_has("00000123: 42 aa aa");
		assert_int_equal(json_counter(sys, "pagealloc_corruption"), (unsigned long)round + 1);
		assert_int_equal(bz_free_pages_addr(p, 0), 0);
	}
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

static void test_poison_single_bit_error_in_order3(void **state)
{
	bz_system *sys = debug_system(BZ_DEBUG_POISON, 0);
	char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, 3), want[64];
	unsigned long pfn = bz_page_to_pfn(bz_virt_to_page(p));

	(void)state;
	assert_int_equal(bz_free_pages_addr(p, 3), 0);
	assert_true(all_bytes(p, 8 * BZ_PAGE_SIZE, 0xaa));
	p[5 * BZ_PAGE_SIZE + 0x10] ^= 0x04;
	log_catch_reset(&lc);
	realloc_same(sys, BZ_GFP_KERNEL, 3, p);
	assert_log_has("pagealloc: single bit error");
	snprintf(want, sizeof(want), "pfn:%05lx node:0 zone:Normal offset:0x10..0x10", pfn + 5);
	assert_log_has(want);
	assert_int_equal(json_counter(sys, "pagealloc_corruption"), 1);
	/* No write after free: no report. */
	assert_int_equal(bz_free_pages_addr(p, 3), 0);
	log_catch_reset(&lc);
	realloc_same(sys, BZ_GFP_KERNEL, 3, p);
	assert_null(strstr(lc.all, "pagealloc"));
	assert_int_equal(bz_free_pages_addr(p, 3), 0);
	bz_system_destroy(sys);
}

/* Memory never handed out must still hold the zeroes of a new mapping: a stray write shows. */
static void test_poison_stray_write_to_fresh_page(void **state)
{
	bz_system *sys = debug_system(BZ_DEBUG_POISON, 0);
	static char *held[2048];
	char *a = bz_get_free_pages(sys, BZ_GFP_KERNEL, 0), want[64];
	unsigned long pfn = bz_page_to_pfn(bz_virt_to_page(a)) + 1;
	int n = 0;

	(void)state;
	a[BZ_PAGE_SIZE + 0x40] = 1;     /* the next page, not ours */
	log_catch_reset(&lc);
	snprintf(want, sizeof(want), "pfn:%05lx node:0 zone:Normal offset:0x40..0x40", pfn);
	while (n < 2048 && !strstr(lc.all, want) && (held[n] = bz_get_free_pages(sys, BZ_GFP_KERNEL, 0)))
		n++;
	assert_log_has(want);
	assert_log_has("written before the page was ever handed out");
	assert_int_equal(json_counter(sys, "pagealloc_corruption"), 1);
	while (n--)
		assert_int_equal(bz_free_pages_addr(held[n], 0), 0);
	assert_int_equal(bz_free_pages_addr(a, 0), 0);
	bz_system_destroy(sys);
}

/* As the kernel: poisoning wins over init_on_*, __GFP_ZERO still zeroes. */
static void test_poison_takes_precedence_over_init(void **state)
{
	bz_system *sys;
	char *p;

	(void)state;
	sys = debug_system(BZ_DEBUG_POISON | BZ_DEBUG_INIT_ON_ALLOC | BZ_DEBUG_INIT_ON_FREE, 0);
	assert_log_has("will take precedence over init_on_alloc and init_on_free");
	p = bz_get_free_pages(sys, BZ_GFP_KERNEL, 1);
	assert_int_equal(bz_free_pages_addr(p, 1), 0);
	assert_true(all_bytes(p, 2 * BZ_PAGE_SIZE, 0xaa));
	realloc_same(sys, BZ_GFP_KERNEL, 1, p);
	assert_true(all_bytes(p, 2 * BZ_PAGE_SIZE, 0xaa));
	assert_int_equal(bz_free_pages_addr(p, 1), 0);
	realloc_same(sys, BZ_GFP_KERNEL | BZ_GFP_ZERO, 1, p);
	assert_true(all_bytes(p, 2 * BZ_PAGE_SIZE, 0));
	assert_int_equal(bz_free_pages_addr(p, 1), 0);
	bz_system_destroy(sys);
}

/* ---- init_on_free / init_on_alloc ---------------------------------------------------------- */

/* Without debug mode the next user sees the last one's data: the control for the two below. */
static void test_default_leaves_data_behind(void **state)
{
	bz_system *sys = debug_system(0, 0);
	char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, 0);

	(void)state;
	memset(p, 0x5a, BZ_PAGE_SIZE);
	assert_int_equal(bz_free_pages_addr(p, 0), 0);
	realloc_same(sys, BZ_GFP_KERNEL, 0, p);
	assert_true(all_bytes(p, BZ_PAGE_SIZE, 0x5a));
	assert_int_equal(bz_free_pages_addr(p, 0), 0);
	bz_system_destroy(sys);
}

static void test_init_on_free_zeroes(void **state)
{
	bz_system *sys = debug_system(BZ_DEBUG_INIT_ON_FREE, 0);

	(void)state;
	for (unsigned order = 0; order <= 4; order += 2) {
		char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, order);
		size_t len = BZ_PAGE_SIZE << order;

		memset(p, 0x5a, len);
		assert_int_equal(bz_free_pages_addr(p, order), 0);
		assert_true(all_bytes(p, len, 0)); /* zero while free: nothing to steal */
		realloc_same(sys, BZ_GFP_KERNEL, order, p);
		assert_true(all_bytes(p, len, 0));
		assert_int_equal(bz_free_pages_addr(p, order), 0);
	}
	bz_system_destroy(sys);
}

static void test_init_on_alloc_zeroes(void **state)
{
	bz_system *sys = debug_system(BZ_DEBUG_INIT_ON_ALLOC, 0);

	(void)state;
	for (unsigned order = 0; order <= 4; order += 2) {
		char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, order);
		size_t len = BZ_PAGE_SIZE << order;

		memset(p, 0x5a, len);
		assert_int_equal(bz_free_pages_addr(p, order), 0);
		assert_true(all_bytes(p, len, 0x5a)); /* zeroed when handed out, not before */
		realloc_same(sys, BZ_GFP_KERNEL, order, p);
		assert_true(all_bytes(p, len, 0));
		assert_int_equal(bz_free_pages_addr(p, order), 0);
	}
	bz_system_destroy(sys);
}

/* ---- guard mode ------------------------------------------------------------------------------- */

/* Runs fn in a child; returns the signal that ended it, 0 for a normal exit 0. */
static int in_child(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL); /* sanitizers catch SIGSEGV to report: let it kill */
		signal(SIGABRT, SIG_DFL);
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static volatile char *stray;

static void write_after_free_order0(void)
{
	bz_system *sys = debug_system(BZ_DEBUG_GUARD, 0);
	char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, 0);

	p[0] = 1;                       /* allocated: accessible */
	if (bz_free_pages_addr(p, 0))   /* into the thread's cache, PROT_NONE */
		_exit(3);
	stray = p;
	stray[100] = 2;                 /* faults here */
	_exit(4);
}

static void write_after_free_order3(void)
{
	bz_system *sys = debug_system(BZ_DEBUG_GUARD | BZ_DEBUG_POISON, 0);
	char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, 3);

	memset(p, 1, 8 * BZ_PAGE_SIZE);
	if (bz_free_pages_addr(p, 3))
		_exit(3);
	stray = p + 7 * BZ_PAGE_SIZE;
	stray[0] = 2;
	_exit(4);
}

static void read_never_allocated(void)
{
	bz_system *sys = debug_system(BZ_DEBUG_GUARD, 0);
	char *p = bz_pfn_to_page(sys, 4096 + 100) ? bz_page_address(bz_pfn_to_page(sys, 4096 + 100)) : NULL;

	if (!p)
		_exit(3);
	stray = p;
	(void)stray[0];
	_exit(4);
}

/* Allocated again, a guarded block is usable: the child exits normally. */
static void reuse_after_free(void)
{
	bz_system *sys = debug_system(BZ_DEBUG_GUARD | BZ_DEBUG_POISON, 0);

	for (int i = 0; i < 200; i++) {
		char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, (unsigned)i % 4);

		if (!p)
			_exit(3);
		memset(p, i, BZ_PAGE_SIZE << (i % 4));
		if (bz_free_pages_addr(p, (unsigned)i % 4))
			_exit(5);
	}
	if (bz_check(sys) || json_counter(sys, "pagealloc_corruption"))
		_exit(6);
	bz_system_destroy(sys);
}

static void test_guard_write_after_free_faults(void **state)
{
	(void)state;
	assert_int_equal(in_child(write_after_free_order0), SIGSEGV);
	assert_int_equal(in_child(write_after_free_order3), SIGSEGV);
	assert_int_equal(in_child(read_never_allocated), SIGSEGV);
	assert_int_equal(in_child(reuse_after_free), 0);
}

/* mprotect refused (as past vm.max_map_count): the allocation fails cleanly, nothing is lost. */
static void test_guard_mprotect_failure_fails_allocation(void **state)
{
	bz_system *sys = debug_system(BZ_DEBUG_GUARD, 0);
	unsigned long free_before = total_free(sys);
	bz_page *page;

	(void)state;
	bz__os_fail_next(BZ_OS_MPROTECT);
	assert_null(bz_alloc_pages(sys, BZ_GFP_KERNEL, 2));
	assert_log_has("guard mode: mprotect of pfn");
	assert_log_has("page allocation failure");
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(total_free(sys), free_before);
	page = bz_alloc_pages(sys, BZ_GFP_KERNEL, 2);
	assert_non_null(page);
	memset(bz_page_address(page), 1, 4 * BZ_PAGE_SIZE);
	/* Refused on free: the block stays accessible, the free succeeds. */
	bz__os_fail_next(BZ_OS_MPROTECT);
	assert_int_equal(bz_free_pages(page, 2), 0);
	assert_log_has("the block stays accessible");
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

static void test_guard_refuses_required_hugetlb(void **state)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	(void)state;
	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.debug = BZ_DEBUG_GUARD;
	cfg.hugetlb = BZ_HUGETLB_REQUIRED;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
	assert_null(sys);
	assert_log_has("guard mode needs base pages");
	cfg.debug = 1u << 20;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
	assert_log_has("no BZ_DEBUG_* flag");
}

/* ---- check=N ------------------------------------------------------------------------------------ */

static void test_check_runs_every_n_operations(void **state)
{
	bz_system *sys = debug_system(BZ_DEBUG_CHECK, 10);
	struct bz_zone *z;

	(void)state;
	for (int i = 0; i < 50; i++) {
		bz_page *p = bz_alloc_pages(sys, BZ_GFP_KERNEL, (unsigned)i % 3);

		assert_non_null(p);
		assert_int_equal(bz_free_pages(p, (unsigned)i % 3), 0);
	}
	assert_int_equal(json_counter(sys, "debug_check_run"), 10);
	assert_int_equal(json_counter(sys, "debug_check_fail"), 0);
	/* Break an invariant (one free block too many counted), and see the next check catch it. */
	z = &sys->nodes[0]->zones[BZ_ZONE_NORMAL];
	bz__zone_lock(z);
	z->free_area[5].nr_free++;
	bz__zone_unlock(z);
	log_catch_reset(&lc);
	for (int i = 0; i < 5; i++)
		assert_int_equal(bz_free_pages(bz_alloc_pages(sys, BZ_GFP_KERNEL, 0), 0), 0);
	assert_int_equal(json_counter(sys, "debug_check_fail"), 1);
	assert_log_has("bz_check: node 0 Normal order 5: nr_free");
	assert_log_has("debug: bz_check failed after 110 allocations and frees");
	bz__zone_lock(z);
	z->free_area[5].nr_free--;
	bz__zone_unlock(z);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

#define CHURNERS 3
#define CHURN_OPS 3000

struct churners {
	bz_system *sys;
	pthread_barrier_t start;
	_Atomic int finished;           /* workers through their CHURN_OPS */
	struct thread_failures tf;
};

struct worker {
	struct churners *c;
	int seed;
};

/*
 * All start together and none stops before every one did its operations:
 * each check counts caches that other threads are changing.
 */
static void *churn(void *arg)
{
	struct worker *w = arg;
	struct churners *c = w->c;
	bz_page *held[16] = { 0 };
	unsigned r = (unsigned)w->seed;

	pthread_barrier_wait(&c->start);
	for (int i = 0; i < CHURN_OPS || atomic_load(&c->finished) < CHURNERS; i++) {
		int slot;

		if (i == CHURN_OPS)
			atomic_fetch_add(&c->finished, 1);
		r = r * 1103515245u + 12345u;
		slot = (int)((r >> 8) % 16);
		if (held[slot]) {
			THREAD_CHECK(&c->tf, bz_free_pages(held[slot], (unsigned)slot % 4) == 0);
			held[slot] = NULL;
		} else {
			held[slot] = bz_alloc_pages(c->sys, BZ_GFP_KERNEL, (unsigned)slot % 4);
		}
	}
	for (int s = 0; s < 16; s++)
		if (held[s])
			THREAD_CHECK(&c->tf, bz_free_pages(held[s], (unsigned)s % 4) == 0);
	return NULL;
}

/* Other threads' caches are stopped while a check counts them: no false alarm. */
static void test_check_exact_while_threads_run(void **state)
{
	struct churners c = { .sys = debug_system(BZ_DEBUG_CHECK | BZ_DEBUG_POISON, 25), .tf = THREAD_FAILURES_INIT };
	struct worker w[CHURNERS];
	pthread_t t[CHURNERS];

	(void)state;
	assert_int_equal(pthread_barrier_init(&c.start, NULL, CHURNERS), 0);
	for (int i = 0; i < CHURNERS; i++) {
		w[i] = (struct worker){ &c, i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, churn, &w[i]), 0);
	}
	for (int i = 0; i < CHURNERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&c.start);
	assert_no_thread_failures(&c.tf);
	assert_true(json_counter(c.sys, "debug_check_run") >= 100);
	assert_int_equal(json_counter(c.sys, "debug_check_fail"), 0);
	assert_int_equal(json_counter(c.sys, "pagealloc_corruption"), 0);
	assert_int_equal(bz_check(c.sys), 0);
	bz_system_destroy(c.sys);
}

/* ---- abort mode, environment ---------------------------------------------------------------------- */

static void corrupt_then_allocate(void)
{
	bz_system *sys = debug_system(BZ_DEBUG_POISON | BZ_DEBUG_ABORT, 0);
	char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, 0);

	bz_free_pages_addr(p, 0);
	p[7] = 0;
	realloc_same(sys, BZ_GFP_KERNEL, 0, p);
	_exit(4);
}

static void free_twice(void)
{
	bz_system *sys = debug_system(BZ_DEBUG_ABORT, 0);
	bz_page *page = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);

	bz_free_pages(page, 0);
	bz_free_pages(page, 0);
	_exit(4);
}

static void test_abort_mode_aborts(void **state)
{
	(void)state;
	assert_int_equal(in_child(corrupt_then_allocate), SIGABRT);
	assert_int_equal(in_child(free_twice), SIGABRT);
}

static void test_environment_options(void **state)
{
	bz_system *sys;

	(void)state;
	/* A word it does not know refuses the system, as every bad setting does. */
	{
		struct bz_config cfg;
		bz_system *bad = NULL;

		setenv("BUDDYZONE_DEBUG", "init_on_free,check=7,bogus", 1);
		bz_config_init(&cfg);
		cfg.zones = ZONES;
		cfg.log = log_catch_fn;
		cfg.log_arg = &lc;
		assert_int_equal(bz_system_create(&cfg, &bad), -EINVAL);
		assert_null(bad);
		assert_log_has("BUDDYZONE_DEBUG=\"init_on_free,check=7,bogus\"");
	}
	setenv("BUDDYZONE_DEBUG", "init_on_free,check=7", 1);
	sys = debug_system((unsigned)BZ_DEFAULT, 0);
	unsetenv("BUDDYZONE_DEBUG");
	for (int i = 0; i < 7; i++) {
		char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, 0);

		memset(p, 0x77, BZ_PAGE_SIZE);
		assert_int_equal(bz_free_pages_addr(p, 0), 0);
		assert_true(all_bytes(p, BZ_PAGE_SIZE, 0));
	}
	assert_int_equal(json_counter(sys, "debug_check_run"), 2);
	bz_system_destroy(sys);
	/* debug = 0 in the config: the environment is not consulted. */
	setenv("BUDDYZONE_DEBUG", "init_on_free", 1);
	sys = debug_system(0, 0);
	unsetenv("BUDDYZONE_DEBUG");
	{
		char *p = bz_get_free_pages(sys, BZ_GFP_KERNEL, 0);

		memset(p, 0x77, BZ_PAGE_SIZE);
		assert_int_equal(bz_free_pages_addr(p, 0), 0);
		assert_true(all_bytes(p, BZ_PAGE_SIZE, 0x77));
	}
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_poison_use_after_free_write_reported, reset),
		cmocka_unit_test_setup(test_poison_single_bit_error_in_order3, reset),
		cmocka_unit_test_setup(test_poison_stray_write_to_fresh_page, reset),
		cmocka_unit_test_setup(test_poison_takes_precedence_over_init, reset),
		cmocka_unit_test_setup(test_default_leaves_data_behind, reset),
		cmocka_unit_test_setup(test_init_on_free_zeroes, reset),
		cmocka_unit_test_setup(test_init_on_alloc_zeroes, reset),
		cmocka_unit_test_setup(test_guard_write_after_free_faults, reset),
		cmocka_unit_test_setup(test_guard_mprotect_failure_fails_allocation, reset),
		cmocka_unit_test_setup(test_guard_refuses_required_hugetlb, reset),
		cmocka_unit_test_setup(test_check_runs_every_n_operations, reset),
		cmocka_unit_test_setup(test_check_exact_while_threads_run, reset),
		cmocka_unit_test_setup(test_abort_mode_aborts, reset),
		cmocka_unit_test_setup(test_environment_options, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
