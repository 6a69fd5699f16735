/* SPDX-License-Identifier: MIT */
/*
 * sysctl.c - the tunables at run time: bz_sysctl_set() and bz_sysctl_get()
 * over the table in options.c (names, limits, parsing, initial values),
 * and what each write recomputes; also bz_fault_inject_set(), the
 * kernel's debugfs fail_page_alloc files, and compact_memory, a trigger
 * rather than a tunable.
 *
 * One handler per tunable that recomputes something.  A write takes sys->sysctl_lock, checks the
 * value against the limits, stores it and calls what the kernel's handler
 * calls (setup_per_zone_wmarks, setup_per_zone_lowmem_reserve, ...), so a
 * rejected write changes nothing and an accepted one is visible at once.
 * We run the handler's recomputation rather than bz__recompute_watermarks()
 * because the latter is the boot path: it would also recompute an unset
 * min_free_kbytes against the current watermarks, which a sysctl write in
 * the kernel never does.  Fields are stored with relaxed atomic stores so
 * that lock-free readers (the allocation path) may load them once, as the
 * kernel reads its sysctl variables.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"

static const char *end_of_spaces(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

static void min_free_kbytes_changed(struct bz_system *sys);
static void percpu_pagelist_high_fraction_changed(struct bz_system *sys);

/* What each write recomputes: the kernel's handler, by sysctl name. */
static const struct {
	const char *name;
	void (*changed)(struct bz_system *sys);
	bool always;            /* the handler recomputes even for the same value */
} handlers[] = {
	{ "min_free_kbytes", min_free_kbytes_changed, true },
	{ "watermark_scale_factor", bz__setup_per_zone_wmarks, true },
	{ "lowmem_reserve_ratio", bz__setup_per_zone_lowmem_reserve, true },
	{ "percpu_pagelist_high_fraction", percpu_pagelist_high_fraction_changed, false },
	{ "numa_zonelist_order", bz__build_all_zonelists, false },
	/* enabled_store() -> start_stop_khugepaged() -> set_recommended_min_free_kbytes() */
	{ "transparent_hugepage", bz__start_stop_khugepaged, true },
};

/* ---- handlers -------------------------------------------------------------- */

static void store(int *field, int v)
{
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}

/* min_free_kbytes_sysctl_handler(): a written value is the user's from now on. */
static void min_free_kbytes_changed(struct bz_system *sys)
{
	store(&sys->sysctl.user_min_free_kbytes, sys->sysctl.min_free_kbytes);
	bz__setup_per_zone_wmarks(sys);
}

/* percpu_pagelist_high_fraction_sysctl_handler(): new high limits everywhere. */
static void percpu_pagelist_high_fraction_changed(struct bz_system *sys)
{
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			if (populated_zone(&sys->nodes[nid]->zones[zid]))
				bz__zone_pcp_update(&sys->nodes[nid]->zones[zid]);
}

/* The recomputation after a write; tunables without one are read where they are used. */
static void run_handler(struct bz_system *sys, const char *name)
{
	for (size_t i = 0; i < BZ_ARRAY_SIZE(handlers); i++)
		if (!strcmp(handlers[i].name, name))
			handlers[i].changed(sys);
}

static bool handler_always(const char *name)
{
	for (size_t i = 0; i < BZ_ARRAY_SIZE(handlers); i++)
		if (!strcmp(handlers[i].name, name))
			return handlers[i].always;
	return false;
}

/* ---- run time ---------------------------------------------------------------------- */

static const struct bz_sysctl_def *lookup(const struct bz_system *sys, const char *name)
{
	const struct bz_sysctl_def *def = name ? bz__sysctl_find(name) : NULL;

	if (!def)
		bz__log(sys, BZ_LOG_ERR, "sysctl: unknown tunable \"%s\"", name ? name : "(null)");
	return def;
}

/*
 * /proc/sys/vm/compact_memory (sysctl_compaction_handler): write-only, the
 * value must be 1 (proc_dointvec's text), and the write compacts every
 * node now, outside every lock of ours.
 */
static int compact_memory(struct bz_system *sys, const char *value)
{
	char *end;
	long v;

	errno = 0;
	v = value ? strtol(value, &end, 0) : 0;
	if (!value || errno || end == value || *end_of_spaces(end) || v != 1) {
		bz__log(sys, BZ_LOG_ERR, "sysctl: invalid compact_memory value \"%s\": expected 1",
			value ? value : "(null)");
		return -EINVAL;
	}
	return bz_compact(sys, -1);
}

BZ_API int bz_sysctl_set(bz_system *sys, const char *name, const char *value)
{
	const struct bz_sysctl_def *def;
	int vals[BZ_MAX_NR_ZONES], *field, n, ret;
	bool changed = false;

	sys = bz__resolve(sys);
	if (!sys)
		return -EINVAL;
	if (name && !strcmp(name, "compact_memory"))
		return compact_memory(sys, value);
	def = lookup(sys, name);
	if (!def)
		return -EINVAL;
	if (!value) {
		bz__log(sys, BZ_LOG_ERR, "sysctl: %s: NULL value", name);
		return -EINVAL;
	}
	n = bz__sysctl_nr_values(def);

	pthread_mutex_lock(&sys->sysctl_lock);
	field = bz__sysctl_field(&sys->sysctl, def);
	memcpy(vals, field, (size_t)n * sizeof(int));
	ret = bz__sysctl_parse(def, value, vals);
	if (!ret && (handler_always(name) || memcmp(vals, field, (size_t)n * sizeof(int)) != 0)) {
		for (int i = 0; i < n; i++)
			store(&field[i], vals[i]);
		run_handler(sys, name);
		changed = true;
	}
	pthread_mutex_unlock(&sys->sysctl_lock);
	/* Pageset limits may have moved: the caches follow, outside sysctl_lock (fork takes it inside ours). */
	if (changed)
		bz__tcache_retune_all(sys);
	/* compaction_proactiveness_sysctl_handler(): any write of a value above 0 asks for a proactive pass. */
	if (!ret && !strcmp(name, "compaction_proactiveness") && vals[0])
		bz__kcompactd_trigger_proactive(sys);
	if (ret)	/* the log callback runs with no lock of ours held */
		bz__sysctl_log_invalid(sys, def, "sysctl", value);
	return ret;
}

BZ_API int bz_sysctl_get(bz_system *sys, const char *name, char *buf, size_t size)
{
	const struct bz_sysctl_def *def;
	int ret;

	sys = bz__resolve(sys);
	if (!sys || !buf)
		return -EINVAL;
	if (name && !strcmp(name, "compact_memory"))
		return -EACCES;         /* mode 0200: write-only */
	def = lookup(sys, name);
	if (!def)
		return -EINVAL;
	if (!size)
		return -ERANGE;
	pthread_mutex_lock(&sys->sysctl_lock);
	ret = bz__sysctl_format(def, bz__sysctl_field(&sys->sysctl, def), buf, size);
	pthread_mutex_unlock(&sys->sysctl_lock);
	if (ret)
		buf[0] = '\0';
	return ret;
}

BZ_API int bz_fault_inject_set(bz_system *sys, const char *spec)
{
	sys = bz__resolve(sys);
	if (!sys)
		return -EINVAL;
	return bz__fail_set(sys, spec);
}
