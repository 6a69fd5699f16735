/* SPDX-License-Identifier: MIT */
/*
 * replay_seed.c - a replay that starts where the kernel was: the model's
 * zones get the free blocks of the before-snapshot (/proc/pagetypeinfo:
 * per order and migratetype) and its pageblock types, and the blocks the
 * trace names start as the trace says they were.
 *
 * The snapshot says how many free blocks there were, not where.  The
 * trace says where some were: a block whose first event takes it off the
 * buddy lists (mm_page_alloc_zone_locked, mm_page_alloc_extfrag) was free,
 * inside a free block of its order or more; one whose first event frees it
 * was allocated; one first allocated without leaving the buddy lists, or
 * first drained, was on a per-CPU list.  So: pageblocks take the types the
 * trace shows for them, then the rest by the snapshot's counts; each
 * first-taken block goes inside a free block of the snapshot's of the
 * smallest order that fits there (__rmqueue_smallest takes the smallest);
 * the remaining free blocks are packed into pageblocks of their type, each
 * kept from merging with its buddy by one allocated page (the kernel's
 * lists never hold two free buddies of one order); every other page is
 * allocated memory.  The model's pfns are the kernel's (the zones come
 * from the same zoneinfo), so the trace's pfns name the model's pages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define PB ((unsigned long)1 << BZ_PAGEBLOCK_ORDER)

enum page_state { P_OPEN, P_BUSY, P_FREE, P_FILLER };
enum touch_class { T_FREE, T_ALLOCATED, T_PCP };

struct touch {
	uint64_t pfn;
	uint8_t order, cls, mt;
	uint8_t from_order;     /* the free block it came from is at least this big */
	uint16_t cpu;
	uint32_t batch;         /* takes of one rmqueue_bulk() (or one fallback) share it */
};

struct zlay {
	int slot;
	unsigned long start, end;       /* the model zone's memory: [start, end) */
	uint8_t *st;                    /* enum page_state per page */
	uint8_t *ftouch;                /* pages the trace first takes off the buddy lists */
	uint32_t *batch;                /* ... and their batch */
	unsigned long pb0, npb;         /* pageblocks over [start, end) */
	int8_t *pbmt;                   /* their types, -1 while open */
	int8_t *claimed;                /* the type before a claim in the window, -1: none */
	unsigned (*votes)[REPLAY_NR_MT];
	unsigned long budget[REPLAY_NR_MT][BZ_NR_PAGE_ORDERS];
	unsigned long unplaced;
};

struct seed {
	bz_page **filler;
	unsigned char *filler_order;
	size_t nr_filler, cap_filler;
};

/* ---- the trace's first touches ------------------------------------------------------------ */

static struct zlay *zone_of(struct zlay *z, int nz, uint64_t pfn)
{
	for (int i = 0; i < nz; i++)
		if (pfn >= z[i].start && pfn < z[i].end)
			return &z[i];
	return NULL;
}

/* What a block's first event says it was before the window. */
static int classify(const struct event *ev)
{
	switch (ev->type) {
	case EV_ZONE_LOCKED:
	case EV_EXTFRAG:
		return T_FREE;          /* taken off the buddy lists */
	case EV_FREE:
		return T_ALLOCATED;
	default:
		return T_PCP;           /* drained, or handed out with no take: on a per-CPU list */
	}
}

/* The first event of every block, in trace order; pages seen once are not seen again. */
static int first_touches(const struct trace *t, struct zlay *z, int nz, struct touch **out, size_t *nr,
			 unsigned long *outside)
{
	const struct event *prev = NULL;
	uint32_t batch = 0;
	size_t cap = 0;

	*out = NULL;
	*nr = 0;
	for (size_t i = 0; i < t->nr; i++) {
		const struct event *ev = &t->ev[i];
		unsigned long n = 1ul << ev->order, off;

		if (ev->type != EV_ZONE_LOCKED && ev->type != EV_EXTFRAG)
			prev = NULL;	/* a batch is one run of takes */
		struct zlay *zl = zone_of(z, nz, ev->key);
		bool seen = false;
		int cls;

		if (!zl || ev->key + n > zl->end) {
			(*outside)++;
			continue;
		}
		off = ev->key - zl->start;
		for (unsigned long p = 0; p < n && !seen; p++)
			seen = zl->st[off + p] != P_OPEN || zl->ftouch[off + p];
		if (seen)
			continue;
		cls = classify(ev);
		if (*nr == cap) {
			struct touch *m = realloc(*out, (cap = cap ? cap * 2 : 4096) * sizeof(**out));

			if (!m)
				return -ENOMEM;
			*out = m;
		}
		/* Consecutive takes of a CPU from one type's lists: one batch (rmqueue_bulk). */
		if (cls == T_FREE && (ev->type == EV_EXTFRAG || !prev || prev->type != EV_ZONE_LOCKED ||
				      prev->cpu != ev->cpu || prev->mt != ev->mt))
			batch++;
		prev = ev;
		(*out)[(*nr)++] = (struct touch){ .pfn = ev->key, .order = ev->order, .cls = (uint8_t)cls,
						  .mt = ev->type == EV_EXTFRAG ? EXTFRAG_MT(ev->arg) : ev->mt,
						  .from_order = ev->type == EV_EXTFRAG ? EXTFRAG_ORDER(ev->arg) : ev->order,
						  .cpu = ev->cpu, .batch = batch };
		if (cls == T_FREE) {
			memset(zl->ftouch + off, 1, n);
			for (unsigned long p = 0; p < n; p++)
				zl->batch[off + p] = batch;
		} else {
			memset(zl->st + off, P_BUSY, n);
		}
	}
	return 0;
}

/* ---- pageblock types ------------------------------------------------------------------------ */

static int mt_of_name(const char *name)
{
	for (int mt = 0; mt < REPLAY_NR_MT; mt++)
		if (!strcmp(name, mt_names[mt]))
			return mt;
	return -1;
}

static long pb_index(const struct zlay *z, uint64_t pfn)
{
	return (long)((pfn >> BZ_PAGEBLOCK_ORDER) - z->pb0);
}

/*
 * A pageblock __rmqueue_claim() took over in the window was of the
 * fallback's type before: that is its type at the start, whatever the
 * takes after the claim (from the new type's lists) vote.
 */
static void claimed_types(const struct trace *t, struct zlay *z, int nz)
{
	for (size_t i = 0; i < t->nr; i++) {
		const struct event *ev = &t->ev[i];
		unsigned fo = EXTFRAG_ORDER(ev->arg);
		uint64_t start, n;
		struct zlay *zl;

		if (ev->type != EV_EXTFRAG || !(ev->arg & EXTFRAG_CLAIMED) || !(zl = zone_of(z, nz, ev->key)))
			continue;
		start = ev->key & ~((1ull << (fo > BZ_PAGEBLOCK_ORDER ? fo : BZ_PAGEBLOCK_ORDER)) - 1);
		n = fo > BZ_PAGEBLOCK_ORDER ? 1ull << (fo - BZ_PAGEBLOCK_ORDER) : 1;
		for (uint64_t k = 0; k < n; k++) {
			long b = pb_index(zl, start + (k << BZ_PAGEBLOCK_ORDER));

			if (b >= 0 && (unsigned long)b < zl->npb && zl->claimed[b] < 0)
				zl->claimed[b] = (int8_t)EXTFRAG_MT(ev->arg);
		}
	}
}

/*
 * A claimed pageblock's type before the claim first; then the trace's
 * votes (a block taken from a type's list lies in a
 * pageblock of that type), then the snapshot's counts over the rest, the
 * other types from the lowest pfn on and MOVABLE after them.
 */
static void assign_pageblocks(struct zlay *z, const struct proc_machine *m, const struct proc_zone *pz)
{
	long want[REPLAY_NR_MT] = { 0 };

	for (int k = 0; k < m->nr_mt; k++) {
		int mt = mt_of_name(m->mt_name[k]);

		if (mt >= 0)
			want[mt] += (long)pz->blocks[k];
	}
	for (unsigned long b = 0; b < z->npb; b++) {
		int best = z->claimed[b];

		for (int mt = 0; mt < REPLAY_NR_MT && z->claimed[b] < 0; mt++)
			if (z->votes[b][mt] && (best < 0 || z->votes[b][mt] > z->votes[b][best]))
				best = mt;
		z->pbmt[b] = (int8_t)best;
		if (best >= 0)
			want[best]--;
	}
	for (unsigned long b = 0; b < z->npb; b++) {
		if (z->pbmt[b] >= 0)
			continue;
		z->pbmt[b] = BZ_MIGRATE_MOVABLE;
		for (int mt = 0; mt < REPLAY_NR_MT; mt++)
			if (mt != BZ_MIGRATE_MOVABLE && want[mt] > 0) {
				z->pbmt[b] = (int8_t)mt;
				want[mt]--;
				break;
			}
	}
}

/* ---- placing free blocks --------------------------------------------------------------------- */

static bool region_open(const struct zlay *z, uint64_t pfn, unsigned order, int mt)
{
	unsigned long n = 1ul << order;

	if (pfn < z->start || pfn + n > z->end)
		return false;
	for (unsigned long p = 0; p < n; p += PB)
		if (z->pbmt[pb_index(z, pfn + p)] != mt)
			return false;
	for (unsigned long p = 0; p < n; p++)
		if (z->st[pfn - z->start + p] != P_OPEN)
			return false;
	return true;
}

/*
 * A free block of this order here must not merge with its buddy: a buddy
 * that is one free block of the order blocks it; an all-open buddy gets
 * one allocated page (not one the trace will take off the lists).  The
 * page to fill, or ~0: none needed; false when it cannot be placed.
 */
static bool buddy_ok(const struct zlay *z, uint64_t pfn, unsigned order, uint64_t *fill)
{
	uint64_t buddy = pfn ^ (1ull << order);
	unsigned long n = 1ul << order;
	bool open = true;

	*fill = ~0ull;
	if (order >= BZ_MAX_ORDER || buddy < z->start || buddy + n > z->end)
		return true;
	for (unsigned long p = 0; p < n && open; p++)
		open = z->st[buddy - z->start + p] == P_OPEN;
	if (!open) {
		/* Not one free block of this order if any page of it is not free. */
		for (unsigned long p = 0; p < n; p++)
			if (z->st[buddy - z->start + p] != P_FREE)
				return true;
		return false;
	}
	for (unsigned long p = 0; p < n; p++)
		if (!z->ftouch[buddy - z->start + p]) {
			*fill = buddy + p;
			return true;
		}
	return false;
}

static bool place(struct zlay *z, uint64_t pfn, unsigned order, int mt)
{
	uint64_t fill;

	if (!z->budget[mt][order] || !region_open(z, pfn, order, mt) || !buddy_ok(z, pfn, order, &fill))
		return false;
	if (fill != ~0ull)
		z->st[fill - z->start] = P_FILLER;
	memset(z->st + (pfn - z->start), P_FREE, 1ul << order);
	z->budget[mt][order]--;
	return true;
}

/* Does the aligned block of this order around pfn hold every page of the batch inside `within`? */
static bool holds_batch(const struct zlay *z, uint64_t pfn, unsigned order, unsigned within, uint32_t batch)
{
	uint64_t lo = pfn & ~((1ull << order) - 1), hi = lo + (1ull << order);
	uint64_t wlo = pfn & ~((1ull << within) - 1), whi = wlo + (1ull << within);

	wlo = wlo < z->start ? z->start : wlo;
	whi = whi > z->end ? z->end : whi;
	for (uint64_t p = wlo; p < whi; p++)
		if ((p < lo || p >= hi) && z->ftouch[p - z->start] && z->batch[p - z->start] == batch)
			return false;
	return true;
}

/*
 * A block the trace first takes lies inside a free block of the snapshot's:
 * the smallest (__rmqueue_smallest takes the smallest) that is at least as
 * big as the one its fallback names and that holds the other pages of its
 * batch nearby (rmqueue_bulk splits one block for many).
 */
static bool place_touched(struct zlay *z, const struct touch *t)
{
	unsigned largest = t->from_order;

	if (z->st[t->pfn - z->start] == P_FREE)
		return true;    /* inside one placed for an earlier take */
	while (largest < BZ_MAX_ORDER && region_open(z, t->pfn & ~((2ull << largest) - 1), largest + 1, t->mt))
		largest++;
	for (unsigned o = t->from_order; o < BZ_NR_PAGE_ORDERS; o++)
		if ((o >= largest || holds_batch(z, t->pfn, o, largest, t->batch)) &&
		    place(z, t->pfn & ~((1ull << o) - 1), o, t->mt))
			return true;
	return false;
}

/* The snapshot's other free blocks, largest first, into open room of their type. */
static void pack(struct zlay *z)
{
	for (int o = BZ_MAX_ORDER; o >= 0; o--)
		for (int mt = 0; mt < REPLAY_NR_MT; mt++) {
			uint64_t pfn = (z->start + (1ull << o) - 1) & ~((1ull << o) - 1);

			for (; z->budget[mt][o] && pfn + (1ull << o) <= z->end; pfn += 1ull << o)
				place(z, pfn, (unsigned)o, mt);
			z->unplaced += z->budget[mt][o];
			z->budget[mt][o] = 0;
		}
}

/* ---- into the model -------------------------------------------------------------------------- */

static int hold_filler(struct seed *s, bz_page *page, unsigned order)
{
	if (s->nr_filler == s->cap_filler) {
		size_t cap = s->cap_filler ? s->cap_filler * 2 : 4096;
		bz_page **f = realloc(s->filler, cap * sizeof(*f));
		unsigned char *o = realloc(s->filler_order, cap);

		if (f)
			s->filler = f;
		if (o)
			s->filler_order = o;
		if (!f || !o)
			return -ENOMEM;
		s->cap_filler = cap;
	}
	s->filler[s->nr_filler] = page;
	s->filler_order[s->nr_filler++] = (unsigned char)order;
	return 0;
}

/* Every page that is not free in the layout, taken as the largest aligned blocks. */
static int take_rest(struct replay *r, struct seed *s, const struct zlay *z)
{
	uint64_t pfn = z->start;

	while (pfn < z->end) {
		unsigned o = pfn ? (unsigned)__builtin_ctzll(pfn) : BZ_MAX_ORDER;
		bz_page *page;

		if (z->st[pfn - z->start] == P_FREE || z->st[pfn - z->start] == P_BUSY) {
			pfn++;
			continue;
		}
		o = o > BZ_MAX_ORDER ? BZ_MAX_ORDER : o;
		for (;; o--) {
			bool all = pfn + (1ull << o) <= z->end;

			for (unsigned long p = 0; all && p < (1ul << o); p++)
				all = z->st[pfn - z->start + p] == P_OPEN || z->st[pfn - z->start + p] == P_FILLER;
			if (all)
				break;
		}
		page = bz_take_free_block(r->sys, pfn, o, z->pbmt[pb_index(z, pfn)] & 3);
		if (!page || hold_filler(s, page, o))
			return -1;
		pfn += 1ull << o;
	}
	return 0;
}

static int take_touched(struct replay *r, const struct touch *t, const struct zlay *z)
{
	int mt = z->pbmt[pb_index(z, t->pfn)] & 3, state = t->cls == T_ALLOCATED ? LIVE_BEFORE : LIVE_PCP;
	bz_page *page = bz_take_free_block(r->sys, t->pfn, t->order, mt);
	struct live *l;

	if (!page || map_set(&r->map, t->pfn, page, t->order, state))
		return -1;
	l = map_find(&r->map, t->pfn);
	l->cpu = t->cpu;
	if (state == LIVE_PCP)
		r->pcp_pages[z->slot] += 1ul << t->order;
	return 0;
}

static int build_zone(struct replay *r, struct seed *s, struct zlay *z, const struct touch *tt, size_t nt)
{
	int nid = z->slot / BZ_MAX_NR_ZONES;

	/* Busy blocks of the trace, then the rest, then the types (which move the free blocks). */
	for (size_t i = 0; i < nt; i++)
		if (tt[i].cls != T_FREE && tt[i].pfn >= z->start && tt[i].pfn < z->end &&
		    take_touched(r, &tt[i], z))
			return -1;
	if (take_rest(r, s, z))
		return -1;
	for (unsigned long b = 0; b < z->npb; b++) {
		uint64_t pfn = (z->pb0 + b) << BZ_PAGEBLOCK_ORDER;

		if (pfn < z->start)
			pfn = z->start;
		if (bz_set_pageblock_migratetype(r->sys, pfn, z->pbmt[b]))
			return -1;
	}
	(void)nid;
	return 0;
}

static int init_zone(struct zlay *z, int slot, const struct bz_zone_stats *st, const struct proc_machine *m,
		     const struct proc_zone *pz)
{
	z->slot = slot;
	z->start = st->start_pfn;
	z->end = st->start_pfn + st->managed;
	z->pb0 = z->start >> BZ_PAGEBLOCK_ORDER;
	z->npb = ((z->end - 1) >> BZ_PAGEBLOCK_ORDER) - z->pb0 + 1;
	z->st = calloc(z->end - z->start, 1);
	z->ftouch = calloc(z->end - z->start, 1);
	z->batch = calloc(z->end - z->start, sizeof(*z->batch));
	z->pbmt = malloc(z->npb);
	z->claimed = malloc(z->npb);
	if (z->claimed)
		memset(z->claimed, -1, z->npb);
	z->votes = calloc(z->npb, sizeof(*z->votes));
	if (!z->st || !z->ftouch || !z->batch || !z->pbmt || !z->claimed || !z->votes)
		return -ENOMEM;
	for (int k = 0; k < m->nr_mt; k++) {
		int mt = mt_of_name(m->mt_name[k]);

		for (int o = 0; mt >= 0 && o < BZ_NR_PAGE_ORDERS; o++)
			z->budget[mt][o] = pz->free_mt[k][o];
	}
	return 0;
}

static void free_zone(struct zlay *z)
{
	free(z->st);
	free(z->ftouch);
	free(z->batch);
	free(z->pbmt);
	free(z->claimed);
	free(z->votes);
}

int replay_seed(struct replay *r, const struct trace *t)
{
	const struct proc_machine *m = &r->before->m;
	struct zlay *z = calloc(BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES, sizeof(*z));
	struct seed *s = calloc(1, sizeof(*s));
	struct touch *tt = NULL;
	size_t nt = 0;
	int nz = 0, ret = -1;

	if (!z || !s)
		goto out;
	for (int nid = 0; nid < bz_nr_nodes(r->sys); nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone_stats st = { .size = sizeof(st) };
			const struct proc_zone *pz = &m->zone[nid][zid];

			if (bz_zone_stats(r->sys, nid, zid, &st) || !st.managed || !pz->has_types)
				continue;
			if (init_zone(&z[nz++], zone_slot(nid, zid), &st, m, pz))
				goto out;
		}
	if (first_touches(t, z, nz, &tt, &nt, &r->outside_model))
		goto out;
	claimed_types(t, z, nz);
	for (size_t i = 0; i < nt; i++) {
		struct zlay *zl = zone_of(z, nz, tt[i].pfn);

		if (tt[i].cls != T_ALLOCATED)
			zl->votes[pb_index(zl, tt[i].pfn)][tt[i].mt & 3]++;
	}
	for (int i = 0; i < nz; i++) {
		const struct proc_zone *pz = &m->zone[z[i].slot / BZ_MAX_NR_ZONES][z[i].slot % BZ_MAX_NR_ZONES];

		assign_pageblocks(&z[i], m, pz);
	}
	for (size_t i = 0; i < nt; i++) {
		if (tt[i].cls != T_FREE)
			continue;
		if (place_touched(zone_of(z, nz, tt[i].pfn), &tt[i]))
			r->seed_touched_free++;
	}
	for (int i = 0; i < nz; i++) {
		pack(&z[i]);
		r->seed_unplaced[z[i].slot] = z[i].unplaced;
		if (build_zone(r, s, &z[i], tt, nt)) {
			fprintf(stderr, "bzreplay: cannot lay the snapshot out in the model's zone %d:%s\n",
				z[i].slot / BZ_MAX_NR_ZONES, proc_zone_names[z[i].slot % BZ_MAX_NR_ZONES]);
			goto out;
		}
	}
	for (size_t i = 0; i < nt; i++)
		r->seed_touched_busy += tt[i].cls != T_FREE;
	r->seed = s;
	s = NULL;
	ret = 0;
out:
	if (ret && !z)
		fprintf(stderr, "bzreplay: out of memory while seeding\n");
	for (int i = 0; z && i < nz; i++)
		free_zone(&z[i]);
	free(z);
	free(tt);
	if (s) {
		free(s->filler);
		free(s->filler_order);
		free(s);
	}
	return ret;
}

/* The seeding's allocated memory, given back (replay_release). */
void replay_seed_release(struct replay *r)
{
	struct seed *s = r->seed;

	if (!s)
		return;
	for (size_t i = 0; i < s->nr_filler; i++)
		bz_free_pages(s->filler[i], s->filler_order[i]);
	free(s->filler);
	free(s->filler_order);
	free(s);
	r->seed = NULL;
}
