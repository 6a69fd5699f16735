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
 * Node-local metadata (mm_init.c's mem_map, pageblock flags and nodes,
 * tcache.c's caches), as the kernel allocates each node's memmap and
 * pgdat on that node.  bz__os_bind: mbind(MPOL_BIND) of the pages under
 * [addr, +bytes) (rounded out to pages) of a reservation to real node
 * os_node, before first touch; 0, -EOPNOTSUPP (no NUMA, os_node < 0), or
 * -errno.  bz__os_alloc_node: bytes of fresh zeroed memory (a reservation
 * of its own, freed with bz__os_release) bound to os_node when it can be;
 * NULL when mmap fails.  bz__os_node: the real node backing model node nid,
 * -1 when unknown or without NUMA.
 */
int bz__os_bind(void *addr, size_t bytes, int os_node);
void *bz__os_alloc_node(size_t bytes, int os_node);
int bz__os_node(const struct bz_system *sys, int nid);
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
/*
 * May [addr, +bytes) of arena go back to the OS?  Outside its hugetlb part
 * any page-aligned range; inside it whole huge pages only, and only while
 * the kernel takes them (Linux 5.18+).
 */
bool bz__arena_discardable(const struct bz_arena *arena, const void *addr, size_t bytes);
/*
 * Gives a free block [addr, +bytes) of node nid's arena back to the OS:
 * 0 (gone: reads as zero when next touched), BZ__DISCARD_KEPT (not given
 * back, still usable; the kernel refused hugetlb memory, logged once),
 * BZ__DISCARD_LOST (hugetlb pages the pool cannot refill: never touch the
 * block again; logged), or -errno (nothing done).
 */
int bz__arena_discard(struct bz_system *sys, int nid, void *addr, size_t bytes);
#define BZ__DISCARD_KEPT 1
#define BZ__DISCARD_LOST 2

/*
 * membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED): 0, or -errno
 * (kernels before 4.14, seccomp filters).  Once registered,
 * bz__os_membarrier() places a full barrier in every running thread of the
 * process (MEMBARRIER_CMD_PRIVATE_EXPEDITED).
 */
int bz__os_membarrier_register(void);
void bz__os_membarrier(void);

/* The OS primitives arena.c calls; bits for bz__os_fail_next(). */
enum bz_os_op {
	BZ_OS_RESERVE = 1u << 0,  /* the mmap of bz__os_reserve() */
	BZ_OS_MBIND   = 1u << 1,  /* mbind(MPOL_BIND) of an arena */
	BZ_OS_HUGETLB = 1u << 2,  /* the MAP_HUGETLB mmap over an arena */
	BZ_OS_MADVISE = 1u << 3,  /* madvise(MADV_HUGEPAGE) */
	BZ_OS_MPROTECT = 1u << 4, /* mprotect of bz__os_protect() (guard mode) */
	BZ_OS_DISCARD = 1u << 5,  /* madvise(MADV_DONTNEED) of bz__os_discard() (page reporting) */
	BZ_OS_SHM_RESERVE = 1u << 6,  /* posix_fallocate of the statistics segment: ENOSPC */
	BZ_OS_HUGETLB_RESV = 1u << 7, /* after a hugetlb discard: the pool shows no restored reservation */
	BZ_OS_POPULATE = 1u << 8,     /* madvise(MADV_POPULATE_WRITE) refilling such a discard */
	BZ_OS_PAGEMAP_SCAN = 1u << 9, /* the PAGEMAP_SCAN ioctl of bz__arena_resident(): ENOTTY */
	BZ_OS_MEMBARRIER = 1u << 10,  /* membarrier(REGISTER_PRIVATE_EXPEDITED): EPERM (seccomp, old kernels) */
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

/*
 * Whether the next (or the thread's armed) call of op is to fail: for the
 * primitives other files call themselves (stats_shm.c's posix_fallocate).
 */
bool bz__os_should_fail(unsigned op);

/* "base", "THP" or "hugetlb", for reports. */
const char *bz__backing_name(int backing);

/*
 * Free, unreserved pages of page_size in the hugetlb pool of real node
 * os_node (-1: the whole machine), from sysfs; -1 when the kernel has no
 * such pool.
 */
long bz__hugetlb_free_pages(int os_node, size_t page_size);

/* ---- arena_resident.c: how much of an arena is in memory ---------------------- */

/*
 * Bytes of arena resident in memory by backing, out[enum bz_backing]:
 * hugetlb from its hugetlb part, THP and base from the rest (the method is
 * described there).  0, or -errno (out unchanged).
 */
int bz__arena_resident(const struct bz_arena *arena, uint64_t out[3]);

#endif /* BZ_OS_H */
