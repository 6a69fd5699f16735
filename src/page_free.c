/* SPDX-License-Identifier: MIT */
/*
 * page_free.c - the free path and the page/address conversions.  Every
 * free is checked before anything changes (the kernel's free_page_is_bad
 * and bad_page): a pointer that is not ours, misaligned, a tail page, a
 * page already free or cached, or the wrong order is refused with -EINVAL
 * and a bad_page-style report, and the allocator is left as it was.
 */
#include <stdint.h>

#include "internal.h"
#include "pcp.h"

struct bz_zone *bz__pfn_zone(const struct bz_system *sys, unsigned long pfn)
{
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		struct bz_node *node = sys->nodes[nid];

		if (pfn < node->node_start_pfn || pfn >= node->node_start_pfn + node->node_spanned_pages)
			continue;
		for (int zid = 0; zid < BZ_ZONE_DEVICE; zid++) {
			struct bz_zone *z = &node->zones[zid];

			if (populated_zone(z) && zone_spans_pfn(z, pfn))
				return z;
		}
	}
	return NULL;
}

/* The system and pfn of a page pointer, if it is one of ours. */
static struct bz_system *page_owner(const bz_page *page, unsigned long *pfn)
{
	struct bz_system *sys = page ? bz__system_of_page(page) : NULL;
	uintptr_t off;

	if (!sys)
		return NULL;
	off = (uintptr_t)page - (uintptr_t)sys->mem_map;
	if (off % sizeof(struct bz_page))
		return NULL;
	*pfn = off / sizeof(struct bz_page);
	return bz__pfn_zone(sys, *pfn) ? sys : NULL;
}

static void describe_state(const struct bz_page *p, char *buf, size_t size)
{
	if (!(p->flags & PG_init))
		snprintf(buf, size, "never used");
	else if (p->flags & PG_buddy)
		snprintf(buf, size, "free (buddy, order %u, %s list)", p->order, bz__migratetype_names[p->mt]);
	else if (p->flags & PG_pcp)
		snprintf(buf, size, "free (per-thread cache, order %u)", p->order);
	else if (p->flags & PG_head)
		snprintf(buf, size, "allocated (order %u)", p->order);
	else
		snprintf(buf, size, "not the first page of a block");
}

/* bad_page(): report and refuse; nothing has changed. */
static int bad_page(struct bz_system *sys, unsigned long pfn, const char *reason)
{
	struct bz_zone *z = bz__pfn_zone(sys, pfn);
	const struct bz_page *p = pfn_to_page(sys, pfn);
	char state[96];

	describe_state(p, state, sizeof(state));
	bz__log(sys, BZ_LOG_ERR, "Bad page state: pfn:%05lx node:%d zone:%s flags:%#x state:%s: %s",
		pfn, z ? z->node->nid : -1, z ? bz__zone_names[z->idx] : "none", p->flags, state, reason);
	count_vm_event(sys, PGALLOC_BAD_FREE);
	return -EINVAL;
}

/* For a page that is not a block head: which block is it inside of? */
static int bad_inner_page(struct bz_system *sys, struct bz_zone *z, unsigned long pfn)
{
	char why[128];

	for (unsigned o = 1; o < BZ_NR_PAGE_ORDERS; o++) {
		unsigned long h = pfn & ~((1ul << o) - 1);
		const struct bz_page *hp = pfn_to_page(sys, h);

		if (!zone_spans_pfn(z, h) || !(hp->flags & (PG_head | PG_buddy | PG_pcp)) || hp->order < o)
			continue;
		snprintf(why, sizeof(why), "%s page %lu of the %s order-%u block at pfn %05lx",
			 hp->flags & PG_head ? "tail" : "free", pfn - h,
			 hp->flags & PG_head ? "allocated" : "free", hp->order, h);
		return bad_page(sys, pfn, why);
	}
	return bad_page(sys, pfn, "not the first page of an allocated block");
}

static int check_free_locked(struct bz_system *sys, struct bz_zone *z, unsigned long pfn, unsigned order)
{
	const struct bz_page *p = pfn_to_page(sys, pfn);
	char why[96];

	if (!(p->flags & PG_init))
		return bad_page(sys, pfn, "freeing a page that was never allocated");
	if (p->flags & PG_buddy)
		return bad_page(sys, pfn, "double free: the page is already free");
	if (p->flags & PG_pcp)
		return bad_page(sys, pfn, "double free: the page is already in a per-thread cache");
	if (!(p->flags & PG_head))
		return bad_inner_page(sys, z, pfn);
	if (p->order != order) {
		snprintf(why, sizeof(why), "wrong order: allocated as order %u, freed as order %u", p->order, order);
		return bad_page(sys, pfn, why);
	}
	return 0;
}

/* Frees a checked-looking block through the buddy lists, checking again under the lock. */
static int free_to_buddy(struct bz_system *sys, unsigned long pfn, unsigned order)
{
	struct bz_zone *z = bz__pfn_zone(sys, pfn);
	int ret;

	bz__zone_lock(z);
	ret = check_free_locked(sys, z, pfn, order);
	if (!ret) {
		pfn_to_page(sys, pfn)->flags &= (uint8_t)~PG_head;
		bz__free_one_page_locked(z, pfn, order, get_pageblock_migratetype(sys, pfn));
	}
	bz__zone_unlock(z);
	if (!ret)
		count_vm_events(sys, PGFREE, 1ul << order);
	return ret;
}

/*
 * The system of a page: the thread's last one if the page is in its
 * mem_map and no system was destroyed since (so it is still alive), else
 * the registry.
 */
static inline struct bz_system *page_system(const bz_page *page, unsigned long *pfn)
{
	struct bz_system *sys = bz__tls.sys;

	if (bz_likely(sys && bz__tls.gen == atomic_load_explicit(&bz__destroy_gen, memory_order_relaxed) &&
		      page >= sys->mem_map && page < sys->mem_map + sys->nr_pfns &&
		      !(((uintptr_t)page - (uintptr_t)sys->mem_map) % sizeof(struct bz_page)))) {
		*pfn = (unsigned long)(page - sys->mem_map);
		return sys;
	}
	return page_owner(page, pfn);
}

BZ_API int bz_free_pages(bz_page *page, unsigned order)
{
	struct bz_system *sys;
	struct bz_tcache *tc;
	unsigned long pfn = 0;

	sys = page_system(page, &pfn);
	if (bz_likely(sys && order <= BZ_MAX_ORDER)) {
		const struct bz_page *p = pfn_to_page(sys, pfn);

		/* An allocated block's head with this order: the cache takes it without a lock. */
		if (bz_likely((p->flags & (PG_init | PG_head | PG_buddy | PG_pcp)) == (PG_init | PG_head) &&
			      p->order == order && pcp_allowed_order(order) && (tc = bz__tcache(sys)))) {
			bz__free_unref_page(tc, page_zone(sys, p), pfn, order);
			return 0;
		}
		if (!bz__pfn_zone(sys, pfn))
			sys = NULL;
	}
	if (bz_unlikely(!sys)) {
		bz__log(NULL, BZ_LOG_ERR, "bz_free_pages(%p, %u): %s", (void *)page, order,
			page ? "not a page of any live system" : "NULL page");
		return -EINVAL;
	}
	if (bz_unlikely(order > BZ_MAX_ORDER))
		return bad_page(sys, pfn, "freeing with an order above the maximum");
	return free_to_buddy(sys, pfn, order);
}

BZ_API int bz_free_pages_addr(void *addr, unsigned order)
{
	struct bz_system *sys = addr ? bz__system_of_addr(addr) : NULL;
	uintptr_t off;

	if (!sys) {
		bz__log(NULL, BZ_LOG_ERR, "bz_free_pages_addr(%p, %u): %s", addr, order,
			addr ? "not an address of any live system" : "NULL address");
		return -EINVAL;
	}
	off = (uintptr_t)((char *)addr - sys->base);
	if (off & (BZ_PAGE_SIZE - 1)) {
		bz__log(sys, BZ_LOG_ERR, "bz_free_pages_addr(%p, %u): misaligned address (%#lx bytes into pfn %05lx)",
			addr, order, (unsigned long)(off & (BZ_PAGE_SIZE - 1)), (unsigned long)(off >> BZ_PAGE_SHIFT));
		return -EINVAL;
	}
	if (!bz__pfn_zone(sys, off >> BZ_PAGE_SHIFT)) {
		bz__log(sys, BZ_LOG_ERR, "bz_free_pages_addr(%p, %u): address in a hole between zones", addr, order);
		return -EINVAL;
	}
	return bz_free_pages(pfn_to_page(sys, off >> BZ_PAGE_SHIFT), order);
}

/* ---- conversions ------------------------------------------------------------------ */

BZ_API void *bz_page_address(const bz_page *page)
{
	unsigned long pfn;
	struct bz_system *sys = page_owner(page, &pfn);

	return sys ? sys->base + (pfn << BZ_PAGE_SHIFT) : NULL;
}

BZ_API bz_page *bz_virt_to_page(const void *addr)
{
	struct bz_system *sys = addr ? bz__system_of_addr(addr) : NULL;
	unsigned long pfn;

	if (!sys)
		return NULL;
	pfn = (unsigned long)((const char *)addr - sys->base) >> BZ_PAGE_SHIFT;
	return bz__pfn_zone(sys, pfn) ? pfn_to_page(sys, pfn) : NULL;
}

BZ_API unsigned long bz_page_to_pfn(const bz_page *page)
{
	unsigned long pfn;

	return page_owner(page, &pfn) ? pfn : (unsigned long)-1;
}

BZ_API bz_page *bz_pfn_to_page(bz_system *sys, unsigned long pfn)
{
	sys = bz__resolve(sys);
	if (!sys || pfn >= sys->nr_pfns || !bz__pfn_zone(sys, pfn))
		return NULL;
	return pfn_to_page(sys, pfn);
}

BZ_API int bz_page_to_nid(const bz_page *page)
{
	unsigned long pfn;
	struct bz_system *sys = page_owner(page, &pfn);

	return sys ? bz__pfn_zone(sys, pfn)->node->nid : -EINVAL;
}

BZ_API int bz_page_zonenum(const bz_page *page)
{
	unsigned long pfn;
	struct bz_system *sys = page_owner(page, &pfn);

	return sys ? bz__pfn_zone(sys, pfn)->idx : -EINVAL;
}
