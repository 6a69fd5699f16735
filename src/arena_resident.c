/* SPDX-License-Identifier: MIT */
/*
 * arena_resident.c - how much of an arena is in memory, by backing:
 * hugetlb pages, transparent huge pages, base pages.  The usual RSS figure
 * leaves hugetlb out (it is counted in HugePages_* instead), and says
 * nothing of THP; bz_write_json and the statistics segment show these.
 *
 * The method: the PAGEMAP_SCAN ioctl on /proc/self/pagemap (Linux 6.7+)
 * walks the arena's page tables and returns runs of present pages with
 * PAGE_IS_HUGE set for PMD-mapped THP and for hugetlb pages (pagemap_scan_
 * pmd_entry(), pagemap_scan_hugetlb_entry()): exact, and the cost is the
 * page tables of the arena only.  Runs mapping the zero page (reads of
 * memory never written) are left out, as RSS leaves them out.  Where the
 * ioctl is missing, mincore() counts resident pages exactly, hugetlb ones
 * included, and /proc/self/smaps's AnonHugePages of the arena's mappings
 * says how much of the rest is THP; a mapping that also holds memory
 * outside the arena (adjacent arenas with identical flags merge into one)
 * has its THP shared out in proportion to its resident bytes: there the
 * split between THP and base is an estimate, the totals are not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "os.h"

/* linux/fs.h of Linux 6.7 (Debian 12's headers predate it). */
struct bz_pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct bz_page_region {
	uint64_t start, end, categories;
};
#define BZ_PAGEMAP_SCAN _IOWR('f', 16, struct bz_pm_scan_arg)
#define BZ_PAGE_IS_PRESENT (1ull << 3)
#define BZ_PAGE_IS_PFNZERO (1ull << 5)
#define BZ_PAGE_IS_HUGE    (1ull << 6)

#define SCAN_VEC 64
#define MINCORE_CHUNK (1ul << 30)   /* bytes per mincore() call: a 256 KiB vector */

struct span {
	uintptr_t s, e;
};

static uintptr_t overlap(struct span a, uintptr_t s, uintptr_t e)
{
	uintptr_t lo = a.s > s ? a.s : s, hi = a.e < e ? a.e : e;

	return hi > lo ? hi - lo : 0;
}

static void add_run(const struct bz_arena *a, uintptr_t s, uintptr_t e, uint64_t huge, uint64_t out[3])
{
	struct span hp = { (uintptr_t)a->huge_start, (uintptr_t)a->huge_start + a->huge_bytes };
	uintptr_t in_huge = overlap(hp, s, e);

	out[BZ_BACKING_HUGETLB] += in_huge;
	out[huge ? BZ_BACKING_THP : BZ_BACKING_BASE] += (e - s) - in_huge;
}

/* PAGEMAP_SCAN over the arena; -ENOTTY (or -EINVAL) where the kernel has none. */
static int resident_pagemap_scan(const struct bz_arena *a, uint64_t out[3])
{
	struct bz_page_region vec[SCAN_VEC];
	struct bz_pm_scan_arg arg;
	uintptr_t end = (uintptr_t)a->start + a->bytes;
	int fd, err = 0;

	if (bz__os_should_fail(BZ_OS_PAGEMAP_SCAN))
		return -ENOTTY;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.start = (uintptr_t)a->start;
	arg.end = end;
	arg.vec = (uintptr_t)vec;
	arg.vec_len = SCAN_VEC;
	arg.category_mask = BZ_PAGE_IS_PRESENT;
	arg.return_mask = BZ_PAGE_IS_PRESENT | BZ_PAGE_IS_HUGE | BZ_PAGE_IS_PFNZERO;
	while (arg.start < end) {
		long n;

		/* Defined before the kernel writes it: tools that do not know this ioctl (valgrind) see no garbage. */
		memset(vec, 0, sizeof(vec));
		n = ioctl(fd, BZ_PAGEMAP_SCAN, &arg);

		if (n < 0) {
			err = -errno;
			break;
		}
		for (long i = 0; i < n; i++)
			if (!(vec[i].categories & BZ_PAGE_IS_PFNZERO))
				add_run(a, vec[i].start, vec[i].end, vec[i].categories & BZ_PAGE_IS_HUGE, out);
		if (arg.walk_end <= arg.start)
			break;
		arg.start = arg.walk_end;      /* the walk stops when vec is full: go on from there */
	}
	close(fd);
	return err;
}

/* Resident bytes of [s, e) by mincore(), in chunks. */
static int mincore_bytes(uintptr_t s, uintptr_t e, uint64_t *bytes)
{
	size_t vlen = MINCORE_CHUNK / BZ_PAGE_SIZE;
	unsigned char *vec = malloc(vlen);

	if (!vec)
		return -ENOMEM;
	*bytes = 0;
	for (uintptr_t p = s; p < e; p += MINCORE_CHUNK) {
		size_t len = e - p < MINCORE_CHUNK ? e - p : MINCORE_CHUNK;

		if (mincore((void *)p, len, vec)) {
			free(vec);
			return -errno;
		}
		for (size_t i = 0; i < len / BZ_PAGE_SIZE; i++)
			*bytes += (vec[i] & 1) * BZ_PAGE_SIZE;
	}
	free(vec);
	return 0;
}

/* One mapping of smaps: its range and the figures we need, in bytes. */
struct smaps_vma {
	struct span r;
	uint64_t rss, anon_huge;
};

/* One mapping's THP inside the arena: all of it, or a share by resident bytes where it sticks out. */
static void vma_thp(const struct smaps_vma *v, struct span arena, uint64_t *thp)
{
	uintptr_t in = overlap(arena, v->r.s, v->r.e);
	uint64_t res_in;

	if (!in || !v->anon_huge)
		return;
	if (in == v->r.e - v->r.s)
		*thp += v->anon_huge;
	else if (v->rss && !mincore_bytes(BZ_MAX(v->r.s, arena.s), BZ_MIN(v->r.e, arena.e), &res_in))
		*thp += (uint64_t)((unsigned __int128)v->anon_huge * res_in / v->rss);
}

/* THP bytes of the arena, from /proc/self/smaps (a mapping's header line, then its fields). */
static int smaps_thp(const struct bz_arena *a, uint64_t *thp)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	struct span arena = { (uintptr_t)a->start, (uintptr_t)a->start + a->bytes };
	struct smaps_vma v = { { 0, 0 }, 0, 0 };
	char line[256];
	unsigned long lo, hi, kb;

	if (!f)
		return -errno;
	*thp = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			vma_thp(&v, arena, thp);
			v = (struct smaps_vma){ { lo, hi }, 0, 0 };
		} else if (sscanf(line, "Rss: %lu kB", &kb) == 1) {
			v.rss = (uint64_t)kb << 10;
		} else if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			v.anon_huge = (uint64_t)kb << 10;
		}
	}
	vma_thp(&v, arena, thp);
	fclose(f);
	return 0;
}

/* The fallback: mincore for what is resident, smaps for how much of it is THP. */
static int resident_mincore_smaps(const struct bz_arena *a, uint64_t out[3])
{
	uintptr_t s = (uintptr_t)a->start, e = s + a->bytes;
	uintptr_t hs = (uintptr_t)a->huge_start, he = hs + a->huge_bytes;
	uint64_t all = 0, huge = 0, thp = 0;
	int err = mincore_bytes(s, e, &all);

	if (!err && a->huge_bytes)
		err = mincore_bytes(hs, he, &huge);
	if (!err)
		err = smaps_thp(a, &thp);
	if (err)
		return err;
	out[BZ_BACKING_HUGETLB] = huge;
	out[BZ_BACKING_THP] = BZ_MIN(thp, all - huge);
	out[BZ_BACKING_BASE] = all - huge - out[BZ_BACKING_THP];
	return 0;
}

int bz__arena_resident(const struct bz_arena *a, uint64_t out[3])
{
	uint64_t r[3] = { 0, 0, 0 };
	int err;

	if (!a->bytes) {
		memset(out, 0, 3 * sizeof(out[0]));
		return 0;
	}
	err = resident_pagemap_scan(a, r);
	if (err == -ENOTTY || err == -EINVAL) {
		memset(r, 0, sizeof(r));
		err = resident_mincore_smaps(a, r);
	}
	if (!err)
		memcpy(out, r, sizeof(r));
	return err;
}
