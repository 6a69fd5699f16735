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

/* ---- page_free.c: the free path, for the other ways a reference goes ------------------- */

/* The live system whose mem_map holds page (in a zone), and its pfn; NULL, quietly, if none. */
struct bz_system *bz__page_owner(const bz_page *page, unsigned long *pfn);
/* bad_page(): logs "Bad page state: pfn:... refcount:... state:...: reason", counts it; -EINVAL. */
int bz__bad_page(struct bz_system *sys, unsigned long pfn, const char *reason);
/*
 * The live system whose mem_map holds page, and its pfn (of a page in a
 * zone); NULL after logging why not, naming the call what.
 */
struct bz_system *bz__page_owner_checked(const bz_page *page, const char *what, unsigned long *pfn);
/*
 * put_page() and page_ref_sub_and_test() on the head at pfn: nr references
 * go, and with the last of them the block (a compound page whole, any
 * other page alone).  1 freed, 0 references remain, -EINVAL (reported as
 * what: a free page, more than it holds, a non-compound order > 0 block).
 */
int bz__put_page_refs(struct bz_system *sys, unsigned long pfn, int nr, const char *what);

/* ---- contig_alloc.c: contiguous ranges over movable memory --------------------------------- */

/*
 * __alloc_contig_migrate_range(): the movable blocks of [start, end) (its
 * pageblocks isolated) migrate out, targets allocated with gfp on z's node;
 * a block that fails 5 times in a row gives -EBUSY (put back), no target
 * -ENOMEM; 0 when every block found moved.
 */
int bz__alloc_contig_migrate_range(struct bz_zone *z, unsigned long start, unsigned long end, bz_gfp_t gfp,
				   enum migrate_reason reason);
/* alloc_contig_range() inside z (checked): 0, -EBUSY, -ENOMEM; isolation undone to mt either way. */
int bz__alloc_contig_range(struct bz_zone *z, unsigned long start, unsigned long end, int mt, bz_gfp_t gfp);

#endif /* BZ_ENTRY_H */
