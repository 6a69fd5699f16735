/* SPDX-License-Identifier: MIT */
/*
 * bzstat - vmstat(8) for a process's libbuddyzone: reads the statistics
 * segment a system publishes (bz_config.publish_stats, BUDDYZONE_STATS=1)
 * and prints one line per interval (free, cached and allocated pages, and
 * allocation events per second), or that process's buddyinfo, zoneinfo,
 * pagetypeinfo or vmstat in the kernel's layout, or how much of each
 * node's memory is resident, by backing.  It reads only segments owned by
 * its own user with mode 0600 (stats_reader.c), and only while the process
 * that wrote them runs: a segment left by a killed process says "exited",
 * one whose pid now belongs to another process says "stale", both with
 * exit status 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stats_reader.h"

#define MAX_SYSTEMS 64

static const char *const zone_names[BZ_MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable", "Device" };
static const char *const mt_names[BZ_MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate",
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bzstat -p PID [-s ID] [INTERVAL [COUNT]]\n"
		"       bzstat -p PID [-s ID] buddyinfo|zoneinfo|pagetypeinfo|vmstat|resident\n"
		"       bzstat -l | --clean\n"
		"\n"
		"Reads the statistics a libbuddyzone process publishes (BUDDYZONE_STATS=1,\n"
		"or bz_config.publish_stats) and prints, like vmstat(8), one line every\n"
		"INTERVAL seconds (default: one line), COUNT lines in all (default: until\n"
		"the process exits); the first line averages since publishing began.\n"
		"\n"
		"  -p, --pid PID     the process\n"
		"  -s, --system ID   which of its systems (default: the lowest id)\n"
		"  -l, --list        list the segments of your processes\n"
		"      --clean       remove those of processes that exited without removing them,\n"
		"                    and stale ones (their pid now belongs to another process)\n"
		"  -h, --help        this text\n"
		"\n"
		"Columns: pages free (in the buddy lists), cache (in per-thread caches),\n"
		"alloc (allocated); per second: pgalloc and pgfree (pages), stall (direct\n"
		"reclaims), pgout (kswapd runs), nhit and nmiss (numa_hit, numa_miss),\n"
		"fail (requests that returned NULL).  resident: bytes of each node's memory\n"
		"in RAM, on hugetlb pages, transparent huge pages and base pages.\n"
		"\n"
		"Exit status: 0; 1 when the process publishes nothing, has exited leaving\n"
		"its segment, the segment is stale or truncated; 2 for bad usage.\n");
}

/* ---- snapshot helpers ---------------------------------------------------------- */

struct totals {
	double free, cached, allocated;
	double pgalloc, pgfree, stall, pageout, hit, miss, fail;
};

static void totals_of(const struct bz_stats_snap *s, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; i < s->nr_zones; i++) {
		const struct bz_stats_zone *z = &s->zones[i];

		t->free += (double)z->free;
		t->cached += (double)z->cached;
		t->allocated += (double)z->allocated;
		t->hit += (double)z->numa[BZ_STAT_NUMA_HIT];
		t->miss += (double)z->numa[BZ_STAT_NUMA_MISS];
	}
	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
		t->pgalloc += (double)s->hdr.events[BZ_STAT_PGALLOC_DMA + zid];
		t->stall += (double)s->hdr.events[BZ_STAT_ALLOCSTALL_DMA + zid];
	}
	t->pgfree = (double)s->hdr.events[BZ_STAT_PGFREE];
	t->pageout = (double)s->hdr.events[BZ_STAT_PAGEOUTRUN];
	t->fail = (double)s->hdr.events[BZ_STAT_PGALLOC_FAIL];
}

static void print_header(void)
{
	printf("%-29s %s\n", "------------pages------------", "-------------------------per second--------------------------");
	printf("%9s %9s %9s %9s %9s %6s %6s %9s %9s %6s\n", "free", "cache", "alloc", "pgalloc", "pgfree",
	       "stall", "pgout", "nhit", "nmiss", "fail");
}

/* Counters are monotonic; a smaller value (none expected) reads as no events. */
static double rate(double now, double before, double secs)
{
	return secs > 0 && now > before ? (now - before) / secs : 0;
}

static void print_line(const struct totals *now, const struct totals *was, double secs)
{
	printf("%9.0f %9.0f %9.0f %9.0f %9.0f %6.0f %6.0f %9.0f %9.0f %6.0f\n", now->free, now->cached,
	       now->allocated, rate(now->pgalloc, was->pgalloc, secs), rate(now->pgfree, was->pgfree, secs),
	       rate(now->stall, was->stall, secs), rate(now->pageout, was->pageout, secs),
	       rate(now->hit, was->hit, secs), rate(now->miss, was->miss, secs), rate(now->fail, was->fail, secs));
	fflush(stdout);
}

/* ---- watching ------------------------------------------------------------------------ */

/*
 * Whether watching goes on (-1), or ends: the exit status (0 when the
 * process or the system ended cleanly, its segment gone with it), said on
 * stderr.
 */
static int watch_ends(const struct bz_stats_reader *r, pid_t pid)
{
	char err[256];
	int live = bz_stats_check_publisher(r, pid, err, sizeof(err)), linked = bz_stats_still_linked(r);

	if (!live && linked)
		return -1;
	if (!live) {
		fprintf(stderr, "bzstat: process %ld no longer publishes this system (destroyed)\n", (long)pid);
		return 0;
	}
	if (live == -ESRCH && !linked) {
		fprintf(stderr, "bzstat: process %ld has exited\n", (long)pid);
		return 0;
	}
	fprintf(stderr, "bzstat: %s%s\n", err,
		live == -ESRCH ? " without removing its segment (killed?); bzstat --clean removes it" : "");
	return 1;
}

static void read_failed(const struct bz_stats_reader *r, int ret)
{
	if (ret == -ENODATA)
		fprintf(stderr, "bzstat: %s was truncated while being read: not a segment any more\n", r->name);
	else
		fprintf(stderr, "bzstat: reading %s: %s\n", r->name, strerror(-ret));
}

static void sleep_seconds(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - floor(secs)) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int watch(const struct bz_stats_reader *r, pid_t pid, double interval, long count)
{
	struct bz_stats_snap snap;
	struct totals now, was = { 0 };
	uint64_t was_ns = r->start_ns;
	int ret, end = 0;

	if (bz_stats_snap_init(r, &snap))
		return 1;
	if (interval > 0 && interval * 1000 < r->interval_ms) {
		fprintf(stderr, "bzstat: process %ld publishes every %u ms; one line per %u ms\n", (long)pid,
			r->interval_ms, r->interval_ms);
		interval = r->interval_ms / 1000.0;
	}
	print_header();
	for (long line = 0; count < 0 || line < count; line++) {
		if (line)
			sleep_seconds(interval);
		if (line && (end = watch_ends(r, pid)) >= 0)
			break;
		end = 0;
		ret = bz_stats_read(r, &snap, 0);
		if (ret) {
			read_failed(r, ret);
			bz_stats_snap_free(&snap);
			return 1;
		}
		totals_of(&snap, &now);
		/* The first line: everything since publishing began, as vmstat's since boot. */
		print_line(&now, &was, (double)(snap.hdr.snapshot_ns - was_ns) / 1e9);
		was = now;
		was_ns = snap.hdr.snapshot_ns;
		if (interval <= 0)
			break;
	}
	bz_stats_snap_free(&snap);
	return end;
}

/* ---- the /proc-style dumps --------------------------------------------------------------- */

static void dump_buddyinfo(const struct bz_stats_snap *s)
{
	for (uint32_t i = 0; i < s->nr_zones; i++) {
		const struct bz_stats_zone *z = &s->zones[i];

		if (!z->populated)
			continue;
		printf("Node %" PRIu64 ", zone %8s ", z->nid, zone_names[z->zid]);
		for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
			printf("%6" PRIu64 " ", z->nr_free[o]);
		putchar('\n');
	}
}

static void dump_pagetypeinfo(const struct bz_stats_snap *s)
{
	for (uint64_t nid = 0; nid < s->hdr.nr_nodes; nid++) {
		const struct bz_stats_zone *zones = &s->zones[nid * BZ_MAX_NR_ZONES];

		printf("Page block order: %d\nPages per block:  %lu\n\n", BZ_PAGEBLOCK_ORDER,
		       1ul << BZ_PAGEBLOCK_ORDER);
		printf("%-43s ", "Free pages count per migrate type at order");
		for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
			printf("%6d ", o);
		putchar('\n');
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			for (int mt = 0; zones[zid].populated && mt < BZ_MIGRATE_TYPES; mt++) {
				printf("Node %4" PRIu64 ", zone %8s, type %12s ", nid, zone_names[zid], mt_names[mt]);
				for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
					uint64_t n = zones[zid].free_by_type[mt][o];

					printf("%s%6" PRIu64 " ", n >= BZ_STATS_LIST_CAP ? ">" : "", n);
				}
				putchar('\n');
			}
		printf("\n%-23s", "Number of blocks type ");
		for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
			printf("%12s ", mt_names[mt]);
		putchar('\n');
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			if (!zones[zid].populated)
				continue;
			printf("Node %" PRIu64 ", zone %8s ", nid, zone_names[zid]);
			for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
				printf("%12" PRIu64 " ", zones[zid].pageblocks[mt]);
			putchar('\n');
		}
	}
}

/* /proc/zoneinfo's items that a segment carries, in its layout. */
static void dump_zoneinfo(const struct bz_stats_snap *s)
{
	for (uint32_t i = 0; i < s->nr_zones; i++) {
		const struct bz_stats_zone *z = &s->zones[i];

		printf("Node %" PRIu64 ", zone %8s", z->nid, zone_names[z->zid]);
		printf("\n  pages free     %" PRIu64 "\n        boost    %" PRIu64 "\n        min      %" PRIu64
		       "\n        low      %" PRIu64 "\n        high     %" PRIu64 "\n        promo    %" PRIu64
		       "\n        spanned  %" PRIu64 "\n        present  %" PRIu64 "\n        managed  %" PRIu64
		       "\n        cma      0\n        protection: (%" PRIu64, z->free, z->boost, z->wmark_min,
		       z->wmark_low, z->wmark_high, z->wmark_promo, z->spanned, z->present, z->managed,
		       z->lowmem_reserve[0]);
		for (int k = 1; k < BZ_MAX_NR_ZONES; k++)
			printf(", %" PRIu64, z->lowmem_reserve[k]);
		putchar(')');
		if (!z->populated) {
			putchar('\n');
			continue;
		}
		printf("\n      %-12s %" PRIu64 "\n      %-12s %" PRIu64, "nr_free_pages", z->free,
		       "nr_free_pages_blocks", z->free_blocks);
		for (int k = 0; k < BZ_STATS_NR_NUMA; k++)
			printf("\n      %-12s %" PRIu64, bz_stats_numa_names[k], z->numa[k]);
		/* Caches are per thread, not per CPU: one pageset line for all of them. */
		printf("\n  pagesets (all threads)\n              count:    %" PRIu64 "\n              batch:    %" PRIu64
		       "\n              high_min: %" PRIu64 "\n              high_max: %" PRIu64, z->cached,
		       z->pcp_batch, z->pcp_high_min, z->pcp_high_max);
		printf("\n  start_pfn:           %" PRIu64 "\n", z->start_pfn);
	}
}

static void dump_vmstat(const struct bz_stats_snap *s)
{
	uint64_t free = 0, blocks = 0, numa[BZ_STATS_NR_NUMA] = { 0 };

	for (uint32_t i = 0; i < s->nr_zones; i++) {
		free += s->zones[i].free;
		blocks += s->zones[i].free_blocks;
		for (int k = 0; k < BZ_STATS_NR_NUMA; k++)
			numa[k] += s->zones[i].numa[k];
	}
	printf("nr_free_pages %" PRIu64 "\nnr_free_pages_blocks %" PRIu64 "\n", free, blocks);
	for (int k = 0; k < BZ_STATS_NR_NUMA; k++)
		printf("%s %" PRIu64 "\n", bz_stats_numa_names[k], numa[k]);
	for (int e = 0; e < BZ_STATS_NR_EVENTS; e++)
		printf("%s %" PRIu64 "\n", bz_stats_event_names[e], s->hdr.events[e]);
}

/* Each node's memory in RAM by backing, as bz_write_json's resident_bytes. */
static void dump_resident(const struct bz_stats_snap *s)
{
	static const int order[3] = { BZ_STATS_RES_HUGETLB, BZ_STATS_RES_THP, BZ_STATS_RES_BASE };

	printf("%-8s %12s %12s %12s %12s\n", "", "hugetlb_kB", "THP_kB", "base_kB", "total_kB");
	for (uint64_t nid = 0; nid < s->hdr.nr_nodes && nid < BZ_MAX_NUMNODES; nid++) {
		const uint64_t *res = s->hdr.resident[nid];
		uint64_t total = 0;

		printf("Node %-3" PRIu64, nid);
		if (res[0] == BZ_STATS_RES_UNKNOWN) {
			printf(" %12s\n", "unknown");
			continue;
		}
		for (int k = 0; k < 3; k++) {
			printf(" %12" PRIu64, res[order[k]] >> 10);
			total += res[order[k]];
		}
		printf(" %12" PRIu64 "\n", total >> 10);
	}
}

static int dump(const struct bz_stats_reader *r, const char *what)
{
	static const struct {
		const char *name;
		void (*fn)(const struct bz_stats_snap *);
	} dumps[] = {
		{ "buddyinfo", dump_buddyinfo }, { "zoneinfo", dump_zoneinfo },
		{ "pagetypeinfo", dump_pagetypeinfo }, { "vmstat", dump_vmstat },
		{ "resident", dump_resident },
	};
	struct bz_stats_snap snap;
	int ret;

	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		if (strcmp(what, dumps[i].name))
			continue;
		if (bz_stats_snap_init(r, &snap))
			return 1;
		ret = bz_stats_read(r, &snap, 0);
		if (ret)
			read_failed(r, ret);
		else
			dumps[i].fn(&snap);
		bz_stats_snap_free(&snap);
		return ret ? 1 : 0;
	}
	fprintf(stderr, "bzstat: unknown command '%s'\n", what);
	usage(stderr);
	return 2;
}

/* ---- main ------------------------------------------------------------------------------------- */

static int parse_number(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || !isfinite(*v) || *v < 0 ? -1 : 0;
}

/* The segment to read: -s ID, else pid's lowest id. */
static int open_segment(struct bz_stats_reader *r, pid_t pid, long long sys_id)
{
	uint64_t ids[MAX_SYSTEMS];
	char err[256];
	int n;

	if (sys_id < 0) {
		n = bz_stats_list(pid, ids, MAX_SYSTEMS);
		if (n < 0) {
			fprintf(stderr, "bzstat: listing /dev/shm: %s\n", strerror(-n));
			return -1;
		}
		if (!n) {
			fprintf(stderr, "bzstat: process %ld publishes no statistics (run it with BUDDYZONE_STATS=1)\n",
				(long)pid);
			return -1;
		}
		if (n > 1)
			fprintf(stderr, "bzstat: process %ld has %d systems; showing id %" PRIu64 " (-s ID for another)\n",
				(long)pid, n, ids[0]);
		sys_id = (long long)ids[0];
	}
	if (bz_stats_open(r, pid, (uint64_t)sys_id, getuid(), err, sizeof(err))) {
		fprintf(stderr, "bzstat: %s\n", err);
		return -1;
	}
	n = bz_stats_check_publisher(r, pid, err, sizeof(err));
	if (n) {
		fprintf(stderr, "bzstat: %s%s\n", err, n == -ESRCH || n == -ESTALE ?
			"; its segment is left over: bzstat --clean removes it" : "");
		bz_stats_close(r);
		return -1;
	}
	return 0;
}

/*
 * What became of the process behind one of your segments: NULL while it
 * runs, else "exited" or "stale" (pid reused), or why it cannot be read.
 */
static const char *segment_state(const char *file, long pid, char *why, size_t n)
{
	struct bz_stats_reader r;
	char name[NAME_MAX + 2];
	int ret;

	if (kill((pid_t)pid, 0) && errno == ESRCH)
		return "exited";
	snprintf(name, sizeof(name), "/%s", file);
	if (bz_stats_open_name(&r, name, getuid(), why, n))
		return why;
	ret = bz_stats_check_publisher(&r, (pid_t)pid, why, n);
	bz_stats_close(&r);
	return !ret ? NULL : ret == -ESRCH ? "exited" : ret == -ESTALE ? "stale" : why;
}

/*
 * Your segments in /dev/shm: "PID SYSTEM", and whether the process still
 * runs.  With clean, those of exited processes (killed by a signal: no
 * atexit ran) and stale ones are removed; unreadable ones are only shown.
 */
static int list_all(bool clean)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	struct stat st;
	char why[256];

	if (!d) {
		perror("bzstat: /dev/shm");
		return 1;
	}
	printf("%8s %6s\n", "PID", "SYSTEM");
	while ((e = readdir(d))) {
		unsigned long long id;
		const char *state;
		long pid;
		char tail;

		if (sscanf(e->d_name, BZ_STATS_SHM_PREFIX "%ld.%llu%c", &pid, &id, &tail) != 2 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) || st.st_uid != getuid())
			continue;
		state = segment_state(e->d_name, pid, why, sizeof(why));
		if (!state)
			printf("%8ld %6llu\n", pid, id);
		else if (state == why)
			printf("%8ld %6llu  (%s)\n", pid, id, why);
		else if (!clean)
			printf("%8ld %6llu  (%s: bzstat --clean removes it)\n", pid, id, state);
		else if (unlinkat(dirfd(d), e->d_name, 0))
			printf("%8ld %6llu  (%s; cannot remove: %s)\n", pid, id, state, strerror(errno));
		else
			printf("%8ld %6llu  (%s; removed)\n", pid, id, state);
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' }, { "system", required_argument, NULL, 's' },
		{ "list", no_argument, NULL, 'l' }, { "clean", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct bz_stats_reader r;
	long long sys_id = -1;
	double interval = 0, count = -1;
	pid_t pid = 0;
	char *end;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "p:s:lh", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			pid = (pid_t)strtol(optarg, &end, 10);
			if (*end || pid <= 0) {
				fprintf(stderr, "bzstat: -p wants a process id, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 's':
			sys_id = strtoll(optarg, &end, 10);
			if (*end || sys_id < 0) {
				fprintf(stderr, "bzstat: -s wants a system id, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'l': return list_all(false);
		case 'c': return list_all(true);
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!pid || argc - optind > 2) {
		usage(stderr);
		return 2;
	}
	if (optind < argc && parse_number(argv[optind], &interval)) {
		if (argc - optind != 1) {
			usage(stderr);
			return 2;
		}
		if (open_segment(&r, pid, sys_id))
			return 1;
		ret = dump(&r, argv[optind]);
		bz_stats_close(&r);
		return ret;
	}
	if (optind + 1 < argc && (parse_number(argv[optind + 1], &count) || count != floor(count))) {
		fprintf(stderr, "bzstat: COUNT must be a whole number, not '%s'\n", argv[optind + 1]);
		return 2;
	}
	if (open_segment(&r, pid, sys_id))
		return 1;
	ret = watch(&r, pid, interval, optind + 1 < argc ? (long)count : (interval > 0 ? -1 : 1));
	bz_stats_close(&r);
	return ret;
}
