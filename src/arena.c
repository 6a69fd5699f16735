/* SPDX-License-Identifier: MIT */
/*
 * arena.c - the OS under the model: address space, NUMA binding and page
 * backing.  An arena is one node's "physical memory": a stretch of one big
 * reservation, bound to a real node with mbind() before anything touches
 * it, backed by hugetlb pages from that node's pool when they can be had,
 * else by transparent huge pages, else by base pages.  Nothing else in the
 * library calls mmap, mbind, madvise or mprotect, so tests can make each of
 * them fail here (bz__os_fail_next, bz__os_fail_arm, arena.h).
 *
 * The OS contract (declared in internal.h; extras in arena.h):
 *   bz__os_reserve(bytes, align)
 *	align a power of two (page size if smaller).  Maps bytes (rounded up
 *	to pages) read-write, private, anonymous and MAP_NORESERVE at an
 *	align-aligned address: no commit charge, no RSS until touched.
 *	Returns the address, or NULL (bytes 0, bad align, mmap refused).
 *   bz__os_release(addr, bytes)
 *	Unmaps what bz__os_reserve returned (NULL: no-op), hugetlb parts too.
 *   bz__os_discard(addr, bytes)
 *	Page-aligned range of a reservation, not hugetlb: madvise(MADV_DONTNEED),
 *	so the pages leave the process's RSS and read as zero when touched
 *	again (private anonymous memory).  0, or -errno.
 *   bz__os_protect(addr, bytes, accessible)
 *	Page-aligned range of a reservation without hugetlb parts: read-write
 *	or PROT_NONE (guard mode).  0, or -errno; each call may split a
 *	mapping, and past vm.max_map_count the kernel refuses (-ENOMEM).
 *   bz__arena_setup(sys, cfg, nid, arena)
 *	arena->start/bytes lie inside a reservation, untouched; start is
 *	page-aligned.  Backs and binds them (below), fills os_node, backing,
 *	page_size, huge_start/huge_bytes, reason.  0; -EINVAL for a bad
 *	hugetlb setting in cfg; -ENOMEM when BZ_HUGETLB_REQUIRED cannot be met
 *	(logged).  Never leaves memory that can SIGBUS on first touch.
 *   bz__arena_discardable(arena, addr, bytes), bz__arena_discard(sys, nid, addr, bytes)
 *	Whether a free block may go back to the OS, and giving it back:
 *	bz__os_discard outside the hugetlb part, whole huge pages inside it
 *	with the pool's reservation checked (discard_huge()).
 *
 * Hugetlb and alignment: hugetlb pages back the arena's interior aligned to
 * the huge page size; an unaligned head or tail stays on THP/base pages
 * (reported).  With mm_init.c's layout (node starts aligned to 4 MiB) 2 MiB
 * pages cover whole arenas whose size is a multiple of 2 MiB; 1 GiB pages
 * usually leave edges.  "Required" means the whole interior is hugetlb;
 * "preferred" with a pool short of the interior takes the pages it has
 * for the top of the node's memory and leaves the rest to THP/base pages
 * (reported and logged).
 *
 * No SIGBUS: the hugetlb mapping is made WITHOUT MAP_NORESERVE, so the
 * kernel reserves every page at mmap time, and made while the calling
 * thread's policy is MPOL_BIND to the arena's node, so the kernel checks
 * the reservation against that node's free pages (hugetlb_acct_memory(),
 * allowed_mems_nr()).  A short pool fails the mmap with ENOMEM and we fall
 * back.  The kernel counts reservations per pool, not per node, so a
 * process whose reservation is later satisfied from this node's pages can
 * still leave a bound arena short on a multi-node machine; checking the
 * node's unreserved free count first makes that rare.  The mapping is
 * private: a child after fork() must not touch hugetlb arenas (the kernel
 * gives it no reserve, as for any MAP_PRIVATE hugetlb mapping).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <numa.h>
#include <numaif.h>

#include "os.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)
#endif

#define HPAGE_2M         (2ul << 20)
#define HPAGE_1G         (1ul << 30)
#define OS_MAX_NODES     1024       /* bits in the nodemasks we hand the kernel */
#define ULONG_BITS       (8 * sizeof(unsigned long))
#define MASK_LONGS       (OS_MAX_NODES / ULONG_BITS)

#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((uintptr_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uintptr_t)(a) - 1))

/* ---- the primitives, each with its fault-injection point ------------------ */

static atomic_uint fail_ops;
static _Thread_local unsigned armed_ops, armed_skip;

void bz__os_fail_next(unsigned ops)
{
	if (ops)
		atomic_fetch_or(&fail_ops, ops);
	else
		atomic_store(&fail_ops, 0);
}

void bz__os_fail_arm(unsigned ops, unsigned skip)
{
	armed_ops = ops;
	armed_skip = skip;
}

static bool inject(unsigned op)
{
	if (bz_unlikely(armed_ops & op)) {
		if (!armed_skip)
			return true;
		armed_skip--;
	}
	if (bz_likely(!atomic_load_explicit(&fail_ops, memory_order_relaxed)))
		return false;
	return atomic_fetch_and(&fail_ops, ~op) & op;
}

bool bz__os_should_fail(unsigned op)
{
	return inject(op);
}

int bz__os_membarrier_register(void)
{
	if (inject(BZ_OS_MEMBARRIER))
		return -EPERM;
	return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0 ? 0 : -errno;
}

void bz__os_membarrier(void)
{
	syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

static void *os_mmap(void *addr, size_t len, int flags, unsigned op)
{
	if (inject(op)) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return mmap(addr, len, PROT_READ | PROT_WRITE, flags, -1, 0);
}

static void node_mask(unsigned long mask[MASK_LONGS], int os_node)
{
	memset(mask, 0, MASK_LONGS * sizeof(mask[0]));
	mask[os_node / ULONG_BITS] |= 1ul << (os_node % ULONG_BITS);
}

static int os_mbind(void *addr, size_t len, int os_node)
{
	unsigned long mask[MASK_LONGS];

	if (inject(BZ_OS_MBIND)) {
		errno = ENOMEM;
		return -1;
	}
	node_mask(mask, os_node);
	/* maxnode is one more than the bits the kernel reads (mbind(2)). */
	return (int)mbind(addr, len, MPOL_BIND, mask, OS_MAX_NODES + 1, 0);
}

static int os_madvise_hugepage(void *addr, size_t len)
{
	if (inject(BZ_OS_MADVISE)) {
		errno = EINVAL;
		return -1;
	}
	return madvise(addr, len, MADV_HUGEPAGE);
}

void *bz__os_reserve(size_t bytes, size_t align)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uintptr_t raw, p;
	size_t span;

	if (align < BZ_PAGE_SIZE)
		align = BZ_PAGE_SIZE;
	if (!bytes || (align & (align - 1)) || bytes > SIZE_MAX - 2 * align)
		return NULL;
	bytes = ALIGN_UP(bytes, BZ_PAGE_SIZE);
	/* Over-reserve by the alignment, then give back the misaligned ends. */
	span = bytes + align - BZ_PAGE_SIZE;
	raw = (uintptr_t)os_mmap(NULL, span, flags, BZ_OS_RESERVE);
	if (raw == (uintptr_t)MAP_FAILED)
		return NULL;
	p = ALIGN_UP(raw, align);
	if (p > raw)
		munmap((void *)raw, p - raw);
	if (raw + span > p + bytes)
		munmap((void *)(p + bytes), raw + span - (p + bytes));
	return (void *)p;
}

void bz__os_release(void *addr, size_t bytes)
{
	if (addr && bytes)
		munmap(addr, ALIGN_UP(bytes, BZ_PAGE_SIZE));
}

int bz__os_protect(void *addr, size_t bytes, bool accessible)
{
	if (inject(BZ_OS_MPROTECT))
		return -ENOMEM;
	if (mprotect(addr, bytes, accessible ? PROT_READ | PROT_WRITE : PROT_NONE) == 0)
		return 0;
	return -errno;
}

int bz__os_discard(void *addr, size_t bytes)
{
	if (inject(BZ_OS_DISCARD))
		return -EINVAL;
	if (madvise(addr, bytes, MADV_DONTNEED) == 0)
		return 0;
	return -errno;
}

/* ---- node-local metadata ------------------------------------------------------ */

int bz__os_bind(void *addr, size_t bytes, int os_node)
{
	uintptr_t s = ALIGN_DOWN((uintptr_t)addr, BZ_PAGE_SIZE);
	uintptr_t e = ALIGN_UP((uintptr_t)addr + bytes, BZ_PAGE_SIZE);

	if (os_node < 0 || os_node >= OS_MAX_NODES || numa_available() < 0)
		return -EOPNOTSUPP;
	if (!bytes)
		return 0;
	return os_mbind((void *)s, e - s, os_node) ? -errno : 0;
}

void *bz__os_alloc_node(size_t bytes, int os_node)
{
	void *p = bz__os_reserve(bytes, BZ_PAGE_SIZE);

	/* Unbound (no NUMA, or mbind refused) is still memory: the default policy places it. */
	if (p)
		bz__os_bind(p, bytes, os_node);
	return p;
}

int bz__os_node(const struct bz_system *sys, int nid)
{
	int os = nid >= 0 && nid < BZ_MAX_NUMNODES ? sys->topo.os_node[nid] : -1;

	if (os < 0 || os >= OS_MAX_NODES || numa_available() < 0)
		return -1;
	return os;
}

/* ---- configuration: cfg, else BUDDYZONE_HUGETLB*, else defaults ------------ */

struct backing_cfg {
	int policy;             /* enum bz_hugetlb_policy */
	size_t hpage;           /* HPAGE_2M or HPAGE_1G */
};

/* The config's backing, settled by options.c (bz__options_resolve); checked again for direct callers. */
static int backing_config(const struct bz_system *sys, const struct bz_config *cfg,
			  struct backing_cfg *bc)
{
	if (cfg->hugetlb < BZ_HUGETLB_NEVER || cfg->hugetlb > BZ_HUGETLB_REQUIRED) {
		bz__log(sys, BZ_LOG_ERR, "config: hugetlb %d is not a BZ_HUGETLB_* policy", cfg->hugetlb);
		return -EINVAL;
	}
	if (cfg->hugetlb_page_size != HPAGE_2M && cfg->hugetlb_page_size != HPAGE_1G) {
		bz__log(sys, BZ_LOG_ERR, "config: hugetlb_page_size %lu: only 2 MiB and 1 GiB pages",
			cfg->hugetlb_page_size);
		return -EINVAL;
	}
	bc->policy = cfg->hugetlb;
	bc->hpage = cfg->hugetlb_page_size;
	return 0;
}

/* ---- hugetlb ---------------------------------------------------------------------- */

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * Free pages nobody has reserved: the node's free count, capped by the
 * pool's free minus reserved (reservations are kept per pool, not per node).
 */
long bz__hugetlb_free_pages(int os_node, size_t page_size)
{
	char path[128];
	long pool_free, resv, node_free;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/free_hugepages",
		 page_size >> 10);
	pool_free = read_long(path);
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/resv_hugepages",
		 page_size >> 10);
	resv = read_long(path);
	if (pool_free < 0)
		return -1;
	if (resv > 0)
		pool_free = pool_free > resv ? pool_free - resv : 0;
	if (os_node < 0)
		return pool_free;
	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/hugepages/hugepages-%zukB/free_hugepages",
		 os_node, page_size >> 10);
	node_free = read_long(path);
	return node_free < 0 ? -1 : BZ_MIN(node_free, pool_free);
}

/* The real node an arena binds to, or -1: unknown, or no NUMA in the kernel. */
static int arena_os_node(const struct bz_system *sys, int nid)
{
	return bz__os_node(sys, nid);
}

/*
 * The MAP_HUGETLB mmap over [addr, +len), with the thread's policy bound to
 * os_node meanwhile so the kernel's reservation check counts that node's
 * free pages only.  On failure the range is mapped back to plain memory
 * (an old kernel may already have unmapped it).
 */
static void *hugetlb_map(void *addr, size_t len, size_t hpage, int os_node)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_HUGETLB |
			  (hpage == HPAGE_1G ? MAP_HUGE_1GB : MAP_HUGE_2MB);
	unsigned long old_mask[MASK_LONGS], mask[MASK_LONGS];
	int old_mode, e, swapped = 0;
	void *p;

	if (os_node >= 0 && get_mempolicy(&old_mode, old_mask, OS_MAX_NODES + 1, NULL, 0) == 0) {
		node_mask(mask, os_node);
		swapped = set_mempolicy(MPOL_BIND, mask, OS_MAX_NODES + 1) == 0;
	}
	p = os_mmap(addr, len, flags, BZ_OS_HUGETLB);
	e = errno;
	if (swapped)
		set_mempolicy(old_mode, old_mask, OS_MAX_NODES + 1);
	if (p == MAP_FAILED)
		mmap(addr, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	errno = e;
	return p;
}

/* The why-texts are for people: cut them to fit, never fail. */
static void BZ_PRINTF(3, 4) say(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static const char *size_name(size_t sz)
{
	return sz == HPAGE_1G ? "1GB" : "2MB";
}

/*
 * Where a hugetlb part of len bytes goes in the interior [hs, he): at the
 * top of the node's memory below its hotplug room, the highest zone, which
 * most allocations try first (sys->nodes[nid] may be absent in tests).
 */
static uintptr_t huge_part_start(const struct bz_system *sys, int nid, const struct bz_arena *arena,
				 uintptr_t hs, uintptr_t he, size_t len, size_t hpage)
{
	const struct bz_node *node = nid < sys->nr_nodes ? sys->nodes[nid] : NULL;
	uintptr_t top = he;

	if (node && node->node_spanned_pages)
		top = BZ_MIN(he, ALIGN_DOWN((uintptr_t)arena->start + (node->node_spanned_pages << BZ_PAGE_SHIFT),
					    hpage));
	return top < hs + len ? hs : top - len;
}

/*
 * Tries hugetlb pages for the arena's hpage-aligned interior [hs, he): all
 * of it, or with a short pool (unless required) as many pages as it has,
 * the rest left to back_rest().  True when mapped; the hugetlb part goes
 * to arena->huge_start/huge_bytes; why says what happened either way.
 */
static bool back_hugetlb(const struct bz_system *sys, int nid, struct bz_arena *arena, int os,
			 const struct backing_cfg *bc, char *why, size_t n)
{
	uintptr_t s = (uintptr_t)arena->start, e = s + arena->bytes, hs, he, lo;
	const char *sz = size_name(bc->hpage);
	long free_pages, need, take;
	char pool[32];

	hs = ALIGN_UP(s, bc->hpage);
	he = ALIGN_DOWN(e, bc->hpage);
	if (he <= hs) {
		say(why, n, "hugetlb %s: arena holds no whole huge page", sz);
		return false;
	}
	if (os >= 0)
		snprintf(pool, sizeof(pool), "node %d", os);
	else
		snprintf(pool, sizeof(pool), "the machine");
	need = (long)((he - hs) / bc->hpage);
	free_pages = bz__hugetlb_free_pages(os, bc->hpage);
	if (free_pages < 0) {
		say(why, n, "hugetlb %s: the kernel has no such pool", sz);
		return false;
	}
	if (free_pages < need && (bc->policy == BZ_HUGETLB_REQUIRED || free_pages == 0)) {
		say(why, n, "hugetlb %s: pool of %s has %ld free pages, needs %ld", sz, pool, free_pages, need);
		return false;
	}
	take = BZ_MIN(free_pages, need);
	lo = huge_part_start(sys, nid, arena, hs, he, (size_t)take * bc->hpage, bc->hpage);
	if (hugetlb_map((void *)lo, (size_t)take * bc->hpage, bc->hpage, os) == MAP_FAILED) {
		say(why, n, "hugetlb %s: mmap of %ld pages from %s failed (%s)",
			 sz, take, pool, strerror(errno));
		return false;
	}
	arena->backing = BZ_BACKING_HUGETLB;
	arena->page_size = bc->hpage;
	arena->huge_start = (char *)lo;
	arena->huge_bytes = (size_t)take * bc->hpage;
	if (take < need)
		say(why, n, "hugetlb %s: %ld of %ld pages reserved from %s (all it had free)", sz, take, need, pool);
	else
		say(why, n, "hugetlb %s: %ld pages reserved from %s", sz, need, pool);
	return true;
}

/* ---- THP and binding ------------------------------------------------------------------ */

/* The bracketed word of /sys/kernel/mm/transparent_hugepage/enabled, else "". */
static void thp_mode(char *mode, size_t n)
{
	char buf[128], *l, *r;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

	mode[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (l = strchr(buf, '[')) && (r = strchr(l, ']'))) {
		*r = '\0';
		snprintf(mode, n, "%s", l + 1);
	}
	fclose(f);
}

static size_t thp_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "re");
	unsigned long sz = 0;

	if (f) {
		if (fscanf(f, "%lu", &sz) != 1)
			sz = 0;
		fclose(f);
	}
	return sz ? sz : HPAGE_2M;
}

/* madvise(MADV_HUGEPAGE) on [s, e) when THP is enabled; true when applied. */
static bool back_thp(uintptr_t s, uintptr_t e, char *why, size_t n)
{
	char mode[32];

	thp_mode(mode, sizeof(mode));
	if (!mode[0] || !strcmp(mode, "never")) {
		say(why, n, "THP %s; base pages", mode[0] ? "disabled (never)" : "unavailable");
		return false;
	}
	if (ALIGN_DOWN(e, thp_size()) <= ALIGN_UP(s, thp_size())) {
		say(why, n, "base pages (smaller than a THP)");
		return false;
	}
	if (os_madvise_hugepage((void *)s, e - s) < 0) {
		say(why, n, "THP madvise failed (%s); base pages", strerror(errno));
		return false;
	}
	say(why, n, "THP madvise (enabled=%s)", mode);
	return true;
}

/* mbind(MPOL_BIND) the whole arena to its real node; why says what was done. */
static void bind_arena(struct bz_system *sys, int nid, int os, struct bz_arena *arena,
		       char *why, size_t n)
{
	const char *emu = sys->topo.emulated ? "emulated node " : "node ";
	int e;

	if (os < 0) {
		say(why, n, "%s%d not bound (%s)", emu, nid,
			 numa_available() < 0 ? "no NUMA support" : "no real node known");
		return;
	}
	if (os_mbind(arena->start, arena->bytes, os) < 0) {
		e = errno;
		bz__log(sys, BZ_LOG_WARNING, "node %d: mbind to real node %d failed (%s); memory not bound",
			nid, os, strerror(e));
		say(why, n, "%s%d not bound: mbind to node %d failed (%s)", emu, nid, os, strerror(e));
		return;
	}
	arena->os_node = os;
	if (sys->topo.emulated)
		say(why, n, "emulated node %d backed by real node %d (mbind MPOL_BIND)", nid, os);
	else
		say(why, n, "bound to node %d (mbind MPOL_BIND)", os);
}

/* THP or base pages for what hugetlb left: the whole arena, or the parts around the hugetlb part. */
static bool back_rest(struct bz_arena *arena, char *why, size_t n)
{
	uintptr_t s = (uintptr_t)arena->start, e = s + arena->bytes;
	uintptr_t hs = (uintptr_t)arena->huge_start, he = hs + arena->huge_bytes;
	bool thp = false;

	if (!arena->huge_bytes) {
		if (back_thp(s, e, why, n)) {
			arena->backing = BZ_BACKING_THP;
			arena->page_size = thp_size();
			return true;
		}
		return false;
	}
	if (hs > s)
		thp = back_thp(s, hs, why, n);
	if (e > he)
		thp = back_thp(he, e, why, n) || thp;
	return thp;
}

/* Appends to the reason, cutting what does not fit. */
static void reason_add(struct bz_arena *arena, const char *text)
{
	size_t len = strlen(arena->reason), room = sizeof(arena->reason) - 1 - len;
	size_t add = BZ_MIN(strlen(text), room);

	memcpy(arena->reason + len, text, add);
	arena->reason[len + add] = '\0';
}

/* The info line: which pages back the arena, all of it or how much of it. */
static void log_backing(const struct bz_system *sys, int nid, const struct bz_arena *arena, bool partial,
			bool rest_thp)
{
	if (partial)
		bz__log(sys, BZ_LOG_INFO, "node %d arena: %zu MB, %zu MB of it on hugetlb pages of %zu kB, "
			"the rest on %s pages; %s", nid, arena->bytes >> 20, arena->huge_bytes >> 20,
			arena->page_size >> 10, rest_thp ? "THP" : "base", arena->reason);
	else
		bz__log(sys, BZ_LOG_INFO, "node %d arena: %zu MB, %s pages of %zu kB; %s", nid,
			arena->bytes >> 20, bz__backing_name(arena->backing), arena->page_size >> 10,
			arena->reason);
}

int bz__arena_setup(struct bz_system *sys, const struct bz_config *cfg, int nid, struct bz_arena *arena)
{
	char bind_why[96], huge_why[112] = "hugetlb never", rest_why[64] = "";
	struct backing_cfg bc;
	bool huge = false, partial, rest_thp;
	int os, err = backing_config(sys, cfg, &bc);

	if (err)
		return err;
	os = arena_os_node(sys, nid);
	arena->os_node = -1;
	arena->backing = BZ_BACKING_BASE;
	arena->page_size = BZ_PAGE_SIZE;
	arena->huge_start = NULL;
	arena->huge_bytes = 0;
	atomic_store(&arena->huge_kept, false);
	if (bc.policy != BZ_HUGETLB_NEVER)
		huge = back_hugetlb(sys, nid, arena, os, &bc, huge_why, sizeof(huge_why));
	if (!huge && bc.policy == BZ_HUGETLB_REQUIRED) {
		bz__log(sys, BZ_LOG_ERR, "node %d: hugetlb required but %s", nid, huge_why);
		snprintf(arena->reason, sizeof(arena->reason), "%s", huge_why);
		return -ENOMEM;
	}
	/* After the hugetlb mmap: a new mapping does not inherit the old one's policy. */
	bind_arena(sys, nid, os, arena, bind_why, sizeof(bind_why));
	rest_thp = back_rest(arena, rest_why, sizeof(rest_why));
	/* Besides the hugetlb part: unaligned ends of a full interior, or what a short pool left. */
	partial = huge && arena->huge_bytes < ALIGN_DOWN((uintptr_t)arena->start + arena->bytes, bc.hpage) -
			  ALIGN_UP((uintptr_t)arena->start, bc.hpage);
	arena->reason[0] = '\0';
	reason_add(arena, bind_why);
	reason_add(arena, "; ");
	reason_add(arena, huge_why);
	if (rest_why[0]) {
		reason_add(arena, !huge ? "; " : partial ? "; the rest: " : "; edges: ");
		reason_add(arena, rest_why);
	}
	log_backing(sys, nid, arena, partial, rest_thp);
	return 0;
}

/* ---- giving memory back (page_reporting.c) ---------------------------------------- */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static bool in_huge_part(const struct bz_arena *a, uintptr_t s, uintptr_t e)
{
	uintptr_t hs = (uintptr_t)a->huge_start;

	return a->huge_bytes && s < hs + a->huge_bytes && e > hs;
}

bool bz__arena_discardable(const struct bz_arena *a, const void *addr, size_t bytes)
{
	uintptr_t s = (uintptr_t)addr, e = s + bytes, hs = (uintptr_t)a->huge_start;

	if (!in_huge_part(a, s, e))
		return true;
	/* madvise_dontneed_free_valid_vma(): hugetlb ranges start on a huge page, end rounded down. */
	return s >= hs && e <= hs + a->huge_bytes && !((s | e) & (a->page_size - 1)) &&
	       !atomic_load_explicit(&a->huge_kept, memory_order_relaxed);
}

/* The pool's reserved pages (resv_hugepages), -1 when unreadable. */
static long pool_reserved(size_t page_size)
{
	char path[96];

	if (inject(BZ_OS_HUGETLB_RESV))
		return -1;
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/resv_hugepages", page_size >> 10);
	return read_long(path);
}

/*
 * Huge pages of [addr, +bytes) faulted in: only they hold a page to give
 * back and a reservation to restore (a free block may span touched and
 * untouched ones).  mincore() reports a hugetlb page for each of its base
 * pages; the first says.  Or -errno.
 */
static long present_huge_pages(void *addr, size_t bytes, size_t hpage)
{
	unsigned char v;
	long n = 0;

	for (size_t off = 0; off < bytes; off += hpage) {
		if (mincore((char *)addr + off, BZ_PAGE_SIZE, &v))
			return -errno;
		n += v & 1;
	}
	return n;
}

static int os_populate(void *addr, size_t bytes)
{
	if (inject(BZ_OS_POPULATE))
		return -ENOMEM;
	return madvise(addr, bytes, MADV_POPULATE_WRITE) ? -errno : 0;
}

/*
 * Hugetlb pages back to the pool.  Linux 5.18 accepts MADV_DONTNEED on
 * hugetlb mappings (before, EINVAL: the pages stay, as they always did).
 * The mapping was made with a reservation per page, the promise that a
 * fault finds a page; since 6.10 zapping a private anonymous hugetlb page
 * restores its reservation (__unmap_hugepage_range()), before it did not,
 * nor does it while the pool has surplus pages, and a later touch could
 * meet an empty pool: SIGBUS.  So the pool's reserved count must have
 * grown by the pages given back; if not, they are faulted in again at
 * once (MADV_POPULATE_WRITE fails where a touch would SIGBUS) and this
 * arena gives nothing back any more.  Other processes move the count too:
 * one reserving at the same moment makes us keep pages we could have
 * given back; only one releasing reservations at that very moment could
 * pass for a restoration that did not happen.
 */
static int discard_huge(struct bz_system *sys, int nid, struct bz_arena *a, void *addr, size_t bytes)
{
	long pages = present_huge_pages(addr, bytes, a->page_size), resv0 = pool_reserved(a->page_size), resv1;
	int err = pages < 0 ? (int)pages : bz__os_discard(addr, bytes);

	if (err == -EINVAL) {
		if (!atomic_exchange(&a->huge_kept, true))
			bz__log(sys, BZ_LOG_INFO, "node %d: the kernel refuses MADV_DONTNEED on hugetlb memory "
				"(Linux 5.18 and later take it): its huge pages stay until the system goes", nid);
		return BZ__DISCARD_KEPT;
	}
	if (err)
		return err;
	resv1 = pool_reserved(a->page_size);
	if (resv0 >= 0 && resv1 >= 0 && resv1 - resv0 >= pages)
		return 0;
	atomic_store(&a->huge_kept, true);
	err = os_populate(addr, bytes);
	if (!err) {
		bz__log(sys, BZ_LOG_WARNING, "node %d: hugetlb pages given back lost their reservation "
			"(reserved pages %ld -> %ld); faulted in again, and kept from now on", nid, resv0, resv1);
		return BZ__DISCARD_KEPT;
	}
	bz__log(sys, BZ_LOG_ERR, "node %d: hugetlb pages at %p lost their reservation and the pool cannot "
		"refill them (%s): %zu kB kept out of use", nid, addr, strerror(-err), bytes >> 10);
	return BZ__DISCARD_LOST;
}

int bz__arena_discard(struct bz_system *sys, int nid, void *addr, size_t bytes)
{
	struct bz_arena *a = &sys->nodes[nid]->arena;

	if (!in_huge_part(a, (uintptr_t)addr, (uintptr_t)addr + bytes))
		return bz__os_discard(addr, bytes);
	if (!bz__arena_discardable(a, addr, bytes))
		return BZ__DISCARD_KEPT;
	return discard_huge(sys, nid, a, addr, bytes);
}

const char *bz__backing_name(int backing)
{
	switch (backing) {
	case BZ_BACKING_HUGETLB:
		return "hugetlb";
	case BZ_BACKING_THP:
		return "THP";
	default:
		return "base";
	}
}
