/* SPDX-License-Identifier: MIT */
/*
 * stats_shm.h - the layout of a published statistics segment, shared by
 * the writer (src/stats_shm.c, in the library) and the reader
 * (tools/stats_reader.c, in bzstat and the tests).  Nothing else of the
 * library is visible here: a reader only needs this file and the public
 * constants.
 *
 * A publishing system owns one POSIX shared-memory object named
 * "/buddyzone.<pid>.<system id>", mode 0600, holding a struct
 * bz_stats_shm followed by nr_zones struct bz_stats_zone records.  The
 * fields up to `seq` are written once, before `magic` is stored;
 * everything after `seq` is a snapshot, rewritten every interval under the
 * seqlock `seq` (odd while the writer is inside).
 *
 * Neither side maps the object: the writer stores with pwrite() into space
 * reserved with posix_fallocate(), the reader copies with pread(), so a
 * full /dev/shm or a segment truncated by somebody else gives an error,
 * never SIGBUS.  Each seq store and load is its own aligned 8-byte call,
 * ordered by the system calls between them; a torn copy of the payload is
 * caught by the seqlock as with the word-by-word helpers below, which
 * remain for segments in ordinary memory (the tests).
 *
 * Who wrote it: pid, the start time of that process (/proc/PID/stat field
 * 22, clock ticks after boot) and the inode of its pid namespace
 * (/proc/self/ns/pid).  A reader compares them with /proc/PID/stat: a
 * segment whose pid has gone, or now names a younger process, is stale.
 *
 * Compatibility: a reader accepts only BZ_STATS_SHM_VERSION and checks
 * header_size, zone_size, nr_events and nr_zones against the size it
 * mapped.  Changing a struct here means bumping the version.
 */
#ifndef BZ_STATS_SHM_H
#define BZ_STATS_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <buddyzone/buddyzone.h>

#define BZ_STATS_SHM_MAGIC    0x0053544154535a42ull /* "BZSTATS" */
#define BZ_STATS_SHM_VERSION  2u
#define BZ_STATS_SHM_PREFIX   "buddyzone."          /* name: "/" PREFIX "<pid>.<id>" */
#define BZ_STATS_SHM_MODE     0600
#define BZ_STATS_MAX_ZONES    (BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES)
#define BZ_STATS_INTERVAL_MS  250                   /* default publishing interval */

/* The vm events a segment carries, under their /proc/vmstat names. */
enum bz_stats_event {
	BZ_STAT_PGALLOC_DMA, BZ_STAT_PGALLOC_DMA32, BZ_STAT_PGALLOC_NORMAL,
	BZ_STAT_PGALLOC_MOVABLE, BZ_STAT_PGALLOC_DEVICE,
	BZ_STAT_ALLOCSTALL_DMA, BZ_STAT_ALLOCSTALL_DMA32, BZ_STAT_ALLOCSTALL_NORMAL,
	BZ_STAT_ALLOCSTALL_MOVABLE, BZ_STAT_ALLOCSTALL_DEVICE,
	BZ_STAT_PGFREE, BZ_STAT_PAGEOUTRUN,
	BZ_STAT_KSWAPD_LOW_WMARK_HIT_QUICKLY, BZ_STAT_KSWAPD_HIGH_WMARK_HIT_QUICKLY,
	BZ_STAT_COMPACT_STALL,
	BZ_STAT_PGALLOC_FAIL,           /* ours: requests that returned NULL */
	BZ_STAT_PGALLOC_BAD_FREE,       /* ours: frees refused */
	BZ_STATS_NR_EVENTS
};

static const char *const bz_stats_event_names[BZ_STATS_NR_EVENTS] = {
	"pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable", "pgalloc_device",
	"allocstall_dma", "allocstall_dma32", "allocstall_normal", "allocstall_movable",
	"allocstall_device", "pgfree", "pageoutrun", "kswapd_low_wmark_hit_quickly",
	"kswapd_high_wmark_hit_quickly", "compact_stall", "pgalloc_fail", "pgalloc_bad_free",
};

/* numa_stat_item, in /proc/zoneinfo order. */
enum { BZ_STAT_NUMA_HIT, BZ_STAT_NUMA_MISS, BZ_STAT_NUMA_FOREIGN, BZ_STAT_NUMA_INTERLEAVE,
       BZ_STAT_NUMA_LOCAL, BZ_STAT_NUMA_OTHER, BZ_STATS_NR_NUMA };

static const char *const bz_stats_numa_names[BZ_STATS_NR_NUMA] = {
	"numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
};

/* One zone of one node, present or not (populated says which). */
struct bz_stats_zone {
	uint64_t nid, zid, populated;
	uint64_t start_pfn, spanned, present, managed;
	uint64_t free;                  /* NR_FREE_PAGES: on the buddy lists */
	uint64_t cached;                /* in per-thread caches */
	uint64_t allocated;             /* managed - free - cached */
	uint64_t free_blocks;           /* NR_FREE_PAGES_BLOCKS */
	uint64_t wmark_min, wmark_low, wmark_high, wmark_promo; /* with the boost, as zoneinfo */
	uint64_t boost;
	uint64_t lowmem_reserve[BZ_MAX_NR_ZONES];
	uint64_t pcp_batch, pcp_high_min, pcp_high_max;
	uint64_t nr_free[BZ_NR_PAGE_ORDERS];
	/* Blocks per list; a list longer than BZ_STATS_LIST_CAP shows as the cap. */
	uint64_t free_by_type[BZ_MIGRATE_TYPES][BZ_NR_PAGE_ORDERS];
	uint64_t pageblocks[BZ_MIGRATE_TYPES];
	uint64_t numa[BZ_STATS_NR_NUMA];
	uint64_t lock_contended;
};

/* pagetypeinfo's cap on a list walk under the zone lock (we keep it for the same reason). */
#define BZ_STATS_LIST_CAP 100000u

struct bz_stats_shm {
	/* Identification: written once, before magic. */
	uint64_t magic;                 /* BZ_STATS_SHM_MAGIC, stored last (release) */
	uint32_t version;               /* BZ_STATS_SHM_VERSION */
	uint32_t header_size;           /* sizeof(struct bz_stats_shm): zones start here */
	uint32_t zone_size;             /* sizeof(struct bz_stats_zone) */
	uint32_t nr_zones;              /* records after the header: nr_nodes * BZ_MAX_NR_ZONES */
	uint32_t nr_events;             /* BZ_STATS_NR_EVENTS */
	uint32_t interval_ms;           /* how often the snapshot is rewritten */
	uint64_t total_size;            /* header_size + nr_zones * zone_size */
	uint64_t pid;                   /* the publishing process */
	uint64_t sys_id;                /* the system's id in that process */
	uint64_t start_ns;              /* CLOCK_MONOTONIC when publishing began */
	uint64_t pid_starttime;         /* /proc/<pid>/stat field 22 of the publisher */
	uint64_t pid_ns;                /* inode of the publisher's /proc/self/ns/pid */
	uint64_t seq;                   /* the seqlock: odd while a snapshot is written */
	/* The snapshot, under seq. */
	uint64_t snapshot_ns;           /* CLOCK_MONOTONIC when it was taken */
	uint64_t nr_snapshots;          /* 1 for the first */
	uint64_t nr_nodes;
	uint64_t events[BZ_STATS_NR_EVENTS];
	/*
	 * Each node's arena resident in memory, by backing (base, THP,
	 * hugetlb: BZ_STATS_RES_*), in bytes, as bz_write_json's
	 * resident_bytes; measured at most once a second (resident_ns), all
	 * ones where it could not be measured.
	 */
	uint64_t resident_ns;
	uint64_t resident[BZ_MAX_NUMNODES][3];
};

enum { BZ_STATS_RES_BASE, BZ_STATS_RES_THP, BZ_STATS_RES_HUGETLB };
#define BZ_STATS_RES_UNKNOWN UINT64_MAX

#define BZ_STATS_SNAPSHOT_OFFSET offsetof(struct bz_stats_shm, snapshot_ns)
#define BZ_STATS_SEQ_OFFSET      offsetof(struct bz_stats_shm, seq)

_Static_assert(sizeof(struct bz_stats_zone) % 8 == 0, "zone records are 64-bit words");
_Static_assert(sizeof(struct bz_stats_shm) % 8 == 0, "the header is 64-bit words");
_Static_assert(BZ_STATS_SNAPSHOT_OFFSET % 8 == 0, "the snapshot is 64-bit words");
_Static_assert(offsetof(struct bz_stats_shm, pid) == 40, "tests/test_bzstat.sh writes pid at 40");

/*
 * The seqlock, as the kernel's seqcount_t written in C11 atomics without
 * fences: the writer makes seq odd, stores every word with release (none
 * can pass the odd seq), then makes it even with release; the reader loads
 * seq with acquire, every word with acquire (the second seq load cannot
 * pass them), and retries when seq was odd or moved.
 */
static inline void bz_stats_write_begin(uint64_t *seq)
{
	__atomic_store_n(seq, __atomic_load_n(seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

static inline void bz_stats_write_end(uint64_t *seq)
{
	__atomic_store_n(seq, __atomic_load_n(seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

static inline void bz_stats_store_words(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELEASE);
}

static inline void bz_stats_load_words(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_ACQUIRE);
}

/*
 * From the text of /proc/PID/stat: field 3 (state) and field 22
 * (starttime), counted after the last ')' because field 2, the command,
 * may hold spaces and parentheses (proc_pid_stat(), fs/proc/array.c).
 * 0, or -1 when the text does not parse.
 */
static inline int bz_stats_parse_proc_stat(const char *text, char *state, uint64_t *starttime)
{
	const char *p = strrchr(text, ')');
	unsigned long long v;
	int field;

	if (!p || p[1] != ' ' || !p[2])
		return -1;
	p += 2;
	*state = *p;
	for (field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llu", &v) != 1)
		return -1;
	*starttime = v;
	return 0;
}

#endif /* BZ_STATS_SHM_H */
