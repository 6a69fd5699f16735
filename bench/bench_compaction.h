/* SPDX-License-Identifier: MIT */
/*
 * bench_compaction.h - order-9 allocations in a fragmented zone, with
 * compaction on and off (C body of bench_compaction.cpp): a zone filled
 * with movable order-0 pages owned through a handle table, every other one
 * freed, then order-9 requests until one fails.
 */
#ifndef BZ_BENCH_COMPACTION_H
#define BZ_BENCH_COMPACTION_H

#ifdef __cplusplus
extern "C" {
#endif

struct bz_compaction_result {
	double alloc_ns;                /* the order-9 phase, wall time */
	unsigned long blocks;           /* order-9 blocks obtained */
	unsigned long migrated;         /* pgmigrate_success */
	unsigned long migrate_fail;     /* pgmigrate_fail */
	unsigned long stalls;           /* compact_stall */
	unsigned long handles_bad;      /* handles that did not read their own data after */
};

/*
 * On a fresh system of one 64 MiB NORMAL zone (compaction on or off, no
 * proactive compaction): fill, free every other handle, then time
 * THP-style order-9 requests (direct reclaim and compaction, no kswapd)
 * until one fails.  0, or -1 (with a message on stderr).
 */
int bz_bench_compaction(int compaction, struct bz_compaction_result *r);

#ifdef __cplusplus
}
#endif
#endif /* BZ_BENCH_COMPACTION_H */
