/* SPDX-License-Identifier: MIT */
/*
 * system.c - a system's lifetime and the registry of live systems.  The
 * registry is how an address or a struct page found without its system
 * (bz_free_pages(page), bz_virt_to_page(addr)) is traced back to it, and how
 * a page of a destroyed system is recognised as no longer ours.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "arena.h"
#include "pcp.h"

#define BZ_MAX_SYSTEMS 256

static _Atomic(struct bz_system *) registry[BZ_MAX_SYSTEMS];
static atomic_int registry_used; /* slots ever used: lookups scan [0, used) */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static int registry_add(struct bz_system *sys)
{
	int ret = -ENOMEM;

	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < BZ_MAX_SYSTEMS; i++) {
		if (atomic_load(&registry[i]))
			continue;
		sys->slot = i;
		atomic_store_explicit(&registry[i], sys, memory_order_release);
		if (i + 1 > atomic_load(&registry_used))
			atomic_store(&registry_used, i + 1);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

static void registry_del(struct bz_system *sys)
{
	pthread_mutex_lock(&registry_lock);
	atomic_store_explicit(&registry[sys->slot], NULL, memory_order_release);
	pthread_mutex_unlock(&registry_lock);
}

void bz__registry_lock(void)
{
	pthread_mutex_lock(&registry_lock);
}

void bz__registry_unlock(void)
{
	pthread_mutex_unlock(&registry_lock);
}

void bz__for_each_system(void (*fn)(struct bz_system *sys, void *arg), void *arg)
{
	for (int i = 0; i < atomic_load(&registry_used); i++) {
		struct bz_system *sys = atomic_load(&registry[i]);

		if (sys)
			fn(sys, arg);
	}
}

bool bz__system_alive(const struct bz_system *sys, uint64_t id)
{
	for (int i = 0; i < atomic_load(&registry_used); i++) {
		struct bz_system *s = atomic_load(&registry[i]);

		if (s && s == sys)
			return s->id == id;
	}
	return false;
}

struct bz_system *bz__system_of_page(const bz_page *page)
{
	int used = atomic_load_explicit(&registry_used, memory_order_acquire);

	for (int i = 0; i < used; i++) {
		struct bz_system *sys = atomic_load_explicit(&registry[i], memory_order_acquire);

		if (sys && page >= sys->mem_map && page < sys->mem_map + sys->nr_pfns)
			return sys;
	}
	return NULL;
}

struct bz_system *bz__system_of_addr(const void *addr)
{
	int used = atomic_load_explicit(&registry_used, memory_order_acquire);
	const char *a = addr;

	for (int i = 0; i < used; i++) {
		struct bz_system *sys = atomic_load_explicit(&registry[i], memory_order_acquire);

		if (sys && a >= sys->base && a < sys->base + sys->reserve_bytes)
			return sys;
	}
	return NULL;
}

static void config_defaults(struct bz_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->cpus_per_node = BZ_DEFAULT;
	cfg->min_free_kbytes = BZ_DEFAULT;
	cfg->watermark_scale_factor = BZ_DEFAULT;
	cfg->watermark_boost_factor = BZ_DEFAULT;
	for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
		cfg->lowmem_reserve_ratio[i] = BZ_DEFAULT;
	cfg->percpu_pagelist_high_fraction = BZ_DEFAULT;
	cfg->numa_zonelist_order = BZ_DEFAULT;
	cfg->zone_reclaim_mode = BZ_DEFAULT;
	cfg->hugetlb = BZ_DEFAULT;
	cfg->debug = (unsigned)BZ_DEFAULT;
	cfg->publish_stats = BZ_DEFAULT;
	cfg->publish_interval_ms = BZ_DEFAULT;
	cfg->page_reporting_order = BZ_DEFAULT;
	cfg->page_reporting_delay_ms = BZ_DEFAULT;
	cfg->transparent_hugepage = BZ_DEFAULT;
}

BZ_API void bz_config_init_size(struct bz_config *cfg, size_t size)
{
	struct bz_config full;

	if (!cfg || size < offsetof(struct bz_config, cpus_per_node))
		return;
	config_defaults(&full);
	full.size = BZ_MIN(size, sizeof(full));
	memcpy(cfg, &full, full.size);
}

/* The symbol, for callers that cannot use the macro (other languages, dlsym). */
BZ_API void (bz_config_init)(struct bz_config *cfg)
{
	bz_config_init_size(cfg, sizeof(*cfg));
}

/* A caller built against an older, shorter struct gets defaults for the rest. */
static int copy_config(const struct bz_config *in, struct bz_config *out)
{
	config_defaults(out);
	if (!in)
		return 0;
	if (in->size < offsetof(struct bz_config, cpus_per_node) || in->size > (1u << 16)) {
		bz__log(NULL, BZ_LOG_ERR, "bz_config.size is %zu: call bz_config_init() first", in->size);
		return -EINVAL;
	}
	memcpy(out, in, BZ_MIN(in->size, sizeof(*out)));
	out->size = sizeof(*out);
	return 0;
}

BZ_API int bz_system_create(const struct bz_config *user_cfg, bz_system **out)
{
	struct bz_config cfg;
	struct bz_system *sys;
	unsigned os_fail = 0, os_skip = 0;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = copy_config(user_cfg, &cfg);
	if (ret)
		return ret;
	sys = calloc(1, sizeof(*sys));
	if (!sys)
		return -ENOMEM;
	static _Atomic uint64_t next_id = 1;

	sys->id = atomic_fetch_add(&next_id, 1);
	sys->log = cfg.log;
	sys->log_arg = cfg.log_arg;
	pthread_mutex_init(&sys->sysctl_lock, NULL);
	ret = bz__sysctl_init(sys, &cfg);
	if (!ret)
		ret = bz__debug_init(sys, &cfg);
	if (!ret)
		ret = bz__fail_init(sys, &cfg, &os_fail, &os_skip);
	if (!ret) {
		bz__os_fail_arm(os_fail, os_skip); /* the spec's os= failures hit this creation only */
		ret = bz__build_system(sys, &cfg);
		if (!ret)
			ret = bz__debug_start(sys);
		bz__os_fail_arm(0, 0);
	}
	if (!ret) {
		bz__pcp_system_created(sys);
		ret = registry_add(sys);
	}
	if (ret) {
		bz__free_system_memory(sys);
		pthread_mutex_destroy(&sys->sysctl_lock);
		free(sys);
		return ret;
	}
	sys->magic = BZ_SYSTEM_MAGIC;
	ret = bz__stats_publish_start(sys, &cfg);
	if (ret) {
		bz_system_destroy(sys);
		return ret;
	}
	*out = sys;
	return 0;
}

BZ_API void bz_system_destroy(bz_system *sys)
{
	struct bz_system *dflt = sys;

	if (!sys || sys->magic != BZ_SYSTEM_MAGIC)
		return;
	bz__stats_publish_stop(sys);    /* its thread reads the system: first */
	/* kswapd and the page reporting worker free into the system: stopped before it goes. */
	bz__vmscan_system_destroy(sys);
	bz__page_reporting_system_destroy(sys);
	/* The default system, once destroyed, stays gone: NULL then means "no system". */
	atomic_compare_exchange_strong(&bz__default_sys, &dflt, NULL);
	bz__tcache_lock();
	registry_del(sys);
	bz__pcp_system_destroy(sys);
	bz__tcache_unlock();
	sys->magic = 0;
	bz__free_system_memory(sys);
	pthread_mutex_destroy(&sys->sysctl_lock);
	free(sys);
}

struct bz_system *_Atomic bz__default_sys;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void create_default(void)
{
	bz_system *sys;

	if (bz_system_create(NULL, &sys) == 0)
		atomic_store_explicit(&bz__default_sys, sys, memory_order_release);
}

BZ_API bz_system *bz_default_system(void)
{
	struct bz_system *sys = atomic_load_explicit(&bz__default_sys, memory_order_acquire);

	if (bz_likely(sys))
		return sys;
	pthread_once(&default_once, create_default);
	return atomic_load_explicit(&bz__default_sys, memory_order_acquire);
}

struct bz_system *bz__resolve(bz_system *sys)
{
	return sys ? sys : bz_default_system();
}

BZ_API int bz_nr_nodes(bz_system *sys)
{
	sys = bz__resolve(sys);
	return sys ? sys->nr_nodes : -EINVAL;
}

BZ_API int bz_zone_stats(bz_system *sys, int nid, int zid, struct bz_zone_stats *st)
{
	struct bz_zone_stats s;
	struct bz_zone *z;
	size_t size;

	sys = bz__resolve(sys);
	if (!sys || !st || nid < 0 || nid >= sys->nr_nodes || zid < 0 || zid >= BZ_MAX_NR_ZONES ||
	    st->size < sizeof(size_t))
		return -EINVAL;
	z = &sys->nodes[nid]->zones[zid];
	memset(&s, 0, sizeof(s));
	s.start_pfn = z->zone_start_pfn;
	s.spanned = z->spanned_pages;
	s.present = z->present_pages;
	s.managed = z->managed_pages;
	s.free = (unsigned long)zone_page_state(z, NR_FREE_PAGES);
	s.cached = bz__zone_cached(z);
	s.allocated = s.managed >= s.free + s.cached ? s.managed - s.free - s.cached : 0;
	s.wmark_min = atomic_load(&z->watermark[WMARK_MIN]);
	s.wmark_low = atomic_load(&z->watermark[WMARK_LOW]);
	s.wmark_high = atomic_load(&z->watermark[WMARK_HIGH]);
	s.wmark_promo = atomic_load(&z->watermark[WMARK_PROMO]);
	s.boost = atomic_load(&z->watermark_boost);
	for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
		s.lowmem_reserve[i] = (unsigned long)atomic_load(&z->lowmem_reserve[i]);
	bz__zone_lock(z);
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		s.nr_free[o] = z->free_area[o].nr_free;
	s.nr_zone_locked = z->nr_zone_locked;
	s.nr_extfrag = z->nr_extfrag;
	s.nr_extfrag_claimed = z->nr_extfrag_claimed;
	s.nr_pcpu_drain = z->nr_pcpu_drain;
	bz__zone_unlock(z);
	s.pcp_batch = (unsigned long)atomic_load(&z->pcp_batch);
	s.pcp_high_min = (unsigned long)atomic_load(&z->pcp_high_min);
	s.pcp_high_max = (unsigned long)atomic_load(&z->pcp_high_max);
	size = BZ_MIN(st->size, sizeof(s));
	s.size = st->size;
	memcpy(st, &s, size);
	return 0;
}
