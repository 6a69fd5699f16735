/* SPDX-License-Identifier: MIT */
/*
 * options.c - every setting a system is created with, in two tables of one
 * kind: a row per setting with its name (the environment variable is
 * BUDDYZONE_<NAME>), its bz_config field, its type, default, bounds and
 * parser.  One rule for all of them: a bz_config field left at BZ_DEFAULT
 * (NULL for text) takes the environment variable, else the default; a
 * value that does not parse or lies out of bounds, in the config or the
 * environment, refuses the creation with -EINVAL and a log line naming
 * it.  After bz__options_resolve() every field of the config is settled,
 * and no other file reads the environment but log.c, for BUDDYZONE_LOG:
 * the process's, not a system's, and read before any system exists (it
 * takes exactly "1" or "0", the same one rule).
 *
 * The first table is the tunables of /proc/sys/vm that the page allocator
 * reads (min_free_kbytes, watermark_scale_factor, watermark_boost_factor,
 * lowmem_reserve_ratio, percpu_pagelist_high_fraction, numa_zonelist_order,
 * zone_reclaim_mode, transparent_hugepage, extfrag_threshold,
 * compaction_proactiveness) plus libbuddyzone's page_reporting_order and
 * page_reporting_delay_ms, with the kernel's limits (its proc handlers')
 * and the text each takes and shows; sysctl.c writes them at run time and
 * recomputes what each write changes.  The second is the rest of
 * bz_config.
 *
 * Values are parsed as proc_dointvec does (decimal, 0x hex or 0 octal, an
 * optional '-', space-separated vectors, fewer values than the vector
 * allowed), but strictly: trailing junk, extra vector values or out-of-int
 * numbers are -EINVAL where the kernel would quietly stop parsing.
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

#include "mmzone.h"

#define OPTION_ENV_PREFIX "BUDDYZONE_"

#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8
#define MAX_WATERMARK_SCALE_FACTOR        3000 /* SYSCTL_THREE_THOUSAND */
#define INITIAL_MIN_FREE_KBYTES           1024 /* until calculate_min_free_kbytes() */

enum sysctl_kind { SYSCTL_INT, SYSCTL_INTVEC, SYSCTL_ZONELIST_ORDER, SYSCTL_THP };

struct bz_sysctl_def {
	const char *name;
	enum sysctl_kind kind;
	size_t offset;          /* in struct bz_sysctls */
	size_t cfg_offset;      /* in struct bz_config */
	bool cfg_long;          /* the bz_config field is a long */
	int min, max;           /* extra1, extra2 of the kernel's ctl_table */
	int defaults[BZ_MAX_NR_ZONES];
};

#define S(field) offsetof(struct bz_sysctls, field)
#define C(field) offsetof(struct bz_config, field)

static const struct bz_sysctl_def sysctl_table[] = {
	/* min_free_kbytes_sysctl_handler: proc_dointvec_minmax, extra1 = SYSCTL_ZERO */
	{ "min_free_kbytes", SYSCTL_INT, S(min_free_kbytes), C(min_free_kbytes), true,
	  0, INT_MAX, { INITIAL_MIN_FREE_KBYTES } },
	/* watermark_scale_factor_sysctl_handler: SYSCTL_ONE .. SYSCTL_THREE_THOUSAND */
	{ "watermark_scale_factor", SYSCTL_INT, S(watermark_scale_factor),
	  C(watermark_scale_factor), false, 1, MAX_WATERMARK_SCALE_FACTOR, { 10 } },
	/* proc_dointvec_minmax, extra1 = SYSCTL_ZERO; read at the next boost */
	{ "watermark_boost_factor", SYSCTL_INT, S(watermark_boost_factor),
	  C(watermark_boost_factor), false, 0, INT_MAX, { 15000 } },
	/* lowmem_reserve_ratio_sysctl_handler: no limits, values < 1 become 0 */
	{ "lowmem_reserve_ratio", SYSCTL_INTVEC, S(lowmem_reserve_ratio),
	  C(lowmem_reserve_ratio), false, INT_MIN, INT_MAX, { 256, 256, 32, 0, 0 } },
	/* percpu_pagelist_high_fraction_sysctl_handler: 0, or at least 8 */
	{ "percpu_pagelist_high_fraction", SYSCTL_INT, S(percpu_pagelist_high_fraction),
	  C(percpu_pagelist_high_fraction), false, 0, INT_MAX, { 0 } },
	/* numa_zonelist_order_handler only checks; we rebuild for "Zone" (ours) */
	{ "numa_zonelist_order", SYSCTL_ZONELIST_ORDER, S(numa_zonelist_order),
	  C(numa_zonelist_order), false, 0, 1, { 0 } },
	/* mm/vmscan.c: proc_dointvec_minmax, extra1 = SYSCTL_ZERO */
	{ "zone_reclaim_mode", SYSCTL_INT, S(zone_reclaim_mode), C(zone_reclaim_mode), false,
	  0, INT_MAX, { 0 } },
	/*
	 * libbuddyzone's own, not in /proc/sys/vm (page_reporting.c): the
	 * kernel's page_reporting.page_reporting_order module parameter (0 to
	 * MAX_PAGE_ORDER, default pageblock_order), and the delay the kernel
	 * fixes at PAGE_REPORTING_DELAY (2 s), in ms; 0 turns reporting off.
	 */
	{ "page_reporting_order", SYSCTL_INT, S(page_reporting_order), C(page_reporting_order), false,
	  0, BZ_MAX_ORDER, { BZ_PAGEBLOCK_ORDER } },
	{ "page_reporting_delay_ms", SYSCTL_INT, S(page_reporting_delay_ms), C(page_reporting_delay_ms), false,
	  0, 3600000, { 2000 } },
	/*
	 * /sys/kernel/mm/transparent_hugepage/enabled: "always", "madvise" or
	 * "never", read back as that file shows it ("always [madvise] never");
	 * enabled_store() -> start_stop_khugepaged() (sysctl.c).
	 */
	{ "transparent_hugepage", SYSCTL_THP, S(transparent_hugepage), C(transparent_hugepage), false,
	  BZ_THP_NEVER, BZ_THP_ALWAYS, { BZ_THP_NEVER } },
	/* mm/compaction.c vm_compaction[]: proc_dointvec_minmax, SYSCTL_ZERO .. SYSCTL_ONE_THOUSAND */
	{ "extfrag_threshold", SYSCTL_INT, S(extfrag_threshold), C(extfrag_threshold), false,
	  0, 1000, { 500 } },
	/* compaction_proactiveness_sysctl_handler: SYSCTL_ZERO .. SYSCTL_ONE_HUNDRED (sysctl.c wakes kcompactd) */
	{ "compaction_proactiveness", SYSCTL_INT, S(compaction_proactiveness), C(compaction_proactiveness), false,
	  0, 100, { 20 } },
};

#undef S
#undef C

int *bz__sysctl_field(struct bz_sysctls *s, const struct bz_sysctl_def *def)
{
	return (int *)((char *)s + def->offset);
}

int bz__sysctl_nr_values(const struct bz_sysctl_def *def)
{
	return def->kind == SYSCTL_INTVEC ? BZ_MAX_NR_ZONES : 1;
}

/* ---- parsing ------------------------------------------------------------------ */

const struct bz_sysctl_def *bz__sysctl_find(const char *name)
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
static int check_limits(const struct bz_sysctl_def *def, int v)
{
	if (v < def->min || v > def->max)
		return -EINVAL;
	if (def->offset == offsetof(struct bz_sysctls, percpu_pagelist_high_fraction) &&
	    v && v < MIN_PERCPU_PAGELIST_HIGH_FRACTION)
		return -EINVAL;
	return 0;
}

static const char *limits_text(const struct bz_sysctl_def *def)
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
	case offsetof(struct bz_sysctls, extfrag_threshold):
		return "an integer from 0 to 1000";
	case offsetof(struct bz_sysctls, compaction_proactiveness):
		return "an integer from 0 to 100";
	default:
		return "an integer of at least 0";
	}
}

void bz__sysctl_log_invalid(const struct bz_system *sys, const struct bz_sysctl_def *def,
			    const char *origin, const char *text)
{
	bz__log(sys, BZ_LOG_ERR, "%s: invalid %s value \"%s\": expected %s",
		origin, def->name, text, limits_text(def));
}

/*
 * Parses text into vals (which holds the current values: a short vector
 * leaves the rest as they are) and checks the limits.
 */
int bz__sysctl_parse(const struct bz_sysctl_def *def, const char *text, int vals[BZ_MAX_NR_ZONES])
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
static bool config_values(const struct bz_config *cfg, const struct bz_sysctl_def *def,
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
static int init_from_config(struct bz_system *sys, const struct bz_sysctl_def *def,
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

/* The environment variable of a setting: BUDDYZONE_ and its name in capitals. */
static void env_name(const char *name, char *buf, size_t size)
{
	size_t i = (size_t)snprintf(buf, size, OPTION_ENV_PREFIX);

	for (const char *p = name; *p && i + 1 < size; p++)
		buf[i++] = (char)toupper((unsigned char)*p);
	buf[i] = '\0';
}

/* The variable's text; NULL when it is unset or empty (an empty variable is an unset one). */
static const char *env_value(const char *name, char *var, size_t size)
{
	const char *v;

	env_name(name, var, size);
	v = getenv(var);
	return v && *v ? v : NULL;
}

static int init_one(struct bz_system *sys, const struct bz_config *cfg,
		    const struct bz_sysctl_def *def)
{
	int vals[BZ_MAX_NR_ZONES], *field = bz__sysctl_field(&sys->sysctl, def);
	long cfgv[BZ_MAX_NR_ZONES];
	const char *env;
	char name[64];
	int n, ret;

	memcpy(vals, def->defaults, sizeof(vals));
	env = env_value(def->name, name, sizeof(name));
	if (cfg && config_values(cfg, def, cfgv, &n)) {
		ret = init_from_config(sys, def, cfgv, n, vals);
	} else if (env) {
		ret = bz__sysctl_parse(def, env, vals);
		if (ret)
			bz__log(sys, BZ_LOG_ERR, "%s=\"%s\": expected %s", name, env, limits_text(def));
	} else {
		return 0;	/* the defaults, already in place */
	}
	if (ret)
		return ret;
	memcpy(field, vals, (def->kind == SYSCTL_INTVEC ? BZ_MAX_NR_ZONES : 1) * sizeof(int));
	if (def->offset == offsetof(struct bz_sysctls, min_free_kbytes))
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
		const struct bz_sysctl_def *def = &sysctl_table[i];

		memcpy(bz__sysctl_field(s, def), def->defaults,
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

/* The text /proc/sys/vm/<name> shows, without its final newline. */
int bz__sysctl_format(const struct bz_sysctl_def *def, const int *field, char *buf, size_t size)
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

/* ---- sizes: one grammar ------------------------------------------------------------ */

/*
 * NUMBER[K|M|G|T]: a decimal count, or with a suffix a size in bytes
 * (binary units, "MiB"/"MB" spellings too).  *bytes_given says which; the
 * caller knows what a bare number counts.  -EINVAL on anything else or on
 * overflow of 64 bits.  *end is left after the number and its suffix.
 */
int bz__parse_size(const char *s, const char **end, unsigned long long *value, bool *bytes_given)
{
	unsigned long long v;
	unsigned shift = 0;
	char *e;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*e)) {
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: break;
	}
	if (shift) {
		e++;
		if (toupper((unsigned char)e[0]) == 'I' && toupper((unsigned char)e[1]) == 'B')
			e += 2;
		else if (toupper((unsigned char)e[0]) == 'B')
			e++;
		if (v > (~0ull >> shift))
			return -EINVAL;
		v <<= shift;
	}
	*value = v;
	*bytes_given = shift != 0;
	*end = e;
	return 0;
}

int bz__parse_pages(const char *s, const char **end, unsigned long *pages)
{
	unsigned long long v;
	bool bytes;

	if (bz__parse_size(s, end, &v, &bytes))
		return -EINVAL;
	if (bytes)
		v >>= BZ_PAGE_SHIFT;
	if (v > BZ_MAX_PFNS)
		return -EINVAL;
	*pages = (unsigned long)v;
	return 0;
}

/* ---- the rest of bz_config ------------------------------------------------------------ */

enum option_kind {
	OPT_TEXT,       /* const char *: checked by its owner when used (zones, topology, fail_page_alloc) */
	OPT_INT,        /* int in [min, max] */
	OPT_WORD,       /* int, one of words[] (index) */
	OPT_PAGES,      /* unsigned long: pages, or a size; [0, BZ_MAX_PFNS] */
	OPT_HPAGE,      /* unsigned long: a huge page size in bytes: 2M or 1G */
	OPT_ULONG,      /* unsigned long in [min, max] */
	OPT_DEBUG,      /* unsigned: BZ_DEBUG_* flags, or their words; check=N sets debug_check_interval */
};

struct option_def {
	const char *name;               /* the variable is BUDDYZONE_<NAME> */
	enum option_kind kind;
	const char *field;              /* the bz_config field's name */
	size_t offset;                  /* in struct bz_config */
	long min, max;
	long dflt;                      /* what BZ_DEFAULT becomes (OPT_TEXT: NULL) */
	const char *const *words;       /* OPT_WORD, NULL-terminated */
	const char *expect;             /* what a good value looks like, for the log */
	const char *cfg_expect;         /* the same for bz_config, where it differs */
};

#define HPAGE_2M (2ul << 20)
#define HPAGE_1G (1ul << 30)
#define DEBUG_CHECK_INTERVAL 1000ul
#define BZ_DEBUG_ALL (BZ_DEBUG_POISON | BZ_DEBUG_INIT_ON_ALLOC | BZ_DEBUG_INIT_ON_FREE | BZ_DEBUG_GUARD | \
		      BZ_DEBUG_CHECK | BZ_DEBUG_ABORT)

static const char *const hugetlb_words[] = { "never", "preferred", "required", NULL };
static const char *const onoff_words[] = { "0", "1", NULL };

#define C(f) #f, offsetof(struct bz_config, f)

/* In the order they are resolved: debug before debug_check_interval (check=N). */
static const struct option_def option_table[] = {
	{ "zones", OPT_TEXT, C(zones), .expect = "NID:ZONE=PAGES[,...]" },
	{ "topology", OPT_TEXT, C(topology), .expect = "xml:PATH or synthetic:STRING" },
	{ "cpus_per_node", OPT_INT, C(cpus_per_node), .min = 0, .max = 4096, .dflt = BZ_DEFAULT,
	  .expect = "0..4096" },
	{ "hugetlb", OPT_WORD, C(hugetlb), .min = 0, .max = 2, .dflt = BZ_HUGETLB_PREFERRED, .words = hugetlb_words,
	  .expect = "never, preferred or required", .cfg_expect = "a BZ_HUGETLB_* policy (0, 1 or 2)" },
	{ "hugetlb_page_size", OPT_HPAGE, C(hugetlb_page_size), .dflt = (long)HPAGE_2M,
	  .expect = "2M or 1G (2 MiB or 1 GiB pages)" },
	{ "debug", OPT_DEBUG, C(debug), .dflt = 0,
	  .expect = "a comma-separated list of poison, init_on_alloc, init_on_free, guard, check, check=N (N > 0), "
		    "abort, or 0/off",
	  .cfg_expect = "BZ_DEBUG_* flags (it has bits that are no BZ_DEBUG_* flag)" },
	{ "debug_check_interval", OPT_ULONG, C(debug_check_interval), .min = 1, .max = LONG_MAX,
	  .dflt = (long)DEBUG_CHECK_INTERVAL, .expect = "at least 1" },
	{ "fail_page_alloc", OPT_TEXT, C(fail_page_alloc), .expect = "key=value,..." },
	{ "stats", OPT_WORD, C(publish_stats), .min = 0, .max = 1, .dflt = 0, .words = onoff_words,
	  .expect = "1 or 0" },
	/* 250: BZ_STATS_INTERVAL_MS (stats_shm.h) */
	{ "stats_interval_ms", OPT_INT, C(publish_interval_ms), .min = 1, .max = 3600000, .dflt = 250,
	  .expect = "1..3600000" },
	{ "hotplug_reserve", OPT_PAGES, C(hotplug_reserve), .dflt = 0,
	  .expect = "pages, or a size like 1G, at most 16 TiB of page frames" },
	/* CONFIG_COMPACTION */
	{ "compaction", OPT_WORD, C(compaction), .min = 0, .max = 1, .dflt = 1, .words = onoff_words,
	  .expect = "1 or 0" },
};

#undef C

static void *field(struct bz_config *cfg, const struct option_def *o)
{
	return (char *)cfg + o->offset;
}

static bool field_is_default(struct bz_config *cfg, const struct option_def *o)
{
	switch (o->kind) {
	case OPT_TEXT:
		return *(const char **)field(cfg, o) == NULL;
	case OPT_PAGES:
	case OPT_HPAGE:
	case OPT_ULONG:
		return *(unsigned long *)field(cfg, o) == (unsigned long)BZ_DEFAULT;
	case OPT_DEBUG:
		return *(unsigned *)field(cfg, o) == (unsigned)BZ_DEFAULT;
	default:
		return *(int *)field(cfg, o) == BZ_DEFAULT;
	}
}

/* One word of a debug list: a flag, check=N, or 0/off. */
static bool debug_word(const char *w, size_t len, unsigned *flags, unsigned long *interval)
{
	static const struct { const char *name; unsigned flag; } names[] = {
		{ "poison", BZ_DEBUG_POISON }, { "init_on_alloc", BZ_DEBUG_INIT_ON_ALLOC },
		{ "init_on_free", BZ_DEBUG_INIT_ON_FREE }, { "guard", BZ_DEBUG_GUARD },
		{ "check", BZ_DEBUG_CHECK }, { "abort", BZ_DEBUG_ABORT },
	};
	char *end;

	if (len > 6 && !strncmp(w, "check=", 6) && isdigit((unsigned char)w[6])) {
		unsigned long n;

		errno = 0;
		n = strtoul(w + 6, &end, 10);
		if (errno || end != w + len || !n || n > LONG_MAX)
			return false;
		*flags |= BZ_DEBUG_CHECK;
		*interval = n;
		return true;
	}
	for (size_t i = 0; i < BZ_ARRAY_SIZE(names); i++)
		if (strlen(names[i].name) == len && !strncmp(w, names[i].name, len)) {
			*flags |= names[i].flag;
			return true;
		}
	return (len == 1 && w[0] == '0') || (len == 3 && !strncmp(w, "off", 3));
}

/* BUDDYZONE_DEBUG: the words, separated by commas or spaces; *interval 0 if no check=N. */
static int parse_debug(const char *text, unsigned *flags, unsigned long *interval)
{
	*flags = 0;
	*interval = 0;
	while (*text) {
		size_t len = strcspn(text, ", ");

		if (len && !debug_word(text, len, flags, interval))
			return -EINVAL;
		text += len + (text[len] != '\0');
	}
	return 0;
}

/* An integer of the whole text, in [min, max]. */
static int parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A variable's text into the config field; -EINVAL when it does not parse or fit. */
static int option_parse(struct bz_config *cfg, const struct option_def *o, const char *text)
{
	unsigned long long v;
	unsigned long pages, interval;
	const char *end;
	unsigned flags;
	bool bytes;
	long n;

	switch (o->kind) {
	case OPT_TEXT:
		*(const char **)field(cfg, o) = text;
		return 0;
	case OPT_INT:
		if (parse_long(text, o->min, o->max, &n))
			return -EINVAL;
		*(int *)field(cfg, o) = (int)n;
		return 0;
	case OPT_WORD:
		for (int i = 0; o->words[i]; i++)
			if (!strcasecmp(text, o->words[i]) || (text[0] == '0' + i && !text[1])) {
				*(int *)field(cfg, o) = i;
				return 0;
			}
		return -EINVAL;
	case OPT_PAGES:
		if (bz__parse_pages(text, &end, &pages) || *end)
			return -EINVAL;
		*(unsigned long *)field(cfg, o) = pages;
		return 0;
	case OPT_HPAGE:
		if (bz__parse_size(text, &end, &v, &bytes) || *end || (v != HPAGE_2M && v != HPAGE_1G))
			return -EINVAL;
		*(unsigned long *)field(cfg, o) = (unsigned long)v;
		return 0;
	case OPT_ULONG:
		if (parse_long(text, o->min, o->max, &n))
			return -EINVAL;
		*(unsigned long *)field(cfg, o) = (unsigned long)n;
		return 0;
	case OPT_DEBUG:
		if (parse_debug(text, &flags, &interval))
			return -EINVAL;
		*(unsigned *)field(cfg, o) = flags;
		if (interval && cfg->debug_check_interval == (unsigned long)BZ_DEFAULT)
			cfg->debug_check_interval = interval;
		return 0;
	}
	return -EINVAL;
}

/* A value given in the config: in bounds?  (Text is checked by its owner.) */
static bool option_valid(struct bz_config *cfg, const struct option_def *o, char *shown, size_t size)
{
	long i = o->kind == OPT_TEXT ? 0 :
		 o->kind == OPT_DEBUG ? (long)*(unsigned *)field(cfg, o) :
		 o->kind == OPT_PAGES || o->kind == OPT_HPAGE || o->kind == OPT_ULONG ? 0 : *(int *)field(cfg, o);
	unsigned long u = o->kind == OPT_PAGES || o->kind == OPT_HPAGE || o->kind == OPT_ULONG ?
			  *(unsigned long *)field(cfg, o) : 0;

	switch (o->kind) {
	case OPT_TEXT:
		return true;
	case OPT_INT:
	case OPT_WORD:
		snprintf(shown, size, "%ld", i);
		return i >= o->min && i <= o->max;
	case OPT_DEBUG:
		snprintf(shown, size, "%#lx", (unsigned long)i);
		return !((unsigned long)i & ~(unsigned long)BZ_DEBUG_ALL);
	case OPT_PAGES:
		snprintf(shown, size, "%lu", u);
		return u <= BZ_MAX_PFNS;
	case OPT_HPAGE:
		snprintf(shown, size, "%lu", u);
		return u == HPAGE_2M || u == HPAGE_1G;
	case OPT_ULONG:
		snprintf(shown, size, "%lu", u);
		return u >= (unsigned long)o->min && u <= (unsigned long)o->max;
	}
	return false;
}

static void option_set_default(struct bz_config *cfg, const struct option_def *o)
{
	switch (o->kind) {
	case OPT_TEXT:
		break;
	case OPT_PAGES:
	case OPT_HPAGE:
	case OPT_ULONG:
		*(unsigned long *)field(cfg, o) = (unsigned long)o->dflt;
		break;
	case OPT_DEBUG:
		*(unsigned *)field(cfg, o) = (unsigned)o->dflt;
		break;
	default:
		*(int *)field(cfg, o) = (int)o->dflt;
		break;
	}
}

int bz__options_resolve(const struct bz_system *sys, struct bz_config *cfg)
{
	for (size_t k = 0; k < BZ_ARRAY_SIZE(option_table); k++) {
		const struct option_def *o = &option_table[k];
		char var[64], shown[32];
		const char *env;

		if (!field_is_default(cfg, o)) {
			if (option_valid(cfg, o, shown, sizeof(shown)))
				continue;
			bz__log(sys, BZ_LOG_ERR, "bz_config: invalid %s value %s: expected %s", o->field, shown,
				o->cfg_expect ? o->cfg_expect : o->expect);
			return -EINVAL;
		}
		env = env_value(o->name, var, sizeof(var));
		if (env && option_parse(cfg, o, env)) {
			bz__log(sys, BZ_LOG_ERR, "%s=\"%s\": expected %s", var, env, o->expect);
			return -EINVAL;
		}
		if (!env)
			option_set_default(cfg, o);
	}
	return 0;
}
