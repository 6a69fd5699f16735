/* SPDX-License-Identifier: MIT */
/*
 * test_options.c - one rule for every setting (src/options.c): a config
 * field left at BZ_DEFAULT takes BUDDYZONE_<NAME>, else the default; an
 * explicit value (0 included) wins over the environment; a value that does
 * not parse or fit, in the config or the environment, refuses the system
 * with -EINVAL and a log line naming it.  Also the limits of sizes against
 * the page-frame space, BUDDYZONE_LOG's strict reading, the NULL sysctl
 * value, and bz_strerror's table.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define ZONES "0:Normal=4096"

static struct log_catch lc;

static void base_config(struct bz_config *cfg)
{
	bz_config_init(cfg);
	cfg->zones = ZONES;
	cfg->cpus_per_node = 1;
	cfg->hugetlb = BZ_HUGETLB_NEVER;
	cfg->log = log_catch_fn;
	cfg->log_arg = &lc;
}

/* Creation with cfg: the error code; a created system is destroyed at once. */
static int try_create(struct bz_config *cfg)
{
	bz_system *sys = NULL;
	int ret = bz_system_create(cfg, &sys);

	if (!ret)
		bz_system_destroy(sys);
	else
		assert_null(sys);
	return ret;
}

static int setup(void **state)
{
	(void)state;
	log_catch_reset(&lc);
	return 0;
}

/* Each variable with a value it cannot take: refused, and the log names the variable. */
static void test_options_bad_environment_refuses(void **state)
{
	static const struct { const char *var, *value; } bad[] = {
		{ "BUDDYZONE_HUGETLB", "sometimes" },
		{ "BUDDYZONE_HUGETLB_PAGE_SIZE", "3M" },
		{ "BUDDYZONE_DEBUG", "poison,bogus" },
		{ "BUDDYZONE_DEBUG_CHECK_INTERVAL", "0" },
		{ "BUDDYZONE_STATS", "yes" },
		{ "BUDDYZONE_STATS_INTERVAL_MS", "0" },
		{ "BUDDYZONE_HOTPLUG_RESERVE", "12Q" },
		{ "BUDDYZONE_HOTPLUG_RESERVE", "64M junk" },
		{ "BUDDYZONE_CPUS_PER_NODE", "-1" },
		{ "BUDDYZONE_MIN_FREE_KBYTES", "abc" },
		{ "BUDDYZONE_WATERMARK_SCALE_FACTOR", "10x" },
	};
	struct bz_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[96];

		log_catch_reset(&lc);
		assert_int_equal(setenv(bad[i].var, bad[i].value, 1), 0);
		base_config(&cfg);
		if (!strcmp(bad[i].var, "BUDDYZONE_HUGETLB") || !strcmp(bad[i].var, "BUDDYZONE_CPUS_PER_NODE"))
			cfg.hugetlb = cfg.cpus_per_node = BZ_DEFAULT;   /* else the config wins */
		if (try_create(&cfg) != -EINVAL)
			fail_msg("%s=%s was not refused", bad[i].var, bad[i].value);
		snprintf(want, sizeof(want), "%s=", bad[i].var);
		if (!strstr(lc.all, want))
			fail_msg("%s=%s: the log does not name it: %s", bad[i].var, bad[i].value, lc.all);
		assert_int_equal(unsetenv(bad[i].var), 0);
	}
}

/* A value given in the config is checked as strictly, and named by its field. */
static void test_options_bad_config_refuses(void **state)
{
	struct bz_config cfg;

	(void)state;
	base_config(&cfg);
	cfg.hugetlb_page_size = 0;      /* 0 is no size: "not set" is BZ_DEFAULT */
	assert_int_equal(try_create(&cfg), -EINVAL);
	assert_non_null(strstr(lc.all, "hugetlb_page_size"));
	base_config(&cfg);
	cfg.debug_check_interval = 0;
	assert_int_equal(try_create(&cfg), -EINVAL);
	assert_non_null(strstr(lc.all, "debug_check_interval"));
	base_config(&cfg);
	cfg.cpus_per_node = 4097;
	assert_int_equal(try_create(&cfg), -EINVAL);
	assert_non_null(strstr(lc.all, "cpus_per_node"));
}

/* An explicit 0 in the config wins over the environment (it used to mean "not set"). */
static void test_options_explicit_zero_overrides_environment(void **state)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	(void)state;
	assert_int_equal(setenv("BUDDYZONE_HOTPLUG_RESERVE", "64M", 1), 0);
	base_config(&cfg);
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, 16384), 0);      /* the variable's room */
	bz_system_destroy(sys);
	base_config(&cfg);
	cfg.hotplug_reserve = 0;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, 1), -ENOSPC);     /* none, as asked */
	bz_system_destroy(sys);
	assert_int_equal(unsetenv("BUDDYZONE_HOTPLUG_RESERVE"), 0);
}

/* One size grammar: pages, or bytes with K/M/G/T (and the iB/B spellings). */
static void test_options_one_size_grammar(void **state)
{
	static const char *const same[] = { "16384", "64M", "64MiB", "64MB", "65536K" };
	struct bz_config cfg;
	bz_system *sys = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		assert_int_equal(setenv("BUDDYZONE_HOTPLUG_RESERVE", same[i], 1), 0);
		base_config(&cfg);
		assert_int_equal(bz_system_create(&cfg, &sys), 0);
		assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, 16385), -ENOSPC);
		assert_int_equal(bz_memory_add(sys, 0, BZ_ZONE_NORMAL, 16384), 0);
		bz_system_destroy(sys);
	}
	assert_int_equal(unsetenv("BUDDYZONE_HOTPLUG_RESERVE"), 0);
}

/*
 * hotplug_reserve near ULONG_MAX once wrapped the node's reserved end and
 * built a system of the wrong size; every size is checked against the
 * page-frame space, without overflowing.
 */
static void test_options_hotplug_reserve_cannot_wrap(void **state)
{
	static const unsigned long sizes[] = { ULONG_MAX - 1, ULONG_MAX - 4096, 1ul << 40, 4294967295ul };
	struct bz_config cfg;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		log_catch_reset(&lc);
		base_config(&cfg);
		cfg.hotplug_reserve = sizes[i];
		if (try_create(&cfg) != -EINVAL)
			fail_msg("hotplug_reserve %lu was accepted", sizes[i]);
		assert_non_null(strstr(lc.all, "hotplug_reserve"));
	}
}

/* The zones spec names the real limit of the page-frame space, not ULONG_MAX. */
static void test_options_zones_limit_message(void **state)
{
	struct bz_config cfg;

	(void)state;
	base_config(&cfg);
	cfg.zones = "0:Normal=4294967295";
	assert_int_equal(try_create(&cfg), -EINVAL);
	assert_non_null(strstr(lc.all, "below pfn 4294967295"));
	assert_null(strstr(lc.all, "18446744073709551615"));
}

/* bz_sysctl_set with no value: refused with a log line, like every other refusal. */
static void test_options_sysctl_null_value_logged(void **state)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	(void)state;
	base_config(&cfg);
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	log_catch_reset(&lc);
	assert_int_equal(bz_sysctl_set(sys, "min_free_kbytes", NULL), -EINVAL);
	assert_non_null(strstr(lc.all, "min_free_kbytes: NULL value"));
	bz_system_destroy(sys);
}

/*
 * BUDDYZONE_LOG takes exactly 1 or 0: it is read once per process, so each
 * value is tried in a fresh copy of this program (--log-child below), whose
 * stderr we read.
 */
static void run_log_child(const char *value, char *out, size_t size)
{
	int fds[2];
	pid_t pid;
	size_t n = 0;
	ssize_t r;
	int status;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		setenv("BUDDYZONE_LOG", value, 1);
		execl("/proc/self/exe", "test_options", "--log-child", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (n + 1 < size && (r = read(fds[0], out + n, size - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_options_log_variable_is_strict(void **state)
{
	char out[4096];

	(void)state;
	run_log_child("1", out, sizeof(out));
	assert_non_null(strstr(out, "zones: cannot parse"));
	run_log_child("16T", out, sizeof(out));
	assert_null(strstr(out, "zones: cannot parse"));
	assert_non_null(strstr(out, "BUDDYZONE_LOG=\"16T\""));
	run_log_child("1G", out, sizeof(out));
	assert_null(strstr(out, "zones: cannot parse"));
	run_log_child("0", out, sizeof(out));
	assert_string_equal(out, "");
}

/* The child: one refused creation, whose message goes wherever BUDDYZONE_LOG says. */
static int log_child(void)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = "bogus";
	return bz_system_create(&cfg, &sys) == -EINVAL ? 0 : 1;
}

/* One table for every code the library returns; static text, the same from every thread. */
static void test_strerror_table(void **state)
{
	static const int ours[] = { 0, EINVAL, ENOMEM, EUCLEAN, ERANGE, EIO, EBUSY, ENOENT, EPERM, ENOSYS,
				    ENOSPC, EDEADLK, EAGAIN, EEXIST, ENODATA, ESRCH, ESTALE, ENOTTY };

	(void)state;
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		const char *a = bz_strerror(-ours[i]), *b = bz_strerror(ours[i]);

		assert_non_null(a);
		assert_ptr_equal(a, b);
		assert_true(strlen(a) > 3);
	}
	assert_non_null(strstr(bz_strerror(-ENOSPC), "hot-add"));
	assert_non_null(strstr(bz_strerror(-EDEADLK), "callback"));
	assert_string_equal(bz_strerror(-4242), "unknown error");
	/* A code only the OS returns: glibc's own static text. */
	assert_string_equal(bz_strerror(-EACCES), "Permission denied");
}

struct strerror_arg {
	atomic_int mismatches;
};

static void *strerror_worker(void *p)
{
	struct strerror_arg *a = p;
	const char *first = bz_strerror(-ENOSPC);

	for (int i = 0; i < 20000; i++) {
		if (bz_strerror(-ENOSPC) != first || strcmp(bz_strerror(-(i % 140)), "") == 0)
			atomic_fetch_add(&a->mismatches, 1);
	}
	return NULL;
}

static void test_strerror_thread_safe(void **state)
{
	struct strerror_arg a = { 0 };
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, strerror_worker, &a), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(atomic_load(&a.mismatches), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_options_bad_environment_refuses, setup),
		cmocka_unit_test_setup(test_options_bad_config_refuses, setup),
		cmocka_unit_test_setup(test_options_explicit_zero_overrides_environment, setup),
		cmocka_unit_test_setup(test_options_one_size_grammar, setup),
		cmocka_unit_test_setup(test_options_hotplug_reserve_cannot_wrap, setup),
		cmocka_unit_test_setup(test_options_zones_limit_message, setup),
		cmocka_unit_test_setup(test_options_sysctl_null_value_logged, setup),
		cmocka_unit_test_setup(test_options_log_variable_is_strict, setup),
		cmocka_unit_test(test_strerror_table),
		cmocka_unit_test(test_strerror_thread_safe),
	};

	if (argc > 1 && !strcmp(argv[1], "--log-child"))
		return log_child();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
