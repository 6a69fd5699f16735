/* SPDX-License-Identifier: MIT */
/*
 * test_page_ref.c - struct page as the kernel's: reference counts
 * (get_page, put_page, page_ref_*, get_page_unless_zero), __free_pages with
 * other references held, compound pages, split_page, the exact-size and
 * bulk allocations, page fragments, the holder's fields and flags; and
 * misuse of each refused with a message, changing nothing.
 */
#include <errno.h>
#include <stdlib.h>

#include "common.h"

#define ZONES "0:DMA=4096,0:DMA32=16384,0:Normal=16384"

struct fixture {
	bz_system *sys;
	struct log_catch log;
	unsigned long free_before;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->sys = make_system(ZONES, 2, &f->log);
	f->free_before = total_free(f->sys);
	bz_set_log_callback(log_catch_fn, &f->log);
	log_catch_reset(&f->log);       /* what creating the system said */
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

/* Pages allocated now, every zone. */
static unsigned long allocated(bz_system *sys)
{
	unsigned long sum = 0;

	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		sum += zone_stats(sys, 0, zid).allocated;
	return sum;
}

/* Nothing logged, nothing lost: the invariants hold and every page is back. */
static void assert_all_back(struct fixture *f)
{
	if (f->log.count)
		fail_msg("logged: %s", f->log.all);
	assert_int_equal(bz_check(f->sys), 0);
	assert_int_equal(total_free(f->sys), f->free_before);
}

/* The call was refused with a message containing what; the invariants hold. */
static void assert_refused(struct fixture *f, const char *what)
{
	assert_true(f->log.count > 0);
	if (!strstr(f->log.all, what))
		fail_msg("log \"%s\" lacks \"%s\"", f->log.all, what);
	assert_int_equal(bz_check(f->sys), 0);
	log_catch_reset(&f->log);
}

static bz_page *nth(bz_page *page, unsigned long n)
{
	return (bz_page *)((char *)page + n * BZ_PAGE_STRUCT_SIZE);
}

/* ---- counts ------------------------------------------------------------------------ */

static void test_refcount_allocation_holds_one(void **state)
{
	struct fixture *f = *state;

	for (unsigned order = 0; order <= BZ_MAX_ORDER; order++) {
		/* The second of each is a memo hit where the order is cached. */
		bz_page *a = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, order);
		bz_page *b = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, order);

		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(bz_page_ref_count(a), 1);
		assert_int_equal(bz_page_ref_count(b), 1);
		if (order)
			assert_int_equal(bz_page_ref_count(nth(a, 1)), 0);
		assert_int_equal(bz_free_pages(a, order), 0);
		assert_int_equal(bz_free_pages(b, order), 0);
		assert_int_equal(bz_page_ref_count(a), 0);
		assert_int_equal(bz_page_ref_count(b), 0);
	}
	assert_int_equal(bz_page_ref_count(NULL), -EINVAL);
	assert_all_back(f);
}

static void test_refcount_get_then_free_keeps_the_page(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0);
	unsigned long used = allocated(f->sys);

	/* The fast free must see the second reference and not free. */
	assert_int_equal(bz_get_page(p), 0);
	assert_int_equal(bz_page_ref_count(p), 2);
	assert_int_equal(bz_free_pages(p, 0), 0);
	assert_int_equal(bz_page_ref_count(p), 1);
	assert_int_equal(allocated(f->sys), used);
	assert_int_equal(bz_put_page(p), 1);
	assert_int_equal(allocated(f->sys), used - 1);
	assert_all_back(f);
}

static void test_refcount_put_before_free(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 3);

	assert_int_equal(bz_get_page(p), 0);
	assert_int_equal(bz_put_page(p), 0);
	assert_int_equal(bz_page_ref_count(p), 1);
	/* The last reference with bz_free_pages: the whole block goes. */
	assert_int_equal(bz_free_pages(p, 3), 0);
	assert_all_back(f);
}

/* lib/test_free_pages.c's fix: __free_pages frees all but the first page while a reference is held. */
static void test_refcount_free_pages_keeps_first_page_of_non_compound(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 3);
	unsigned long used = allocated(f->sys);

	assert_int_equal(bz_get_page(p), 0);
	assert_int_equal(bz_free_pages(p, 3), 0);
	assert_int_equal(allocated(f->sys), used - 7);
	assert_int_equal(bz_page_ref_count(p), 1);
	assert_int_equal(bz_check(f->sys), 0);
	/* The first page is an order-0 page now: put_page frees it. */
	assert_int_equal(bz_put_page(p), 1);
	assert_all_back(f);
}

static void test_refcount_ref_add_and_sub(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0);

	assert_int_equal(bz_page_ref_add(p, 5), 6);
	assert_int_equal(bz_page_count(p), 6);
	assert_int_equal(bz_page_ref_sub(p, 5), 0);
	assert_int_equal(bz_page_ref_count(p), 1);
	assert_int_equal(bz_page_ref_add(p, 2), 3);
	/* Reaching 0 frees the page (the kernel's caller would free the frozen page). */
	assert_int_equal(bz_page_ref_sub(p, 3), 1);
	assert_int_equal(bz_page_ref_count(p), 0);
	assert_all_back(f);
}

static void test_refcount_get_page_unless_zero(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0);
	bz_page *c = bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_COMP, 2);

	assert_int_equal(bz_get_page_unless_zero(p), 1);   /* from 1: every cache stopped */
	assert_int_equal(bz_get_page_unless_zero(p), 1);   /* from 2: a compare-and-swap */
	assert_int_equal(bz_page_ref_count(p), 3);
	assert_int_equal(bz_get_page_unless_zero(nth(c, 1)), 0); /* a tail's own count is 0 */
	assert_int_equal(bz_put_page(p), 0);
	assert_int_equal(bz_put_page(p), 0);
	assert_int_equal(bz_free_pages(p, 0), 0);
	/* A free page: no reference, and no complaint (that is what the call is for). */
	assert_int_equal(bz_get_page_unless_zero(p), 0);
	assert_int_equal(bz_free_pages(c, 2), 0);
	assert_int_equal(bz_get_page_unless_zero(NULL), -EINVAL);
	log_catch_reset(&f->log);
	assert_all_back(f);
}

/* ---- compound pages ------------------------------------------------------------------ */

static void test_compound_tails_lead_to_the_head(void **state)
{
	struct fixture *f = *state;
	bz_page *h = bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_COMP, 3);
	bz_page *plain = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 3);
	bz_page *zero = bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_COMP, 0);

	assert_int_equal(bz_page_is_head(h), 1);
	assert_int_equal(bz_page_is_tail(h), 0);
	assert_int_equal(bz_compound_order(h), 3);
	for (unsigned long i = 1; i < 8; i++) {
		assert_int_equal(bz_page_is_tail(nth(h, i)), 1);
		assert_ptr_equal(bz_compound_head(nth(h, i)), h);
		assert_int_equal(bz_page_ref_count(nth(h, i)), 0);
		assert_int_equal(bz_page_count(nth(h, i)), 1);
		assert_int_equal(bz_compound_order(nth(h, i)), 0);
	}
	/* Not compound: no head, no tails; order 0 with __GFP_COMP is a plain page. */
	assert_int_equal(bz_page_is_head(plain), 0);
	assert_int_equal(bz_page_is_tail(nth(plain, 1)), 0);
	assert_ptr_equal(bz_compound_head(nth(plain, 1)), nth(plain, 1));
	assert_int_equal(bz_page_is_head(zero), 0);
	assert_int_equal(bz_free_pages(h, 3), 0);
	assert_int_equal(bz_free_pages(plain, 3), 0);
	assert_int_equal(bz_free_pages(zero, 0), 0);
	assert_int_equal(bz_page_is_tail(nth(h, 1)), 0);  /* a freed page is nobody's tail */
	assert_all_back(f);
}

static void test_compound_waits_for_the_last_put(void **state)
{
	struct fixture *f = *state;
	bz_page *h = bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_COMP, 3);
	unsigned long used = allocated(f->sys);

	assert_int_equal(bz_get_page(nth(h, 5)), 0);    /* get_page of a tail: the head's count */
	assert_int_equal(bz_page_ref_count(h), 2);
	assert_int_equal(bz_free_pages(h, 3), 0);
	assert_int_equal(allocated(f->sys), used);      /* all eight wait */
	assert_int_equal(bz_check(f->sys), 0);
	assert_int_equal(bz_put_page(nth(h, 2)), 1);    /* the last put frees the whole compound page */
	assert_all_back(f);
}

/* The memo serves __GFP_COMP requests through its out-of-line hit: every block still compound. */
static void test_compound_repeated_allocations_all_compound(void **state)
{
	struct fixture *f = *state;
	bz_page *pages[32];

	for (int i = 0; i < 32; i++) {
		pages[i] = bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_COMP, 2);
		assert_int_equal(bz_page_is_head(pages[i]), 1);
		assert_int_equal(bz_page_is_tail(nth(pages[i], 3)), 1);
	}
	for (int i = 0; i < 32; i++)
		assert_int_equal(bz_free_pages(pages[i], 2), 0);
	for (int i = 0; i < 32; i++) {
		pages[i] = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 2);
		assert_int_equal(bz_page_is_head(pages[i]), 0);
	}
	for (int i = 0; i < 32; i++)
		assert_int_equal(bz_free_pages(pages[i], 2), 0);
	assert_all_back(f);
}

/* ---- misuse: refused, reported, nothing changes ------------------------------------------ */

static void test_misuse_put_on_free_page(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0);

	assert_int_equal(bz_free_pages(p, 0), 0);
	assert_int_equal(bz_put_page(p), -EINVAL);
	assert_refused(f, "put_page on a page with no reference (refcount 0)");
	assert_int_equal(bz_page_ref_sub(p, 1), -EINVAL);
	assert_refused(f, "refcount:0");
	assert_int_equal(bz_page_ref_count(p), 0);
	assert_all_back(f);
}

static void test_misuse_get_on_free_page(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 1);

	assert_int_equal(bz_free_pages(p, 1), 0);
	assert_int_equal(bz_get_page(p), -EINVAL);
	assert_refused(f, "get_page on a page with no reference (refcount 0)");
	assert_int_equal(bz_page_ref_add(p, 3), -EINVAL);
	assert_refused(f, "page_ref_add on a page with no reference");
	assert_int_equal(bz_page_ref_count(p), 0);
	assert_all_back(f);
}

static void test_misuse_free_with_references_by_the_wrong_order(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 2);
	bz_page *c = bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_COMP, 2);
	unsigned long used = allocated(f->sys);

	assert_int_equal(bz_get_page(p), 0);
	assert_int_equal(bz_get_page(c), 0);
	assert_int_equal(bz_free_pages(p, 3), -EINVAL);
	assert_refused(f, "wrong order: allocated as order 2, freed as order 3");
	assert_int_equal(bz_free_pages(c, 1), -EINVAL);
	assert_refused(f, "wrong order");
	assert_int_equal(bz_page_ref_count(p), 2);
	assert_int_equal(bz_page_ref_count(c), 2);
	assert_int_equal(allocated(f->sys), used);
	assert_int_equal(bz_free_pages(p, 2), 0);
	/* p's first page is an order-0 page now: order 2 is the wrong order for it. */
	assert_int_equal(bz_free_pages(p, 2), -EINVAL);
	assert_refused(f, "allocated as order 0, freed as order 2");
	assert_int_equal(bz_put_page(p), 1);
	assert_int_equal(bz_free_pages(c, 2), 0);
	assert_int_equal(bz_put_page(c), 1);
	assert_all_back(f);
}

static void test_misuse_tail_page_freed_on_its_own(void **state)
{
	struct fixture *f = *state;
	bz_page *c = bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_COMP, 2);
	unsigned long used = allocated(f->sys);

	assert_int_equal(bz_free_pages(nth(c, 1), 0), -EINVAL);
	assert_refused(f, "tail page 1 of the compound order-2 page");
	assert_int_equal(bz_free_pages(nth(c, 2), 1), -EINVAL);
	assert_refused(f, "tail page 2 of the compound order-2 page");
	assert_int_equal(bz_split_page(nth(c, 1), 0), -EINVAL);
	assert_refused(f, "split_page of a compound page's tail");
	assert_int_equal(allocated(f->sys), used);
	assert_int_equal(bz_page_ref_count(c), 1);
	assert_int_equal(bz_free_pages(c, 2), 0);
	assert_all_back(f);
}

static void test_misuse_last_put_of_non_compound_block(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 2);

	/* The kernel would free the first page and leak three. */
	assert_int_equal(bz_put_page(p), -EINVAL);
	assert_refused(f, "drops the last reference of a non-compound order-2 block");
	assert_int_equal(bz_page_ref_count(p), 1);
	assert_int_equal(bz_page_ref_sub(p, 2), -EINVAL);
	assert_refused(f, "drops 2 references from a page that holds 1");
	assert_int_equal(bz_page_ref_sub(p, 0), -EINVAL);
	assert_refused(f, "must be above 0");
	assert_int_equal(bz_free_pages(p, 2), 0);
	assert_all_back(f);
}

static void test_misuse_not_our_page(void **state)
{
	struct fixture *f = *state;
	char buf[256];

	assert_int_equal(bz_get_page((bz_page *)(void *)buf), -EINVAL);
	assert_refused(f, "not a page of any live system");
	assert_int_equal(bz_put_page(NULL), -EINVAL);
	assert_refused(f, "NULL page");
	assert_null(bz_compound_head((bz_page *)(void *)buf));
	assert_int_equal(bz_page_flag_set((bz_page *)(void *)buf, BZ_PAGE_PRIVATE), -EINVAL);
	assert_refused(f, "not a page of any live system");
	assert_all_back(f);
}

/* ---- split, exact, bulk -------------------------------------------------------------------- */

static void test_split_page_makes_order0_pages(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 3);

	assert_int_equal(bz_get_page(p), 0);
	assert_int_equal(bz_split_page(p, 3), 0);
	assert_int_equal(bz_page_ref_count(p), 2);      /* the first keeps the block's references */
	for (unsigned long i = 1; i < 8; i++)
		assert_int_equal(bz_page_ref_count(nth(p, i)), 1);
	assert_int_equal(bz_check(f->sys), 0);
	/* Each page is freed on its own, in any order; the fast free takes most. */
	for (unsigned long i = 8; i-- > 1;)
		assert_int_equal(bz_free_pages(nth(p, i), 0), 0);
	assert_int_equal(bz_put_page(p), 0);
	assert_int_equal(bz_free_pages(p, 0), 0);
	assert_all_back(f);
}

static void test_split_page_misuse(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 2);
	bz_page *c = bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_COMP, 2);

	assert_int_equal(bz_split_page(c, 2), -EINVAL);
	assert_refused(f, "split_page of a compound page");
	assert_int_equal(bz_split_page(p, 3), -EINVAL);
	assert_refused(f, "allocated as order 2, split as order 3");
	assert_int_equal(bz_split_page(nth(p, 1), 0), -EINVAL);
	assert_refused(f, "not an allocated block with a reference");
	assert_int_equal(bz_free_pages(p, 2), 0);
	assert_int_equal(bz_split_page(p, 2), -EINVAL);
	assert_refused(f, "not an allocated block with a reference");
	assert_int_equal(bz_free_pages(c, 2), 0);
	assert_all_back(f);
}

static void test_exact_keeps_only_what_the_size_needs(void **state)
{
	struct fixture *f = *state;
	const size_t sizes[] = { 1, BZ_PAGE_SIZE, 3 * BZ_PAGE_SIZE + 1, 5 * BZ_PAGE_SIZE, 33 * BZ_PAGE_SIZE - 1 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long nr = (sizes[i] + BZ_PAGE_SIZE - 1) / BZ_PAGE_SIZE, used = allocated(f->sys);
		char *buf = bz_alloc_pages_exact(f->sys, sizes[i], BZ_GFP_KERNEL);

		assert_non_null(buf);
		assert_int_equal(allocated(f->sys), used + nr);
		assert_int_equal(bz_check(f->sys), 0);
		for (unsigned long p = 0; p < nr; p++)
			assert_int_equal(bz_page_ref_count(bz_virt_to_page(buf + p * BZ_PAGE_SIZE)), 1);
		/* The page after the buffer is not the caller's. */
		if (nr & (nr - 1))
			assert_int_equal(bz_page_ref_count(bz_virt_to_page(buf + nr * BZ_PAGE_SIZE)), 0);
		memset(buf, 0x3c, sizes[i]);
		assert_int_equal(bz_free_pages_exact(buf, sizes[i]), 0);
	}
	assert_int_equal(bz_get_order(1), 0);
	assert_int_equal(bz_get_order(BZ_PAGE_SIZE), 0);
	assert_int_equal(bz_get_order(BZ_PAGE_SIZE + 1), 1);
	assert_int_equal(bz_get_order(5 * BZ_PAGE_SIZE), 3);
	assert_int_equal(bz_get_order(0), 52);  /* the kernel's "undefined" */
	assert_all_back(f);
}

static void test_exact_misuse(void **state)
{
	struct fixture *f = *state;
	char *buf = bz_alloc_pages_exact(f->sys, 3 * BZ_PAGE_SIZE, BZ_GFP_KERNEL);
	unsigned long used = allocated(f->sys);

	/* A size past the buffer: the fourth page is not the caller's, nothing is freed. */
	assert_int_equal(bz_free_pages_exact(buf, 4 * BZ_PAGE_SIZE), -EINVAL);
	assert_refused(f, "page 3 of 4 is not an allocated order-0 page; nothing freed");
	assert_int_equal(bz_free_pages_exact(buf + 1, BZ_PAGE_SIZE), -EINVAL);
	assert_refused(f, "misaligned");
	assert_int_equal(allocated(f->sys), used);
	assert_int_equal(bz_free_pages_exact(buf, 3 * BZ_PAGE_SIZE), 0);
	assert_int_equal(bz_free_pages_exact(buf, BZ_PAGE_SIZE), -EINVAL);
	assert_refused(f, "page 0 of 1 is not an allocated order-0 page");
	/* __GFP_COMP is dropped with a warning, as the kernel's WARN_ON_ONCE. */
	buf = bz_alloc_pages_exact(f->sys, 2 * BZ_PAGE_SIZE, BZ_GFP_KERNEL | BZ_GFP_COMP);
	assert_non_null(buf);
	assert_int_equal(f->log.last_level, BZ_LOG_WARNING);
	log_catch_reset(&f->log);
	assert_int_equal(bz_page_is_head(bz_virt_to_page(buf)), 0);
	assert_int_equal(bz_free_pages_exact(buf, 2 * BZ_PAGE_SIZE), 0);
	assert_all_back(f);
}

static void test_bulk_fills_null_entries(void **state)
{
	struct fixture *f = *state;
	bz_page *array[40] = { 0 };
	bz_page *keep = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0);

	array[3] = keep;
	array[17] = keep;
	assert_int_equal(bz_alloc_pages_bulk(f->sys, BZ_GFP_KERNEL, 40, array), 40);
	assert_ptr_equal(array[3], keep);
	assert_ptr_equal(array[17], keep);
	for (int i = 0; i < 40; i++) {
		assert_non_null(array[i]);
		assert_int_equal(bz_page_ref_count(array[i]), 1);
		for (int j = 0; j < i; j++)
			if (i != 17 || j != 3)
				assert_ptr_not_equal(array[i], array[j]);
	}
	for (int i = 0; i < 40; i++)
		if (i != 17)
			assert_int_equal(bz_free_pages(array[i], 0), 0);
	assert_int_equal(bz_alloc_pages_bulk(f->sys, BZ_GFP_KERNEL, 0, NULL), 0);
	assert_int_equal(bz_alloc_pages_bulk(f->sys, BZ_GFP_KERNEL, 3, NULL), 0);
	assert_refused(f, "NULL page array");
	assert_all_back(f);
}

/* When memory runs out the call stops and says how far it got. */
static void test_bulk_stops_at_the_first_failure(void **state)
{
	struct log_catch log = { 0 };
	bz_system *sys = make_system("0:Normal=2048", 1, &log);
	unsigned long n = 4096, got;
	bz_page **array = calloc(n, sizeof(*array));

	(void)state;
	got = bz_alloc_pages_bulk(sys, BZ_GFP_NOWAIT | BZ_GFP_NOWARN, n, array);
	assert_true(got > 0 && got < 2048);
	for (unsigned long i = 0; i < n; i++)
		assert_true((array[i] != NULL) == (i < got));
	for (unsigned long i = 0; i < got; i++)
		assert_int_equal(bz_free_pages(array[i], 0), 0);
	assert_int_equal(bz_check(sys), 0);
	free(array);
	bz_system_destroy(sys);
}

/* ---- fragments ---------------------------------------------------------------------------- */

static void test_frag_pieces_of_one_compound_page(void **state)
{
	struct fixture *f = *state;
	struct bz_page_frag_cache nc = { 0 };
	char *a = bz_page_frag_alloc(f->sys, &nc, 100, BZ_GFP_ATOMIC, 1);
	char *b = bz_page_frag_alloc(f->sys, &nc, 5000, BZ_GFP_ATOMIC, 64);
	bz_page *head = bz_compound_head(bz_virt_to_page(a));

	assert_non_null(a);
	assert_non_null(b);
	/* Carved downward from the end of a 32 KiB compound page. */
	assert_ptr_equal(nth(head, 7), bz_virt_to_page(a));
	assert_int_equal(bz_compound_order(head), 3);
	assert_ptr_equal(bz_compound_head(bz_virt_to_page(b)), head);
	assert_true(b + 5000 <= a);
	assert_int_equal((uintptr_t)b % 64, 0);
	assert_int_equal(bz_page_frag_free(a), 0);
	assert_int_equal(bz_page_frag_free(b), 0);
	assert_true(bz_page_ref_count(head) > 1);       /* the cache's bias holds it */
	bz_page_frag_cache_drain(&nc);
	assert_null(nc.va);
	assert_int_equal(bz_page_ref_count(head), 0);
	assert_all_back(f);
}

/* Every fragment back while the cache still carves the page: the page is reused, not freed. */
static void test_frag_page_reused_when_all_fragments_came_back(void **state)
{
	struct fixture *f = *state;
	struct bz_page_frag_cache nc = { 0 };
	char *first = bz_page_frag_alloc(f->sys, &nc, 16384, BZ_GFP_ATOMIC, 1);
	char *second = bz_page_frag_alloc(f->sys, &nc, 16384, BZ_GFP_ATOMIC, 1);
	char *third;

	assert_int_equal(bz_page_frag_free(first), 0);
	assert_int_equal(bz_page_frag_free(second), 0);
	third = bz_page_frag_alloc(f->sys, &nc, 16384, BZ_GFP_ATOMIC, 1);
	assert_ptr_equal(third, first);
	/* A fragment larger than the page never fits: NULL, and the page stays. */
	assert_null(bz_page_frag_alloc(f->sys, &nc, 40000, BZ_GFP_ATOMIC, 1));
	assert_null(bz_page_frag_alloc(f->sys, &nc, 100, BZ_GFP_ATOMIC, 3));
	assert_refused(f, "align must be a power of two");
	assert_int_equal(bz_page_frag_free(third), 0);
	bz_page_frag_cache_drain(&nc);
	assert_int_equal(bz_page_frag_free(third), -EINVAL);
	assert_refused(f, "page_frag_free on a page with no reference");
	assert_all_back(f);
}

/* ---- the holder's fields ------------------------------------------------------------------------ */

static void test_fields_reset_by_free_and_allocation(void **state)
{
	struct fixture *f = *state;
	bz_page *p = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0), *q;

	assert_int_equal(bz_page_private(p), 0);
	assert_int_equal(bz_set_page_private(p, 0xfeed), 0);
	assert_int_equal(bz_page_flag_set(p, BZ_PAGE_PRIVATE), 0);
	assert_int_equal(bz_page_flag_set(p, BZ_PAGE_RESERVED), 0);
	assert_int_equal(bz_page_flag_test(p, BZ_PAGE_PRIVATE), 1);
	assert_int_equal(bz_page_flag_test(p, BZ_PAGE_RESERVED), 1);
	assert_int_equal(bz_page_flag_clear(p, BZ_PAGE_RESERVED), 0);
	assert_int_equal(bz_page_flag_test(p, BZ_PAGE_RESERVED), 0);
	assert_int_equal(bz_page_flag_test(p, (enum bz_page_flag)7), -EINVAL);
	assert_refused(f, "no such page flag");
	/* The fast free clears the flags; the memo's allocation clears private (post_alloc_hook). */
	assert_int_equal(bz_free_pages(p, 0), 0);
	assert_int_equal(bz_page_flag_test(p, BZ_PAGE_PRIVATE), 0);
	/* A free page is nobody's to mark. */
	assert_int_equal(bz_page_flag_set(p, BZ_PAGE_RESERVED), -EINVAL);
	assert_refused(f, "SetPage on a page of no allocated block");
	assert_int_equal(bz_page_flag_test(p, BZ_PAGE_RESERVED), 0);
	q = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 0);
	assert_ptr_equal(q, p);                         /* LIFO: the same page */
	assert_int_equal(bz_page_private(q), 0);
	/* The same through the general path and a block of order 2 (every page's flags). */
	assert_int_equal(bz_free_pages(q, 0), 0);
	q = bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_DMA32, 2);
	assert_int_equal(bz_page_flag_set(nth(q, 3), BZ_PAGE_RESERVED), 0);
	assert_int_equal(bz_set_page_private(q, 7), 0);
	assert_int_equal(bz_free_pages(q, 2), 0);
	assert_int_equal(bz_page_flag_test(nth(q, 3), BZ_PAGE_RESERVED), 0);
	assert_ptr_equal(bz_alloc_pages(f->sys, BZ_GFP_KERNEL | BZ_GFP_DMA32, 2), q);
	assert_int_equal(bz_page_private(q), 0);
	assert_int_equal(bz_free_pages(q, 2), 0);
	/* Deep in a pageblock-order block, and in the pieces __free_pages frees around a reference. */
	q = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 9);
	assert_int_equal(bz_page_flag_set(nth(q, 300), BZ_PAGE_PRIVATE), 0);
	assert_int_equal(bz_free_pages(q, 9), 0);
	assert_int_equal(bz_page_flag_test(nth(q, 300), BZ_PAGE_PRIVATE), 0);
	q = bz_alloc_pages(f->sys, BZ_GFP_KERNEL, 3);
	assert_int_equal(bz_page_flag_set(nth(q, 5), BZ_PAGE_RESERVED), 0);
	assert_int_equal(bz_get_page(q), 0);
	assert_int_equal(bz_free_pages(q, 3), 0);
	assert_int_equal(bz_page_flag_test(nth(q, 5), BZ_PAGE_RESERVED), 0);
	assert_int_equal(bz_put_page(q), 1);
	assert_all_back(f);
}

/* Debug mode's check_pages: a page freed with its flags or mapping still set is refused. */
static void test_debug_free_checks_the_holders_fields(void **state)
{
	struct log_catch log = { 0 };
	struct bz_config cfg;
	bz_system *sys = NULL;
	bz_page *p;

	(void)state;
	bz_config_init(&cfg);
	cfg.zones = "0:Normal=4096";
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.debug = BZ_DEBUG_POISON;
	cfg.log = log_catch_fn;
	cfg.log_arg = &log;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	p = bz_alloc_pages(sys, BZ_GFP_KERNEL, 1);
	assert_int_equal(bz_page_flag_set((bz_page *)((char *)p + BZ_PAGE_STRUCT_SIZE), BZ_PAGE_RESERVED), 0);
	assert_int_equal(bz_free_pages(p, 1), -EINVAL);
	assert_non_null(strstr(log.all, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set"));
	assert_non_null(strstr(log.all, "refcount:1"));
	assert_int_equal(bz_page_ref_count(p), 1);
	assert_int_equal(bz_page_flag_clear((bz_page *)((char *)p + BZ_PAGE_STRUCT_SIZE), BZ_PAGE_RESERVED), 0);
	*(void **)((char *)p + BZ_PAGE_MAPPING_OFFSET) = &log;
	assert_int_equal(bz_free_pages(p, 1), -EINVAL);
	assert_non_null(strstr(log.all, "non-NULL mapping"));
	*(void **)((char *)p + BZ_PAGE_MAPPING_OFFSET) = NULL;
	assert_int_equal(bz_free_pages(p, 1), 0);
	/* A put on the freed page: refused, its line naming the count. */
	log_catch_reset(&log);
	assert_int_equal(bz_put_page(p), -EINVAL);
	assert_non_null(strstr(log.all, "refcount:0"));
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refcount_allocation_holds_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refcount_get_then_free_keeps_the_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refcount_put_before_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refcount_free_pages_keeps_first_page_of_non_compound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refcount_ref_add_and_sub, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refcount_get_page_unless_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compound_tails_lead_to_the_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compound_waits_for_the_last_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compound_repeated_allocations_all_compound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse_put_on_free_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse_get_on_free_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse_free_with_references_by_the_wrong_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse_tail_page_freed_on_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse_last_put_of_non_compound_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse_not_our_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_page_makes_order0_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_page_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_keeps_only_what_the_size_needs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bulk_fills_null_entries, setup, teardown),
		cmocka_unit_test(test_bulk_stops_at_the_first_failure),
		cmocka_unit_test_setup_teardown(test_frag_pieces_of_one_compound_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frag_page_reused_when_all_fragments_came_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields_reset_by_free_and_allocation, setup, teardown),
		cmocka_unit_test(test_debug_free_checks_the_holders_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
