/* SPDX-License-Identifier: MIT */
/*
 * debug.h - the debugging layer (DESIGN.md, "Layers"): the invariant
 * checker (check.c), a system's debug mode with its hooks on the
 * allocation and free paths (debug_pagealloc.c), and fault injection
 * (fail_page_alloc.c).
 */
#ifndef BZ_DEBUG_H
#define BZ_DEBUG_H

#include "reclaim.h"

/* ---- check.c ------------------------------------------------------------------------------ */

/*
 * bz_check(): every invariant of DESIGN.md, zone by zone under the zone
 * lock; 0 or -EUCLEAN (the first broken one logged).  Pages in thread
 * caches are counted as the caches say, exactly when stopped is set (the
 * caller runs in bz__tcache_stopped_call), else as a snapshot.
 */
int bz__check(struct bz_system *sys, bool stopped);

/* ---- debug_pagealloc.c: debug mode ---------------------------------------------------------- */

/*
 * Fills sys->debug from cfg->debug (else BUDDYZONE_DEBUG); guard mode turns
 * cfg's hugetlb off.  0, or -EINVAL (logged) for flags it does not know or
 * guard mode with hugetlb required.
 */
int bz__debug_init(struct bz_system *sys, struct bz_config *cfg);
/* After the build: guard mode makes every arena PROT_NONE.  0, or -ENOMEM (logged). */
int bz__debug_start(struct bz_system *sys);
/*
 * A block taken for the caller, before it is returned: unguarded, checked
 * for poison, zeroed as the options and gfp say.  False when guard mode
 * could not make it accessible: the block has gone back to the buddy lists.
 */
bool bz__debug_alloc(struct bz_system *sys, struct bz_page *page, unsigned order, bz_gfp_t gfp);
/* A block whose free passed every check, before it enters a cache or the buddy lists. */
void bz__debug_free(struct bz_system *sys, unsigned long pfn, unsigned order);
/* After a refused free (bad_page): BZ_DEBUG_ABORT aborts. */
void bz__debug_bad_page(struct bz_system *sys);

/* ---- fail_page_alloc.c: fault injection ------------------------------------------------------ */

/*
 * Fills sys->fail from cfg->fail_page_alloc (else BUDDYZONE_FAIL_PAGE_ALLOC)
 * and returns its os= part in *os_ops (enum bz_os_op bits, os.h) and
 * *os_skip.  0, or -EINVAL (logged).
 */
int bz__fail_init(struct bz_system *sys, const struct bz_config *cfg, unsigned *os_ops, unsigned *os_skip);
/* bz_fault_inject_set() for a resolved system (sysctl.c has the public name). */
int bz__fail_set(struct bz_system *sys, const char *spec);
/* should_fail_alloc_page(): must this request fail?  Counts and reports the failure. */
bool bz__should_fail_alloc_page(struct bz_system *sys, bz_gfp_t gfp, unsigned order);

static inline bool bz__fail_enabled(struct bz_system *sys)
{
	return atomic_load_explicit(&sys->fail.probability, memory_order_relaxed) != 0;
}

#endif /* BZ_DEBUG_H */
