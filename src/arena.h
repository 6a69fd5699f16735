/* SPDX-License-Identifier: MIT */
/*
 * arena.h - arena.c's extras beyond the contract in internal.h: names of
 * backings for reports, the hugetlb pool probe, and the fault-injection
 * seam tests use to make an OS primitive fail.
 */
#ifndef BZ_ARENA_H
#define BZ_ARENA_H

#include <stdbool.h>
#include <stddef.h>

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

#endif /* BZ_ARENA_H */
