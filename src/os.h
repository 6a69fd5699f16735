/* SPDX-License-Identifier: MIT */
/*
 * os.h - the OS layer (DESIGN.md, "Layers"): what the machine is
 * (topology.c: nodes, CPUs, distances, from hwloc or an emulation) and the
 * memory it lends (arena.c: reserve, bind, back, protect, discard).
 * Nothing above this layer calls hwloc, libnuma, mmap, mbind, madvise or
 * mprotect; tests make the OS primitives fail here (bz__os_fail_next).
 */
#ifndef BZ_OS_H
#define BZ_OS_H

#include <stddef.h>

#include "mmzone.h"

/* ---- topology.c: nodes, CPUs, distances of the machine or an emulation ------- */

/*
 * Fills *topo from spec: NULL or "" for the machine (hwloc, else libnuma and
 * sysfs, else one node), "xml:PATH" or "synthetic:STRING" for an emulation.
 * Returns 0, or -EINVAL (logged) for a spec that cannot be loaded.
 */
int bz__topology_discover(const struct bz_system *sys, const char *spec, struct bz_topology *topo);

/* ---- arena.c: the OS contract (mmap, madvise, mbind, mprotect) -------------- */

/*
 * Reserves bytes of address space aligned to align (a power of two),
 * readable and writable, committed lazily (MAP_NORESERVE): untouched memory
 * costs no RSS.  NULL on failure.
 */
void *bz__os_reserve(size_t bytes, size_t align);
void bz__os_release(void *addr, size_t bytes);
/*
 * Prepares node nid's part of the reservation, [arena->start, +bytes): binds
 * it to sys->topo.os_node[nid] with mbind(MPOL_BIND) before first touch and
 * backs it per cfg (hugetlb / THP / base pages), recording the choice and
 * its reason in *arena.  0, or -ENOMEM when BZ_HUGETLB_REQUIRED cannot be
 * met (logged).  Never leaves memory that can SIGBUS on first touch.
 */
int bz__arena_setup(struct bz_system *sys, const struct bz_config *cfg, int nid, struct bz_arena *arena);
/*
 * mprotect(): [addr, +bytes) read-write (accessible) or PROT_NONE; page
 * aligned, inside a reservation without hugetlb parts.  0, or -errno
 * (-ENOMEM: the kernel's map count limit, vm.max_map_count).
 */
int bz__os_protect(void *addr, size_t bytes, bool accessible);
/*
 * madvise(MADV_DONTNEED): [addr, +bytes) gives its memory back to the OS and
 * reads as zero when next touched; page aligned, not hugetlb.  0 or -errno.
 */
int bz__os_discard(void *addr, size_t bytes);

/* The OS primitives arena.c calls; bits for bz__os_fail_next(). */
enum bz_os_op {
	BZ_OS_RESERVE = 1u << 0,  /* the mmap of bz__os_reserve() */
	BZ_OS_MBIND   = 1u << 1,  /* mbind(MPOL_BIND) of an arena */
	BZ_OS_HUGETLB = 1u << 2,  /* the MAP_HUGETLB mmap over an arena */
	BZ_OS_MADVISE = 1u << 3,  /* madvise(MADV_HUGEPAGE) */
	BZ_OS_MPROTECT = 1u << 4, /* mprotect of bz__os_protect() (guard mode) */
	BZ_OS_DISCARD = 1u << 5,  /* madvise(MADV_DONTNEED) of bz__os_discard() (page reporting) */
};

/*
 * Makes the next call of each primitive in ops (an OR of enum bz_os_op)
 * fail as the OS would (MAP_FAILED or -1 with errno ENOMEM, EINVAL for
 * madvise).  Process-wide, consumed by the call that fails; 0 clears.
 * For tests only.
 */
void bz__os_fail_next(unsigned ops);

/*
 * Makes every call of the primitives in ops fail in the calling thread
 * only, after skip calls of them succeeded: a system's build with the os=
 * part of its fault-injection spec.  bz__os_fail_arm(0, 0) disarms.
 */
void bz__os_fail_arm(unsigned ops, unsigned skip);

/* "base", "THP" or "hugetlb", for reports. */
const char *bz__backing_name(int backing);

/*
 * Free, unreserved pages of page_size in the hugetlb pool of real node
 * os_node (-1: the whole machine), from sysfs; -1 when the kernel has no
 * such pool.
 */
long bz__hugetlb_free_pages(int os_node, size_t page_size);

#endif /* BZ_OS_H */
