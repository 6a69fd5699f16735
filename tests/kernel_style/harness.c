/* SPDX-License-Identifier: MIT */
/*
 * harness.c - the "kernel" around a kernel-style program (harness.h): a
 * small default system, the module's init and exit, then the checks:
 * after a drain the buddy lists hold every page they held before, bz_check
 * finds every invariant intact, and nothing was logged as an error.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#define HARNESS_ZONES "0:DMA=4096,0:DMA32=32768,0:Normal=32768"

extern int (*harness_module_init)(void);
extern void (*harness_module_exit)(void) __attribute__((weak));

static _Atomic int failures;
static _Atomic int errors_logged;

static void count_errors(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= BZ_LOG_ERR) {
		errors_logged++;
		fprintf(stderr, "harness: logged: %s\n", msg);
	}
}

bool harness_expect(bool cond, const char *what, const char *file, int line)
{
	if (!cond) {
		failures++;
		fprintf(stderr, "harness: %s:%d: expected %s\n", file, line, what);
	}
	return cond;
}

unsigned long harness_free_pages(void)
{
	unsigned long sum = 0;

	for (int nid = 0; nid < bz_nr_nodes(NULL); nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone_stats st = { .size = sizeof(st) };

			if (bz_zone_stats(NULL, nid, zid, &st) == 0)
				sum += st.free + st.cached;
		}
	return sum;
}

void harness_drain(void)
{
	bz_drain_all_pages(NULL);
}

void harness_compact_memory(void)
{
	harness_expect(bz_sysctl_set(NULL, "compact_memory", "1") == 0, "compact_memory accepts 1", __FILE__, __LINE__);
}

/* Pages on the buddy lists once every cache is drained. */
static unsigned long buddy_free_pages(void)
{
	unsigned long sum = 0;

	harness_drain();
	for (int nid = 0; nid < bz_nr_nodes(NULL); nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone_stats st = { .size = sizeof(st) };

			if (bz_zone_stats(NULL, nid, zid, &st) == 0)
				sum += st.free;
		}
	return sum;
}

int main(void)
{
	unsigned long before, after;
	int ret;

	if (setenv("BUDDYZONE_ZONES", HARNESS_ZONES, 0) || setenv("BUDDYZONE_HUGETLB", "never", 0))
		return 1;
	bz_set_log_callback(count_errors, NULL);
	if (!bz_default_system()) {
		fprintf(stderr, "harness: no default system\n");
		return 1;
	}
	before = buddy_free_pages();
	ret = harness_module_init();
	/* A weak reference: a module without module_exit() leaves it unresolved. */
	if (&harness_module_exit && harness_module_exit)
		harness_module_exit();
	after = buddy_free_pages();
	harness_expect(ret == 0, "the module's init returns 0", __FILE__, __LINE__);
	harness_expect(after == before, "every page back on the free lists after a drain", __FILE__, __LINE__);
	harness_expect(bz_check(NULL) == 0, "bz_check finds every invariant intact", __FILE__, __LINE__);
	harness_expect(errors_logged == 0, "nothing logged as an error", __FILE__, __LINE__);
	fprintf(stderr, "harness: %lu pages free before, %lu after; %d failure(s)\n", before, after,
		(int)failures);
	return failures ? 1 : 0;
}
