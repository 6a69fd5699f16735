/* SPDX-License-Identifier: MIT */
/*
 * replay_trace.c - bzreplay's trace: the kernel's kmem events as ftrace
 * prints them (trace-cmd report, or /sys/kernel/tracing/trace), or a CSV of
 * "op,order,gfp,id"; the window between bzrecord.sh's snapshot markers;
 * each free counted once; and the signs that events were lost.
 *
 * free_unref_folios() emits mm_page_free (from free_pages_prepare()) for
 * every folio of a batch, then mm_page_free_batched for each again: a
 * batched event that repeats a recent mm_page_free of its CPU is that
 * free, not another (unless the page was allocated again in between).
 * Older kernels emitted only the batched event; one without a matching
 * free counts as the free.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "replay.h"

/*
 * Frees that may still be repeated by a batched event: pfn -> CPU.  An
 * entry goes when its twin comes, or when the pfn is allocated again (then
 * a later batched event is a free of its own: older kernels emit only that).
 */
struct pending {
	uint64_t *key;          /* pfn + 1; 0 empty, ~0 deleted */
	uint16_t *cpu;
	size_t size, used;
};

struct reader {
	struct trace *t;
	struct pending twins;
	long before_at, after_at;       /* event index at the markers; -1: none */
	uint64_t before_ts, after_ts;
};

bool pcp_order(unsigned order)
{
	/* pcp_allowed_order(): PAGE_ALLOC_COSTLY_ORDER and below, and THP's pageblock order. */
	return order <= 3 || order == BZ_PAGEBLOCK_ORDER;
}

int trace_push(struct trace *t, const struct event *ev)
{
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 65536;
		struct event *n = realloc(t->ev, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->ev = n;
		t->cap = cap;
	}
	t->ev[t->nr++] = *ev;
	if (ev->cpu + 1 > t->nr_cpus)
		t->nr_cpus = ev->cpu + 1;
	return 0;
}

/* ---- a free, once -------------------------------------------------------------------- */

#define DELETED (~0ull)

static size_t slot_of(const struct pending *p, uint64_t key)
{
	uint64_t k = key * 0x9e3779b97f4a7c15ull;

	return (size_t)(k >> 20) & (p->size - 1);
}

/* The slot holding pfn, or the empty slot where it would go (-1 when none exists yet). */
static long twin_find(const struct pending *p, uint64_t pfn, bool *found)
{
	long free_slot = -1;

	*found = false;
	if (!p->size)
		return -1;
	for (size_t i = slot_of(p, pfn + 1);; i = (i + 1) & (p->size - 1)) {
		if (p->key[i] == pfn + 1) {
			*found = true;
			return (long)i;
		}
		if (p->key[i] == DELETED && free_slot < 0)
			free_slot = (long)i;
		if (!p->key[i])
			return free_slot >= 0 ? free_slot : (long)i;
	}
}

static int twin_grow(struct pending *p)
{
	struct pending n = { .size = p->size ? p->size * 2 : 4096 };

	n.key = calloc(n.size, sizeof(*n.key));
	n.cpu = calloc(n.size, sizeof(*n.cpu));
	if (!n.key || !n.cpu) {
		free(n.key);
		free(n.cpu);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->size; i++) {
		size_t j;

		if (!p->key[i] || p->key[i] == DELETED)
			continue;
		for (j = slot_of(&n, p->key[i]); n.key[j]; j = (j + 1) & (n.size - 1))
			;
		n.key[j] = p->key[i];
		n.cpu[j] = p->cpu[i];
		n.used++;
	}
	free(p->key);
	free(p->cpu);
	*p = n;
	return 0;
}

static int note_free(struct reader *rd, unsigned cpu, uint64_t pfn)
{
	struct pending *p = &rd->twins;
	bool found;
	long i;

	if ((p->used + 1) * 2 > p->size && twin_grow(p))
		return -ENOMEM;
	i = twin_find(p, pfn, &found);
	if (!found && !p->key[i])
		p->used++;
	p->key[i] = pfn + 1;
	p->cpu[i] = (uint16_t)cpu;
	return 0;
}

static void forget_free(struct reader *rd, uint64_t pfn)
{
	bool found;
	long i = twin_find(&rd->twins, pfn, &found);

	if (found)
		rd->twins.key[i] = DELETED;
}

/* A batched event repeating an mm_page_free of its CPU (not allocated since): consumed, true. */
static bool batched_repeats(struct reader *rd, unsigned cpu, uint64_t pfn)
{
	bool found;
	long i = twin_find(&rd->twins, pfn, &found);

	if (!found || rd->twins.cpu[i] != cpu)
		return false;
	rd->twins.key[i] = DELETED;
	return true;
}

/* An event from any reader: batched frees folded, markers noted, counted. */
static int accept(struct reader *rd, struct event *ev, bool batched)
{
	struct trace *t = rd->t;

	if (ev->type == EV_FREE) {
		if (batched) {
			ev->arg = 1;
			if (batched_repeats(rd, ev->cpu, ev->key))
				ev->type = EV_BATCHED_DUP;
		} else if (note_free(rd, ev->cpu, ev->key)) {
			return -ENOMEM;
		}
	} else if (ev->type == EV_ALLOC) {
		forget_free(rd, ev->key);
	}
	return trace_push(t, ev);
}

static void marker(struct reader *rd, const char *text, uint64_t ts)
{
	if (strstr(text, "bzreplay: before")) {
		rd->before_at = (long)rd->t->nr;
		rd->before_ts = ts;
	} else if (strstr(text, "bzreplay: after")) {
		rd->after_at = (long)rd->t->nr;
		rd->after_ts = ts;
	}
}

/* ---- ftrace text ------------------------------------------------------------------------ */

/*
 * Flags as show_gfp_flags() prints them ("GFP_KERNEL|__GFP_ZERO"), "none"
 * for 0, or a number.  Names this library does not model are dropped (counted).
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
		if (!t->c.unknown_flags++)
			snprintf(t->c.first_unknown, sizeof(t->c.first_unknown), "%s", term);
	}
	return gfp;
}

/* The value after " key=" up to the next blank; NULL if absent. */
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

static int get_num(const char *at, const char *key, uint64_t *v)
{
	char buf[32];

	return parse_uint(field(at, key, buf, sizeof(buf)), v);
}

/* NULL as %p prints it: zeros, "(null)", "(nil)", or "0x0". */
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
 * "TASK-PID [CPU] [flags] SECONDS.FRACTION: name: ...": the CPU, the last
 * "[digits]" before limit (a task's name may hold brackets), and the time,
 * the first "digits.digits:" token after it.  0, or -1.
 */
static int line_head(const char *line, const char *limit, unsigned *cpu, uint64_t *ts)
{
	const char *b = NULL, *p;

	for (p = line; (p = strchr(p, '[')) && p < limit; p++) {
		size_t d = strspn(p + 1, "0123456789");

		if (d && p[1 + d] == ']')
			b = p;
	}
	if (!b || sscanf(b, "[%u]", cpu) != 1)
		return -1;
	for (p = strchr(b, ']') + 1; p < limit; p += strcspn(p, " ")) {
		unsigned long long sec, frac;
		int len, dot;

		p += strspn(p, " ");
		if (sscanf(p, "%llu.%n%llu%n", &sec, &dot, &frac, &len) == 2 && p[len] == ':' && len - dot <= 9) {
			for (int digits = len - dot; digits < 9; digits++)
				frac *= 10;
			*ts = sec * 1000000000ull + frac;
			return 0;
		}
	}
	return -1;
}

static const struct {
	const char *name;
	int type;
	bool batched;
} kmem_events[] = {
	{ " mm_page_alloc: ", EV_ALLOC, false },
	{ " mm_page_free: ", EV_FREE, false },
	{ " mm_page_free_batched: ", EV_FREE, true },
	{ " mm_page_alloc_zone_locked: ", EV_ZONE_LOCKED, false },
	{ " mm_page_pcpu_drain: ", EV_PCPU_DRAIN, false },
	{ " mm_page_alloc_extfrag: ", EV_EXTFRAG, false },
};

/* The event's fields after its name; 0, or -1 for a malformed line. */
static int parse_fields(struct trace *t, const char *at, struct event *ev, bool *failed)
{
	uint64_t pfn, order, v, fo, fmt, own;
	char buf[400];

	if (get_num(at, "pfn", &pfn) ||
	    get_num(at, ev->type == EV_EXTFRAG ? "alloc_order" : "order", &order) || order > BZ_MAX_ORDER)
		return -1;
	ev->key = pfn;
	ev->order = (uint8_t)order;
	switch (ev->type) {
	case EV_ALLOC:
		*failed = null_page(field(at, "page", buf, sizeof(buf)));
		ev->mt = get_num(at, "migratetype", &v) || v >= REPLAY_NR_MT ? 0 : (uint8_t)v;
		ev->gfp = parse_gfp(t, field(at, "gfp_flags", buf, sizeof(buf)) ? buf : "");
		break;
	case EV_ZONE_LOCKED:
		if (get_num(at, "migratetype", &v) || get_num(at, "percpu_refill", &fo))
			return -1;
		ev->mt = v < REPLAY_NR_MT ? (uint8_t)v : 0;
		ev->arg = fo != 0;
		break;
	case EV_PCPU_DRAIN:
		ev->mt = get_num(at, "migratetype", &v) || v >= REPLAY_NR_MT ? 0 : (uint8_t)v;
		break;
	case EV_EXTFRAG:
		if (get_num(at, "fallback_order", &fo) || fo > BZ_MAX_ORDER || get_num(at, "alloc_migratetype", &v) ||
		    get_num(at, "fallback_migratetype", &fmt) || get_num(at, "change_ownership", &own))
			return -1;
		ev->mt = v < REPLAY_NR_MT ? (uint8_t)v : 0;
		ev->arg = (uint8_t)(fo | (fmt & 7) << 4 | (own ? EXTFRAG_CLAIMED : 0));
		break;
	}
	return 0;
}

/* Lines about lost events, the raw tracefs header, markers. */
static void parse_other(struct reader *rd, const char *line)
{
	struct trace_counts *c = &rd->t->c;
	unsigned long a, b;
	const char *p;
	unsigned cpu;
	uint64_t ts;

	if (!strncmp(line, "CPU:", 4) && (p = strchr(line, '['))) {
		c->lost_markers++;
		if (sscanf(p, "[LOST %lu EVENTS]", &a) == 1 || sscanf(p, "[%lu EVENTS DROPPED]", &a) == 1)
			c->lost_events += a;
	} else if ((p = strstr(line, "entries-in-buffer/entries-written:")) &&
		   sscanf(p + 34, " %lu/%lu", &a, &b) == 2) {
		c->buffer_entries += a;
		c->buffer_written += b;
	} else if (strstr(line, "#####") && strstr(line, "buffer started")) {
		c->buffer_started++;
	} else if ((p = strstr(line, "bzreplay: "))) {
		marker(rd, p, line_head(line, p, &cpu, &ts) ? 0 : ts);
	}
}

/* 1 for an event (in *ev), 0 for a line that is none, -1 for a malformed one. */
static int parse_ftrace_line(struct reader *rd, const char *line, struct event *ev, bool *batched)
{
	const char *at = NULL;
	unsigned cpu;
	bool failed = false;
	size_t i;

	for (i = 0; i < sizeof(kmem_events) / sizeof(kmem_events[0]); i++)
		if ((at = strstr(line, kmem_events[i].name)))
			break;
	if (!at) {
		parse_other(rd, line);
		return 0;
	}
	memset(ev, 0, sizeof(*ev));
	ev->type = (uint8_t)kmem_events[i].type;
	*batched = kmem_events[i].batched;
	if (line_head(line, at, &cpu, &ev->ts_ns) || cpu >= REPLAY_MAX_CPUS)
		return -1;
	ev->cpu = (uint16_t)cpu;
	if (parse_fields(rd->t, at + strlen(kmem_events[i].name) - 1, ev, &failed))
		return -1;
	if (failed)
		ev->type = EV_ALLOC_FAILED;
	return 1;
}

/* ---- CSV ------------------------------------------------------------------------------- */

/* "op,order,gfp,id": op alloc|free (or a|f), gfp as bz_gfp_parse reads it (empty: none). */
static int parse_csv_line(struct trace *t, char *line, size_t row, struct event *ev)
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
	memset(ev, 0, sizeof(*ev));
	if (!strcmp(f[0], "alloc") || !strcmp(f[0], "a"))
		ev->type = EV_ALLOC;
	else if (!strcmp(f[0], "free") || !strcmp(f[0], "f"))
		ev->type = EV_FREE;
	else
		return -1;
	if (parse_uint(f[1], &o) || o > BZ_MAX_ORDER || parse_uint(f[3], &ev->key))
		return -1;
	ev->order = (uint8_t)o;
	ev->ts_ns = (uint64_t)row * 1000000ull;	/* no time in a CSV: a millisecond a row */
	if (ev->type == EV_ALLOC) {
		ev->gfp = parse_gfp(t, f[2]);
		ev->mt = (uint8_t)gfp_mt(ev->gfp);
	}
	return 1;
}

/* ftrace when a line names a kmem event, CSV when it starts with an op. */
static const char *detect_format(const char *line)
{
	for (size_t i = 0; i < sizeof(kmem_events) / sizeof(kmem_events[0]); i++)
		if (strstr(line, kmem_events[i].name))
			return "ftrace";
	if (!strncmp(line, "alloc,", 6) || !strncmp(line, "free,", 5) || !strncmp(line, "a,", 2) ||
	    !strncmp(line, "f,", 2) || !strncmp(line, "op,", 3))
		return "csv";
	return NULL;
}

static void reader_init(struct reader *rd, struct trace *t)
{
	memset(rd, 0, sizeof(*rd));
	rd->t = t;
	rd->before_at = rd->after_at = -1;
}

static void reader_done(struct reader *rd)
{
	struct trace *t = rd->t;

	free(rd->twins.key);
	free(rd->twins.cpu);
	/* The window: events between the markers, times from the markers. */
	if (rd->before_at >= 0 || rd->after_at >= 0) {
		size_t lo = rd->before_at >= 0 ? (size_t)rd->before_at : 0;
		size_t hi = rd->after_at >= 0 && (size_t)rd->after_at >= lo ? (size_t)rd->after_at : t->nr;

		t->c.outside = lo + (t->nr - hi);
		memmove(t->ev, t->ev + lo, (hi - lo) * sizeof(*t->ev));
		t->nr = hi - lo;
		t->windowed = true;
		t->t0_ns = rd->before_ts;
		t->t1_ns = rd->after_ts;
	}
}

int trace_read_text(FILE *in, const char *format, struct trace *t)
{
	struct reader *rd = malloc(sizeof(*rd));
	char *line = NULL;
	size_t size = 0, row = 0;
	struct event ev;
	bool batched = false;
	int r = 0;

	if (!rd)
		return -ENOMEM;
	reader_init(rd, t);
	t->format = format;
	while (getline(&line, &size, in) > 0) {
		if (!t->format)
			t->format = detect_format(line);
		if (!t->format) {
			parse_other(rd, line);
			continue;
		}
		if (!strcmp(t->format, "csv"))
			r = parse_csv_line(t, line, row++, &ev);
		else
			r = parse_ftrace_line(rd, line, &ev, &batched);
		if (r < 0)
			t->c.malformed++;
		if (r > 0 && accept(rd, &ev, batched)) {
			r = -ENOMEM;
			break;
		}
		r = 0;
	}
	free(line);
	if (!r && ferror(in))
		r = -EIO;
	reader_done(rd);
	free(rd);
	return r;
}

int gfp_mt(bz_gfp_t gfp)
{
	/* gfp_migratetype(): the MOVABLE and RECLAIMABLE bits, as the kernel. */
	return (gfp & BZ_GFP_MOVABLE) ? 1 : (gfp & BZ_GFP_RECLAIMABLE) ? 2 : 0;
}

/* Counts the window's events; drops the pseudo-events nothing replays. */
void trace_finish(struct trace *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nr; i++) {
		const struct event *ev = &t->ev[i];

		t->c.events[ev->type]++;
		t->c.batched += ev->arg && (ev->type == EV_FREE || ev->type == EV_BATCHED_DUP);
		if (ev->type < EV_BATCHED_DUP)
			t->ev[n++] = *ev;
	}
	t->nr = n;
	t->c.batched_dup = t->c.events[EV_BATCHED_DUP];
	t->c.alloc_failed = t->c.events[EV_ALLOC_FAILED];
	if (!t->windowed && t->nr) {
		t->t0_ns = t->ev[0].ts_ns;
		t->t1_ns = t->ev[t->nr - 1].ts_ns;
	}
	if (t->t1_ns < t->t0_ns)
		t->t1_ns = t->t0_ns;
}

/* ---- trace.dat (libtracecmd, when built with it) ------------------------------------------ */

bool trace_is_dat(const char *path)
{
	static const unsigned char magic[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };
	unsigned char buf[sizeof(magic)];
	struct stat st;
	FILE *f = !stat(path, &st) && S_ISREG(st.st_mode) ? fopen(path, "rb") : NULL; /* not a pipe: it would lose bytes */
	bool dat = f && fread(buf, 1, sizeof(buf), f) == sizeof(buf) && !memcmp(buf, magic, sizeof(magic));

	if (f)
		fclose(f);
	return dat;
}

#ifdef BZ_HAVE_TRACECMD
#include <trace-cmd.h>

struct dat_ctx {
	struct reader rd;
	struct tep_handle *tep;
	int err;
};

static unsigned long long val(struct tep_event *e, struct tep_record *rec, const char *name, bool *ok)
{
	unsigned long long v = 0;

	if (tep_get_field_val(NULL, e, name, rec, &v, 0))
		*ok = false;
	return v;
}

/* One record: the same event (and the same checks) the text would give. */
static int dat_event(struct dat_ctx *x, struct tep_event *e, struct tep_record *rec)
{
	struct event ev = { .ts_ns = rec->ts, .cpu = (uint16_t)rec->cpu };
	struct trace *t = x->rd.t;
	bool ok = true, batched = !strcmp(e->name, "mm_page_free_batched");
	unsigned long long o;

	if (!strcmp(e->name, "mm_page_alloc"))
		ev.type = EV_ALLOC;
	else if (!strcmp(e->name, "mm_page_free") || batched)
		ev.type = EV_FREE;
	else if (!strcmp(e->name, "mm_page_alloc_zone_locked"))
		ev.type = EV_ZONE_LOCKED;
	else if (!strcmp(e->name, "mm_page_pcpu_drain"))
		ev.type = EV_PCPU_DRAIN;
	else if (!strcmp(e->name, "mm_page_alloc_extfrag"))
		ev.type = EV_EXTFRAG;
	else
		return 0;
	ev.key = val(e, rec, "pfn", &ok);
	o = batched ? 0 : val(e, rec, ev.type == EV_EXTFRAG ? "alloc_order" : "order", &ok);
	if (!ok || o > BZ_MAX_ORDER) {
		t->c.malformed++;
		return 0;
	}
	ev.order = (uint8_t)o;
	if (ev.type == EV_ALLOC || ev.type == EV_ZONE_LOCKED || ev.type == EV_PCPU_DRAIN || ev.type == EV_EXTFRAG) {
		unsigned long long mt = val(e, rec, ev.type == EV_EXTFRAG ? "alloc_migratetype" : "migratetype", &ok);

		ev.mt = mt < REPLAY_NR_MT ? (uint8_t)mt : 0;
	}
	if (ev.type == EV_ALLOC) {
		unsigned long long gfp = val(e, rec, "gfp_flags", &ok);

		/* The page is NULL (pfn -1UL in the record) when the allocation failed. */
		if (ev.key == ~0ull || ev.key == 0xffffffffull) {
			ev.type = EV_ALLOC_FAILED;
			ev.key = 0;
		}
		if (gfp & ~(unsigned long long)BZ_GFP_VALID_MASK) {
			if (!t->c.unknown_flags++)
				snprintf(t->c.first_unknown, sizeof(t->c.first_unknown), "%#llx",
					 gfp & ~(unsigned long long)BZ_GFP_VALID_MASK);
		}
		ev.gfp = (bz_gfp_t)(gfp & BZ_GFP_VALID_MASK);
	} else if (ev.type == EV_ZONE_LOCKED) {
		ev.arg = val(e, rec, "percpu_refill", &ok) != 0;
	} else if (ev.type == EV_EXTFRAG) {
		unsigned long long fo = val(e, rec, "fallback_order", &ok);
		unsigned long long fmt = val(e, rec, "fallback_migratetype", &ok);
		unsigned long long own = val(e, rec, "change_ownership", &ok);

		ev.arg = (uint8_t)((fo & 0xf) | (fmt & 7) << 4 | (own ? EXTFRAG_CLAIMED : 0));
	}
	if (!ok) {
		t->c.malformed++;
		return 0;
	}
	return accept(&x->rd, &ev, batched);
}

static int dat_callback(struct tracecmd_input *h, struct tep_record *rec, int cpu, void *data)
{
	struct dat_ctx *x = data;
	struct tep_event *e = tep_find_event_by_record(x->tep, rec);

	(void)h;
	(void)cpu;
	if (rec->missed_events) {
		x->rd.t->c.lost_markers++;
		if (rec->missed_events > 0)
			x->rd.t->c.lost_events += (unsigned long)rec->missed_events;
	}
	if (!e)
		return 0;
	if (!strcmp(e->name, "print")) {
		int len;
		const char *buf = tep_get_field_raw(NULL, e, "buf", rec, &len, 0);

		if (buf)
			marker(&x->rd, buf, rec->ts);
		return 0;
	}
	x->err = dat_event(x, e, rec);
	return x->err ? -1 : 0;
}

int trace_read_dat(const char *path, struct trace *t)
{
	struct tracecmd_input *h;
	struct dat_ctx *x = calloc(1, sizeof(*x));
	int ret;

	if (!x)
		return -ENOMEM;
	tracecmd_set_loglevel(TEP_LOG_CRITICAL);
	h = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!h) {
		free(x);
		return -EINVAL;
	}
	reader_init(&x->rd, t);
	t->format = "trace.dat";
	x->tep = tracecmd_get_tep(h);
	ret = tracecmd_iterate_events(h, NULL, 0, dat_callback, x);
	tracecmd_close(h);
	reader_done(&x->rd);
	ret = x->err ? x->err : ret < 0 ? -EIO : 0;
	free(x);
	return ret;
}
#else
int trace_read_dat(const char *path, struct trace *t)
{
	(void)path;
	(void)t;
	return -ENOTSUP;
}
#endif

/* ---- signs of loss ------------------------------------------------------------------------ */

int trace_read_stats(FILE *in, struct trace_counts *c)
{
	char *line = NULL;
	size_t size = 0;
	unsigned long v;
	int seen = 0;

	while (getline(&line, &size, in) > 0) {
		if (sscanf(line, "overrun: %lu", &v) == 1) {
			c->overrun += v;
			seen++;
		} else if (sscanf(line, "dropped events: %lu", &v) == 1) {
			c->dropped += v;
			seen++;
		} else if (sscanf(line, "commit overrun: %lu", &v) == 1) {
			c->overrun += v;
		} else if (sscanf(line, "tracing_on: %lu", &v) == 1 || sscanf(line, "tracing_on %lu", &v) == 1) {
			c->tracing_off |= v == 0;
			seen++;
		}
	}
	free(line);
	return seen ? 0 : -EINVAL;
}

int trace_warn_loss(const struct trace *t, FILE *out)
{
	const struct trace_counts *c = &t->c;
	int n = 0;

	if (c->buffer_written > c->buffer_entries) {
		fprintf(out, "warning: the ring buffer held %lu of %lu events written: %lu were overwritten "
			     "(a bigger buffer_size_kb, or read it while tracing: trace-cmd record)\n",
			c->buffer_entries, c->buffer_written, c->buffer_written - c->buffer_entries);
		n++;
	}
	if (c->buffer_started) {
		fprintf(out, "warning: %lu CPU buffer(s) \"started\" late: their older events were overwritten\n",
			c->buffer_started);
		n++;
	}
	if (c->lost_markers) {
		fprintf(out, "warning: the trace marks %lu place(s) where events were lost (%lu events counted)\n",
			c->lost_markers, c->lost_events);
		n++;
	}
	if (c->overrun || c->dropped) {
		fprintf(out, "warning: the CPU buffers report %lu overrun and %lu dropped events\n", c->overrun,
			c->dropped);
		n++;
	}
	if (c->tracing_off) {
		fprintf(out, "warning: tracing_on was 0: the kernel stopped recording (events after that are missing)\n");
		n++;
	}
	return n;
}
