/* SPDX-License-Identifier: MIT */
/*
 * stats_reader.c - the reader side of a statistics segment: see
 * stats_reader.h.  Trusts nothing in the segment: the header is checked
 * against the size the kernel says the object has, the checked values are
 * kept here and never read back, every record is bounds-checked before a
 * caller indexes anything with it, and nothing is mapped, so the object
 * changing under us is an error code, not a signal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stats_reader.h"

#define SHM_DIR "/dev/shm"
#define MAX_SEGMENT_SIZE (64u << 20) /* far above BZ_STATS_MAX_ZONES records */
#define DEFAULT_TRIES 1000u

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* "buddyzone.PID.ID" -> id, when the pid matches; -1 otherwise. */
static int parse_name(const char *name, pid_t pid, uint64_t *id)
{
	const char *p = name + strlen(BZ_STATS_SHM_PREFIX);
	char *end;
	unsigned long long v;
	long n;

	if (strncmp(name, BZ_STATS_SHM_PREFIX, strlen(BZ_STATS_SHM_PREFIX)))
		return -1;
	errno = 0;
	n = strtol(p, &end, 10);
	if (errno || end == p || *end != '.' || n != (long)pid)
		return -1;
	p = end + 1;
	v = strtoull(p, &end, 10);
	if (errno || end == p || *end || *p == '-' || *p == '+')
		return -1;
	*id = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int bz_stats_list(pid_t pid, uint64_t *ids, int max)
{
	DIR *d = opendir(SHM_DIR);
	struct dirent *e;
	int n = 0;
	uint64_t id;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (!parse_name(e->d_name, pid, &id)) {
			if (n < max)
				ids[n] = id;
			n++;
		}
	closedir(d);
	if (ids && max > 0)
		qsort(ids, (size_t)(n < max ? n : max), sizeof(*ids), cmp_u64);
	return n;
}

/* The header h of a segment of size bytes, magic loaded by the caller; fills r. */
static int validate(struct bz_stats_reader *r, const struct bz_stats_shm *h, uint64_t magic, size_t size,
		    char *err, size_t errlen)
{
	uint64_t need;

	if (size < sizeof(*h))
		return fail(err, errlen, -EPROTO, "segment of %zu bytes: too small for a header", size);
	if (magic != BZ_STATS_SHM_MAGIC)
		return fail(err, errlen, -EPROTO, "not a libbuddyzone statistics segment (or not ready yet)");
	if (h->version != BZ_STATS_SHM_VERSION)
		return fail(err, errlen, -EPROTO, "segment version %u; this reader knows version %u",
			    h->version, BZ_STATS_SHM_VERSION);
	if (h->header_size != sizeof(*h) || h->zone_size != sizeof(struct bz_stats_zone) ||
	    h->nr_events != BZ_STATS_NR_EVENTS)
		return fail(err, errlen, -EPROTO, "segment layout (header %u, zone %u, events %u) is not version %u's",
			    h->header_size, h->zone_size, h->nr_events, BZ_STATS_SHM_VERSION);
	if (!h->nr_zones || h->nr_zones > BZ_STATS_MAX_ZONES || h->nr_zones % BZ_MAX_NR_ZONES)
		return fail(err, errlen, -EPROTO, "segment claims %u zone records", h->nr_zones);
	need = (uint64_t)h->header_size + (uint64_t)h->nr_zones * h->zone_size;
	if (h->total_size != need || need > size)
		return fail(err, errlen, -EPROTO, "segment claims %" PRIu64 " bytes (records need %" PRIu64
			    "), it has %zu", h->total_size, need, size);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->nr_zones = h->nr_zones;
	r->interval_ms = h->interval_ms;
	r->pid = h->pid;
	r->sys_id = h->sys_id;
	r->start_ns = h->start_ns;
	r->pid_starttime = h->pid_starttime;
	r->pid_ns = h->pid_ns;
	r->copy_size = (size_t)need;
	memcpy(r->ident, h, sizeof(r->ident));
	memcpy(r->ident, &magic, sizeof(magic));       /* offsetof(magic) == 0 */
	return 0;
}

int bz_stats_attach(struct bz_stats_reader *r, const void *map, size_t size, char *err, size_t errlen)
{
	const struct bz_stats_shm *h = map;
	int ret;

	if (size < sizeof(*h))
		return fail(err, errlen, -EPROTO, "segment of %zu bytes: too small for a header", size);
	ret = validate(r, h, __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE), size, err, errlen);
	if (ret)
		return ret;
	r->map = map;
	r->map_size = size;
	return 0;
}

/* The owner and the mode, before anything is read. */
static int check_owner(const struct stat *st, const char *name, uid_t uid, char *err, size_t errlen)
{
	if (!S_ISREG(st->st_mode))
		return fail(err, errlen, -EPROTO, "%s is not a regular file, so not a statistics segment: "
			    "refusing to read it", name);
	if (st->st_uid != uid)
		return fail(err, errlen, -EPERM, "%s belongs to uid %u, not to uid %u: refusing to read it",
			    name, (unsigned)st->st_uid, (unsigned)uid);
	if ((st->st_mode & 07777) != BZ_STATS_SHM_MODE)
		return fail(err, errlen, -EPERM, "%s has mode %04o, not %04o: refusing to read it", name,
			    (unsigned)(st->st_mode & 07777), BZ_STATS_SHM_MODE);
	if (st->st_size < (off_t)sizeof(struct bz_stats_shm) || st->st_size > (off_t)MAX_SEGMENT_SIZE)
		return fail(err, errlen, -EPROTO, "%s has %lld bytes: not a statistics segment", name,
			    (long long)st->st_size);
	return 0;
}

/* All of len at off, or -ENODATA where the object ends first. */
static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ENODATA;
		buf = (char *)buf + n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* The header by pread: magic first, as the writer stores it last. */
static int read_header(int fd, const struct stat *st, struct bz_stats_reader *r, char *err, size_t errlen)
{
	struct bz_stats_shm *h = malloc(sizeof(*h));
	uint64_t magic;
	int ret;

	if (!h)
		return fail(err, errlen, -ENOMEM, "out of memory");
	ret = pread_all(fd, &magic, sizeof(magic), 0);
	if (!ret)
		ret = pread_all(fd, h, sizeof(*h), 0);
	if (ret)
		ret = fail(err, errlen, ret == -ENODATA ? -EPROTO : ret, "reading the header: %s", strerror(-ret));
	else
		ret = validate(r, h, magic, (size_t)st->st_size, err, errlen);
	free(h);
	return ret;
}

int bz_stats_open_name(struct bz_stats_reader *r, const char *name, uid_t uid, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret;

	if (!r || !name || strlen(name) >= sizeof(r->name))
		return fail(err, errlen, -EINVAL, "bad segment name");
	/* O_NONBLOCK: a FIFO planted under the name must not hang us before fstat says what it is. */
	fd = shm_open(name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP)
			return fail(err, errlen, -EPROTO, "%s is a symbolic link: refusing to follow it", name);
		return fail(err, errlen, ret, "%s: %s", name, strerror(-ret));
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return fail(err, errlen, ret, "%s: fstat: %s", name, strerror(-ret));
	}
	ret = check_owner(&st, name, uid, err, errlen);
	if (!ret)
		ret = read_header(fd, &st, r, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	r->fd = fd;
	snprintf(r->name, sizeof(r->name), "%s", name);
	return 0;
}

int bz_stats_open(struct bz_stats_reader *r, pid_t pid, uint64_t sys_id, uid_t uid, char *err, size_t errlen)
{
	char name[64];

	snprintf(name, sizeof(name), "/" BZ_STATS_SHM_PREFIX "%ld.%" PRIu64, (long)pid, sys_id);
	return bz_stats_open_name(r, name, uid, err, errlen);
}

void bz_stats_close(struct bz_stats_reader *r)
{
	if (r && r->fd >= 0 && r->name[0])
		close(r->fd);
	if (r) {
		memset(r, 0, sizeof(*r));
		r->fd = -1;
	}
}

/* ---- who wrote it ------------------------------------------------------------------------- */

static int proc_stat(pid_t pid, char *state, uint64_t *starttime)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	buf[n] = '\0';
	return bz_stats_parse_proc_stat(buf, state, starttime) ? -EIO : 0;
}

int bz_stats_check_publisher(const struct bz_stats_reader *r, pid_t pid, char *err, size_t errlen)
{
	const char *name = r->name[0] ? r->name : "the segment";
	uint64_t starttime = 0;
	struct stat ns;
	char state = 0;
	int ret;

	if (r->pid != (uint64_t)pid)
		return fail(err, errlen, -ESTALE, "%s is stale: it names pid %ld but was written by pid %" PRIu64,
			    name, (long)pid, r->pid);
	if (!stat("/proc/self/ns/pid", &ns) && (uint64_t)ns.st_ino != r->pid_ns)
		return fail(err, errlen, -ESTALE, "%s was written in another pid namespace, where pid %ld is "
			    "another process than here", name, (long)pid);
	ret = proc_stat(pid, &state, &starttime);
	if (ret == -ENOENT || (!ret && (state == 'Z' || state == 'X')))
		return fail(err, errlen, -ESRCH, "process %ld has exited", (long)pid);
	if (ret)
		return fail(err, errlen, ret, "/proc/%ld/stat: %s", (long)pid, strerror(-ret));
	if (starttime != r->pid_starttime)
		return fail(err, errlen, -ESTALE, "%s is stale: pid %ld is now another process (started at "
			    "tick %" PRIu64 ", the segment's at %" PRIu64 ")", name, (long)pid, starttime,
			    r->pid_starttime);
	return 0;
}

int bz_stats_still_linked(const struct bz_stats_reader *r)
{
	char path[96];
	struct stat by_name, ours;

	if (r->fd < 0)
		return 1;
	snprintf(path, sizeof(path), SHM_DIR "%s", r->name);
	if (lstat(path, &by_name) || fstat(r->fd, &ours))
		return 0;
	return by_name.st_dev == ours.st_dev && by_name.st_ino == ours.st_ino;
}

/* ---- snapshots ------------------------------------------------------------------------------ */

int bz_stats_snap_init(const struct bz_stats_reader *r, struct bz_stats_snap *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->zones = calloc(r->nr_zones, sizeof(*snap->zones));
	if (!snap->zones)
		return -ENOMEM;
	snap->nr_zones = r->nr_zones;
	return 0;
}

void bz_stats_snap_free(struct bz_stats_snap *snap)
{
	free(snap->zones);
	snap->zones = NULL;
	snap->nr_zones = 0;
}

/* One attempt on a segment in memory: 1 when the copy is consistent. */
static int read_once_map(const struct bz_stats_reader *r, struct bz_stats_snap *snap)
{
	const struct bz_stats_shm *h = r->map;
	const char *base = r->map;
	uint64_t s1, s2;

	s1 = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE);
	if (s1 & 1)
		return 0;
	bz_stats_load_words((uint64_t *)((char *)&snap->hdr + BZ_STATS_SNAPSHOT_OFFSET),
			    (const uint64_t *)(base + BZ_STATS_SNAPSHOT_OFFSET),
			    (sizeof(*h) - BZ_STATS_SNAPSHOT_OFFSET) / 8);
	bz_stats_load_words((uint64_t *)snap->zones, (const uint64_t *)(base + sizeof(*h)),
			    (size_t)r->nr_zones * sizeof(struct bz_stats_zone) / 8);
	s2 = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
	return s1 == s2;
}

/*
 * One attempt by pread: seq, the payload, seq again, each its own call
 * (stats_shm.h says why that orders them).  1 consistent, 0 raced,
 * -errno (-ENODATA: truncated).
 */
static int read_once_fd(const struct bz_stats_reader *r, struct bz_stats_snap *snap)
{
	const size_t hdr_part = sizeof(struct bz_stats_shm) - BZ_STATS_SNAPSHOT_OFFSET;
	uint64_t s1, s2;
	int ret;

	ret = pread_all(r->fd, &s1, sizeof(s1), BZ_STATS_SEQ_OFFSET);
	if (ret || (s1 & 1))
		return ret;
	ret = pread_all(r->fd, (char *)&snap->hdr + BZ_STATS_SNAPSHOT_OFFSET, hdr_part, BZ_STATS_SNAPSHOT_OFFSET);
	if (!ret)
		ret = pread_all(r->fd, snap->zones, (size_t)r->nr_zones * sizeof(struct bz_stats_zone),
				sizeof(struct bz_stats_shm));
	if (!ret)
		ret = pread_all(r->fd, &s2, sizeof(s2), BZ_STATS_SEQ_OFFSET);
	return ret ? ret : s1 == s2;
}

/* Records a caller may index by: node and zone in range, zone in its slot. */
static int snap_valid(const struct bz_stats_snap *snap)
{
	if (snap->hdr.nr_nodes * BZ_MAX_NR_ZONES != snap->nr_zones)
		return 0;
	for (uint32_t i = 0; i < snap->nr_zones; i++) {
		const struct bz_stats_zone *z = &snap->zones[i];

		if (z->nid != i / BZ_MAX_NR_ZONES || z->zid != i % BZ_MAX_NR_ZONES || z->populated > 1)
			return 0;
	}
	return 1;
}

int bz_stats_read(const struct bz_stats_reader *r, struct bz_stats_snap *snap, unsigned max_tries)
{
	const struct timespec pause = { 0, 1000000 };

	if (!r || (r->fd < 0 && !r->map) || !snap || snap->nr_zones != r->nr_zones)
		return -EINVAL;
	if (!max_tries)
		max_tries = DEFAULT_TRIES;
	for (unsigned i = 0; i < max_tries; i++) {
		int ret = r->fd >= 0 ? read_once_fd(r, snap) : read_once_map(r, snap);

		if (ret < 0)
			return ret;
		if (ret) {
			memcpy(&snap->hdr, r->ident, sizeof(r->ident));
			return snap_valid(snap) ? 0 : -EPROTO;
		}
		if (i % 64 == 63)
			nanosleep(&pause, NULL);
	}
	return -EAGAIN;
}
