/* SPDX-License-Identifier: MIT */
/*
 * test_badinput.c - misuse gets NULL or -EINVAL, a clear message through the
 * log callback, and changes nothing: afterwards bz_check passes and no page
 * is lost.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "common.h"

struct fixture {
	bz_system *sys;
	struct log_catch log;
	unsigned long free_before;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->sys = make_system("0:DMA=4096,0:DMA32=16384,0:Normal=16384", 2, &f->log);
	f->free_before = total_free(f->sys);
	bz_set_log_callback(log_catch_fn, &f->log);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bz_set_log_callback(NULL, NULL);
	bz_system_destroy(f->sys);
	free(f);
	return 0;
}

/* The call was refused with a message containing what, and nothing changed. */
static void assert_refused(struct fixture *f, const char *what)
{
	assert_true(f->log.count > 0);
	if (what && !strstr(f->log.all, what))
		fail_msg("log \"%s\" lacks \"%s\"", f->log.all, what);
	assert_int_equal(bz_check(f->sys), 0);
	log_catch_reset(&f->log);
}

static void test_alloc_order_above_max(void **state)
{
	struct fixture *f = *state;

	assert_null(bz_alloc_pages(f->sys, BZ_GFP_KERNEL, BZ_MAX_ORDER + 1));
	assert_refused(f, "order 11");
	assert_null(bz_alloc_pages(f->sys, BZ_GFP_KERNEL, ~0u));
	assert_refused(f, "order");
	assert_int_equal(total_free(f->sys), f->free_before);
}

static void test_alloc_invalid_zone_modifiers(void **state)
{
	struct fixture *f = *state;
	const bz_gfp_t bad[] = { BZ_GFP_DMA | BZ_GFP_DMA32, BZ_GFP_DMA | BZ_GFP_HIGHMEM,
				 BZ_GFP_DMA32 | BZ_GFP_HIGHMEM, BZ_GFP_DMA | BZ_GFP_DMA32 | BZ_GFP_MOVABLE };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(bz_alloc_pages(f->sys, BZ_GFP_KERNEL | bad[i], 0));
		assert_refused(f, "zone modifiers");
	}
	assert_int_equal(total_free(f->sys), f->free_before);
}

static void test_alloc_unknown_gfp_bits(void **state)
{
	struct fixture *f = *state;

	assert_null(bz_alloc_pages(f->sys, BZ_GFP_KERNEL | 0x200u, 0));
	assert_refused(f, "unknown bits");
	assert_null(bz_alloc_pages(f->sys, BZ_GFP_KERNEL | 0x80000000u, 0));
	assert_refused(f, "invalid gfp");
}

static void test_alloc_node_that_does_not_exist(void **state)
{
	struct fixture *f = *state;

	assert_null(bz_alloc_pages_node(f->sys, 7, BZ_GFP_KERNEL, 0));
	assert_refused(f, "node 7");
}

static void test_free_null_page(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bz_free_pages(NULL, 0), -EINVAL);
	assert_refused(f, "NULL");
	assert_int_equal(bz_free_pages_addr(NULL, 0), -EINVAL);
	assert_refused(f, "NULL");
}

static void test_free_foreign_pointer(void **state)
{
	struct fixture *f = *state;
	void *heap = malloc(8192);
	int local;

	assert_int_equal(bz_free_pages((bz_page *)heap, 0), -EINVAL);
	assert_refused(f, "not a page");
	assert_int_equal(bz_free_pages_addr(heap, 0), -EINVAL);
	assert_refused(f, "not an address");
	assert_int_equal(bz_free_pages_addr(&local, 0), -EINVAL);
	assert_refused(f, "not an address");
	assert_null(bz_virt_to_page(heap));
	assert_null(bz_page_address((bz_page *)heap));
	assert_int_equal(bz_page_to_pfn((bz_page *)heap), (unsigned long)-1);
	assert_int_equal(bz_page_to_nid((bz_page *)heap), -EINVAL);
	free(heap);
	assert_int_equal(total_free(f->sys), f->free_before);
}

static void test_free_misaligned_address(void **state)
{
	struct fixture *f = *state;
	char *p = bz_get_free_pages(f->sys, BZ_GFP_KERNEL, 1);

	assert_non_null(p);
	assert_int_equal(bz_free_pages_addr(p + 100, 1), -EINVAL);
	assert_refused(f, "misaligned");
	/* Misaligned page pointer: inside a struct bz_page. */
	assert_int_equal(bz_free_pages((bz_page *)((char *)bz_virt_to_page(p) + 3), 1), -EINVAL);
	assert_refused(f, NULL);
	assert_int_equal(bz_free_pages_addr(p, 1), 0);
	assert_int_equal(total_free(f->sys), f->free_before);
}

static void test_free_twice(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 2);

	assert_non_null(p);
	assert_int_equal(bz_free_pages(p, 2), 0);
	assert_int_equal(bz_free_pages(p, 2), -EINVAL);
	assert_refused(f, "double free");
	assert_int_equal(total_free(f->sys), f->free_before);
}

static void test_free_wrong_order(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 3);

	assert_non_null(p);
	assert_int_equal(bz_free_pages(p, 2), -EINVAL);
	assert_refused(f, "wrong order: allocated as order 3, freed as order 2");
	assert_int_equal(bz_free_pages(p, 4), -EINVAL);
	assert_refused(f, "wrong order");
	assert_int_equal(bz_free_pages(p, BZ_MAX_ORDER + 1), -EINVAL);
	assert_refused(f, "order");
	assert_int_equal(bz_free_pages(p, 3), 0);
	assert_int_equal(total_free(f->sys), f->free_before);
}

static void test_free_tail_page(void **state)
{
	struct fixture *f = *state;
	char *addr = bz_get_free_pages(f->sys, BZ_GFP_KERNEL, 3);

	assert_non_null(addr);
	assert_int_equal(bz_free_pages_addr(addr + 5 * BZ_PAGE_SIZE, 0), -EINVAL);
	assert_refused(f, "tail page 5 of the allocated order-3 block");
	assert_int_equal(bz_free_pages(bz_virt_to_page(addr + BZ_PAGE_SIZE), 3), -EINVAL);
	assert_refused(f, "tail");
	assert_int_equal(bz_free_pages_addr(addr, 3), 0);
	assert_int_equal(total_free(f->sys), f->free_before);
}

static void test_free_page_never_allocated(void **state)
{
	struct fixture *f = *state;
	struct bz_zone_stats st = zone_stats(f->sys, 0, BZ_ZONE_NORMAL);
	bz_page *p = bz_pfn_to_page(f->sys, st.start_pfn + 4096);

	assert_non_null(p);
	assert_int_equal(bz_free_pages(p, 0), -EINVAL);
	assert_refused(f, NULL);
	assert_int_equal(total_free(f->sys), f->free_before);
}

static void test_free_page_of_destroyed_system(void **state)
{
	struct fixture *f = *state;
	bz_system *other = make_system("0:Normal=2048", 1, NULL);
	bz_page *p = bz_alloc_pages(other, BZ_GFP_KERNEL, 0);
	void *addr = bz_page_address(p);

	assert_non_null(p);
	bz_system_destroy(other);
	assert_int_equal(bz_free_pages(p, 0), -EINVAL);
	assert_refused(f, "not a page of any live system");
	assert_int_equal(bz_free_pages_addr(addr, 0), -EINVAL);
	assert_refused(f, "not an address");
}

static void test_pfn_outside_zones(void **state)
{
	struct fixture *f = *state;

	assert_null(bz_pfn_to_page(f->sys, ~0ul));
	/* The hole between DMA32 (ends below 4 GiB) and Normal (starts at 4 GiB). */
	assert_null(bz_pfn_to_page(f->sys, 4096 + 16384 + 10));
}

/* Frees from another thread: its own cache. */
static void *free_in_thread(void *page)
{
	return (void *)(long)bz_free_pages(page, 0);
}

/* A page in one thread's cache freed by another, and a page freed once by each of two threads. */
static void test_free_twice_across_thread_caches(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0);
	pthread_t t;
	void *ret;

	assert_non_null(p);
	assert_int_equal(bz_free_pages(p, 0), 0);            /* into this thread's cache */
	assert_int_equal(pthread_create(&t, NULL, free_in_thread, p), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((long)ret, -EINVAL);
	assert_refused(f, "double free: the page is already in a per-thread cache");
	p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0);
	assert_non_null(p);
	assert_int_equal(pthread_create(&t, NULL, free_in_thread, p), 0); /* legal: into that thread's cache */
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((long)ret, 0);
	assert_int_equal(bz_free_pages(p, 0), -EINVAL);
	assert_refused(f, "double free");
	assert_int_equal(bz_drain_all_pages(f->sys), 0);
	assert_int_equal(total_free(f->sys), f->free_before);
}

/* The hole between DMA32 (ends at pfn 20480) and Normal (starts at 4 GiB): mem_map and addresses exist there. */
static void test_free_in_a_hole(void **state)
{
	struct fixture *f = *state;
	const unsigned long hole = 4096 + 16384 + 10;
	bz_page *first = bz_pfn_to_page(f->sys, 0);
	size_t stride = (size_t)((char *)bz_pfn_to_page(f->sys, 1) - (char *)first);
	char *base = bz_page_address(first);
	bz_page *used = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0);

	/* Once with the system as the thread's current one (its fast paths on). */
	assert_non_null(used);
	assert_int_equal(bz_free_pages(used, 0), 0);
	assert_int_equal(bz_free_pages_addr(base + hole * BZ_PAGE_SIZE, 0), -EINVAL);
	assert_refused(f, "address in a hole between zones");
	assert_int_equal(bz_free_pages_addr(base + hole * BZ_PAGE_SIZE, 2), -EINVAL);
	assert_refused(f, "address in a hole between zones");
	assert_int_equal(bz_free_pages((bz_page *)((char *)first + hole * stride), 0), -EINVAL);
	assert_refused(f, "Bad page state: pfn:0500a node:-1 zone:none flags:0 state:no page (a hole between zones)");
	assert_int_equal(bz_free_pages_addr(base + hole * BZ_PAGE_SIZE, 0), -EINVAL);
	assert_refused(f, "address in a hole between zones");
	/* Inside a struct page: refused with what it is. */
	assert_int_equal(bz_free_pages((bz_page *)((char *)first + 5 * stride + 8), 0), -EINVAL);
	assert_refused(f, "pfn:00005 node:0 zone:DMA");
	assert_int_equal(total_free(f->sys), f->free_before);
}

static void expect_config_error(struct bz_config *cfg, const char *what)
{
	struct log_catch lc;
	bz_system *sys = (bz_system *)0x1;

	log_catch_reset(&lc);
	cfg->log = log_catch_fn;
	cfg->log_arg = &lc;
	assert_int_equal(bz_system_create(cfg, &sys), -EINVAL);
	assert_null(sys);
	if (!strstr(lc.all, what))
		fail_msg("config error log \"%s\" lacks \"%s\"", lc.all, what);
}

static void test_config_bad_values(void **state)
{
	(void)state;
	const char *bad_zones[] = {
		"", "garbage", "0:Normal=0", "0:Normal=-5", "0:Highmem=10", "0:Device=10", "0:Normal=10,0:Normal=20",
		"99:Normal=10", "0:DMA=5000", "0:Normal=99999999999999999999", "0:Normal=12x",
	};
	struct bz_config cfg;

	for (size_t i = 0; i < sizeof(bad_zones) / sizeof(bad_zones[0]); i++) {
		bz_config_init(&cfg);
		cfg.zones = bad_zones[i];
		expect_config_error(&cfg, "zones");
	}
	bz_config_init(&cfg);
	cfg.zones = "0:Normal=4096";
	cfg.cpus_per_node = -3;
	expect_config_error(&cfg, "cpus_per_node");
	bz_config_init(&cfg);
	cfg.zones = "0:Normal=4096";
	cfg.size = 0;
	{
		/* An uninitialised config's callback cannot be trusted: the global one hears it. */
		struct log_catch lc;
		bz_system *sys;

		log_catch_reset(&lc);
		bz_set_log_callback(log_catch_fn, &lc);
		assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
		bz_set_log_callback(NULL, NULL);
		assert_non_null(strstr(lc.all, "bz_config_init"));
	}
	assert_int_equal(bz_system_create(NULL, NULL), -EINVAL);
}

/* A program built against an older, shorter struct bz_config keeps working. */
static void test_config_from_older_header(void **state)
{
	(void)state;
	struct older_config {
		size_t size;
		const char *zones, *topology;
		int cpus_per_node;
	};
	struct {
		struct older_config c;
		unsigned char after[512];
	} s;
	bz_system *sys = NULL;

	memset(s.after, 0xcd, sizeof(s.after));
	bz_config_init_size((struct bz_config *)&s.c, sizeof(s.c));
	assert_int_equal(s.c.size, sizeof(s.c));
	for (size_t i = 0; i < sizeof(s.after); i++)
		assert_int_equal(s.after[i], 0xcd); /* nothing written past the caller's struct */
	s.c.zones = "0:Normal=4096";
	assert_int_equal(bz_system_create((struct bz_config *)&s.c, &sys), 0);
	assert_int_equal(zone_stats(sys, 0, BZ_ZONE_NORMAL).managed, 4096);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc_order_above_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_invalid_zone_modifiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_unknown_gfp_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_node_that_does_not_exist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_null_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_foreign_pointer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_misaligned_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_wrong_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_tail_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_page_never_allocated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_page_of_destroyed_system, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pfn_outside_zones, setup, teardown),
		cmocka_unit_test(test_config_bad_values),
		cmocka_unit_test(test_config_from_older_header),
		cmocka_unit_test_setup_teardown(test_free_twice_across_thread_caches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_a_hole, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
