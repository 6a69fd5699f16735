/* SPDX-License-Identifier: MIT */
/*
 * stats_reader.h - reading another process's statistics segment
 * (src/stats_shm.h): finding it, refusing one that is not the reader's
 * own, validating its header against the object's size, taking consistent
 * snapshots through the seqlock, and telling whether the process that
 * wrote it still runs.  Compiled into bzstat and into tests/test_stats.c,
 * so the tests exercise the code bzstat runs.
 *
 * Nothing is mapped: a segment opened by name is read with pread(), so a
 * segment truncated while it is read gives -ENODATA, never SIGBUS, and
 * opening never blocks (O_NONBLOCK: a FIFO under the name; O_NOFOLLOW).
 */
#ifndef BZ_STATS_READER_H
#define BZ_STATS_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../src/stats_shm.h"

struct bz_stats_reader {
	int fd;                         /* the segment opened by name, read with pread; -1: map */
	const void *map;                /* or a segment in memory (bz_stats_attach) */
	size_t map_size;                /* its size: every offset is checked against it */
	char name[64];
	/* Validated copies of the header: never read back from the segment. */
	uint32_t nr_zones;
	uint32_t interval_ms;
	uint64_t pid, sys_id, start_ns, pid_starttime, pid_ns;
	size_t copy_size;               /* header + zones: what a snapshot holds */
	unsigned char ident[BZ_STATS_SEQ_OFFSET]; /* the identification fields as validated */
};

/* A consistent copy of the segment's snapshot. */
struct bz_stats_snap {
	struct bz_stats_shm hdr;        /* identification fields as validated, then the snapshot */
	struct bz_stats_zone *zones;    /* nr_zones records */
	uint32_t nr_zones;
};

/*
 * Lists the system ids of pid's segments (/dev/shm/buddyzone.PID.ID),
 * sorted, at most max of them.  Returns how many exist (possibly more than
 * max), or -errno.
 */
int bz_stats_list(pid_t pid, uint64_t *ids, int max);

/*
 * Opens "/buddyzone.PID.ID" read-only, without blocking or following a
 * link.  Refuses (-EPROTO) anything but a regular file, (-EPERM) a
 * segment not owned by uid or readable by anyone else (mode other than
 * 0600), and (-EPROTO) one whose magic, version, record sizes or counts do
 * not fit its size.  0, or -errno with a one-line explanation in err.
 */
int bz_stats_open(struct bz_stats_reader *r, pid_t pid, uint64_t sys_id, uid_t uid, char *err, size_t errlen);
/* The same for a name as shm_open takes it ("/buddyzone.1234.1"). */
int bz_stats_open_name(struct bz_stats_reader *r, const char *name, uid_t uid, char *err, size_t errlen);
void bz_stats_close(struct bz_stats_reader *r);

/*
 * Is the process that wrote r's segment the live process pid?  The
 * segment must name pid and the reader's pid namespace, and
 * /proc/PID/stat must show a process that is not a zombie with the start
 * time the segment recorded.  0: yes.  -ESRCH: that process has exited.
 * -ESTALE: the segment is not that process's (pid reused by a younger
 * process, another pid, another namespace).  Other -errno: /proc could
 * not tell.  err explains every refusal in one line.
 */
int bz_stats_check_publisher(const struct bz_stats_reader *r, pid_t pid, char *err, size_t errlen);

/* Does r's name still lead to the object r reads (not unlinked, not replaced)?  Always for a map. */
int bz_stats_still_linked(const struct bz_stats_reader *r);

/*
 * Validates a segment already in memory (map, size): as bz_stats_open after
 * the owner check.  For readers that map it themselves (and the tests).
 */
int bz_stats_attach(struct bz_stats_reader *r, const void *map, size_t size, char *err, size_t errlen);

/* Allocates the zone records of a snapshot for r; 0 or -ENOMEM.  bz_stats_snap_free() frees. */
int bz_stats_snap_init(const struct bz_stats_reader *r, struct bz_stats_snap *snap);
void bz_stats_snap_free(struct bz_stats_snap *snap);

/*
 * Copies the current snapshot into snap through the seqlock, retrying
 * while the writer is inside; 0, -EAGAIN after max_tries (0: a default
 * of 1000) attempts all raced with the writer, -ENODATA when the segment
 * became shorter than its header says (truncated), -EPROTO for records a
 * caller must not index by.
 */
int bz_stats_read(const struct bz_stats_reader *r, struct bz_stats_snap *snap, unsigned max_tries);

#endif /* BZ_STATS_READER_H */
