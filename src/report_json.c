/* SPDX-License-Identifier: MIT */
/*
 * report_json.c - the data of vmstat.c's text reports as one JSON object,
 * for programs rather than people: the tunables, every node and zone
 * (sizes, watermarks, reserves, free blocks per order and migratetype,
 * pageblocks, pageset sizes, lock contention), each node's memory in RAM
 * by backing, the zonelists' node order and the counters we keep, under their /proc/vmstat names.  Keys come in
 * a fixed order so that two reports diff cleanly.  Like vmstat.c it only
 * reads: atomics relaxed, free lists under the zone lock, tunables and
 * zonelists under sysctl_lock.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* ---- a minimal JSON emitter ------------------------------------------------ */

#define JSON_MAX_DEPTH 8

struct json {
	FILE *out;
	int depth;
	bool first[JSON_MAX_DEPTH];     /* no member written yet at this depth */
};

static void json_string(struct json *j, const char *s)
{
	fputc('"', j->out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(j->out, "\\%c", c);
		else if (c < 0x20)
			fprintf(j->out, "\\u%04x", c);
		else
			fputc(c, j->out);
	}
	fputc('"', j->out);
}

/* Comma and key before a member; key is NULL inside arrays. */
static void json_member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
	if (key) {
		json_string(j, key);
		fputc(':', j->out);
	}
}

static void json_open(struct json *j, const char *key, char bracket)
{
	if (j->depth >= 0)
		json_member(j, key);
	fputc(bracket, j->out);
	j->depth++;
	j->first[j->depth] = true;
}

static void json_close(struct json *j, char bracket)
{
	j->depth--;
	fputc(bracket, j->out);
}

static void json_ulong(struct json *j, const char *key, unsigned long v)
{
	json_member(j, key);
	fprintf(j->out, "%lu", v);
}

static void json_long(struct json *j, const char *key, long v)
{
	json_member(j, key);
	fprintf(j->out, "%ld", v);
}

static void json_str(struct json *j, const char *key, const char *v)
{
	json_member(j, key);
	json_string(j, v);
}

static void json_bool(struct json *j, const char *key, bool v)
{
	json_member(j, key);
	fputs(v ? "true" : "false", j->out);
}

static void json_ulong_array(struct json *j, const char *key, const unsigned long *v, int n)
{
	int i;

	json_open(j, key, '[');
	for (i = 0; i < n; i++)
		json_ulong(j, NULL, v[i]);
	json_close(j, ']');
}

/* ---- the report -------------------------------------------------------------- */

static void json_sysctls(struct json *j, struct bz_system *sys)
{
	struct bz_sysctls s;
	int i;

	pthread_mutex_lock(&sys->sysctl_lock);
	s = sys->sysctl;
	pthread_mutex_unlock(&sys->sysctl_lock);

	json_open(j, "sysctls", '{');
	json_long(j, "min_free_kbytes", s.min_free_kbytes);
	json_long(j, "watermark_scale_factor", s.watermark_scale_factor);
	json_long(j, "watermark_boost_factor", s.watermark_boost_factor);
	json_open(j, "lowmem_reserve_ratio", '[');
	for (i = 0; i < BZ_MAX_NR_ZONES; i++)
		json_long(j, NULL, s.lowmem_reserve_ratio[i]);
	json_close(j, ']');
	json_long(j, "percpu_pagelist_high_fraction", s.percpu_pagelist_high_fraction);
	json_str(j, "numa_zonelist_order", s.numa_zonelist_order ? "Zone" : "Node");
	json_long(j, "zone_reclaim_mode", s.zone_reclaim_mode);
	json_close(j, '}');
}

static void json_zone_free(struct json *j, const struct bz_zone_snapshot *s)
{
	int mt;

	json_ulong_array(j, "nr_free", s->nr_free, BZ_NR_PAGE_ORDERS);
	/* Blocks per list, each walk stopped at BZ_LIST_WALK_CAP as pagetypeinfo's. */
	json_open(j, "free_by_type", '{');
	for (mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
		json_ulong_array(j, bz__migratetype_names[mt], s->by_type[mt], BZ_NR_PAGE_ORDERS);
	json_close(j, '}');
	json_open(j, "pageblocks", '{');
	for (mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
		json_ulong(j, bz__migratetype_names[mt], s->pageblocks[mt]);
	json_close(j, '}');
}

static void json_zone_sizes(struct json *j, const struct bz_zone *zone, const struct bz_zone_snapshot *s)
{
	json_str(j, "name", bz__zone_names[zone->idx]);
	json_bool(j, "populated", populated_zone(zone));
	json_ulong(j, "start_pfn", s->start_pfn);
	json_ulong(j, "spanned", s->spanned);
	json_ulong(j, "present", s->present);
	json_ulong(j, "managed", s->managed);
}

/* As zoneinfo prints them: watermarks include the boost (wmark_pages). */
static void json_zone_watermarks(struct json *j, const struct bz_zone_snapshot *s)
{
	int i;

	json_ulong(j, "free", s->free);
	json_ulong(j, "min", s->wmark[WMARK_MIN] + s->boost);
	json_ulong(j, "low", s->wmark[WMARK_LOW] + s->boost);
	json_ulong(j, "high", s->wmark[WMARK_HIGH] + s->boost);
	json_ulong(j, "promo", s->wmark[WMARK_PROMO] + s->boost);
	json_ulong(j, "boost", s->boost);
	json_open(j, "protection", '[');
	for (i = 0; i < BZ_MAX_NR_ZONES; i++)
		json_long(j, NULL, s->lowmem_reserve[i]);
	json_close(j, ']');
}

/*
 * extfrag.c's indices per order from the same counts, as decimals
 * ("0.950", "-1.000"), signed properly where the kernel's text is not.
 */
static void json_frag_indices(struct json *j, const char *key, const unsigned long *nr_free,
			      int (*fn)(const unsigned long *, unsigned))
{
	json_open(j, key, '[');
	for (unsigned order = 0; order < BZ_NR_PAGE_ORDERS; order++) {
		int v = fn(nr_free, order);

		json_member(j, NULL);
		fprintf(j->out, "%s%d.%03d", v < 0 ? "-" : "", abs(v) / 1000, abs(v) % 1000);
	}
	json_close(j, ']');
}

static void json_zone(struct json *j, struct bz_zone *zone)
{
	struct bz_zone_snapshot snap;

	bz__zone_snapshot(zone, BZ_SNAP_FREE_AREA | BZ_SNAP_LISTS | BZ_SNAP_BLOCKS, &snap);
	json_open(j, NULL, '{');
	json_zone_sizes(j, zone, &snap);
	json_zone_watermarks(j, &snap);
	json_zone_free(j, &snap);
	json_frag_indices(j, "unusable_index", snap.nr_free, bz_unusable_index);
	json_frag_indices(j, "extfrag_index", snap.nr_free, bz_extfrag_index);
	json_open(j, "pcp", '{');
	json_long(j, "batch", snap.pcp_batch);
	json_long(j, "high_min", snap.pcp_high_min);
	json_long(j, "high_max", snap.pcp_high_max);
	json_close(j, '}');
	json_ulong(j, "lock_contended", snap.lock_contended);
	json_close(j, '}');
}

/*
 * The node's memory in RAM by backing (arena_resident.c): the RSS figure
 * leaves hugetlb pages out and does not tell THP from base pages.  null
 * where it cannot be measured.
 */
static void json_resident(struct json *j, const struct bz_node *node)
{
	uint64_t res[3];

	if (bz__arena_resident(&node->arena, res)) {
		json_member(j, "resident_bytes");
		fputs("null", j->out);
		return;
	}
	json_open(j, "resident_bytes", '{');
	json_ulong(j, "hugetlb", (unsigned long)res[BZ_BACKING_HUGETLB]);
	json_ulong(j, "thp", (unsigned long)res[BZ_BACKING_THP]);
	json_ulong(j, "base", (unsigned long)res[BZ_BACKING_BASE]);
	json_close(j, '}');
}

static void json_node(struct json *j, struct bz_node *node)
{
	int zid;

	json_open(j, NULL, '{');
	json_long(j, "nid", node->nid);
	json_long(j, "cpus", node->nr_cpus);
	json_ulong(j, "start_pfn", node->node_start_pfn);
	json_ulong(j, "spanned", node->node_spanned_pages);
	json_ulong(j, "present", node->node_present_pages);
	json_resident(j, node);
	json_open(j, "zones", '[');
	for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		json_zone(j, &node->zones[zid]);
	json_close(j, ']');
	json_close(j, '}');
}

/* Each node's fallback order, as bz_write_zonelists prints it. */
static void json_zonelists(struct json *j, struct bz_system *sys)
{
	char key[16];
	int nid, i;

	json_open(j, "zonelists", '{');
	pthread_mutex_lock(&sys->sysctl_lock);
	for_each_node(sys, nid) {
		const struct bz_node *node = sys->nodes[nid];

		if (!node)
			continue;
		snprintf(key, sizeof(key), "%d", nid);
		json_open(j, key, '[');
		for (i = 0; i < node->nr_node_order; i++)
			json_long(j, NULL, node->node_order[i]);
		json_close(j, ']');
	}
	pthread_mutex_unlock(&sys->sysctl_lock);
	json_close(j, '}');
}

/* Zone counters summed over all zones; the last two are ours, not the kernel's. */
static const struct {
	const char *name;
	enum bz_zone_stat_item item;
} json_zone_items[] = {
	{ "nr_free_pages", NR_FREE_PAGES },
	{ "nr_free_pages_blocks", NR_FREE_PAGES_BLOCKS },
	{ "numa_hit", NUMA_HIT },
	{ "numa_miss", NUMA_MISS },
	{ "numa_foreign", NUMA_FOREIGN },
	{ "numa_interleave", NUMA_INTERLEAVE_HIT },
	{ "numa_local", NUMA_LOCAL },
	{ "numa_other", NUMA_OTHER },
};

static unsigned long zone_item_sum(const struct bz_system *sys, enum bz_zone_stat_item item)
{
	unsigned long sum = 0;
	int nid, zid;

	for_each_node(sys, nid)
		if (sys->nodes[nid])
			for (zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
				sum += item >= NUMA_HIT ?
					       bz__zone_numa_sum(&sys->nodes[nid]->zones[zid], item) :
					       (unsigned long)zone_page_state(&sys->nodes[nid]->zones[zid], item);
	return sum;
}

static void json_vmstat(struct json *j, const struct bz_system *sys)
{
	size_t i;
	int nid;

	json_open(j, "vmstat", '{');
	for (i = 0; i < BZ_ARRAY_SIZE(json_zone_items); i++)
		json_ulong(j, json_zone_items[i].name, zone_item_sum(sys, json_zone_items[i].item));
	for (i = 0; i < NR_VM_EVENTS; i++)
		if (bz__vm_event_names[i])
			json_ulong(j, bz__vm_event_names[i], bz__vm_event_sum(sys, (enum bz_vm_event)i));
	{
		unsigned long cached = 0;

		for_each_node(sys, nid)
			for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
				cached += bz__zone_cached(&sys->nodes[nid]->zones[zid]);
		json_ulong(j, "nr_zone_cached", cached);
	}
	json_close(j, '}');
}

/* Whether per-thread caches exist in this process, and why not (membarrier refused). */
static void json_thread_caches(struct json *j)
{
	int err = bz__tcache_off_reason();

	json_open(j, "thread_caches", '{');
	json_bool(j, "enabled", !err);
	json_str(j, "reason", err ? bz_strerror(err) : "");
	json_close(j, '}');
}

int bz_write_json(bz_system *sys, FILE *out)
{
	struct json j = { .out = out, .depth = -1 };
	int nid;

	if (!out)
		return -EINVAL;
	sys = bz__resolve(sys);
	if (!sys)
		return -ENOMEM;

	json_open(&j, NULL, '{');
	json_str(&j, "version", bz_version());
	json_thread_caches(&j);
	json_sysctls(&j, sys);
	json_open(&j, "nodes", '[');
	for_each_node(sys, nid)
		if (sys->nodes[nid])
			json_node(&j, sys->nodes[nid]);
	json_close(&j, ']');
	json_zonelists(&j, sys);
	json_vmstat(&j, sys);
	json_close(&j, '}');
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
