/* SPDX-License-Identifier: MIT */
/*
 * bzreplay - replays an allocation trace through a libbuddyzone system and
 * reports, every N events, what the allocator looks like: free, cached and
 * allocated pages, free blocks per order, the kernel's unusable free space
 * and fragmentation indices for a few orders, and failures.  Traces are
 * the kernel's ftrace text of kmem:mm_page_alloc / mm_page_free events
 * (trace-cmd report, or /sys/kernel/tracing/trace) or a CSV of
 * "op,order,gfp,id".  A trace's pfns (or ids) name blocks: each maps to the
 * live block this replay allocated for it.  --plot draws the series with
 * gnuplot.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <buddyzone/buddyzone.h>

extern char **environ;

#define MAX_SYSCTLS 32
#define MAX_ORDERS_SHOWN 6
#define DEFAULT_ROWS 40

/* ---- the trace ----------------------------------------------------------------- */

enum op { OP_ALLOC, OP_FREE };

struct event {
	uint64_t key;                   /* pfn (ftrace) or id (CSV) */
	bz_gfp_t gfp;
	uint8_t op, order;
};

struct trace {
	struct event *ev;
	size_t nr, cap;
	const char *format;             /* "ftrace" or "csv" */
	unsigned long trace_failed;     /* allocations that failed in the traced kernel */
	unsigned long unknown_flags;    /* gfp terms we do not know (ignored) */
	char first_unknown[64];
	unsigned long skipped_lines;    /* malformed lines */
};

static int trace_push(struct trace *t, enum op op, unsigned order, bz_gfp_t gfp, uint64_t key)
{
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct event *ev = realloc(t->ev, cap * sizeof(*ev));

		if (!ev)
			return -ENOMEM;
		t->ev = ev;
		t->cap = cap;
	}
	t->ev[t->nr++] = (struct event){ .key = key, .gfp = gfp, .op = (uint8_t)op, .order = (uint8_t)order };
	return 0;
}

/*
 * Flags as the trace prints them: show_gfp_flags() names ("GFP_KERNEL|
 * __GFP_ZERO"), "none" for 0, or a number.  Names this library does not
 * model are dropped (counted), the rest kept.
 */
static bz_gfp_t parse_gfp(struct trace *t, const char *text)
{
	char buf[512], *save = NULL, *term;
	bz_gfp_t gfp = 0, bit;

	if (!*text || !strcmp(text, "none") || !bz_gfp_parse(text, &gfp))
		return gfp;
	snprintf(buf, sizeof(buf), "%s", text);
	for (term = strtok_r(buf, "|", &save); term; term = strtok_r(NULL, "|", &save)) {
		if (!bz_gfp_parse(term, &bit)) {
			gfp |= bit;
			continue;
		}
		if (!t->unknown_flags++)
			snprintf(t->first_unknown, sizeof(t->first_unknown), "%s", term);
	}
	return gfp;
}

/* The value after " key=" in an ftrace line, up to the next blank; NULL if absent. */
static const char *field(const char *line, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key), n;
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') && p[klen] == '=') {
			p += klen + 1;
			n = strcspn(p, " \t\r\n");
			if (n >= size)
				return NULL;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return buf;
		}
		p += klen;
	}
	return NULL;
}

static int parse_uint(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, !strncmp(s, "0x", 2) || !strncmp(s, "0X", 2) ? 16 : 10);
	return errno || *end ? -1 : 0;
}

/* NULL as %p prints it: zeros, "(null)", "(nil)" (libtraceevent), or "0x0". */
static bool null_page(const char *page)
{
	if (!page)
		return false;
	if (!strcmp(page, "(null)") || !strcmp(page, "(nil)"))
		return true;
	if (!strncmp(page, "0x", 2))
		page += 2;
	return strspn(page, "0") == strlen(page);
}

/*
 * One line of ftrace text: "... mm_page_alloc: page=%p pfn=0x%lx order=%d
 * migratetype=%d gfp_flags=%s", "... mm_page_free: page=%p pfn=0x%lx
 * order=%d" or "... mm_page_free_batched: page=%p pfn=0x%lx order=0"
 * (include/trace/events/kmem.h; kernels before 5.14 print the pfn in decimal).
 * 1 for an event, 0 for a line that is none, -1 for a malformed one.
 */
static int parse_ftrace_line(struct trace *t, const char *line, struct event *ev)
{
	char pfn[32], order[8], gfp[400], page[40];
	const char *at;
	uint64_t p, o;

	if ((at = strstr(line, " mm_page_alloc: ")))
		ev->op = OP_ALLOC;
	else if ((at = strstr(line, " mm_page_free: ")) || (at = strstr(line, " mm_page_free_batched: ")))
		ev->op = OP_FREE;
	else
		return 0;
	at = strchr(at + 1, ':') + 1;
	if (parse_uint(field(at, "pfn", pfn, sizeof(pfn)), &p) || parse_uint(field(at, "order", order, sizeof(order)), &o) ||
	    o > BZ_MAX_ORDER)
		return -1;
	ev->key = p;
	ev->order = (uint8_t)o;
	ev->gfp = 0;
	if (ev->op == OP_ALLOC) {
		if (null_page(field(at, "page", page, sizeof(page)))) {
			t->trace_failed++;
			return 0;
		}
		ev->gfp = parse_gfp(t, field(at, "gfp_flags", gfp, sizeof(gfp)) ? gfp : "");
	}
	return 1;
}

/*
 * "op,order,gfp,id": op alloc|free (or a|f), gfp as bz_gfp_parse reads it
 * (may be empty: no flags; ignored for a free), id a number naming the block.
 */
static int parse_csv_line(struct trace *t, char *line, struct event *ev)
{
	char *f[5], *rest = line;
	uint64_t o;
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	if (!*line || *line == '#' || !strncmp(line, "op,", 3))
		return 0;
	while (n < 5 && (f[n] = strsep(&rest, ",")))
		n++;
	if (n != 4)
		return -1;
	if (!strcmp(f[0], "alloc") || !strcmp(f[0], "a"))
		ev->op = OP_ALLOC;
	else if (!strcmp(f[0], "free") || !strcmp(f[0], "f"))
		ev->op = OP_FREE;
	else
		return -1;
	if (parse_uint(f[1], &o) || o > BZ_MAX_ORDER || parse_uint(f[3], &ev->key))
		return -1;
	ev->order = (uint8_t)o;
	ev->gfp = ev->op == OP_ALLOC ? parse_gfp(t, f[2]) : 0;
	return 1;
}

/* ftrace when the first event line names a kmem event, CSV when it starts with an op. */
static const char *detect_format(const char *line)
{
	if (strstr(line, " mm_page_alloc: ") || strstr(line, " mm_page_free: ") ||
	    strstr(line, " mm_page_free_batched: "))
		return "ftrace";
	if (!strncmp(line, "alloc,", 6) || !strncmp(line, "free,", 5) || !strncmp(line, "a,", 2) ||
	    !strncmp(line, "f,", 2) || !strncmp(line, "op,", 3))
		return "csv";
	return NULL;
}

static int read_trace(FILE *in, const char *format, struct trace *t)
{
	char *line = NULL;
	size_t size = 0;
	struct event ev;
	int r;

	t->format = format;
	while (getline(&line, &size, in) > 0) {
		if (!t->format)
			t->format = detect_format(line);
		if (!t->format)
			continue;
		r = !strcmp(t->format, "csv") ? parse_csv_line(t, line, &ev) : parse_ftrace_line(t, line, &ev);
		if (r < 0)
			t->skipped_lines++;
		if (r > 0 && trace_push(t, (enum op)ev.op, ev.order, ev.gfp, ev.key)) {
			free(line);
			return -ENOMEM;
		}
	}
	free(line);
	return ferror(in) ? -EIO : 0;
}

/* ---- live blocks: trace key -> our block ------------------------------------------ */

struct live {
	uint64_t key;
	bz_page *page;                  /* NULL: empty; TOMBSTONE: deleted; FAILED: not allocated here */
	unsigned order;
};

#define TOMBSTONE ((bz_page *)1)
#define FAILED ((bz_page *)2)

struct map {
	struct live *slot;
	size_t size, used;              /* used counts tombstones too */
};

static size_t hash_key(uint64_t k, size_t size)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k & (size - 1);
}

static struct live *map_find(struct map *m, uint64_t key)
{
	if (!m->size)
		return NULL;
	for (size_t i = hash_key(key, m->size);; i = (i + 1) & (m->size - 1)) {
		struct live *l = &m->slot[i];

		if (!l->page)
			return NULL;
		if (l->page != TOMBSTONE && l->key == key)
			return l;
	}
}

static int map_grow(struct map *m)
{
	struct map n = { .size = m->size ? m->size * 2 : 1024 };

	n.slot = calloc(n.size, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < m->size; i++) {
		struct live *l = &m->slot[i];

		if (l->page && l->page != TOMBSTONE) {
			size_t j = hash_key(l->key, n.size);

			while (n.slot[j].page)
				j = (j + 1) & (n.size - 1);
			n.slot[j] = *l;
			n.used++;
		}
	}
	free(m->slot);
	*m = n;
	return 0;
}

static int map_insert(struct map *m, uint64_t key, bz_page *page, unsigned order)
{
	size_t i;

	if ((m->used + 1) * 2 > m->size && map_grow(m))
		return -ENOMEM;
	for (i = hash_key(key, m->size); m->slot[i].page && m->slot[i].page != TOMBSTONE; i = (i + 1) & (m->size - 1))
		;
	if (!m->slot[i].page)
		m->used++;
	m->slot[i] = (struct live){ .key = key, .page = page, .order = order };
	return 0;
}

/* ---- the replay ------------------------------------------------------------------------ */

struct sample {
	size_t event;
	unsigned long allocs, frees, fails;
	unsigned long free, cached, allocated;
	unsigned long nr_free[BZ_NR_PAGE_ORDERS];
	int unusable[MAX_ORDERS_SHOWN], extfrag[MAX_ORDERS_SHOWN];
};

struct replay {
	bz_system *sys;
	int zone_nid, zone_zid;         /* -1: every populated zone */
	unsigned orders[MAX_ORDERS_SHOWN];
	int nr_orders;
	struct map map;
	unsigned long allocs, frees, fails, unmatched, missed_frees, order_mismatch, failed_frees;
	unsigned long live_blocks, live_pages, peak_pages;
	size_t peak_event;
	struct sample *samples;
	size_t nr_samples;
};

static void take_sample(struct replay *r, size_t event)
{
	struct sample *s = &r->samples[r->nr_samples++];
	int nodes = bz_nr_nodes(r->sys);

	memset(s, 0, sizeof(*s));
	s->event = event;
	s->allocs = r->allocs;
	s->frees = r->frees;
	s->fails = r->fails;
	for (int nid = 0; nid < nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone_stats st = { .size = sizeof(st) };

			if ((r->zone_nid >= 0 && (nid != r->zone_nid || zid != r->zone_zid)) ||
			    bz_zone_stats(r->sys, nid, zid, &st) || !st.managed)
				continue;
			s->free += st.free;
			s->cached += st.cached;
			s->allocated += st.allocated;
			for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
				s->nr_free[o] += st.nr_free[o];
		}
	for (int i = 0; i < r->nr_orders; i++) {
		s->unusable[i] = bz_unusable_index(s->nr_free, r->orders[i]);
		s->extfrag[i] = bz_extfrag_index(s->nr_free, r->orders[i]);
	}
}

static void replay_free(struct replay *r, struct live *l)
{
	if (l->page != FAILED) {
		bz_free_pages(l->page, l->order);
		r->live_blocks--;
		r->live_pages -= 1ul << l->order;
	}
	l->page = TOMBSTONE;
}

/*
 * Requests the replay must not make as traced: __GFP_NOFAIL would loop
 * forever on a smaller machine, __GFP_ZERO would touch memory no report
 * looks at, and each failure is counted rather than reported.
 */
static bz_gfp_t replay_gfp(bz_gfp_t gfp)
{
	return (gfp & ~(BZ_GFP_NOFAIL | BZ_GFP_ZERO)) | BZ_GFP_NOWARN;
}

static int replay_event(struct replay *r, const struct event *ev)
{
	struct live *l = map_find(&r->map, ev->key);
	bz_page *page;

	if (ev->op == OP_FREE) {
		if (!l) {
			r->unmatched++;         /* allocated before the trace began */
			return 0;
		}
		r->order_mismatch += l->order != ev->order;
		if (l->page == FAILED)
			r->failed_frees++;
		else
			r->frees++;
		replay_free(r, l);
		return 0;
	}
	if (l) {
		r->missed_frees += l->page != FAILED; /* its free was not traced */
		replay_free(r, l);
	}
	r->allocs++;
	page = bz_alloc_pages(r->sys, replay_gfp(ev->gfp), ev->order);
	if (!page) {
		r->fails++;
		return map_insert(&r->map, ev->key, FAILED, ev->order);
	}
	r->live_blocks++;
	r->live_pages += 1ul << ev->order;
	return map_insert(&r->map, ev->key, page, ev->order);
}

static int replay_run(struct replay *r, const struct trace *t, size_t every)
{
	size_t max = t->nr / every + 2;

	r->samples = calloc(max, sizeof(*r->samples));
	if (!r->samples)
		return -ENOMEM;
	take_sample(r, 0);
	for (size_t i = 0; i < t->nr; i++) {
		int err = replay_event(r, &t->ev[i]);

		if (err)
			return err;
		if (r->live_pages > r->peak_pages) {
			r->peak_pages = r->live_pages;
			r->peak_event = i + 1;
		}
		if ((i + 1) % every == 0 || i + 1 == t->nr)
			take_sample(r, i + 1);
	}
	return 0;
}

/* Gives every block back: the system must then be as it began. */
static int replay_release(struct replay *r)
{
	for (size_t i = 0; i < r->map.size; i++)
		if (r->map.slot[i].page && r->map.slot[i].page != TOMBSTONE)
			replay_free(r, &r->map.slot[i]);
	bz_drain_all_pages(r->sys);
	return bz_check(r->sys);
}

/* ---- output ------------------------------------------------------------------------------- */

static void fmt_index(char *buf, size_t size, int v)
{
	snprintf(buf, size, "%s%d.%03d", v < 0 ? "-" : "", abs(v) / 1000, abs(v) % 1000);
}

static void write_csv(FILE *out, const struct replay *r)
{
	fprintf(out, "event,allocs,frees,fails,free,cached,allocated");
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		fprintf(out, ",nr_free_%d", o);
	for (int i = 0; i < r->nr_orders; i++)
		fprintf(out, ",unusable_%u", r->orders[i]);
	for (int i = 0; i < r->nr_orders; i++)
		fprintf(out, ",extfrag_%u", r->orders[i]);
	fputc('\n', out);
	for (size_t k = 0; k < r->nr_samples; k++) {
		const struct sample *s = &r->samples[k];
		char v[16];

		fprintf(out, "%zu,%lu,%lu,%lu,%lu,%lu,%lu", s->event, s->allocs, s->frees, s->fails, s->free,
			s->cached, s->allocated);
		for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
			fprintf(out, ",%lu", s->nr_free[o]);
		for (int i = 0; i < r->nr_orders; i++) {
			fmt_index(v, sizeof(v), s->unusable[i]);
			fprintf(out, ",%s", v);
		}
		for (int i = 0; i < r->nr_orders; i++) {
			fmt_index(v, sizeof(v), s->extfrag[i]);
			fprintf(out, ",%s", v);
		}
		fputc('\n', out);
	}
}

/*
 * Columns: nr_free per order ("o0".."o10"), then the unusable free space
 * index ("unu<k>") and the fragmentation index ("frag<k>") for each order k.
 */
static void write_table(FILE *out, const struct replay *r)
{
	char v[16];

	fprintf(out, "%7s %6s %6s %5s %7s %6s %7s ", "event", "allocs", "frees", "fails", "free", "cached", "alloc");
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
		snprintf(v, sizeof(v), "o%d", o);
		fprintf(out, "%7s", v);
	}
	for (int i = 0; i < r->nr_orders; i++) {
		snprintf(v, sizeof(v), "unu%u", r->orders[i]);
		fprintf(out, " %6s", v);
	}
	for (int i = 0; i < r->nr_orders; i++) {
		snprintf(v, sizeof(v), "frag%u", r->orders[i]);
		fprintf(out, " %6s", v);
	}
	fputc('\n', out);
	for (size_t k = 0; k < r->nr_samples; k++) {
		const struct sample *s = &r->samples[k];

		fprintf(out, "%7zu %6lu %6lu %5lu %7lu %6lu %7lu ", s->event, s->allocs, s->frees, s->fails, s->free,
			s->cached, s->allocated);
		for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
			fprintf(out, "%7lu", s->nr_free[o]);
		for (int i = 0; i < r->nr_orders; i++) {
			fmt_index(v, sizeof(v), s->unusable[i]);
			fprintf(out, " %6s", v);
		}
		for (int i = 0; i < r->nr_orders; i++) {
			fmt_index(v, sizeof(v), s->extfrag[i]);
			fprintf(out, " %6s", v);
		}
		fputc('\n', out);
	}
}

static void write_summary(FILE *out, const struct replay *r, const struct trace *t, const char *path)
{
	fprintf(out, "trace: %s (%s, %zu events)\n", path, t->format ? t->format : "empty", t->nr);
	fprintf(out, "replayed: %lu allocations, %lu frees\n", r->allocs, r->frees);
	fprintf(out, "allocation failures: %lu\n", r->fails);
	fprintf(out, "frees of blocks allocated before the trace: %lu (skipped)\n", r->unmatched);
	fprintf(out, "frees of blocks whose allocation failed here: %lu (skipped)\n", r->failed_frees);
	fprintf(out, "allocations over a live block (its free not traced): %lu\n", r->missed_frees);
	fprintf(out, "frees with another order than their allocation: %lu\n", r->order_mismatch);
	fprintf(out, "failed in the traced kernel: %lu (not replayed)\n", t->trace_failed);
	if (t->unknown_flags)
		fprintf(out, "unknown gfp flags: %lu (ignored; the first: %s)\n", t->unknown_flags, t->first_unknown);
	if (t->skipped_lines)
		fprintf(out, "malformed lines: %lu (skipped)\n", t->skipped_lines);
	fprintf(out, "live at the end: %lu blocks, %lu pages\n", r->live_blocks, r->live_pages);
	fprintf(out, "peak allocated: %lu pages (after event %zu)\n", r->peak_pages, r->peak_event);
}

/* ---- plot ------------------------------------------------------------------------------------- */

/* GNUPLOT, else "gnuplot", found in PATH; NULL when there is none. */
static const char *find_gnuplot(char *buf, size_t size)
{
	const char *name = getenv("GNUPLOT"), *path = getenv("PATH");

	if (!name || !*name)
		name = "gnuplot";
	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : name;
	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, size, "%.*s/%s", (int)n, path, name);
		if (n && !access(buf, X_OK))
			return buf;
		path += n + (path[n] == ':');
	}
	return NULL;
}

/* A gnuplot single-quoted string: ' doubled. */
static void gp_string(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static void write_gnuplot_script(FILE *f, const struct replay *r, const char *data, const char *png,
				 const char *title)
{
	int first_index = 8 + BZ_NR_PAGE_ORDERS; /* columns: 1 event .. 7 allocated, then nr_free */

	fputs("set terminal pngcairo size 1200,900 noenhanced font ',10'\nset output ", f);
	gp_string(f, png);
	/* The same margins in both panels, so that their event axes line up. */
	fputs("\nset datafile separator ','\nset key outside right top\nset grid\n"
	      "set lmargin at screen 0.07\nset rmargin at screen 0.80\n", f);
	fputs("set multiplot layout 2,1 title ", f);
	gp_string(f, title);
	/* Eleven orders need eleven colours (gnuplot's own cycle has eight); 0 sits on the floor. */
	fputs("\ncolors = '#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #000000'\n"
	      "set title 'Free blocks per order (buddy lists; log scale, 0 on the floor)'\nset ylabel 'free blocks'\n"
	      "set logscale y\nset yrange [0.5:*]\nset ytics add ('0' 0.5)\nplot for [o=0:10] ", f);
	gp_string(f, data);
	fputs(" using 1:(column(8+o) > 0 ? column(8+o) : 0.5) skip 1 with lines lw 2 lc rgb word(colors, o+1) "
	      "title sprintf('order %d', o)\n", f);
	fputs("unset logscale y\nset ytics auto\nset title 'Fragmentation: unusable free space index (solid), "
	      "fragmentation index (dashed; -1: a request would succeed)'\n"
	      "set ylabel 'index'\nset xlabel 'events replayed'\nset yrange [-1.05:1.05]\nplot ", f);
	for (int i = 0; i < r->nr_orders; i++) {
		fprintf(f, "%s", i ? ", " : "");
		gp_string(f, data);
		fprintf(f, " using 1:%d skip 1 with lines lw 2 lc %d title 'unusable, order %u', ", first_index + i,
			i + 1, r->orders[i]);
		gp_string(f, data);
		fprintf(f, " using 1:%d skip 1 with lines lw 2 dt 2 lc %d title 'extfrag, order %u'",
			first_index + r->nr_orders + i, i + 1, r->orders[i]);
	}
	fputs("\nunset multiplot\n", f);
}

static int run_gnuplot(const char *gnuplot, const char *script)
{
	char *argv[] = { (char *)gnuplot, (char *)script, NULL };
	pid_t pid;
	int status, err;

	err = posix_spawn(&pid, gnuplot, NULL, NULL, argv, environ);
	if (err) {
		fprintf(stderr, "bzreplay: cannot run %s: %s\n", gnuplot, strerror(err));
		return -1;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bzreplay: %s failed (its messages are above)\n", gnuplot);
		return -1;
	}
	return 0;
}

static int plot(const struct replay *r, const char *png, const char *title)
{
	char gp_buf[4096], data[] = "/tmp/bzreplay-data-XXXXXX", script[] = "/tmp/bzreplay-plot-XXXXXX";
	const char *gnuplot = find_gnuplot(gp_buf, sizeof(gp_buf));
	FILE *fd = NULL, *fs = NULL;
	int dfd, sfd, ret = -1;

	if (!gnuplot) {
		fprintf(stderr, "bzreplay: --plot needs gnuplot, which is not installed (Debian: apt-get install "
				"gnuplot-nox), or set GNUPLOT to its path\n");
		return -1;
	}
	dfd = mkstemp(data);
	sfd = dfd < 0 ? -1 : mkstemp(script);
	if (sfd >= 0) {
		fd = fdopen(dfd, "w");
		fs = fdopen(sfd, "w");
	}
	if (!fd || !fs) {
		perror("bzreplay: temporary files");
	} else {
		write_csv(fd, r);
		write_gnuplot_script(fs, r, data, png, title);
		if (!ferror(fd) && !ferror(fs) && !fflush(fd) && !fflush(fs))
			ret = run_gnuplot(gnuplot, script);
	}
	if (fd)
		fclose(fd);
	else if (dfd >= 0)
		close(dfd);
	if (fs)
		fclose(fs);
	else if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		unlink(data);
	if (sfd >= 0)
		unlink(script);
	return ret;
}

/* ---- options and main ------------------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bzreplay [OPTIONS] TRACE\n"
		"\n"
		"Replays TRACE (a file, or - for stdin) through a libbuddyzone system and\n"
		"prints the allocator's state every N events, then a summary.\n"
		"\n"
		"TRACE is the kernel's ftrace text of kmem:mm_page_alloc and mm_page_free\n"
		"(mm_page_free_batched too), as trace-cmd report or /sys/kernel/tracing/trace\n"
		"write it, or CSV lines \"op,order,gfp,id\" (op alloc or free, gfp as\n"
		"GFP_KERNEL|__GFP_ZERO, id a number naming the block; a header line is allowed).\n"
		"__GFP_NOFAIL and __GFP_ZERO are dropped and __GFP_NOWARN added: failures are\n"
		"counted, not retried forever or reported one by one.\n"
		"\n"
		"Options:\n"
		"  --zones SPEC          the system, as for bzinfo (default: this machine)\n"
		"  --sysctl NAME=VALUE   a tunable; repeatable\n"
		"  --cpus-per-node N     CPUs of every node\n"
		"  --topology SPEC       xml:PATH or synthetic:STRING\n"
		"  --format F            ftrace, csv or auto (default)\n"
		"  --every N             a row every N events (default: about %d rows)\n"
		"  --orders LIST         orders of the fragmentation columns (default 3,6,9; at most %d)\n"
		"  --zone NID:NAME       report one zone (default: all zones together)\n"
		"  --csv FILE            the rows as CSV into FILE (- for stdout, instead of the table)\n"
		"  --plot FILE.png       draw free blocks per order and the indices (gnuplot)\n"
		"  --quiet               the summary only\n"
		"  --help                this text\n",
		DEFAULT_ROWS, MAX_ORDERS_SHOWN);
}

struct options {
	struct bz_config cfg;
	char *sysctls[MAX_SYSCTLS];
	int nr_sysctls;
	const char *format, *csv, *png, *zone, *trace;
	size_t every;
	bool quiet;
};

static int parse_orders(struct replay *r, const char *list)
{
	char buf[128], *save = NULL, *tok, *end;

	snprintf(buf, sizeof(buf), "%s", list);
	r->nr_orders = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long o = strtol(tok, &end, 10);

		if (*end || end == tok || o < 0 || o > BZ_MAX_ORDER || r->nr_orders == MAX_ORDERS_SHOWN)
			return -1;
		r->orders[r->nr_orders++] = (unsigned)o;
	}
	return r->nr_orders ? 0 : -1;
}

static int parse_zone(struct replay *r, const char *spec)
{
	static const char *const names[BZ_MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable", "Device" };
	char *end;
	long nid = strtol(spec, &end, 10);

	if (end == spec || *end != ':' || nid < 0 || nid >= BZ_MAX_NUMNODES)
		return -1;
	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		if (!strcmp(end + 1, names[zid])) {
			r->zone_nid = (int)nid;
			r->zone_zid = zid;
			return 0;
		}
	return -1;
}

static int parse_options(int argc, char **argv, struct options *o, struct replay *r)
{
	static const struct option opts[] = {
		{ "zones", required_argument, NULL, 'z' }, { "sysctl", required_argument, NULL, 's' },
		{ "cpus-per-node", required_argument, NULL, 'c' }, { "topology", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' }, { "every", required_argument, NULL, 'e' },
		{ "orders", required_argument, NULL, 'O' }, { "zone", required_argument, NULL, 'Z' },
		{ "csv", required_argument, NULL, 'C' }, { "plot", required_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const char *what = NULL;
	char *end;
	long n;
	int opt;

	while ((opt = getopt_long(argc, argv, "z:s:c:t:f:e:O:Z:C:P:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'z': o->cfg.zones = optarg; break;
		case 't': o->cfg.topology = optarg; break;
		case 'c':
			what = "--cpus-per-node";
			n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 0 || n > 4096)
				goto bad;
			o->cfg.cpus_per_node = (int)n;
			break;
		case 's':
			what = "--sysctl";
			if (o->nr_sysctls == MAX_SYSCTLS || !strchr(optarg, '='))
				goto bad;
			o->sysctls[o->nr_sysctls++] = optarg;
			break;
		case 'f':
			what = "--format";
			if (strcmp(optarg, "ftrace") && strcmp(optarg, "csv") && strcmp(optarg, "auto"))
				goto bad;
			o->format = strcmp(optarg, "auto") ? optarg : NULL;
			break;
		case 'e':
			what = "--every";
			n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1)
				goto bad;
			o->every = (size_t)n;
			break;
		case 'O':
			what = "--orders";
			if (parse_orders(r, optarg))
				goto bad;
			break;
		case 'Z':
			what = "--zone";
			if (parse_zone(r, optarg))
				goto bad;
			break;
		case 'C': o->csv = optarg; break;
		case 'P': o->png = optarg; break;
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -1;
	}
	o->trace = argv[optind];
	return 0;
bad:
	fprintf(stderr, "bzreplay: bad value for %s: '%s' (--help explains)\n", what, optarg);
	return -1;
}

static int build_system(struct options *o, bz_system **sys)
{
	int ret = bz_system_create(&o->cfg, sys);

	if (ret) {
		fprintf(stderr, "bzreplay: cannot build the system: %s\n", bz_strerror(ret));
		return ret;
	}
	for (int i = 0; i < o->nr_sysctls; i++) {
		char *eq = strchr(o->sysctls[i], '=');

		*eq = '\0';
		ret = bz_sysctl_set(*sys, o->sysctls[i], eq + 1);
		if (ret) {
			fprintf(stderr, "bzreplay: --sysctl %s=%s: %s\n", o->sysctls[i], eq + 1, bz_strerror(ret));
			return ret;
		}
	}
	return 0;
}

static int load(const struct options *o, struct trace *t)
{
	FILE *in = strcmp(o->trace, "-") ? fopen(o->trace, "r") : stdin;
	int ret;

	if (!in) {
		fprintf(stderr, "bzreplay: %s: %s\n", o->trace, strerror(errno));
		return -1;
	}
	ret = read_trace(in, o->format, t);
	if (in != stdin)
		fclose(in);
	if (ret)
		fprintf(stderr, "bzreplay: reading %s: %s\n", o->trace, strerror(-ret));
	else if (!t->nr)
		fprintf(stderr, "bzreplay: %s holds no mm_page_alloc/mm_page_free events or CSV rows\n", o->trace);
	return ret || !t->nr ? -1 : 0;
}

static void log_to_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	if (level <= BZ_LOG_WARNING)
		fprintf(stderr, "bzreplay: %s\n", msg);
}

static int report(const struct options *o, const struct replay *r, const struct trace *t)
{
	FILE *csv = NULL;
	int ret = 0;

	if (o->csv) {
		csv = strcmp(o->csv, "-") ? fopen(o->csv, "w") : stdout;
		if (!csv) {
			fprintf(stderr, "bzreplay: %s: %s\n", o->csv, strerror(errno));
			return -1;
		}
		write_csv(csv, r);
		if (csv != stdout && fclose(csv))
			ret = -1;
	}
	if (!o->quiet && csv != stdout) {
		write_table(stdout, r);
		putchar('\n');
	}
	write_summary(csv == stdout ? stderr : stdout, r, t, o->trace);
	if (o->png) {
		const char *base = strrchr(o->trace, '/');
		char title[512];

		snprintf(title, sizeof(title), "bzreplay: %s on %s", base ? base + 1 : o->trace,
			 o->cfg.zones ? o->cfg.zones : "this machine's zones");
		if (plot(r, o->png, title))
			ret = -1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct replay r = { .zone_nid = -1, .zone_zid = -1, .orders = { 3, 6, 9 }, .nr_orders = 3 };
	struct options o = { 0 };
	struct trace t = { 0 };
	int ret;

	bz_config_init(&o.cfg);
	o.cfg.log = log_to_stderr;
	if (parse_options(argc, argv, &o, &r))
		return 2;
	if (load(&o, &t))
		return 1;
	if (build_system(&o, &r.sys))
		return 1;
	if (!o.every)
		o.every = t.nr / DEFAULT_ROWS ? t.nr / DEFAULT_ROWS : 1;
	ret = replay_run(&r, &t, o.every);
	if (ret)
		fprintf(stderr, "bzreplay: %s\n", strerror(-ret));
	else
		ret = report(&o, &r, &t);
	if (!ret && replay_release(&r)) {
		fprintf(stderr, "bzreplay: the system's invariants broke during the replay (bz_check)\n");
		ret = -1;
	}
	bz_system_destroy(r.sys);
	free(r.samples);
	free(r.map.slot);
	free(t.ev);
	return ret ? 1 : 0;
}
