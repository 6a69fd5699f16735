/* SPDX-License-Identifier: MIT */
/*
 * bzreplay - replays a trace of the kernel's page allocator (kmem events,
 * as trace-cmd or tracefs write them, or trace-cmd's trace.dat) or a CSV of
 * "op,order,gfp,id" through a libbuddyzone system, and sets the kernel's
 * figures beside the model's.  Started from a /proc snapshot taken just
 * before the trace (tools/bzrecord.sh), it lays the machine's free blocks
 * out in a model of the machine's zones; with the snapshot taken after, it
 * compares the end states.  Policy mode lets the model choose the pages;
 * exact mode makes every event move the pfn it names.  The parts:
 * replay_trace.c, replay_seed.c, replay_run.c, replay_report.c,
 * replay_plot.c (replay.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay.h"

extern char **environ;

#define MAX_SYSCTLS 32
#define MAX_ORDERS_SHOWN 6

struct options {
	struct bz_config cfg;
	char *sysctls[MAX_SYSCTLS];
	int nr_sysctls;
	const char *format, *csv, *png, *trace, *before, *after, *stats;
	char zones[4096];
	int orders[MAX_ORDERS_SHOWN], nr_orders;
	double interval_ms;
	enum replay_mode mode;
	bool quiet, table, threads;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bzreplay [OPTIONS] TRACE\n"
		"\n"
		"Replays TRACE through a libbuddyzone system and prints the kernel's figures\n"
		"beside the model's.  TRACE is the kernel's ftrace text of the kmem events\n"
		"mm_page_alloc, mm_page_free (and _batched), mm_page_alloc_zone_locked,\n"
		"mm_page_pcpu_drain and mm_page_alloc_extfrag, as trace-cmd report or\n"
		"/sys/kernel/tracing/trace write it (also xz or gzip compressed), trace-cmd's\n"
		"trace.dat, or CSV lines \"op,order,gfp,id\"; - reads stdin.  tools/bzrecord.sh\n"
		"records one, with /proc snapshots before and after.\n"
		"\n"
		"Options:\n"
		"  --mode policy|exact   policy (default): the model chooses the pages; exact:\n"
		"                        each event moves the pfn it names (needs --before)\n"
		"  --compaction on|off   the model's compaction (default: BUDDYZONE_COMPACTION,\n"
		"                        else on).  On, policy mode lets the library move the\n"
		"                        blocks the trace allocated movable (below order 9): it\n"
		"                        marks them movable and follows each move, so that the\n"
		"                        trace's free of the pfn frees the block where it lies\n"
		"  --before DIR          start from the snapshot under DIR (DIR/proc/zoneinfo,\n"
		"                        buddyinfo, pagetypeinfo; DIR/proc/sys/vm/...): the machine's\n"
		"                        zones, tunables and free blocks; replay between its markers\n"
		"  --after DIR           compare the end state with that snapshot, zone by zone\n"
		"  --stats FILE          the ring buffer's counters (trace-cmd report --stat, or\n"
		"                        per_cpu/cpu*/stats): warn about overruns\n"
		"  --zones SPEC          the system, as for bzinfo (default: this machine)\n"
		"  --sysctl NAME=VALUE   a tunable; repeatable\n"
		"  --cpus-per-node N     CPUs of every node\n"
		"  --topology SPEC       xml:PATH or synthetic:STRING\n"
		"  --format F            ftrace, csv, dat or auto (default)\n"
		"  --interval MS         a sample every MS of trace time (default 10; CSV: 1 ms a row)\n"
		"  --no-threads          policy mode in one thread (default: one per traced CPU)\n"
		"  --table               print the samples per zone\n"
		"  --orders LIST         orders of the table's index columns (default 3,6,9)\n"
		"  --csv FILE            the samples as CSV into FILE (- for stdout)\n"
		"  --plot FILE.png       draw pages and the fragmentation indices over time (gnuplot)\n"
		"  --quiet               the summary only\n"
		"  --help                this text\n");
}

static int parse_orders(struct options *o, const char *list)
{
	char buf[128], *save = NULL, *tok, *end;

	snprintf(buf, sizeof(buf), "%s", list);
	o->nr_orders = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long v = strtol(tok, &end, 10);

		if (*end || end == tok || v < 0 || v > BZ_MAX_ORDER || o->nr_orders == MAX_ORDERS_SHOWN)
			return -1;
		o->orders[o->nr_orders++] = (int)v;
	}
	return o->nr_orders ? 0 : -1;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "zones", required_argument, NULL, 'z' }, { "sysctl", required_argument, NULL, 's' },
		{ "cpus-per-node", required_argument, NULL, 'c' }, { "topology", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' }, { "interval", required_argument, NULL, 'i' },
		{ "orders", required_argument, NULL, 'O' }, { "csv", required_argument, NULL, 'C' },
		{ "plot", required_argument, NULL, 'P' }, { "quiet", no_argument, NULL, 'q' },
		{ "mode", required_argument, NULL, 'm' }, { "before", required_argument, NULL, 'B' },
		{ "after", required_argument, NULL, 'A' }, { "stats", required_argument, NULL, 'S' },
		{ "table", no_argument, NULL, 'T' }, { "no-threads", no_argument, NULL, 'N' },
		{ "compaction", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *what = NULL;
	char *end;
	double d;
	long n;
	int opt;

	while ((opt = getopt_long(argc, argv, "z:s:c:t:f:i:O:C:P:qm:B:A:S:TNK:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'z': o->cfg.zones = optarg; break;
		case 't': o->cfg.topology = optarg; break;
		case 'B': o->before = optarg; break;
		case 'A': o->after = optarg; break;
		case 'S': o->stats = optarg; break;
		case 'C': o->csv = optarg; break;
		case 'P': o->png = optarg; break;
		case 'q': o->quiet = true; break;
		case 'T': o->table = true; break;
		case 'N': o->threads = false; break;
		case 'c':
			what = "--cpus-per-node";
			n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 0 || n > 4096)
				goto bad;
			o->cfg.cpus_per_node = (int)n;
			break;
		case 's':
			what = "--sysctl";
			if (o->nr_sysctls == MAX_SYSCTLS || !strchr(optarg, '='))
				goto bad;
			o->sysctls[o->nr_sysctls++] = optarg;
			break;
		case 'f':
			what = "--format";
			if (strcmp(optarg, "ftrace") && strcmp(optarg, "csv") && strcmp(optarg, "dat") &&
			    strcmp(optarg, "auto"))
				goto bad;
			o->format = strcmp(optarg, "auto") ? optarg : NULL;
			break;
		case 'i':
			what = "--interval";
			d = strtod(optarg, &end);
			if (*end || end == optarg || !(d >= 0.001 && d <= 3600000))
				goto bad;
			o->interval_ms = d;
			break;
		case 'm':
			what = "--mode";
			if (strcmp(optarg, "policy") && strcmp(optarg, "exact"))
				goto bad;
			o->mode = strcmp(optarg, "exact") ? MODE_POLICY : MODE_EXACT;
			break;
		case 'K':
			what = "--compaction";
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				goto bad;
			o->cfg.compaction = !strcmp(optarg, "on");
			break;
		case 'O':
			what = "--orders";
			if (parse_orders(o, optarg))
				goto bad;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -1;
	}
	o->trace = argv[optind];
	if (o->before && o->cfg.zones) {
		fprintf(stderr, "bzreplay: --before takes the zones from its zoneinfo: drop --zones\n");
		return -1;
	}
	if (o->mode == MODE_EXACT && !o->before) {
		fprintf(stderr, "bzreplay: --mode exact needs --before DIR: the model's pfns must be the kernel's\n");
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "bzreplay: bad value for %s: '%s' (--help explains)\n", what, optarg);
	return -1;
}

/* ---- reading the trace ---------------------------------------------------------------------- */

/* A compressed file through its decompressor (xz -dc, gzip -dc); NULL for a plain one. */
static FILE *decompress(const char *path, pid_t *pid)
{
	static const struct { unsigned char magic[6]; size_t len; const char *tool; } kinds[] = {
		{ { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, "xz" }, { { 0x1f, 0x8b }, 2, "gzip" },
	};
	unsigned char head[6] = { 0 };
	posix_spawn_file_actions_t fa;
	FILE *f = fopen(path, "rb");
	const char *tool = NULL;
	int fds[2];

	struct stat st;

	/* A pipe's first bytes, once read, are gone: only regular files are looked into. */
	if (stat(path, &st) || !S_ISREG(st.st_mode) || !f) {
		if (f)
			fclose(f);
		return NULL;
	}
	if (fread(head, 1, sizeof(head), f) < 2)
		head[0] = 0;
	fclose(f);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!memcmp(head, kinds[i].magic, kinds[i].len))
			tool = kinds[i].tool;
	if (!tool || pipe(fds))
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, path, O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	{
		char *argv[] = { (char *)tool, "-dc", NULL };

		if (posix_spawnp(pid, tool, &fa, NULL, argv, environ)) {
			fprintf(stderr, "bzreplay: %s is %s-compressed and %s is not installed\n", path, tool, tool);
			*pid = -2;
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (*pid == -2) {
		close(fds[0]);
		return NULL;
	}
	return fdopen(fds[0], "r");
}

static int load_text(const struct options *o, struct trace *t)
{
	pid_t pid = -1;
	FILE *in = strcmp(o->trace, "-") ? decompress(o->trace, &pid) : stdin;
	int ret, status;

	if (!in && pid == -1 && strcmp(o->trace, "-"))
		in = fopen(o->trace, "r");
	if (!in && pid == -2)
		return -1;
	if (!in) {
		fprintf(stderr, "bzreplay: %s: %s\n", o->trace, strerror(errno ? errno : EIO));
		return -1;
	}
	ret = trace_read_text(in, o->format && strcmp(o->format, "dat") ? o->format : NULL, t);
	if (in != stdin)
		fclose(in);
	if (pid > 0 && (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)))
		ret = ret ? ret : -EIO;
	return ret;
}

static int load(const struct options *o, struct trace *t)
{
	bool dat = o->format ? !strcmp(o->format, "dat") : strcmp(o->trace, "-") && trace_is_dat(o->trace);
	int ret = dat ? trace_read_dat(o->trace, t) : load_text(o, t);

	if (ret == -ENOTSUP)
		fprintf(stderr, "bzreplay: %s is a trace.dat, and this bzreplay was built without libtracecmd: "
				"run `trace-cmd report -i %s > trace.txt` and replay that\n", o->trace, o->trace);
	else if (ret)
		fprintf(stderr, "bzreplay: reading %s: %s\n", o->trace, strerror(-ret));
	if (ret)
		return -1;
	trace_finish(t);
	if (!t->nr) {
		fprintf(stderr, "bzreplay: %s holds no kmem page events or CSV rows%s\n", o->trace,
			t->windowed ? " between its snapshot markers" : "");
		return -1;
	}
	if (o->stats) {
		FILE *f = fopen(o->stats, "r");

		if (!f || trace_read_stats(f, &t->c)) {
			fprintf(stderr, "bzreplay: %s: %s\n", o->stats, f ? "no overrun, dropped or tracing_on lines"
									: strerror(errno));
			if (f)
				fclose(f);
			return -1;
		}
		fclose(f);
	}
	return 0;
}

/* ---- the system ------------------------------------------------------------------------------- */

static void log_to_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= BZ_LOG_WARNING)
		fprintf(stderr, "bzreplay: %s\n", msg);
}

static int build_system(struct options *o, const struct snapshot *before, const struct trace *t, bz_system **sys)
{
	int ret;

	if (before) {
		if (snapshot_zones_spec(before, t, o->zones, sizeof(o->zones))) {
			fprintf(stderr, "bzreplay: --before %s: its zones do not fit a zones spec\n", o->before);
			return -1;
		}
		o->cfg.zones = o->zones;
	}
	ret = bz_system_create(&o->cfg, sys);
	if (ret) {
		fprintf(stderr, "bzreplay: cannot build the system: %s\n", bz_strerror(ret));
		return ret;
	}
	if (o->before && proc_apply_tunables(*sys, o->before, NULL))
		return -1;
	for (int i = 0; i < o->nr_sysctls; i++) {
		char *eq = strchr(o->sysctls[i], '=');

		*eq = '\0';
		ret = bz_sysctl_set(*sys, o->sysctls[i], eq + 1);
		*eq = '=';
		if (ret) {
			fprintf(stderr, "bzreplay: --sysctl %s: %s\n", o->sysctls[i], bz_strerror(ret));
			return ret;
		}
	}
	return 0;
}

/* ---- output ------------------------------------------------------------------------------------ */

static const char *compaction_name(int compaction)
{
	if (compaction == BZ_DEFAULT) {
		const char *env = getenv("BUDDYZONE_COMPACTION");

		return env && !strcmp(env, "0") ? "off" : "on";
	}
	return compaction ? "on" : "off";
}

static int report(const struct options *o, struct replay *r, const struct trace *t)
{
	struct snapshot *after = NULL;
	FILE *csv = NULL, *out = stdout;
	int ret = 0;

	if (o->csv) {
		csv = strcmp(o->csv, "-") ? fopen(o->csv, "w") : stdout;
		if (!csv) {
			fprintf(stderr, "bzreplay: %s: %s\n", o->csv, strerror(errno));
			return -1;
		}
		report_csv(csv, r);
		if (csv != stdout && fclose(csv))
			ret = -1;
		if (csv == stdout)
			out = stderr;
	}
	trace_warn_loss(t, stderr);
	report_summary(out, r, t, o->trace);
	if (!o->quiet) {
		report_side_by_side(out, r, t);
		if (o->table)
			report_table(out, r, o->orders, o->nr_orders);
	}
	if (o->after) {
		after = malloc(sizeof(*after));
		if (!after || snapshot_read(o->after, after) || report_compare_after(out, r, after)) {
			free(after);
			after = NULL;
			ret = -1;
		}
	}
	if (o->png) {
		const char *base = strrchr(o->trace, '/');
		char title[512];

		snprintf(title, sizeof(title), "bzreplay: %s, %s mode, compaction %s, %s%s", base ? base + 1 : o->trace,
			 r->mode == MODE_EXACT ? "exact" : "policy", compaction_name(o->cfg.compaction),
			 o->before ? "from the snapshot " : "on ",
			 o->before ? o->before : o->cfg.zones ? o->cfg.zones : "this machine's zones");
		if (report_plot(r, after, o->png, title))
			ret = -1;
	}
	free(after);
	return ret;
}

int main(int argc, char **argv)
{
	struct options *o = calloc(1, sizeof(*o));
	struct replay *r = calloc(1, sizeof(*r));
	struct snapshot *before = NULL;
	struct trace t = { 0 };
	int ret = 1;

	if (!o || !r)
		return 1;
	bz_config_init(&o->cfg);
	o->cfg.log = log_to_stderr;
	o->cfg.hugetlb = BZ_HUGETLB_NEVER;
	o->threads = true;
	o->orders[0] = 3, o->orders[1] = 6, o->orders[2] = 9, o->nr_orders = 3;
	if (parse_options(argc, argv, o)) {
		ret = 2;
		goto out;
	}
	if (load(o, &t))
		goto out;
	if (o->before) {
		before = malloc(sizeof(*before));
		if (!before || snapshot_read(o->before, before))
			goto out;
		if (!t.windowed)
			fprintf(stderr, "bzreplay: warning: %s has no \"bzreplay: before\"/\"after\" markers: every "
					"event is replayed from the snapshot\n", o->trace);
	}
	if (build_system(o, before, &t, &r->sys))
		goto out;
	r->mode = o->mode;
	r->before = before;
	r->threads = o->threads;
	r->interval_ns = (uint64_t)((o->interval_ms ? o->interval_ms : 10) * 1e6);
	/* The replayed blocks are ours to let move, where the system compacts. */
	if (r->mode == MODE_POLICY && !strcmp(compaction_name(o->cfg.compaction), "on") && movable_begin(r))
		goto out;
	if (before && replay_seed(r, &t))
		goto out;
	ret = replay_run(r, &t);
	if (ret) {
		fprintf(stderr, "bzreplay: %s\n", strerror(-ret));
		ret = 1;
		goto out;
	}
	ret = report(o, r, &t) ? 1 : 0;
	if (replay_release(r)) {
		fprintf(stderr, "bzreplay: the system's invariants broke during the replay (bz_check)\n");
		ret = 1;
	}
out:
	bz_system_destroy(r->sys);
	movable_end(r); /* after kcompactd stopped: no callback comes any more */
	map_free(&r->map);
	free(r->samples);
	free(r->zs);
	free(r);
	free(before);
	free(t.ev);
	free(o);
	return ret;
}
