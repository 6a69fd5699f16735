/* SPDX-License-Identifier: MIT */
/*
 * test_watermark.c - watermarks, lowmem reserves, pageset sizes and the
 * watermark tests (src/watermark.c) against real kernels' numbers.
 *
 * tests/data/zoneinfo-*.txt are /proc/zoneinfo dumps of real machines
 * (sources in each file's header): a system built with the same managed
 * page counts, CPUs and tunables must show the same numbers, for the checks
 * the header lists (some dumps cannot be reproduced in full; their headers
 * say why).  The rest checks the formulas' corners white-box: the reserve
 * flags of __zone_watermark_ok, the boost, the clamps.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buddy.h"

#define TOPOLOGY "synthetic:node:1 core:2 pu:1"
#define MAX_SAMPLE_ZONES (4 * BZ_MAX_NR_ZONES)

/* ---- systems ------------------------------------------------------------- */

static bz_system *make(const char *zones, int cpus, long min_free_kbytes, int scale)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = zones;
	cfg.topology = TOPOLOGY;
	cfg.cpus_per_node = cpus;
	cfg.min_free_kbytes = min_free_kbytes;
	cfg.watermark_scale_factor = scale;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	assert_non_null(sys);
	return sys;
}

static struct bz_zone *zone(bz_system *sys, int nid, int zid)
{
	return &sys->nodes[nid]->zones[zid];
}

static unsigned long wmark(struct bz_zone *z, enum bz_wmark w)
{
	return atomic_load(&z->watermark[w]);
}

static long reserve(struct bz_zone *z, int j)
{
	return atomic_load(&z->lowmem_reserve[j]);
}

static int sysctl_int(bz_system *sys, const char *name)
{
	char buf[64];

	assert_int_equal(bz_sysctl_get(sys, name, buf, sizeof(buf)), 0);
	return atoi(buf);
}

/* Reruns the boot computation, as after poking zone fields. */
static void recompute(bz_system *sys)
{
	pthread_mutex_lock(&sys->sysctl_lock);
	bz__recompute_watermarks(sys);
	pthread_mutex_unlock(&sys->sysctl_lock);
}

/* ---- zoneinfo samples -------------------------------------------------------- */

enum field { F_MIN, F_LOW, F_HIGH, F_PROMO, F_MANAGED, F_BATCH, F_PCP_HIGH, F_HIGH_MIN,
	     F_HIGH_MAX, F_THRESHOLD, NR_FIELDS };

struct sample_zone {
	int nid, zid;
	bool has[NR_FIELDS];
	long v[NR_FIELDS];
	long prot[BZ_MAX_NR_ZONES];
	int nprot;
};

struct sample {
	const char *file;
	char zones[512], checks[256];
	int cpus, scale;
	long min_free_kbytes;
	bool user_min_free_kbytes;
	int nz;
	struct sample_zone z[MAX_SAMPLE_ZONES];
};

static const char *data_dir(void)
{
	static char dir[4096];
	const char *env = getenv("BUDDYZONE_TEST_DATA");
	char *slash;

	if (env)
		return env;
	snprintf(dir, sizeof(dir), "%s", __FILE__);	/* tests/test_watermark.c */
	slash = strrchr(dir, '/');
	snprintf(slash ? slash + 1 : dir, sizeof(dir) - (size_t)(slash ? slash + 1 - dir : 0), "data");
	return dir;
}

static bool has_check(const struct sample *s, const char *check)
{
	size_t len = strlen(check);

	for (const char *p = strstr(s->checks, check); p; p = strstr(p + 1, check))
		if ((p == s->checks || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ' ||
							  p[len] == '\n'))
			return true;
	return false;
}

static void parse_header(struct sample *s, const char *line)
{
	char word[32];

	if (sscanf(line, "# test.zones: %511s", s->zones) == 1)
		return;
	if (sscanf(line, "# test.cpus_per_node: %d", &s->cpus) == 1)
		return;
	if (sscanf(line, "# vm.watermark_scale_factor: %d", &s->scale) == 1)
		return;
	if (sscanf(line, "# test.min_free_kbytes: %ld %31s", &s->min_free_kbytes, word) == 2) {
		s->user_min_free_kbytes = strcmp(word, "user") == 0;
		return;
	}
	if (strncmp(line, "# test.checks: ", 15) == 0)
		snprintf(s->checks, sizeof(s->checks), "%s", line + 15);
}

static void parse_protection(struct sample_zone *z, const char *p)
{
	char *end;

	p = strchr(p, '(');
	while (p && *p && *p != ')' && z->nprot < BZ_MAX_NR_ZONES) {
		long v = strtol(p + 1, &end, 10);

		if (end == p + 1)
			break;
		z->prot[z->nprot++] = v;
		p = end;
	}
}

/* One line of a zone's section; pagesets: the first CPU's values only. */
static void parse_zone_line(struct sample_zone *z, const char *line)
{
	static const struct { const char *key; enum field f; } keys[] = {
		{ "min ", F_MIN }, { "low ", F_LOW }, { "high ", F_HIGH }, { "promo ", F_PROMO },
		{ "managed ", F_MANAGED }, { "batch:", F_BATCH }, { "high:", F_PCP_HIGH },
		{ "high_min:", F_HIGH_MIN }, { "high_max:", F_HIGH_MAX },
		{ "vm stats threshold:", F_THRESHOLD },
	};
	while (*line == ' ')
		line++;
	if (strncmp(line, "protection:", 11) == 0) {
		parse_protection(z, line);
		return;
	}
	for (size_t i = 0; i < BZ_ARRAY_SIZE(keys); i++) {
		size_t len = strlen(keys[i].key);

		if (strncmp(line, keys[i].key, len) == 0 && !z->has[keys[i].f]) {
			z->v[keys[i].f] = strtol(line + len, NULL, 10);
			z->has[keys[i].f] = true;
		}
	}
}

static void load_sample(struct sample *s, const char *file)
{
	char path[4200], line[512], zname[32];
	struct sample_zone *cur = NULL;
	FILE *f;
	int nid;

	memset(s, 0, sizeof(*s));
	s->file = file;
	s->scale = 10;
	s->cpus = 1;
	snprintf(path, sizeof(path), "%s/%s", data_dir(), file);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#') {
			parse_header(s, line);
		} else if (sscanf(line, "Node %d, zone %31s", &nid, zname) == 2) {
			assert_true(s->nz < MAX_SAMPLE_ZONES);
			cur = &s->z[s->nz++];
			cur->nid = nid;
			cur->zid = bz__zone_index_by_name(zname);
			assert_true(cur->zid >= 0);
		} else if (cur) {
			parse_zone_line(cur, line);
		}
	}
	fclose(f);
	assert_true(s->zones[0] && s->nz > 0);
}

static bz_system *make_sample_system(const struct sample *s)
{
	long mfk = s->user_min_free_kbytes ? s->min_free_kbytes : BZ_DEFAULT;
	bz_system *sys = make(s->zones, s->cpus, mfk, s->scale);

	if (s->min_free_kbytes)
		assert_int_equal(sysctl_int(sys, "min_free_kbytes"), s->min_free_kbytes);
	return sys;
}

static int nr_compared;

static void expect(const struct sample *s, const struct sample_zone *sz, const char *what,
		   long want, long got)
{
	nr_compared++;
	if (want != got)
		fail_msg("%s: node %d zone %s: %s is %ld, the kernel showed %ld", s->file,
			 sz->nid, bz__zone_names[sz->zid], what, got, want);
}

static void check_wmarks(const struct sample *s, const struct sample_zone *sz, struct bz_zone *z)
{
	static const char *const names[] = { "min", "low", "high", "promo" };
	bool unpopulated = has_check(s, "unpopulated") && !z->managed_pages;

	for (int w = WMARK_MIN; w < NR_WMARK; w++)
		if (sz->has[F_MIN + w] && (has_check(s, names[w]) || unpopulated))
			expect(s, sz, names[w], sz->v[F_MIN + w], (long)wmark(z, w));
}

static void check_protection(const struct sample *s, const struct sample_zone *sz,
			     struct bz_zone *z)
{
	bool all = has_check(s, "protection");
	bool populated = has_check(s, "protection-populated") && z->managed_pages;
	bool unpopulated = has_check(s, "unpopulated") && !z->managed_pages;
	char what[32];

	if (!all && !populated && !unpopulated)
		return;
	for (int j = 0; j < sz->nprot; j++) {
		snprintf(what, sizeof(what), "protection[%d]", j);
		expect(s, sz, what, sz->prot[j], reserve(z, j));
	}
}

static void check_pagesets(const struct sample *s, const struct sample_zone *sz, struct bz_zone *z)
{
	if (!populated_zone(z))
		return;
	if (sz->has[F_BATCH] && has_check(s, "batch"))
		expect(s, sz, "pageset batch", sz->v[F_BATCH], atomic_load(&z->pcp_batch));
	if (sz->has[F_HIGH_MIN] && has_check(s, "high_min"))
		expect(s, sz, "pageset high_min", sz->v[F_HIGH_MIN], atomic_load(&z->pcp_high_min));
	if (sz->has[F_HIGH_MAX] && has_check(s, "high_max"))
		expect(s, sz, "pageset high_max", sz->v[F_HIGH_MAX], atomic_load(&z->pcp_high_max));
	if (sz->has[F_THRESHOLD] && has_check(s, "threshold"))
		expect(s, sz, "vm stats threshold", sz->v[F_THRESHOLD], z->stat_threshold);
}

/*
 * 6.6's single pcp->high is 6.7's high_min: the zone's low watermark split
 * over the node's CPUs.  Given the dump's own low watermark, ours must
 * split it the same way.
 */
static void check_high_from_low(bz_system *sys, const struct sample *s,
				const struct sample_zone *sz, struct bz_zone *z)
{
	if (!has_check(s, "high-from-low") || !populated_zone(z) || !sz->has[F_PCP_HIGH])
		return;
	pthread_mutex_lock(&sys->sysctl_lock);
	atomic_store(&z->watermark[WMARK_LOW], (unsigned long)sz->v[F_LOW]);
	bz__zone_pcp_update(z);
	pthread_mutex_unlock(&sys->sysctl_lock);
	expect(s, sz, "pageset high (from the dump's low watermark)", sz->v[F_PCP_HIGH],
	       atomic_load(&z->pcp_high_min));
}

static void check_sample(const char *file)
{
	struct sample *s = malloc(sizeof(*s));
	bz_system *sys;

	assert_non_null(s);
	load_sample(s, file);
	sys = make_sample_system(s);
	nr_compared = 0;
	for (int i = 0; i < s->nz; i++) {
		const struct sample_zone *sz = &s->z[i];
		struct bz_zone *z;

		assert_true(sz->nid < bz_nr_nodes(sys));
		z = zone(sys, sz->nid, sz->zid);
		if (sz->has[F_MANAGED])
			expect(s, sz, "managed", sz->v[F_MANAGED], (long)z->managed_pages);
		check_wmarks(s, sz, z);
		check_protection(s, sz, z);
		check_pagesets(s, sz, z);
	}
	for (int i = 0; i < s->nz; i++)
		check_high_from_low(sys, s, &s->z[i], zone(sys, s->z[i].nid, s->z[i].zid));
	/* more than managed and one other number per zone were compared */
	assert_true(nr_compared > 2 * s->nz);
	bz_system_destroy(sys);
	free(s);
}

/* Linux 6.18, this project's machine: every number, pagesets included. */
static void test_zoneinfo_thismachine_6_18(void **state)
{
	(void)state;
	check_sample("zoneinfo-thismachine-6.18.txt");
}

/* The same machine before memory hotplug grew its Normal zone. */
static void test_zoneinfo_thismachine_6_18_earlier(void **state)
{
	(void)state;
	check_sample("zoneinfo-thismachine-6.18-earlier.txt");
}

/* seeds/004's phone: computed min_free_kbytes, watermark_scale_factor 60. */
static void test_zoneinfo_seed004_phone(void **state)
{
	(void)state;
	check_sample("zoneinfo-seed004-phone.txt");
}

/* Two nodes, Movable on node 0 (Joonsoo Kim, 2020): the reserves. */
static void test_zoneinfo_joonsoo_2node(void **state)
{
	(void)state;
	check_sample("zoneinfo-joonsoo-2node-5.x.txt");
}

/* Two nodes, 6.6 (Mike Kravetz, 2023): thresholds, batches, pcp high, empty zones. */
static void test_zoneinfo_kravetz_2node_6_6(void **state)
{
	(void)state;
	check_sample("zoneinfo-kravetz-2node-6.6.txt");
}

/* ---- min_free_kbytes ----------------------------------------------------------- */

/*
 * The table in calculate_min_free_kbytes()'s comment: lowmem size to
 * min_free_kbytes, from 16 MiB (512k) to 16 GiB (16384k).  The comment
 * says 11584k for 8192MB (twice 2048MB's 5792); int_sqrt(8 GiB in KiB * 16)
 * is 11585, which is what the kernel computes.
 */
static void test_min_free_kbytes_kernel_table(void **state)
{
	static const struct { unsigned long mib; int kbytes; } table[] = {
		{ 16, 512 }, { 32, 724 }, { 64, 1024 }, { 128, 1448 }, { 256, 2048 },
		{ 512, 2896 }, { 1024, 4096 }, { 2048, 5792 }, { 4096, 8192 },
		{ 8192, 11585 }, { 16384, 16384 },
	};
	char zones[64];

	(void)state;
	for (size_t i = 0; i < BZ_ARRAY_SIZE(table); i++) {
		bz_system *sys;

		snprintf(zones, sizeof(zones), "0:Normal=%lu", table[i].mib * 256);
		sys = make(zones, 2, BZ_DEFAULT, BZ_DEFAULT);
		assert_int_equal(sysctl_int(sys, "min_free_kbytes"), table[i].kbytes);
		bz_system_destroy(sys);
	}
}

/* lowmem is every node's zones up to NORMAL; MOVABLE is not lowmem. */
static void test_min_free_kbytes_counts_lowmem_of_all_nodes(void **state)
{
	bz_system *sys;

	(void)state;
	/* 1 GiB DMA32 on node 0 + 1 GiB Normal on node 1 = 2048MB: 5792k */
	sys = make("0:DMA32=262144,0:Movable=262144,1:Normal=262144", 2, BZ_DEFAULT, BZ_DEFAULT);
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), 5792);
	bz_system_destroy(sys);
}

/* Clamped to 128..262144, whatever the memory: poke managed, recompute. */
static void test_min_free_kbytes_clamps(void **state)
{
	bz_system *sys = make("0:Normal=16384", 2, BZ_DEFAULT, BZ_DEFAULT);
	struct bz_zone *z = zone(sys, 0, BZ_ZONE_NORMAL);
	unsigned long managed = z->managed_pages;

	(void)state;
	pthread_mutex_lock(&sys->sysctl_lock);
	z->managed_pages = 64;	/* 256 KiB: sqrt(4096) = 64 */
	atomic_store(&z->watermark[WMARK_HIGH], 0);
	bz__calculate_min_free_kbytes(sys);
	assert_int_equal(sys->sysctl.min_free_kbytes, 128);
	z->managed_pages = 1ul << 32;	/* 16 TiB: sqrt would be 524288 */
	bz__calculate_min_free_kbytes(sys);
	assert_int_equal(sys->sysctl.min_free_kbytes, 262144);
	z->managed_pages = managed;
	pthread_mutex_unlock(&sys->sysctl_lock);
	recompute(sys);
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), 1024);	/* 64 MiB: 1024k */
	bz_system_destroy(sys);
}

/*
 * A user value at least as large as the computed one is kept; a smaller one
 * is overwritten (the kernel's rule, on memory hotplug).
 */
static void test_min_free_kbytes_user_value(void **state)
{
	bz_system *sys = make("0:Normal=262144", 2, 100000, BZ_DEFAULT);

	(void)state;
	assert_int_equal(sys->sysctl.user_min_free_kbytes, 100000);
	pthread_mutex_lock(&sys->sysctl_lock);
	bz__calculate_min_free_kbytes(sys);
	assert_int_equal(sys->sysctl.min_free_kbytes, 100000);
	sys->sysctl.user_min_free_kbytes = 1000;
	bz__calculate_min_free_kbytes(sys);
	assert_true(sys->sysctl.min_free_kbytes < 4096 && sys->sysctl.min_free_kbytes > 1000);
	pthread_mutex_unlock(&sys->sysctl_lock);
	bz_system_destroy(sys);
}

/*
 * A recomputation (memory hotplug) counts only the pages above the current
 * high watermarks.  Joonsoo Kim's two-node dump was computed that way: with
 * its high watermarks in place, its managed counts give 9857 kbytes, the
 * pages_min of 2464 that each of its min watermarks implies
 * (e.g. DMA32 1129 = 2464 * 758116 / 1654529 in that kernel).
 */
static void test_min_free_kbytes_recomputed_above_high_wmarks(void **state)
{
	static const struct { int nid, zid; unsigned long high; } highs[] = {
		{ 0, BZ_ZONE_DMA, 11 }, { 0, BZ_ZONE_DMA32, 2645 }, { 0, BZ_ZONE_NORMAL, 1756 },
		{ 0, BZ_ZONE_MOVABLE, 457 }, { 1, BZ_ZONE_NORMAL, 897 },
	};
	bz_system *sys = make("0:DMA=3977,0:DMA32=758116,0:Normal=503620,0:Movable=131072,"
			      "1:Normal=257744", 2, BZ_DEFAULT, BZ_DEFAULT);

	(void)state;
	/* at boot, with no watermarks: sqrt(1523457 pages * 4 * 16) */
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), 9874);
	pthread_mutex_lock(&sys->sysctl_lock);
	for (size_t i = 0; i < BZ_ARRAY_SIZE(highs); i++)
		atomic_store(&zone(sys, highs[i].nid, highs[i].zid)->watermark[WMARK_HIGH],
			     highs[i].high);
	bz__calculate_min_free_kbytes(sys);
	assert_int_equal(sys->sysctl.min_free_kbytes, 9857);
	assert_int_equal(sys->sysctl.min_free_kbytes >> 2, 2464);
	pthread_mutex_unlock(&sys->sysctl_lock);
	bz_system_destroy(sys);
}

/* ---- watermarks and reserves ------------------------------------------------------ */

/*
 * MOVABLE's min is capped (managed / 1024 within 32..128), but its
 * low/high spacing follows its proportional share of pages_min, and it
 * is left out of lowmem_pages.  watermark_scale_factor 1 makes the
 * share/4 term win: 1448 / 4 = 362 (min/4 of the capped 128 would be 32).
 */
static void test_wmark_movable_capped_spacing_proportional(void **state)
{
	bz_system *sys = make("0:DMA32=262144,0:Normal=262144,0:Movable=524288", 2, BZ_DEFAULT, 1);
	struct bz_zone *mov = zone(sys, 0, BZ_ZONE_MOVABLE), *dma32 = zone(sys, 0, BZ_ZONE_DMA32);

	(void)state;
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), 5792);	/* 2 GiB lowmem */
	assert_int_equal(wmark(mov, WMARK_MIN), 128);
	assert_int_equal(wmark(mov, WMARK_LOW), 128 + 362);
	assert_int_equal(wmark(mov, WMARK_HIGH), 128 + 2 * 362);
	assert_int_equal(wmark(mov, WMARK_PROMO), 128 + 3 * 362);
	/* pages_min 1448 shared by DMA32 and Normal only: 724 each */
	assert_int_equal(wmark(dma32, WMARK_MIN), 724);
	assert_int_equal(wmark(dma32, WMARK_LOW), 724 + 181);
	bz_system_destroy(sys);
}

/* Small MOVABLE zones get the SWAP_CLUSTER_MAX floor, empty ones too. */
static void test_wmark_movable_floor(void **state)
{
	bz_system *sys = make("0:Normal=65536,0:Movable=16384", 2, BZ_DEFAULT, BZ_DEFAULT);

	(void)state;
	assert_int_equal(wmark(zone(sys, 0, BZ_ZONE_MOVABLE), WMARK_MIN), 32);
	bz_system_destroy(sys);
}

/* Reserves with other ratios; ratio 0 or an empty lower zone: none. */
static void test_lowmem_reserve_custom_ratios(void **state)
{
	bz_system *sys = make("0:DMA=3840,0:DMA32=772918,0:Normal=327680", 2, 67584, BZ_DEFAULT);
	struct bz_zone *dma = zone(sys, 0, BZ_ZONE_DMA), *dma32 = zone(sys, 0, BZ_ZONE_DMA32);
	struct bz_zone *normal = zone(sys, 0, BZ_ZONE_NORMAL);

	(void)state;
	assert_int_equal(bz_sysctl_set(sys, "lowmem_reserve_ratio", "100 50 10 0 0"), 0);
	assert_int_equal(reserve(dma, BZ_ZONE_DMA), 0);
	assert_int_equal(reserve(dma, BZ_ZONE_DMA32), 772918 / 100);
	assert_int_equal(reserve(dma, BZ_ZONE_NORMAL), (772918 + 327680) / 100);
	assert_int_equal(reserve(dma, BZ_ZONE_MOVABLE), (772918 + 327680) / 100);
	assert_int_equal(reserve(dma32, BZ_ZONE_NORMAL), 327680 / 50);
	assert_int_equal(reserve(normal, BZ_ZONE_MOVABLE), 0);

	assert_int_equal(bz_sysctl_set(sys, "lowmem_reserve_ratio", "0 1"), 0);
	assert_int_equal(reserve(dma, BZ_ZONE_NORMAL), 0);
	assert_int_equal(reserve(dma32, BZ_ZONE_NORMAL), 327680);
	assert_int_equal(reserve(dma32, BZ_ZONE_DEVICE), 327680);
	bz_system_destroy(sys);

	sys = make("0:DMA32=65536,0:Normal=65536,0:Movable=32768", 2, BZ_DEFAULT, BZ_DEFAULT);
	for (int j = 0; j < BZ_MAX_NR_ZONES; j++)	/* no DMA: no reserve in it */
		assert_int_equal(reserve(zone(sys, 0, BZ_ZONE_DMA), j), 0);
	assert_int_equal(reserve(zone(sys, 0, BZ_ZONE_NORMAL), BZ_ZONE_MOVABLE), 32768 / 32);
	bz_system_destroy(sys);
}

/* Recomputing watermarks drops the boost; the reserves stay. */
static void test_recompute_resets_boost(void **state)
{
	bz_system *sys = make("0:Normal=262144", 2, BZ_DEFAULT, BZ_DEFAULT);
	struct bz_zone *z = zone(sys, 0, BZ_ZONE_NORMAL);

	(void)state;
	bz__zone_lock(z);
	assert_true(bz__boost_watermark_locked(z));
	bz__zone_unlock(z);
	assert_int_equal(atomic_load(&z->watermark_boost), PAGEBLOCK_NR_PAGES);
	assert_int_equal(bz_sysctl_set(sys, "watermark_scale_factor", "20"), 0);
	assert_int_equal(atomic_load(&z->watermark_boost), 0);
	bz_system_destroy(sys);
}

/* ---- pagesets and thresholds ---------------------------------------------------------- */

/* A memory-only node splits high over every CPU of the system. */
static void test_pcp_high_memory_only_node(void **state)
{
	bz_system *sys = make("0:Normal=262144,1:Normal=262144", 3, BZ_DEFAULT, BZ_DEFAULT);
	struct bz_zone *z = zone(sys, 1, BZ_ZONE_NORMAL);

	(void)state;
	assert_int_equal(atomic_load(&z->pcp_high_min), (int)(wmark(z, WMARK_LOW) / 3));
	pthread_mutex_lock(&sys->sysctl_lock);
	sys->nodes[1]->nr_cpus = 0;
	bz__zone_pcp_update(z);
	pthread_mutex_unlock(&sys->sysctl_lock);
	assert_int_equal(atomic_load(&z->pcp_high_min), (int)(wmark(z, WMARK_LOW) / 3));
	assert_int_equal(atomic_load(&z->pcp_high_max), 262144 / 8 / 3);
	pthread_mutex_lock(&sys->sysctl_lock);
	sys->nodes[0]->nr_cpus = 1;	/* now 1 CPU online in all */
	bz__zone_pcp_update(z);
	pthread_mutex_unlock(&sys->sysctl_lock);
	assert_int_equal(atomic_load(&z->pcp_high_max), 262144 / 8);
	bz_system_destroy(sys);
}

/* percpu_pagelist_high_fraction fixes high: managed / fraction / CPUs, >= 4 batches. */
static void test_pcp_high_fraction(void **state)
{
	bz_system *sys = make("0:DMA=3840,0:Normal=327680", 2, BZ_DEFAULT, BZ_DEFAULT);
	struct bz_zone *n = zone(sys, 0, BZ_ZONE_NORMAL), *d = zone(sys, 0, BZ_ZONE_DMA);

	(void)state;
	assert_int_equal(bz_sysctl_set(sys, "percpu_pagelist_high_fraction", "8"), 0);
	assert_int_equal(atomic_load(&n->pcp_high_min), 327680 / 8 / 2);
	assert_int_equal(atomic_load(&n->pcp_high_max), 327680 / 8 / 2);
	assert_int_equal(bz_sysctl_set(sys, "percpu_pagelist_high_fraction", "100000"), 0);
	assert_int_equal(atomic_load(&n->pcp_high_min), 4 * 63);	/* 4 * batch */
	assert_int_equal(atomic_load(&d->pcp_high_min), 4 * 1);
	assert_int_equal(bz_sysctl_set(sys, "percpu_pagelist_high_fraction", "0"), 0);
	assert_int_equal(atomic_load(&n->pcp_high_min), (int)(wmark(n, WMARK_LOW) / 2));
	bz_system_destroy(sys);
}

/* zone_batchsize(): 2^n - 1, at most 63 (1 MiB), 1 for tiny zones. */
static void test_pcp_batch_sizes(void **state)
{
	static const struct { unsigned long pages; int batch; } cases[] = {
		{ 3840, 1 }, { 8192, 1 }, { 16384, 3 }, { 32768, 7 }, { 65536, 15 },
		{ 131072, 31 }, { 163840, 31 }, { 262144, 63 }, { 4194304, 63 },
	};
	char zones[64];

	(void)state;
	for (size_t i = 0; i < BZ_ARRAY_SIZE(cases); i++) {
		bz_system *sys;

		snprintf(zones, sizeof(zones), "0:Normal=%lu", cases[i].pages);
		sys = make(zones, 2, BZ_DEFAULT, BZ_DEFAULT);
		assert_int_equal(atomic_load(&zone(sys, 0, BZ_ZONE_NORMAL)->pcp_batch), cases[i].batch);
		bz_system_destroy(sys);
	}
}

/* The vmstat threshold stops at 125 (many CPUs, a big zone). */
static void test_stat_threshold_cap(void **state)
{
	bz_system *sys = make("0:Normal=4194304", 64, BZ_DEFAULT, BZ_DEFAULT);

	(void)state;
	/* 2 * fls(64) * (1 + fls(128)) = 2 * 7 * 9 = 126 */
	assert_int_equal(zone(sys, 0, BZ_ZONE_NORMAL)->stat_threshold, 125);
	bz_system_destroy(sys);
}

/* ---- __zone_watermark_ok and zone_watermark_fast ---------------------------------------- */

struct free_state {
	struct bz_free_area area[BZ_NR_PAGE_ORDERS];
	unsigned long deferred_pfn, deferred_end;
};

/* Empties a zone's free lists for a test (saved in *save), lock held by caller. */
static void hide_free_blocks(struct bz_zone *z, struct free_state *save)
{
	memcpy(save->area, z->free_area, sizeof(save->area));
	save->deferred_pfn = z->deferred_pfn;
	save->deferred_end = z->deferred_end;
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
		z->free_area[o].nr_free = 0;
		for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
			z->free_area[o].free_list[mt].first = z->free_area[o].free_list[mt].last = BZ_NIL;
	}
	z->deferred_pfn = z->deferred_end = 0;
}

static void restore_free_blocks(struct bz_zone *z, const struct free_state *save)
{
	memcpy(z->free_area, save->area, sizeof(save->area));
	z->deferred_pfn = save->deferred_pfn;
	z->deferred_end = save->deferred_end;
}

/*
 * Order 0, mark 1000, no reserve: each ALLOC_ flag combination's bar.
 * __GFP_HIGH halves min (500); non-blocking __GFP_HIGH (GFP_ATOMIC) takes a
 * further quarter (375).  (No ALLOC_OOM: there are no OOM victims.)  NON_BLOCK alone or
 * HIGHATOMIC alone do not lower the bar, but they skip the highatomic
 * reserve, as every ALLOC_RESERVES flag does.
 */
static void test_watermark_ok_reserve_flags(void **state)
{
	static const struct { unsigned flags; long bar; } cases[] = {
		{ 0, 1000 + 512 },
		{ ALLOC_MIN_RESERVE, 500 },
		{ ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK, 375 },
		{ ALLOC_NON_BLOCK, 1000 },
		{ ALLOC_HIGHATOMIC, 1000 },
		{ ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK | ALLOC_HIGHATOMIC, 375 },
		{ ALLOC_WMARK_LOW, 1000 + 512 },
	};
	bz_system *sys = make("0:Normal=262144", 2, BZ_DEFAULT, BZ_DEFAULT);
	struct bz_zone *z = zone(sys, 0, BZ_ZONE_NORMAL);

	(void)state;
	atomic_store(&z->nr_reserved_highatomic, PAGEBLOCK_NR_PAGES);
	for (size_t i = 0; i < BZ_ARRAY_SIZE(cases); i++) {
		long bar = cases[i].bar;
		unsigned f = cases[i].flags;

		assert_false(bz__zone_watermark_ok(z, 0, 1000, BZ_ZONE_NORMAL, f, bar));
		assert_true(bz__zone_watermark_ok(z, 0, 1000, BZ_ZONE_NORMAL, f, bar + 1));
	}
	/* the tail of the block: an order-3 request needs 7 pages more */
	assert_false(bz__zone_watermark_ok(z, 3, 1000, BZ_ZONE_NORMAL, ALLOC_MIN_RESERVE, 507));
	assert_true(bz__zone_watermark_ok(z, 3, 1000, BZ_ZONE_NORMAL, ALLOC_MIN_RESERVE, 508));
	/* free_pages may be negative */
	assert_false(bz__zone_watermark_ok(z, 0, 0, BZ_ZONE_NORMAL, ALLOC_MIN_RESERVE, -5));
	atomic_store(&z->nr_reserved_highatomic, 0);
	bz_system_destroy(sys);
}

/* The lowmem reserve of the request's highest zone is added to the mark. */
static void test_watermark_ok_lowmem_reserve(void **state)
{
	bz_system *sys = make("0:DMA=3840,0:DMA32=772918,0:Normal=327680", 2, 67584, BZ_DEFAULT);
	struct bz_zone *dma = zone(sys, 0, BZ_ZONE_DMA);
	unsigned long min = wmark(dma, WMARK_MIN);	/* 58 */

	(void)state;
	assert_int_equal(min, 58);
	assert_true(bz__zone_watermark_ok(dma, 0, min, BZ_ZONE_DMA, 0, 59));
	assert_false(bz__zone_watermark_ok(dma, 0, min, BZ_ZONE_DMA32, 0, 3000));
	assert_true(bz__zone_watermark_ok(dma, 0, min, BZ_ZONE_DMA32, 0, 58 + 3019 + 1));
	assert_false(bz__zone_watermark_ok(dma, 0, min, BZ_ZONE_NORMAL, 0, 58 + 4299));
	assert_true(bz__zone_watermark_ok(dma, 0, min, BZ_ZONE_NORMAL, 0, 58 + 4299 + 1));
	/* reserves hold for GFP_ATOMIC too: only the min part shrinks */
	assert_false(bz__zone_watermark_ok(dma, 0, min, BZ_ZONE_NORMAL,
					   ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK, 4299 + 22));
	assert_true(bz__zone_watermark_ok(dma, 0, min, BZ_ZONE_NORMAL,
					  ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK, 4299 + 23));
	bz_system_destroy(sys);
}

/*
 * Order > 0 needs a free block of that order or larger: of a pcp type, or
 * HIGHATOMIC for ALLOC_HIGHATOMIC / ALLOC_OOM.  A fresh zone, its memory
 * still deferred, has max-order MOVABLE blocks.
 */
static void test_watermark_ok_high_order_blocks(void **state)
{
	bz_system *sys = make("0:Normal=262144", 2, BZ_DEFAULT, BZ_DEFAULT);
	struct bz_zone *z = zone(sys, 0, BZ_ZONE_NORMAL);
	struct free_state save;
	long plenty = 100000;

	(void)state;
	assert_true(bz__zone_watermark_ok(z, BZ_MAX_ORDER, 1000, BZ_ZONE_NORMAL, 0, plenty));

	bz__zone_lock(z);
	hide_free_blocks(z, &save);
	assert_false(bz__zone_watermark_ok(z, 1, 1000, BZ_ZONE_NORMAL, 0, plenty));
	assert_true(bz__zone_watermark_ok(z, 0, 1000, BZ_ZONE_NORMAL, 0, plenty));

	z->free_area[5].nr_free = 1;
	z->free_area[5].free_list[BZ_MIGRATE_HIGHATOMIC].first = (uint32_t)z->zone_start_pfn;
	assert_false(bz__zone_watermark_ok(z, 3, 1000, BZ_ZONE_NORMAL, 0, plenty));
	assert_false(bz__zone_watermark_ok(z, 3, 1000, BZ_ZONE_NORMAL, ALLOC_MIN_RESERVE, plenty));
	assert_true(bz__zone_watermark_ok(z, 3, 1000, BZ_ZONE_NORMAL, ALLOC_HIGHATOMIC, plenty));
	assert_true(bz__zone_watermark_ok(z, 5, 1000, BZ_ZONE_NORMAL, ALLOC_HIGHATOMIC, plenty));
	assert_false(bz__zone_watermark_ok(z, 6, 1000, BZ_ZONE_NORMAL, ALLOC_HIGHATOMIC, plenty));

	for (int mt = 0; mt < BZ_MIGRATE_PCPTYPES; mt++) {
		z->free_area[5].free_list[BZ_MIGRATE_HIGHATOMIC].first = BZ_NIL;
		z->free_area[5].free_list[mt].first = (uint32_t)z->zone_start_pfn;
		assert_true(bz__zone_watermark_ok(z, 3, 1000, BZ_ZONE_NORMAL, 0, plenty));
		assert_false(bz__zone_watermark_ok(z, 3, 1000, BZ_ZONE_NORMAL, 0, 1000 + 7));
		z->free_area[5].free_list[mt].first = BZ_NIL;
	}
	/* a list head with nr_free 0 is not looked at (the kernel's shortcut) */
	z->free_area[5].nr_free = 0;
	z->free_area[5].free_list[BZ_MIGRATE_MOVABLE].first = (uint32_t)z->zone_start_pfn;
	assert_false(bz__zone_watermark_ok(z, 3, 1000, BZ_ZONE_NORMAL, 0, plenty));
	z->free_area[5].free_list[BZ_MIGRATE_MOVABLE].first = BZ_NIL;

	restore_free_blocks(z, &save);
	bz__zone_unlock(z);
	bz_system_destroy(sys);
}

/* Sets NR_FREE_PAGES (the test's thread is the only one using the system). */
static void set_free(struct bz_zone *z, long pages)
{
	zone_stat_add(z, NR_FREE_PAGES, pages - atomic_load(&z->vm_stat[NR_FREE_PAGES]));
}

/*
 * zone_watermark_fast(): the same verdicts as __zone_watermark_ok on
 * NR_FREE_PAGES, and __GFP_HIGH order-0 requests at the min watermark
 * ignore the boost.
 */
static void test_watermark_fast(void **state)
{
	bz_system *sys = make("0:Normal=262144", 2, BZ_DEFAULT, BZ_DEFAULT);
	struct bz_zone *z = zone(sys, 0, BZ_ZONE_NORMAL);
	unsigned long min = wmark(z, WMARK_MIN), boost = 2048;
	long orig = atomic_load(&z->vm_stat[NR_FREE_PAGES]);

	(void)state;
	set_free(z, (long)min + 1);
	assert_true(bz__zone_watermark_fast(z, 0, min, BZ_ZONE_NORMAL, ALLOC_WMARK_MIN));
	set_free(z, (long)min);
	assert_false(bz__zone_watermark_fast(z, 0, min, BZ_ZONE_NORMAL, ALLOC_WMARK_MIN));
	assert_true(bz__zone_watermark_fast(z, 0, min, BZ_ZONE_NORMAL,
					    ALLOC_WMARK_MIN | ALLOC_MIN_RESERVE));

	atomic_store(&z->watermark_boost, boost);
	set_free(z, (long)min + 100);	/* above min, below min + boost */
	assert_false(bz__zone_watermark_fast(z, 0, wmark_pages(z, WMARK_MIN), BZ_ZONE_NORMAL,
					     ALLOC_WMARK_MIN));
	assert_true(bz__zone_watermark_fast(z, 0, wmark_pages(z, WMARK_MIN), BZ_ZONE_NORMAL,
					    ALLOC_WMARK_MIN | ALLOC_MIN_RESERVE));
	/* not for the low watermark, nor for order > 0 */
	assert_false(bz__zone_watermark_fast(z, 0, wmark_pages(z, WMARK_LOW), BZ_ZONE_NORMAL,
					     ALLOC_WMARK_LOW | ALLOC_MIN_RESERVE));
	assert_false(bz__zone_watermark_fast(z, 1, wmark_pages(z, WMARK_MIN), BZ_ZONE_NORMAL,
					     ALLOC_WMARK_MIN | ALLOC_MIN_RESERVE));
	/* the order-0 shortcut clamps usable free at 0 before comparing */
	atomic_store(&z->nr_reserved_highatomic, 1000000);
	assert_false(bz__zone_watermark_fast(z, 0, 0, BZ_ZONE_NORMAL, ALLOC_WMARK_MIN));
	atomic_store(&z->nr_reserved_highatomic, 0);
	atomic_store(&z->watermark_boost, 0);
	set_free(z, orig);
	bz_system_destroy(sys);
}

/* ---- boost_watermark -------------------------------------------------------------------- */

/*
 * Each steal adds a pageblock, up to watermark_boost_factor / 10000 of the
 * high watermark (at least a pageblock).  Factor 0, or a zone under four
 * pageblocks: no boost.
 */
static void test_boost_watermark(void **state)
{
	bz_system *sys = make("0:DMA=1536,0:Normal=262144", 2, BZ_DEFAULT, BZ_DEFAULT);
	struct bz_zone *z = zone(sys, 0, BZ_ZONE_NORMAL), *small = zone(sys, 0, BZ_ZONE_DMA);
	unsigned long high = wmark(z, WMARK_HIGH);
	unsigned long max_boost = BZ_MAX(high * 15000 / 10000, PAGEBLOCK_NR_PAGES);
	unsigned long expect_boost = 0;

	(void)state;
	bz__zone_lock(z);
	for (int i = 0; i < 20; i++) {
		assert_true(bz__boost_watermark_locked(z));
		expect_boost = BZ_MIN(expect_boost + PAGEBLOCK_NR_PAGES, max_boost);
		assert_int_equal(atomic_load(&z->watermark_boost), expect_boost);
	}
	/* min_free_kbytes 4107 (DMA + Normal), min 1026 * 262144 / 263680 = 1020, gap 262 */
	assert_int_equal(high, 1020 + 2 * 262);
	assert_int_equal(expect_boost, max_boost);
	assert_int_equal(wmark_pages(z, WMARK_HIGH), high + max_boost);
	bz__zone_unlock(z);

	bz__zone_lock(small);
	assert_false(bz__boost_watermark_locked(small));	/* 1536 < 4 * 512 */
	assert_int_equal(atomic_load(&small->watermark_boost), 0);
	bz__zone_unlock(small);

	assert_int_equal(bz_sysctl_set(sys, "watermark_boost_factor", "0"), 0);
	assert_int_equal(bz_sysctl_set(sys, "watermark_scale_factor", "10"), 0); /* boost to 0 */
	bz__zone_lock(z);
	assert_false(bz__boost_watermark_locked(z));
	assert_int_equal(atomic_load(&z->watermark_boost), 0);
	bz__zone_unlock(z);

	/* a factor giving less than a page: as uninitialised watermarks, no boost */
	assert_int_equal(bz_sysctl_set(sys, "watermark_boost_factor", "1"), 0);
	bz__zone_lock(z);
	assert_false(bz__boost_watermark_locked(z));	/* 1544 * 1 / 10000 = 0 */
	bz__zone_unlock(z);
	/* a small one: the pageblock floor */
	assert_int_equal(bz_sysctl_set(sys, "watermark_boost_factor", "10"), 0);
	bz__zone_lock(z);
	assert_true(bz__boost_watermark_locked(z));
	assert_true(bz__boost_watermark_locked(z));
	assert_int_equal(atomic_load(&z->watermark_boost), PAGEBLOCK_NR_PAGES);
	bz__zone_unlock(z);
	bz_system_destroy(sys);
}

/* ---- khugepaged's min_free_kbytes (set_recommended_min_free_kbytes) ------------------ */

/* This machine (tests/data/trace-6.18/before/proc/zoneinfo), THP enabled=madvise. */
#define THP_MACHINE "0:DMA=3840/3998/4095@1,0:DMA32=772847/782336/1044480@4096," \
		    "0:Normal=720896/5505024/5505024@1048576,0:cpus=2"

static bz_system *make_thp(const char *zones, int thp, long min_free_kbytes)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = zones;
	cfg.topology = TOPOLOGY;
	cfg.transparent_hugepage = thp;
	cfg.min_free_kbytes = min_free_kbytes;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	return sys;
}

/* 3 zones up to NORMAL * 512 * (2 + 3 * 3) pages = 67584 kB: the kernel's numbers exactly. */
static void test_khugepaged_this_machine(void **state)
{
	static const unsigned long want[3][4] = {
		{ 43, 53, 63, 73 }, { 8719, 10898, 13077, 15256 }, { 8133, 10166, 12199, 14232 },
	};
	bz_system *sys = make_thp(THP_MACHINE, BZ_THP_MADVISE, BZ_DEFAULT);
	char buf[64];

	(void)state;
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), 67584);
	for (int zid = 0; zid < 3; zid++)
		for (int w = 0; w < NR_WMARK; w++)
			assert_int_equal(wmark(zone(sys, 0, zid), (enum bz_wmark)w), want[zid][w]);
	assert_int_equal(reserve(zone(sys, 0, BZ_ZONE_DMA), BZ_ZONE_NORMAL), 5834);
	assert_int_equal(reserve(zone(sys, 0, BZ_ZONE_DMA32), BZ_ZONE_NORMAL), 2816);
	assert_int_equal(atomic_load(&zone(sys, 0, BZ_ZONE_DMA32)->pcp_high_min), 5449);
	assert_int_equal(atomic_load(&zone(sys, 0, BZ_ZONE_NORMAL)->pcp_high_max), 45056);
	assert_int_equal(bz_sysctl_get(sys, "transparent_hugepage", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "always [madvise] never");
	/* Turning THP off is calculate_min_free_kbytes() again (sqrt(lowmem * 16) above the high marks). */
	assert_int_equal(bz_sysctl_set(sys, "transparent_hugepage", "never"), 0);
	assert_true(sysctl_int(sys, "min_free_kbytes") < 67584 / 4);
	assert_int_equal(bz_sysctl_set(sys, "transparent_hugepage", "always"), 0);
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), 67584);
	assert_int_equal(bz_sysctl_set(sys, "transparent_hugepage", "sometimes"), -EINVAL);
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), 67584);
	bz_system_destroy(sys);
}

/* Off by default: the model keeps calculate_min_free_kbytes()'s value. */
static void test_khugepaged_off_by_default(void **state)
{
	bz_system *sys = make_thp(THP_MACHINE, BZ_DEFAULT, BZ_DEFAULT);
	char buf[64];

	(void)state;
	assert_true(sysctl_int(sys, "min_free_kbytes") < 67584 / 4);
	assert_int_equal(bz_sysctl_get(sys, "transparent_hugepage", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "always madvise [never]");
	bz_system_destroy(sys);
}

/* A user's smaller value is raised too; on a small machine the cap is 5% of lowmem. */
static void test_khugepaged_user_value_and_cap(void **state)
{
	bz_system *sys = make_thp(THP_MACHINE, BZ_THP_ALWAYS, 4096);
	struct bz_zone *z;
	unsigned long lowmem = 0;

	(void)state;
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), 67584);
	/* A user's write afterwards wins, as in the kernel until the next recomputation. */
	assert_int_equal(bz_sysctl_set(sys, "min_free_kbytes", "8192"), 0);
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), 8192);
	bz_system_destroy(sys);

	sys = make_thp("0:Normal=65536", BZ_THP_MADVISE, BZ_DEFAULT);
	z = zone(sys, 0, BZ_ZONE_NORMAL);
	/* nr_free_buffer_pages() / 20 against the high mark set from calculate_min_free_kbytes(). */
	assert_int_equal(bz_sysctl_set(sys, "transparent_hugepage", "never"), 0);
	lowmem = z->managed_pages - wmark(z, WMARK_HIGH);
	assert_int_equal(bz_sysctl_set(sys, "transparent_hugepage", "madvise"), 0);
	assert_int_equal(sysctl_int(sys, "min_free_kbytes"), (int)(lowmem / 20 * 4));
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zoneinfo_thismachine_6_18),
		cmocka_unit_test(test_zoneinfo_thismachine_6_18_earlier),
		cmocka_unit_test(test_zoneinfo_seed004_phone),
		cmocka_unit_test(test_zoneinfo_joonsoo_2node),
		cmocka_unit_test(test_zoneinfo_kravetz_2node_6_6),
		cmocka_unit_test(test_min_free_kbytes_kernel_table),
		cmocka_unit_test(test_min_free_kbytes_counts_lowmem_of_all_nodes),
		cmocka_unit_test(test_min_free_kbytes_clamps),
		cmocka_unit_test(test_min_free_kbytes_user_value),
		cmocka_unit_test(test_min_free_kbytes_recomputed_above_high_wmarks),
		cmocka_unit_test(test_wmark_movable_capped_spacing_proportional),
		cmocka_unit_test(test_wmark_movable_floor),
		cmocka_unit_test(test_lowmem_reserve_custom_ratios),
		cmocka_unit_test(test_recompute_resets_boost),
		cmocka_unit_test(test_pcp_high_memory_only_node),
		cmocka_unit_test(test_pcp_high_fraction),
		cmocka_unit_test(test_pcp_batch_sizes),
		cmocka_unit_test(test_stat_threshold_cap),
		cmocka_unit_test(test_watermark_ok_reserve_flags),
		cmocka_unit_test(test_watermark_ok_lowmem_reserve),
		cmocka_unit_test(test_watermark_ok_high_order_blocks),
		cmocka_unit_test(test_watermark_fast),
		cmocka_unit_test(test_boost_watermark),
		cmocka_unit_test(test_khugepaged_this_machine),
		cmocka_unit_test(test_khugepaged_off_by_default),
		cmocka_unit_test(test_khugepaged_user_value_and_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
