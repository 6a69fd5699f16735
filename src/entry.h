/* SPDX-License-Identifier: MIT */
/*
 * entry.h - the entry layer (DESIGN.md, "Layers"): the calls applications
 * make to allocate and free (page_alloc.c, page_free.c), under a memory
 * policy (mempolicy.c), to add memory (memory_hotplug.c) and to tune a
 * running system (sysctl.c).  Each resolves its system (bz__resolve) and
 * works downward; the fast paths of bz_alloc_pages and bz_free_pages read
 * the thread's record (task.h) and the cache inlines (pcp.h) only.
 */
#ifndef BZ_ENTRY_H
#define BZ_ENTRY_H

#include "system.h"

/* ---- mempolicy.c: what the thread's policy asks of one allocation --------------------- */

/*
 * alloc_pages_mpol()'s decision, for page_alloc.c to carry out: the node
 * whose zonelist to walk and the nodes allowed (policy_nodemask), and for
 * MPOL_PREFERRED_MANY a first pass over its nodes only, without waiting
 * and without a failure report.
 */
struct bz_mpol_plan {
	int nid;                        /* preferred node */
	uint64_t nodemask;              /* nodes allowed (BZ_NODEMASK_ALL: every node) */
	uint64_t first_pass;            /* PREFERRED_MANY: the first pass's nodes; 0: one pass */
	bool interleaved;               /* count NUMA_INTERLEAVE_HIT when the page comes from nid */
};

/* Has the calling thread a policy other than the default for sys? */
bool bz__mpol_active(const struct bz_system *sys);
/* The calling thread's policy's plan for a checked request (advances interleaving). */
void bz__mpol_plan(struct bz_system *sys, bz_gfp_t gfp, struct bz_mpol_plan *plan);

#endif /* BZ_ENTRY_H */
