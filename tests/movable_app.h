/* SPDX-License-Identifier: MIT */
/*
 * movable_app.h - an application whose pages the library may move: a
 * handle table (handle id -> page), each page filled with a pattern of
 * its id and holding the id in page->private, marked movable with
 * callbacks that repoint the handle (test_compaction.c,
 * test_kcompactd.c).  One app per test program (a static global: the
 * callbacks get no context).  Its lock serialises the callbacks with the
 * application's own frees and reads, as the library asks of a threaded
 * application.
 */
#ifndef BZ_TEST_MOVABLE_APP_H
#define BZ_TEST_MOVABLE_APP_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"

#define APP_MAX 65536
#define APP_ZONE_PAGES 16384    /* 64 MiB of ZONE_NORMAL: 32 pageblocks */

struct app {
	pthread_mutex_t lock;
	bz_page *handle[APP_MAX];       /* lock */
	size_t nr;
	_Atomic unsigned long isolate_calls, migrated, migrate_calls, putbacks;
	_Atomic int migrate_ret;        /* what migrate_page answers (0: repoint) */
	_Atomic bool refuse_isolate;
	/* Misuse hooks: in migrate_page (under the lock) and in isolate_page (no lock). */
	void (*migrate_hook)(bz_page *dst, bz_page *src);
	void (*isolate_hook)(bz_page *page);
	void (*migrated_hook)(bz_page *dst);   /* after a repoint, the lock dropped */
};

static struct app app = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t pattern_word(size_t id, size_t i)
{
	return (uint64_t)id * 0x9e3779b97f4a7c15ull ^ (uint64_t)i;
}

static void fill_pattern(void *addr, size_t id)
{
	uint64_t *w = addr;

	for (size_t i = 0; i < BZ_PAGE_SIZE / sizeof(*w); i++)
		w[i] = pattern_word(id, i);
}

static bool pattern_ok(const void *addr, size_t id)
{
	const uint64_t *w = addr;

	for (size_t i = 0; i < BZ_PAGE_SIZE / sizeof(*w); i++)
		if (w[i] != pattern_word(id, i))
			return false;
	return true;
}

static bool app_isolate(bz_page *page, unsigned mode)
{
	(void)mode;
	app.isolate_calls++;
	if (app.isolate_hook)
		app.isolate_hook(page);
	return !app.refuse_isolate;
}

/* Repoints the handle whose id src holds, unless the owner let it go (then it fails). */
static int app_migrate(bz_page *dst, bz_page *src, enum bz_migrate_mode mode)
{
	size_t id = bz_page_private(src);
	int ret;

	(void)mode;
	app.migrate_calls++;
	pthread_mutex_lock(&app.lock);
	if (app.migrate_hook)
		app.migrate_hook(dst, src);
	ret = app.migrate_ret;
	if (!ret && (id >= app.nr || app.handle[id] != src))
		ret = -ENOENT;
	if (!ret) {
		app.handle[id] = dst;
		app.migrated++;
	}
	pthread_mutex_unlock(&app.lock);
	if (!ret && app.migrated_hook)
		app.migrated_hook(dst);
	return ret;
}

static void app_putback(bz_page *page)
{
	(void)page;
	app.putbacks++;
}

static const struct bz_movable_operations app_ops = {
	.isolate_page = app_isolate,
	.migrate_page = app_migrate,
	.putback_page = app_putback,
};

static void app_reset(void)
{
	pthread_mutex_lock(&app.lock);
	memset(app.handle, 0, sizeof(app.handle));
	app.nr = 0;
	app.isolate_calls = app.migrated = app.migrate_calls = app.putbacks = 0;
	app.migrate_ret = 0;
	app.refuse_isolate = false;
	app.migrate_hook = NULL;
	app.isolate_hook = NULL;
	app.migrated_hook = NULL;
	pthread_mutex_unlock(&app.lock);
}

/* A system of one NORMAL zone with compaction on or off and proactive compaction as given. */
static bz_system *app_system(int compaction, int proactiveness, struct log_catch *lc)
{
	struct bz_config cfg;
	bz_system *sys = NULL;
	char zones[64];

	snprintf(zones, sizeof(zones), "0:Normal=%d", APP_ZONE_PAGES);
	bz_config_init(&cfg);
	cfg.zones = zones;
	cfg.cpus_per_node = 1;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	cfg.compaction = compaction;
	cfg.compaction_proactiveness = proactiveness;
	cfg.page_reporting_delay_ms = 0;
	if (lc) {
		cfg.log = log_catch_fn;
		cfg.log_arg = lc;
	}
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	return sys;
}

/* Allocates order-0 movable pages until none is left: each one a handle, patterned and marked. */
static size_t app_fill(bz_system *sys)
{
	bz_page *page;

	while ((page = bz_alloc_pages(sys, BZ_GFP_NOWAIT | BZ_GFP_MOVABLE, 0))) {
		size_t id;

		pthread_mutex_lock(&app.lock);
		assert_true(app.nr < APP_MAX);
		id = app.nr++;
		fill_pattern(bz_page_address(page), id);
		assert_int_equal(bz_set_page_private(page, id), 0);
		assert_int_equal(bz_set_page_movable(page, &app_ops), 0);
		app.handle[id] = page;
		pthread_mutex_unlock(&app.lock);
	}
	return app.nr;
}

/* The owner frees handle id: its mark first, under the lock its callbacks take. */
static void app_free(size_t id)
{
	pthread_mutex_lock(&app.lock);
	if (app.handle[id]) {
		assert_int_equal(bz_clear_page_movable(app.handle[id]), 0);
		assert_int_equal(bz_free_pages(app.handle[id], 0), 0);
		app.handle[id] = NULL;
	}
	pthread_mutex_unlock(&app.lock);
}

/* Every other handle freed: no two neighbouring pages free, so no free block above order 0 forms. */
static void app_free_every_other(bz_system *sys)
{
	for (size_t id = 1; id < app.nr; id += 2)
		app_free(id);
	assert_int_equal(bz_drain_all_pages(sys), 0);
}

/*
 * Every live handle reads its own data and id, and is still movable: the
 * number checked.  quiet: no compaction can be under way, so each holds
 * exactly its owner's reference (else a migration may hold one more).
 */
static size_t app_verify_refs(bool quiet)
{
	size_t live = 0;

	pthread_mutex_lock(&app.lock);
	for (size_t id = 0; id < app.nr; id++) {
		bz_page *page = app.handle[id];

		if (!page)
			continue;
		live++;
		if (bz_page_private(page) != id || !pattern_ok(bz_page_address(page), id) || bz_page_movable(page) != 1 ||
		    (quiet ? bz_page_ref_count(page) != 1 : bz_page_ref_count(page) < 1)) {
			pthread_mutex_unlock(&app.lock);
			fail_msg("handle %zu: page %p private %lu pattern %d movable %d refcount %d", id, (void *)page,
				 bz_page_private(page), pattern_ok(bz_page_address(page), id), bz_page_movable(page),
				 bz_page_ref_count(page));
		}
	}
	pthread_mutex_unlock(&app.lock);
	return live;
}

static size_t app_verify(void)
{
	return app_verify_refs(true);
}

static void app_free_all(void)
{
	for (size_t id = 0; id < app.nr; id++)
		app_free(id);
}

/* Everything freed and drained: every managed page free again (nothing leaked, nothing freed twice). */
static inline void app_assert_all_back(bz_system *sys)
{
	struct bz_zone_stats st;

	app_free_all();
	assert_int_equal(bz_drain_all_pages(sys), 0);
	st = zone_stats(sys, 0, BZ_ZONE_NORMAL);
	assert_int_equal(st.free, st.managed);
	assert_int_equal(bz_check(sys), 0);
	assert_int_equal(json_counter(sys, "pgalloc_bad_free"), 0);
}

/* Free blocks of pageblock order or more in the app's zone. */
static unsigned long free_order9_blocks(bz_system *sys)
{
	struct bz_zone_stats st = zone_stats(sys, 0, BZ_ZONE_NORMAL);

	return st.nr_free[BZ_PAGEBLOCK_ORDER] + 2 * st.nr_free[BZ_MAX_ORDER];
}

#endif /* BZ_TEST_MOVABLE_APP_H */
