/* SPDX-License-Identifier: MIT */
/*
 * extfrag.c - the kernel's external fragmentation metrics, as debugfs
 * shows them with CONFIG_COMPACTION (mm/vmstat.c): the unusable free space
 * index (extfrag/unusable_index) and the fragmentation index
 * (extfrag/extfrag_index), per populated zone and order, in the kernel's
 * text.  Both come from nothing but the zone's free block counts
 * (free_area[order].nr_free), so the formulas are public functions of an
 * nr_free array: bzreplay and the JSON report use the same arithmetic,
 * which lives with compaction's (compaction_policy.c: fill_contig_page_info
 * and __fragmentation_index).  Values are in thousandths, as the kernel
 * computes them; blocks in thread caches are not counted, as the kernel
 * leaves out its pcp lists.
 */
#include "report.h"

/* The arithmetic is compaction's too (compaction_policy.c): one copy. */
BZ_API int bz_unusable_index(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned order)
{
	if (!nr_free || order > BZ_MAX_ORDER)
		return -EINVAL;
	return bz__unusable_index_of(nr_free, order);
}

BZ_API int bz_extfrag_index(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned order)
{
	if (!nr_free || order > BZ_MAX_ORDER)
		return -EINVAL;
	return bz__fragmentation_index_of(nr_free, order);
}

/* ---- the debugfs files ------------------------------------------------------------ */

typedef int (*index_fn)(const unsigned long nr_free[BZ_NR_PAGE_ORDERS], unsigned order);

/*
 * unusable_show_print() / extfrag_show_print(): the counts are copied under
 * the zone lock (walk_zones_in_node() holds it) and printed after it.
 */
static void frag_index_print(FILE *out, struct bz_zone *zone, index_fn fn, const char *fmt)
{
	unsigned long nr_free[BZ_NR_PAGE_ORDERS];

	bz__zone_lock(zone);
	for (int order = 0; order < BZ_NR_PAGE_ORDERS; order++)
		nr_free[order] = zone->free_area[order].nr_free;
	bz__zone_unlock(zone);

	fprintf(out, "Node %d, zone %8s ", zone->node->nid, bz__zone_names[zone->idx]);
	for (unsigned order = 0; order < BZ_NR_PAGE_ORDERS; order++) {
		int index = fn(nr_free, order);

		fprintf(out, fmt, index / 1000, index % 1000);
	}
	fputc('\n', out);
}

/* unusable_show() / extfrag_show(): populated zones of every node (walk_zones_in_node). */
static int write_index(bz_system *sys, FILE *out, index_fn fn, const char *fmt)
{
	if (!out)
		return -EINVAL;
	sys = bz__resolve(sys);
	if (!sys)
		return -ENOMEM;
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			if (populated_zone(&sys->nodes[nid]->zones[zid]))
				frag_index_print(out, &sys->nodes[nid]->zones[zid], fn, fmt);
	return ferror(out) ? -EIO : 0;
}

BZ_API int bz_write_unusable_index(bz_system *sys, FILE *out)
{
	return write_index(sys, out, bz_unusable_index, "%d.%03d ");
}

/* The kernel pads the integer part here ("%2d"), so -1.000 and 0.123 line up. */
BZ_API int bz_write_extfrag_index(bz_system *sys, FILE *out)
{
	return write_index(sys, out, bz_extfrag_index, "%2d.%03d ");
}
