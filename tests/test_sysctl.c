/* SPDX-License-Identifier: MIT */
/*
 * test_sysctl.c - the tunables through the public API: defaults as
 * /proc/sys/vm shows them, set/get round trips, the kernel's limits (a
 * refused value changes nothing), BUDDYZONE_<NAME> variables at creation,
 * and the recomputation each write triggers, seen through bz_zone_stats.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <buddyzone/buddyzone.h>

#include "wait.h"

#define TOPOLOGY "synthetic:node:1 core:2 pu:1"
/* This project's machine (Linux 6.18, 2 CPUs), tests/data/zoneinfo-thismachine-6.18.txt */
#define VM_ZONES "0:DMA=3840,0:DMA32=772918,0:Normal=327680"

static const char *const tunables[] = {
	"min_free_kbytes", "watermark_scale_factor", "watermark_boost_factor",
	"lowmem_reserve_ratio", "percpu_pagelist_high_fraction", "numa_zonelist_order",
	"zone_reclaim_mode",
};

/* ---- helpers ------------------------------------------------------------------ */

static char last_error[512];
static int nr_errors;

static void capture_log(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= BZ_LOG_ERR) {
		nr_errors++;
		snprintf(last_error, sizeof(last_error), "%s", msg);
	}
}

static int setup(void **state)
{
	(void)state;
	bz_set_log_callback(capture_log, NULL);
	nr_errors = 0;
	last_error[0] = '\0';
	return 0;
}

static bz_system *make_cfg(struct bz_config *cfg)
{
	bz_system *sys = NULL;

	cfg->zones = cfg->zones ? cfg->zones : VM_ZONES;
	cfg->topology = TOPOLOGY;
	cfg->cpus_per_node = 2;
	assert_int_equal(bz_system_create(cfg, &sys), 0);
	assert_non_null(sys);
	return sys;
}

static bz_system *make(void)
{
	struct bz_config cfg;

	bz_config_init(&cfg);
	return make_cfg(&cfg);
}

static const char *get(bz_system *sys, const char *name)
{
	static char buf[128];

	assert_int_equal(bz_sysctl_get(sys, name, buf, sizeof(buf)), 0);
	return buf;
}

static struct bz_zone_stats stats(bz_system *sys, int zid)
{
	struct bz_zone_stats st;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	assert_int_equal(bz_zone_stats(sys, 0, zid, &st), 0);
	return st;
}

/* Every tunable's text, to show that a refused write changed nothing. */
static void snapshot(bz_system *sys, char out[][128])
{
	for (size_t i = 0; i < sizeof(tunables) / sizeof(tunables[0]); i++)
		snprintf(out[i], 128, "%s", get(sys, tunables[i]));
}

/* ---- defaults and round trips ----------------------------------------------------- */

/* The kernel's defaults, in /proc/sys/vm's text; min_free_kbytes computed. */
static void test_sysctl_defaults(void **state)
{
	bz_system *sys = make();

	(void)state;
	/* 4 * sqrt((3840 + 772918 + 327680) * 4) */
	assert_string_equal(get(sys, "min_free_kbytes"), "8407");
	assert_string_equal(get(sys, "watermark_scale_factor"), "10");
	assert_string_equal(get(sys, "watermark_boost_factor"), "15000");
	assert_string_equal(get(sys, "lowmem_reserve_ratio"), "256\t256\t32\t0\t0");
	assert_string_equal(get(sys, "percpu_pagelist_high_fraction"), "0");
	assert_string_equal(get(sys, "numa_zonelist_order"), "Node");
	assert_string_equal(get(sys, "zone_reclaim_mode"), "0");
	bz_system_destroy(sys);
}

static void test_sysctl_round_trips(void **state)
{
	static const struct { const char *name, *set, *get; } cases[] = {
		{ "min_free_kbytes", "67584", "67584" },
		{ "min_free_kbytes", "0", "0" },
		{ "watermark_scale_factor", "1", "1" },
		{ "watermark_scale_factor", "3000", "3000" },
		{ "watermark_scale_factor", "200\n", "200" },
		{ "watermark_scale_factor", "  0x20 ", "32" },	/* proc_dointvec's base 0 */
		{ "watermark_boost_factor", "0", "0" },
		{ "watermark_boost_factor", "2147483647", "2147483647" },
		{ "lowmem_reserve_ratio", "128 64 16 0 0", "128\t64\t16\t0\t0" },
		{ "lowmem_reserve_ratio", "1\t2", "1\t2\t16\t0\t0" },	/* the rest stays */
		{ "lowmem_reserve_ratio", "-5 7", "0\t7\t16\t0\t0" },	/* < 1 becomes 0 */
		{ "percpu_pagelist_high_fraction", "8", "8" },
		{ "percpu_pagelist_high_fraction", "0", "0" },
		{ "numa_zonelist_order", "Zone", "Zone" },
		{ "numa_zonelist_order", "node\n", "Node" },
		{ "numa_zonelist_order", "zone", "Zone" },
		{ "numa_zonelist_order", "Default", "Node" },
		{ "zone_reclaim_mode", "1", "1" },
		{ "zone_reclaim_mode", "7", "7" },
	};
	bz_system *sys = make();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(bz_sysctl_set(sys, cases[i].name, cases[i].set), 0);
		assert_string_equal(get(sys, cases[i].name), cases[i].get);
	}
	assert_int_equal(nr_errors, 0);
	bz_system_destroy(sys);
}

/* ---- limits --------------------------------------------------------------------------- */

/* What the kernel refuses, refused with -EINVAL, logged, and nothing changes. */
static void test_sysctl_limits(void **state)
{
	static const struct { const char *name, *value; } bad[] = {
		{ "min_free_kbytes", "-1" },
		{ "min_free_kbytes", "2147483648" },
		{ "min_free_kbytes", "99999999999999999999999" },
		{ "min_free_kbytes", "" },
		{ "min_free_kbytes", "   \n" },
		{ "min_free_kbytes", "12abc" },
		{ "min_free_kbytes", "12 13" },
		{ "min_free_kbytes", "+12" },
		{ "min_free_kbytes", "1.5" },
		{ "min_free_kbytes", "08" },
		{ "watermark_scale_factor", "0" },
		{ "watermark_scale_factor", "3001" },
		{ "watermark_scale_factor", "-10" },
		{ "watermark_scale_factor", "ten" },
		{ "watermark_boost_factor", "-1" },
		{ "lowmem_reserve_ratio", "1 2 3 4 5 6" },
		{ "lowmem_reserve_ratio", "256 x" },
		{ "lowmem_reserve_ratio", "" },
		{ "lowmem_reserve_ratio", "256,256" },
		{ "lowmem_reserve_ratio", "4294967296" },
		{ "percpu_pagelist_high_fraction", "1" },
		{ "percpu_pagelist_high_fraction", "7" },
		{ "percpu_pagelist_high_fraction", "-8" },
		{ "numa_zonelist_order", "Fallback" },
		{ "numa_zonelist_order", "" },
		{ "numa_zonelist_order", "Nodes" },
		{ "numa_zonelist_order", "0" },
		{ "zone_reclaim_mode", "-1" },
	};
	char before[7][128], after[7][128];
	struct bz_zone_stats st0 = { 0 }, st1;
	bz_system *sys = make();

	(void)state;
	snapshot(sys, before);
	st0 = stats(sys, BZ_ZONE_NORMAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		nr_errors = 0;
		if (bz_sysctl_set(sys, bad[i].name, bad[i].value) != -EINVAL)
			fail_msg("%s = \"%s\" was accepted", bad[i].name, bad[i].value);
		assert_int_equal(nr_errors, 1);
		assert_non_null(strstr(last_error, bad[i].name));
	}
	snapshot(sys, after);
	for (size_t i = 0; i < sizeof(tunables) / sizeof(tunables[0]); i++)
		assert_string_equal(before[i], after[i]);
	st1 = stats(sys, BZ_ZONE_NORMAL);
	assert_int_equal(st0.wmark_min, st1.wmark_min);
	assert_int_equal(st0.wmark_low, st1.wmark_low);
	assert_int_equal(st0.pcp_high_min, st1.pcp_high_min);
	bz_system_destroy(sys);
}

static void test_sysctl_bad_calls(void **state)
{
	char buf[8];
	bz_system *sys = make();

	(void)state;
	assert_int_equal(bz_sysctl_set(sys, "swappiness", "60"), -EINVAL);
	assert_non_null(strstr(last_error, "swappiness"));
	assert_int_equal(bz_sysctl_set(sys, NULL, "60"), -EINVAL);
	assert_int_equal(bz_sysctl_set(sys, "watermark_scale_factor", NULL), -EINVAL);
	assert_int_equal(bz_sysctl_get(sys, "swappiness", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(bz_sysctl_get(sys, "min_free_kbytes", NULL, 8), -EINVAL);
	/* "256\t256\t32\t0\t0" needs 16 bytes */
	assert_int_equal(bz_sysctl_get(sys, "lowmem_reserve_ratio", buf, sizeof(buf)), -ERANGE);
	assert_int_equal(bz_sysctl_get(sys, "min_free_kbytes", buf, 4), -ERANGE);	/* "8407" */
	assert_int_equal(bz_sysctl_get(sys, "min_free_kbytes", buf, 5), 0);
	assert_string_equal(buf, "8407");
	assert_int_equal(bz_sysctl_get(sys, "numa_zonelist_order", buf, 0), -ERANGE);
	bz_system_destroy(sys);
}

/* ---- recomputation --------------------------------------------------------------------- */

/*
 * Writes recompute what the kernel's handlers recompute: the machine's own
 * numbers appear once its min_free_kbytes (khugepaged's 67584) is written.
 */
static void test_sysctl_min_free_kbytes_recomputes(void **state)
{
	bz_system *sys = make();
	struct bz_zone_stats dma, normal;

	(void)state;
	assert_int_equal(bz_sysctl_set(sys, "min_free_kbytes", "67584"), 0);
	dma = stats(sys, BZ_ZONE_DMA);
	normal = stats(sys, BZ_ZONE_NORMAL);
	assert_int_equal(dma.wmark_min, 58);
	assert_int_equal(dma.wmark_low, 72);
	assert_int_equal(dma.wmark_high, 86);
	assert_int_equal(dma.wmark_promo, 100);
	assert_int_equal(dma.pcp_high_min, 36);
	assert_int_equal(normal.wmark_min, 5012);
	assert_int_equal(normal.wmark_high, 7518);
	assert_int_equal(normal.pcp_high_min, 3132);
	/* user-set now: later writes keep it */
	assert_int_equal(bz_sysctl_set(sys, "watermark_scale_factor", "10"), 0);
	assert_string_equal(get(sys, "min_free_kbytes"), "67584");
	bz_system_destroy(sys);
}

/* The gap between watermarks follows watermark_scale_factor (or min / 4). */
static void test_sysctl_scale_factor_recomputes(void **state)
{
	bz_system *sys = make();
	struct bz_zone_stats st;

	(void)state;
	assert_int_equal(bz_sysctl_set(sys, "watermark_scale_factor", "1000"), 0);
	st = stats(sys, BZ_ZONE_DMA32);
	assert_int_equal(st.wmark_low - st.wmark_min, 772918 / 10);
	assert_int_equal(st.wmark_high - st.wmark_low, 772918 / 10);
	assert_int_equal(st.pcp_high_min, st.wmark_low / 2);
	assert_int_equal(bz_sysctl_set(sys, "watermark_scale_factor", "1"), 0);
	st = stats(sys, BZ_ZONE_DMA32);
	assert_int_equal(st.wmark_low - st.wmark_min, st.wmark_min / 4);
	bz_system_destroy(sys);
}

static void test_sysctl_lowmem_reserve_recomputes(void **state)
{
	bz_system *sys = make();
	struct bz_zone_stats dma;

	(void)state;
	dma = stats(sys, BZ_ZONE_DMA);
	assert_int_equal(dma.lowmem_reserve[BZ_ZONE_NORMAL], (772918 + 327680) / 256);
	assert_int_equal(bz_sysctl_set(sys, "lowmem_reserve_ratio", "32"), 0);
	dma = stats(sys, BZ_ZONE_DMA);
	assert_int_equal(dma.lowmem_reserve[BZ_ZONE_DMA32], 772918 / 32);
	assert_int_equal(dma.lowmem_reserve[BZ_ZONE_NORMAL], (772918 + 327680) / 32);
	assert_int_equal(stats(sys, BZ_ZONE_DMA32).lowmem_reserve[BZ_ZONE_NORMAL], 327680 / 256);
	bz_system_destroy(sys);
}

static void test_sysctl_high_fraction_recomputes(void **state)
{
	bz_system *sys = make();
	struct bz_zone_stats st;

	(void)state;
	st = stats(sys, BZ_ZONE_NORMAL);
	assert_int_equal(st.pcp_high_max, 327680 / 8 / 2);
	assert_true(st.pcp_high_min < st.pcp_high_max);
	assert_int_equal(bz_sysctl_set(sys, "percpu_pagelist_high_fraction", "16"), 0);
	st = stats(sys, BZ_ZONE_NORMAL);
	assert_int_equal(st.pcp_high_min, 327680 / 16 / 2);
	assert_int_equal(st.pcp_high_max, 327680 / 16 / 2);
	assert_int_equal(st.pcp_batch, 63);
	bz_system_destroy(sys);
}

/* ---- creation: bz_config and the environment ---------------------------------------------- */

static void test_sysctl_from_config(void **state)
{
	struct bz_config cfg;
	bz_system *sys;

	(void)state;
	bz_config_init(&cfg);
	cfg.min_free_kbytes = 67584;
	cfg.watermark_scale_factor = 20;
	cfg.watermark_boost_factor = 0;
	cfg.lowmem_reserve_ratio[BZ_ZONE_DMA32] = 128;	/* the others stay BZ_DEFAULT */
	cfg.percpu_pagelist_high_fraction = 8;
	cfg.numa_zonelist_order = 1;
	cfg.zone_reclaim_mode = 1;
	sys = make_cfg(&cfg);
	assert_string_equal(get(sys, "min_free_kbytes"), "67584");
	assert_string_equal(get(sys, "watermark_scale_factor"), "20");
	assert_string_equal(get(sys, "watermark_boost_factor"), "0");
	assert_string_equal(get(sys, "lowmem_reserve_ratio"), "256\t128\t32\t0\t0");
	assert_string_equal(get(sys, "percpu_pagelist_high_fraction"), "8");
	assert_string_equal(get(sys, "numa_zonelist_order"), "Zone");
	assert_string_equal(get(sys, "zone_reclaim_mode"), "1");
	assert_int_equal(stats(sys, BZ_ZONE_DMA).wmark_min, 58);
	assert_int_equal(stats(sys, BZ_ZONE_DMA32).lowmem_reserve[BZ_ZONE_NORMAL], 327680 / 128);
	bz_system_destroy(sys);
}

static void test_sysctl_invalid_config(void **state)
{
	static const struct { const char *name; int value; } bad[] = {
		{ "watermark_scale_factor", 0 }, { "watermark_scale_factor", 3001 },
		{ "watermark_boost_factor", -2 }, { "percpu_pagelist_high_fraction", 4 },
		{ "numa_zonelist_order", 2 }, { "zone_reclaim_mode", -7 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bz_config cfg;
		bz_system *sys = NULL;

		bz_config_init(&cfg);
		cfg.zones = VM_ZONES;
		cfg.topology = TOPOLOGY;
		if (!strcmp(bad[i].name, "watermark_scale_factor"))
			cfg.watermark_scale_factor = bad[i].value;
		else if (!strcmp(bad[i].name, "watermark_boost_factor"))
			cfg.watermark_boost_factor = bad[i].value;
		else if (!strcmp(bad[i].name, "percpu_pagelist_high_fraction"))
			cfg.percpu_pagelist_high_fraction = bad[i].value;
		else if (!strcmp(bad[i].name, "numa_zonelist_order"))
			cfg.numa_zonelist_order = bad[i].value;
		else
			cfg.zone_reclaim_mode = bad[i].value;
		nr_errors = 0;
		assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
		assert_null(sys);
		assert_true(nr_errors >= 1);
		assert_non_null(strstr(last_error, bad[i].name));
	}
	{
		struct bz_config cfg;
		bz_system *sys = NULL;

		bz_config_init(&cfg);
		cfg.zones = VM_ZONES;
		cfg.topology = TOPOLOGY;
		cfg.min_free_kbytes = 1l << 40;
		assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
		assert_non_null(strstr(last_error, "min_free_kbytes"));
	}
}

/* BUDDYZONE_<NAME> fills what the config leaves BZ_DEFAULT. */
static void test_sysctl_environment(void **state)
{
	struct bz_config cfg;
	bz_system *sys;

	(void)state;
	setenv("BUDDYZONE_MIN_FREE_KBYTES", "67584", 1);
	setenv("BUDDYZONE_WATERMARK_SCALE_FACTOR", "100", 1);
	setenv("BUDDYZONE_WATERMARK_BOOST_FACTOR", "5000", 1);
	setenv("BUDDYZONE_LOWMEM_RESERVE_RATIO", "512 128 16 0 0", 1);
	setenv("BUDDYZONE_PERCPU_PAGELIST_HIGH_FRACTION", "10", 1);
	setenv("BUDDYZONE_NUMA_ZONELIST_ORDER", "Zone", 1);
	setenv("BUDDYZONE_ZONE_RECLAIM_MODE", "4", 1);
	sys = make();
	assert_string_equal(get(sys, "min_free_kbytes"), "67584");
	assert_string_equal(get(sys, "watermark_scale_factor"), "100");
	assert_string_equal(get(sys, "watermark_boost_factor"), "5000");
	assert_string_equal(get(sys, "lowmem_reserve_ratio"), "512\t128\t16\t0\t0");
	assert_string_equal(get(sys, "percpu_pagelist_high_fraction"), "10");
	assert_string_equal(get(sys, "numa_zonelist_order"), "Zone");
	assert_string_equal(get(sys, "zone_reclaim_mode"), "4");
	assert_int_equal(stats(sys, BZ_ZONE_DMA32).wmark_low - stats(sys, BZ_ZONE_DMA32).wmark_min,
			 772918 / 100);
	assert_int_equal(stats(sys, BZ_ZONE_DMA).lowmem_reserve[BZ_ZONE_DMA32], 772918 / 512);
	assert_int_equal(stats(sys, BZ_ZONE_NORMAL).pcp_high_max, 327680 / 10 / 2);
	bz_system_destroy(sys);

	/* the config wins over the environment */
	bz_config_init(&cfg);
	cfg.watermark_scale_factor = 30;
	sys = make_cfg(&cfg);
	assert_string_equal(get(sys, "watermark_scale_factor"), "30");
	assert_string_equal(get(sys, "watermark_boost_factor"), "5000");
	bz_system_destroy(sys);

	unsetenv("BUDDYZONE_MIN_FREE_KBYTES");
	unsetenv("BUDDYZONE_WATERMARK_SCALE_FACTOR");
	unsetenv("BUDDYZONE_WATERMARK_BOOST_FACTOR");
	unsetenv("BUDDYZONE_LOWMEM_RESERVE_RATIO");
	unsetenv("BUDDYZONE_PERCPU_PAGELIST_HIGH_FRACTION");
	unsetenv("BUDDYZONE_NUMA_ZONELIST_ORDER");
	unsetenv("BUDDYZONE_ZONE_RECLAIM_MODE");
}

/* A bad variable makes creation fail with -EINVAL and a message naming it. */
static void test_sysctl_invalid_environment(void **state)
{
	static const struct { const char *var, *value; } bad[] = {
		{ "BUDDYZONE_MIN_FREE_KBYTES", "-1" },
		{ "BUDDYZONE_MIN_FREE_KBYTES", "lots" },
		{ "BUDDYZONE_WATERMARK_SCALE_FACTOR", "0" },
		{ "BUDDYZONE_WATERMARK_SCALE_FACTOR", "5000" },
		{ "BUDDYZONE_WATERMARK_BOOST_FACTOR", "-3" },
		{ "BUDDYZONE_LOWMEM_RESERVE_RATIO", "256 256 32 0 0 0" },
		{ "BUDDYZONE_LOWMEM_RESERVE_RATIO", "256;256" },
		{ "BUDDYZONE_PERCPU_PAGELIST_HIGH_FRACTION", "3" },
		{ "BUDDYZONE_NUMA_ZONELIST_ORDER", "Fallback" },
		{ "BUDDYZONE_ZONE_RECLAIM_MODE", "1x" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bz_config cfg;
		bz_system *sys = NULL;

		setenv(bad[i].var, bad[i].value, 1);
		bz_config_init(&cfg);
		cfg.zones = VM_ZONES;
		cfg.topology = TOPOLOGY;
		nr_errors = 0;
		assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
		assert_null(sys);
		assert_true(nr_errors >= 1);
		assert_non_null(strstr(last_error, bad[i].var));
		unsetenv(bad[i].var);
	}
}

/* ---- writes while other threads allocate ----------------------------------------------- */

#define CHURNERS 2

struct churn {
	bz_system *sys;
	_Atomic int stop;
	_Atomic int bad_frees;	/* cmocka's asserts belong to the main thread */
	_Atomic int next_id;
	_Atomic unsigned long ops[CHURNERS];    /* each thread's progress */
};

/* Allocates and frees small blocks until told to stop. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	struct { bz_page *page; unsigned order; } held[64] = { { 0 } };
	unsigned seed = 1;
	int id = atomic_fetch_add(&c->next_id, 1);

	for (unsigned i = 0; !c->stop; i++, atomic_fetch_add(&c->ops[id], 1)) {
		unsigned slot = i % 64, order = (seed = seed * 1103515245 + 12345) >> 29;

		if (held[slot].page && bz_free_pages(held[slot].page, held[slot].order))
			c->bad_frees++;
		held[slot].page = bz_alloc_pages(c->sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, order & 3);
		held[slot].order = order & 3;
	}
	for (int i = 0; i < 64; i++)
		if (held[i].page && bz_free_pages(held[i].page, held[i].order))
			c->bad_frees++;
	return NULL;
}

struct churn_since {
	struct churn *c;
	const unsigned long *seen;
};

static bool churned(void *arg)
{
	struct churn_since *cs = arg;

	for (int k = 0; k < CHURNERS; k++)
		if (atomic_load(&cs->c->ops[k]) < cs->seen[k] + 2)
			return false;
	return true;
}

/*
 * Every tunable rewritten while two threads allocate: the writes recompute
 * watermarks, reserves, pagesets and zonelists under the allocators' feet,
 * and afterwards every invariant holds.
 */
static void test_sysctl_writes_during_allocation(void **state)
{
	static const struct { const char *name, *a, *b; } flips[] = {
		{ "watermark_scale_factor", "10", "500" },
		{ "min_free_kbytes", "2048", "65536" },
		{ "lowmem_reserve_ratio", "256 256 32 0 0", "8 8 8 0 0" },
		{ "percpu_pagelist_high_fraction", "0", "8" },
		{ "watermark_boost_factor", "15000", "0" },
		{ "zone_reclaim_mode", "0", "1" },
		{ "numa_zonelist_order", "Node", "Zone" },
	};
	struct bz_config cfg;
	struct churn c = { 0 };
	pthread_t t[CHURNERS];
	int interleaved = 0;

	(void)state;
	bz_config_init(&cfg);
	cfg.zones = "0:DMA=3840,0:DMA32=16384,0:Normal=16384,1:Normal=16384";
	c.sys = make_cfg(&cfg);
	for (int i = 0; i < CHURNERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn_thread, &c), 0);
	for (int round = 0; round < 200; round++) {
		unsigned long seen[CHURNERS];

		for (int k = 0; k < CHURNERS; k++)
			seen[k] = atomic_load(&c.ops[k]);
		for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++)
			assert_int_equal(bz_sysctl_set(c.sys, flips[i].name,
						       round % 2 ? flips[i].b : flips[i].a), 0);
		/* Every allocating thread works between two rounds of writes. */
		interleaved += wait_for(churned, &(struct churn_since){ &c, seen });
	}
	c.stop = 1;
	for (int i = 0; i < CHURNERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(interleaved, 200);
	assert_int_equal(c.bad_frees, 0);
	assert_int_equal(bz_check(c.sys), 0);
	bz_system_destroy(c.sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sysctl_defaults, setup),
		cmocka_unit_test_setup(test_sysctl_round_trips, setup),
		cmocka_unit_test_setup(test_sysctl_limits, setup),
		cmocka_unit_test_setup(test_sysctl_bad_calls, setup),
		cmocka_unit_test_setup(test_sysctl_min_free_kbytes_recomputes, setup),
		cmocka_unit_test_setup(test_sysctl_scale_factor_recomputes, setup),
		cmocka_unit_test_setup(test_sysctl_lowmem_reserve_recomputes, setup),
		cmocka_unit_test_setup(test_sysctl_high_fraction_recomputes, setup),
		cmocka_unit_test_setup(test_sysctl_from_config, setup),
		cmocka_unit_test_setup(test_sysctl_invalid_config, setup),
		cmocka_unit_test_setup(test_sysctl_environment, setup),
		cmocka_unit_test_setup(test_sysctl_invalid_environment, setup),
		cmocka_unit_test_setup(test_sysctl_writes_during_allocation, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
