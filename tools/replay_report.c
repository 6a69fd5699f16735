/* SPDX-License-Identifier: MIT */
/*
 * replay_report.c - what bzreplay prints: the trace and the replay in a
 * few lines, the kernel's figures beside the model's (allocations per
 * order and migratetype, frees, blocks taken off and drained back to the
 * buddy lists, fallbacks), the end state against the after-snapshot zone
 * by zone, the model's failures and compaction counters, and the samples
 * as a table or CSV.
 */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

static void fmt_index(char *buf, size_t size, int v)
{
	snprintf(buf, size, "%s%d.%03d", v < 0 ? "-" : "", abs(v) / 1000, abs(v) % 1000);
}

static const char *zone_name(int slot, char *buf, size_t size)
{
	snprintf(buf, size, "%d:%s", slot / BZ_MAX_NR_ZONES, proc_zone_names[slot % BZ_MAX_NR_ZONES]);
	return buf;
}

/* ---- summary ------------------------------------------------------------------------------ */

/* The model's failures by size, and what its compaction did (the last sample's counters). */
static void report_compaction(FILE *out, const struct replay *r)
{
	const struct compact_counts *cc = r->nr_samples ? &r->samples[r->nr_samples - 1].cc : &r->cc0;

	fprintf(out, "model allocations failed: %lu, of which above order 3 (costly): %lu\n", r->model.alloc_failed,
		r->model.alloc_failed_costly);
	if (r->mode == MODE_POLICY)
		fprintf(out, "movable blocks: %lu marked movable, %lu moved by the library%s; frees it refused: %lu\n",
			r->marked_movable, atomic_load(&r->moved), r->movable ? "" : " (compaction off: none marked)",
			r->bad_frees);
	fprintf(out, "compaction: compact_stall %lu, compact_success %lu, compact_fail %lu, pgmigrate_success %lu, "
		     "pgmigrate_fail %lu, compact_daemon_wake %lu\n", cc->compact_stall, cc->compact_success,
		cc->compact_fail, cc->pgmigrate_success, cc->pgmigrate_fail, cc->compact_daemon_wake);
}

void report_summary(FILE *out, const struct replay *r, const struct trace *t, const char *path)
{
	const struct trace_counts *c = &t->c;
	double secs = (double)(t->t1_ns - t->t0_ns) / 1e9;

	fprintf(out, "trace: %s (%s, %zu events%s, %.3f s, %d CPU%s)\n", path, t->format ? t->format : "empty", t->nr,
		t->windowed ? " between the snapshot markers" : "", secs, t->nr_cpus, t->nr_cpus == 1 ? "" : "s");
	fprintf(out, "events: mm_page_alloc %lu, mm_page_free %lu, mm_page_alloc_zone_locked %lu, "
		     "mm_page_pcpu_drain %lu, mm_page_alloc_extfrag %lu\n",
		c->events[EV_ALLOC], c->events[EV_FREE], c->events[EV_ZONE_LOCKED], c->events[EV_PCPU_DRAIN],
		c->events[EV_EXTFRAG]);
	fprintf(out, "mm_page_free_batched: %lu, of which %lu repeat an mm_page_free (free_unref_folios; "
		     "counted once)\n", c->batched, c->batched_dup);
	fprintf(out, "failed in the traced kernel: %lu (not replayed)\n", c->alloc_failed);
	if (t->windowed || c->outside)
		fprintf(out, "outside the snapshot markers: %lu events (not replayed)\n", c->outside);
	if (c->unknown_flags)
		fprintf(out, "unknown gfp flags: %lu (ignored; the first: %s)\n", c->unknown_flags, c->first_unknown);
	if (c->malformed)
		fprintf(out, "malformed lines: %lu (skipped)\n", c->malformed);
	fprintf(out, "replay: %s mode", r->mode == MODE_EXACT ? "exact" : "policy");
	if (r->mode == MODE_POLICY)
		fprintf(out, ", %s", r->nr_threads ? "one thread per traced CPU" : "one thread");
	if (r->nr_threads)
		fprintf(out, " (%d threads)", r->nr_threads);
	fputc('\n', out);
	if (r->before) {
		unsigned long unplaced = 0;

		for (int i = 0; i < BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES; i++)
			unplaced += r->seed_unplaced[i];
		fprintf(out, "start: the snapshot %s (its free blocks laid out; %lu found no room; the trace's first "
			     "touches: %lu free blocks placed where taken, %lu allocated or on per-CPU lists)\n",
			r->before->root, unplaced, r->seed_touched_free, r->seed_touched_busy);
	} else {
		fprintf(out, "start: a fresh system, every block free\n");
	}
	fprintf(out, "frees of blocks not allocated in the window: %lu", r->frees_before_trace);
	if (!r->before)
		fprintf(out, " (skipped: without a snapshot the model never had them)\n");
	else
		fprintf(out, ": %lu allocated before it (freed in the model too), %lu not (alloc_pages_bulk() "
			     "emits no mm_page_alloc; or an event was lost)\n",
			r->frees_before_trace - r->frees_unmatched, r->frees_unmatched);
	fprintf(out, "frees of blocks whose allocation failed here: %lu (skipped)\n", r->frees_of_failed);
	fprintf(out, "allocations over a live block (its free not traced): %lu\n", r->missed_frees);
	fprintf(out, "frees with another order than their allocation: %lu\n", r->order_mismatch);
	if (r->mode == MODE_EXACT)
		fprintf(out, "exact: events the model's lists disagreed with: %lu (takes %lu, allocations %lu, "
			     "frees %lu, drains %lu); frees found on the buddy lists later: %lu\n", r->conflicts,
			r->conflict_by[EV_ZONE_LOCKED] + r->conflict_by[EV_EXTFRAG], r->conflict_by[EV_ALLOC],
			r->conflict_by[EV_FREE], r->conflict_by[EV_PCPU_DRAIN], r->straight_to_buddy);
	if (r->outside_model)
		fprintf(out, "events on pfns outside the model's zones: %lu (skipped)\n", r->outside_model);
	report_compaction(out, r);
	fprintf(out, "live at the end: %lu blocks, %lu pages\n", r->live_blocks, r->live_pages);
	fprintf(out, "peak allocated: %lu pages (at %.3f s)\n", r->peak_pages,
		r->peak_ns > t->t0_ns ? (double)(r->peak_ns - t->t0_ns) / 1e9 : 0.0);
}

/* ---- kernel beside model -------------------------------------------------------------------- */

static void row(FILE *out, const char *what, unsigned long k, long m, const char *note)
{
	if (m < 0)
		fprintf(out, "  %-38s %10lu %10s  %s\n", what, k, "-", note);
	else
		fprintf(out, "  %-38s %10lu %10ld  %s\n", what, k, m, note);
}

void report_side_by_side(FILE *out, const struct replay *r, const struct trace *t)
{
	const struct side *k = &r->kernel, *m = &r->model;
	bool exact = r->mode == MODE_EXACT;
	unsigned long kallocs = 0, mallocs = 0;
	char what[64];

	(void)t;
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		for (int mt = 0; mt < REPLAY_NR_MT; mt++) {
			kallocs += k->alloc[o][mt];
			mallocs += m->alloc[o][mt];
		}
	fprintf(out, "\nkernel (the trace) beside the model (the replay):\n");
	fprintf(out, "  %-38s %10s %10s\n", "", "kernel", "model");
	row(out, "allocations", kallocs, (long)mallocs, "mm_page_alloc");
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		for (int mt = 0; mt < REPLAY_NR_MT; mt++) {
			if (!k->alloc[o][mt] && !m->alloc[o][mt])
				continue;
			snprintf(what, sizeof(what), "  order %d %s", o, mt_names[mt]);
			row(out, what, k->alloc[o][mt], (long)m->alloc[o][mt], "");
		}
	row(out, "pages allocated", k->alloc_pages, (long)m->alloc_pages, "");
	row(out, "allocations failed", t->c.alloc_failed, (long)m->alloc_failed, "");
	row(out, "frees (each once)", k->frees, (long)m->frees, "mm_page_free + lone mm_page_free_batched");
	row(out, "pages freed", k->free_pages, (long)m->free_pages, "");
	row(out, "blocks taken by __rmqueue_smallest", k->zone_locked, exact ? -1 : (long)m->zone_locked,
	    exact ? "mm_page_alloc_zone_locked (followed)" : "mm_page_alloc_zone_locked");
	row(out, "fallbacks to another type's block", k->extfrag, exact ? -1 : (long)m->extfrag,
	    exact ? "mm_page_alloc_extfrag (followed)" : "mm_page_alloc_extfrag");
	row(out, "  of which claimed the pageblock", k->extfrag_claimed, exact ? -1 : (long)m->extfrag_claimed,
	    "change_ownership=1");
	row(out, "blocks drained from per-CPU lists", k->pcpu_drain, exact ? -1 : (long)m->pcpu_drain,
	    exact ? "mm_page_pcpu_drain (followed)" : "mm_page_pcpu_drain");
	if (!r->before)
		return;
	for (int slot = 0; slot < BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES; slot++) {
		const struct side *kz = &r->kernel_zone[slot];
		char zn[32];

		if (!kz->alloc_pages && !kz->free_pages)
			continue;
		snprintf(what, sizeof(what), "zone %s: pages allocated, freed", zone_name(slot, zn, sizeof(zn)));
		fprintf(out, "  %-38s %10lu %10lu  (kernel; the model's zones: the end-state table)\n", what,
			kz->alloc_pages, kz->free_pages);
	}
}

/* ---- end state against the after-snapshot ----------------------------------------------------- */

/* The model's pagetypeinfo and buddyinfo, read back with the kernel's parsers. */
static int model_state(bz_system *sys, struct proc_machine *m)
{
	char *text = NULL, err[128];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret = -1;

	if (!f)
		return -1;
	if (bz_write_pagetypeinfo(sys, f) || fclose(f)) {
		free(text);
		return -1;
	}
	f = fmemopen(text, len, "r");
	if (f) {
		ret = proc_parse_pagetypeinfo(f, m, err, sizeof(err));
		fclose(f);
	}
	free(text);
	return ret;
}

static unsigned long pages_of(const unsigned long nr[BZ_NR_PAGE_ORDERS])
{
	unsigned long p = 0;

	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		p += nr[o] << o;
	return p;
}

static void free_row(FILE *out, const char *type, const char *when, const unsigned long *nr)
{
	fprintf(out, "  %-12s %-7s", type, when);
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		fprintf(out, " %6lu", nr[o]);
	fprintf(out, " %8lu\n", pages_of(nr));
}

static int kernel_mt_col(const struct proc_machine *m, const char *name)
{
	for (int i = 0; i < m->nr_mt; i++)
		if (!strcmp(m->mt_name[i], name))
			return i;
	return -1;
}

/* Pages on per-CPU lists in the model: its threads' caches, or (exact) the kernel's lists it holds. */
static unsigned long model_cached(const struct replay *r, int nid, int zid)
{
	struct bz_zone_stats st = { .size = sizeof(st) };

	if (r->mode == MODE_EXACT)
		return r->pcp_pages[zone_slot(nid, zid)];
	return bz_zone_stats(r->sys, nid, zid, &st) ? 0 : st.cached;
}

/* One zone: free blocks per order and type, before/after/model; pageblocks per type. */
static unsigned long compare_zone(FILE *out, const struct replay *r, const struct snapshot *after,
				  const struct proc_machine *model, int nid, int zid)
{
	const struct proc_zone *b = r->before ? &r->before->m.zone[nid][zid] : NULL, *a = &after->m.zone[nid][zid];
	const struct proc_zone *mz = &model->zone[nid][zid];
	unsigned long diff = 0, ka = 0, ma = 0;
	static const unsigned long none[BZ_NR_PAGE_ORDERS];

	fprintf(out, "\nNode %d, zone %s: free blocks per order and migratetype\n", nid, proc_zone_names[zid]);
	fprintf(out, "  %-12s %-7s", "type", "");
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		fprintf(out, " %6d", o);
	fprintf(out, " %8s\n", "pages");
	for (int mt = 0; mt < REPLAY_NR_MT; mt++) {
		int kc = kernel_mt_col(&after->m, mt_names[mt]), mc = kernel_mt_col(model, mt_names[mt]);
		const unsigned long *kafter = kc >= 0 ? a->free_mt[kc] : none, *mafter = mc >= 0 ? mz->free_mt[mc] : none;
		int bc = b ? kernel_mt_col(&r->before->m, mt_names[mt]) : -1;

		if (b && bc >= 0)
			free_row(out, mt_names[mt], "before", b->free_mt[bc]);
		free_row(out, b ? "" : mt_names[mt], "after", kafter);
		free_row(out, "", "model", mafter);
		for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
			diff += kafter[o] > mafter[o] ? kafter[o] - mafter[o] : mafter[o] - kafter[o];
		ka += pages_of(kafter);
		ma += pages_of(mafter);
	}
	fprintf(out, "  free pages: kernel after %lu, model %lu (%+ld); blocks differing: %lu\n", ka, ma,
		(long)ma - (long)ka, diff);
	if (b)
		fprintf(out, "  pages on per-CPU lists: kernel before %ld, after %ld; model %lu\n", b->pcp_count,
			a->pcp_count, model_cached(r, nid, zid));
	else
		fprintf(out, "  pages on per-CPU lists: kernel after %ld; model %lu\n", a->pcp_count,
			model_cached(r, nid, zid));
	fprintf(out, "  pageblocks   ");
	for (int mt = 0; mt < REPLAY_NR_MT; mt++)
		fprintf(out, " %11s", mt_names[mt]);
	fputc('\n', out);
	for (int w = 0; w < 3; w++) {
		const struct proc_machine *pm = w == 0 ? (r->before ? &r->before->m : NULL) : w == 1 ? &after->m : model;
		const struct proc_zone *pz = w == 0 ? b : w == 1 ? a : mz;

		if (!pm)
			continue;
		fprintf(out, "  %-12s ", w == 0 ? "before" : w == 1 ? "after" : "model");
		for (int mt = 0; mt < REPLAY_NR_MT; mt++) {
			int col = kernel_mt_col(pm, mt_names[mt]);

			fprintf(out, " %11lu", col >= 0 ? pz->blocks[col] : 0);
		}
		fputc('\n', out);
	}
	return diff;
}

int report_compare_after(FILE *out, struct replay *r, const struct snapshot *after)
{
	struct proc_machine *model = calloc(1, sizeof(*model));
	unsigned long diff = 0;

	if (!model || model_state(r->sys, model)) {
		free(model);
		fprintf(stderr, "bzreplay: cannot read the model's pagetypeinfo back\n");
		return -1;
	}
	fprintf(out, "\nend state, the model (%s mode) against the after-snapshot %s%s:\n",
		r->mode == MODE_EXACT ? "exact" : "policy", after->root,
		r->mode == MODE_EXACT ? " (the kernel's per-CPU lists, held by the replay, are not free)" : "");
	for (int nid = 0; nid < after->m.nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			if (after->m.zone[nid][zid].has_types && model->zone[nid][zid].has_types &&
			    after->m.zone[nid][zid].managed)
				diff += compare_zone(out, r, after, model, nid, zid);
	fprintf(out, "\nblocks differing from the after-snapshot, all zones: %lu\n", diff);
	free(model);
	return 0;
}

/* ---- samples ---------------------------------------------------------------------------------- */

/* Zones whose samples change: the others (an idle DMA zone) say nothing over time. */
bool zone_moves(const struct replay *r, int i)
{
	for (size_t k = 1; k < r->nr_samples; k++)
		if (memcmp(sample_zone(r, k, i), sample_zone(r, 0, i), sizeof(struct zone_sample)))
			return true;
	return false;
}

void report_table(FILE *out, const struct replay *r, const int *orders, int nr_orders)
{
	char v[16], zn[32];

	for (int i = 0; i < r->nr_zones; i++) {
		int slot = r->zone_slots[i];

		if (!zone_moves(r, i))
			continue;
		fprintf(out, "\nzone %s, every %.0f ms of trace time\n", zone_name(slot, zn, sizeof(zn)),
			(double)r->interval_ns / 1e6);
		fprintf(out, "%8s %8s %7s %8s ", "time", "free", "cached", "alloc");
		for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
			snprintf(v, sizeof(v), "o%d", o);
			fprintf(out, "%7s", v);
		}
		for (int i = 0; i < nr_orders; i++) {
			snprintf(v, sizeof(v), "unu%d", orders[i]);
			fprintf(out, " %6s", v);
		}
		for (int i = 0; i < nr_orders; i++) {
			snprintf(v, sizeof(v), "frag%d", orders[i]);
			fprintf(out, " %6s", v);
		}
		fprintf(out, " %6s %6s %8s", "failed", "fail>3", "migrated");
		fputc('\n', out);
		for (size_t k = 0; k < r->nr_samples; k++) {
			const struct zone_sample *z = sample_zone(r, k, i);

			fprintf(out, "%8.3f %8lu %7lu %8lu ", (double)r->samples[k].t_ns / 1e9, z->free, z->cached,
				z->allocated);
			for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
				fprintf(out, "%7lu", z->nr_free[o]);
			for (int i = 0; i < nr_orders; i++) {
				fmt_index(v, sizeof(v), bz_unusable_index(z->nr_free, (unsigned)orders[i]));
				fprintf(out, " %6s", v);
			}
			for (int i = 0; i < nr_orders; i++) {
				fmt_index(v, sizeof(v), bz_extfrag_index(z->nr_free, (unsigned)orders[i]));
				fprintf(out, " %6s", v);
			}
			fprintf(out, " %6lu %6lu %8lu", r->samples[k].failed, r->samples[k].failed_costly,
				r->samples[k].cc.pgmigrate_success);
			fputc('\n', out);
		}
	}
}

void report_csv(FILE *out, const struct replay *r)
{
	char v[16], zn[32];

	fprintf(out, "time_s,zone,event,free,cached,allocated");
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		fprintf(out, ",nr_free_%d", o);
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		fprintf(out, ",unusable_%d", o);
	for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
		fprintf(out, ",extfrag_%d", o);
	fprintf(out, ",failed,failed_costly,compact_stall,compact_success,compact_fail,pgmigrate_success,"
		     "pgmigrate_fail,compact_daemon_wake");
	fputc('\n', out);
	for (int i = 0; i < r->nr_zones; i++) {
		int slot = r->zone_slots[i];

		for (size_t k = 0; k < r->nr_samples; k++) {
			const struct zone_sample *z = sample_zone(r, k, i);
			const struct sample *s = &r->samples[k];

			fprintf(out, "%.6f,%s,%zu,%lu,%lu,%lu", (double)r->samples[k].t_ns / 1e9,
				zone_name(slot, zn, sizeof(zn)), r->samples[k].event, z->free, z->cached, z->allocated);
			for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
				fprintf(out, ",%lu", z->nr_free[o]);
			for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
				fmt_index(v, sizeof(v), bz_unusable_index(z->nr_free, (unsigned)o));
				fprintf(out, ",%s", v);
			}
			for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++) {
				fmt_index(v, sizeof(v), bz_extfrag_index(z->nr_free, (unsigned)o));
				fprintf(out, ",%s", v);
			}
			fprintf(out, ",%lu,%lu,%lu,%lu,%lu,%lu,%lu,%lu", s->failed, s->failed_costly,
				s->cc.compact_stall, s->cc.compact_success, s->cc.compact_fail,
				s->cc.pgmigrate_success, s->cc.pgmigrate_fail, s->cc.compact_daemon_wake);
			fputc('\n', out);
		}
	}
}
