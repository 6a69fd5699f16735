/* SPDX-License-Identifier: MIT */
/*
 * fuzz_api.c - libFuzzer harness: each input is a fresh small system (its
 * layout and debug options from the first byte) and a sequence of API
 * calls decoded from the rest: allocations of any order and any gfp bits
 * (invalid ones too), frees of live blocks, frees that must be refused
 * (wrong order, double, stale, garbage pointers and addresses, pages never
 * handed out), sysctl writes with random names and values, fault-injection
 * specs, drains, reports.  After every call bz_check must pass; at the end
 * every page must come home.  A broken expectation aborts: libFuzzer keeps
 * the input.  Build: cmake -DBZ_BUILD_FUZZ=ON with clang (tests/fuzz/).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <buddyzone/buddyzone.h>

#define MAX_LIVE  128
#define MAX_STALE 16

struct input {
	const uint8_t *p;
	size_t n;
};

struct block {
	bz_page *page;
	unsigned order;
};

struct state {
	bz_system *sys;
	struct block live[MAX_LIVE];
	int nr_live;
	struct block stale[MAX_STALE];  /* freed lately: freeing again must be refused */
	int nr_stale;
	unsigned memalloc;
	bool memalloc_on;
};

static FILE *devnull;

static uint8_t u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint32_t u32(struct input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | u8(in);
	return v;
}

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "fuzz_api: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                         \
		}                                                                        \
	} while (0)

/* Corruption reports and failed checks of debug mode are findings. */
static void on_log(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	if (!strncmp(msg, "pagealloc:", 10) || !strncmp(msg, "debug: bz_check failed", 22)) {
		fprintf(stderr, "fuzz_api: %s\n", msg);
		abort();
	}
}

/* ---- the system --------------------------------------------------------------- */

static const char *const layouts[] = {
	"0:DMA=4096,0:DMA32=8192,0:Normal=8192",
	"0:Normal=4096",
	"0:DMA32=4096,0:Normal=4096,1:Normal=4096",
	"0:Normal=6144,0:Movable=2048,1:Normal=2048,1:Movable=2048",
	"0:DMA=1000,0:DMA32=3000,0:Normal=5000",   /* zone sizes not multiples of a max-order block */
};

static const unsigned debug_modes[] = {
	0, 0, 0, BZ_DEBUG_POISON, BZ_DEBUG_INIT_ON_FREE, BZ_DEBUG_INIT_ON_ALLOC, BZ_DEBUG_CHECK,
	BZ_DEBUG_GUARD | BZ_DEBUG_POISON,
};

static bz_system *make_system(uint8_t choice)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = layouts[choice % (sizeof(layouts) / sizeof(layouts[0]))];
	cfg.topology = "synthetic:node:2 core:2 pu:1";
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.debug = debug_modes[(choice >> 4) % (sizeof(debug_modes) / sizeof(debug_modes[0]))];
	cfg.debug_check_interval = 7;
	cfg.fail_page_alloc = "";
	cfg.log = on_log;
	CHECK(bz_system_create(&cfg, &sys) == 0);
	return sys;
}

static bool is_live(const struct state *st, const bz_page *page, unsigned order, int *idx)
{
	for (int i = 0; i < st->nr_live; i++)
		if (st->live[i].page == page && (order == ~0u || st->live[i].order == order)) {
			if (idx)
				*idx = i;
			return true;
		}
	return false;
}

/* ---- the operations ---------------------------------------------------------------- */

static const bz_gfp_t gfps[] = {
	BZ_GFP_KERNEL, BZ_GFP_ATOMIC, BZ_GFP_NOWAIT, BZ_GFP_USER, BZ_GFP_HIGHUSER_MOVABLE,
	BZ_GFP_KERNEL | BZ_GFP_DMA, BZ_GFP_KERNEL | BZ_GFP_DMA32, BZ_GFP_KERNEL | BZ_GFP_ZERO,
	BZ_GFP_KERNEL | BZ_GFP_THISNODE, BZ_GFP_ATOMIC | BZ_GFP_MEMALLOC, BZ_GFP_KERNEL | BZ_GFP_NOMEMALLOC,
	BZ_GFP_KERNEL | BZ_GFP_RECLAIMABLE, BZ_GFP_KERNEL | BZ_GFP_HIGH | BZ_GFP_NORETRY,
	BZ_GFP_KERNEL | BZ_GFP_RETRY_MAYFAIL | BZ_GFP_MOVABLE, BZ_GFP_NOWAIT | BZ_GFP_NOFAIL,
	BZ_GFP_KERNEL | BZ_GFP_COMP,
};

static void check_zeroed(const bz_page *page, unsigned order)
{
	const unsigned char *a = bz_page_address(page);

	if (order > 4)
		return;
	for (size_t i = 0; i < (BZ_PAGE_SIZE << order); i++)
		CHECK(a[i] == 0);
}

static void op_alloc(struct state *st, struct input *in, bool node)
{
	uint8_t how = u8(in);
	unsigned order = u8(in) % (BZ_MAX_ORDER + 3);
	bz_gfp_t gfp = how & 0x80 ? u32(in) : gfps[how % (sizeof(gfps) / sizeof(gfps[0]))];
	int nid = node ? (int)(int8_t)u8(in) % 4 : -1;
	bz_page *page;
	unsigned char *a;

	/* NOFAIL that may wait would wait forever for memory this harness holds. */
	if ((gfp & BZ_GFP_NOFAIL) && (gfp & BZ_GFP_DIRECT_RECLAIM))
		gfp &= ~BZ_GFP_NOFAIL;
	page = node ? bz_alloc_pages_node(st->sys, nid, gfp, order) : bz_alloc_pages(st->sys, gfp, order);
	if (!page)
		return;
	CHECK(order <= BZ_MAX_ORDER && !is_live(st, page, ~0u, NULL));
	if ((gfp & BZ_GFP_ZERO) && !(how & 0x80))
		check_zeroed(page, order);
	a = bz_page_address(page);
	CHECK(a && bz_virt_to_page(a) == page);
	a[0] = how;
	a[(BZ_PAGE_SIZE << order) - 1] = how;
	if (st->nr_live == MAX_LIVE) {
		CHECK(bz_free_pages(page, order) == 0);
		return;
	}
	st->live[st->nr_live++] = (struct block){ page, order };
}

static void forget(struct state *st, int i)
{
	st->stale[st->nr_stale++ % MAX_STALE] = st->live[i];
	st->live[i] = st->live[--st->nr_live];
}

static void op_free(struct state *st, struct input *in)
{
	uint8_t how = u8(in);
	int i;

	if (!st->nr_live)
		return;
	i = u8(in) % st->nr_live;
	if (how % 3 == 0) /* by address */
		CHECK(bz_free_pages_addr(bz_page_address(st->live[i].page), st->live[i].order) == 0);
	else
		CHECK(bz_free_pages(st->live[i].page, st->live[i].order) == 0);
	forget(st, i);
}

/* Refused, and nothing changes (bz_check after every step). */
static void op_bad_free(struct state *st, struct input *in)
{
	uint8_t kind = u8(in) % 6;
	unsigned order = u8(in) % (BZ_MAX_ORDER + 3);
	long off = (int16_t)(u8(in) << 8 | u8(in));
	struct block *b = st->nr_live ? &st->live[u8(in) % st->nr_live] : NULL;
	bz_page *page = NULL;
	char *addr;

	switch (kind) {
	case 0: /* wrong order */
		if (!b || order == b->order)
			return;
		CHECK(bz_free_pages(b->page, order) == -22);
		return;
	case 1: /* a block freed already (unless it was handed out again) */
		if (!st->nr_stale)
			return;
		page = st->stale[u8(in) % (st->nr_stale < MAX_STALE ? st->nr_stale : MAX_STALE)].page;
		break;
	case 2: /* a page pointer near a live one, aligned or not */
		if (!b)
			return;
		page = (bz_page *)((char *)b->page + off);
		break;
	case 3: /* any pfn */
		page = bz_pfn_to_page(st->sys, u32(in) % 20000000u);
		if (!page)
			return;
		break;
	case 4: /* any value */
		page = (bz_page *)(uintptr_t)((uint64_t)u32(in) << 32 | u32(in));
		break;
	case 5: /* an address near a live block */
		if (!b)
			return;
		addr = (char *)bz_page_address(b->page) + off * 64;
		page = bz_virt_to_page(addr);
		if (((uintptr_t)addr & (BZ_PAGE_SIZE - 1)) == 0 && page && is_live(st, page, order, NULL))
			return;
		CHECK(bz_free_pages_addr(addr, order) == -22);
		return;
	}
	if (is_live(st, page, order, NULL))
		return;
	CHECK(bz_free_pages(page, order) == -22);
}

static const char *const sysctl_names[] = {
	"min_free_kbytes", "watermark_scale_factor", "watermark_boost_factor", "lowmem_reserve_ratio",
	"percpu_pagelist_high_fraction", "numa_zonelist_order", "zone_reclaim_mode", "", "nosuch",
};

/* A string from the input: up to 24 bytes, any of them. */
static void take_string(struct input *in, char *buf, size_t size)
{
	size_t len = u8(in) % 25;

	if (len >= size)
		len = size - 1;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)u8(in);
	buf[len] = '\0';
}

static void op_sysctl(struct state *st, struct input *in)
{
	uint8_t how = u8(in);
	const char *name = sysctl_names[how % (sizeof(sysctl_names) / sizeof(sysctl_names[0]))];
	char value[64], got[128], junk[32];
	int ret;

	switch ((how >> 4) % 4) {
	case 0:
		snprintf(value, sizeof(value), "%d", (int32_t)u32(in));
		break;
	case 1:
		snprintf(value, sizeof(value), "%u", u8(in) * 37u);
		break;
	case 2:
		snprintf(value, sizeof(value), "%d %d %d %d %d", u8(in), u8(in), (int8_t)u8(in), u8(in), u8(in));
		break;
	default:
		take_string(in, value, sizeof(value));
	}
	if (how & 0x40) {
		take_string(in, junk, sizeof(junk));
		name = junk;
	}
	ret = bz_sysctl_set(st->sys, name, value);
	CHECK(ret == 0 || ret == -22);
	ret = bz_sysctl_get(st->sys, name, got, sizeof(got));
	CHECK(ret == 0 || ret == -22);
}

static void op_fault_inject(struct state *st, struct input *in)
{
	uint8_t how = u8(in);
	char spec[128];
	int ret;

	if (how & 1)
		snprintf(spec, sizeof(spec), "probability=%u,interval=%u,times=%d,space=%u,min-order=%u,"
			 "ignore-gfp-wait=%u,ignore-gfp-highmem=%u,verbose=%u,seed=%u", u8(in) % 101, u8(in) % 5 + 1,
			 (int)(int8_t)u8(in) % 8, u8(in) % 16, u8(in) % 4, u8(in) & 1, u8(in) & 1, u8(in) % 3,
			 u8(in) + 1u);
	else
		take_string(in, spec, sizeof(spec));
	ret = bz_fault_inject_set(st->sys, spec);
	CHECK(ret == 0 || ret == -22);
}

static void op_misc(struct state *st, struct input *in)
{
	struct bz_zone_stats zs = { .size = sizeof(zs) };

	switch (u8(in) % 6) {
	case 0:
		CHECK(bz_drain_all_pages(st->sys) == 0);
		break;
	case 1:
		if (st->memalloc_on)
			bz_memalloc_restore(st->memalloc);
		else
			st->memalloc = bz_memalloc_save();
		st->memalloc_on = !st->memalloc_on;
		break;
	case 2:
		CHECK(bz_write_zoneinfo(st->sys, devnull) == 0);
		CHECK(bz_write_buddyinfo(st->sys, devnull) == 0);
		break;
	case 3:
		CHECK(bz_write_vmstat(st->sys, devnull) == 0);
		CHECK(bz_write_json(st->sys, devnull) == 0);
		break;
	case 4: {
		int nid = (int8_t)u8(in), zid = (int8_t)u8(in);
		int ret = bz_zone_stats(st->sys, nid % 4, zid % 7, &zs);

		CHECK(ret == 0 || ret == -22);
		break;
	}
	default:
		CHECK(bz_pfn_to_page(st->sys, ~0ul) == NULL);
		CHECK(bz_page_to_pfn((bz_page *)devnull) == (unsigned long)-1);
		CHECK(bz_virt_to_page(devnull) == NULL);
	}
}

/* ---- one input ------------------------------------------------------------------------- */

/* Everything back: frees, drains, and every zone's pages are free again. */
static void finish(struct state *st)
{
	unsigned long managed = 0, free = 0;

	if (st->memalloc_on)
		bz_memalloc_restore(st->memalloc);
	while (st->nr_live) {
		struct block *b = &st->live[--st->nr_live];

		CHECK(bz_free_pages(b->page, b->order) == 0);
	}
	CHECK(bz_drain_all_pages(st->sys) == 0);
	CHECK(bz_check(st->sys) == 0);
	for (int nid = 0; nid < bz_nr_nodes(st->sys); nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone_stats zs = { .size = sizeof(zs) };

			CHECK(bz_zone_stats(st->sys, nid, zid, &zs) == 0);
			managed += zs.managed;
			free += zs.free + zs.cached;
		}
	CHECK(free == managed);
	bz_system_destroy(st->sys);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* hwloc's plugins are dlopen()ed at every topology load: 10 ms a system without this. */
	setenv("HWLOC_PLUGINS_PATH", "/nonexistent", 0);
	unsetenv("BUDDYZONE_DEBUG");
	unsetenv("BUDDYZONE_FAIL_PAGE_ALLOC");
	devnull = fopen("/dev/null", "w");
	return devnull ? 0 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct state st = { 0 };

	if (size < 1 || size > 4096)
		return -1;
	st.sys = make_system(u8(&in));
	while (in.n) {
		switch (u8(&in) % 8) {
		case 0:
		case 1:
			op_alloc(&st, &in, false);
			break;
		case 2:
			op_alloc(&st, &in, true);
			break;
		case 3:
			op_free(&st, &in);
			break;
		case 4:
			op_bad_free(&st, &in);
			break;
		case 5:
			op_sysctl(&st, &in);
			break;
		case 6:
			op_fault_inject(&st, &in);
			break;
		default:
			op_misc(&st, &in);
		}
		CHECK(bz_check(st.sys) == 0);
	}
	finish(&st);
	return 0;
}
