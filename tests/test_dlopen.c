/* SPDX-License-Identifier: MIT */
/*
 * test_dlopen.c - the shared library loads late, with dlopen, as from a
 * plugin or Python's ctypes: its static TLS must fit in what glibc keeps
 * for such libraries.  This program is not linked against libbuddyzone.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

typedef void *(*get_free_pages_fn)(void *sys, unsigned gfp, unsigned order);
typedef int (*free_pages_addr_fn)(void *addr, unsigned order);

static void test_dlopen_and_allocate(void **state)
{
	(void)state;
	void *h = dlopen(BZ_SHARED_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	get_free_pages_fn get;
	free_pages_addr_fn put;
	char *p;

	if (!h)
		fail_msg("dlopen: %s", dlerror());
	get = (get_free_pages_fn)(uintptr_t)dlsym(h, "bz_get_free_pages");
	put = (free_pages_addr_fn)(uintptr_t)dlsym(h, "bz_free_pages_addr");
	assert_non_null(get);
	assert_non_null(put);
	p = get(NULL, 0xcc0 /* GFP_KERNEL */, 1);
	assert_non_null(p);
	p[0] = 1;
	p[8191] = 2;
	assert_int_equal(put(p, 1), 0);
	assert_null(dlsym(h, "bz__resolve")); /* internals stay hidden */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dlopen_and_allocate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
