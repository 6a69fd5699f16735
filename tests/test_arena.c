/* SPDX-License-Identifier: MIT */
/*
 * test_arena.c - the OS layer (arena.c): reservations that cost no RSS,
 * mbind placement checked with get_mempolicy(), the backing chosen for each
 * hugetlb policy with an empty pool, clean failures injected at each OS
 * primitive, and, when /proc/sys/vm/nr_hugepages is writable, real hugetlb
 * backing from a few reserved huge pages (all of an arena, or part of it
 * when the pool is short) (the old value is restored in the
 * teardown, at exit, and on SIGBUS).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <numa.h>
#include <numaif.h>

#include "os.h"

#define MiB (1ul << 20)
#define GiB (1ul << 30)
#define HPAGE (2 * MiB)

static struct bz_system sys;    /* only sys.topo and logging are used */

/* One arena placed like mm_init.c places a node: 4 MiB into a 1 GiB-aligned reservation. */
struct region {
	char *base;
	size_t bytes;
	struct bz_arena arena;
};

static int make_arena(struct region *r, size_t bytes, int policy, size_t hpage, int nid)
{
	struct bz_config cfg;

	bz_config_init(&cfg);
	cfg.hugetlb = policy;
	cfg.hugetlb_page_size = hpage ? hpage : (unsigned long)BZ_DEFAULT;
	r->bytes = bytes + 8 * MiB;
	r->base = bz__os_reserve(r->bytes, GiB);
	assert_non_null(r->base);
	memset(&r->arena, 0, sizeof(r->arena));
	r->arena.start = r->base + 4 * MiB;
	r->arena.bytes = bytes;
	/* bz_system_create settles the config first (the environment, defaults): so do we. */
	if (bz__options_resolve(&sys, &cfg))
		return -EINVAL;
	return bz__arena_setup(&sys, &cfg, nid, &r->arena);
}

static void free_region(struct region *r)
{
	bz__os_release(r->base, r->bytes);
	r->base = NULL;
}

static void touch(char *p, size_t bytes)
{
	size_t off;

	for (off = 0; off < bytes; off += BZ_PAGE_SIZE)
		((volatile char *)p)[off] = 1;
}

static int first_real_node(void)
{
	return sys.topo.os_node[0];
}

/* Node of the page at addr, after it was touched. */
static int node_of(void *addr)
{
	int node = -1;

	assert_int_equal(get_mempolicy(&node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR), 0);
	return node;
}

static bool thp_enabled(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] && !strstr(buf, "[never]");
}

/* Pages the node's 2 MiB pool cannot give: an arena that size must fall back. */
static size_t more_than_pool(int os)
{
	long avail = bz__hugetlb_free_pages(os, HPAGE);

	return (size_t)(avail > 0 ? avail + 1 : 4) * HPAGE;
}

/* ---- log capture ------------------------------------------------------------ */

static int logged[8];
static char last_msg[512];

static void capture_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level >= 0 && level < 8)
		logged[level]++;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

static int setup_sys(void **state)
{
	(void)state;
	bz_set_log_callback(capture_log, NULL);
	if (bz__topology_discover(&sys, NULL, &sys.topo))
		return -1;
	sys.nr_nodes = sys.topo.nr_nodes;
	return 0;
}

static int teardown_sys(void **state)
{
	(void)state;
	bz__os_fail_next(0);
	bz_set_log_callback(NULL, NULL);
	return 0;
}

static int reset_each(void **state)
{
	(void)state;
	memset(logged, 0, sizeof(logged));
	last_msg[0] = '\0';
	bz__os_fail_next(0);
	unsetenv("BUDDYZONE_HUGETLB");
	unsetenv("BUDDYZONE_HUGETLB_PAGE_SIZE");
	return 0;
}

/* ---- reservations ------------------------------------------------------------ */

static void test_os_reserve_aligned(void **state)
{
	size_t aligns[] = { 0, BZ_PAGE_SIZE, 4 * MiB, GiB };
	size_t k;

	(void)state;
	for (k = 0; k < BZ_ARRAY_SIZE(aligns); k++) {
		char *p = bz__os_reserve(10 * MiB + 123, aligns[k]);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % (aligns[k] ? aligns[k] : BZ_PAGE_SIZE), 0);
		p[0] = 1;
		p[10 * MiB + 122] = 2;  /* rounded up to whole pages, all writable */
		bz__os_release(p, 10 * MiB + 123);
	}
	bz__os_release(NULL, 4096);     /* no-op */
}

static void test_os_reserve_bad_args(void **state)
{
	(void)state;
	assert_null(bz__os_reserve(0, GiB));
	assert_null(bz__os_reserve(MiB, 3 * MiB));      /* not a power of two */
	assert_null(bz__os_reserve(SIZE_MAX - 4096, GiB));
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Rss: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static size_t resident_pages(void *p, size_t bytes)
{
	size_t i, n = bytes / BZ_PAGE_SIZE, count = 0;
	unsigned char *vec = malloc(n);

	assert_non_null(vec);
	assert_int_equal(mincore(p, bytes, vec), 0);
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/* Reserved memory costs nothing until touched, and then only what was touched. */
static void test_os_reserve_costs_no_rss(void **state)
{
	long before, after;
	size_t res;
	char *p;

	(void)state;
	before = rss_kb();
	p = bz__os_reserve(GiB, GiB);
	assert_non_null(p);
	after = rss_kb();
	assert_int_equal(resident_pages(p, GiB), 0);
	if (before >= 0)
		assert_true(after - before < 4096);
	p[0] = 1;
	p[GiB / 2] = 1;
	p[GiB - 1] = 1;
	res = resident_pages(p, GiB);
	/* Three pages, or three THPs where THP is "always". */
	assert_true(res >= 3 && res <= 3 * (HPAGE / BZ_PAGE_SIZE));
	if (before >= 0)
		assert_true(rss_kb() - before < 3 * 2048 + 4096);
	bz__os_release(p, GiB);
}

static void test_os_reserve_injected_failure(void **state)
{
	char *p;

	(void)state;
	bz__os_fail_next(BZ_OS_RESERVE);
	assert_null(bz__os_reserve(MiB, 0));
	p = bz__os_reserve(MiB, 0);     /* consumed: the next one works */
	assert_non_null(p);
	bz__os_release(p, MiB);
}

/* ---- binding ------------------------------------------------------------------- */

static void test_arena_mbind_placement(void **state)
{
	struct region r;
	int mode = -1, os = first_real_node();
	size_t off;

	(void)state;
	if (numa_available() < 0 || os < 0)
		skip();
	assert_int_equal(make_arena(&r, 16 * MiB, BZ_HUGETLB_NEVER, 0, 0), 0);
	assert_int_equal(r.arena.os_node, os);
	assert_non_null(strstr(r.arena.reason, "mbind MPOL_BIND"));
	assert_int_equal(get_mempolicy(&mode, NULL, 0, r.arena.start, MPOL_F_ADDR), 0);
	assert_int_equal(mode, MPOL_BIND);
	touch(r.arena.start, r.arena.bytes);
	for (off = 0; off < r.arena.bytes; off += MiB)
		assert_int_equal(node_of(r.arena.start + off), os);
	free_region(&r);
}

static void test_arena_emulated_backing_reason(void **state)
{
	struct bz_topology saved = sys.topo;
	char want[96];
	struct region r;

	(void)state;
	if (numa_available() < 0)
		skip();
	assert_int_equal(bz__topology_discover(&sys, "synthetic:numa:4 pu:1", &sys.topo), 0);
	assert_int_equal(make_arena(&r, 8 * MiB, BZ_HUGETLB_NEVER, 0, 3), 0);
	snprintf(want, sizeof(want), "emulated node 3 backed by real node %d", sys.topo.os_node[3]);
	assert_non_null(strstr(r.arena.reason, want));
	assert_int_equal(r.arena.os_node, sys.topo.os_node[3]);
	touch(r.arena.start, MiB);
	assert_int_equal(node_of(r.arena.start), sys.topo.os_node[3]);
	free_region(&r);
	sys.topo = saved;
}

/* mbind refused: the arena still works, unbound, and says so. */
static void test_arena_mbind_failure_unbound(void **state)
{
	struct region r;

	(void)state;
	if (numa_available() < 0 || first_real_node() < 0)
		skip();
	bz__os_fail_next(BZ_OS_MBIND);
	assert_int_equal(make_arena(&r, 8 * MiB, BZ_HUGETLB_NEVER, 0, 0), 0);
	assert_int_equal(r.arena.os_node, -1);
	assert_non_null(strstr(r.arena.reason, "not bound"));
	assert_int_equal(logged[BZ_LOG_WARNING], 1);
	touch(r.arena.start, r.arena.bytes);
	free_region(&r);
}

/* ---- backing without hugetlb ----------------------------------------------------------- */

static void test_arena_hugetlb_never_thp_or_base(void **state)
{
	struct region r;

	(void)state;
	assert_int_equal(make_arena(&r, 16 * MiB, BZ_HUGETLB_NEVER, 0, 0), 0);
	assert_non_null(strstr(r.arena.reason, "hugetlb never"));
	if (thp_enabled()) {
		assert_int_equal(r.arena.backing, BZ_BACKING_THP);
		assert_int_equal(r.arena.page_size, HPAGE);
		assert_non_null(strstr(r.arena.reason, "THP madvise"));
	} else {
		assert_int_equal(r.arena.backing, BZ_BACKING_BASE);
		assert_int_equal(r.arena.page_size, BZ_PAGE_SIZE);
	}
	touch(r.arena.start, r.arena.bytes);
	free_region(&r);
}

static void test_arena_thp_madvise_failure_base(void **state)
{
	struct region r;

	(void)state;
	if (!thp_enabled())
		skip();
	bz__os_fail_next(BZ_OS_MADVISE);
	assert_int_equal(make_arena(&r, 16 * MiB, BZ_HUGETLB_NEVER, 0, 0), 0);
	assert_int_equal(r.arena.backing, BZ_BACKING_BASE);
	assert_int_equal(r.arena.page_size, BZ_PAGE_SIZE);
	assert_non_null(strstr(r.arena.reason, "madvise failed"));
	free_region(&r);
}

/* The pool cannot back the arena: preferred falls back and says why. */
static void test_arena_empty_pool_preferred_falls_back(void **state)
{
	struct region r;
	int os = first_real_node();

	(void)state;
	assert_int_equal(make_arena(&r, more_than_pool(os), BZ_HUGETLB_PREFERRED, 0, 0), 0);
	assert_int_not_equal(r.arena.backing, BZ_BACKING_HUGETLB);
	assert_non_null(strstr(r.arena.reason, "hugetlb 2MB: "));
	assert_true(strstr(r.arena.reason, "free pages") || strstr(r.arena.reason, "no such pool"));
	assert_int_equal(logged[BZ_LOG_ERR], 0);
	touch(r.arena.start, MiB);
	free_region(&r);
}

static void test_arena_empty_pool_required_enomem(void **state)
{
	struct region r;
	int os = first_real_node();

	(void)state;
	assert_int_equal(make_arena(&r, more_than_pool(os), BZ_HUGETLB_REQUIRED, 0, 0), -ENOMEM);
	assert_int_equal(logged[BZ_LOG_ERR], 1);
	assert_non_null(strstr(last_msg, "hugetlb required"));
	assert_non_null(strstr(r.arena.reason, "hugetlb 2MB"));
	/* The range is left as plain reserved memory: usable, and released whole. */
	touch(r.arena.start, MiB);
	free_region(&r);
}

/* An arena without one whole 1 GiB page cannot use 1 GiB pages. */
static void test_arena_1g_too_small(void **state)
{
	struct region r;

	(void)state;
	assert_int_equal(make_arena(&r, 64 * MiB, BZ_HUGETLB_PREFERRED, GiB, 0), 0);
	assert_non_null(strstr(r.arena.reason, "hugetlb 1GB: arena holds no whole huge page"));
	free_region(&r);
	assert_int_equal(make_arena(&r, 64 * MiB, BZ_HUGETLB_REQUIRED, GiB, 0), -ENOMEM);
	free_region(&r);
}

/* ---- configuration ----------------------------------------------------------------------- */

static void test_arena_config_from_env(void **state)
{
	struct region r;
	int os = first_real_node();

	(void)state;
	setenv("BUDDYZONE_HUGETLB", "never", 1);
	assert_int_equal(make_arena(&r, 8 * MiB, BZ_DEFAULT, 0, 0), 0);
	assert_non_null(strstr(r.arena.reason, "hugetlb never"));
	free_region(&r);

	setenv("BUDDYZONE_HUGETLB", "required", 1);
	assert_int_equal(make_arena(&r, more_than_pool(os), BZ_DEFAULT, 0, 0), -ENOMEM);
	free_region(&r);

	setenv("BUDDYZONE_HUGETLB", "sometimes", 1);    /* refused, as every bad setting */
	assert_int_equal(make_arena(&r, more_than_pool(os), BZ_DEFAULT, 0, 0), -EINVAL);
	assert_int_equal(logged[BZ_LOG_ERR], 2);     /* "required" could not be met: the first */
	free_region(&r);

	unsetenv("BUDDYZONE_HUGETLB");
	setenv("BUDDYZONE_HUGETLB_PAGE_SIZE", "1G", 1);
	assert_int_equal(make_arena(&r, 8 * MiB, BZ_DEFAULT, 0, 0), 0);
	assert_non_null(strstr(r.arena.reason, "hugetlb 1GB"));
	free_region(&r);
	setenv("BUDDYZONE_HUGETLB_PAGE_SIZE", "2MiB", 1);
	assert_int_equal(make_arena(&r, 8 * MiB, BZ_DEFAULT, 0, 0), 0);
	assert_non_null(strstr(r.arena.reason, "hugetlb 2MB"));
	free_region(&r);
	setenv("BUDDYZONE_HUGETLB_PAGE_SIZE", "3M", 1); /* refused */
	assert_int_equal(make_arena(&r, 8 * MiB, BZ_DEFAULT, 0, 0), -EINVAL);
	assert_int_equal(logged[BZ_LOG_ERR], 3);
	free_region(&r);
	unsetenv("BUDDYZONE_HUGETLB_PAGE_SIZE");
}

static void test_arena_config_invalid(void **state)
{
	struct region r;

	(void)state;
	assert_int_equal(make_arena(&r, 8 * MiB, 7, 0, 0), -EINVAL);
	free_region(&r);
	assert_int_equal(make_arena(&r, 8 * MiB, BZ_HUGETLB_PREFERRED, 64 * 1024, 0), -EINVAL);
	free_region(&r);
	assert_int_equal(logged[BZ_LOG_ERR], 2);
}

/* A caller built against an older, shorter struct bz_config gets the defaults. */
static void test_arena_config_old_size(void **state)
{
	struct bz_config cfg;
	bz_system *s = NULL;

	(void)state;
	bz_config_init(&cfg);
	cfg.zones = "0:Normal=4096";
	cfg.hugetlb = 7;                /* beyond cfg.size: never read */
	cfg.size = offsetof(struct bz_config, hugetlb);
	assert_int_equal(bz_system_create(&cfg, &s), 0);
	bz_system_destroy(s);
	assert_int_equal(bz_system_create(NULL, &s), 0);
	bz_system_destroy(s);
}

/* ---- with a few real huge pages ------------------------------------------------------------ */

#define NR_HUGEPAGES_PATH "/proc/sys/vm/nr_hugepages"

static long orig_nr_hugepages = -1;
static bool hugetlb_ready;

static long read_nr_hugepages(void)
{
	long n = -1;
	FILE *f = fopen(NR_HUGEPAGES_PATH, "r");

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* open/write only: also called from the SIGBUS handler. */
static bool write_nr_hugepages(long n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", n);
	int fd = open(NR_HUGEPAGES_PATH, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, buf, (size_t)len) == len;
	close(fd);
	return ok;
}

static void restore_nr_hugepages(void)
{
	if (orig_nr_hugepages >= 0) {
		write_nr_hugepages(orig_nr_hugepages);
		orig_nr_hugepages = -1;
	}
}

static void sigbus_restore(int sig)
{
	restore_nr_hugepages();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int hugetlb_setup(void **state)
{
	long orig = read_nr_hugepages();

	hugetlb_ready = false;
	if (setup_sys(state))
		return -1;
	if (orig < 0 || access(NR_HUGEPAGES_PATH, W_OK) != 0)
		return 0;
	orig_nr_hugepages = orig;
	atexit(restore_nr_hugepages);
	signal(SIGBUS, sigbus_restore);
	if (!write_nr_hugepages(orig + 8)) {
		orig_nr_hugepages = -1;
		return 0;
	}
	hugetlb_ready = bz__hugetlb_free_pages(first_real_node(), HPAGE) >= 4;
	return 0;
}

static int hugetlb_teardown(void **state)
{
	restore_nr_hugepages();
	signal(SIGBUS, SIG_DFL);
	return teardown_sys(state);
}

static void test_arena_hugetlb_backed(void **state)
{
	int os = first_real_node();
	long avail;
	struct region r;

	(void)state;
	if (!hugetlb_ready)
		skip();
	avail = bz__hugetlb_free_pages(-1, HPAGE);
	assert_int_equal(make_arena(&r, 4 * HPAGE, BZ_HUGETLB_PREFERRED, 0, 0), 0);
	assert_int_equal(r.arena.backing, BZ_BACKING_HUGETLB);
	assert_int_equal(r.arena.page_size, HPAGE);
	assert_non_null(strstr(r.arena.reason, "hugetlb 2MB: 4 pages reserved"));
	/* Reserved from the pool at mmap time: first touch cannot SIGBUS. */
	assert_int_equal(bz__hugetlb_free_pages(-1, HPAGE), avail - 4);
	touch(r.arena.start, r.arena.bytes);
	if (numa_available() >= 0 && os >= 0) {
		assert_int_equal(r.arena.os_node, os);
		assert_int_equal(node_of(r.arena.start), os);
		assert_int_equal(node_of(r.arena.start + 3 * HPAGE), os);
	}
	free_region(&r);
	assert_int_equal(bz__hugetlb_free_pages(-1, HPAGE), avail);
}

static void test_arena_hugetlb_required(void **state)
{
	struct region r;

	(void)state;
	if (!hugetlb_ready)
		skip();
	assert_int_equal(make_arena(&r, 2 * HPAGE, BZ_HUGETLB_REQUIRED, HPAGE, 0), 0);
	assert_int_equal(r.arena.backing, BZ_BACKING_HUGETLB);
	touch(r.arena.start, r.arena.bytes);
	free_region(&r);
}

/* The hugetlb mmap refused: preferred falls back, required fails, memory stays usable. */
static void test_arena_hugetlb_injected_mmap_failure(void **state)
{
	struct region r;

	(void)state;
	if (!hugetlb_ready)
		skip();
	bz__os_fail_next(BZ_OS_HUGETLB);
	assert_int_equal(make_arena(&r, 2 * HPAGE, BZ_HUGETLB_PREFERRED, 0, 0), 0);
	assert_int_not_equal(r.arena.backing, BZ_BACKING_HUGETLB);
	assert_non_null(strstr(r.arena.reason, "mmap of 2 pages"));
	touch(r.arena.start, r.arena.bytes);
	free_region(&r);

	bz__os_fail_next(BZ_OS_HUGETLB);
	assert_int_equal(make_arena(&r, 2 * HPAGE, BZ_HUGETLB_REQUIRED, 0, 0), -ENOMEM);
	touch(r.arena.start, r.arena.bytes);
	free_region(&r);
}

/* Two arenas, pool for one: the second falls back instead of over-committing the pool. */
static void test_arena_hugetlb_pool_shared_twice(void **state)
{
	int os = first_real_node();
	struct region a, b;
	long avail;

	(void)state;
	if (!hugetlb_ready)
		skip();
	avail = bz__hugetlb_free_pages(os, HPAGE);
	assert_int_equal(make_arena(&a, (size_t)avail * HPAGE, BZ_HUGETLB_PREFERRED, 0, 0), 0);
	assert_int_equal(a.arena.backing, BZ_BACKING_HUGETLB);
	assert_int_equal(make_arena(&b, HPAGE, BZ_HUGETLB_PREFERRED, 0, 0), 0);
	assert_int_not_equal(b.arena.backing, BZ_BACKING_HUGETLB);
	touch(a.arena.start, a.arena.bytes);
	touch(b.arena.start, b.arena.bytes);
	free_region(&b);
	free_region(&a);
}

/* A size that is not a whole number of huge pages: hugetlb inside, THP/base at the edge. */
static void test_arena_hugetlb_edges(void **state)
{
	struct region r;

	(void)state;
	if (!hugetlb_ready)
		skip();
	assert_int_equal(make_arena(&r, 2 * HPAGE + 64 * 1024, BZ_HUGETLB_PREFERRED, 0, 0), 0);
	assert_int_equal(r.arena.backing, BZ_BACKING_HUGETLB);
	assert_non_null(strstr(r.arena.reason, "2 pages reserved"));
	assert_non_null(strstr(r.arena.reason, "edges: "));
	touch(r.arena.start, r.arena.bytes);
	free_region(&r);
}

/*
 * A pool smaller than the arena: the pages it has back the top of the
 * interior, THP/base pages the rest, and the log line says how much is
 * which.  Required still wants it all.
 */
static void test_arena_hugetlb_partial_pool(void **state)
{
	int os = first_real_node();
	long avail, need;
	struct region r;
	char want[64];

	(void)state;
	if (!hugetlb_ready)
		skip();
	avail = bz__hugetlb_free_pages(os, HPAGE);
	need = avail + 4;
	assert_int_equal(make_arena(&r, (size_t)need * HPAGE, BZ_HUGETLB_PREFERRED, 0, 0), 0);
	assert_int_equal(r.arena.backing, BZ_BACKING_HUGETLB);
	assert_int_equal(r.arena.huge_bytes, (size_t)avail * HPAGE);
	assert_ptr_equal(r.arena.huge_start + r.arena.huge_bytes, r.arena.start + r.arena.bytes);
	snprintf(want, sizeof(want), "hugetlb 2MB: %ld of %ld pages reserved", avail, need);
	assert_non_null(strstr(r.arena.reason, want));
	assert_non_null(strstr(r.arena.reason, "; the rest: "));
	snprintf(want, sizeof(want), "%ld MB of it on hugetlb pages of 2048 kB", avail * 2);
	assert_non_null(strstr(last_msg, want));
	assert_int_equal(bz__hugetlb_free_pages(os, HPAGE), 0);    /* all reserved */
	touch(r.arena.start, r.arena.bytes);                        /* no SIGBUS anywhere */
	free_region(&r);
	assert_int_equal(bz__hugetlb_free_pages(os, HPAGE), avail);

	assert_int_equal(make_arena(&r, (size_t)need * HPAGE, BZ_HUGETLB_REQUIRED, 0, 0), -ENOMEM);
	assert_int_equal(r.arena.huge_bytes, 0);
	touch(r.arena.start, MiB);
	free_region(&r);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test_setup(test_os_reserve_aligned, reset_each),
		cmocka_unit_test_setup(test_os_reserve_bad_args, reset_each),
		cmocka_unit_test_setup(test_os_reserve_costs_no_rss, reset_each),
		cmocka_unit_test_setup(test_os_reserve_injected_failure, reset_each),
		cmocka_unit_test_setup(test_arena_mbind_placement, reset_each),
		cmocka_unit_test_setup(test_arena_emulated_backing_reason, reset_each),
		cmocka_unit_test_setup(test_arena_mbind_failure_unbound, reset_each),
		cmocka_unit_test_setup(test_arena_hugetlb_never_thp_or_base, reset_each),
		cmocka_unit_test_setup(test_arena_thp_madvise_failure_base, reset_each),
		cmocka_unit_test_setup(test_arena_empty_pool_preferred_falls_back, reset_each),
		cmocka_unit_test_setup(test_arena_empty_pool_required_enomem, reset_each),
		cmocka_unit_test_setup(test_arena_1g_too_small, reset_each),
		cmocka_unit_test_setup(test_arena_config_from_env, reset_each),
		cmocka_unit_test_setup(test_arena_config_invalid, reset_each),
		cmocka_unit_test_setup(test_arena_config_old_size, reset_each),
	};
	const struct CMUnitTest hugetlb[] = {
		cmocka_unit_test_setup(test_arena_hugetlb_backed, reset_each),
		cmocka_unit_test_setup(test_arena_hugetlb_required, reset_each),
		cmocka_unit_test_setup(test_arena_hugetlb_injected_mmap_failure, reset_each),
		cmocka_unit_test_setup(test_arena_hugetlb_pool_shared_twice, reset_each),
		cmocka_unit_test_setup(test_arena_hugetlb_edges, reset_each),
		cmocka_unit_test_setup(test_arena_hugetlb_partial_pool, reset_each),
	};
	int failed = cmocka_run_group_tests_name("arena", plain, setup_sys, teardown_sys);

	failed += cmocka_run_group_tests_name("arena_hugetlb", hugetlb, hugetlb_setup,
					      hugetlb_teardown);
	return failed;
}
