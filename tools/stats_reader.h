/* SPDX-License-Identifier: MIT */
/*
 * stats_reader.h - reading another process's statistics segment
 * (src/stats_shm.h): finding it, refusing one that is not the reader's
 * own, validating its header against the size actually mapped, and taking
 * consistent snapshots through the seqlock.  Compiled into bzstat and into
 * tests/test_stats.c, so the tests exercise the code bzstat runs.
 */
#ifndef BZ_STATS_READER_H
#define BZ_STATS_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../src/stats_shm.h"

struct bz_stats_reader {
	const void *map;                /* the segment, read-only */
	size_t map_size;                /* what was mapped: every offset is checked against it */
	char name[64];
	/* Validated copies of the header: never read back from the segment. */
	uint32_t nr_zones;
	uint32_t interval_ms;
	uint64_t pid, sys_id, start_ns;
	size_t copy_size;               /* header + zones: what a snapshot holds */
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
 * Opens "/buddyzone.PID.ID" read-only.  Refuses (-EPERM) a segment not
 * owned by uid or readable by anyone else (mode other than 0600), and
 * (-EPROTO) one whose magic, version, record sizes or counts do not fit the
 * mapped size.  0, or -errno with a one-line explanation in err.
 */
int bz_stats_open(struct bz_stats_reader *r, pid_t pid, uint64_t sys_id, uid_t uid, char *err, size_t errlen);
/* The same for a name as shm_open takes it ("/buddyzone.1234.1"). */
int bz_stats_open_name(struct bz_stats_reader *r, const char *name, uid_t uid, char *err, size_t errlen);
void bz_stats_close(struct bz_stats_reader *r);

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
 * while the writer is inside; 0, or -EAGAIN after max_tries (0: a
 * default of 1000) attempts all raced with the writer.
 */
int bz_stats_read(const struct bz_stats_reader *r, struct bz_stats_snap *snap, unsigned max_tries);

#endif /* BZ_STATS_READER_H */
