/* SPDX-License-Identifier: MIT */
/*
 * stats_shm.c - live statistics for other processes: a system created with
 * bz_config.publish_stats (or BUDDYZONE_STATS=1) publishes its counters in
 * a POSIX shared-memory segment, "/buddyzone.<pid>.<system id>", mode 0600,
 * that bzstat reads (layout and seqlock: stats_shm.h).  A background
 * thread per publishing system takes a snapshot every interval with the
 * same accessors the reports use (zone counters, free lists under the zone
 * lock, bz__vm_event_sum) and copies it into the segment under the
 * seqlock, so the allocation paths carry no cost at all: nothing there
 * knows that publishing exists.
 *
 * Lifetime: the segment is created with O_EXCL when the system is, and
 * unlinked when it is destroyed or when the process exits (an atexit
 * handler stops every publisher of this process).  A forked child inherits
 * the descriptor but not the thread: it neither publishes nor unlinks its
 * parent's segment.
 *
 * Hostile or unlucky surroundings: /dev/shm is writable by every local
 * user and the name is predictable.  Nothing here blocks on, follows or
 * maps an object somebody else made: creation is O_CREAT|O_EXCL, a look at
 * an existing object is O_NONBLOCK|O_NOFOLLOW with fstat and pread, and
 * only a provably stale segment of ours is removed (provably_stale()).
 * The space is reserved with posix_fallocate and written with pwrite, so
 * a full /dev/shm or a segment truncated under us ends publishing with a
 * log line, never with SIGBUS.  Statistics are not worth a process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "system.h"
#include "stats_shm.h"

_Static_assert(BZ_STATS_LIST_CAP == BZ_LIST_WALK_CAP, "the segment shows the reports' cap");

#define RESIDENT_EVERY_NS 1000000000ull /* page table walks: at most once a second */

struct bz_stats_pub {
	struct bz_system *sys;
	pid_t pid;                      /* the process that publishes (a fork child does not) */
	char name[64];
	int fd;                         /* the segment, written with pwrite (never mapped) */
	uint64_t seq;                   /* the seqlock's value, kept here: we are the only writer */
	uint64_t starttime, pid_ns;     /* who we are, for readers (stats_shm.h) */
	uint64_t resident_due_ns;       /* when the arenas' residency is measured next */
	struct bz_stats_shm *snap;      /* private: built here, then copied under the seqlock */
	size_t size;
	unsigned interval_ms;
	pthread_t thread;
	pthread_mutex_t lock;           /* stop, with cond */
	pthread_cond_t cond;            /* CLOCK_MONOTONIC */
	bool stop;
	/* Under pubs_lock: */
	bool running, linked;
	struct bz_stats_pub *next;
};

static pthread_mutex_t pubs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bz_stats_pub *pubs;       /* every publisher of this process */
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

/* vm events by segment slot (enum bz_stats_event). */
static const enum bz_vm_event stat_events[BZ_STATS_NR_EVENTS] = {
	PGALLOC_BASE + BZ_ZONE_DMA, PGALLOC_BASE + BZ_ZONE_DMA32, PGALLOC_BASE + BZ_ZONE_NORMAL,
	PGALLOC_BASE + BZ_ZONE_MOVABLE, PGALLOC_BASE + BZ_ZONE_DEVICE,
	ALLOCSTALL_BASE + BZ_ZONE_DMA, ALLOCSTALL_BASE + BZ_ZONE_DMA32,
	ALLOCSTALL_BASE + BZ_ZONE_NORMAL, ALLOCSTALL_BASE + BZ_ZONE_MOVABLE,
	ALLOCSTALL_BASE + BZ_ZONE_DEVICE, PGFREE, PAGEOUTRUN, KSWAPD_LOW_WMARK_HIT_QUICKLY,
	KSWAPD_HIGH_WMARK_HIT_QUICKLY, COMPACT_STALL, PGALLOC_FAIL, PGALLOC_BAD_FREE,
};

static uint64_t now_ns(void)
{
	return (uint64_t)bz__now_ns();
}

/* ---- the snapshot ------------------------------------------------------------ */

/* One zone's record from the common snapshot (snapshot.c); watermarks with the boost, as zoneinfo. */
static void snapshot_zone(struct bz_zone *z, struct bz_stats_zone *out)
{
	struct bz_zone_snapshot s;

	bz__zone_snapshot(z, BZ_SNAP_ALL, &s);
	memset(out, 0, sizeof(*out));
	out->nid = (uint64_t)z->node->nid;
	out->zid = (uint64_t)z->idx;
	out->populated = populated_zone(z);
	out->start_pfn = s.start_pfn;
	out->spanned = s.spanned;
	out->present = s.present;
	out->managed = s.managed;
	out->free = s.free;
	out->cached = s.cached;
	out->allocated = s.allocated;
	out->free_blocks = s.free_blocks;
	out->wmark_min = s.wmark[WMARK_MIN] + s.boost;
	out->wmark_low = s.wmark[WMARK_LOW] + s.boost;
	out->wmark_high = s.wmark[WMARK_HIGH] + s.boost;
	out->wmark_promo = s.wmark[WMARK_PROMO] + s.boost;
	out->boost = s.boost;
	for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
		out->lowmem_reserve[i] = (uint64_t)s.lowmem_reserve[i];
	out->pcp_batch = (uint64_t)s.pcp_batch;
	out->pcp_high_min = (uint64_t)s.pcp_high_min;
	out->pcp_high_max = (uint64_t)s.pcp_high_max;
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		out->nr_free[o] = s.nr_free[o];
	for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++) {
		out->pageblocks[mt] = s.pageblocks[mt];
		for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
			out->free_by_type[mt][o] = s.by_type[mt][o];
	}
	for (int i = 0; i < BZ_STATS_NR_NUMA; i++)
		out->numa[i] = s.numa[i];
	out->lock_contended = s.lock_contended;
}

static struct bz_stats_zone *shm_zones(struct bz_stats_shm *h)
{
	return (struct bz_stats_zone *)((char *)h + sizeof(*h));
}

static void take_snapshot(struct bz_stats_pub *pub)
{
	struct bz_system *sys = pub->sys;
	struct bz_stats_shm *s = pub->snap;
	struct bz_stats_zone *zones = shm_zones(s);

	s->nr_snapshots++;
	s->nr_nodes = (uint64_t)sys->nr_nodes;
	for (int i = 0; i < BZ_STATS_NR_EVENTS; i++)
		s->events[i] = bz__vm_event_sum(sys, stat_events[i]);
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			snapshot_zone(&sys->nodes[nid]->zones[zid], &zones[nid * BZ_MAX_NR_ZONES + zid]);
	s->snapshot_ns = now_ns();
	if (s->snapshot_ns >= pub->resident_due_ns) {
		for (int nid = 0; nid < sys->nr_nodes; nid++)
			if (bz__arena_resident(&sys->nodes[nid]->arena, s->resident[nid]))
				for (int b = 0; b < 3; b++)
					s->resident[nid][b] = BZ_STATS_RES_UNKNOWN;
		s->resident_ns = s->snapshot_ns;
		pub->resident_due_ns = s->snapshot_ns + RESIDENT_EVERY_NS;
	}
}

void bz__stats_shm_write(struct bz_stats_shm *seg, const struct bz_stats_shm *snap)
{
	size_t words = ((size_t)snap->total_size - BZ_STATS_SNAPSHOT_OFFSET) / 8;

	bz_stats_write_begin(&seg->seq);
	bz_stats_store_words((uint64_t *)((char *)seg + BZ_STATS_SNAPSHOT_OFFSET),
			     (const uint64_t *)((const char *)snap + BZ_STATS_SNAPSHOT_OFFSET), words);
	bz_stats_write_end(&seg->seq);
}

/* ---- the segment ------------------------------------------------------------------- */

/* The publisher's identity for readers: its start time and pid namespace (stats_shm.h). */
static int own_identity(uint64_t *starttime, uint64_t *pid_ns)
{
	char buf[1024], state;
	struct stat st;
	ssize_t n;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (bz_stats_parse_proc_stat(buf, &state, starttime) || stat("/proc/self/ns/pid", &st))
		return -EIO;
	*pid_ns = (uint64_t)st.st_ino;
	return 0;
}

/* All of buf at off, or -errno. */
static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (const char *)buf + n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * Is the object under our name provably left by an earlier process with
 * our pid?  Only a regular file of ours, mode 0600, holding a version-2
 * header with our pid and pid namespace and another start time: that
 * process is dead (two live processes of one namespace never share a
 * pid).  The look never blocks (O_NONBLOCK: a FIFO; O_NOFOLLOW: a link)
 * and never maps (pread), so a hostile object costs nothing.  why says
 * what it is otherwise.
 */
static bool provably_stale(const struct bz_stats_pub *pub, char *why, size_t n)
{
	struct bz_stats_shm h;
	struct stat st;
	int fd = shm_open(pub->name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0);
	bool stale = false;

	if (fd < 0) {
		snprintf(why, n, "cannot be opened (%s)", strerror(errno));
		return false;
	}
	if (fstat(fd, &st))
		snprintf(why, n, "cannot be examined (%s)", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(why, n, "is not a regular file");
	else if (st.st_uid != geteuid() || (st.st_mode & 07777) != BZ_STATS_SHM_MODE)
		snprintf(why, n, "belongs to uid %u with mode %04o", (unsigned)st.st_uid,
			 (unsigned)(st.st_mode & 07777));
	else if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.magic != BZ_STATS_SHM_MAGIC ||
		 h.version != BZ_STATS_SHM_VERSION)
		snprintf(why, n, "is not a statistics segment of this version");
	else if (h.pid != (uint64_t)pub->pid || h.pid_ns != pub->pid_ns || h.pid_starttime == pub->starttime)
		snprintf(why, n, "may belong to a live process (pid %llu)", (unsigned long long)h.pid);
	else
		stale = true;
	close(fd);
	return stale;
}

/*
 * O_CREAT | O_EXCL: the kernel creates the object or fails with EEXIST;
 * it never opens what is there, so it cannot block or follow a link.  An
 * existing object is removed only when provably stale, once.
 */
static int segment_open(struct bz_stats_pub *pub)
{
	const int flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
	char why[96];
	int fd = shm_open(pub->name, flags, BZ_STATS_SHM_MODE);

	if (fd >= 0 || errno != EEXIST)
		return fd < 0 ? -errno : fd;
	if (!provably_stale(pub, why, sizeof(why))) {
		bz__log(pub->sys, BZ_LOG_WARNING, "stats: /dev/shm%s exists and %s: not publishing", pub->name, why);
		return -EEXIST;
	}
	bz__log(pub->sys, BZ_LOG_INFO, "stats: removing /dev/shm%s, left by an exited process with our pid",
		pub->name);
	shm_unlink(pub->name);
	fd = shm_open(pub->name, flags, BZ_STATS_SHM_MODE);
	return fd < 0 ? -errno : fd;
}

/*
 * posix_fallocate reserves the pages: on a full tmpfs it fails here with
 * ENOSPC, where ftruncate would have succeeded and the first store would
 * have been a SIGBUS.
 */
static int segment_reserve(int fd, size_t size)
{
	if (bz__os_should_fail(BZ_OS_SHM_RESERVE))
		return -ENOSPC;
	return -posix_fallocate(fd, 0, (off_t)size);
}

static int segment_create(struct bz_stats_pub *pub)
{
	int fd, err;

	err = own_identity(&pub->starttime, &pub->pid_ns);
	if (err) {
		bz__log(pub->sys, BZ_LOG_WARNING, "stats: cannot read /proc/self/stat (%s), which readers check "
			"the publisher against: not publishing", strerror(-err));
		return err;
	}
	fd = segment_open(pub);
	if (fd < 0) {
		if (fd != -EEXIST)
			bz__log(pub->sys, BZ_LOG_WARNING, "stats: shm_open(%s): %s: not publishing", pub->name,
				strerror(-fd));
		return fd;
	}
	/* Exactly 0600 whatever the umask. */
	err = fchmod(fd, BZ_STATS_SHM_MODE) ? -errno : segment_reserve(fd, pub->size);
	if (err) {
		bz__log(pub->sys, BZ_LOG_WARNING, "stats: cannot reserve %zu bytes for /dev/shm%s (%s): not publishing",
			pub->size, pub->name, strerror(-err));
		close(fd);
		shm_unlink(pub->name);
		return err;
	}
	pub->fd = fd;
	return 0;
}

/*
 * The snapshot into the segment under the seqlock.  Somebody else may
 * truncate the object (the same user can): the size is checked first, and
 * a segment that shrank or a write that fails ends publishing (logged);
 * the application goes on.
 */
static int segment_write(struct bz_stats_pub *pub)
{
	const char *snap = (const char *)pub->snap;
	struct stat st;
	uint64_t seq = pub->seq + 1;
	int err;

	if (fstat(pub->fd, &st))
		err = -errno;
	else if ((size_t)st.st_size != pub->size)
		err = -ESTALE;
	else if (!(err = pwrite_all(pub->fd, &seq, sizeof(seq), BZ_STATS_SEQ_OFFSET)) &&
		 !(err = pwrite_all(pub->fd, snap + BZ_STATS_SNAPSHOT_OFFSET, pub->size - BZ_STATS_SNAPSHOT_OFFSET,
				    BZ_STATS_SNAPSHOT_OFFSET))) {
		seq++;
		err = pwrite_all(pub->fd, &seq, sizeof(seq), BZ_STATS_SEQ_OFFSET);
	}
	pub->seq = seq;
	if (err == -ESTALE)
		bz__log(pub->sys, BZ_LOG_WARNING, "stats: /dev/shm%s was truncated to %lld bytes by someone else: "
			"no longer publishing", pub->name, (long long)st.st_size);
	else if (err)
		bz__log(pub->sys, BZ_LOG_WARNING, "stats: writing /dev/shm%s: %s: no longer publishing", pub->name,
			strerror(-err));
	return err;
}

static int publish(struct bz_stats_pub *pub)
{
	take_snapshot(pub);
	return segment_write(pub);
}

/* The identification part, then the first snapshot, then magic: a reader sees all or nothing. */
static int segment_identify(struct bz_stats_pub *pub)
{
	struct bz_stats_shm *s = pub->snap;
	const uint64_t magic = BZ_STATS_SHM_MAGIC;
	int err;

	s->magic = 0;
	s->version = BZ_STATS_SHM_VERSION;
	s->header_size = sizeof(struct bz_stats_shm);
	s->zone_size = sizeof(struct bz_stats_zone);
	s->nr_zones = (uint32_t)(pub->sys->nr_nodes * BZ_MAX_NR_ZONES);
	s->nr_events = BZ_STATS_NR_EVENTS;
	s->interval_ms = pub->interval_ms;
	s->total_size = pub->size;
	s->pid = (uint64_t)pub->pid;
	s->sys_id = pub->sys->id;
	s->start_ns = now_ns();
	s->pid_starttime = pub->starttime;
	s->pid_ns = pub->pid_ns;
	s->seq = 0;
	err = pwrite_all(pub->fd, s, BZ_STATS_SNAPSHOT_OFFSET, 0);
	if (!err)
		err = publish(pub);
	if (!err)
		err = pwrite_all(pub->fd, &magic, sizeof(magic), 0);
	return err;
}

/* ---- the publisher thread ------------------------------------------------------ */

static void *publisher_main(void *arg)
{
	struct bz_stats_pub *pub = arg;
	struct timespec deadline;
	uint64_t next;

	pthread_mutex_lock(&pub->lock);
	while (!pub->stop) {
		pthread_mutex_unlock(&pub->lock);
		if (publish(pub))
			return NULL;    /* logged; retire_locked() still joins */
		next = now_ns() + (uint64_t)pub->interval_ms * 1000000ull;
		deadline.tv_sec = (time_t)(next / 1000000000ull);
		deadline.tv_nsec = (long)(next % 1000000000ull);
		pthread_mutex_lock(&pub->lock);
		while (!pub->stop && pthread_cond_timedwait(&pub->cond, &pub->lock, &deadline) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&pub->lock);
	return NULL;
}

static int start_thread(struct bz_stats_pub *pub)
{
	return bz__thread_start(&pub->thread, publisher_main, pub, "bz-stats");
}

/* Stops the thread and unlinks the name, once; pubs_lock held. */
static void retire_locked(struct bz_stats_pub *pub)
{
	if (pub->pid != getpid())
		return;                 /* a fork child: the thread and the name are the parent's */
	if (pub->running) {
		pthread_mutex_lock(&pub->lock);
		pub->stop = true;
		pthread_cond_signal(&pub->cond);
		pthread_mutex_unlock(&pub->lock);
		pthread_join(pub->thread, NULL);
		pub->running = false;
	}
	if (pub->linked) {
		shm_unlink(pub->name);
		pub->linked = false;
	}
}

/* atexit: nobody reads a segment of a process that is gone. */
static void retire_all(void)
{
	pthread_mutex_lock(&pubs_lock);
	for (struct bz_stats_pub *p = pubs; p; p = p->next)
		retire_locked(p);
	pthread_mutex_unlock(&pubs_lock);
}

void bz__stats_fork_prepare(void)
{
	pthread_mutex_lock(&pubs_lock);
}

void bz__stats_fork_release(void)
{
	pthread_mutex_unlock(&pubs_lock);
}

static void atexit_once_fn(void)
{
	atexit(retire_all);
}

/* ---- configuration ----------------------------------------------------------------- */

/* Whether to publish and how often: settled by options.c (bz_config, else BUDDYZONE_STATS*). */
static int publish_config(const struct bz_system *sys, const struct bz_config *cfg, int *interval_ms)
{
	(void)sys;
	*interval_ms = cfg->publish_interval_ms;
	return cfg->publish_stats;
}

/* ---- entry points (system.c) ------------------------------------------------------------ */

static void pub_free(struct bz_stats_pub *pub)
{
	if (pub->fd >= 0)
		close(pub->fd);
	/* In a fork child the cond may show the parent's waiting thread: destroying it would wait forever. */
	if (pub->pid == getpid()) {
		pthread_cond_destroy(&pub->cond);
		pthread_mutex_destroy(&pub->lock);
	}
	free(pub->snap);
	free(pub);
}

static struct bz_stats_pub *pub_new(struct bz_system *sys, int interval_ms)
{
	struct bz_stats_pub *pub = calloc(1, sizeof(*pub));
	if (!pub)
		return NULL;
	pub->sys = sys;
	pub->fd = -1;
	pub->pid = getpid();
	pub->interval_ms = (unsigned)interval_ms;
	pub->size = sizeof(struct bz_stats_shm) +
		    (size_t)sys->nr_nodes * BZ_MAX_NR_ZONES * sizeof(struct bz_stats_zone);
	pub->snap = calloc(1, pub->size);
	snprintf(pub->name, sizeof(pub->name), "/" BZ_STATS_SHM_PREFIX "%ld.%llu", (long)pub->pid,
		 (unsigned long long)sys->id);
	pthread_mutex_init(&pub->lock, NULL);
	bz__cond_init_monotonic(&pub->cond);
	if (!pub->snap) {
		pub_free(pub);
		return NULL;
	}
	return pub;
}

int bz__stats_publish_start(struct bz_system *sys, const struct bz_config *cfg)
{
	struct bz_stats_pub *pub;
	int interval_ms, ret;

	ret = publish_config(sys, cfg, &interval_ms);
	if (ret <= 0)
		return ret;
	if (!bz__may_start_threads()) {
		bz__log(sys, BZ_LOG_INFO, "stats: not publishing: no thread may start in a child forked "
			"from a threaded process");
		return 0;
	}
	pthread_once(&atexit_once, atexit_once_fn);
	pub = pub_new(sys, interval_ms);
	if (!pub)
		return -ENOMEM;
	/* Diagnostics are not worth failing the system for: logged, and on without them. */
	if (segment_create(pub)) {
		pub_free(pub);
		return 0;
	}
	ret = segment_identify(pub);
	if (ret) {
		bz__log(sys, BZ_LOG_WARNING, "stats: writing /dev/shm%s: %s: not publishing", pub->name,
			strerror(-ret));
		shm_unlink(pub->name);
		pub_free(pub);
		return 0;
	}
	pub->linked = true;
	ret = start_thread(pub);
	if (ret) {
		bz__log(sys, BZ_LOG_WARNING, "stats: cannot start the publisher thread: %s", strerror(-ret));
		shm_unlink(pub->name);
		pub_free(pub);
		return 0;
	}
	pub->running = true;
	pthread_mutex_lock(&pubs_lock);
	pub->next = pubs;
	pubs = pub;
	pthread_mutex_unlock(&pubs_lock);
	sys->stats_pub = pub;
	return 0;
}

void bz__stats_publish_stop(struct bz_system *sys)
{
	struct bz_stats_pub *pub = sys->stats_pub, **pp;

	if (!pub)
		return;
	sys->stats_pub = NULL;
	pthread_mutex_lock(&pubs_lock);
	for (pp = &pubs; *pp; pp = &(*pp)->next)
		if (*pp == pub) {
			*pp = pub->next;
			break;
		}
	retire_locked(pub);
	pthread_mutex_unlock(&pubs_lock);
	pub_free(pub);
}

const char *bz__stats_shm_name(const struct bz_system *sys)
{
	return sys->stats_pub ? sys->stats_pub->name : NULL;
}
