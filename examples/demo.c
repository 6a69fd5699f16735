/* SPDX-License-Identifier: MIT */
/*
 * demo.c - a tour of libbuddyzone in one run.
 *
 * Builds a small machine (one node: DMA, DMA32 and Normal zones), prints its
 * /proc/buddyinfo, allocates blocks of several orders with different gfp
 * flags (zone modifiers, migratetypes, __GFP_ZERO), writes to every page,
 * prints buddyinfo again and each zone's watermarks and reserves, frees
 * everything, drains the per-thread page cache and checks that buddyinfo is
 * back where it started, and lets bz_check walk the invariants.  Exits 0
 * only if all of it worked.
 */
#include <buddyzone/buddyzone.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 15 MiB of DMA, 240 MiB of DMA32, 256 MiB of Normal. */
#define DEMO_ZONES "0:DMA=3840,0:DMA32=61440,0:Normal=65536"

static const char *const zone_names[BZ_MAX_NR_ZONES] = {
	"DMA", "DMA32", "Normal", "Movable", "Device"
};

struct request {
	const char *what;
	bz_gfp_t gfp;
	unsigned order;
	int max_zone;           /* the highest zone the flags allow */
	bz_page *page;
};

/* The library's messages (arena setup, allocation failures), debug excepted. */
static void log_to_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= BZ_LOG_INFO)
		fprintf(stderr, "[buddyzone] %s\n", msg);
}

/* Fills a block with a pattern derived from its address, then reads it back. */
static int write_and_verify(void *addr, unsigned order)
{
	size_t words = (BZ_PAGE_SIZE << order) / sizeof(uint64_t);
	uint64_t *w = addr, seed = (uint64_t)(uintptr_t)addr;

	for (size_t i = 0; i < words; i++)
		w[i] = seed ^ i;
	for (size_t i = 0; i < words; i++)
		if (w[i] != (seed ^ i))
			return -1;
	return 0;
}

static int is_zeroed(const void *addr, unsigned order)
{
	const unsigned char *p = addr;

	for (size_t i = 0; i < (BZ_PAGE_SIZE << order); i++)
		if (p[i])
			return 0;
	return 1;
}

static int allocate(bz_system *sys, struct request *rq)
{
	char flags[160];
	void *addr;
	int zone;

	bz_gfp_format(rq->gfp, flags, sizeof(flags));
	rq->page = bz_alloc_pages(sys, rq->gfp, rq->order);
	if (!rq->page) {
		fprintf(stderr, "demo: %s: order-%u %s allocation failed\n", rq->what, rq->order, flags);
		return -1;
	}
	addr = bz_page_address(rq->page);
	zone = bz_page_zonenum(rq->page);
	printf("  %-22s order %-2u %-34s pfn %#8lx  zone %-6s  %p\n", rq->what, rq->order, flags,
	       bz_page_to_pfn(rq->page), zone >= 0 ? zone_names[zone] : "?", addr);
	if (zone < 0 || zone > rq->max_zone) {
		fprintf(stderr, "demo: %s: came from zone %d, above zone %d\n", rq->what, zone,
			rq->max_zone);
		return -1;
	}
	if ((rq->gfp & BZ_GFP_ZERO) && !is_zeroed(addr, rq->order)) {
		fprintf(stderr, "demo: %s: __GFP_ZERO block is not zeroed\n", rq->what);
		return -1;
	}
	if (bz_virt_to_page(addr) != rq->page || write_and_verify(addr, rq->order)) {
		fprintf(stderr, "demo: %s: address/page round trip or write failed\n", rq->what);
		return -1;
	}
	return 0;
}

/* One zone's sizes and the watermarks __setup_per_zone_wmarks gave it. */
/* The system's /proc/buddyinfo as a string (free() it); NULL on failure. */
static char *buddyinfo_text(bz_system *sys)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	if (bz_write_buddyinfo(sys, f) != 0) {
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	return text;
}

static int show_zone(bz_system *sys, int zid)
{
	struct bz_zone_stats st = { .size = sizeof(st) };
	int err = bz_zone_stats(sys, 0, zid, &st);

	if (err) {
		fprintf(stderr, "demo: bz_zone_stats: %s\n", bz_strerror(err));
		return -1;
	}
	printf("  %-6s  managed %6lu  free %6lu  cached %4lu  allocated %5lu  min %4lu  low %4lu"
	       "  high %4lu  protection (%lu, %lu, %lu, %lu, %lu)\n", zone_names[zid], st.managed,
	       st.free, st.cached, st.allocated, st.wmark_min, st.wmark_low, st.wmark_high, st.lowmem_reserve[0],
	       st.lowmem_reserve[1], st.lowmem_reserve[2], st.lowmem_reserve[3],
	       st.lowmem_reserve[4]);
	return 0;
}

int main(void)
{
	struct request rq[] = {
		{ "small object", BZ_GFP_KERNEL, 0, BZ_ZONE_NORMAL, NULL },
		{ "zeroed buffer", BZ_GFP_KERNEL | BZ_GFP_ZERO, 3, BZ_ZONE_NORMAL, NULL },
		{ "huge page (THP size)", BZ_GFP_HIGHUSER_MOVABLE, 9, BZ_ZONE_MOVABLE, NULL },
		{ "atomic context", BZ_GFP_ATOMIC, 1, BZ_ZONE_NORMAL, NULL },
		{ "32-bit DMA buffer", BZ_GFP_KERNEL | BZ_GFP_DMA32, 4, BZ_ZONE_DMA32, NULL },
		{ "zeroed DMA32 buffer", BZ_GFP_KERNEL | BZ_GFP_DMA32 | BZ_GFP_ZERO, 2,
		  BZ_ZONE_DMA32, NULL },
		{ "ISA DMA buffer", BZ_GFP_KERNEL | BZ_GFP_DMA, 0, BZ_ZONE_DMA, NULL },
		{ "largest block", BZ_GFP_KERNEL, BZ_MAX_ORDER, BZ_ZONE_NORMAL, NULL },
	};
	const size_t n = sizeof(rq) / sizeof(rq[0]);
	struct bz_config cfg;
	bz_system *sys;
	char *before, *after;
	void *zeroed;
	int err, ok = 1;

	printf("libbuddyzone %s\n\n", bz_version());
	bz_config_init(&cfg);
	cfg.zones = DEMO_ZONES;
	cfg.log = log_to_stderr;
	err = bz_system_create(&cfg, &sys);
	if (err) {
		fprintf(stderr, "demo: bz_system_create(%s): %s\n", DEMO_ZONES, bz_strerror(err));
		return 1;
	}

	before = buddyinfo_text(sys);
	printf("buddyinfo before:\n%s", before ? before : "?\n");

	printf("\nallocations:\n");
	for (size_t i = 0; i < n; i++)
		if (allocate(sys, &rq[i]))
			ok = 0;
	zeroed = bz_get_zeroed_page(sys, BZ_GFP_KERNEL);
	if (!zeroed || !is_zeroed(zeroed, 0) || write_and_verify(zeroed, 0)) {
		fprintf(stderr, "demo: bz_get_zeroed_page failed\n");
		ok = 0;
	} else {
		printf("  %-22s order 0  %-34s pfn %#8lx  %p\n", "bz_get_zeroed_page", "GFP_KERNEL",
		       bz_page_to_pfn(bz_virt_to_page(zeroed)), zeroed);
	}

	printf("\nbuddyinfo with everything allocated:\n");
	bz_write_buddyinfo(sys, stdout);
	printf("\nzones of node 0, in pages (cached: in per-thread page caches; protection:\n"
	       "lowmem_reserve, what a request for each zone must leave here):\n");
	for (int zid = BZ_ZONE_DMA; zid <= BZ_ZONE_NORMAL; zid++)
		if (show_zone(sys, zid))
			ok = 0;

	for (size_t i = 0; i < n; i++) {
		if (rq[i].page && (err = bz_free_pages(rq[i].page, rq[i].order))) {
			fprintf(stderr, "demo: free %s: %s\n", rq[i].what, bz_strerror(err));
			ok = 0;
		}
	}
	if (zeroed && (err = bz_free_pages_addr(zeroed, 0))) {
		fprintf(stderr, "demo: free zeroed page: %s\n", bz_strerror(err));
		ok = 0;
	}

	/* Freed order-0..3 and pageblock-order blocks sit in this thread's page
	 * cache (the kernel's per-CPU pageset) until drained to the buddy lists. */
	printf("\nbuddyinfo after freeing everything:\n");
	bz_write_buddyinfo(sys, stdout);
	err = bz_drain_all_pages(sys);
	after = buddyinfo_text(sys);
	printf("\nbuddyinfo after bz_drain_all_pages:\n%s", after ? after : "?\n");
	if (err || !before || !after || strcmp(before, after) != 0) {
		fprintf(stderr, "demo: the buddy lists did not merge back to where they started\n");
		ok = 0;
	}
	free(before);
	free(after);
	err = bz_check(sys);
	printf("\nbz_check: %s\n", err ? bz_strerror(err) : "all invariants hold");
	if (err)
		ok = 0;
	bz_system_destroy(sys);
	printf("%s\n", ok ? "demo: OK" : "demo: FAILED");
	return ok ? 0 : 1;
}
