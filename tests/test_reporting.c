/* SPDX-License-Identifier: MIT */
/*
 * test_reporting.c - giving free memory back to the OS: bz_trim and the
 * background free page reporting bring RSS back to where it started after
 * a 1 GiB burst (measured in /proc/self/smaps_rollup); reported memory
 * reads as zero and lets __GFP_ZERO skip its memset, and that knowledge is
 * kept through splits and dropped by merges with used memory; hugetlb
 * memory the kernel will not take back, debug mode and small zones are
 * left alone (hugetlb given back: test_hugetlb.c); an madvise failure
 * keeps the blocks; the tunables.  White box: page flags, fault injection.
 * Under ThreadSanitizer RSS includes its shadow of every byte touched, so
 * the RSS comparisons are skipped there.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "wait.h"
#include "os.h"

#define GIB_PAGES 262144ul
#define SLACK_KB  (6 * 1024)    /* "within a few MiB": allocator metadata, test bookkeeping */

#if defined(__SANITIZE_THREAD__)
#define RSS_MEASURABLE 0
#else
#define RSS_MEASURABLE 1
#endif

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "re");
	char line[256];
	long kb = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Rss: %ld kB", &kb) == 1)
			break;
	fclose(f);
	assert_true(kb >= 0);
	return kb;
}

static bz_system *gib_system(int delay_ms)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = "0:Normal=262144";
	cfg.cpus_per_node = 2;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.page_reporting_delay_ms = delay_ms;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	return sys;
}

/* Blocks of order until the zone says no; each written when touch is set. */
static size_t grab(bz_system *sys, bz_page **out, size_t max, unsigned order, bz_gfp_t gfp, int touch)
{
	size_t n = 0;

	while (n < max) {
		bz_page *pg = bz_alloc_pages(sys, gfp | BZ_GFP_NOWARN, order);
		char *p;

		if (!pg)
			break;
		p = bz_page_address(pg);
		if (touch >= 0)
			for (size_t off = 0; off < (BZ_PAGE_SIZE << order); off += BZ_PAGE_SIZE)
				p[off] = (char)touch;
		out[n++] = pg;
	}
	return n;
}

static void release(bz_page **pg, size_t n, unsigned order)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bz_free_pages(pg[i], order), 0);
}

static unsigned long event(bz_system *sys, enum bz_vm_event ev)
{
	return atomic_load(&sys->events[ev]);
}

/*
 * The struct pages of everything once (deferred init touches them), so
 * that the RSS baseline already holds the allocator's own metadata.
 */
static long baseline(bz_system *sys, bz_page **pg)
{
	size_t n = grab(sys, pg, GIB_PAGES, BZ_MAX_ORDER, BZ_GFP_KERNEL, -1);

	release(pg, n, BZ_MAX_ORDER);
	/* Handed out once, so not known zero any more: given back (it was never touched). */
	assert_int_equal(bz_trim(sys), (long)(n * MAX_ORDER_NR_PAGES));
	return rss_kb();
}

static void test_trim_gives_rss_back(void **state)
{
	bz_system *sys = gib_system(0);
	bz_page **pg = calloc(GIB_PAGES, sizeof(*pg));
	long rss0, rss1, rss2, got;
	unsigned long reported;
	size_t n;

	(void)state;
	rss0 = baseline(sys, pg);
	/* Pageblock-order blocks: the thread cache keeps some, bz_trim drains them. */
	n = grab(sys, pg, GIB_PAGES, BZ_PAGEBLOCK_ORDER, BZ_GFP_KERNEL, 0x5a);
	assert_true(n * PAGEBLOCK_NR_PAGES > GIB_PAGES * 95 / 100);
	rss1 = rss_kb();
	release(pg, n, BZ_PAGEBLOCK_ORDER);
	reported = event(sys, PGREPORTED);
	got = bz_trim(sys);
	assert_true(got >= (long)(n * PAGEBLOCK_NR_PAGES));
	assert_int_equal(event(sys, PGREPORTED) - reported, (unsigned long)got);
	rss2 = rss_kb();
	print_message("rss before %ld kB, with 1 GiB %ld kB, after bz_trim %ld kB\n", rss0, rss1, rss2);
	if (RSS_MEASURABLE) {
		assert_true(rss1 - rss0 > 900 * 1024);
		assert_true(rss2 <= rss0 + SLACK_KB);
	}
	assert_int_equal(bz_trim(sys), 0);      /* all given back already */
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
	free(pg);
}

struct reported_wait {
	bz_system *sys;
	unsigned long target;           /* PGREPORTED to reach */
};

static bool reported(void *arg)
{
	struct reported_wait *w = arg;

	return event(w->sys, PGREPORTED) >= w->target;
}

static void test_background_reporting(void **state)
{
	bz_system *sys = gib_system(200);
	bz_page **pg = calloc(GIB_PAGES, sizeof(*pg));
	long rss0, rss = 0;
	unsigned long before;
	size_t n;
	char buf[16];

	(void)state;
	assert_int_equal(bz_sysctl_get(sys, "page_reporting_delay_ms", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "200");
	rss0 = baseline(sys, pg);
	/* Max-order blocks: no thread cache holds them, they go straight back to the lists. */
	n = grab(sys, pg, GIB_PAGES, BZ_MAX_ORDER, BZ_GFP_KERNEL, 0x5a);
	assert_true(n * MAX_ORDER_NR_PAGES > GIB_PAGES * 95 / 100);
	before = event(sys, PGREPORTED);
	release(pg, n, BZ_MAX_ORDER);
	/* The worker: 200 ms delay, then one pass. */
	assert_true(wait_for(reported, &(struct reported_wait){ sys, before + n * MAX_ORDER_NR_PAGES }));
	assert_true(event(sys, PGREPORTED) - before >= n * MAX_ORDER_NR_PAGES);
	rss = rss_kb();
	print_message("rss before %ld kB, after %ld kB\n", rss0, rss);
	if (RSS_MEASURABLE)
		assert_true(rss <= rss0 + SLACK_KB);
	assert_non_null(atomic_load(&sys->reporting));
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
	free(pg);
}

static uint8_t head_flags(bz_system *sys, unsigned long pfn)
{
	return PAGE_GET(pfn_to_page(sys, pfn), flags);
}

static bool all_bytes(const bz_page *pg, unsigned order, unsigned char v)
{
	const unsigned char *p = bz_page_address(pg);

	for (size_t i = 0; i < (BZ_PAGE_SIZE << order); i++)
		if (p[i] != v)
			return false;
	return true;
}

/*
 * Reported memory reads as zero; __GFP_ZERO knows and skips the memset.
 * A split keeps that knowledge for both halves; a merge with used memory
 * drops it, and the memset is back.
 */
static void test_reported_memory_is_zero(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);
	bz_page *pg[16], *small;
	unsigned long skipped, pfn;
	size_t n;

	(void)state;
	/* Fresh memory is zero too: the first __GFP_ZERO needs no memset. */
	small = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_ZERO, BZ_MAX_ORDER);
	assert_non_null(small);
	assert_int_equal(event(sys, PGALLOC_ZERO_SKIPPED), MAX_ORDER_NR_PAGES);
	assert_true(all_bytes(small, BZ_MAX_ORDER, 0));
	assert_int_equal(bz_free_pages(small, BZ_MAX_ORDER), 0);
	n = grab(sys, pg, 8, BZ_MAX_ORDER, BZ_GFP_KERNEL, 0x5a);
	for (size_t i = 0; i < n; i++)
		memset(bz_page_address(pg[i]), 0xa5, BZ_PAGE_SIZE << BZ_MAX_ORDER);
	release(pg, n, BZ_MAX_ORDER);
	assert_true(bz_trim(sys) >= (long)(n * MAX_ORDER_NR_PAGES));
	/* Without __GFP_ZERO: what was written is gone. */
	n = grab(sys, pg, 8, BZ_MAX_ORDER, BZ_GFP_KERNEL, -1);
	assert_true(n >= 1);
	for (size_t i = 0; i < n; i++)
		assert_true(all_bytes(pg[i], BZ_MAX_ORDER, 0));
	release(pg, n, BZ_MAX_ORDER);
	assert_true(bz_trim(sys) > 0);
	/* With it: no memset for reported blocks. */
	skipped = event(sys, PGALLOC_ZERO_SKIPPED);
	pg[0] = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_ZERO, BZ_MAX_ORDER);
	assert_non_null(pg[0]);
	assert_int_equal(event(sys, PGALLOC_ZERO_SKIPPED), skipped + MAX_ORDER_NR_PAGES);
	assert_true(all_bytes(pg[0], BZ_MAX_ORDER, 0));
	assert_int_equal(bz_free_pages(pg[0], BZ_MAX_ORDER), 0);
	assert_int_equal(bz_trim(sys), MAX_ORDER_NR_PAGES);     /* just that block was used */
	/* A split: an order-4 block from a reported order-10 one; its buddies stay reported. */
	small = bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_ZERO, 4);
	assert_non_null(small);
	assert_int_equal(event(sys, PGALLOC_ZERO_SKIPPED), skipped + MAX_ORDER_NR_PAGES + 16);
	pfn = bz_page_to_pfn(small);
	assert_int_equal(head_flags(sys, pfn ^ 16) & (PG_buddy | PG_reported | PG_zeroed),
			 PG_buddy | PG_reported | PG_zeroed);
	assert_int_equal(head_flags(sys, pfn) & (PG_zeroed | PG_reported), 0);   /* handed out */
	/* A merge with used memory: the whole block is unknown again. */
	memset(bz_page_address(small), 0xa5, BZ_PAGE_SIZE << 4);
	assert_int_equal(bz_free_pages(small, 4), 0);
	pfn &= ~(MAX_ORDER_NR_PAGES - 1);
	assert_int_equal(head_flags(sys, pfn) & (PG_buddy | PG_reported | PG_zeroed), PG_buddy);
	skipped = event(sys, PGALLOC_ZERO_SKIPPED);
	n = grab(sys, pg, 16, BZ_MAX_ORDER, BZ_GFP_KERNEL | BZ_GFP_ZERO, -1);
	for (size_t i = 0; i < n; i++)
		assert_true(all_bytes(pg[i], BZ_MAX_ORDER, 0));
	assert_true(event(sys, PGALLOC_ZERO_SKIPPED) < skipped + n * MAX_ORDER_NR_PAGES);
	release(pg, n, BZ_MAX_ORDER);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* madvise failing: the blocks go back unreported, and the error is returned. */
static void test_trim_discard_failure(void **state)
{
	struct log_catch lc;
	bz_system *sys;
	bz_page *pg[4];
	size_t n;

	(void)state;
	log_catch_reset(&lc);
	sys = make_system("0:Normal=16384", 2, &lc);
	n = grab(sys, pg, 4, BZ_MAX_ORDER, BZ_GFP_KERNEL, 1);
	release(pg, n, BZ_MAX_ORDER);
	bz__os_fail_next(BZ_OS_DISCARD);
	assert_int_equal(bz_trim(sys), -EINVAL);
	assert_non_null(strstr(lc.last, "madvise(MADV_DONTNEED) failed"));
	assert_int_equal(event(sys, PGREPORTED), 0);
	assert_int_equal(bz_check(sys), 0);
	assert_true(bz_trim(sys) >= (long)(n * MAX_ORDER_NR_PAGES));
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* Memory that is not ours to give back, or whose contents debug mode checks. */
static void test_trim_leaves_alone(void **state)
{
	struct bz_config cfg;
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);
	struct bz_arena *a = &sys->nodes[0]->arena;
	bz_page *pg[4];
	size_t n;

	(void)state;
	n = grab(sys, pg, 4, BZ_MAX_ORDER, BZ_GFP_KERNEL, 1);
	release(pg, n, BZ_MAX_ORDER);
	/* As if the pool backed it all and the kernel refused MADV_DONTNEED there (before 5.18). */
	a->huge_start = a->start;
	a->huge_bytes = a->bytes;
	a->page_size = 2u << 20;
	atomic_store(&a->huge_kept, true);
	assert_int_equal(bz_trim(sys), 0);
	a->huge_bytes = 0;
	bz_system_destroy(sys);

	bz_config_init(&cfg);
	cfg.zones = "0:Normal=16384";
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.debug = BZ_DEBUG_POISON;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	n = grab(sys, pg, 4, BZ_MAX_ORDER, BZ_GFP_KERNEL, 1);
	release(pg, n, BZ_MAX_ORDER);
	assert_int_equal(bz_trim(sys), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* No worker for zones reporting could never pass, nor with reporting off. */
static void test_no_worker_without_need(void **state)
{
	bz_system *sys = make_system("0:Normal=16384", 2, NULL);     /* 64 MiB: below low + 32 blocks */
	bz_page *pg[8];
	size_t n;

	(void)state;
	n = grab(sys, pg, 8, BZ_MAX_ORDER, BZ_GFP_KERNEL, 1);
	release(pg, n, BZ_MAX_ORDER);
	assert_null(atomic_load(&sys->reporting));
	bz_system_destroy(sys);

	sys = gib_system(0);
	n = grab(sys, pg, 8, BZ_MAX_ORDER, BZ_GFP_KERNEL, 1);
	release(pg, n, BZ_MAX_ORDER);
	assert_null(atomic_load(&sys->reporting));
	bz_system_destroy(sys);
}

static void test_reporting_tunables(void **state)
{
	struct log_catch lc;
	struct bz_config cfg;
	bz_system *sys;
	char buf[32];

	(void)state;
	log_catch_reset(&lc);
	sys = make_system("0:Normal=16384", 2, &lc);
	assert_int_equal(bz_sysctl_get(sys, "page_reporting_order", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "9");
	assert_int_equal(bz_sysctl_get(sys, "page_reporting_delay_ms", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2000");
	assert_int_equal(bz_sysctl_set(sys, "page_reporting_order", "10"), 0);
	assert_int_equal(bz_sysctl_set(sys, "page_reporting_order", "11"), -EINVAL);
	assert_non_null(strstr(lc.last, "an integer from 0 to 10"));
	assert_int_equal(bz_sysctl_set(sys, "page_reporting_delay_ms", "-1"), -EINVAL);
	assert_int_equal(bz_sysctl_set(sys, "page_reporting_delay_ms", "0"), 0);
	assert_int_equal(bz_sysctl_get(sys, "page_reporting_order", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "10");
	bz_system_destroy(sys);

	setenv("BUDDYZONE_PAGE_REPORTING_DELAY_MS", "1500", 1);
	sys = make_system("0:Normal=16384", 2, NULL);
	assert_int_equal(bz_sysctl_get(sys, "page_reporting_delay_ms", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1500");
	bz_system_destroy(sys);
	unsetenv("BUDDYZONE_PAGE_REPORTING_DELAY_MS");

	bz_config_init(&cfg);
	cfg.zones = "0:Normal=16384";
	cfg.page_reporting_order = 12;
	assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trim_gives_rss_back),
		cmocka_unit_test(test_background_reporting),
		cmocka_unit_test(test_reported_memory_is_zero),
		cmocka_unit_test(test_trim_discard_failure),
		cmocka_unit_test(test_trim_leaves_alone),
		cmocka_unit_test(test_no_worker_without_need),
		cmocka_unit_test(test_reporting_tunables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
