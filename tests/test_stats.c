/* SPDX-License-Identifier: MIT */
/*
 * test_stats.c - live statistics in shared memory (src/stats_shm.c), read
 * back through bzstat's own reader (tools/stats_reader.c): what a segment
 * holds against the introspection API, its name, mode and owner, the
 * reader's refusals and validation, seqlock consistency while a writer
 * rewrites it as fast as it can, the publisher thread's lifetime, the
 * environment switch, and cleanup at destroy, at exit and across fork.
 * Hostile and unlucky surroundings: objects another user (or an earlier
 * process) left under the name, a FIFO there, a full /dev/shm (injected,
 * and a real 4 KiB tmpfs in a private mount namespace where we may mount
 * one), a segment truncated under the publisher and under the reader, a
 * publisher killed with SIGKILL, a segment under a reused pid; and the
 * resident bytes by backing a segment carries.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common.h"
#include "wait.h"
#include "system.h"
#include "../tools/stats_reader.h"

#define ZONES "0:DMA=3840,0:DMA32=16384,0:Normal=16384"

static bz_system *publishing_system(int interval_ms, struct log_catch *lc)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.cpus_per_node = 2;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.publish_stats = 1;
	cfg.publish_interval_ms = interval_ms;
	if (lc) {
		cfg.log = log_catch_fn;
		cfg.log_arg = lc;
	}
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	assert_non_null(bz__stats_shm_name(sys));
	return sys;
}

static void open_reader(struct bz_stats_reader *r, bz_system *sys)
{
	char err[256] = "";
	int ret = bz_stats_open(r, getpid(), sys->id, getuid(), err, sizeof(err));

	if (ret)
		fail_msg("bz_stats_open: %s", err);
}

/* A snapshot taken after now: two publications later, so one began after the call. */
static void read_fresh(const struct bz_stats_reader *r, struct bz_stats_snap *snap)
{
	double deadline = wait_now_s() + WAIT_DEADLINE_S;
	uint64_t first;

	assert_int_equal(bz_stats_read(r, snap, 0), 0);
	first = snap->hdr.nr_snapshots;
	while (snap->hdr.nr_snapshots < first + 2 && wait_now_s() < deadline) {
		usleep(1000);
		assert_int_equal(bz_stats_read(r, snap, 0), 0);
	}
	assert_true(snap->hdr.nr_snapshots >= first + 2);
}

static unsigned long vmstat_value(bz_system *sys, const char *name)
{
	char *buf = NULL, key[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned long v = 0, found = 0;

	assert_int_equal(bz_write_vmstat(sys, f), 0);
	fclose(f);
	snprintf(key, sizeof(key), "\n%s ", name);
	for (char *p = strstr(buf, key); p; p = NULL)
		found = sscanf(p + strlen(key), "%lu", &v);
	free(buf);
	assert_int_equal(found, 1);
	return v;
}

/* Threads of this process; of them, those whose name starts with prefix (NULL: all). */
static int nr_threads_named(const char *prefix)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		if (!prefix) {
			n++;
			continue;
		}
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;               /* gone meanwhile */
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, prefix, strlen(prefix)))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static int nr_threads(void)
{
	return nr_threads_named(NULL);
}

/*
 * No thread of the library left ("bz-stats", "bz-kswapdN", ...).  Polled:
 * a joined thread stays listed in /proc/self/task for a moment after
 * pthread_join returns (the kernel wakes the joiner before it unlists the
 * task), so an immediate count fails by bad luck.
 */
static bool no_library_threads(void *arg)
{
	(void)arg;
	return nr_threads_named("bz-") == 0;
}

/* ---- what a segment holds --------------------------------------------------------------- */

static void test_segment_matches_zone_stats(void **state)
{
	bz_system *sys = publishing_system(5, NULL);
	struct bz_stats_reader r;
	struct bz_stats_snap snap;
	bz_page *held[64];
	uint64_t ids[8];
	char name[64];

	(void)state;
	snprintf(name, sizeof(name), "/buddyzone.%ld.%llu", (long)getpid(), (unsigned long long)sys->id);
	assert_string_equal(bz__stats_shm_name(sys), name);
	assert_true(bz_stats_list(getpid(), ids, 8) >= 1);
	for (int i = 0; i < 64; i++)
		assert_non_null(held[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, i % 4));
	open_reader(&r, sys);
	assert_int_equal(bz_stats_snap_init(&r, &snap), 0);
	read_fresh(&r, &snap);

	assert_int_equal(snap.hdr.pid, getpid());
	assert_int_equal(snap.hdr.sys_id, sys->id);
	assert_int_equal(snap.hdr.interval_ms, 5);
	assert_int_equal(snap.hdr.nr_nodes, 1);
	assert_int_equal(snap.nr_zones, BZ_MAX_NR_ZONES);
	assert_true(snap.hdr.start_ns <= snap.hdr.snapshot_ns);
	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
		const struct bz_stats_zone *z = &snap.zones[zid];
		struct bz_zone_stats st = zone_stats(sys, 0, zid);
		unsigned long blocks = 0;

		assert_int_equal(z->zid, zid);
		assert_int_equal(z->populated, st.present != 0);
		assert_int_equal(z->managed, st.managed);
		assert_int_equal(z->free, st.free);
		assert_int_equal(z->cached, st.cached);
		assert_int_equal(z->allocated, st.allocated);
		assert_int_equal(z->wmark_min, st.wmark_min);
		assert_int_equal(z->wmark_high, st.wmark_high);
		assert_int_equal(z->lowmem_reserve[BZ_ZONE_NORMAL], st.lowmem_reserve[BZ_ZONE_NORMAL]);
		assert_int_equal(z->pcp_batch, st.pcp_batch);
		for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
			uint64_t by_type = 0;

			assert_int_equal(z->nr_free[o], st.nr_free[o]);
			for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
				by_type += z->free_by_type[mt][o];
			assert_int_equal(by_type, z->nr_free[o]);
		}
		for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
			blocks += z->pageblocks[mt];
		assert_int_equal(blocks, (st.spanned + 511) / 512);
	}
	assert_int_equal(snap.hdr.events[BZ_STAT_PGALLOC_NORMAL], vmstat_value(sys, "pgalloc_normal"));
	assert_int_equal(snap.hdr.events[BZ_STAT_PGFREE], vmstat_value(sys, "pgfree"));
	assert_int_equal(snap.zones[BZ_ZONE_NORMAL].numa[BZ_STAT_NUMA_HIT], vmstat_value(sys, "numa_hit"));
	assert_true(snap.zones[BZ_ZONE_NORMAL].allocated >= 64);

	for (int i = 0; i < 64; i++)
		assert_int_equal(bz_free_pages(held[i], i % 4), 0);
	bz_stats_snap_free(&snap);
	bz_stats_close(&r);
	bz_system_destroy(sys);
}

/* ---- mode, owner, validation -------------------------------------------------------------- */

static void test_segment_mode_and_owner(void **state)
{
	bz_system *sys = publishing_system(50, NULL);
	const char *name = bz__stats_shm_name(sys);
	struct bz_stats_reader r;
	char err[256];
	struct stat st;
	int fd;

	(void)state;
	fd = shm_open(name, O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());

	/* Somebody else's: refused, and said so. */
	assert_int_equal(bz_stats_open(&r, getpid(), sys->id, getuid() + 1, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "refusing"));
	/* Ours but readable by others: refused too. */
	fd = shm_open(name, O_RDWR, 0);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	assert_int_equal(bz_stats_open(&r, getpid(), sys->id, getuid(), err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "mode 0644"));
	assert_int_equal(fchmod(fd, 0600), 0);
	close(fd);
	open_reader(&r, sys);
	bz_stats_close(&r);
	/* Nothing of a pid that publishes nothing. */
	assert_true(bz_stats_open(&r, getpid(), sys->id + 1000, getuid(), err, sizeof(err)) == -ENOENT);
	bz_system_destroy(sys);
}

/* A segment as a writer would lay it out, in ordinary memory: nodes nodes. */
static struct bz_stats_shm *fake_segment(int nodes, size_t *size)
{
	size_t zones = (size_t)nodes * BZ_MAX_NR_ZONES;
	struct bz_stats_shm *h;

	*size = sizeof(*h) + zones * sizeof(struct bz_stats_zone);
	h = aligned_alloc(64, (*size + 63) & ~(size_t)63);
	assert_non_null(h);
	memset(h, 0, *size);
	h->magic = BZ_STATS_SHM_MAGIC;
	h->version = BZ_STATS_SHM_VERSION;
	h->header_size = sizeof(*h);
	h->zone_size = sizeof(struct bz_stats_zone);
	h->nr_zones = (uint32_t)zones;
	h->nr_events = BZ_STATS_NR_EVENTS;
	h->total_size = *size;
	h->nr_nodes = (uint64_t)nodes;
	for (size_t i = 0; i < zones; i++) {
		struct bz_stats_zone *z = (struct bz_stats_zone *)((char *)h + sizeof(*h)) + i;

		z->nid = i / BZ_MAX_NR_ZONES;
		z->zid = i % BZ_MAX_NR_ZONES;
	}
	return h;
}

static void test_reader_validates_layout(void **state)
{
	struct bz_stats_reader r;
	struct bz_stats_snap snap;
	struct bz_stats_zone *zones;
	char err[256];
	size_t size;
	struct bz_stats_shm *h = fake_segment(2, &size);

	(void)state;
	assert_int_equal(bz_stats_attach(&r, h, size, err, sizeof(err)), 0);
	assert_int_equal(r.nr_zones, 2 * BZ_MAX_NR_ZONES);
	/* Too short for a header, or for the records the header claims. */
	assert_int_equal(bz_stats_attach(&r, h, sizeof(*h) - 8, err, sizeof(err)), -EPROTO);
	assert_int_equal(bz_stats_attach(&r, h, size - 8, err, sizeof(err)), -EPROTO);
	h->nr_zones = 64 * BZ_MAX_NR_ZONES;    /* in range, but not in the mapping */
	h->total_size = sizeof(*h) + (uint64_t)h->nr_zones * sizeof(struct bz_stats_zone);
	assert_int_equal(bz_stats_attach(&r, h, size, err, sizeof(err)), -EPROTO);
	h->nr_zones = 2 * BZ_MAX_NR_ZONES + 1; /* not whole nodes */
	assert_int_equal(bz_stats_attach(&r, h, size, err, sizeof(err)), -EPROTO);
	h->nr_zones = 2 * BZ_MAX_NR_ZONES;
	h->total_size = size;
	h->zone_size += 8;
	assert_int_equal(bz_stats_attach(&r, h, size, err, sizeof(err)), -EPROTO);
	h->zone_size -= 8;
	h->version = BZ_STATS_SHM_VERSION + 1;
	assert_int_equal(bz_stats_attach(&r, h, size, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "version"));
	h->version = BZ_STATS_SHM_VERSION;
	h->magic = 0;
	assert_int_equal(bz_stats_attach(&r, h, size, err, sizeof(err)), -EPROTO);
	h->magic = BZ_STATS_SHM_MAGIC;

	/* Records a caller would index by are checked in every snapshot. */
	assert_int_equal(bz_stats_attach(&r, h, size, err, sizeof(err)), 0);
	assert_int_equal(bz_stats_snap_init(&r, &snap), 0);
	assert_int_equal(bz_stats_read(&r, &snap, 0), 0);
	zones = (struct bz_stats_zone *)((char *)h + sizeof(*h));
	zones[3].zid = 77;
	assert_int_equal(bz_stats_read(&r, &snap, 0), -EPROTO);
	zones[3].zid = 3;
	h->nr_nodes = 3;
	assert_int_equal(bz_stats_read(&r, &snap, 0), -EPROTO);
	h->nr_nodes = 2;
	/* A writer that never leaves: the reader gives up. */
	h->seq = 1;
	assert_int_equal(bz_stats_read(&r, &snap, 10), -EAGAIN);
	bz_stats_snap_free(&snap);
	free(h);
}

/* ---- the seqlock ------------------------------------------------------------------------ */

struct writer_arg {
	struct bz_stats_shm *seg;
	_Atomic int stop;
	uint64_t writes;
};

/* Every snapshot word but the zone keys holds the same value k, k = 1, 2, ... */
static void fill_snapshot(struct bz_stats_shm *snap, uint64_t k)
{
	uint64_t *w = (uint64_t *)((char *)snap + BZ_STATS_SNAPSHOT_OFFSET);
	size_t words = (snap->total_size - BZ_STATS_SNAPSHOT_OFFSET) / 8;
	struct bz_stats_zone *zones = (struct bz_stats_zone *)((char *)snap + sizeof(*snap));

	for (size_t i = 0; i < words; i++)
		w[i] = k;
	snap->nr_nodes = 1;
	for (int z = 0; z < BZ_MAX_NR_ZONES; z++) {
		zones[z].nid = 0;
		zones[z].zid = (uint64_t)z;
		zones[z].populated = 1;
	}
}

static void *writer_main(void *p)
{
	struct writer_arg *a = p;
	size_t size;
	struct bz_stats_shm *snap = fake_segment(1, &size);

	/* Back to back, with a breath between writes so that readers get through at all. */
	while (!atomic_load(&a->stop)) {
		fill_snapshot(snap, ++a->writes);
		bz__stats_shm_write(a->seg, snap);
		for (volatile int spin = 0; spin < 200; spin++)
			;
	}
	free(snap);
	return NULL;
}

/* Is every word of the copy from one write (the value in snapshot_ns)? */
static bool consistent(const struct bz_stats_snap *snap)
{
	const uint64_t *w = (const uint64_t *)((const char *)&snap->hdr + BZ_STATS_SNAPSHOT_OFFSET);
	size_t hdr_words = (sizeof(snap->hdr) - BZ_STATS_SNAPSHOT_OFFSET) / 8;
	uint64_t k = snap->hdr.snapshot_ns;

	for (size_t i = 0; i < hdr_words; i++)
		if (w[i] != k && &w[i] != &snap->hdr.nr_nodes)
			return false;
	for (uint32_t z = 0; z < snap->nr_zones; z++) {
		const uint64_t *zw = (const uint64_t *)&snap->zones[z];

		for (size_t i = 3; i < sizeof(snap->zones[z]) / 8; i++) /* after nid, zid, populated */
			if (zw[i] != k)
				return false;
	}
	return true;
}

static void test_seqlock_no_torn_snapshot(void **state)
{
	struct writer_arg a = { 0 };
	struct bz_stats_reader r;
	struct bz_stats_snap snap;
	uint64_t last = 0, reads = 0, distinct = 0;
	bool missed = false;
	double deadline;
	pthread_t th;
	size_t size;
	char err[256];

	(void)state;
	a.seg = fake_segment(1, &size);
	fill_snapshot(a.seg, 0);
	assert_int_equal(bz_stats_attach(&r, a.seg, size, err, sizeof(err)), 0);
	assert_int_equal(bz_stats_snap_init(&r, &snap), 0);
	assert_int_equal(pthread_create(&th, NULL, writer_main, &a), 0);
	/*
	 * Until 10000 reads (as many as 200 ms gave before), 200 snapshots
	 * changed under the reader and one changed twice between reads.
	 */
	deadline = wait_now_s() + WAIT_DEADLINE_S;
	do {
		int ret = bz_stats_read(&r, &snap, 1u << 20);
		uint64_t k;

		assert_int_equal(ret, 0);
		assert_true(consistent(&snap));           /* no word from another write */
		k = snap.hdr.snapshot_ns;
		assert_true(k >= last);                   /* and never an older one */
		distinct += k != last;
		missed |= k > last + 1;
		last = k;
		reads++;
	} while ((reads < 10000 || distinct < 200 || !missed) && wait_now_s() < deadline);
	atomic_store(&a.stop, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	print_message("seqlock: %llu reads saw %llu distinct snapshots of %llu writes\n",
		      (unsigned long long)reads, (unsigned long long)distinct, (unsigned long long)a.writes);
	/* Snapshots changed under the reader, so the checks above met a live writer. */
	assert_true(distinct >= 200);
	assert_true(missed);                      /* a write the reader never saw: writes > distinct */
	assert_true(a.writes > distinct);
	bz_stats_snap_free(&snap);
	free(a.seg);
}

/* The real publisher at 1 ms while another thread allocates: snapshots stay whole and ordered. */
struct churn_arg {
	bz_system *sys;
	_Atomic int stop;
	_Atomic int bad_frees;
};

static void *churn_main(void *p)
{
	struct churn_arg *a = p;
	bz_page *pages[256] = { 0 };
	unsigned i = 0;

	while (!atomic_load(&a->stop)) {
		unsigned slot = (i * 7919u) % 256;

		if (pages[slot]) {
			if (bz_free_pages(pages[slot], slot % 3) != 0)
				atomic_fetch_add(&a->bad_frees, 1);
			pages[slot] = NULL;
		} else {
			pages[slot] = bz_alloc_pages(a->sys, BZ_GFP_KERNEL | BZ_GFP_NOWARN, slot % 3);
		}
		i++;
	}
	for (unsigned s = 0; s < 256; s++)
		if (pages[s] && bz_free_pages(pages[s], s % 3) != 0)
			atomic_fetch_add(&a->bad_frees, 1);
	return NULL;
}

static void test_publisher_under_churn(void **state)
{
	bz_system *sys = publishing_system(1, NULL);
	struct churn_arg a = { .sys = sys };
	struct bz_stats_reader r;
	struct bz_stats_snap snap;
	uint64_t last_nr = 0, last_ns = 0, last_pgalloc = 0;
	int pgalloc_moves = 0;
	double deadline;
	pthread_t th;

	(void)state;
	open_reader(&r, sys);
	assert_int_equal(bz_stats_snap_init(&r, &snap), 0);
	assert_int_equal(pthread_create(&th, NULL, churn_main, &a), 0);
	/* 200 reads at least, and on until the publisher and the allocating thread both went on. */
	deadline = wait_now_s() + WAIT_DEADLINE_S;
	for (int i = 0; i < 200 || ((last_nr <= 10 || pgalloc_moves < 2) && wait_now_s() < deadline); i++) {
		assert_int_equal(bz_stats_read(&r, &snap, 0), 0);
		assert_true(snap.hdr.nr_snapshots >= last_nr);
		assert_true(snap.hdr.snapshot_ns >= last_ns);
		assert_true(snap.hdr.events[BZ_STAT_PGALLOC_NORMAL] >= last_pgalloc);
		for (int z = 0; z < BZ_MAX_NR_ZONES; z++)   /* what never changes stays whole */
			assert_int_equal(snap.zones[z].managed, zone_stats(sys, 0, z).managed);
		pgalloc_moves += snap.hdr.events[BZ_STAT_PGALLOC_NORMAL] > last_pgalloc;
		last_nr = snap.hdr.nr_snapshots;
		last_ns = snap.hdr.snapshot_ns;
		last_pgalloc = snap.hdr.events[BZ_STAT_PGALLOC_NORMAL];
		usleep(500);
	}
	atomic_store(&a.stop, 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(atomic_load(&a.bad_frees), 0);
	assert_true(last_nr > 10);
	assert_true(last_pgalloc > 0);
	assert_true(pgalloc_moves >= 2);          /* snapshots of a system that was allocating meanwhile */
	bz_stats_snap_free(&snap);
	bz_stats_close(&r);
	bz_system_destroy(sys);
}

/* ---- lifetime ------------------------------------------------------------------------------ */

static void test_destroy_stops_and_unlinks(void **state)
{
	bz_system *sys;
	char name[64];
	int before;

	(void)state;
	assert_true(wait_for(no_library_threads, NULL));   /* earlier tests' threads gone */
	before = nr_threads();
	sys = publishing_system(10, NULL);
	snprintf(name, sizeof(name), "%s", bz__stats_shm_name(sys));
	assert_int_equal(nr_threads(), before + 1);
	assert_int_equal(nr_threads_named("bz-stats"), 1);
	bz_system_destroy(sys);
	assert_true(wait_for(no_library_threads, NULL));
	assert_int_equal(nr_threads(), before);
	errno = 0;
	assert_int_equal(shm_open(name, O_RDONLY, 0), -1);
	assert_int_equal(errno, ENOENT);
}

/* A system that does not ask to publish has no segment and no thread. */
static void test_off_by_default(void **state)
{
	bz_system *sys;
	int before;

	(void)state;
	assert_true(wait_for(no_library_threads, NULL));
	before = nr_threads();
	unsetenv("BUDDYZONE_STATS");
	sys = make_system(ZONES, 1, NULL);
	assert_null(bz__stats_shm_name(sys));
	assert_int_equal(nr_threads(), before);
	bz_system_destroy(sys);
}

static void test_environment_switch(void **state)
{
	struct log_catch lc;
	struct bz_config cfg;
	struct bz_stats_reader r;
	bz_system *sys;

	(void)state;
	setenv("BUDDYZONE_STATS", "1", 1);
	setenv("BUDDYZONE_STATS_INTERVAL_MS", "20", 1);
	sys = make_system(ZONES, 1, NULL);
	assert_non_null(bz__stats_shm_name(sys));
	open_reader(&r, sys);
	assert_int_equal(r.interval_ms, 20);
	bz_stats_close(&r);
	bz_system_destroy(sys);

	/* The config wins over the environment. */
	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.publish_stats = 0;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	assert_null(bz__stats_shm_name(sys));
	bz_system_destroy(sys);

	/* A value that means nothing refuses the system, as every bad setting does. */
	log_catch_reset(&lc);
	setenv("BUDDYZONE_STATS", "yes", 1);
	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	sys = NULL;
	assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
	assert_null(sys);
	assert_non_null(strstr(lc.all, "BUDDYZONE_STATS=\"yes\""));
	unsetenv("BUDDYZONE_STATS");
	unsetenv("BUDDYZONE_STATS_INTERVAL_MS");
}

static void test_bad_config(void **state)
{
	struct log_catch lc;
	struct bz_config cfg;
	bz_system *sys = NULL;

	(void)state;
	log_catch_reset(&lc);
	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	cfg.publish_stats = 2;
	assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
	assert_null(sys);
	assert_non_null(strstr(lc.all, "publish_stats"));
	cfg.publish_stats = 1;
	cfg.publish_interval_ms = 0;
	assert_int_equal(bz_system_create(&cfg, &sys), -EINVAL);
	assert_non_null(strstr(lc.all, "publish_interval_ms"));
}

/* At exit the segment goes, though the system was never destroyed. */
static bz_system *child_sys;

static void test_exit_unlinks(void **state)
{
	uint64_t ids[4];
	int fds[2], status, seen = -1;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int n;

		child_sys = publishing_system(10, NULL);
		n = bz_stats_list(getpid(), ids, 4);
		if (write(fds[1], &n, sizeof(n)) != sizeof(n))
			_exit(2);
		exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &seen, sizeof(seen)), sizeof(seen));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(seen, 1);
	assert_int_equal(bz_stats_list(pid, ids, 4), 0);
}

/* A fork child destroying its copy of the system leaves the parent's segment alone. */
static void test_fork_child_leaves_parent_segment(void **state)
{
	bz_system *sys = publishing_system(2, NULL);
	struct bz_stats_reader r;
	struct bz_stats_snap snap;
	uint64_t before;
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		bz_system_destroy(sys);
		exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	open_reader(&r, sys);
	assert_int_equal(bz_stats_snap_init(&r, &snap), 0);
	assert_int_equal(bz_stats_read(&r, &snap, 0), 0);
	before = snap.hdr.nr_snapshots;
	read_fresh(&r, &snap);
	assert_true(snap.hdr.nr_snapshots > before);   /* still published, by the parent */
	bz_stats_snap_free(&snap);
	bz_stats_close(&r);
	bz_system_destroy(sys);
}

/* ---- hostile and unlucky surroundings (issue 12) ------------------------------------------- */

/* The path of the segment the next publishing system of this process will have; no asserts. */
static int next_segment_path(char *path, size_t n)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.publish_stats = 0;
	if (bz_system_create(&cfg, &sys))
		return -1;
	snprintf(path, n, "/dev/shm/buddyzone.%ld.%llu", (long)getpid(), (unsigned long long)sys->id + 1);
	bz_system_destroy(sys);
	return 0;
}

/*
 * Runs fn in a child with a watchdog: a call that blocks for good ends in
 * SIGALRM instead of hanging the suite.  fn returns the child's exit
 * status (no cmocka asserts there); 77 means skip.
 */
static void in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		alarm(60);
		_exit(fn(arg));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("the child died of signal %d (%s)", WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ? "it blocked" : strsignal(WTERMSIG(status)));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Creating a publishing system succeeds, does not publish, and logs want (in a child). */
static int create_refused(const char *want)
{
	struct log_catch lc;
	struct bz_config cfg;
	bz_system *sys = NULL;

	log_catch_reset(&lc);
	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.publish_stats = 1;
	cfg.log = log_catch_fn;
	cfg.log_arg = &lc;
	if (bz_system_create(&cfg, &sys))
		return 1;
	if (bz__stats_shm_name(sys)) {
		fprintf(stderr, "published %s\n", bz__stats_shm_name(sys));
		return 2;
	}
	bz_system_destroy(sys);
	if (!strstr(lc.all, want)) {
		fprintf(stderr, "log: %s\n", lc.all);
		return 3;
	}
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	int ok = fd >= 0 && write(fd, buf, len) == (ssize_t)len && !fchmod(fd, mode);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static int own_identity(uint64_t *starttime, uint64_t *pid_ns)
{
	char buf[1024] = "", state;
	struct stat st;
	FILE *f = fopen("/proc/self/stat", "r");
	int ok = f && fgets(buf, sizeof(buf), f) && !bz_stats_parse_proc_stat(buf, &state, starttime) &&
		 !stat("/proc/self/ns/pid", &st);

	if (f)
		fclose(f);
	*pid_ns = ok ? (uint64_t)st.st_ino : 0;
	return ok ? 0 : -1;
}

/* What a child plants under its next segment's name, and what creation must log then. */
enum plant { PLANT_FIFO, PLANT_MODE_0644, PLANT_OTHER_UID, PLANT_LIVE_SEGMENT };

static const char *const plant_log[] = {
	[PLANT_FIFO] = "is not a regular file: not publishing",
	[PLANT_MODE_0644] = "with mode 0644: not publishing",
	[PLANT_OTHER_UID] = "belongs to uid 12345 with mode 0600: not publishing",
	[PLANT_LIVE_SEGMENT] = "may belong to a live process",
};

/* A segment as the publisher writes it, from pid with the given start time (malloc'd). */
static struct bz_stats_shm *segment_of(pid_t pid, uint64_t starttime, uint64_t pid_ns, size_t *size);

static int plant_and_create(void *arg)
{
	enum plant what = (enum plant)(intptr_t)arg;
	char path[80], zeros[4096] = { 0 };
	struct bz_stats_shm *h;
	uint64_t t, ns;
	struct stat before, after;
	size_t size;
	int ret, planted;

	if (next_segment_path(path, sizeof(path)) || own_identity(&t, &ns))
		return 10;
	switch (what) {
	case PLANT_FIFO:
		planted = mkfifo(path, 0600);
		break;
	case PLANT_MODE_0644:
		planted = write_file(path, zeros, sizeof(zeros), 0644);
		break;
	case PLANT_OTHER_UID:
		planted = write_file(path, zeros, sizeof(zeros), 0600);
		if (!planted && chown(path, 12345, 12345)) {
			unlink(path);
			return 77;      /* not root: no other user's object to plant */
		}
		break;
	default:
		h = segment_of(getpid(), t, ns, &size);
		planted = write_file(path, h, size, 0600);
		free(h);
	}
	if (planted || lstat(path, &before))
		return 11;
	ret = create_refused(plant_log[what]);
	/* Left exactly as it was. */
	if (!ret && (lstat(path, &after) || after.st_ino != before.st_ino || after.st_size != before.st_size ||
		     after.st_mode != before.st_mode))
		ret = 12;
	unlink(path);
	return ret;
}

/* A FIFO under the segment's name: creation neither blocks nor publishes, and the FIFO stays. */
static void test_publish_fifo_at_name(void **state)
{
	(void)state;
	in_child(plant_and_create, (void *)(intptr_t)PLANT_FIFO);
}

/*
 * Objects under the name that are not provably a dead process's segment
 * of ours stay untouched and nothing is published: one readable by others,
 * another user's, one that a live process of ours could have written.
 */
static void test_publish_foreign_object_left_alone(void **state)
{
	(void)state;
	in_child(plant_and_create, (void *)(intptr_t)PLANT_MODE_0644);
	in_child(plant_and_create, (void *)(intptr_t)PLANT_OTHER_UID);
	in_child(plant_and_create, (void *)(intptr_t)PLANT_LIVE_SEGMENT);
}

/* One left by an earlier process with our pid (another start time) is replaced, and we publish. */
static void test_publish_replaces_stale_segment(void **state)
{
	struct log_catch lc;
	struct bz_stats_shm *h;
	char path[80];
	uint64_t t, ns;
	bz_system *sys;
	size_t size;

	(void)state;
	assert_int_equal(next_segment_path(path, sizeof(path)), 0);
	assert_int_equal(own_identity(&t, &ns), 0);
	h = segment_of(getpid(), t - 1, ns, &size);
	assert_int_equal(write_file(path, h, size, 0600), 0);
	free(h);
	log_catch_reset(&lc);
	sys = publishing_system(50, &lc);
	assert_string_equal(bz__stats_shm_name(sys), path + strlen("/dev/shm"));
	assert_non_null(strstr(lc.all, "left by an exited process with our pid"));
	bz_system_destroy(sys);
}

static struct bz_stats_shm *segment_of(pid_t pid, uint64_t starttime, uint64_t pid_ns, size_t *size)
{
	struct bz_stats_shm *h = fake_segment(1, size);

	h->pid = (uint64_t)pid;
	h->pid_starttime = starttime;
	h->pid_ns = pid_ns;
	return h;
}

/* /dev/shm full, by fault injection: a log line, no segment, no SIGBUS. */
static void test_publish_shm_full_injected(void **state)
{
	char path[80];
	struct stat st;

	(void)state;
	assert_int_equal(next_segment_path(path, sizeof(path)), 0);
	bz__os_fail_next(BZ_OS_SHM_RESERVE);
	assert_int_equal(create_refused("cannot reserve"), 0);
	bz__os_fail_next(0);
	assert_int_equal(lstat(path, &st), -1);        /* nothing left behind */
}

/* In a private mount namespace, a 4 KiB tmpfs on /dev/shm: too small for the segment. */
static int create_on_tiny_shm(void *arg)
{
	(void)arg;
	if (sizeof(struct bz_stats_shm) + BZ_MAX_NR_ZONES * sizeof(struct bz_stats_zone) <= 4096)
		return 4;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=4k,mode=1777"))
		return 77;      /* not root, or no mount namespaces: skip */
	return create_refused("cannot reserve");
}

/* /dev/shm really full: ftruncate would have succeeded and the first store raised SIGBUS. */
static void test_publish_shm_full_tmpfs(void **state)
{
	(void)state;
	in_child(create_on_tiny_shm, NULL);
}

/* Log lines from the publisher thread, waited for under a lock (the thread writes, we read). */
struct log_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const char *want;
	bool seen;
};

static void log_wait_fn(void *arg, int level, const char *msg)
{
	struct log_wait *w = arg;

	(void)level;
	pthread_mutex_lock(&w->lock);
	if (strstr(msg, w->want)) {
		w->seen = true;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
}

/* A segment truncated by somebody else: the publisher notices and stops, the process lives on. */
static void test_publisher_survives_truncation(void **state)
{
	struct log_wait w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, "was truncated", false };
	struct bz_config cfg;
	struct timespec deadline;
	bz_system *sys = NULL;
	bz_page *pg;
	int fd;

	(void)state;
	bz_config_init(&cfg);
	cfg.zones = ZONES;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.publish_stats = 1;
	cfg.publish_interval_ms = 1;
	cfg.log = log_wait_fn;
	cfg.log_arg = &w;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	fd = shm_open(bz__stats_shm_name(sys), O_RDWR, 0);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64), 0);
	close(fd);
	/* A deadlock guard, not a timing assertion: the publisher runs every millisecond. */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 60;
	pthread_mutex_lock(&w.lock);
	while (!w.seen && pthread_cond_timedwait(&w.cond, &w.lock, &deadline) == 0)
		;
	pthread_mutex_unlock(&w.lock);
	assert_true(w.seen);
	pg = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);
	assert_non_null(pg);
	assert_int_equal(bz_free_pages(pg, 0), 0);
	bz_system_destroy(sys);
}

/* The reader on a segment truncated while it reads: an error code, not SIGBUS. */
static void test_reader_truncated_segment(void **state)
{
	bz_system *sys = publishing_system(1000, NULL);
	struct bz_stats_reader r;
	struct bz_stats_snap snap;
	int fd;

	(void)state;
	open_reader(&r, sys);
	assert_int_equal(bz_stats_snap_init(&r, &snap), 0);
	assert_int_equal(bz_stats_read(&r, &snap, 0), 0);
	fd = shm_open(bz__stats_shm_name(sys), O_RDWR, 0);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 100), 0);
	close(fd);
	assert_int_equal(bz_stats_read(&r, &snap, 0), -ENODATA);
	bz_stats_snap_free(&snap);
	bz_stats_close(&r);
	bz_system_destroy(sys);
}

static int open_fifo_segment(void *path)
{
	struct bz_stats_reader r;
	char err[256] = "";
	int ret = bz_stats_open_name(&r, (const char *)path + strlen("/dev/shm"), getuid(), err, sizeof(err));

	if (ret != -EPROTO || !strstr(err, "not a regular file")) {
		fprintf(stderr, "bz_stats_open_name: %d %s\n", ret, err);
		return 1;
	}
	return 0;
}

/* bzstat's reader on a FIFO under a segment's name: refused at once. */
static void test_reader_fifo_does_not_block(void **state)
{
	char path[80];

	(void)state;
	snprintf(path, sizeof(path), "/dev/shm/buddyzone.%ld.424242", (long)getpid());
	assert_int_equal(mkfifo(path, 0600), 0);
	in_child(open_fifo_segment, path);
	unlink(path);
}

/* A publisher killed with SIGKILL: "exited", as a zombie and once reaped; its segment is left. */
static void test_reader_killed_publisher(void **state)
{
	struct bz_stats_reader r;
	uint64_t id = 0;
	char err[256], name[64];
	int fds[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		bz_system *sys;

		close(fds[0]);
		sys = publishing_system(5, NULL);
		id = sys->id;
		if (write(fds[1], &id, sizeof(id)) != sizeof(id))
			_exit(2);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &id, sizeof(id)), sizeof(id));
	close(fds[0]);
	assert_int_equal(bz_stats_open(&r, pid, id, getuid(), err, sizeof(err)), 0);
	assert_int_equal(bz_stats_check_publisher(&r, pid, err, sizeof(err)), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* Until reaped it is a zombie with the same start time: exited all the same. */
	assert_int_equal(waitid(P_PID, (id_t)pid, NULL, WEXITED | WNOWAIT), 0);
	assert_int_equal(bz_stats_check_publisher(&r, pid, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "has exited"));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(bz_stats_check_publisher(&r, pid, err, sizeof(err)), -ESRCH);
	assert_true(bz_stats_still_linked(&r));        /* no atexit ran: the segment is left */
	bz_stats_close(&r);
	snprintf(name, sizeof(name), "/buddyzone.%ld.%llu", (long)pid, (unsigned long long)id);
	assert_int_equal(shm_unlink(name), 0);
}

/* A leftover segment under a pid that now names another process: stale, whichever way. */
static void test_reader_stale_segment(void **state)
{
	struct bz_stats_reader r;
	struct bz_stats_shm *h;
	char path[80], name[64], err[256];
	uint64_t t, ns;
	size_t size;

	(void)state;
	snprintf(name, sizeof(name), "/buddyzone.%ld.434343", (long)getpid());
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	assert_int_equal(own_identity(&t, &ns), 0);
	h = segment_of(getpid(), t - 1, ns, &size);     /* an earlier process with our pid wrote it */
	assert_int_equal(write_file(path, h, size, 0600), 0);
	assert_int_equal(bz_stats_open_name(&r, name, getuid(), err, sizeof(err)), 0);
	assert_int_equal(bz_stats_check_publisher(&r, getpid(), err, sizeof(err)), -ESTALE);
	assert_non_null(strstr(err, "is stale"));
	/* Asked for another pid than the segment's. */
	assert_int_equal(bz_stats_check_publisher(&r, getppid(), err, sizeof(err)), -ESTALE);
	bz_stats_close(&r);
	unlink(path);
	/* Our own start time, but another pid namespace's. */
	h->pid_starttime = t;
	h->pid_ns++;
	assert_int_equal(write_file(path, h, size, 0600), 0);
	assert_int_equal(bz_stats_open_name(&r, name, getuid(), err, sizeof(err)), 0);
	assert_int_equal(bz_stats_check_publisher(&r, getpid(), err, sizeof(err)), -ESTALE);
	assert_non_null(strstr(err, "namespace"));
	bz_stats_close(&r);
	unlink(path);
	/* And the live one passes. */
	h->pid_ns--;
	assert_int_equal(write_file(path, h, size, 0600), 0);
	assert_int_equal(bz_stats_open_name(&r, name, getuid(), err, sizeof(err)), 0);
	assert_int_equal(bz_stats_check_publisher(&r, getpid(), err, sizeof(err)), 0);
	bz_stats_close(&r);
	unlink(path);
	free(h);
}

/* The arena's resident bytes by backing, in the segment: what was touched, no more. */
static void test_segment_resident_bytes(void **state)
{
	bz_system *sys = publishing_system(5, NULL);
	struct bz_stats_reader r;
	struct bz_stats_snap snap;
	struct timespec t;
	uint64_t touched_ns, *res;
	bz_page *pg;

	(void)state;
	pg = bz_alloc_pages(sys, BZ_GFP_KERNEL, BZ_PAGEBLOCK_ORDER);
	assert_non_null(pg);
	memset(bz_page_address(pg), 1, BZ_PAGE_SIZE << BZ_PAGEBLOCK_ORDER);
	clock_gettime(CLOCK_MONOTONIC, &t);
	touched_ns = (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
	open_reader(&r, sys);
	assert_int_equal(bz_stats_snap_init(&r, &snap), 0);
	/* Measured at most once a second: wait (bounded) for a measurement after the touch. */
	assert_int_equal(bz_stats_read(&r, &snap, 0), 0);
	for (int i = 0; i < 10000 && snap.hdr.resident_ns < touched_ns; i++) {
		usleep(1000);
		assert_int_equal(bz_stats_read(&r, &snap, 0), 0);
	}
	assert_true(snap.hdr.resident_ns >= touched_ns);
	res = snap.hdr.resident[0];
	assert_int_equal(res[BZ_STATS_RES_HUGETLB], 0);
	assert_int_equal(res[BZ_STATS_RES_BASE] + res[BZ_STATS_RES_THP], BZ_PAGE_SIZE << BZ_PAGEBLOCK_ORDER);
	assert_int_equal(bz_free_pages(pg, BZ_PAGEBLOCK_ORDER), 0);
	bz_stats_snap_free(&snap);
	bz_stats_close(&r);
	bz_system_destroy(sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_matches_zone_stats),
		cmocka_unit_test(test_segment_mode_and_owner),
		cmocka_unit_test(test_reader_validates_layout),
		cmocka_unit_test(test_seqlock_no_torn_snapshot),
		cmocka_unit_test(test_publisher_under_churn),
		cmocka_unit_test(test_destroy_stops_and_unlinks),
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_environment_switch),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_exit_unlinks),
		cmocka_unit_test(test_fork_child_leaves_parent_segment),
		cmocka_unit_test(test_publish_fifo_at_name),
		cmocka_unit_test(test_publish_foreign_object_left_alone),
		cmocka_unit_test(test_publish_replaces_stale_segment),
		cmocka_unit_test(test_publish_shm_full_injected),
		cmocka_unit_test(test_publish_shm_full_tmpfs),
		cmocka_unit_test(test_publisher_survives_truncation),
		cmocka_unit_test(test_reader_truncated_segment),
		cmocka_unit_test(test_reader_fifo_does_not_block),
		cmocka_unit_test(test_reader_killed_publisher),
		cmocka_unit_test(test_reader_stale_segment),
		cmocka_unit_test(test_segment_resident_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
