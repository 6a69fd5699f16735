/* SPDX-License-Identifier: MIT */
/*
 * bzinfo - builds a libbuddyzone system and prints it the way the kernel
 * shows its own: topology (numactl --hardware), /proc/zoneinfo, buddyinfo,
 * pagetypeinfo, vmstat, the boot log's zonelists, or all of it as JSON.
 * With --from-proc the system is this machine as its kernel sees it (zone
 * geometry and CPUs from /proc/zoneinfo and the nodes' cpulists, tunables
 * from /proc/sys/vm and THP's enabled), so that its watermarks, protection
 * and pagesets are the kernel's; --sysctl on top asks "what if", and
 * --diff shows what would change.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <buddyzone/buddyzone.h>

#include "procfs.h"

#define MAX_SYSCTLS 32

struct options {
	struct bz_config cfg;
	char *sysctls[MAX_SYSCTLS];     /* the user's, NAME=VALUE */
	int nr_sysctls;
	const char *proc_root;          /* --from-proc: "/" or a snapshot's root */
	char zones[4096];
	bool diff;
	const char *cmd;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bzinfo [OPTIONS] COMMAND\n"
		"       bzinfo --from-proc [--proc-root DIR] --sysctl NAME=VALUE... --diff\n"
		"\n"
		"Commands:\n"
		"  topology      nodes, CPUs, sizes, distances and arena backing (numactl --hardware)\n"
		"  zoneinfo      as /proc/zoneinfo\n"
		"  buddyinfo     as /proc/buddyinfo\n"
		"  pagetypeinfo  as /proc/pagetypeinfo\n"
		"  vmstat        as /proc/vmstat\n"
		"  zonelists     the boot log's \"Fallback order for Node N: ...\" lines\n"
		"  unusable_index  as debugfs extfrag/unusable_index\n"
		"  extfrag_index   as debugfs extfrag/extfrag_index\n"
		"  json          all of the above as one JSON object\n"
		"\n"
		"Options:\n"
		"  --zones SPEC          page counts per node and zone, e.g.\n"
		"                        0:DMA=3840,0:DMA32=772917,0:Normal=163840 (default: this machine's\n"
		"                        memory); a zone may be MANAGED/PRESENT/SPANNED@START_PFN, and\n"
		"                        NID:cpus=N gives a node's CPUs\n"
		"  --from-proc           this machine as its kernel sees it: zones and CPUs from\n"
		"                        /proc/zoneinfo and /sys/devices/system/node, tunables from\n"
		"                        /proc/sys/vm and /sys/kernel/mm/transparent_hugepage/enabled\n"
		"  --proc-root DIR       read those files under DIR (a snapshot; implies --from-proc)\n"
		"  --sysctl NAME=VALUE   a tunable (min_free_kbytes, watermark_scale_factor,\n"
		"                        watermark_boost_factor, lowmem_reserve_ratio,\n"
		"                        percpu_pagelist_high_fraction, numa_zonelist_order,\n"
		"                        zone_reclaim_mode, transparent_hugepage); repeatable\n"
		"  --diff                with --from-proc: instead of a COMMAND, the watermarks,\n"
		"                        protection and pagesets that the --sysctl values change\n"
		"  --cpus-per-node N     CPUs of every node (default: the topology's)\n"
		"  --topology SPEC       xml:PATH or synthetic:STRING (default: this machine)\n"
		"  --version             print the library version\n"
		"  --help                this text\n");
}

static void log_to_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= BZ_LOG_WARNING)
		fprintf(stderr, "bzinfo: %s\n", msg);
}

static int run(bz_system *sys, const char *cmd, FILE *out)
{
	static const struct {
		const char *name;
		int (*fn)(bz_system *, FILE *);
	} cmds[] = {
		{ "topology", bz_write_topology }, { "zoneinfo", bz_write_zoneinfo },
		{ "buddyinfo", bz_write_buddyinfo }, { "pagetypeinfo", bz_write_pagetypeinfo },
		{ "vmstat", bz_write_vmstat }, { "zonelists", bz_write_zonelists },
		{ "json", bz_write_json }, { "unusable_index", bz_write_unusable_index },
		{ "extfrag_index", bz_write_extfrag_index },
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(sys, out);
	fprintf(stderr, "bzinfo: unknown command '%s'\n", cmd);
	usage(stderr);
	return -EINVAL;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "zones", required_argument, NULL, 'z' }, { "sysctl", required_argument, NULL, 's' },
		{ "cpus-per-node", required_argument, NULL, 'c' }, { "topology", required_argument, NULL, 't' },
		{ "from-proc", no_argument, NULL, 'F' }, { "proc-root", required_argument, NULL, 'R' },
		{ "diff", no_argument, NULL, 'D' }, { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "z:s:c:t:FR:DVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'z': o->cfg.zones = optarg; break;
		case 't': o->cfg.topology = optarg; break;
		case 'F': o->proc_root = o->proc_root ? o->proc_root : "/"; break;
		case 'R': o->proc_root = optarg; break;
		case 'D': o->diff = true; break;
		case 'c': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || end == optarg || n < 0 || n > 4096) {
				fprintf(stderr, "bzinfo: --cpus-per-node wants a number 0..4096, not '%s'\n", optarg);
				return 2;
			}
			o->cfg.cpus_per_node = (int)n;
			break;
		}
		case 's':
			if (o->nr_sysctls == MAX_SYSCTLS || !strchr(optarg, '=')) {
				fprintf(stderr, "bzinfo: --sysctl wants NAME=VALUE (at most %d)\n", MAX_SYSCTLS);
				return 2;
			}
			o->sysctls[o->nr_sysctls++] = optarg;
			break;
		case 'V': printf("bzinfo (libbuddyzone) %s\n", bz_version()); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (o->diff ? optind != argc : optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (o->diff && (!o->proc_root || !o->nr_sysctls)) {
		fprintf(stderr, "bzinfo: --diff compares --from-proc with --sysctl changes: give both\n");
		return 2;
	}
	if (o->proc_root && o->cfg.zones) {
		fprintf(stderr, "bzinfo: --from-proc takes the zones from /proc/zoneinfo: drop --zones\n");
		return 2;
	}
	o->cmd = o->diff ? NULL : argv[optind];
	return 0;
}

/* "NAME=VALUE" through bz_sysctl_set; the text is left as it was. */
static int set_sysctl(bz_system *sys, const char *nv)
{
	const char *eq = strchr(nv, '=');
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "%.*s", (int)(eq - nv), nv);
	ret = bz_sysctl_set(sys, name, eq + 1);
	if (ret)
		fprintf(stderr, "bzinfo: --sysctl %s=%s: %s\n", name, eq + 1, bz_strerror(ret));
	return ret;
}

/* The machine's zones, CPUs and tunables (--from-proc), into o. */
static int read_machine(struct options *o)
{
	char err[256];

	if (proc_zones_spec(o->proc_root, o->zones, sizeof(o->zones), err, sizeof(err))) {
		fprintf(stderr, "bzinfo: --from-proc: %s\n", err);
		return -1;
	}
	o->cfg.zones = o->zones;
	/* A model to print, not to run: no hugetlb pool taken for its spans. */
	o->cfg.hugetlb = BZ_HUGETLB_NEVER;
	return 0;
}

static int build(struct options *o, bool with_user_sysctls, bool quiet, bz_system **sys)
{
	int ret = bz_system_create(&o->cfg, sys);

	if (ret) {
		fprintf(stderr, "bzinfo: cannot build the system: %s\n", bz_strerror(ret));
		return ret;
	}
	if (o->proc_root && proc_apply_tunables(*sys, o->proc_root, quiet ? NULL : stderr))
		return -EINVAL;
	for (int i = 0; with_user_sysctls && i < o->nr_sysctls; i++)
		if (set_sysctl(*sys, o->sysctls[i]))
			return -EINVAL;
	return 0;
}

/* ---- --diff: today's numbers against the what-if ------------------------------------- */

static struct proc_machine *zoneinfo_of(bz_system *sys)
{
	struct proc_machine *m = calloc(1, sizeof(*m));
	char *text = NULL, err[128];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!m || !f || bz_write_zoneinfo(sys, f) || fclose(f)) {
		free(m);
		free(text);
		return NULL;
	}
	f = fmemopen(text, len, "r");
	if (!f || proc_parse_zoneinfo(f, m, err, sizeof(err))) {
		free(m);
		m = NULL;
	}
	if (f)
		fclose(f);
	free(text);
	return m;
}

static void diff_line(const char *zone, const char *what, long a, long b, int *shown)
{
	if (a == b)
		return;
	if (!(*shown)++)
		printf("%-36s %10s %10s\n", "", "today", "what-if");
	printf("%-22s %-13s %10ld %10ld\n", zone, what, a, b);
}

static void diff_zone(const struct proc_zone *a, const struct proc_zone *b, const char *zone, int *shown)
{
	static const char *const wm[] = { "min", "low", "high", "promo" };
	char what[32];

	for (int w = 0; w < 4; w++)
		diff_line(zone, wm[w], (long)a->wmark[w], (long)b->wmark[w], shown);
	for (int j = 0; j < a->nr_protection; j++) {
		snprintf(what, sizeof(what), "protection[%d]", j);
		diff_line(zone, what, (long)a->protection[j], (long)b->protection[j], shown);
	}
	diff_line(zone, "batch", a->pcp.batch, b->pcp.batch, shown);
	diff_line(zone, "high_min", a->pcp.high_min, b->pcp.high_min, shown);
	diff_line(zone, "high_max", a->pcp.high_max, b->pcp.high_max, shown);
}

static long sysctl_long(bz_system *sys, const char *name)
{
	char buf[64];

	return bz_sysctl_get(sys, name, buf, sizeof(buf)) ? -1 : strtol(buf, NULL, 10);
}

static int what_if(struct options *o)
{
	bz_system *today = NULL, *after = NULL;
	struct proc_machine *a = NULL, *b = NULL;
	int shown = 0, ret = -1;

	if (build(o, false, false, &today) || build(o, true, true, &after))
		goto out;
	a = zoneinfo_of(today);
	b = zoneinfo_of(after);
	if (!a || !b) {
		fprintf(stderr, "bzinfo: cannot read the model's zoneinfo back\n");
		goto out;
	}
	printf("what if");
	for (int i = 0; i < o->nr_sysctls; i++)
		printf(" %s", o->sysctls[i]);
	printf(" (today: %s's tunables)\n", strcmp(o->proc_root, "/") ? o->proc_root : "this machine");
	diff_line("", "min_free_kbytes", sysctl_long(today, "min_free_kbytes"), sysctl_long(after, "min_free_kbytes"),
		  &shown);
	for (int nid = 0; nid < a->nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			char zone[32];

			if (!a->zone[nid][zid].present)
				continue;
			snprintf(zone, sizeof(zone), "Node %d, zone %s", nid, proc_zone_names[zid]);
			diff_zone(&a->zone[nid][zid], &b->zone[nid][zid], zone, &shown);
		}
	if (!shown)
		printf("no watermark, protection or pageset changes\n");
	ret = 0;
out:
	free(a);
	free(b);
	bz_system_destroy(today);
	bz_system_destroy(after);
	return ret;
}

int main(int argc, char **argv)
{
	struct options *o = calloc(1, sizeof(*o));
	bz_system *sys = NULL;
	int ret;

	if (!o)
		return 1;
	bz_config_init(&o->cfg);
	o->cfg.log = log_to_stderr;
	ret = parse_options(argc, argv, o);
	if (ret) {
		free(o);
		return ret;
	}
	if (o->proc_root && read_machine(o)) {
		free(o);
		return 1;
	}
	if (o->diff)
		ret = what_if(o);
	else if (!(ret = build(o, true, false, &sys)))
		ret = run(sys, o->cmd, stdout);
	bz_system_destroy(sys);
	free(o);
	return ret ? 1 : 0;
}
