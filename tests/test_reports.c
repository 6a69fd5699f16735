/* SPDX-License-Identifier: MIT */
/*
 * test_reports.c - the text reports (zoneinfo, buddyinfo, pagetypeinfo,
 * vmstat, fallback order) against the kernel's own files, saved from a
 * Linux 6.18 machine in tests/data/proc-*-6.18.txt, and the JSON report
 * against the introspection API.  Every report is written to a memory
 * stream and parsed back: the numbers must be the kernel's for the same
 * inputs, and the layout, numbers aside, must be the kernel's line for line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <buddyzone/buddyzone.h>

/* The VM of kernel-notes.md: 1 node, 2 CPUs, min_free_kbytes 67584. */
#define VM_ZONES "0:DMA=3840,0:DMA32=772918,0:Normal=163840"
#define SMALL_ZONES "0:DMA=3840,0:DMA32=16384,0:Normal=16384"
#define TWO_NODES "0:DMA=4096,0:DMA32=16384,0:Normal=16384,1:Normal=32768"
#define VM_MIN_FREE_KBYTES 67584
/*
 * One emulated node whatever the machine: layouts naming more nodes extend
 * it with distances 10 local, 20 remote, so every report is the same on a
 * laptop and on a four-socket server.
 */
#define ONE_NODE_TOPOLOGY "synthetic:node:1 core:2 pu:1"
#define NR_ORDERS BZ_NR_PAGE_ORDERS

/* ---- helpers ------------------------------------------------------------------ */

static bz_system *make_system(const char *zones, int cpus_per_node)
{
	struct bz_config cfg;
	bz_system *sys = NULL;

	bz_config_init(&cfg);
	cfg.zones = zones;
	cfg.topology = ONE_NODE_TOPOLOGY;
	cfg.cpus_per_node = cpus_per_node;
	cfg.min_free_kbytes = VM_MIN_FREE_KBYTES;
	assert_int_equal(bz_system_create(&cfg, &sys), 0);
	assert_non_null(sys);
	return sys;
}

typedef int (*writer_fn)(bz_system *, FILE *);

/* The report as one NUL-terminated string (caller frees). */
static char *capture(writer_fn writer, bz_system *sys)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(writer(sys, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

static char *read_data(const char *name)
{
	const char *dir = getenv("BUDDYZONE_TEST_DATA");
	char path[4096];
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/data", name);
	in = fopen(path, "r");
	if (!in)
		fail_msg("cannot open %s (set BUDDYZONE_TEST_DATA)", path);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(in);
	fclose(out);
	return buf;
}

/*
 * The layout of a report: every run of blanks followed by digits becomes
 * " N", so values (and the padding that depends on their width) drop out
 * while names, punctuation and the line structure stay.
 */
static char *normalize(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	const char *p = text;

	assert_non_null(out);
	while (*p) {
		const char *q = p;

		while (*q == ' ')
			q++;
		if (*q >= '0' && *q <= '9') {
			while (*q >= '0' && *q <= '9')
				q++;
			*o++ = ' ';
			*o++ = 'N';
			p = q;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/* The next line of *p without its newline, empty lines included; NULL at the end. */
static char *next_line(char **p)
{
	char *line = *p, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = line + strlen(line);
	}
	return line;
}

/* Compares two layouts line by line, naming the first difference. */
static void assert_same_layout(const char *ours, const char *kernels, const char *what)
{
	char *a = normalize(ours), *b = normalize(kernels);
	char *pa = a, *pb = b, *la, *lb;
	int line = 1;

	for (la = next_line(&pa), lb = next_line(&pb); la && lb;
	     la = next_line(&pa), lb = next_line(&pb), line++)
		if (strcmp(la, lb))
			fail_msg("%s line %d: ours \"%s\", kernel's \"%s\"", what, line, la, lb);
	if (la || lb)
		fail_msg("%s: %s has more lines, from line %d: \"%s\"", what,
			 la ? "ours" : "the kernel's", line, la ? la : lb);
	/* Both end with a newline, as the kernel's files do. */
	assert_int_equal(ours[strlen(ours) - 1], '\n');
	free(a);
	free(b);
}

static int count_lines_equal(const char *text, const char *line)
{
	size_t n = strlen(line);
	int count = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == '\0'))
			count++;
	return count;
}

static void zone_stats(bz_system *sys, int nid, int zid, struct bz_zone_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	assert_int_equal(bz_zone_stats(sys, nid, zid, st), 0);
}

static int zone_index(const char *name)
{
	static const char *const names[BZ_MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable", "Device" };

	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (!strcmp(name, names[zid]))
			return zid;
	fail_msg("unknown zone %s", name);
	return -1;
}

/* ---- parsing /proc/zoneinfo ------------------------------------------------------- */

struct zi_zone {
	int node;
	char name[16];
	bool node_stats;        /* the per-node block came with this zone */
	long free, boost, min, low, high, promo, spanned, present, managed;
	long prot[BZ_MAX_NR_ZONES];
	bool populated;         /* has zone stats and pagesets */
	long nr_free_pages;
	int ncpu;               /* "cpu:" entries */
	int cpu_ids[16];
	int count, pcp_high, batch, high_min, high_max, threshold; /* first CPU's */
	bool cpus_differ;       /* another CPU showed other values */
	long start_pfn;
};

struct zoneinfo {
	int nr;
	struct zi_zone z[64];
};

static void zi_cpu_field(struct zi_zone *z, int *first, int v)
{
	if (z->ncpu == 1)
		*first = v;
	else if (*first != v)
		z->cpus_differ = true;
}

static bool zi_pageset_line(struct zi_zone *z, const char *s)
{
	int v;

	if (sscanf(s, "cpu: %d", &v) == 1) {
		if (z->ncpu < 16)
			z->cpu_ids[z->ncpu] = v;
		z->ncpu++;
	} else if (sscanf(s, "count: %d", &v) == 1) {
		zi_cpu_field(z, &z->count, v);
	} else if (sscanf(s, "high: %d", &v) == 1) {
		zi_cpu_field(z, &z->pcp_high, v);
	} else if (sscanf(s, "batch: %d", &v) == 1) {
		zi_cpu_field(z, &z->batch, v);
	} else if (sscanf(s, "high_min: %d", &v) == 1) {
		zi_cpu_field(z, &z->high_min, v);
	} else if (sscanf(s, "high_max: %d", &v) == 1) {
		zi_cpu_field(z, &z->high_max, v);
	} else if (sscanf(s, "vm stats threshold: %d", &v) == 1) {
		zi_cpu_field(z, &z->threshold, v);
	} else {
		return false;
	}
	return true;
}

static void zi_line(struct zi_zone *z, const char *s)
{
	long *p = z->prot;

	if (zi_pageset_line(z, s))
		return;
	if (!strcmp(s, "per-node stats"))
		z->node_stats = true;
	else if (sscanf(s, "pages free %ld", &z->free) == 1 ||
		 sscanf(s, "boost %ld", &z->boost) == 1 ||
		 sscanf(s, "min %ld", &z->min) == 1 ||
		 sscanf(s, "low %ld", &z->low) == 1 ||
		 sscanf(s, "high %ld", &z->high) == 1 ||
		 sscanf(s, "promo %ld", &z->promo) == 1 ||
		 sscanf(s, "spanned %ld", &z->spanned) == 1 ||
		 sscanf(s, "present %ld", &z->present) == 1 ||
		 sscanf(s, "managed %ld", &z->managed) == 1 ||
		 sscanf(s, "start_pfn: %ld", &z->start_pfn) == 1)
		return;
	else if (sscanf(s, "protection: (%ld, %ld, %ld, %ld, %ld)",
			&p[0], &p[1], &p[2], &p[3], &p[4]) == 5)
		return;
	else if (sscanf(s, "nr_free_pages %ld", &z->nr_free_pages) == 1)
		z->populated = true;
}

static void parse_zoneinfo(const char *text, struct zoneinfo *zi)
{
	char *copy = strdup(text), *save, *line;
	struct zi_zone *cur = NULL;

	memset(zi, 0, sizeof(*zi));
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int node;
		char name[16];

		if (sscanf(line, "Node %d, zone %15s", &node, name) == 2) {
			assert_true(zi->nr < 64);
			cur = &zi->z[zi->nr++];
			cur->node = node;
			strcpy(cur->name, name);
			continue;
		}
		assert_non_null(cur);
		while (*line == ' ')
			line++;
		zi_line(cur, line);
	}
	free(copy);
}

static struct zi_zone *zi_find(struct zoneinfo *zi, int node, const char *name)
{
	for (int i = 0; i < zi->nr; i++)
		if (zi->z[i].node == node && !strcmp(zi->z[i].name, name))
			return &zi->z[i];
	fail_msg("zoneinfo has no node %d zone %s", node, name);
	return NULL;
}

/* ---- parsing /proc/buddyinfo and /proc/pagetypeinfo ------------------------------------ */

struct bi_zone {
	int node;
	char name[16];
	unsigned long nr_free[NR_ORDERS];
};

static int parse_buddyinfo(const char *text, struct bi_zone *out, int max)
{
	const char *p = text;
	int nr = 0;

	while (*p) {
		int node, used;
		char name[16];

		assert_int_equal(sscanf(p, "Node %d, zone %15s%n", &node, name, &used), 2);
		assert_true(nr < max);
		out[nr].node = node;
		strcpy(out[nr].name, name);
		p += used;
		for (int o = 0; o < NR_ORDERS; o++) {
			assert_int_equal(sscanf(p, "%lu%n", &out[nr].nr_free[o], &used), 1);
			p += used;
		}
		assert_int_equal(strncmp(p, " \n", 2), 0);
		p += 2;
		nr++;
	}
	return nr;
}

struct pti_zone {
	int node;
	char name[16];
	unsigned long free[BZ_MIGRATE_TYPES][NR_ORDERS];
	unsigned long blocks[BZ_MIGRATE_TYPES];
};

static const char *const mt_names[BZ_MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate",
};

static int mt_index(const char *name)
{
	for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
		if (!strcmp(name, mt_names[mt]))
			return mt;
	fail_msg("unknown migratetype %s", name);
	return -1;
}

static struct pti_zone *pti_zone(struct pti_zone *z, int *nr, int node, const char *name)
{
	for (int i = 0; i < *nr; i++)
		if (z[i].node == node && !strcmp(z[i].name, name))
			return &z[i];
	memset(&z[*nr], 0, sizeof(z[*nr]));
	z[*nr].node = node;
	strcpy(z[*nr].name, name);
	return &z[(*nr)++];
}

/* Free-list rows ("Node    0, zone      DMA, type    Unmovable ...") and block rows. */
static int parse_pagetypeinfo(const char *text, struct pti_zone *z)
{
	char *copy = strdup(text), *save, *line;
	int nr = 0;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[16], type[16];
		int node, used;
		char *p;

		if (sscanf(line, "Node %d, zone %15[^,], type %15s%n", &node, name, type, &used) == 3) {
			struct pti_zone *pz = pti_zone(z, &nr, node, name);
			int mt = mt_index(type);

			p = line + used;
			for (int o = 0; o < NR_ORDERS; o++) {
				assert_int_equal(sscanf(p, " %lu%n", &pz->free[mt][o], &used), 1);
				p += used;
			}
		} else if (sscanf(line, "Node %d, zone %15s%n", &node, name, &used) == 2) {
			struct pti_zone *pz = pti_zone(z, &nr, node, name);

			p = line + used;
			for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++) {
				assert_int_equal(sscanf(p, " %lu%n", &pz->blocks[mt], &used), 1);
				p += used;
			}
		}
	}
	free(copy);
	return nr;
}

/* ---- a small JSON parser (RFC 8259), enough to check the report ------------------------ */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	bool b;
	bool is_int;
	long long num;
	char *str;
	int n;                  /* items of an array or object */
	char **keys;            /* object keys, in order */
	struct jval **items;
};

struct jparser {
	const char *p;
	int depth;
};

static struct jval *jparse_value(struct jparser *jp);

static void jskip(struct jparser *jp)
{
	while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')
		jp->p++;
}

static struct jval *jnew(enum jtype type)
{
	struct jval *v = calloc(1, sizeof(*v));

	assert_non_null(v);
	v->type = type;
	return v;
}

static void jfree(struct jval *v)
{
	if (!v)
		return;
	for (int i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		jfree(v->items[i]);
	}
	free(v->keys);
	free(v->items);
	free(v->str);
	free(v);
}

static int jhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string; \u escapes are checked, and kept as '?' (our names are ASCII). */
static char *jparse_string(struct jparser *jp)
{
	char *out, *o;
	const char *p = jp->p;

	if (*p != '"')
		return NULL;
	out = o = malloc(strlen(p) + 1);
	assert_non_null(out);
	for (p++; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			goto bad;
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		p++;
		if (*p && strchr("\"\\/", *p))
			*o++ = *p;
		else if (*p && strchr("bfnrt", *p))
			*o++ = ' ';
		else if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (jhex(p[i]) < 0)
					goto bad;
			p += 4;
			*o++ = '?';
		} else
			goto bad;
	}
	*o = '\0';
	jp->p = p + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static struct jval *jparse_number(struct jparser *jp)
{
	const char *p = jp->p, *start = p;
	struct jval *v = jnew(J_NUM);

	v->is_int = true;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		goto bad;
	if (*p == '.') {
		v->is_int = false;
		if (*++p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		v->is_int = false;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	v->num = strtoll(start, NULL, 10);
	jp->p = p;
	return v;
bad:
	jfree(v);
	return NULL;
}

static bool jappend(struct jval *v, char *key, struct jval *item)
{
	if (!item)
		return false;
	v->items = realloc(v->items, sizeof(*v->items) * (v->n + 1));
	assert_non_null(v->items);
	if (v->type == J_OBJ) {
		v->keys = realloc(v->keys, sizeof(*v->keys) * (v->n + 1));
		assert_non_null(v->keys);
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
	return true;
}

/* An array or object; the opening bracket is at jp->p. */
static struct jval *jparse_container(struct jparser *jp, enum jtype type)
{
	char close = type == J_ARR ? ']' : '}';
	struct jval *v = jnew(type);

	if (++jp->depth > 64)
		goto bad;
	jp->p++;
	jskip(jp);
	if (*jp->p == close)
		goto done;
	for (;;) {
		char *key = NULL;

		jskip(jp);
		if (type == J_OBJ) {
			key = jparse_string(jp);
			jskip(jp);
			if (!key || *jp->p++ != ':') {
				free(key);
				goto bad;
			}
		}
		if (!jappend(v, key, jparse_value(jp))) {
			free(key);
			goto bad;
		}
		jskip(jp);
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p == close)
			break;
		goto bad;
	}
done:
	jp->p++;
	jp->depth--;
	return v;
bad:
	jfree(v);
	return NULL;
}

/* true, false or null. */
static struct jval *jparse_literal(struct jparser *jp)
{
	const char *lit = *jp->p == 't' ? "true" : *jp->p == 'f' ? "false" : "null";
	struct jval *v;

	if (strncmp(jp->p, lit, strlen(lit)))
		return NULL;
	jp->p += strlen(lit);
	v = jnew(lit[0] == 'n' ? J_NULL : J_BOOL);
	v->b = lit[0] == 't';
	return v;
}

static struct jval *jparse_value(struct jparser *jp)
{
	struct jval *v;

	jskip(jp);
	switch (*jp->p) {
	case '{':
		return jparse_container(jp, J_OBJ);
	case '[':
		return jparse_container(jp, J_ARR);
	case '"':
		v = jnew(J_STR);
		v->str = jparse_string(jp);
		if (!v->str) {
			jfree(v);
			return NULL;
		}
		return v;
	case 't':
	case 'f':
	case 'n':
		return jparse_literal(jp);
	default:
		return jparse_number(jp);
	}
}

/* The whole text must be exactly one value. */
static struct jval *jparse(const char *text)
{
	struct jparser jp = { .p = text };
	struct jval *v = jparse_value(&jp);

	jskip(&jp);
	if (v && *jp.p) {
		jfree(v);
		return NULL;
	}
	return v;
}

static struct jval *jget(const struct jval *obj, const char *key)
{
	assert_non_null(obj);
	assert_int_equal(obj->type, J_OBJ);
	for (int i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	fail_msg("JSON object has no key \"%s\"", key);
	return NULL;
}

static struct jval *jat(const struct jval *arr, int i)
{
	assert_non_null(arr);
	assert_int_equal(arr->type, J_ARR);
	assert_true(i < arr->n);
	return arr->items[i];
}

static long long jnum(const struct jval *v)
{
	assert_non_null(v);
	assert_int_equal(v->type, J_NUM);
	assert_true(v->is_int);
	return v->num;
}

static long long jget_num(const struct jval *obj, const char *key)
{
	return jnum(jget(obj, key));
}

/* ---- zoneinfo ------------------------------------------------------------------------ */

/* Watermarks, reserves and pagesets of /proc/zoneinfo on the VM of kernel-notes.md. */
static void test_zoneinfo_watermarks_match_kernel(void **state)
{
	bz_system *sys = make_system(VM_ZONES, 2);
	char *text = capture(bz_write_zoneinfo, sys);
	struct zoneinfo zi;
	struct zi_zone *dma, *normal;
	const long dma_prot[] = { 0, 3019, 3659, 3659, 3659 };

	(void)state;
	parse_zoneinfo(text, &zi);
	assert_int_equal(zi.nr, BZ_MAX_NR_ZONES);
	dma = zi_find(&zi, 0, "DMA");
	assert_int_equal(dma->min, 68);
	assert_int_equal(dma->low, 85);
	assert_int_equal(dma->high, 102);
	assert_int_equal(dma->promo, 119);
	for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
		assert_int_equal(dma->prot[i], dma_prot[i]);
	assert_int_equal(dma->threshold, 4);

	normal = zi_find(&zi, 0, "Normal");
	assert_int_equal(normal->min, 2943);
	assert_int_equal(normal->low, 3678);
	assert_int_equal(normal->high, 4413);
	assert_int_equal(normal->promo, 5148);
	assert_int_equal(normal->batch, 31);
	assert_int_equal(normal->high_min, 1839);
	assert_int_equal(normal->high_max, 10240);
	assert_int_equal(normal->threshold, 16);
	assert_int_equal(normal->ncpu, 2);
	assert_false(normal->cpus_differ);
	/* Until the caches report per CPU: nothing counted, high at high_min. */
	assert_int_equal(normal->count, 0);
	assert_int_equal(normal->pcp_high, normal->high_min);
	free(text);
	bz_system_destroy(sys);
}

/*
 * The saved machine's own numbers: its zones' managed sizes as the layout,
 * its CPU count, its min_free_kbytes (67584 when saved), and every
 * watermark, reserve and pageset size must come out as the kernel printed.
 */
static void test_zoneinfo_matches_saved_machine(void **state)
{
	char *saved = read_data("proc-zoneinfo-6.18.txt");
	struct zoneinfo want, got;
	char zones[256] = "";
	bz_system *sys;
	char *text;
	int cpus = 0;

	(void)state;
	parse_zoneinfo(saved, &want);
	for (int i = 0; i < want.nr; i++) {
		struct zi_zone *z = &want.z[i];

		if (z->managed > 0)
			snprintf(zones + strlen(zones), sizeof(zones) - strlen(zones), "%s%d:%s=%ld",
				 *zones ? "," : "", z->node, z->name, z->managed);
		if (z->ncpu)
			cpus = z->ncpu;
	}
	assert_true(want.nr > 0 && cpus > 0);
	sys = make_system(zones, cpus);
	text = capture(bz_write_zoneinfo, sys);
	parse_zoneinfo(text, &got);
	assert_int_equal(got.nr, want.nr);
	for (int i = 0; i < want.nr; i++) {
		struct zi_zone *w = &want.z[i], *g = zi_find(&got, w->node, w->name);

		if (w->managed == 0)
			continue;
		assert_int_equal(g->min, w->min);
		assert_int_equal(g->low, w->low);
		assert_int_equal(g->high, w->high);
		assert_int_equal(g->promo, w->promo);
		assert_int_equal(g->managed, w->managed);
		for (int p = 0; p < BZ_MAX_NR_ZONES; p++)
			assert_int_equal(g->prot[p], w->prot[p]);
		assert_int_equal(g->batch, w->batch);
		assert_int_equal(g->high_min, w->high_min);
		assert_int_equal(g->high_max, w->high_max);
		assert_int_equal(g->threshold, w->threshold);
		assert_int_equal(g->ncpu, w->ncpu);
	}
	free(text);
	free(saved);
	bz_system_destroy(sys);
}

static void test_zoneinfo_layout_matches_kernel(void **state)
{
	bz_system *sys = make_system(VM_ZONES, 2);
	char *ours = capture(bz_write_zoneinfo, sys);
	char *kernels = read_data("proc-zoneinfo-6.18.txt");

	(void)state;
	assert_same_layout(ours, kernels, "zoneinfo");
	/* Spot checks of exact text, padding included. */
	assert_int_equal(count_lines_equal(ours, "Node 0, zone      DMA"), 1);
	assert_int_equal(count_lines_equal(ours, "Node 0, zone    DMA32"), 1);
	assert_int_equal(count_lines_equal(ours, "        min      68"), 1);
	assert_int_equal(count_lines_equal(ours, "      nr_mapped    0"), 1);
	assert_int_equal(count_lines_equal(ours, "        protection: (0, 3019, 3659, 3659, 3659)"), 1);
	assert_int_equal(count_lines_equal(ours, "              batch:    31"), 2);
	assert_int_equal(count_lines_equal(ours, "  vm stats threshold: 16"), 2);
	free(ours);
	free(kernels);
	bz_system_destroy(sys);
}

/*
 * Two nodes of two CPUs: every populated zone lists all four online CPUs
 * (for_each_online_cpu), node 1's per-node block goes with its first
 * populated zone, and its empty zones stop after "protection".
 */
static void test_zoneinfo_two_nodes_list_every_cpu(void **state)
{
	bz_system *sys = make_system(TWO_NODES, 2);
	char *text = capture(bz_write_zoneinfo, sys);
	struct zoneinfo zi;
	struct zi_zone *z;

	(void)state;
	parse_zoneinfo(text, &zi);
	assert_int_equal(zi.nr, 2 * BZ_MAX_NR_ZONES);
	for (int i = 0; i < zi.nr; i++) {
		z = &zi.z[i];
		assert_int_equal(z->node, i / BZ_MAX_NR_ZONES);
		assert_int_equal(z->ncpu, z->populated ? 4 : 0);
		for (int c = 0; c < z->ncpu; c++)
			assert_int_equal(z->cpu_ids[c], c);
	}
	assert_true(zi_find(&zi, 0, "DMA")->node_stats);
	assert_false(zi_find(&zi, 1, "DMA")->node_stats);
	assert_false(zi_find(&zi, 1, "DMA")->populated);
	assert_true(zi_find(&zi, 1, "Normal")->node_stats);
	assert_true(zi_find(&zi, 1, "Normal")->populated);
	assert_non_null(strstr(text, "Node 1, zone   Normal\n  per-node stats\n"));
	assert_non_null(strstr(text, "Node 1, zone      DMA\n  pages free     0\n"));
	assert_non_null(strstr(text, "protection: (0, 0, 0, 0, 0)\nNode 1, zone    DMA32\n"));
	free(text);
	bz_system_destroy(sys);
}

/* ---- buddyinfo, pagetypeinfo ------------------------------------------------------------- */

static void test_buddyinfo_layout_matches_kernel(void **state)
{
	bz_system *sys = make_system(VM_ZONES, 2);
	char *ours = capture(bz_write_buddyinfo, sys);
	char *kernels = read_data("proc-buddyinfo-6.18.txt");

	(void)state;
	assert_same_layout(ours, kernels, "buddyinfo");
	assert_int_equal(strncmp(ours, "Node 0, zone      DMA      0 ", 29), 0);
	free(ours);
	free(kernels);
	bz_system_destroy(sys);
}

/* buddyinfo is each zone's nr_free per order, as bz_zone_stats sees it. */
static void assert_buddyinfo_matches_stats(bz_system *sys)
{
	char *text = capture(bz_write_buddyinfo, sys);
	struct bi_zone bi[16];
	int nr = parse_buddyinfo(text, bi, 16);

	assert_int_equal(nr, 3);
	for (int i = 0; i < nr; i++) {
		struct bz_zone_stats st;
		unsigned long pages = 0;

		zone_stats(sys, bi[i].node, zone_index(bi[i].name), &st);
		for (int o = 0; o < NR_ORDERS; o++) {
			assert_int_equal(bi[i].nr_free[o], st.nr_free[o]);
			pages += bi[i].nr_free[o] << o;
		}
		assert_int_equal(pages, st.free);
		assert_int_equal(st.free + st.cached + st.allocated, st.managed);
	}
	free(text);
}

static void test_buddyinfo_tracks_allocations(void **state)
{
	static const unsigned orders[] = { 0, 1, 3, 5, 9, 10, 0, 2 };
	bz_system *sys = make_system(SMALL_ZONES, 2);
	bz_page *pages[sizeof(orders) / sizeof(orders[0])];
	struct bz_zone_stats before, after;
	int n = (int)(sizeof(orders) / sizeof(orders[0]));

	(void)state;
	assert_buddyinfo_matches_stats(sys);
	zone_stats(sys, 0, BZ_ZONE_NORMAL, &before);
	for (int i = 0; i < n; i++) {
		pages[i] = bz_alloc_pages(sys, BZ_GFP_KERNEL, orders[i]);
		assert_non_null(pages[i]);
		assert_int_equal(bz_page_zonenum(pages[i]), BZ_ZONE_NORMAL);
		assert_buddyinfo_matches_stats(sys);
	}
	zone_stats(sys, 0, BZ_ZONE_NORMAL, &after);
	{
		unsigned long want = 0;

		for (int i = 0; i < n; i++)
			want += 1ul << orders[i];
		assert_int_equal(after.allocated - before.allocated, want);
	}
	for (int i = 0; i < n; i++) {
		assert_int_equal(bz_free_pages(pages[i], orders[i]), 0);
		assert_buddyinfo_matches_stats(sys);
	}
	zone_stats(sys, 0, BZ_ZONE_NORMAL, &after);
	assert_int_equal(after.allocated, before.allocated);
	bz_system_destroy(sys);
}

static void test_pagetypeinfo_layout_matches_kernel(void **state)
{
	bz_system *sys = make_system(VM_ZONES, 2);
	char *ours = capture(bz_write_pagetypeinfo, sys);
	char *kernels = read_data("proc-pagetypeinfo-6.18.txt");
	const char *head =
		"Page block order: 9\n"
		"Pages per block:  512\n"
		"\n"
		"Free pages count per migrate type at order       0      1      2      3      4"
		"      5      6      7      8      9     10 \n"
		"Node    0, zone      DMA, type    Unmovable ";

	(void)state;
	assert_same_layout(ours, kernels, "pagetypeinfo");
	assert_int_equal(strncmp(ours, head, strlen(head)), 0);
	assert_non_null(strstr(ours, "\n\nNumber of blocks type     Unmovable      Movable"
				     "  Reclaimable   HighAtomic      Isolate \n"
				     "Node 0, zone      DMA "));
	free(ours);
	free(kernels);
	bz_system_destroy(sys);
}

/* Per type and order the lists add up to buddyinfo; pageblocks cover the zone. */
static void test_pagetypeinfo_totals_match_buddyinfo(void **state)
{
	bz_system *sys = make_system(SMALL_ZONES, 2);
	bz_page *keep[64];
	struct pti_zone pz[16];
	struct bi_zone bi[16];
	char *pti, *buddy;
	int nr_pti, nr_bi;

	(void)state;
	/* Split some blocks of each mobility so that several lists are in use. */
	for (int i = 0; i < 64; i++) {
		bz_gfp_t gfp = i % 3 == 0 ? BZ_GFP_KERNEL : i % 3 == 1 ? BZ_GFP_HIGHUSER_MOVABLE :
			       BZ_GFP_KERNEL | BZ_GFP_RECLAIMABLE;

		keep[i] = bz_alloc_pages(sys, gfp, (unsigned)(i % 4));
		assert_non_null(keep[i]);
	}
	for (int i = 0; i < 64; i += 2)
		assert_int_equal(bz_free_pages(keep[i], (unsigned)(i % 4)), 0);

	pti = capture(bz_write_pagetypeinfo, sys);
	buddy = capture(bz_write_buddyinfo, sys);
	nr_pti = parse_pagetypeinfo(pti, pz);
	nr_bi = parse_buddyinfo(buddy, bi, 16);
	assert_int_equal(nr_pti, nr_bi);
	for (int i = 0; i < nr_bi; i++) {
		struct bz_zone_stats st;
		unsigned long blocks = 0, span_blocks;

		assert_int_equal(pz[i].node, bi[i].node);
		assert_string_equal(pz[i].name, bi[i].name);
		for (int o = 0; o < NR_ORDERS; o++) {
			unsigned long sum = 0;

			for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
				sum += pz[i].free[mt][o];
			assert_int_equal(sum, bi[i].nr_free[o]);
		}
		zone_stats(sys, bi[i].node, zone_index(bi[i].name), &st);
		for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
			blocks += pz[i].blocks[mt];
		span_blocks = (st.spanned + 511) / 512;
		assert_true(blocks + 1 >= span_blocks && blocks <= span_blocks + 1);
	}
	for (int i = 1; i < 64; i += 2)
		assert_int_equal(bz_free_pages(keep[i], (unsigned)(i % 4)), 0);
	free(pti);
	free(buddy);
	bz_system_destroy(sys);
}

/* ---- vmstat ------------------------------------------------------------------------------- */

static unsigned long vmstat_value(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, n) && p[n] == ' ')
			return strtoul(p + n + 1, NULL, 10);
	fail_msg("vmstat has no %s", name);
	return 0;
}

/* The kernel's names in the kernel's order, each "name value". */
static void test_vmstat_names_match_kernel(void **state)
{
	bz_system *sys = make_system(SMALL_ZONES, 2);
	char *ours = capture(bz_write_vmstat, sys);
	char *kernels = read_data("proc-vmstat-6.18.txt");
	char *sa, *sb, *la, *lb;
	int lines = 0;

	(void)state;
	la = strtok_r(ours, "\n", &sa);
	lb = strtok_r(kernels, "\n", &sb);
	for (; la && lb; la = strtok_r(NULL, "\n", &sa), lb = strtok_r(NULL, "\n", &sb)) {
		size_t na = strcspn(la, " "), nb = strcspn(lb, " ");

		if (na != nb || strncmp(la, lb, na))
			fail_msg("vmstat line %d: ours \"%s\", kernel's \"%s\"", lines + 1, la, lb);
		assert_true(la[na] == ' ' && la[na + 1] >= '0' && la[na + 1] <= '9');
		assert_int_equal(strspn(la + na + 1, "0123456789"), strlen(la + na + 1));
		lines++;
	}
	assert_null(la);
	assert_null(lb);
	assert_int_equal(lines, 192);
	free(ours);
	free(kernels);
	bz_system_destroy(sys);
}

/* The counters we keep are real: free pages, pgalloc/pgfree per zone. */
static void test_vmstat_counts_allocations(void **state)
{
	bz_system *sys = make_system(SMALL_ZONES, 2);
	char *before = capture(bz_write_vmstat, sys), *after, *freed;
	unsigned long free_sum = 0;
	bz_page *page;

	(void)state;
	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
		struct bz_zone_stats st;

		zone_stats(sys, 0, zid, &st);
		free_sum += st.free;
	}
	assert_int_equal(vmstat_value(before, "nr_free_pages"), free_sum);
	assert_int_equal(vmstat_value(before, "nr_unstable"), 0);

	page = bz_alloc_pages(sys, BZ_GFP_KERNEL, 2);
	assert_non_null(page);
	after = capture(bz_write_vmstat, sys);
	assert_true(vmstat_value(after, "pgalloc_normal") > vmstat_value(before, "pgalloc_normal"));
	assert_int_equal(vmstat_value(after, "pgalloc_dma"), vmstat_value(before, "pgalloc_dma"));
	assert_int_equal(bz_free_pages(page, 2), 0);
	freed = capture(bz_write_vmstat, sys);
	assert_true(vmstat_value(freed, "pgfree") > vmstat_value(after, "pgfree"));
	free(before);
	free(after);
	free(freed);
	bz_system_destroy(sys);
}

/* ---- zonelists ------------------------------------------------------------------------------ */

/* build_zonelists()'s boot lines; distances default to 10 local, 20 remote. */
static void test_zonelists_two_nodes(void **state)
{
	bz_system *sys = make_system(TWO_NODES, 2);
	char *text = capture(bz_write_zonelists, sys);

	(void)state;
	assert_string_equal(text, "Fallback order for Node 0: 0 1 \n"
				  "Fallback order for Node 1: 1 0 \n");
	free(text);
	bz_system_destroy(sys);
}

static void test_zonelists_one_node(void **state)
{
	bz_system *sys = make_system(SMALL_ZONES, 2);
	char *text = capture(bz_write_zonelists, sys);

	(void)state;
	assert_string_equal(text, "Fallback order for Node 0: 0 \n");
	free(text);
	bz_system_destroy(sys);
}

/*
 * A CPU-only node (node 1 of three): zoneinfo shows its five empty zones,
 * buddyinfo and pagetypeinfo skip it (no N_MEMORY), and its fallback order
 * lists only nodes with memory, node 2 before node 0 because
 * find_next_best_node() charges nodes below the local one a point.
 */
static void test_reports_memoryless_node(void **state)
{
	bz_system *sys = make_system("0:DMA=4096,0:Normal=16384,2:Normal=16384", 1);
	char *zoneinfo = capture(bz_write_zoneinfo, sys);
	char *buddy = capture(bz_write_buddyinfo, sys);
	char *pti = capture(bz_write_pagetypeinfo, sys);
	char *zl = capture(bz_write_zonelists, sys);
	struct bi_zone bi[16];
	struct zoneinfo zi;

	(void)state;
	parse_zoneinfo(zoneinfo, &zi);
	assert_int_equal(zi.nr, 3 * BZ_MAX_NR_ZONES);
	for (int i = 0; i < zi.nr; i++) {
		assert_int_equal(zi.z[i].ncpu, zi.z[i].populated ? 3 : 0);
		if (zi.z[i].node == 1)
			assert_false(zi.z[i].populated || zi.z[i].node_stats);
	}
	assert_int_equal(parse_buddyinfo(buddy, bi, 16), 3);
	for (int i = 0; i < 3; i++)
		assert_int_not_equal(bi[i].node, 1);
	assert_int_equal(count_lines_equal(pti, "Page block order: 9"), 2);
	assert_null(strstr(pti, "Node    1,"));
	assert_null(strstr(pti, "Node 1,"));
	assert_string_equal(zl, "Fallback order for Node 0: 0 2 \n"
				"Fallback order for Node 1: 2 0 \n"
				"Fallback order for Node 2: 2 0 \n");
	free(zoneinfo);
	free(buddy);
	free(pti);
	free(zl);
	bz_system_destroy(sys);
}

/* ---- JSON --------------------------------------------------------------------------------- */

static void assert_json_zone(const struct jval *z, bz_system *sys, int nid, int zid)
{
	static const char *const keys[] = {
		"name", "populated", "start_pfn", "spanned", "present", "managed", "free",
		"min", "low", "high", "promo", "boost", "protection", "nr_free",
		"free_by_type", "pageblocks", "unusable_index", "extfrag_index", "pcp", "lock_contended",
	};
	const struct jval *by_type, *nr_free;
	struct bz_zone_stats st;

	zone_stats(sys, nid, zid, &st);
	assert_int_equal(z->n, (int)(sizeof(keys) / sizeof(keys[0])));
	for (int i = 0; i < z->n; i++)
		assert_string_equal(z->keys[i], keys[i]);
	assert_int_equal(jget(z, "populated")->type, J_BOOL);
	assert_int_equal(jget(z, "populated")->b, st.present != 0);
	assert_int_equal(jget_num(z, "start_pfn"), st.start_pfn);
	assert_int_equal(jget_num(z, "spanned"), st.spanned);
	assert_int_equal(jget_num(z, "present"), st.present);
	assert_int_equal(jget_num(z, "managed"), st.managed);
	assert_int_equal(jget_num(z, "free"), st.free);
	assert_int_equal(jget_num(z, "min"), st.wmark_min);
	assert_int_equal(jget_num(z, "low"), st.wmark_low);
	assert_int_equal(jget_num(z, "high"), st.wmark_high);
	assert_int_equal(jget_num(z, "promo"), st.wmark_promo);
	assert_int_equal(jget_num(z, "boost"), st.boost);
	for (int i = 0; i < BZ_MAX_NR_ZONES; i++)
		assert_int_equal(jnum(jat(jget(z, "protection"), i)), st.lowmem_reserve[i]);
	nr_free = jget(z, "nr_free");
	by_type = jget(z, "free_by_type");
	assert_int_equal(nr_free->n, NR_ORDERS);
	assert_int_equal(by_type->n, BZ_MIGRATE_TYPES);
	for (int o = 0; o < NR_ORDERS; o++) {
		long long sum = 0;

		assert_int_equal(jnum(jat(nr_free, o)), st.nr_free[o]);
		for (int mt = 0; mt < BZ_MIGRATE_TYPES; mt++)
			sum += jnum(jat(jget(by_type, mt_names[mt]), o));
		assert_int_equal(sum, st.nr_free[o]);
	}
	assert_int_equal(jget_num(jget(z, "pcp"), "batch"), st.pcp_batch);
	assert_int_equal(jget_num(jget(z, "pcp"), "high_min"), st.pcp_high_min);
	assert_int_equal(jget_num(jget(z, "pcp"), "high_max"), st.pcp_high_max);
	assert_int_equal(jget(z, "pageblocks")->n, BZ_MIGRATE_TYPES);
}

/* Cross-check with Python's parser where there is one. */
static void python_json_check(const char *text)
{
	char path[] = "/tmp/bz-reports-XXXXXX";
	char cmd[256];
	int fd;

	if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
		return;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' %s", path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
}

static void test_json_parses_and_matches(void **state)
{
	static const char *const root_keys[] = { "version", "thread_caches", "sysctls", "nodes", "zonelists",
						 "vmstat" };
	bz_system *sys = make_system(TWO_NODES, 2);
	bz_page *page = bz_alloc_pages(sys, BZ_GFP_KERNEL, 3);
	char *text = capture(bz_write_json, sys), *vm = capture(bz_write_vmstat, sys);
	struct jval *root = jparse(text), *nodes, *vmstat;

	(void)state;
	assert_non_null(page);
	if (!root)
		fail_msg("bz_write_json wrote invalid JSON: %.200s", text);
	python_json_check(text);
	assert_int_equal(root->n, 6);
	for (int i = 0; i < root->n; i++)
		assert_string_equal(root->keys[i], root_keys[i]);
	assert_string_equal(jget(root, "version")->str, bz_version());
	assert_int_equal(jget_num(jget(root, "sysctls"), "min_free_kbytes"), VM_MIN_FREE_KBYTES);
	assert_int_equal(jget(jget(root, "sysctls"), "lowmem_reserve_ratio")->n, BZ_MAX_NR_ZONES);

	nodes = jget(root, "nodes");
	assert_int_equal(nodes->n, 2);
	for (int nid = 0; nid < 2; nid++) {
		struct jval *node = jat(nodes, nid), *zones = jget(node, "zones");

		assert_int_equal(jget_num(node, "nid"), nid);
		assert_int_equal(jget_num(node, "cpus"), 2);
		assert_int_equal(zones->n, BZ_MAX_NR_ZONES);
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			assert_json_zone(jat(zones, zid), sys, nid, zid);
	}
	assert_int_equal(jnum(jat(jget(jget(root, "zonelists"), "0"), 0)), 0);
	assert_int_equal(jnum(jat(jget(jget(root, "zonelists"), "0"), 1)), 1);
	assert_int_equal(jnum(jat(jget(jget(root, "zonelists"), "1"), 0)), 1);

	/* What JSON and /proc/vmstat both show must agree. */
	vmstat = jget(root, "vmstat");
	for (int i = 0; i < vmstat->n; i++) {
		const char *name = vmstat->keys[i];

		if (strstr(vm, name) && strncmp(name, "nr_zone_", 8) && strncmp(name, "pgalloc_fail", 12) &&
		    strncmp(name, "pgalloc_bad", 11))
			assert_int_equal(jnum(vmstat->items[i]), vmstat_value(vm, name));
	}
	assert_true(jget_num(vmstat, "pgalloc_normal") > 0);
	assert_int_equal(bz_free_pages(page, 3), 0);
	jfree(root);
	free(text);
	free(vm);
	bz_system_destroy(sys);
}

static void test_json_parser_rejects_bad_text(void **state)
{
	static const char *const bad[] = {
		"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "[1] 2", "tru",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jval *v = jparse(bad[i]);

		if (v)
			fail_msg("accepted bad JSON \"%s\"", bad[i]);
	}
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_writers_fail_with_eio(void **state)
{
	static const writer_fn writers[] = {
		bz_write_zoneinfo, bz_write_buddyinfo, bz_write_pagetypeinfo,
		bz_write_vmstat, bz_write_zonelists, bz_write_json,
	};
	bz_system *sys = make_system(SMALL_ZONES, 2);

	(void)state;
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		FILE *ro = fopen("/dev/null", "r");   /* every write fails */

		assert_non_null(ro);
		assert_int_equal(writers[i](sys, ro), -EIO);
		fclose(ro);
	}
	bz_system_destroy(sys);
}

/* NULL is the default system: a report of it, or -ENOMEM if it cannot be built. */
static void test_writers_accept_default_system(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret;

	(void)state;
	assert_non_null(f);
	ret = bz_write_buddyinfo(NULL, f);
	fclose(f);
	assert_true(ret == 0 || ret == -ENOMEM);
	if (ret == 0)
		assert_int_equal(strncmp(buf, "Node 0, zone ", 13), 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zoneinfo_watermarks_match_kernel),
		cmocka_unit_test(test_zoneinfo_matches_saved_machine),
		cmocka_unit_test(test_zoneinfo_layout_matches_kernel),
		cmocka_unit_test(test_zoneinfo_two_nodes_list_every_cpu),
		cmocka_unit_test(test_buddyinfo_layout_matches_kernel),
		cmocka_unit_test(test_buddyinfo_tracks_allocations),
		cmocka_unit_test(test_pagetypeinfo_layout_matches_kernel),
		cmocka_unit_test(test_pagetypeinfo_totals_match_buddyinfo),
		cmocka_unit_test(test_vmstat_names_match_kernel),
		cmocka_unit_test(test_vmstat_counts_allocations),
		cmocka_unit_test(test_zonelists_two_nodes),
		cmocka_unit_test(test_zonelists_one_node),
		cmocka_unit_test(test_reports_memoryless_node),
		cmocka_unit_test(test_json_parses_and_matches),
		cmocka_unit_test(test_json_parser_rejects_bad_text),
		cmocka_unit_test(test_writers_fail_with_eio),
		cmocka_unit_test(test_writers_accept_default_system),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
