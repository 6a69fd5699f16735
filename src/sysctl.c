/* SPDX-License-Identifier: MIT */
/*
 * sysctl.c - the tunables of /proc/sys/vm that the page allocator reads:
 * min_free_kbytes, watermark_scale_factor, watermark_boost_factor,
 * lowmem_reserve_ratio, percpu_pagelist_high_fraction, numa_zonelist_order
 * and zone_reclaim_mode, plus libbuddyzone's page_reporting_order and
 * page_reporting_delay_ms.  It owns sys->sysctl: the values at creation
 * (bz_config, then BUDDYZONE_<NAME>, then the kernel's defaults), their
 * limits (the kernel's proc handlers), reading and writing them at run
 * time, and what each write recomputes.
 *
 * One table row per tunable.  A write takes sys->sysctl_lock, checks the
 * value against the limits, stores it and calls what the kernel's handler
 * calls (setup_per_zone_wmarks, setup_per_zone_lowmem_reserve, ...), so a
 * rejected write changes nothing and an accepted one is visible at once.
 * We run the handler's recomputation rather than bz__recompute_watermarks()
 * because the latter is the boot path: it would also recompute an unset
 * min_free_kbytes against the current watermarks, which a sysctl write in
 * the kernel never does.  Fields are stored with relaxed atomic stores so
 * that lock-free readers (the allocation path) may load them once, as the
 * kernel reads its sysctl variables.
 *
 * Values are parsed as proc_dointvec does (decimal, 0x hex or 0 octal, an
 * optional '-', space-separated vectors, fewer values than the vector
 * allowed), but strictly: trailing junk, extra vector values or out-of-int
 * numbers are -EINVAL where the kernel would quietly stop parsing.
 *
 * transparent_hugepage is /sys/kernel/mm/transparent_hugepage/enabled:
 * "always", "madvise" or "never", read back as that file shows it
 * ("always [madvise] never").
 *
 * Extensions: numa_zonelist_order accepts "Zone" (zone order, which the
 * kernel dropped in 4.14; seeds/001 describes it) and reads back as "Node"
 * or "Zone".  Negative lowmem_reserve_ratio entries become 0, as in the
 * kernel's lowmem_reserve_ratio_sysctl_handler (BZ_DEFAULT, -1, in bz_config
 * means "not set").
 */
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "pcp.h"

#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8
#define MAX_WATERMARK_SCALE_FACTOR        3000 /* SYSCTL_THREE_THOUSAND */
#define INITIAL_MIN_FREE_KBYTES           1024 /* until calculate_min_free_kbytes() */

enum sysctl_kind { SYSCTL_INT, SYSCTL_INTVEC, SYSCTL_ZONELIST_ORDER, SYSCTL_THP };

struct sysctl_def {
	const char *name;
	enum sysctl_kind kind;
	size_t offset;          /* in struct bz_sysctls */
	size_t cfg_offset;      /* in struct bz_config */
	bool cfg_long;          /* the bz_config field is a long */
	int min, max;           /* extra1, extra2 of the kernel's ctl_table */
	int defaults[BZ_MAX_NR_ZONES];
	void (*changed)(struct bz_system *sys); /* the handler's recomputation */
	bool always;            /* the handler recomputes even for the same value */
};

static void min_free_kbytes_changed(struct bz_system *sys);
static void percpu_pagelist_high_fraction_changed(struct bz_system *sys);

#define S(field) offsetof(struct bz_sysctls, field)
#define C(field) offsetof(struct bz_config, field)

static const struct sysctl_def sysctl_table[] = {
	/* min_free_kbytes_sysctl_handler: proc_dointvec_minmax, extra1 = SYSCTL_ZERO */
	{ "min_free_kbytes", SYSCTL_INT, S(min_free_kbytes), C(min_free_kbytes), true,
	  0, INT_MAX, { INITIAL_MIN_FREE_KBYTES }, min_free_kbytes_changed, true },
	/* watermark_scale_factor_sysctl_handler: SYSCTL_ONE .. SYSCTL_THREE_THOUSAND */
	{ "watermark_scale_factor", SYSCTL_INT, S(watermark_scale_factor),
	  C(watermark_scale_factor), false, 1, MAX_WATERMARK_SCALE_FACTOR, { 10 },
	  bz__setup_per_zone_wmarks, true },
	/* proc_dointvec_minmax, extra1 = SYSCTL_ZERO; read at the next boost */
	{ "watermark_boost_factor", SYSCTL_INT, S(watermark_boost_factor),
	  C(watermark_boost_factor), false, 0, INT_MAX, { 15000 }, NULL, false },
	/* lowmem_reserve_ratio_sysctl_handler: no limits, values < 1 become 0 */
	{ "lowmem_reserve_ratio", SYSCTL_INTVEC, S(lowmem_reserve_ratio),
	  C(lowmem_reserve_ratio), false, INT_MIN, INT_MAX, { 256, 256, 32, 0, 0 },
	  bz__setup_per_zone_lowmem_reserve, true },
	/* percpu_pagelist_high_fraction_sysctl_handler: 0, or at least 8 */
	{ "percpu_pagelist_high_fraction", SYSCTL_INT, S(percpu_pagelist_high_fraction),
	  C(percpu_pagelist_high_fraction), false, 0, INT_MAX, { 0 },
	  percpu_pagelist_high_fraction_changed, false },
	/* numa_zonelist_order_handler only checks; we rebuild for "Zone" (ours) */
	{ "numa_zonelist_order", SYSCTL_ZONELIST_ORDER, S(numa_zonelist_order),
	  C(numa_zonelist_order), false, 0, 1, { 0 }, bz__build_all_zonelists, false },
	/* mm/vmscan.c: proc_dointvec_minmax, extra1 = SYSCTL_ZERO */
	{ "zone_reclaim_mode", SYSCTL_INT, S(zone_reclaim_mode), C(zone_reclaim_mode), false,
	  0, INT_MAX, { 0 }, NULL, false },
	/*
	 * libbuddyzone's own, not in /proc/sys/vm (page_reporting.c): the
	 * kernel's page_reporting.page_reporting_order module parameter (0 to
	 * MAX_PAGE_ORDER, default pageblock_order), and the delay the kernel
	 * fixes at PAGE_REPORTING_DELAY (2 s), in ms; 0 turns reporting off.
	 */
	{ "page_reporting_order", SYSCTL_INT, S(page_reporting_order), C(page_reporting_order), false,
	  0, BZ_MAX_ORDER, { BZ_PAGEBLOCK_ORDER }, NULL, false },
	{ "page_reporting_delay_ms", SYSCTL_INT, S(page_reporting_delay_ms), C(page_reporting_delay_ms), false,
	  0, 3600000, { 2000 }, NULL, false },
	/* /sys/kernel/mm/transparent_hugepage/enabled: enabled_store() -> start_stop_khugepaged() */
	{ "transparent_hugepage", SYSCTL_THP, S(transparent_hugepage), C(transparent_hugepage), false,
	  BZ_THP_NEVER, BZ_THP_ALWAYS, { BZ_THP_NEVER }, bz__start_stop_khugepaged, true },
};

#undef S
#undef C

/* ---- handlers -------------------------------------------------------------- */

static int *field_of(struct bz_sysctls *s, const struct sysctl_def *def)
{
	return (int *)((char *)s + def->offset);
}

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

/* ---- parsing ------------------------------------------------------------------ */

static const struct sysctl_def *find_def(const char *name)
{
	for (size_t i = 0; i < BZ_ARRAY_SIZE(sysctl_table); i++)
		if (strcmp(sysctl_table[i].name, name) == 0)
			return &sysctl_table[i];
	return NULL;
}

static const char *skip_spaces(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/*
 * proc_get_long() + proc_int_conv(): one int at *pp, '-' allowed, base as
 * strtoul's 0 (the kernel's too), ending at a space or the end of the text.
 */
static int parse_int(const char **pp, int *out)
{
	const char *p = *pp;
	unsigned long v;
	bool neg = false;
	char *end;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 0);
	if (errno == ERANGE || (*end && !isspace((unsigned char)*end)))
		return -EINVAL;
	if (neg ? v > (unsigned long)INT_MAX + 1 : v > (unsigned long)INT_MAX)
		return -EINVAL;
	*out = neg ? (int)(0 - v) : (int)v;
	*pp = end;
	return 0;
}

/* Up to n ints separated by spaces; *count says how many were there. */
static int parse_ints(const char *text, int *vals, int n, int *count)
{
	const char *p = skip_spaces(text);
	int i = 0;

	while (*p) {
		if (i == n || parse_int(&p, &vals[i]))
			return -EINVAL;
		i++;
		p = skip_spaces(p);
	}
	*count = i;
	return i ? 0 : -EINVAL;
}

/*
 * __parse_numa_zonelist_order() looks at the first letter only (d, n);
 * we want the whole word, any case: "Node", "Default", or our "Zone".
 */
static int parse_zonelist_order(const char *text, int *out)
{
	static const struct { const char *word; int order; } words[] = {
		{ "node", 0 }, { "default", 0 }, { "zone", 1 },
	};
	const char *p = skip_spaces(text);

	for (size_t i = 0; i < BZ_ARRAY_SIZE(words); i++) {
		size_t len = strlen(words[i].word);

		if (strncasecmp(p, words[i].word, len) == 0 && !*skip_spaces(p + len)) {
			*out = words[i].order;
			return 0;
		}
	}
	return -EINVAL;
}

/* enabled_store(): one of the three words (sysfs_streq: a trailing newline allowed). */
static const char *const thp_words[] = { [BZ_THP_NEVER] = "never", [BZ_THP_MADVISE] = "madvise",
					 [BZ_THP_ALWAYS] = "always" };

static int parse_thp(const char *text, int *out)
{
	const char *p = skip_spaces(text);

	for (int i = 0; i < (int)BZ_ARRAY_SIZE(thp_words); i++) {
		size_t len = strlen(thp_words[i]);

		if (strncmp(p, thp_words[i], len) == 0 && !*skip_spaces(p + len)) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* The limits of the kernel's handler for one value. */
static int check_limits(const struct sysctl_def *def, int v)
{
	if (v < def->min || v > def->max)
		return -EINVAL;
	if (def->offset == offsetof(struct bz_sysctls, percpu_pagelist_high_fraction) &&
	    v && v < MIN_PERCPU_PAGELIST_HIGH_FRACTION)
		return -EINVAL;
	return 0;
}

static const char *limits_text(const struct sysctl_def *def)
{
	switch (def->offset) {
	case offsetof(struct bz_sysctls, page_reporting_order):
		return "an integer from 0 to 10";
	case offsetof(struct bz_sysctls, page_reporting_delay_ms):
		return "an integer from 0 (off) to 3600000";
	case offsetof(struct bz_sysctls, watermark_scale_factor):
		return "an integer from 1 to 3000";
	case offsetof(struct bz_sysctls, percpu_pagelist_high_fraction):
		return "0, or an integer of at least 8";
	case offsetof(struct bz_sysctls, lowmem_reserve_ratio):
		return "up to 5 integers separated by spaces";
	case offsetof(struct bz_sysctls, numa_zonelist_order):
		return "\"Node\", \"Default\" or \"Zone\"";
	case offsetof(struct bz_sysctls, transparent_hugepage):
		return "\"always\", \"madvise\" or \"never\"";
	default:
		return "an integer of at least 0";
	}
}

static void log_invalid(const struct bz_system *sys, const struct sysctl_def *def,
			const char *origin, const char *text)
{
	bz__log(sys, BZ_LOG_ERR, "%s: invalid %s value \"%s\": expected %s",
		origin, def->name, text, limits_text(def));
}

/*
 * Parses text into vals (which holds the current values: a short vector
 * leaves the rest as they are) and checks the limits.
 */
static int parse_value(const struct sysctl_def *def, const char *text, int vals[BZ_MAX_NR_ZONES])
{
	int count, ret;

	switch (def->kind) {
	case SYSCTL_ZONELIST_ORDER:
		ret = parse_zonelist_order(text, &vals[0]);
		break;
	case SYSCTL_THP:
		ret = parse_thp(text, &vals[0]);
		break;
	case SYSCTL_INTVEC:
		ret = parse_ints(text, vals, BZ_MAX_NR_ZONES, &count);
		for (int i = 0; !ret && i < count; i++)
			vals[i] = BZ_MAX(vals[i], 0); /* "if (ratio < 1) ratio = 0" */
		break;
	default:
		ret = parse_ints(text, vals, 1, &count);
		if (!ret)
			ret = check_limits(def, vals[0]);
		break;
	}
	return ret;
}

/* ---- creation: bz_config, then BUDDYZONE_<NAME>, then the default ----------------- */

/* The config's values for def; false when left at BZ_DEFAULT. */
static bool config_values(const struct bz_config *cfg, const struct sysctl_def *def,
			  long vals[BZ_MAX_NR_ZONES], int *n)
{
	const char *base = (const char *)cfg + def->cfg_offset;
	bool set = false;

	*n = def->kind == SYSCTL_INTVEC ? BZ_MAX_NR_ZONES : 1;
	for (int i = 0; i < *n; i++) {
		if (def->cfg_long)
			memcpy(&vals[i], base, sizeof(long));
		else
			vals[i] = ((const int *)base)[i];
		set |= vals[i] != BZ_DEFAULT;
	}
	return set;
}

/* Config values: checked like a write; BZ_DEFAULT vector entries keep the default. */
static int init_from_config(struct bz_system *sys, const struct sysctl_def *def,
			    const long cfgv[BZ_MAX_NR_ZONES], int n, int vals[BZ_MAX_NR_ZONES])
{
	for (int i = 0; i < n; i++) {
		long v = cfgv[i];

		if (def->kind == SYSCTL_INTVEC) {
			if (v != BZ_DEFAULT)
				vals[i] = v < 0 ? 0 : (int)BZ_MIN(v, (long)INT_MAX);
			continue;
		}
		if (v < def->min || v > def->max || check_limits(def, (int)v)) {
			bz__log(sys, BZ_LOG_ERR, "bz_config: invalid %s value %ld: expected %s",
				def->name, v, def->kind == SYSCTL_ZONELIST_ORDER ? "0 (Node) or 1 (Zone)" :
				def->kind == SYSCTL_THP ? "a BZ_THP_* value" : limits_text(def));
			return -EINVAL;
		}
		vals[i] = (int)v;
	}
	return 0;
}

static void env_name(const struct sysctl_def *def, char *buf, size_t size)
{
	size_t i = (size_t)snprintf(buf, size, "BUDDYZONE_");

	for (const char *p = def->name; *p && i + 1 < size; p++)
		buf[i++] = (char)toupper((unsigned char)*p);
	buf[i] = '\0';
}

static int init_one(struct bz_system *sys, const struct bz_config *cfg,
		    const struct sysctl_def *def)
{
	int vals[BZ_MAX_NR_ZONES], *field = field_of(&sys->sysctl, def);
	long cfgv[BZ_MAX_NR_ZONES];
	const char *env;
	char name[64];
	int n, ret;

	memcpy(vals, def->defaults, sizeof(vals));
	env_name(def, name, sizeof(name));
	env = getenv(name);
	if (cfg && config_values(cfg, def, cfgv, &n)) {
		ret = init_from_config(sys, def, cfgv, n, vals);
	} else if (env) {
		ret = parse_value(def, env, vals);
		if (ret)
			log_invalid(sys, def, name, env);
	} else {
		return 0;	/* the defaults, already in place */
	}
	if (ret)
		return ret;
	memcpy(field, vals, (def->kind == SYSCTL_INTVEC ? BZ_MAX_NR_ZONES : 1) * sizeof(int));
	if (def->changed == min_free_kbytes_changed)
		sys->sysctl.user_min_free_kbytes = vals[0];
	return 0;
}

/*
 * Fills sys->sysctl before the zones exist.  min_free_kbytes stays at the
 * kernel's initial 1024 until bz__recompute_watermarks() computes it, unless
 * the user gave one (it is then user_min_free_kbytes too, and kept).
 */
int bz__sysctl_init(struct bz_system *sys, const struct bz_config *cfg)
{
	struct bz_sysctls *s = &sys->sysctl;

	for (size_t i = 0; i < BZ_ARRAY_SIZE(sysctl_table); i++) {
		const struct sysctl_def *def = &sysctl_table[i];

		memcpy(field_of(s, def), def->defaults,
		       (def->kind == SYSCTL_INTVEC ? BZ_MAX_NR_ZONES : 1) * sizeof(int));
	}
	s->user_min_free_kbytes = -1;
	for (size_t i = 0; i < BZ_ARRAY_SIZE(sysctl_table); i++) {
		int ret = init_one(sys, cfg, &sysctl_table[i]);

		if (ret)
			return ret;
	}
	return 0;
}

/* ---- run time ---------------------------------------------------------------------- */

static const struct sysctl_def *lookup(const struct bz_system *sys, const char *name)
{
	const struct sysctl_def *def = name ? find_def(name) : NULL;

	if (!def)
		bz__log(sys, BZ_LOG_ERR, "sysctl: unknown tunable \"%s\"", name ? name : "(null)");
	return def;
}

BZ_API int bz_sysctl_set(bz_system *sys, const char *name, const char *value)
{
	const struct sysctl_def *def;
	int vals[BZ_MAX_NR_ZONES], *field, n, ret;
	bool changed = false;

	sys = bz__resolve(sys);
	if (!sys || !value)
		return -EINVAL;
	def = lookup(sys, name);
	if (!def)
		return -EINVAL;
	n = def->kind == SYSCTL_INTVEC ? BZ_MAX_NR_ZONES : 1;

	pthread_mutex_lock(&sys->sysctl_lock);
	field = field_of(&sys->sysctl, def);
	memcpy(vals, field, (size_t)n * sizeof(int));
	ret = parse_value(def, value, vals);
	if (!ret && (def->always || memcmp(vals, field, (size_t)n * sizeof(int)) != 0)) {
		for (int i = 0; i < n; i++)
			store(&field[i], vals[i]);
		if (def->changed)
			def->changed(sys);
		changed = true;
	}
	pthread_mutex_unlock(&sys->sysctl_lock);
	/* Pageset limits may have moved: the caches follow, outside sysctl_lock (fork takes it inside ours). */
	if (changed)
		bz__pcp_retune(sys);
	if (ret)	/* the log callback runs with no lock of ours held */
		log_invalid(sys, def, "sysctl", value);
	return ret;
}

/* The text /proc/sys/vm/<name> shows, without its final newline. */
static int format_value(const struct sysctl_def *def, const int *field, char *buf, size_t size)
{
	size_t len = 0;
	int n;

	switch (def->kind) {
	case SYSCTL_ZONELIST_ORDER:
		n = snprintf(buf, size, "%s", field[0] ? "Zone" : "Node");
		return n < 0 || (size_t)n >= size ? -ERANGE : 0;
	case SYSCTL_THP:	/* enabled_show(): the current word in brackets */
		n = snprintf(buf, size, field[0] == BZ_THP_ALWAYS ? "[always] madvise never" :
				  field[0] == BZ_THP_MADVISE ? "always [madvise] never" : "always madvise [never]");
		return n < 0 || (size_t)n >= size ? -ERANGE : 0;
	case SYSCTL_INTVEC:
		for (int i = 0; i < BZ_MAX_NR_ZONES; i++) {
			n = snprintf(buf + len, size - len, i ? "\t%d" : "%d", field[i]);
			if (n < 0 || (size_t)n >= size - len)
				return -ERANGE;
			len += (size_t)n;
		}
		return 0;
	default:
		n = snprintf(buf, size, "%d", field[0]);
		return n < 0 || (size_t)n >= size ? -ERANGE : 0;
	}
}

BZ_API int bz_sysctl_get(bz_system *sys, const char *name, char *buf, size_t size)
{
	const struct sysctl_def *def;
	int ret;

	sys = bz__resolve(sys);
	if (!sys || !buf)
		return -EINVAL;
	def = lookup(sys, name);
	if (!def)
		return -EINVAL;
	if (!size)
		return -ERANGE;
	pthread_mutex_lock(&sys->sysctl_lock);
	ret = format_value(def, field_of(&sys->sysctl, def), buf, size);
	pthread_mutex_unlock(&sys->sysctl_lock);
	if (ret)
		buf[0] = '\0';
	return ret;
}
