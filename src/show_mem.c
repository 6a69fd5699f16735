/* SPDX-License-Identifier: MIT */
/*
 * show_mem.c - the allocation failure report, in the text of Linux 6.18:
 * warn_alloc()'s line (mm/page_alloc.c), rate-limited as the kernel's
 * nopage_rs (10 reports per 5 seconds, then "warn_alloc: N callbacks
 * suppressed"), the first line of dump_stack() (the call trace itself is
 * left out), and __show_mem()/show_free_areas() (mm/show_mem.c): the
 * global summary, a line per node, a line per zone with its watermarks,
 * lowmem_reserve, and the buddy counts per order.  All through the log
 * callback, one message per line the kernel prints (the summary, one
 * printk in the kernel, is one message of several lines).  Counters we
 * have no concept of (LRU, slab, swap, page cache) print as 0.
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "stats.h"

#define K(pages) ((pages) << (BZ_PAGE_SHIFT - 10))

/* nopage_rs: the kernel's default rate limit, saying how many reports it suppressed. */
static bool warn_ratelimit(struct bz_system *sys)
{
	long missed;
	bool ok = bz__ratelimit(&sys->warn_rs, BZ_RATELIMIT_INTERVAL_NS, BZ_RATELIMIT_BURST, &missed);

	if (missed > 0)
		bz__log(sys, BZ_LOG_WARNING, "warn_alloc: %ld callbacks suppressed", missed);
	return ok;
}

/* show_migration_types(): "(UMEH) ", the letters of the lists holding blocks. */
static size_t migration_types(unsigned mask, char *buf)
{
	static const char letters[BZ_MIGRATE_TYPES] = { 'U', 'M', 'E', 'H', 'I' };
	size_t n = 0;

	buf[n++] = '(';
	for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
		if (mask & (1u << mt))
			buf[n++] = letters[mt];
	buf[n++] = ')';
	buf[n++] = ' ';
	buf[n] = '\0';
	return n;
}

/* "Node 0 Normal: 1*4kB (U) 0*8kB ... = 4kB" */
static void zone_buddy_line(struct bz_zone *z, char *buf, size_t size)
{
	struct bz_zone_snapshot s;
	unsigned long total = 0;
	size_t n;

	bz__zone_snapshot(z, BZ_SNAP_FREE_AREA, &s);
	n = (size_t)snprintf(buf, size, "Node %d %s: ", z->node->nid, bz__zone_names[z->idx]);
	for (int o = 0; o < BZ_NR_PAGE_ORDERS && n < size; o++) {
		char t[16] = "";

		total += s.nr_free[o] << o;
		if (s.nr_free[o])
			migration_types(s.types[o], t);
		n += (size_t)snprintf(buf + n, size - n, "%lu*%lukB %s", s.nr_free[o], K(1ul) << o, t);
	}
	if (n < size)
		snprintf(buf + n, size - n, "= %lukB", K(total));
}

/* Pages on the zone's HIGHATOMIC lists (the kernel's nr_free_highatomic, 6.13+). */
static unsigned long free_highatomic(const struct bz_zone_snapshot *s)
{
	unsigned long n = 0;

	for (unsigned o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		n += s->by_type[BZ_MIGRATE_HIGHATOMIC][o] << o;
	return n;
}

/* this_cpu_read(zone->per_cpu_pageset->count): the calling thread's cache. */
static unsigned long local_pcp(const struct bz_zone *z)
{
	const struct bz_task *t = &bz__current.task;

	if (t->sys != z->sys || t->id != z->sys->id || !t->tc)
		return 0;
	return bz__pcp_count(t->tc, z);
}

static void zone_line(struct bz_system *sys, struct bz_zone *z, int level)
{
	struct bz_zone_snapshot s;
	char line[160];
	size_t n;

	bz__zone_snapshot(z, BZ_SNAP_LISTS | BZ_SNAP_CACHED, &s);
	bz__log(sys, level,
		"Node %d %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB reserved_highatomic:%luKB "
		"free_highatomic:%luKB active_anon:0kB inactive_anon:0kB active_file:0kB inactive_file:0kB "
		"unevictable:0kB writepending:0kB zspages:0kB present:%lukB managed:%lukB mlocked:0kB "
		"bounce:0kB free_pcp:%lukB local_pcp:%lukB free_cma:0kB",
		z->node->nid, bz__zone_names[z->idx], K(s.free), K(s.boost), K(s.wmark[WMARK_MIN] + s.boost),
		K(s.wmark[WMARK_LOW] + s.boost), K(s.wmark[WMARK_HIGH] + s.boost), K(s.reserved_highatomic),
		K(free_highatomic(&s)), K(s.present), K(s.managed), K(s.cached), K(local_pcp(z)));
	n = (size_t)snprintf(line, sizeof(line), "lowmem_reserve[]:");
	for (int i = 0; i < BZ_MAX_NR_ZONES && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %ld", s.lowmem_reserve[i]);
	bz__log(sys, level, "%s", line);
}

static void node_line(struct bz_system *sys, int nid, int level)
{
	bz__log(sys, level,
		"Node %d active_anon:0kB inactive_anon:0kB active_file:0kB inactive_file:0kB unevictable:0kB "
		"isolated(anon):0kB isolated(file):0kB mapped:0kB dirty:0kB writeback:0kB shmem:0kB "
		"shmem_thp:0kB shmem_pmdmapped:0kB anon_thp:0kB kernel_stack:0kB pagetables:0kB "
		"sec_pagetables:0kB all_unreclaimable? %s Balloon:0kB",
		nid, kswapd_hopeless(sys->nodes[nid]) ? "yes" : "no");
}

#define for_each_shown_zone(sys, nid, zid, z, max)                                         \
	for ((nid) = 0; (nid) < (sys)->nr_nodes; (nid)++)                                  \
		for ((zid) = 0; (zid) <= (max) && ((z) = &(sys)->nodes[nid]->zones[zid]); (zid)++) \
			if (populated_zone(z))

/* show_free_areas() for zones up to max_zone_idx. */
static void show_free_areas(struct bz_system *sys, int level, int max_zone_idx)
{
	unsigned long free = 0, free_pcp = 0;
	struct bz_zone *z;
	char line[1024];
	int nid, zid;

	for_each_shown_zone(sys, nid, zid, z, max_zone_idx)
		free_pcp += bz__zone_cached(z);
	for (nid = 0; nid < sys->nr_nodes; nid++)
		for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			free += (unsigned long)zone_page_state(&sys->nodes[nid]->zones[zid], NR_FREE_PAGES);
	bz__log(sys, level,
		"active_anon:0 inactive_anon:0 isolated_anon:0\n active_file:0 inactive_file:0 isolated_file:0\n"
		" unevictable:0 dirty:0 writeback:0\n slab_reclaimable:0 slab_unreclaimable:0\n"
		" mapped:0 shmem:0 pagetables:0\n sec_pagetables:0 bounce:0\n kernel_misc_reclaimable:0\n"
		" free:%lu free_pcp:%lu free_cma:0", free, free_pcp);
	for (nid = 0; nid < sys->nr_nodes; nid++) {
		bool managed = false;

		for (zid = 0; zid <= max_zone_idx; zid++)
			managed |= sys->nodes[nid]->zones[zid].managed_pages != 0;
		if (managed)
			node_line(sys, nid, level);
	}
	for_each_shown_zone(sys, nid, zid, z, max_zone_idx)
		zone_line(sys, z, level);
	for_each_shown_zone(sys, nid, zid, z, max_zone_idx) {
		zone_buddy_line(z, line, sizeof(line));
		bz__log(sys, level, "%s", line);
	}
	bz__log(sys, level, "0 total pagecache pages");
	/* show_swap_cache_info() */
	bz__log(sys, level, "0 pages in swap cache");
	bz__log(sys, level, "Free swap  = 0kB");
	bz__log(sys, level, "Total swap = 0kB");
}

/* __show_mem(): the free areas, then the page totals (MOVABLE is not highmem on 64-bit). */
static void show_mem(struct bz_system *sys, int level, int max_zone_idx)
{
	unsigned long total = 0, reserved = 0;
	struct bz_zone *z;
	int nid, zid;

	bz__log(sys, level, "Mem-Info:");
	show_free_areas(sys, level, max_zone_idx);
	for_each_shown_zone(sys, nid, zid, z, BZ_MAX_NR_ZONES - 1) {
		total += z->present_pages;
		reserved += z->present_pages - z->managed_pages;
	}
	bz__log(sys, level, "%lu pages RAM", total);
	bz__log(sys, level, "0 pages HighMem/MovableOnly");
	bz__log(sys, level, "%lu pages reserved", reserved);
	bz__log(sys, level, "0 pages hwpoisoned");
}

void bz__show_free_areas(struct bz_system *sys, int level)
{
	show_mem(sys, level, BZ_MAX_NR_ZONES - 1);
}

/* has_managed_dma(): some node has DMA memory. */
static bool has_managed_dma(const struct bz_system *sys)
{
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		if (sys->nodes[nid]->zones[BZ_ZONE_DMA].managed_pages)
			return true;
	return false;
}

/*
 * warn_alloc(): "<comm>: page allocation failure: order:N, mode:0x...(...),
 * nodemask=(null),cpuset=/,mems_allowed=0-1".  No cpusets here: the root
 * cpuset, every node with memory allowed.  A request for DMA on a machine
 * without DMA memory fails quietly, as in the kernel.
 */
void bz__warn_alloc(struct bz_system *sys, bz_gfp_t gfp, unsigned order, int nid)
{
	char flags[256], comm[17] = "", mems[16];
	int zone = bz__gfp_zone(gfp), last = -1;

	(void)nid;
	if (!bz__log_enabled(sys) || ((gfp & BZ_GFP_DMA) && !has_managed_dma(sys)) || !warn_ratelimit(sys))
		return;
	for (int n = 0; n < sys->nr_nodes; n++)
		if (sys->nodes[n]->node_present_pages)
			last = n;
	snprintf(mems, sizeof(mems), last > 0 ? "0-%d" : "%d", last > 0 ? last : 0);
	if (prctl(PR_GET_NAME, comm) != 0 || !comm[0])
		snprintf(comm, sizeof(comm), "%s", program_invocation_short_name);
	bz_gfp_format(gfp, flags, sizeof(flags));
	bz__log(sys, BZ_LOG_WARNING,
		"%s: page allocation failure: order:%u, mode:%#x(%s), nodemask=(null),cpuset=/,mems_allowed=%s",
		comm, order, gfp, flags, mems);
	bz__log(sys, BZ_LOG_WARNING, "CPU: %d UID: %u PID: %d Comm: %s", sched_getcpu(), (unsigned)getuid(),
		(int)gettid(), comm);
	show_mem(sys, BZ_LOG_WARNING, zone < 0 ? BZ_MAX_NR_ZONES - 1 : zone);
}
