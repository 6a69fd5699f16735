/* SPDX-License-Identifier: MIT */
/*
 * system.c - a system's lifetime: its config, its creation (every layer
 * below built and started in order) and destruction (stopped in the
 * reverse order), and the process's default system, which every public
 * call reaches by passing NULL (bz__resolve).  Also the public calls on a
 * system as a whole whose work lives in the layers below: draining the
 * thread caches, trimming, checking, and registering shrinkers and OOM
 * notifiers.  Each resolves its system here and calls its owner.
 */
#include <stdlib.h>
#include <string.h>

#include "system.h"

static struct bz_system *_Atomic default_sys;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

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
	cfg->hugetlb_page_size = (unsigned long)BZ_DEFAULT;
	cfg->debug_check_interval = (unsigned long)BZ_DEFAULT;
	cfg->hotplug_reserve = (unsigned long)BZ_DEFAULT;
	cfg->transparent_hugepage = BZ_DEFAULT;
	cfg->compaction = BZ_DEFAULT;
	cfg->extfrag_threshold = BZ_DEFAULT;
	cfg->compaction_proactiveness = BZ_DEFAULT;
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
	bz__fork_init();
	sys = calloc(1, sizeof(*sys));
	if (!sys)
		return -ENOMEM;
	static _Atomic uint64_t next_id = 1;

	sys->id = atomic_fetch_add(&next_id, 1);
	sys->log = cfg.log;
	sys->log_arg = cfg.log_arg;
	pthread_mutex_init(&sys->sysctl_lock, NULL);
	ret = bz__options_resolve(sys, &cfg);
	if (!ret)
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
	if (!ret)
		ret = bz__compaction_init(sys, &cfg);
	if (!ret) {
		ret = bz__registry_add(sys);
		if (ret)
			bz__compaction_system_destroy(sys);
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
	/* kcompactd, kswapd and the page reporting worker free into the system: stopped before it goes. */
	bz__compaction_system_destroy(sys);
	bz__vmscan_system_destroy(sys);
	bz__page_reporting_system_destroy(sys);
	bz__reclaim_destroy(sys);
	/* The default system, once destroyed, stays gone: NULL then means "no system". */
	atomic_compare_exchange_strong(&default_sys, &dflt, NULL);
	bz__tcache_lock();
	bz__registry_del(sys);
	bz__tcache_system_destroy(sys);
	bz__tcache_unlock();
	sys->magic = 0;
	bz__free_system_memory(sys);
	pthread_mutex_destroy(&sys->sysctl_lock);
	free(sys);
}


static void create_default(void)
{
	bz_system *sys;

	if (bz_system_create(NULL, &sys) == 0)
		atomic_store_explicit(&default_sys, sys, memory_order_release);
}

BZ_API bz_system *bz_default_system(void)
{
	struct bz_system *sys = atomic_load_explicit(&default_sys, memory_order_acquire);

	if (bz_likely(sys))
		return sys;
	pthread_once(&default_once, create_default);
	return atomic_load_explicit(&default_sys, memory_order_acquire);
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
	struct bz_zone_snapshot snap;
	struct bz_zone_stats s;
	size_t size;

	sys = bz__resolve(sys);
	if (!sys || !st || nid < 0 || nid >= sys->nr_nodes || zid < 0 || zid >= BZ_MAX_NR_ZONES ||
	    st->size < sizeof(size_t))
		return -EINVAL;
	bz__zone_snapshot(&sys->nodes[nid]->zones[zid], BZ_SNAP_FREE_AREA | BZ_SNAP_CACHED, &snap);
	memset(&s, 0, sizeof(s));
	s.start_pfn = snap.start_pfn;
	s.spanned = snap.spanned;
	s.present = snap.present;
	s.managed = snap.managed;
	s.free = snap.free;
	s.cached = snap.cached;
	s.allocated = snap.allocated;
	s.wmark_min = snap.wmark[WMARK_MIN];
	s.wmark_low = snap.wmark[WMARK_LOW];
	s.wmark_high = snap.wmark[WMARK_HIGH];
	s.wmark_promo = snap.wmark[WMARK_PROMO];
	s.boost = snap.boost;
	for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
		s.lowmem_reserve[i] = (unsigned long)snap.lowmem_reserve[i];
	memcpy(s.nr_free, snap.nr_free, sizeof(s.nr_free));
	s.pcp_batch = (unsigned long)snap.pcp_batch;
	s.pcp_high_min = (unsigned long)snap.pcp_high_min;
	s.pcp_high_max = (unsigned long)snap.pcp_high_max;
	s.lock_contended = snap.lock_contended;
	s.nr_zone_locked = snap.nr_zone_locked;
	s.nr_extfrag = snap.nr_extfrag;
	s.nr_extfrag_claimed = snap.nr_extfrag_claimed;
	s.nr_pcpu_drain = snap.nr_pcpu_drain;
	size = BZ_MIN(st->size, sizeof(s));
	s.size = st->size;
	memcpy(st, &s, size);
	return 0;
}

/* ---- calls on a system as a whole ------------------------------------------------------- */

BZ_API int bz_drain_all_pages(bz_system *sys)
{
	int ret;

	sys = bz__resolve(sys);
	if (!sys)
		return -EINVAL;
	ret = bz__tcache_drain_all(sys);
	bz__page_reporting_poll(sys);
	return ret;
}

BZ_API long bz_trim(bz_system *sys)
{
	sys = bz__resolve(sys);
	if (!sys)
		return -EINVAL;
	bz__tcache_drain_all(sys);
	return bz__page_reporting_trim(sys);
}

BZ_API int bz_check(bz_system *sys)
{
	sys = bz__resolve(sys);
	if (!sys)
		return -EINVAL;
	return bz__check(sys, false);
}

/* compact_nodes() / the node's compact file: compact_node() by hand, in MIGRATE_SYNC. */
BZ_API int bz_compact(bz_system *sys, int nid)
{
	sys = bz__resolve(sys);
	if (!sys || nid < -1 || nid >= sys->nr_nodes) {
		bz__log(sys, BZ_LOG_ERR, "bz_compact: node %d does not exist", nid);
		return -EINVAL;
	}
	if (!sys->compaction) {
		bz__log(sys, BZ_LOG_ERR, "bz_compact: compaction is off (bz_config.compaction)");
		return -EOPNOTSUPP;
	}
	for (int n = 0; n < sys->nr_nodes; n++)
		if (nid < 0 || n == nid)
			bz__compact_node(sys, n, false);
	bz__page_reporting_poll(sys);
	return 0;
}

BZ_API int bz_shrinker_register(bz_system *sys, struct bz_shrinker *s)
{
	sys = bz__resolve(sys);
	if (!sys)
		return -EINVAL;
	return bz__shrinker_register(sys, s);
}

BZ_API void bz_shrinker_unregister(bz_system *sys, struct bz_shrinker *s)
{
	sys = bz__resolve(sys);
	if (sys)
		bz__shrinker_unregister(sys, s);
}

BZ_API int bz_register_oom_notifier(bz_system *sys, struct bz_oom_notifier *nb)
{
	sys = bz__resolve(sys);
	if (!sys)
		return -EINVAL;
	return bz__register_oom_notifier(sys, nb);
}

BZ_API int bz_unregister_oom_notifier(bz_system *sys, struct bz_oom_notifier *nb)
{
	sys = bz__resolve(sys);
	if (!sys)
		return -EINVAL;
	return bz__unregister_oom_notifier(sys, nb);
}
