/* SPDX-License-Identifier: MIT */
/*
 * procfs.h - the kernel's page allocator files as data: /proc/zoneinfo
 * (zone geometry, watermarks, protection, pagesets), /proc/buddyinfo,
 * /proc/pagetypeinfo, /proc/vmstat, and the tunables bzinfo --from-proc
 * needs (/proc/sys/vm, THP's enabled, the nodes' CPU lists), read from a
 * root directory: "/" for this machine, or a snapshot that keeps the same
 * paths (tools/bzrecord.sh writes before/proc/zoneinfo, ...).  The same
 * parsers read the model's own reports, so kernel and model compare field
 * by field.
 */
#ifndef BZ_TOOLS_PROCFS_H
#define BZ_TOOLS_PROCFS_H

#include <stdbool.h>
#include <stdio.h>

#include <buddyzone/buddyzone.h>

#define PROC_NR_MT 6            /* pagetypeinfo's columns: Unmovable .. Isolate (CMA when built in) */

struct proc_pageset {
	long count, high, batch, high_min, high_max;
};

struct proc_zone {
	bool present;                   /* listed in zoneinfo */
	unsigned long managed, spanned, nr_present, start_pfn, free;
	unsigned long wmark[4];         /* min low high promo */
	unsigned long protection[BZ_MAX_NR_ZONES];
	int nr_protection;
	int nr_cpus;                    /* pagesets listed (one per online CPU) */
	struct proc_pageset pcp;        /* the first CPU's: batch and limits are every CPU's */
	long pcp_count;                 /* pages in all CPUs' pagesets */
	/* buddyinfo / pagetypeinfo */
	bool has_buddy, has_types;
	unsigned long nr_free[BZ_NR_PAGE_ORDERS];
	unsigned long free_mt[PROC_NR_MT][BZ_NR_PAGE_ORDERS];
	unsigned long blocks[PROC_NR_MT];
};

struct proc_machine {             /* large: allocate it */
	int nr_nodes;
	struct proc_zone zone[BZ_MAX_NUMNODES][BZ_MAX_NR_ZONES];
	int node_cpus[BZ_MAX_NUMNODES]; /* from nodeN/cpulist; -1 unknown */
	int nr_mt;                      /* pagetypeinfo's types */
	char mt_name[PROC_NR_MT][16];
};

/* Zone index of a zoneinfo name ("DMA", "DMA32", "Normal", "Movable", "Device"), -1 if none. */
int proc_zone_index(const char *name);
extern const char *const proc_zone_names[BZ_MAX_NR_ZONES];

/*
 * Parsers of one file's text: 0, or -1 after writing why to err (size
 * errlen).  They add to *m, so one proc_machine can hold all three files.
 */
int proc_parse_zoneinfo(FILE *in, struct proc_machine *m, char *err, size_t errlen);
int proc_parse_buddyinfo(FILE *in, struct proc_machine *m, char *err, size_t errlen);
int proc_parse_pagetypeinfo(FILE *in, struct proc_machine *m, char *err, size_t errlen);

/* A /proc/vmstat value by name from a file's text; -1 when absent. */
long proc_vmstat_value(FILE *in, const char *name);

/* root + path ("/" root: the path itself), opened for reading; NULL with errno. */
FILE *proc_open(const char *root, const char *path);

/*
 * This machine (or a snapshot at root) as a zones spec for bz_config.zones:
 * each zone "NID:ZONE=MANAGED/PRESENT/SPANNED@START_PFN", each node's
 * "NID:cpus=N" (its cpulist, else zoneinfo's pagesets on node 0).
 * 0, or -1 with err set.
 */
int proc_zones_spec(const char *root, char *spec, size_t size, char *err, size_t errlen);
/* Appends ",NID:cpus=N" per node of m (root's cpulists) to spec; 0, or -1 when it does not fit. */
int proc_cpus_spec(const char *root, const struct proc_machine *m, char *spec, size_t size);

/*
 * The tunables of /proc/sys/vm (and THP's enabled) that the model has, as
 * "name=value" strings (at most max; THP's as transparent_hugepage=MODE,
 * min_free_kbytes apart in *min_free_kbytes, -1 when absent).  Returns the
 * number written.
 */
int proc_sysctls(const char *root, char out[][96], int max, long *min_free_kbytes);

/*
 * Gives sys the tunables at root (THP's mode first, then /proc/sys/vm's),
 * and root's min_free_kbytes as a user's value where the model computes
 * another (a note to note, unless NULL).  0, or bz_sysctl_set's error.
 */
int proc_apply_tunables(bz_system *sys, const char *root, FILE *note);

#endif /* BZ_TOOLS_PROCFS_H */
