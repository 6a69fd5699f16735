// SPDX-License-Identifier: MIT
/*
 * page_lru.c - a driver's page pool: pages chained through page->lru on
 * the driver's own lists, their index in page->private (PG_private set),
 * some marked PG_reserved, while the allocator keeps allocating and
 * freeing other pages around them.  page->lru is the holder's: nothing
 * the allocator does may touch it, and a free clears the page flags.
 */
#include "harness.h"

#define POOL_PAGES 512
#define CHURN 20000

struct pool {
	struct list_head free;     /* pages ready for the device */
	struct list_head busy;     /* pages the device holds */
	unsigned long nr;
};

static int __init pool_fill(struct pool *pool)
{
	for (unsigned long i = 0; i < POOL_PAGES; i++) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page)
			return -1;
		if (!EXPECT(page_private(page) == 0))   /* post_alloc_hook's promise */
			return -1;
		set_page_private(page, i);
		SetPagePrivate(page);
		if (i % 3 == 0)
			SetPageReserved(page);
		list_add_tail(&page->lru, &pool->free);
		pool->nr++;
	}
	return 0;
}

/* The allocator at work around the pool: its own lists move, the pool's must not. */
static void __init churn(void)
{
	struct page *held[64] = { 0 };

	for (unsigned long i = 0; i < CHURN; i++) {
		unsigned int slot = (unsigned int)(i * 7919 % 64);

		if (held[slot])
			__free_pages(held[slot], slot % 3);
		held[slot] = alloc_pages(GFP_KERNEL, slot % 3);
	}
	for (unsigned int slot = 0; slot < 64; slot++)
		if (held[slot])
			__free_pages(held[slot], slot % 3);
}

/* Hands every other page to the "device", then walks both lists. */
static int __init pool_walk(struct pool *pool)
{
	struct page *page, *next;
	unsigned long seen = 0, i = 0;

	list_for_each_entry_safe(page, next, &pool->free, lru)
		if (i++ % 2)
			list_move_tail(&page->lru, &pool->busy);
	churn();
	list_for_each_entry(page, &pool->free, lru) {
		EXPECT(PagePrivate(page) && page_private(page) % 2 == 0);
		EXPECT(PageReserved(page) == (page_private(page) % 3 == 0));
		seen++;
	}
	list_for_each_entry(page, &pool->busy, lru) {
		EXPECT(page_ref_count(page) == 1 && page_private(page) % 2 == 1);
		seen++;
	}
	return EXPECT(seen == pool->nr) ? 0 : -1;
}

static void __init pool_drain(struct list_head *list, struct pool *pool)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, list, lru) {
		list_del(&page->lru);
		ClearPageReserved(page);
		ClearPagePrivate(page);
		set_page_private(page, 0);
		__free_page(page);
		pool->nr--;
	}
}

/* A compound page on the list by its head, freed by folio_put: its flags go with it. */
static int __init folio_on_list(void)
{
	LIST_HEAD(folios);
	struct folio *folio = folio_alloc(GFP_KERNEL, 2), *f, *n;

	if (!EXPECT(folio != NULL))
		return -1;
	EXPECT(folio_nr_pages(folio) == 4 && folio_order(folio) == 2);
	EXPECT(page_folio(folio_page(folio, 3)) == folio);
	list_add(&folio->lru, &folios);
	SetPagePrivate(&folio->page);
	folio_get(folio);
	churn();
	list_for_each_entry_safe(f, n, &folios, lru) {
		list_del(&f->lru);
		folio_put(f);
		EXPECT(folio_ref_count(f) == 1);
		ClearPagePrivate(&f->page);
		folio_put(f);
	}
	return 0;
}

static int __init m_in(void)
{
	struct pool pool = { .nr = 0 };

	INIT_LIST_HEAD(&pool.free);
	INIT_LIST_HEAD(&pool.busy);
	if (pool_fill(&pool) || pool_walk(&pool) || folio_on_list())
		return -1;
	pool_drain(&pool.busy, &pool);
	pool_drain(&pool.free, &pool);
	return EXPECT(pool.nr == 0 && list_empty(&pool.free)) ? 0 : -1;
}

module_init(m_in);
MODULE_LICENSE("MIT");
