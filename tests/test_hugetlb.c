/* SPDX-License-Identifier: MIT */
/*
 * test_hugetlb.c - systems on hugetlb memory: bz_trim and the background
 * page reporting give free huge-page-sized blocks back to the pool (the
 * pool's free and reserved counts show it, and the memory reads as zero
 * and can be used again); a kernel that refuses MADV_DONTNEED there, or
 * gives the pages back without their reservation, keeps the memory usable
 * (fault injection); a pool shorter than the node backs part of it; and
 * bz_write_json's resident bytes by backing, measured both ways
 * (PAGEMAP_SCAN and the mincore/smaps fallback).
 *
 * Raises /proc/sys/vm/nr_hugepages for the run (restored in the teardown,
 * at exit and on SIGBUS); every hugetlb case skips where that is not
 * possible (not root, no 2 MiB pool, not enough free memory).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "os.h"

#define HPAGE           (2ul << 20)
#define HPAGE_ORDER     9
#define NR_HUGEPAGES    "/proc/sys/vm/nr_hugepages"
#define POOL            "/sys/kernel/mm/hugepages/hugepages-2048kB/"
#define WANT_PAGES      80      /* the largest system below needs 64 */

static long orig_nr = -1;
static bool pool_ready;

static long read_long(const char *path)
{
	long n = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* open/write only: also called from the SIGBUS handler. */
static bool write_nr(long n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", n), fd = open(NR_HUGEPAGES, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, buf, (size_t)len) == len;
	close(fd);
	return ok;
}

static void restore_nr(void)
{
	if (orig_nr >= 0) {
		write_nr(orig_nr);
		orig_nr = -1;
	}
}

static void sigbus_restore(int sig)
{
	restore_nr();
	signal(sig, SIG_DFL);
	raise(sig);
}

static long pool_free(void)
{
	return read_long(POOL "free_hugepages");
}

static long pool_resv(void)
{
	return read_long(POOL "resv_hugepages");
}

static int pool_setup(void **state)
{
	long orig = read_long(NR_HUGEPAGES);

	(void)state;
	if (orig < 0 || access(NR_HUGEPAGES, W_OK))
		return 0;
	orig_nr = orig;
	atexit(restore_nr);
	signal(SIGBUS, sigbus_restore);
	if (!write_nr(orig + WANT_PAGES)) {
		orig_nr = -1;
		return 0;
	}
	pool_ready = pool_free() - pool_resv() >= WANT_PAGES;
	return 0;
}

static int pool_teardown(void **state)
{
	(void)state;
	restore_nr();
	signal(SIGBUS, SIG_DFL);
	return 0;
}

static int reset_each(void **state)
{
	(void)state;
	bz__os_fail_next(0);
	return 0;
}

/* A one-node system of pages on hugetlb memory (preferred), logging into lc. */
static bz_system *huge_system(unsigned long pages, int delay_ms, struct log_catch *lc)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	char zones[64];

	snprintf(zones, sizeof(zones), "0:Normal=%lu", pages);
	bz_config_init(&cfg);
	cfg.zones = zones;
	cfg.cpus_per_node = 2;
	cfg.hugetlb = BZ_HUGETLB_PREFERRED;
	cfg.hugetlb_page_size = HPAGE;
	cfg.page_reporting_delay_ms = delay_ms;
	if (lc) {
		cfg.log = log_catch_fn;
		cfg.log_arg = lc;
	}
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	return sys;
}

/* Every block of order the zone gives, each written all over. */
static size_t grab(bz_system *sys, bz_page **out, size_t max, unsigned order)
{
	size_t n = 0;
	bz_page *pg;

	while (n < max && (pg = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, order))) {
		memset(bz_page_address(pg), 0x5a, BZ_PAGE_SIZE << order);
		out[n++] = pg;
	}
	return n;
}

static void release(bz_page **pg, size_t n, unsigned order)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bz_free_pages(pg[i], order), 0);
}

static bool all_zero(const bz_page *pg, unsigned order)
{
	const unsigned char *p = bz_page_address(pg);

	for (size_t i = 0; i < (BZ_PAGE_SIZE << order); i++)
		if (p[i])
			return false;
	return true;
}

static unsigned long event(bz_system *sys, enum bz_vm_event ev)
{
	return atomic_load(&sys->events[ev]);
}

/*
 * bz_trim until nothing is left: one call leaves a block or two of a small
 * zone, whose isolation would take the zone below its min watermark while
 * the rest of the batch is isolated too (page_reporting.c).
 */
static long trim_all(bz_system *sys)
{
	long got, total = 0;

	for (int i = 0; i < 16 && (got = bz_trim(sys)) > 0; i++)
		total += got;
	assert_int_equal(bz_trim(sys), 0);
	return total;
}

/* ---- giving huge pages back ------------------------------------------------------------- */

/*
 * bz_trim gives every free huge page of the arena back to the pool with
 * its reservation: the pool's free count returns to where it was before
 * the pages were touched; the memory reads zero and faults in again.
 */
static void test_trim_gives_huge_pages_back(void **state)
{
	bz_system *sys;
	bz_page *pg[32];
	long free0, resv0;
	size_t n;

	(void)state;
	if (!pool_ready)
		skip();
	sys = huge_system(16384, 0, NULL);         /* 64 MiB: 32 huge pages */
	assert_int_equal(sys->nodes[0]->arena.huge_bytes, 64ul << 20);
	free0 = pool_free();
	resv0 = pool_resv();
	n = grab(sys, pg, 32, HPAGE_ORDER);
	assert_true(n >= 16);
	assert_int_equal(pool_free(), free0 - (long)n);        /* faulted in: reservations used */
	release(pg, n, HPAGE_ORDER);
	assert_true(trim_all(sys) >= (long)(n << HPAGE_ORDER)); /* blocks: some hold untouched pages */
	assert_int_equal(pool_free(), free0);                  /* back in the pool ... */
	assert_int_equal(pool_resv(), resv0);                  /* ... still reserved for us */
	n = grab(sys, pg, 32, HPAGE_ORDER);                    /* faults in again: no SIGBUS */
	assert_true(n >= 16);
	release(pg, n, HPAGE_ORDER);
	assert_true(trim_all(sys) >= (long)(n << HPAGE_ORDER));
	pg[0] = bz_alloc_pages(sys, BZ_GFP_KERNEL, HPAGE_ORDER);
	assert_true(all_zero(pg[0], HPAGE_ORDER));             /* what was written went with the page */
	assert_int_equal(bz_free_pages(pg[0], HPAGE_ORDER), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
	assert_int_equal(pool_free(), free0);
}

/* In the hugetlb part only whole, aligned huge pages may go; outside it, any pages. */
static void test_discardable_whole_huge_pages_only(void **state)
{
	struct bz_arena a;
	char *h;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.start = (char *)(64ul << 20);         /* addresses only: nothing is touched */
	a.bytes = 32ul << 20;
	a.page_size = HPAGE;
	a.huge_start = a.start + (8ul << 20);
	a.huge_bytes = 16ul << 20;
	h = a.huge_start;
	assert_true(bz__arena_discardable(&a, a.start, BZ_PAGE_SIZE));          /* before the part */
	assert_true(bz__arena_discardable(&a, h + a.huge_bytes, BZ_PAGE_SIZE));  /* after it */
	assert_true(bz__arena_discardable(&a, h, HPAGE));
	assert_true(bz__arena_discardable(&a, h + HPAGE, 4 * HPAGE));
	assert_false(bz__arena_discardable(&a, h, HPAGE / 2));                  /* part of a page */
	assert_false(bz__arena_discardable(&a, h + BZ_PAGE_SIZE, HPAGE));       /* misaligned */
	assert_false(bz__arena_discardable(&a, h - HPAGE, 2 * HPAGE));          /* straddles */
	atomic_store(&a.huge_kept, true);
	assert_false(bz__arena_discardable(&a, h, HPAGE));                      /* the kernel refused */
	assert_true(bz__arena_discardable(&a, a.start, HPAGE));
}

/* The background pass does the same after page_reporting_delay_ms. */
static void test_reporting_gives_huge_pages_back(void **state)
{
	bz_system *sys;
	bz_page *pg[64];
	unsigned long before;
	long free0;
	size_t n;

	(void)state;
	if (!pool_ready)
		skip();
	sys = huge_system(32768, 50, NULL);        /* 128 MiB: big enough for the worker */
	assert_int_equal(sys->nodes[0]->arena.huge_bytes, 128ul << 20);
	free0 = pool_free();
	n = grab(sys, pg, 64, BZ_MAX_ORDER);
	assert_true(n >= 16);
	before = event(sys, PGREPORTED);
	release(pg, n, BZ_MAX_ORDER);
	/* A bounded wait for the worker (50 ms delay, then one pass): up to 10 s. */
	for (int i = 0; i < 1000 && event(sys, PGREPORTED) - before < n * MAX_ORDER_NR_PAGES; i++)
		usleep(10000);
	assert_true(event(sys, PGREPORTED) - before >= n * MAX_ORDER_NR_PAGES);
	assert_int_equal(pool_free(), free0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* A kernel before 5.18 refuses (EINVAL): nothing goes, no error, and no more tries. */
static void test_trim_kernel_refuses(void **state)
{
	struct log_catch lc;
	bz_system *sys;
	bz_page *pg[32];
	long free_touched;
	size_t n;

	(void)state;
	if (!pool_ready)
		skip();
	log_catch_reset(&lc);
	sys = huge_system(16384, 0, &lc);
	n = grab(sys, pg, 32, HPAGE_ORDER);
	release(pg, n, HPAGE_ORDER);
	free_touched = pool_free();
	bz__os_fail_next(BZ_OS_DISCARD);
	assert_int_equal(bz_trim(sys), 0);
	assert_non_null(strstr(lc.all, "the kernel refuses MADV_DONTNEED on hugetlb memory"));
	assert_true(atomic_load(&sys->nodes[0]->arena.huge_kept));
	assert_int_equal(bz_trim(sys), 0);                     /* the old behaviour from then on */
	assert_int_equal(pool_free(), free_touched);
	n = grab(sys, pg, 32, HPAGE_ORDER);
	release(pg, n, HPAGE_ORDER);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/*
 * Pages given back without their reservation (kernels before 6.10, or a
 * pool with surplus pages) are faulted in again at once and kept; if the
 * pool cannot refill them, the block is kept out of use for good.
 */
static void test_trim_reservation_not_restored(void **state)
{
	struct log_catch lc;
	struct bz_zone_stats st;
	bz_system *sys;
	bz_page *pg[32];
	unsigned long lost;
	long free_touched;
	size_t n;

	(void)state;
	if (!pool_ready)
		skip();
	log_catch_reset(&lc);
	sys = huge_system(16384, 0, &lc);
	n = grab(sys, pg, 32, HPAGE_ORDER);
	release(pg, n, HPAGE_ORDER);
	free_touched = pool_free();
	bz__os_fail_next(BZ_OS_HUGETLB_RESV);
	assert_int_equal(bz_trim(sys), 0);
	assert_non_null(strstr(lc.all, "lost their reservation"));
	assert_non_null(strstr(lc.all, "faulted in again, and kept from now on"));
	assert_true(atomic_load(&sys->nodes[0]->arena.huge_kept));
	assert_int_equal(pool_free(), free_touched);           /* the one page is back in use */
	n = grab(sys, pg, 32, HPAGE_ORDER);
	release(pg, n, HPAGE_ORDER);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);

	/* And the pool empty when refilling: that block is never handed out again. */
	log_catch_reset(&lc);
	sys = huge_system(16384, 0, &lc);
	n = grab(sys, pg, 32, HPAGE_ORDER);
	release(pg, n, HPAGE_ORDER);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	bz__os_fail_next(BZ_OS_HUGETLB_RESV | BZ_OS_POPULATE);
	assert_int_equal(bz_trim(sys), 0);
	assert_non_null(strstr(lc.all, "kept out of use"));
	bz__os_fail_next(0);
	lost = st.free + st.cached - total_free(sys);          /* one block: one or two huge pages */
	assert_true(lost == 1ul << HPAGE_ORDER || lost == 2ul << HPAGE_ORDER);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* A pool short of the node: part hugetlb (logged), the rest THP/base, all usable and given back. */
static void test_system_on_short_pool(void **state)
{
	struct log_catch lc;
	struct bz_arena *a;
	bz_system *sys;
	bz_page *pg[64];
	long spare, free0;
	size_t n;

	(void)state;
	if (!pool_ready)
		skip();
	spare = pool_free() - pool_resv();
	assert_true(write_nr(read_long(NR_HUGEPAGES) - (spare - 8)));  /* 8 free pages for a 64-page node */
	log_catch_reset(&lc);
	sys = huge_system(32768, 0, &lc);
	assert_true(write_nr(read_long(NR_HUGEPAGES) + (spare - 8)));
	a = &sys->nodes[0]->arena;
	assert_int_equal(a->huge_bytes, 8 * HPAGE);
	assert_non_null(strstr(lc.all, "16 MB of it on hugetlb pages of 2048 kB"));
	assert_non_null(strstr(a->reason, "8 of 64 pages reserved"));
	free0 = pool_free();
	n = grab(sys, pg, 64, HPAGE_ORDER);
	assert_true(n >= 48);
	release(pg, n, HPAGE_ORDER);
	assert_true(trim_all(sys) >= (long)(n << HPAGE_ORDER)); /* blocks: some hold untouched pages */
	assert_int_equal(pool_free(), free0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* ---- resident bytes by backing ---------------------------------------------------------------- */

struct resident {
	unsigned long hugetlb, thp, base;
};

static struct resident json_resident(bz_system *sys)
{
	char *text = report_text(sys, bz_write_json), *p = strstr(text, "\"resident_bytes\":");
	struct resident r = { 0, 0, 0 };

	assert_non_null(p);
	assert_int_equal(sscanf(p, "\"resident_bytes\":{\"hugetlb\":%lu,\"thp\":%lu,\"base\":%lu}", &r.hugetlb,
				&r.thp, &r.base), 3);
	free(text);
	return r;
}

/* Touched hugetlb memory is hugetlb, the rest THP or base, to the byte; both methods. */
static void test_resident_bytes_by_backing(void **state)
{
	struct resident r;
	bz_system *sys;
	bz_page *pg[4];
	size_t n;

	(void)state;
	sys = make_system("0:Normal=16384", 2, NULL);          /* hugetlb never */
	n = grab(sys, pg, 3, HPAGE_ORDER);
	assert_int_equal(n, 3);
	for (int method = 0; method < 2; method++) {
		if (method)
			bz__os_fail_next(BZ_OS_PAGEMAP_SCAN);  /* the mincore + smaps fallback */
		r = json_resident(sys);
		assert_int_equal(r.hugetlb, 0);
		assert_int_equal(r.thp + r.base, 3 * HPAGE);
	}
	release(pg, n, HPAGE_ORDER);
	bz_system_destroy(sys);

	if (!pool_ready)
		skip();
	sys = huge_system(16384, 0, NULL);
	n = grab(sys, pg, 3, HPAGE_ORDER);
	assert_int_equal(n, 3);
	for (int method = 0; method < 2; method++) {
		if (method)
			bz__os_fail_next(BZ_OS_PAGEMAP_SCAN);
		r = json_resident(sys);
		assert_int_equal(r.hugetlb, 3 * HPAGE);
		assert_int_equal(r.thp + r.base, 0);
	}
	release(pg, n, HPAGE_ORDER);
	assert_true(bz_trim(sys) > 0);
	r = json_resident(sys);
	assert_int_equal(r.hugetlb, 0);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_trim_gives_huge_pages_back, reset_each),
		cmocka_unit_test_setup(test_discardable_whole_huge_pages_only, reset_each),
		cmocka_unit_test_setup(test_reporting_gives_huge_pages_back, reset_each),
		cmocka_unit_test_setup(test_trim_kernel_refuses, reset_each),
		cmocka_unit_test_setup(test_trim_reservation_not_restored, reset_each),
		cmocka_unit_test_setup(test_system_on_short_pool, reset_each),
		cmocka_unit_test_setup(test_resident_bytes_by_backing, reset_each),
	};

	return cmocka_run_group_tests_name("hugetlb", tests, pool_setup, pool_teardown);
}
