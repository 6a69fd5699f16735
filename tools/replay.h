/* SPDX-License-Identifier: MIT */
/*
 * replay.h - bzreplay's parts: the trace (replay_trace.c reads ftrace text
 * and CSV, replay_tracedat.c trace-cmd's trace.dat), the start from a
 * /proc snapshot (replay_seed.c), the replay itself in policy or exact mode
 * (replay_run.c), with the library let move the movable blocks
 * (replay_movable.c), the reports (replay_report.c) and the plot
 * (replay_plot.c).
 */
#ifndef BZ_TOOLS_REPLAY_H
#define BZ_TOOLS_REPLAY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <buddyzone/buddyzone.h>

#include "procfs.h"

#define REPLAY_MAX_CPUS 1024
#define REPLAY_NR_MT 4          /* Unmovable, Movable, Reclaimable, HighAtomic */

/* ---- the trace ---------------------------------------------------------------- */

/* The kmem events bzreplay reads (include/trace/events/kmem.h). */
enum ev_type {
	EV_ALLOC,               /* mm_page_alloc: a block handed out (__alloc_pages) */
	EV_FREE,                /* mm_page_free (free_pages_prepare), or a batched free without one */
	EV_ZONE_LOCKED,         /* mm_page_alloc_zone_locked: __rmqueue_smallest took a block */
	EV_PCPU_DRAIN,          /* mm_page_pcpu_drain: free_pcppages_bulk gave a block back */
	EV_EXTFRAG,             /* mm_page_alloc_extfrag: __rmqueue_claim / __rmqueue_steal */
	/* Counted in the window, not replayed: */
	EV_BATCHED_DUP,         /* mm_page_free_batched repeating an mm_page_free */
	EV_ALLOC_FAILED,        /* mm_page_alloc with no page */
	NR_EV_TYPES
};

struct event {
	uint64_t ts_ns;         /* trace clock (CSV: the row number) */
	uint64_t key;           /* pfn (ftrace) or id (CSV) */
	bz_gfp_t gfp;           /* EV_ALLOC */
	uint16_t cpu;
	uint8_t type, order;    /* enum ev_type; EV_EXTFRAG: alloc_order */
	uint8_t mt;             /* migratetype of the request (EV_ALLOC, ZONE_LOCKED, EXTFRAG) or list */
	uint8_t arg;            /* ZONE_LOCKED: percpu_refill; EXTFRAG: see EXTFRAG_*; FREE: 1 if batched */
};

#define EXTFRAG_ORDER(a) ((a) & 0x0f)           /* fallback_order */
#define EXTFRAG_MT(a) (((a) >> 4) & 0x07)       /* fallback_migratetype */
#define EXTFRAG_CLAIMED 0x80                    /* change_ownership */

/* What the trace says about itself, counted while reading. */
struct trace_counts {
	unsigned long events[NR_EV_TYPES];      /* in the replay window */
	unsigned long alloc_failed;             /* mm_page_alloc with no page: failed in the kernel */
	unsigned long batched, batched_dup;     /* mm_page_free_batched, of which repeats of an mm_page_free */
	/* (these and events[] count the replay window; the rest the whole trace) */
	unsigned long outside;                  /* events before/after the snapshot markers */
	unsigned long malformed, unknown_flags;
	char first_unknown[64];
	/* Signs of loss. */
	unsigned long lost_markers, lost_events;        /* "[LOST n EVENTS]", "[n EVENTS DROPPED]" */
	unsigned long buffer_entries, buffer_written;   /* raw tracefs header: entries-in-buffer/written */
	unsigned long buffer_started;                   /* "##### CPU n buffer started ####" */
	unsigned long overrun, dropped;                 /* --stats / trace.dat's CPU statistics */
	bool tracing_off;                               /* --stats says tracing_on was 0 */
};

struct trace {
	struct event *ev;
	size_t nr, cap;
	const char *format;     /* "ftrace", "trace.dat" or "csv" */
	int nr_cpus;            /* highest CPU seen + 1 */
	bool windowed;          /* the "bzreplay: before"/"after" markers were found */
	uint64_t t0_ns, t1_ns;  /* the window (or first and last event) */
	struct trace_counts c;
};

int trace_push(struct trace *t, const struct event *ev);
/* Reads text (ftrace or CSV; format NULL: detect); 0 or -errno. */
int trace_read_text(FILE *in, const char *format, struct trace *t);
/* Reads trace-cmd's trace.dat (libtracecmd); -ENOTSUP when built without it. */
int trace_read_dat(const char *path, struct trace *t);
/* Is this file a trace.dat (its magic)? */
bool trace_is_dat(const char *path);
/* After reading: drop events outside the markers' window, count CPUs. */
void trace_finish(struct trace *t);
/* --stats FILE: trace-cmd report --stat or per_cpu/cpu N/stats text (overrun, dropped, tracing_on). */
int trace_read_stats(FILE *in, struct trace_counts *c);
/* One line per sign of loss to out ("warning: ..."); the number of warnings. */
int trace_warn_loss(const struct trace *t, FILE *out);
/* The kernel's pcp_allowed_order(): the orders per-CPU lists hold (THP's with it on). */
bool pcp_order(unsigned order);

/* ---- the machine: geometry and snapshots -------------------------------------------- */

struct snapshot {
	const char *root;
	struct proc_machine m;  /* zoneinfo + buddyinfo + pagetypeinfo */
	long pgalloc, pgfree;   /* /proc/vmstat: pgalloc_* summed, pgfree */
};

/* Reads root/proc/{zoneinfo,buddyinfo,pagetypeinfo,vmstat}; 0, or -1 after a message to stderr. */
int snapshot_read(const char *root, struct snapshot *s);
/* The model's zones spec for a replay from s (bzreplay's choice of where managed pages lie). */
int snapshot_zones_spec(const struct snapshot *s, const struct trace *t, char *spec, size_t size);
/* The zone (nid, zid) of a pfn by the snapshot's geometry; false outside every zone. */
bool snapshot_zone_of(const struct snapshot *s, uint64_t pfn, int *nid, int *zid);

/* ---- the replay --------------------------------------------------------------------- */

enum replay_mode { MODE_POLICY, MODE_EXACT };

/* Counts per zone, the kernel's from the trace and the model's from the replay. */
struct side {
	unsigned long alloc[BZ_NR_PAGE_ORDERS][REPLAY_NR_MT];   /* blocks handed out */
	unsigned long alloc_pages, alloc_failed;
	unsigned long alloc_failed_costly;      /* of which above PAGE_ALLOC_COSTLY_ORDER (3) */
	unsigned long frees, free_pages;
	unsigned long zone_locked, pcpu_drain, extfrag, extfrag_claimed;
};

struct zone_sample {
	unsigned long free, cached, allocated;
	unsigned long nr_free[BZ_NR_PAGE_ORDERS];
};

/* The model's compaction counters (its /proc/vmstat lines of these names), since the replay began. */
struct compact_counts {
	unsigned long compact_stall, compact_success, compact_fail;
	unsigned long pgmigrate_success, pgmigrate_fail, compact_daemon_wake;
};

struct sample {
	uint64_t t_ns;          /* since the window's start */
	size_t event;
	/* Cumulative: the model's failed allocations (all orders; above order 3), compaction's work. */
	unsigned long failed, failed_costly;
	struct compact_counts cc;
};

struct live;
struct block_map {
	struct live *slot;
	size_t size, used;
};

struct replay {
	enum replay_mode mode;
	bz_system *sys;
	const struct snapshot *before;  /* NULL: a fresh system, every block free */
	int nr_zones;                   /* the model's populated zones */
	int zone_slots[BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES];
	struct block_map map;           /* trace key -> the model's block */
	/* Totals over zones, and per zone (index nid * BZ_MAX_NR_ZONES + zid; kernel's needs geometry). */
	struct side kernel, model;
	struct side kernel_zone[BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES];
	unsigned long frees_before_trace;       /* of blocks allocated before the window */
	unsigned long frees_unmatched;          /* ... that the model could not free (no snapshot) */
	unsigned long frees_of_failed;          /* of blocks whose allocation failed here */
	unsigned long missed_frees, order_mismatch;
	unsigned long conflicts;                /* exact: the model's lists disagreed with the event */
	unsigned long conflict_by[NR_EV_TYPES]; /* ... by the event's type */
	unsigned long straight_to_buddy;        /* exact: a free the kernel put on the buddy lists, seen late */
	unsigned long outside_model;            /* pfns no model zone holds */
	unsigned long live_blocks, live_pages, peak_pages;
	uint64_t peak_ns;
	/* Samples every interval_ns of trace time. */
	uint64_t interval_ns;
	struct sample *samples;
	struct zone_sample *zs;         /* nr_zones per sample */
	size_t nr_samples, cap_samples;
	/* Seeding's account (replay_seed.c). */
	unsigned long seed_unplaced[BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES];
	unsigned long seed_touched_free, seed_touched_busy;
	bool threads;                   /* policy: one thread per traced CPU */
	int nr_threads;
	/* Blocks the kernel's per-CPU lists hold (exact), per zone. */
	unsigned long pcp_pages[BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES];
	void *seed;                     /* replay_seed.c's state */
	/*
	 * Policy mode with compaction on: the replayed movable blocks are
	 * marked movable (replay_movable.c), and the library may move them
	 * from any thread (kcompactd's too): map_lock then guards the map.
	 */
	bool movable;
	pthread_mutex_t map_lock;
	unsigned long marked_movable;   /* blocks marked */
	_Atomic unsigned long moved;    /* blocks the library moved (our migrate_page repointed them; kcompactd too) */
	unsigned long bad_frees;        /* frees of a block the library refused: the map lost track */
	struct compact_counts cc0;      /* the counters when the replay began */
	struct runner *runner;          /* policy mode's CPU threads, until replay_release */
};

/* Seeds r->sys from r->before and the trace's first touches; 0 or -1 (message printed). */
int replay_seed(struct replay *r, const struct trace *t);
/* Frees the memory the seeding allocated (replay_release). */
void replay_seed_release(struct replay *r);
/* Replays every event; 0 or -errno. */
int replay_run(struct replay *r, const struct trace *t);
/* Frees every block the replay holds and checks the system's invariants; 0 or -1. */
int replay_release(struct replay *r);
/* The model's block map (replay_run.c). */
struct live *map_find(struct block_map *m, uint64_t key);
int map_set(struct block_map *m, uint64_t key, bz_page *page, unsigned order, int state);
void map_free(struct block_map *m);

/* States of a live block (struct live). */
enum live_state {
	LIVE_ALLOCATED,         /* the model's block for the kernel's allocation */
	LIVE_FAILED,            /* the allocation failed here */
	LIVE_BEFORE,            /* allocated before the window (seeded), still so */
	LIVE_PCP,               /* exact: on a kernel per-CPU list (the model holds it) */
	LIVE_TAKEN,             /* exact: taken off the buddy lists, its mm_page_alloc to come */
	LIVE_CONFLICT,          /* exact: the kernel's block, not free in the model when taken */
	LIVE_FILLER,            /* seeding: allocated memory nothing in the trace names */
};

struct live {
	uint64_t key;
	bz_page *page;          /* NULL: empty slot; (bz_page *)1: deleted */
	uint8_t order, state;
	uint16_t cpu;           /* LIVE_PCP: whose list */
	bool movable;           /* marked movable (replay_movable.c) */
};
#define LIVE_EMPTY NULL
#define LIVE_DELETED ((bz_page *)1)

/* A zone's index into per-zone arrays: nid * BZ_MAX_NR_ZONES + zid. */
static inline int zone_slot(int nid, int zid)
{
	return nid * BZ_MAX_NR_ZONES + zid;
}

/* Sample k's numbers for the model's zone i (r->zone_slots[i]). */
static inline const struct zone_sample *sample_zone(const struct replay *r, size_t k, int i)
{
	return &r->zs[k * (size_t)r->nr_zones + (size_t)i];
}

/* The model's zone of a page: its slot, or -1. */
int model_zone_slot(const bz_page *page);
/* The migratetype (0..3) an allocation's gfp gives (gfp_migratetype()). */
int gfp_mt(bz_gfp_t gfp);

/* ---- movable blocks (replay_movable.c) ---------------------------------------------------- */

/*
 * Makes r the owner of the blocks the replay marks movable: one replay
 * per process at a time (the library's callbacks get no context).  0, or
 * -EBUSY while another replay owns them.
 */
int movable_begin(struct replay *r);
void movable_end(struct replay *r);
/* The map's lock, when r->movable (else nothing). */
void map_lock(struct replay *r);
void map_unlock(struct replay *r);
/* Under map_lock: marks l's block movable when its gfp asks for a movable block the library can move. */
void movable_mark(struct replay *r, struct live *l, bz_gfp_t gfp);
/* Under map_lock: frees l's block (its mark first); false when the library refused the free. */
bool movable_free(struct replay *r, struct live *l);
/* The model's compaction counters, from its /proc/vmstat text; 0 or -errno. */
int compact_counts_read(bz_system *sys, struct compact_counts *cc);

/* ---- reports and plot -------------------------------------------------------------------- */

struct report_opts {
	const char *trace_path, *csv, *png, *after_root;
	const char *title;
	bool quiet;
	const int *orders;      /* the table's fragmentation columns */
	int nr_orders;
};

void report_summary(FILE *out, const struct replay *r, const struct trace *t, const char *path);
void report_side_by_side(FILE *out, const struct replay *r, const struct trace *t);
/* With an after-snapshot: the model's end state against the kernel's, zone by zone. */
int report_compare_after(FILE *out, struct replay *r, const struct snapshot *after);
void report_table(FILE *out, const struct replay *r, const int *orders, int nr_orders);
/* Does the model's zone i change over the samples? */
bool zone_moves(const struct replay *r, int i);
void report_csv(FILE *out, const struct replay *r);
/* The snapshots, where given, draw the kernel's free and per-CPU pages as points. */
int report_plot(const struct replay *r, const struct snapshot *after, const char *png, const char *title);

extern const char *const mt_names[REPLAY_NR_MT];

#endif /* BZ_TOOLS_REPLAY_H */
