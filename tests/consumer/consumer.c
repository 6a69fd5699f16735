/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - the smallest real user of an installed libbuddyzone.  Built by
 * tests/test_install.sh through find_package(buddyzone) and through
 * pkg-config (shared and static).  Prints OK and exits 0 when the headers,
 * the library and its version agree and a few pages round-trip.
 *
 *   cc consumer.c $(pkg-config --cflags --libs buddyzone) -o consumer
 */
#include <buddyzone/buddyzone.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "consumer: %s: %s\n", what, bz_strerror(err));
	return 1;
}

int main(void)
{
	struct bz_config cfg;
	bz_system *sys;
	bz_page *page[4];
	int err;

	if (strcmp(bz_version(), BZ_VERSION_STRING) != 0) {
		fprintf(stderr, "consumer: header says %s, library says %s\n",
			BZ_VERSION_STRING, bz_version());
		return 1;
	}
	bz_config_init(&cfg);
	cfg.zones = "0:Normal=4096"; /* 16 MiB */
	err = bz_system_create(&cfg, &sys);
	if (err)
		return fail("bz_system_create", err);

	for (unsigned order = 0; order < 4; order++) {
		page[order] = bz_alloc_pages(sys, BZ_GFP_KERNEL, order);
		if (!page[order])
			return fail("bz_alloc_pages", -ENOMEM);
		memset(bz_page_address(page[order]), 0xa5, BZ_PAGE_SIZE << order);
	}
	for (unsigned order = 0; order < 4; order++) {
		err = bz_free_pages(page[order], order);
		if (err)
			return fail("bz_free_pages", err);
	}
	err = bz_check(sys);
	if (err)
		return fail("bz_check", err);
	bz_system_destroy(sys);
	printf("OK buddyzone %s\n", bz_version());
	return 0;
}
