/* SPDX-License-Identifier: MIT */
/*
 * procfs.c - parsers of the kernel's page allocator files (procfs.h): the
 * layouts of mm/vmstat.c's zoneinfo_show_print(), frag_show_print()
 * (buddyinfo), pagetypeinfo_showfree_print() and
 * pagetypeinfo_showblockcount_print(), and vmstat_show().
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"

const char *const proc_zone_names[BZ_MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable", "Device" };

int proc_zone_index(const char *name)
{
	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (!strcmp(name, proc_zone_names[zid]))
			return zid;
	return -1;
}

static int fail(char *err, size_t errlen, int line, const char *what, const char *text)
{
	snprintf(err, errlen, "line %d: %s: \"%.60s\"", line, what, text);
	return -1;
}

/* "Node 0, zone      DMA" (zoneinfo, buddyinfo): node and zone, and where the rest begins. */
static int node_zone(const char *line, int *nid, int *zid, const char **rest)
{
	char name[16];
	int n, used = 0;

	if (sscanf(line, "Node %d, zone %15s%n", &n, name, &used) != 2 || n < 0 || n >= BZ_MAX_NUMNODES)
		return -1;
	name[strcspn(name, ",")] = '\0';
	*zid = proc_zone_index(name);
	*nid = n;
	if (rest)
		*rest = line + used;
	return *zid < 0 ? -1 : 0;
}

static void note_node(struct proc_machine *m, int nid)
{
	if (nid + 1 > m->nr_nodes)
		m->nr_nodes = nid + 1;
}

/* ---- /proc/zoneinfo -------------------------------------------------------------- */

/* "protection: (0, 3018, 5834, 5834, 5834)" */
static int parse_protection(const char *p, struct proc_zone *z)
{
	char *end;

	p = strchr(p, '(');
	if (!p)
		return -1;
	p++;
	z->nr_protection = 0;
	while (*p && *p != ')' && z->nr_protection < BZ_MAX_NR_ZONES) {
		z->protection[z->nr_protection++] = strtoul(p, &end, 10);
		if (end == p)
			return -1;
		p = end + strspn(end, ", ");
	}
	return *p == ')' ? 0 : -1;
}

/* One "key value" or "key: value" line inside a zone's block. */
static int zone_field(struct proc_zone *z, const char *key, const char *val, bool *in_pcp)
{
	static const char *const wmarks[] = { "min", "low", "high", "promo" };
	struct proc_pageset *pc = &z->pcp;
	long v = strtol(val, NULL, 10);

	if (!strcmp(key, "pagesets")) {
		*in_pcp = true;
	} else if (!strcmp(key, "start_pfn:")) {
		z->start_pfn = (unsigned long)v;
	} else if (!strcmp(key, "cpu:")) {
		z->nr_cpus++;
	} else if (*in_pcp && key[strlen(key) - 1] == ':') {
		bool first = z->nr_cpus == 1;

		if (!strcmp(key, "count:")) {
			z->pcp_count += v;
			if (first)
				pc->count = v;
		} else if (first && !strcmp(key, "high:")) {
			pc->high = v;
		} else if (first && !strcmp(key, "batch:")) {
			pc->batch = v;
		} else if (first && !strcmp(key, "high_min:")) {
			pc->high_min = v;
		} else if (first && !strcmp(key, "high_max:")) {
			pc->high_max = v;
		}
	} else if (!strcmp(key, "protection:")) {
		return parse_protection(val, z);
	} else if (!strcmp(key, "spanned")) {
		z->spanned = (unsigned long)v;
	} else if (!strcmp(key, "present")) {
		z->nr_present = (unsigned long)v;
	} else if (!strcmp(key, "managed")) {
		z->managed = (unsigned long)v;
	} else {
		for (int w = 0; w < 4; w++)
			if (!strcmp(key, wmarks[w]))
				z->wmark[w] = (unsigned long)v;
	}
	return 0;
}

int proc_parse_zoneinfo(FILE *in, struct proc_machine *m, char *err, size_t errlen)
{
	struct proc_zone *z = NULL;
	char *line = NULL, key[64];
	size_t size = 0;
	bool in_pcp = false;
	int nid, zid, nr = 0, zones = 0, ret = 0;

	while (getline(&line, &size, in) > 0 && !ret) {
		const char *p = line + strspn(line, " \t");
		int used = 0;

		nr++;
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "Node ", 5)) {
			if (node_zone(line, &nid, &zid, NULL)) {
				ret = fail(err, errlen, nr, "not a \"Node N, zone NAME\" line", line);
				break;
			}
			z = &m->zone[nid][zid];
			memset(z, 0, sizeof(*z));
			z->present = true;
			in_pcp = false;
			note_node(m, nid);
			zones++;
			continue;
		}
		if (!z || sscanf(p, "%63s%n", key, &used) != 1)
			continue;
		if (!strcmp(key, "pages") && !strncmp(p, "pages free", 10)) {
			z->free = strtoul(p + 10, NULL, 10);
			continue;
		}
		if (zone_field(z, key, p + used, &in_pcp))
			ret = fail(err, errlen, nr, "cannot read", line);
	}
	free(line);
	if (!ret && !zones)
		ret = fail(err, errlen, nr, "no \"Node N, zone NAME\" line: not /proc/zoneinfo", "");
	return ret;
}

/* ---- /proc/buddyinfo, /proc/pagetypeinfo -------------------------------------------- */

/* Up to n counts; ">100000" (pagetypeinfo's cap) reads as 100000.  The number read. */
static int read_counts(const char *p, unsigned long *v, int n)
{
	int i = 0;

	while (i < n) {
		char *end;

		p += strspn(p, " \t>");
		if (!isdigit((unsigned char)*p))
			break;
		v[i++] = strtoul(p, &end, 10);
		p = end;
	}
	return i;
}

int proc_parse_buddyinfo(FILE *in, struct proc_machine *m, char *err, size_t errlen)
{
	char *line = NULL;
	size_t size = 0;
	int nid, zid, nr = 0, rows = 0, ret = 0;
	const char *rest;

	while (getline(&line, &size, in) > 0) {
		nr++;
		if (node_zone(line, &nid, &zid, &rest) ||
		    read_counts(rest, m->zone[nid][zid].nr_free, BZ_NR_PAGE_ORDERS) != BZ_NR_PAGE_ORDERS) {
			ret = fail(err, errlen, nr, "not a buddyinfo line", line);
			break;
		}
		m->zone[nid][zid].has_buddy = true;
		note_node(m, nid);
		rows++;
	}
	free(line);
	if (!ret && !rows)
		ret = fail(err, errlen, nr, "empty", "");
	return ret;
}

/* A type's column: known names in first-seen order (the kernel's migratetype_names). */
static int mt_index(struct proc_machine *m, const char *name)
{
	for (int i = 0; i < m->nr_mt; i++)
		if (!strcmp(m->mt_name[i], name))
			return i;
	if (m->nr_mt == PROC_NR_MT)
		return -1;
	snprintf(m->mt_name[m->nr_mt], sizeof(m->mt_name[0]), "%s", name);
	return m->nr_mt++;
}

/* "Number of blocks type     Unmovable      Movable ...": the same names, in the same order. */
static int block_header(struct proc_machine *m, const char *p)
{
	char name[16];
	int used, i = 0;

	while (sscanf(p, "%15s%n", name, &used) == 1) {
		if (mt_index(m, name) != i++)
			return -1;
		p += used;
	}
	return i ? 0 : -1;
}

/*
 * "Node    0, zone      DMA, type    Unmovable      0 ..." (free blocks per
 * order) or "Node 0, zone      DMA            1            7 ..." (blocks).
 */
static int pagetype_line(struct proc_machine *m, const char *line, bool blocks)
{
	char zname[16], tname[16];
	const char *rest;
	int nid, zid, mt, used = 0;
	struct proc_zone *z;

	if (blocks) {
		if (node_zone(line, &nid, &zid, &rest))
			return -1;
		z = &m->zone[nid][zid];
		z->has_types = true;
		note_node(m, nid);
		return read_counts(rest, z->blocks, m->nr_mt) == m->nr_mt ? 0 : -1;
	}
	if (sscanf(line, "Node %d, zone %15[^,], type %15s%n", &nid, zname, tname, &used) != 3 || nid < 0 ||
	    nid >= BZ_MAX_NUMNODES || sscanf(zname, "%15s", zname) != 1 || (zid = proc_zone_index(zname)) < 0 ||
	    (mt = mt_index(m, tname)) < 0)
		return -1;
	note_node(m, nid);
	return read_counts(line + used, m->zone[nid][zid].free_mt[mt], BZ_NR_PAGE_ORDERS) == BZ_NR_PAGE_ORDERS ?
		       0 : -1;
}

int proc_parse_pagetypeinfo(FILE *in, struct proc_machine *m, char *err, size_t errlen)
{
	char *line = NULL;
	size_t size = 0;
	int nr = 0, rows = 0, ret = 0;
	bool blocks = false;

	while (getline(&line, &size, in) > 0 && !ret) {
		nr++;
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "Number of blocks type", 21)) {
			blocks = true;
			if (block_header(m, line + 21))
				ret = fail(err, errlen, nr, "block counts name other types than the free table", line);
		} else if (!strncmp(line, "Node", 4)) {
			if (pagetype_line(m, line, blocks))
				ret = fail(err, errlen, nr, "not a pagetypeinfo line", line);
			rows += !blocks;
		}
	}
	free(line);
	if (!ret && (!blocks || !rows))
		ret = fail(err, errlen, nr, "no free-page table or no block counts: not /proc/pagetypeinfo", "");
	return ret;
}

long proc_vmstat_value(FILE *in, const char *name)
{
	char *line = NULL;
	size_t size = 0, len = strlen(name);
	long v = -1;

	while (getline(&line, &size, in) > 0)
		if (!strncmp(line, name, len) && line[len] == ' ') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	free(line);
	return v;
}

/* ---- the machine's files ------------------------------------------------------------ */

FILE *proc_open(const char *root, const char *path)
{
	char buf[4096];

	if (!root || !strcmp(root, "/"))
		return fopen(path, "r");
	snprintf(buf, sizeof(buf), "%s%s", root, path);
	return fopen(buf, "r");
}

/* The first line of root/path into buf (newline dropped); -1 when missing. */
static int read_line(const char *root, const char *path, char *buf, size_t size)
{
	FILE *f = proc_open(root, path);
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(buf, (int)size, f)) {
		buf[strcspn(buf, "\n")] = '\0';
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* CPUs in a cpulist ("0-3,8,10-11"); -1 for a bad list. */
static int cpulist_count(const char *s)
{
	int n = 0;

	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a)
				return -1;
		}
		n += (int)(b - a + 1);
		s = end + (*end == ',');
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

static int node_cpus(const char *root, int nid)
{
	char path[96], buf[4096];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", nid);
	if (read_line(root, path, buf, sizeof(buf)))
		return -1;
	return buf[0] ? cpulist_count(buf) : 0;
}

static int append(char *spec, size_t size, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int append(char *spec, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(spec + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

/* ",NID:cpus=N" for each node: its cpulist, else every CPU zoneinfo lists on node 0. */
int proc_cpus_spec(const char *root, const struct proc_machine *m, char *spec, size_t size)
{
	size_t len = strlen(spec);
	int zoneinfo_cpus = 0, known = 0;

	for (int nid = 0; nid < m->nr_nodes && !zoneinfo_cpus; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES && !zoneinfo_cpus; zid++)
			zoneinfo_cpus = m->zone[nid][zid].nr_cpus;
	for (int nid = 0; nid < m->nr_nodes; nid++)
		known += node_cpus(root, nid) >= 0;
	for (int nid = 0; nid < m->nr_nodes; nid++) {
		int cpus = known ? node_cpus(root, nid) : nid ? 0 : zoneinfo_cpus;

		if (append(spec, size, &len, "%s%d:cpus=%d", len ? "," : "", nid, cpus < 0 ? 0 : cpus))
			return -1;
	}
	return 0;
}

static int zones_spec_of(const struct proc_machine *m, const char *root, char *spec, size_t size)
{
	size_t len = 0;

	spec[0] = '\0';
	for (int nid = 0; nid < m->nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			const struct proc_zone *z = &m->zone[nid][zid];

			if (!z->managed)
				continue;
			if (append(spec, size, &len, "%s%d:%s=%lu/%lu/%lu@%lu", len ? "," : "", nid,
				   proc_zone_names[zid], z->managed, z->nr_present, z->spanned, z->start_pfn))
				return -1;
		}
	return proc_cpus_spec(root, m, spec, size);
}

int proc_zones_spec(const char *root, char *spec, size_t size, char *err, size_t errlen)
{
	struct proc_machine *m = calloc(1, sizeof(*m));
	FILE *f = proc_open(root, "/proc/zoneinfo");
	int ret = -1;

	if (!m || !f) {
		snprintf(err, errlen, "%s/proc/zoneinfo: %s", root && strcmp(root, "/") ? root : "",
			 strerror(m ? errno : ENOMEM));
	} else if (!proc_parse_zoneinfo(f, m, err, errlen)) {
		ret = zones_spec_of(m, root, spec, size);
		if (ret)
			snprintf(err, errlen, "the zones spec does not fit %zu bytes", size);
	}
	if (f)
		fclose(f);
	free(m);
	return ret;
}

/* enabled_show()'s "always [madvise] never": the bracketed word. */
static const char *thp_mode(const char *text, char *buf, size_t size)
{
	const char *a = strchr(text, '['), *b = a ? strchr(a, ']') : NULL;

	if (!a || !b || (size_t)(b - a - 1) >= size)
		return NULL;
	snprintf(buf, size, "%.*s", (int)(b - a - 1), a + 1);
	return buf;
}

int proc_sysctls(const char *root, char out[][96], int max, long *min_free_kbytes)
{
	static const char *const names[] = {
		"watermark_scale_factor", "watermark_boost_factor", "lowmem_reserve_ratio",
		"percpu_pagelist_high_fraction", "zone_reclaim_mode", "numa_zonelist_order",
	};
	char path[128], buf[256], mode[16];
	int n = 0;

	*min_free_kbytes = -1;
	if (!read_line(root, "/proc/sys/vm/min_free_kbytes", buf, sizeof(buf)))
		*min_free_kbytes = strtol(buf, NULL, 10);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && n < max; i++) {
		snprintf(path, sizeof(path), "/proc/sys/vm/%s", names[i]);
		if (!read_line(root, path, buf, sizeof(buf))) {
			for (char *t = buf; *t; t++)
				if (*t == '\t')
					*t = ' ';
			snprintf(out[n++], sizeof(out[0]), "%s=%.80s", names[i], buf);
		}
	}
	if (n < max && !read_line(root, "/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)) &&
	    thp_mode(buf, mode, sizeof(mode)))
		snprintf(out[n++], sizeof(out[0]), "transparent_hugepage=%s", mode);
	return n;
}

int proc_apply_tunables(bz_system *sys, const char *root, FILE *note)
{
	char vals[16][96], buf[64];
	long mine, model;
	int n = proc_sysctls(root, vals, 16, &mine), ret;

	for (int i = 0; i < n; i++) {
		char *eq = strchr(vals[i], '=');

		*eq = '\0';
		ret = bz_sysctl_set(sys, vals[i], eq + 1);
		if (ret) {
			if (note)
				fprintf(note, "%s: %s=%s: %s\n", root, vals[i], eq + 1, bz_strerror(ret));
			return ret;
		}
	}
	if (mine < 0 || bz_sysctl_get(sys, "min_free_kbytes", buf, sizeof(buf)))
		return 0;
	model = strtol(buf, NULL, 10);
	if (model == mine)
		return 0;
	if (note)
		fprintf(note, "min_free_kbytes is %ld there, the model computes %ld (set by hand, or computed before "
			      "memory was hot-added): %ld is used, as a user's value\n", mine, model, mine);
	snprintf(buf, sizeof(buf), "%ld", mine);
	return bz_sysctl_set(sys, "min_free_kbytes", buf);
}
