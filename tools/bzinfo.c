/* SPDX-License-Identifier: MIT */
/*
 * bzinfo - builds a libbuddyzone system and prints it the way the kernel
 * shows its own: topology (numactl --hardware), /proc/zoneinfo, buddyinfo,
 * pagetypeinfo, vmstat, the boot log's zonelists, or all of it as JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <buddyzone/buddyzone.h>

#define MAX_SYSCTLS 32

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bzinfo [OPTIONS] COMMAND\n"
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
		"                        0:DMA=3840,0:DMA32=772917,0:Normal=163840 (default: this machine)\n"
		"  --sysctl NAME=VALUE   a tunable (min_free_kbytes, watermark_scale_factor,\n"
		"                        watermark_boost_factor, lowmem_reserve_ratio,\n"
		"                        percpu_pagelist_high_fraction, numa_zonelist_order,\n"
		"                        zone_reclaim_mode); repeatable\n"
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

static int run(bz_system *sys, const char *cmd)
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
			return cmds[i].fn(sys, stdout);
	fprintf(stderr, "bzinfo: unknown command '%s'\n", cmd);
	usage(stderr);
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "zones", required_argument, NULL, 'z' }, { "sysctl", required_argument, NULL, 's' },
		{ "cpus-per-node", required_argument, NULL, 'c' }, { "topology", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	char *sysctls[MAX_SYSCTLS];
	int nr_sysctls = 0, opt, ret;
	struct bz_config cfg;
	bz_system *sys;

	bz_config_init(&cfg);
	cfg.log = log_to_stderr;
	while ((opt = getopt_long(argc, argv, "z:s:c:t:Vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'z': cfg.zones = optarg; break;
		case 't': cfg.topology = optarg; break;
		case 'c': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || end == optarg || n < 0 || n > 4096) {
				fprintf(stderr, "bzinfo: --cpus-per-node wants a number 0..4096, not '%s'\n", optarg);
				return 2;
			}
			cfg.cpus_per_node = (int)n;
			break;
		}
		case 's':
			if (nr_sysctls == MAX_SYSCTLS || !strchr(optarg, '=')) {
				fprintf(stderr, "bzinfo: --sysctl wants NAME=VALUE (at most %d)\n", MAX_SYSCTLS);
				return 2;
			}
			sysctls[nr_sysctls++] = optarg;
			break;
		case 'V': printf("bzinfo (libbuddyzone) %s\n", bz_version()); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	ret = bz_system_create(&cfg, &sys);
	if (ret) {
		fprintf(stderr, "bzinfo: cannot build the system: %s\n", bz_strerror(ret));
		return 1;
	}
	for (int i = 0; i < nr_sysctls && !ret; i++) {
		char *eq = strchr(sysctls[i], '=');

		*eq = '\0';
		ret = bz_sysctl_set(sys, sysctls[i], eq + 1);
		if (ret)
			fprintf(stderr, "bzinfo: --sysctl %s=%s: %s\n", sysctls[i], eq + 1, bz_strerror(ret));
	}
	if (!ret)
		ret = run(sys, argv[optind]);
	bz_system_destroy(sys);
	return ret ? 1 : 0;
}
