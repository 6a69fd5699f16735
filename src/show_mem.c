/* SPDX-License-Identifier: MIT */
/*
 * show_mem.c - the allocation failure report: warn_alloc()'s first line,
 * rate-limited as the kernel's (10 reports per 5 seconds), followed by
 * show_free_areas()'s per-zone lines and buddy counts (mm/show_mem.c),
 * all through the log callback.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "pcp.h"

#define RATELIMIT_INTERVAL_NS (5ll * 1000000000ll) /* DEFAULT_RATELIMIT_INTERVAL */
#define RATELIMIT_BURST 10                       /* DEFAULT_RATELIMIT_BURST */
#define K(pages) ((pages) << (BZ_PAGE_SHIFT - 10))

extern char *program_invocation_short_name;

static bool warn_ratelimit(struct bz_system *sys)
{
	struct timespec ts;
	long now, last;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000l + ts.tv_nsec;
	last = atomic_load(&sys->warn_last_ns);
	if (now - last > RATELIMIT_INTERVAL_NS &&
	    atomic_compare_exchange_strong(&sys->warn_last_ns, &last, now))
		atomic_store(&sys->warn_burst, 0);
	return atomic_fetch_add(&sys->warn_burst, 1) < RATELIMIT_BURST;
}

/* show_migration_types(): "(UMEH)" letters of the lists holding blocks. */
static void migration_types(unsigned mask, char *buf)
{
	static const char letters[BZ_MIGRATE_TYPES] = { 'U', 'M', 'E', 'H', 'I' };
	int n = 0;

	buf[n++] = '(';
	for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
		if (mask & (1u << mt))
			buf[n++] = letters[mt];
	buf[n++] = ')';
	buf[n] = '\0';
}

static void zone_free_line(struct bz_zone *z, char *buf, size_t size)
{
	size_t n = 0;
	unsigned long total = 0;

	n += (size_t)snprintf(buf + n, size - n, "Node %d %s: ", z->node->nid, bz__zone_names[z->idx]);
	bz__zone_lock(z);
	for (int o = 0; o < BZ_NR_PAGE_ORDERS && n < size; o++) {
		unsigned long nr = z->free_area[o].nr_free;
		unsigned mask = 0;
		char types[8] = "";

		for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
			if (z->free_area[o].free_list[mt].first != BZ_NIL)
				mask |= 1u << mt;
		if (nr)
			migration_types(mask, types);
		total += nr << o;
		n += (size_t)snprintf(buf + n, size - n, "%lu*%lukB %s", nr, K(1ul) << o, types);
	}
	bz__zone_unlock(z);
	if (n < size)
		snprintf(buf + n, size - n, "= %lukB", K(total));
}

void bz__show_free_areas(struct bz_system *sys, int level)
{
	char line[1024];

	bz__log(sys, level, "Mem-Info:");
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone *z = &sys->nodes[nid]->zones[zid];
			size_t n;

			if (!populated_zone(z))
				continue;
			bz__log(sys, level,
				"Node %d %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB "
				"reserved_highatomic:%luKB present:%lukB managed:%lukB free_pcp:%lukB",
				nid, bz__zone_names[zid], K((unsigned long)zone_page_state(z, NR_FREE_PAGES)),
				K(atomic_load(&z->watermark_boost)), K(atomic_load(&z->watermark[WMARK_MIN])),
				K(atomic_load(&z->watermark[WMARK_LOW])), K(atomic_load(&z->watermark[WMARK_HIGH])),
				K(atomic_load(&z->nr_reserved_highatomic)), K(z->present_pages),
				K(z->managed_pages), K(bz__zone_cached(z)));
			n = (size_t)snprintf(line, sizeof(line), "lowmem_reserve[]:");
			for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
				n += (size_t)snprintf(line + n, sizeof(line) - n, " %ld",
						      atomic_load(&z->lowmem_reserve[i]));
			bz__log(sys, level, "%s", line);
		}
	}
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone *z = &sys->nodes[nid]->zones[zid];

			if (!populated_zone(z))
				continue;
			zone_free_line(z, line, sizeof(line));
			bz__log(sys, level, "%s", line);
		}
	}
}

/* warn_alloc(): "<comm>: page allocation failure: order:N, mode:0x...(...), nodemask=(null)". */
void bz__warn_alloc(struct bz_system *sys, bz_gfp_t gfp, unsigned order, int nid)
{
	char flags[256];

	if (!bz__log_enabled(sys) || !warn_ratelimit(sys))
		return;
	bz_gfp_format(gfp, flags, sizeof(flags));
	bz__log(sys, BZ_LOG_WARNING, "%s: page allocation failure: order:%u, mode:%#x(%s), nodemask=(null)",
		program_invocation_short_name, order, gfp, flags);
	bz__log(sys, BZ_LOG_WARNING, "preferred node %d; the zones' state follows", nid);
	bz__show_free_areas(sys, BZ_LOG_WARNING);
}
