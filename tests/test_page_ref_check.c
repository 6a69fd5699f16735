/* SPDX-License-Identifier: MIT */
/*
 * test_page_ref_check.c - bz_check covers the reference counts and
 * compound pages: a free page with a count, an allocated block without
 * one, a compound tail that lost its head are each reported.  White-box:
 * it breaks struct bz_page on purpose and mends it again.  Also the
 * layout the fast paths rely on: state and count in one word, and the
 * fields <buddyzone/linux.h> shows at its offsets.
 */
#include <errno.h>
#include <stdlib.h>

#include "common.h"
#include "page_ref.h"

static struct log_catch lc;

static bz_system *check_system(void)
{
	bz_system *sys = make_system("0:Normal=8192", 1, &lc);

	log_catch_reset(&lc);
	return sys;
}

/* bz_check reports what, then passes again once the page is mended. */
static void assert_broken(bz_system *sys, const char *what)
{
	assert_int_equal(bz_check(sys), -EUCLEAN);
	if (!strstr(lc.all, what))
		fail_msg("log \"%s\" lacks \"%s\"", lc.all, what);
	log_catch_reset(&lc);
}

static void test_check_free_page_with_a_reference(void **state)
{
	bz_system *sys = check_system();
	struct bz_page *p = (struct bz_page *)bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);

	(void)state;
	assert_int_equal(bz_free_pages((bz_page *)p, 0), 0);       /* into the thread's cache */
	set_page_count(p, 1);
	assert_broken(sys, "has refcount 1");
	set_page_count(p, 0);
	assert_int_equal(bz_drain_all_pages(sys), 0);               /* onto a buddy list */
	set_page_count(p, 2);
	assert_broken(sys, "has refcount 2");
	set_page_count(p, 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

static void test_check_allocated_block_without_a_reference(void **state)
{
	bz_system *sys = check_system();
	struct bz_page *p = (struct bz_page *)bz_alloc_pages(sys, BZ_GFP_KERNEL, 2);

	(void)state;
	set_page_count(p, 0);
	assert_broken(sys, "allocated block at pfn");
	set_page_count(p, 1);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(bz_free_pages((bz_page *)p, 2), 0);
	bz_system_destroy(sys);
}

static void test_check_compound_tail_that_lost_its_head(void **state)
{
	bz_system *sys = check_system();
	struct bz_page *h = (struct bz_page *)bz_alloc_pages(sys, BZ_GFP_KERNEL | BZ_GFP_COMP, 2);

	(void)state;
	h[2].compound_off = 1;
	assert_broken(sys, "tail 2 of the compound order-2 page");
	h[2].compound_off = 2;
	set_page_count(&h[3], 1);
	assert_broken(sys, "refcount 1");
	set_page_count(&h[3], 0);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(bz_free_pages((bz_page *)h, 2), 0);
	/* Freed: no page of it is anyone's tail any more. */
	for (int i = 1; i < 4; i++)
		assert_false(page_is_tail(&h[i]));
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

/* The memo's one store and the fast free's one compare see what the slow paths write. */
static void test_layout_state_and_count_in_one_word(void **state)
{
	bz_system *sys = check_system();
	struct bz_page *first, *p;

	(void)state;
	assert_int_equal(offsetof(struct bz_page, lru), BZ_PAGE_LRU_OFFSET);
	assert_int_equal(offsetof(struct bz_page, private), BZ_PAGE_PRIVATE_OFFSET);
	first = (struct bz_page *)bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
	p = (struct bz_page *)bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);     /* a memo hit */
	assert_true(page_sole_order0(p));
	assert_int_equal(p->val >> 32, 1);
	assert_int_equal(p->flags, PG_init | PG_head);
	assert_int_equal(bz_get_page((bz_page *)p), 0);
	assert_false(page_sole_order0(p));               /* two references: no fast free */
	assert_int_equal(bz_put_page((bz_page *)p), 0);
	assert_int_equal(bz_free_pages((bz_page *)p, 0), 0);
	assert_int_equal(p->val >> 32, 0);
	assert_int_equal(p->flags, PG_init | PG_pcp);
	assert_int_equal(bz_free_pages((bz_page *)first, 0), 0);
	assert_int_equal(bz_check(sys), 0);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_free_page_with_a_reference),
		cmocka_unit_test(test_check_allocated_block_without_a_reference),
		cmocka_unit_test(test_check_compound_tail_that_lost_its_head),
		cmocka_unit_test(test_layout_state_and_count_in_one_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
