/* SPDX-License-Identifier: MIT */
/*
 * debug_pagealloc.c - a system's debug mode: page poisoning
 * (mm/page_poison.c), init_on_alloc and init_on_free (post_alloc_hook and
 * free_pages_prepare in mm/page_alloc.c), guard pages (debug_pagealloc
 * unmaps free pages; we mprotect them PROT_NONE) and bz_check every N
 * operations.  It owns the options (bz_config.debug, BUDDYZONE_DEBUG), the
 * two hooks the allocation and free paths call for a system in debug mode,
 * and the PGDBG_* state in struct bz_page's uflags (page_ref.h).
 *
 * bz__debug_free runs once a free has passed every check and before the
 * block enters a thread cache or the buddy lists, so cached pages are
 * poisoned and guarded like every other free page; bz__debug_alloc runs
 * after a block is taken and before the caller sees it.  The allocator
 * keeps nothing inside pages (struct bz_page is out of band), so it never
 * touches a free page and PROT_NONE on free memory is safe.  A system in
 * debug mode takes no per-thread fast path (page_alloc.c sets no memo,
 * tcache.c no lock-free free), so every block passes these hooks.
 *
 * Memory is not poisoned up front (that would commit all of it): a page
 * never handed out is PGDBG_FRESH and must hold the zeroes of a new
 * mapping; a freed one is PGDBG_POISONED and must hold PAGE_POISON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "debug.h"

#define PAGE_POISON            0xaa   /* include/linux/poison.h */
#define DUMP_MAX               64     /* bytes of a corruption shown */

enum { PGDBG_FRESH = 0, PGDBG_INUSE = 1, PGDBG_POISONED = 2 };

/* What a page must hold: memcmp against these is memchr_inv's word-at-a-time speed. */
static const unsigned char poison_page[BZ_PAGE_SIZE] = { [0 ... BZ_PAGE_SIZE - 1] = PAGE_POISON };
static const unsigned char zero_page[BZ_PAGE_SIZE];

/* Guard mode needs mprotect on 4 KiB pages: no hugetlb backing. */
static int guard_backing(struct bz_system *sys, struct bz_config *cfg)
{
	if (cfg->hugetlb == BZ_HUGETLB_REQUIRED) {
		bz__log(sys, BZ_LOG_ERR, "debug: guard mode needs base pages; hugetlb is required by the config");
		return -EINVAL;
	}
	if (cfg->hugetlb != BZ_HUGETLB_NEVER)
		bz__log(sys, BZ_LOG_INFO, "debug: guard mode: arenas on base pages or THP, not hugetlb");
	cfg->hugetlb = BZ_HUGETLB_NEVER;
	return 0;
}

int bz__debug_init(struct bz_system *sys, struct bz_config *cfg)
{
	/* Settled by options.c: the config's flags, else BUDDYZONE_DEBUG's words, else none. */
	unsigned flags = cfg->debug;

	/* mem_debugging_and_hardening_init(): poisoning wins over both. */
	if ((flags & BZ_DEBUG_POISON) && (flags & (BZ_DEBUG_INIT_ON_ALLOC | BZ_DEBUG_INIT_ON_FREE))) {
		bz__log(sys, BZ_LOG_INFO, "mem auto-init: page poisoning is on, "
			"will take precedence over init_on_alloc and init_on_free");
		flags &= ~(unsigned)(BZ_DEBUG_INIT_ON_ALLOC | BZ_DEBUG_INIT_ON_FREE);
	}
	if ((flags & BZ_DEBUG_GUARD) && guard_backing(sys, cfg))
		return -EINVAL;
	sys->debug.flags = flags;
	sys->debug.check_interval = cfg->debug_check_interval;
	return 0;
}

int bz__debug_start(struct bz_system *sys)
{
	if (!(sys->debug.flags & BZ_DEBUG_GUARD))
		return 0;
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		struct bz_arena *a = &sys->nodes[nid]->arena;
		int ret = a->bytes ? bz__os_protect(a->start, a->bytes, false) : 0;

		if (ret) {
			bz__log(sys, BZ_LOG_ERR, "debug: guard mode cannot protect node %d's memory (%s)", nid,
				bz_strerror(ret));
			return -ENOMEM;
		}
	}
	return 0;
}

/* ---- reports ---------------------------------------------------------------------- */

/* check_poison_mem()'s ratelimit: the kernel's default, 10 reports per 5 s. */
static bool report_ratelimit(struct bz_system *sys)
{
	return bz__ratelimit(&sys->debug.report_rs, BZ_RATELIMIT_INTERVAL_NS, BZ_RATELIMIT_BURST, NULL);
}

static void debug_abort(struct bz_system *sys, const char *what)
{
	if (!(sys->debug.flags & BZ_DEBUG_ABORT))
		return;
	bz__log(sys, BZ_LOG_ERR, "debug: %s; aborting (BZ_DEBUG_ABORT)", what);
	abort();
}

void bz__debug_bad_page(struct bz_system *sys)
{
	debug_abort(sys, "a free was refused");
}

/* print_hex_dump(DUMP_PREFIX_OFFSET, 16 per row) of up to DUMP_MAX bytes from off. */
static void hex_dump(char *buf, size_t size, const unsigned char *page, size_t off, size_t len)
{
	size_t n = 0;

	len = BZ_MIN(len, (size_t)DUMP_MAX);
	for (size_t i = 0; i < len && n < size; i++) {
		if (i % 16 == 0)
			n += (size_t)snprintf(buf + n, size - n, "\n%08zx:", off + i);
		if (n < size)
			n += (size_t)snprintf(buf + n, size - n, " %02x", page[off + i]);
	}
}

/*
 * check_poison_mem(): the first and last bytes that differ from what the
 * page should hold; a report (the kernel's text, then where and a dump)
 * unless rate-limited; counted always.  The page is handed out anyway.
 */
static void check_page(struct bz_system *sys, unsigned long pfn, unsigned char want)
{
	const unsigned char *mem = (const unsigned char *)sys->base + (pfn << BZ_PAGE_SHIFT);
	size_t start, end;
	struct bz_zone *z;
	char msg[1024];
	int n;

	if (bz_likely(!memcmp(mem, want == PAGE_POISON ? poison_page : zero_page, BZ_PAGE_SIZE)))
		return;
	for (start = 0; mem[start] == want; start++)
		;
	for (end = BZ_PAGE_SIZE - 1; end > start && mem[end] == want; end--)
		;
	count_vm_event(sys, PAGEALLOC_CORRUPTION);
	if (!report_ratelimit(sys)) {
		debug_abort(sys, "memory corruption");
		return;
	}
	z = bz__pfn_zone(sys, pfn);
	n = snprintf(msg, sizeof(msg), "pagealloc: %s\npfn:%05lx node:%d zone:%s offset:%#zx..%#zx (%zu bytes) %s",
		     start == end && __builtin_popcount(mem[start] ^ want) == 1 ? "single bit error" : "memory corruption",
		     pfn, z->node->nid, bz__zone_names[z->idx], start, end, end - start + 1,
		     want == PAGE_POISON ? "written after the page was freed (poison 0xaa expected)" :
					   "written before the page was ever handed out (zeroes expected)");
	if (n > 0 && (size_t)n < sizeof(msg))
		hex_dump(msg + n, sizeof(msg) - (size_t)n, mem, start, end - start + 1);
	bz__log(sys, BZ_LOG_ERR, "%s", msg);
	debug_abort(sys, "memory corruption");
}

/* ---- bz_check every N operations ------------------------------------------------------- */

static int check_stopped(struct bz_system *sys, void *arg)
{
	(void)arg;
	return bz__check(sys, true);
}

static void count_op(struct bz_system *sys)
{
	unsigned long n;

	if (!(sys->debug.flags & BZ_DEBUG_CHECK))
		return;
	n = atomic_fetch_add_explicit(&sys->debug.ops, 1, memory_order_relaxed) + 1;
	if (n % sys->debug.check_interval)
		return;
	count_vm_event(sys, DEBUG_CHECK_RUN);
	/* Every thread's cache stopped: exact while other threads run. */
	if (bz__tcache_stopped_call(sys, check_stopped, NULL) == 0)
		return;
	count_vm_event(sys, DEBUG_CHECK_FAIL);
	bz__log(sys, BZ_LOG_ERR, "debug: bz_check failed after %lu allocations and frees", n);
	debug_abort(sys, "bz_check failed");
}

/* ---- the hooks ------------------------------------------------------------------------- */

static bool guard(struct bz_system *sys, unsigned long pfn, unsigned order, bool accessible)
{
	int ret = bz__os_protect(sys->base + (pfn << BZ_PAGE_SHIFT), BZ_PAGE_SIZE << order, accessible);

	if (ret && report_ratelimit(sys))
		bz__log(sys, BZ_LOG_ERR, "debug: guard mode: mprotect of pfn %05lx order %u failed (%s)%s", pfn,
			order, bz_strerror(ret), accessible ? "; the allocation fails (vm.max_map_count?)" :
							      "; the block stays accessible");
	return ret == 0;
}

/*
 * A block that could not be handed out drops its one reference: freed, or,
 * if a speculative get_page_unless_zero took one meanwhile, left to that
 * holder's put.
 */
static void give_back(struct bz_system *sys, struct bz_page *page, unsigned long pfn, unsigned order)
{
	while (!bz__free_block(page_zone(sys, page), pfn, order, 1)) {
		int c = page_ref_count(page);

		if (c > 1 && page_ref_cmpxchg(page, c, c - 1))
			return;
	}
}

bool bz__debug_alloc(struct bz_system *sys, struct bz_page *page, unsigned order, bz_gfp_t gfp)
{
	unsigned flags = sys->debug.flags;
	unsigned long pfn = page_to_pfn(sys, page), nr = 1ul << order;

	/* Not handed out, so not freed by the caller either: straight back, no free hooks. */
	if ((flags & BZ_DEBUG_GUARD) && !guard(sys, pfn, order, true)) {
		give_back(sys, page, pfn, order);
		return false;
	}
	if (flags & BZ_DEBUG_POISON) {
		for (unsigned long i = 0; i < nr; i++) {
			struct bz_page *p = pfn_to_page(sys, pfn + i);

			check_page(sys, pfn + i, page_debug_state(p) == PGDBG_POISONED ? PAGE_POISON : 0);
			set_page_debug_state(p, PGDBG_INUSE);
		}
	}
	/* post_alloc_hook(): init_on_free has zeroed it already. */
	if (((flags & BZ_DEBUG_INIT_ON_ALLOC) || (gfp & BZ_GFP_ZERO)) && !(flags & BZ_DEBUG_INIT_ON_FREE))
		memset(sys->base + (pfn << BZ_PAGE_SHIFT), 0, BZ_PAGE_SIZE << order);
	count_op(sys);
	return true;
}

void bz__debug_free(struct bz_system *sys, unsigned long pfn, unsigned order)
{
	unsigned flags = sys->debug.flags;
	unsigned long nr = 1ul << order;

	count_op(sys);
	if (flags & BZ_DEBUG_POISON) {
		memset(sys->base + (pfn << BZ_PAGE_SHIFT), PAGE_POISON, BZ_PAGE_SIZE << order);
		for (unsigned long i = 0; i < nr; i++)
			set_page_debug_state(pfn_to_page(sys, pfn + i), PGDBG_POISONED);
	} else if (flags & BZ_DEBUG_INIT_ON_FREE) {
		memset(sys->base + (pfn << BZ_PAGE_SHIFT), 0, BZ_PAGE_SIZE << order);
	}
	if (flags & BZ_DEBUG_GUARD)
		guard(sys, pfn, order, false);
}
