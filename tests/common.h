/* SPDX-License-Identifier: MIT */
/*
 * common.h - helpers shared by the tests: small systems, a log catcher,
 * snapshots of a zone's free lists.
 */
#ifndef BZ_TEST_COMMON_H
#define BZ_TEST_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <buddyzone/buddyzone.h>

/* The last messages the library logged (for checking error reports). */
struct log_catch {
	int count;
	int last_level;
	char last[4096];
	char all[16384];
};

static inline void log_catch_fn(void *arg, int level, const char *msg)
{
	struct log_catch *lc = arg;
	size_t n = strlen(lc->all);

	lc->count++;
	lc->last_level = level;
	snprintf(lc->last, sizeof(lc->last), "%s", msg);
	if (n + strlen(msg) + 2 < sizeof(lc->all)) {
		memcpy(lc->all + n, msg, strlen(msg));
		lc->all[n + strlen(msg)] = '\n';
		lc->all[n + strlen(msg) + 1] = '\0';
	}
}

static inline void log_catch_reset(struct log_catch *lc)
{
	memset(lc, 0, sizeof(*lc));
}

/* A system from a --zones spec with cpus_per_node CPUs, logging into lc (may be NULL). */
static inline bz_system *make_system(const char *zones, int cpus, struct log_catch *lc)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = zones;
	cfg.cpus_per_node = cpus;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	if (lc) {
		cfg.log = log_catch_fn;
		cfg.log_arg = lc;
	}
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	assert_non_null(sys);
	return sys;
}

/* A report into a malloc'd string (free it). */
static inline char *report_text(bz_system *sys, int (*writer)(bz_system *, FILE *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(writer(sys, f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* A counter of the JSON report ("name":value). */
static inline unsigned long json_counter(bz_system *sys, const char *name)
{
	char *buf = report_text(sys, bz_write_json), key[64], *p;
	unsigned long v;

	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(buf, key);
	assert_non_null(p);
	v = strtoul(p + strlen(key), NULL, 10);
	free(buf);
	return v;
}

static inline struct bz_zone_stats zone_stats(bz_system *sys, int nid, int zid)
{
	struct bz_zone_stats st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	assert_int_equal(bz_zone_stats(sys, nid, zid, &st), 0);
	return st;
}

/* Pages not allocated, every zone of every node: in the buddy lists or a thread cache. */
static inline unsigned long total_free(bz_system *sys)
{
	unsigned long sum = 0;

	for (int nid = 0; nid < bz_nr_nodes(sys); nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone_stats st = zone_stats(sys, nid, zid);

			sum += st.free + st.cached;
		}
	return sum;
}

#endif /* BZ_TEST_COMMON_H */
