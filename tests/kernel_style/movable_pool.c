// SPDX-License-Identifier: MIT
/*
 * movable_pool.c - a zsmalloc-style pool whose pages the allocator may
 * move: each page allocated GFP_HIGHUSER_MOVABLE, its handle in
 * page->private, marked with __SetPageMovable(page, &pool_mops); the
 * migrate_page callback repoints the handle (src to dst) under the pool's
 * lock and returns MIGRATEPAGE_SUCCESS.  Every other page is freed
 * (__ClearPageMovable first, as zsmalloc's reset_page): the even handles,
 * so that the free scanner, which samples a pageblock every 2^n pfns after
 * barren ones (isolate_freepages' stride), finds the holes at the
 * pool's pageblock starts, as it would on a real zone.  Compaction runs
 * (/proc/sys/vm/compact_memory, harness_compact_memory), and every handle
 * must still read its own data from a page that is still movable.
 */
#include <errno.h>      /* <linux/errno.h> */
#include <pthread.h>   /* the pool lock: a spinlock_t in zsmalloc */
#include <stdatomic.h>

#include "harness.h"

#define POOL_PAGES 2048

static struct page *handles[POOL_PAGES];
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned long isolated, migrated, putbacks;   /* kcompactd may call too */

static unsigned long stamp(unsigned long handle)
{
	return handle * 0x9e3779b97f4a7c15ul + 1;
}

static bool pool_isolate(struct page *page, isolate_mode_t mode)
{
	(void)page;
	(void)mode;
	isolated++;
	return true;
}

static int pool_migrate(struct page *dst, struct page *src, enum migrate_mode mode)
{
	unsigned long handle = page_private(src);

	(void)mode;
	pthread_mutex_lock(&pool_lock);
	if (handles[handle] != src) {
		pthread_mutex_unlock(&pool_lock);
		return -EAGAIN;
	}
	handles[handle] = dst;  /* the library copied the contents and page->private */
	migrated++;
	pthread_mutex_unlock(&pool_lock);
	return MIGRATEPAGE_SUCCESS;
}

static void pool_putback(struct page *page)
{
	(void)page;
	putbacks++;
}

static const struct movable_operations pool_mops = {
	.isolate_page = pool_isolate,
	.migrate_page = pool_migrate,
	.putback_page = pool_putback,
};

static void pool_free(unsigned long handle)
{
	pthread_mutex_lock(&pool_lock);
	__ClearPageMovable(handles[handle]);
	__free_page(handles[handle]);
	handles[handle] = NULL;
	pthread_mutex_unlock(&pool_lock);
}

static int __init pool_init(void)
{
	for (unsigned long h = 0; h < POOL_PAGES; h++) {
		struct page *page = alloc_page(GFP_HIGHUSER_MOVABLE);

		if (!EXPECT(page))
			return -ENOMEM;
		*(unsigned long *)page_address(page) = stamp(h);
		set_page_private(page, h);
		__SetPageMovable(page, &pool_mops);
		if (!EXPECT(PageMovable(page)))
			return -EINVAL;
		handles[h] = page;
	}
	for (unsigned long h = 0; h < POOL_PAGES; h += 2)
		pool_free(h);
	harness_drain();
	harness_compact_memory();
	/* Each isolated page moved, or went back (what was isolated when the free scanner ran dry). */
	EXPECT(migrated > 0);
	EXPECT(isolated == migrated + putbacks);
	for (unsigned long h = 1; h < POOL_PAGES; h += 2) {
		struct page *page = handles[h];

		EXPECT(page_private(page) == h);
		EXPECT(*(unsigned long *)page_address(page) == stamp(h));
		EXPECT(PageMovable(page));
		EXPECT(page_count(page) == 1);
	}
	return 0;
}

static void __exit pool_exit(void)
{
	for (unsigned long h = 1; h < POOL_PAGES; h += 2)
		pool_free(h);
}

module_init(pool_init);
module_exit(pool_exit);
MODULE_DESCRIPTION("a pool of movable pages, moved by compaction");
MODULE_LICENSE("GPL");
