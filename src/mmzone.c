/* SPDX-License-Identifier: MIT */
/*
 * mmzone.c - the names of the model's enums, as the kernel prints them:
 * zones (mm/page_alloc.c zone_names[], x86-64, no HIGHMEM) and migratetypes
 * (migratetype_names[], CONFIG_CMA off).  Reports, messages and the
 * zones spec all spell them this way.
 */
#include <strings.h>

#include "mmzone.h"

const char *const bz__zone_names[BZ_MAX_NR_ZONES] = {
	"DMA", "DMA32", "Normal", "Movable", "Device",
};

const char *const bz__migratetype_names[BZ_MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate",
};

int bz__zone_index_by_name(const char *name)
{
	if (!name)
		return -1;
	/* Case-blind: "normal" in an environment variable means Normal. */
	for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
		if (!strcasecmp(name, bz__zone_names[i]))
			return i;
	return -1;
}
