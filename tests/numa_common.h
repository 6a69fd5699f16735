/* SPDX-License-Identifier: MIT */
/*
 * numa_common.h - what test_numa.c and test_mempolicy.c share: systems on
 * emulated topologies (tests/topologies/*.xml or hwloc synthetic strings),
 * and per-zone values read back from the zoneinfo report.
 *
 * The thread's node: an emulated topology deals CPUs to nodes in order
 * (zonelist.c, numa_node_id), so with cpus_per_node = NUMA_CPUS every CPU
 * below 4096 belongs to node 0, whichever CPU the test runs on.
 */
#ifndef BZ_TEST_NUMA_COMMON_H
#define BZ_TEST_NUMA_COMMON_H

#include <limits.h>
#include <stdlib.h>

#include "common.h"

#define NUMA_CPUS 4096 /* cpus_per_node that makes node 0 the local node */

/* "xml:DIR/FILE" for a file of tests/topologies, else spec itself (synthetic:...). */
static inline const char *topology_spec(const char *name, char *buf, size_t size)
{
	const char *dir = getenv("BUDDYZONE_TOPOLOGIES");

	if (strncmp(name, "synthetic:", 10) == 0)
		return name;
	if (!dir || !*dir) {
		print_error("BUDDYZONE_TOPOLOGIES is not set (ctest sets it)\n");
		fail();
	}
	snprintf(buf, size, "xml:%s/%s", dir, name);
	return buf;
}

/* A system on topology with the zones spec; cpus BZ_DEFAULT: the topology's. */
static inline bz_system *numa_system_reserve(const char *topology, const char *zones, int cpus,
					     unsigned long hotplug_reserve, struct log_catch *lc)
{
	char spec[PATH_MAX + 8];
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.topology = topology_spec(topology, spec, sizeof(spec));
	cfg.zones = zones;
	cfg.cpus_per_node = cpus;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.hotplug_reserve = hotplug_reserve;
	if (lc) {
		cfg.log = log_catch_fn;
		cfg.log_arg = lc;
	}
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	assert_non_null(sys);
	return sys;
}

static inline bz_system *numa_system(const char *topology, const char *zones, int cpus, struct log_catch *lc)
{
	return numa_system_reserve(topology, zones, cpus, (unsigned long)BZ_DEFAULT, lc);
}

/*
 * A number of one zone's block in /proc/zoneinfo: the first line after
 * "Node N, zone NAME" whose first word is key ("numa_hit", "managed", ...).
 */
static inline unsigned long zoneinfo_value(bz_system *sys, int nid, const char *zone, const char *key)
{
	char *text = report_text(sys, bz_write_zoneinfo), head[64], *p, *end;
	unsigned long v = 0;
	size_t klen = strlen(key);

	snprintf(head, sizeof(head), "Node %d, zone %8s", nid, zone);
	p = strstr(text, head);
	assert_non_null(p);
	end = strstr(p + 1, "\nNode ");
	for (p = strchr(p, '\n'); p && (!end || p < end); p = strchr(p + 1, '\n')) {
		const char *w = p + 1;

		while (*w == ' ')
			w++;
		if (strncmp(w, key, klen) == 0 && (w[klen] == ' ' || w[klen] == ':')) {
			v = strtoul(w + klen + (w[klen] == ':'), NULL, 10);
			break;
		}
	}
	assert_true(p && (!end || p < end));
	free(text);
	return v;
}

static inline int page_nid(bz_page *page)
{
	assert_non_null(page);
	return bz_page_to_nid(page);
}

#endif /* BZ_TEST_NUMA_COMMON_H */
