/* SPDX-License-Identifier: MIT */
/*
 * model.h - the model layer (DESIGN.md, "Layers"): a system's nodes and
 * zones laid out in the page-frame space (mm_init.c), each node's
 * zonelists and the calling thread's node (zonelist.c), and the registry
 * of live systems with the shortcut generation (registry.c).
 */
#ifndef BZ_MODEL_H
#define BZ_MODEL_H

#include "buddy.h"

/* ---- registry.c: the live systems; the shortcut generation ------------------------ */

/* Adds sys to the registry (sys->slot): 0, or -ENOMEM (logged) when it is full. */
int bz__registry_add(struct bz_system *sys);
/* Takes sys out; its pages are no longer ours (also invalidates shortcuts). */
void bz__registry_del(struct bz_system *sys);
/* The live system whose mem_map holds page / whose memory holds addr, else NULL. */
struct bz_system *bz__system_of_page(const bz_page *page);
struct bz_system *bz__system_of_addr(const void *addr);
/* Is sys, with this id, still registered?  Hold the registry lock (or pcp.h's tcache lock) for a lasting answer. */
bool bz__system_alive(const struct bz_system *sys, uint64_t id);
/* The registry lock (fork, policy slots), and a walk of live systems under it. */
void bz__registry_lock(void);
void bz__registry_unlock(void);
void bz__for_each_system(void (*fn)(struct bz_system *sys, void *arg), void *arg);

/*
 * The shortcut generation.  A thread's record of its current system (the
 * fast free path's "this system is alive and these are its pfns") and its
 * allocation memo (task.h) skip what the general path looks at.  Each was
 * made at a generation and is used only while bz__tls_gen still has it.
 * The one rule: whatever a shortcut skips that can change for every thread
 * (a system's existence, its zonelists, fault injection) changes together
 * with bz__invalidate_shortcuts().  Starts at 1: a zeroed record matches none.
 */
extern _Atomic uint64_t bz__tls_gen __attribute__((visibility("hidden")));

static inline void bz__invalidate_shortcuts(void)
{
	atomic_fetch_add_explicit(&bz__tls_gen, 1, memory_order_release);
}

/* ---- mm_init.c: laying out nodes and zones ------------------------------------------- */

/* Topology, layout, reservation, zones, zonelists, watermarks: 0 or -errno (logged). */
int bz__build_system(struct bz_system *sys, const struct bz_config *cfg);
/* Undoes bz__build_system's reservations (also after a partial build). */
void bz__free_system_memory(struct bz_system *sys);
/* A zone as the zones spec gives it: /proc/zoneinfo's managed, present, spanned, start_pfn. */
#define BZ__PFN_AUTO (~0ul)             /* start_pfn: placed by mm_init.c */
struct bz__zone_spec {
	unsigned long managed, present, spanned, start_pfn;
};
struct bz__layout {
	struct bz__zone_spec zone[BZ_MAX_NUMNODES][BZ_MAX_NR_ZONES];
	int cpus[BZ_MAX_NUMNODES];      /* "NID:cpus=N"; -1: not given */
};
/* Parses a zones SPEC (bz_config.zones); returns the number of nodes or -EINVAL (logged). */
int bz__zones_parse(const struct bz_system *sys, const char *spec, struct bz__layout *layout);
/* The zone of a pfn, NULL outside every populated zone (a hole, or past the end). */
struct bz_zone *bz__pfn_zone(const struct bz_system *sys, unsigned long pfn);

/* ---- zonelist.c ------------------------------------------------------------------------ */

/* build_all_zonelists(): fallback and no-fallback lists of every node; invalidates shortcuts. */
void bz__build_all_zonelists(struct bz_system *sys);
/* numa_node_id(): the calling thread's node in sys (its CPU's node). */
int bz__numa_node_id(const struct bz_system *sys);

#endif /* BZ_MODEL_H */
