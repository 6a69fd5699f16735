/* SPDX-License-Identifier: MIT */
/*
 * system.h - the system layer (DESIGN.md, "Layers"): a system's lifetime
 * and the default system (system.c), fork (fork.c), and live statistics
 * for other processes (stats_shm.c).  Everything below is built, started,
 * stopped and freed from here; everything above reaches a system through
 * bz__resolve().
 */
#ifndef BZ_SYSTEM_H
#define BZ_SYSTEM_H

#include "compaction.h"

/* ---- system.c --------------------------------------------------------------------------- */

/* sys itself, or the default system for NULL (created on first use; NULL if that failed). */
struct bz_system *bz__resolve(bz_system *sys);

/* ---- fork.c ------------------------------------------------------------------------------ */

/* Registers the one pthread_atfork() handler set (also done when the library loads). */
void bz__fork_init(void);

/* ---- stats_shm.c: live statistics in shared memory (bzstat) ------------------------------ */

struct bz_stats_shm;
/*
 * Starts publishing when cfg (then BUDDYZONE_STATS) asks for it: creates
 * the segment and its thread.  0 (also when the segment cannot be made:
 * logged, the system works without it), or -EINVAL for a bad config.
 */
int bz__stats_publish_start(struct bz_system *sys, const struct bz_config *cfg);
/* Stops the thread, unlinks and closes the segment; before anything else of destroy. */
void bz__stats_publish_stop(struct bz_system *sys);
/* The segment's name ("/buddyzone.<pid>.<id>"), NULL when not publishing. */
const char *bz__stats_shm_name(const struct bz_system *sys);
/*
 * One snapshot into a segment in memory under its seqlock: the payload
 * words of snap (total_size set).  For the tests: the publisher itself
 * writes its segment with pwrite (stats_shm.c).
 */
void bz__stats_shm_write(struct bz_stats_shm *seg, const struct bz_stats_shm *snap);
/* Fork (fork.c): the publishers' list is not changed while memory is copied. */
void bz__stats_fork_prepare(void);
void bz__stats_fork_release(void);

#endif /* BZ_SYSTEM_H */
