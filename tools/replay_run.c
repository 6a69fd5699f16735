/* SPDX-License-Identifier: MIT */
/*
 * replay_run.c - the replay.  Policy mode: the model chooses the pages
 * (bz_alloc_pages, bz_free_pages), each CPU's events replayed by a thread
 * of its own so that the model's per-thread caches stand where the
 * kernel's per-CPU pagesets stood.  Exact mode: every event moves the pfn
 * it names, so the model's free lists follow the kernel's: a block
 * __rmqueue_smallest or a fallback took (mm_page_alloc_zone_locked,
 * mm_page_alloc_extfrag) comes off the model's lists at that pfn, a free of
 * a pcp order goes onto the CPU's list (held here), and leaves it for the
 * buddy lists when free_pcppages_bulk drains it (mm_page_pcpu_drain); other
 * orders go to the buddy lists at once, as free_one_page() does.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

const char *const mt_names[REPLAY_NR_MT] = { "Unmovable", "Movable", "Reclaimable", "HighAtomic" };

/* ---- trace key -> the model's block ------------------------------------------------------ */

static size_t hash_key(uint64_t k, size_t size)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return (size_t)k & (size - 1);
}

struct live *map_find(struct block_map *m, uint64_t key)
{
	if (!m->size)
		return NULL;
	for (size_t i = hash_key(key, m->size);; i = (i + 1) & (m->size - 1)) {
		struct live *l = &m->slot[i];

		if (l->page == LIVE_EMPTY)
			return NULL;
		if (l->page != LIVE_DELETED && l->key == key)
			return l;
	}
}

static int map_grow(struct block_map *m)
{
	struct block_map n = { .size = m->size ? m->size * 2 : 4096 };

	n.slot = calloc(n.size, sizeof(*n.slot));
	if (!n.slot)
		return -ENOMEM;
	for (size_t i = 0; i < m->size; i++) {
		struct live *l = &m->slot[i];

		if (l->page != LIVE_EMPTY && l->page != LIVE_DELETED) {
			size_t j = hash_key(l->key, n.size);

			while (n.slot[j].page != LIVE_EMPTY)
				j = (j + 1) & (n.size - 1);
			n.slot[j] = *l;
			n.used++;
		}
	}
	free(m->slot);
	*m = n;
	return 0;
}

/* A new entry (the key must not be live); page may be a placeholder for failed/conflict blocks. */
int map_set(struct block_map *m, uint64_t key, bz_page *page, unsigned order, int state)
{
	size_t i;

	if ((m->used + 1) * 2 > m->size && map_grow(m))
		return -ENOMEM;
	for (i = hash_key(key, m->size); m->slot[i].page != LIVE_EMPTY && m->slot[i].page != LIVE_DELETED;
	     i = (i + 1) & (m->size - 1))
		;
	if (m->slot[i].page == LIVE_EMPTY)
		m->used++;
	m->slot[i] = (struct live){ .key = key, .page = page, .order = (uint8_t)order, .state = (uint8_t)state };
	return 0;
}

void map_free(struct block_map *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

/* No model page: failed and conflicting blocks. */
#define NO_PAGE ((bz_page *)2)

static void map_delete(struct live *l)
{
	l->page = LIVE_DELETED;
}

int model_zone_slot(const bz_page *page)
{
	int nid = bz_page_to_nid(page), zid = bz_page_zonenum(page);

	return nid < 0 || zid < 0 ? -1 : zone_slot(nid, zid);
}

/* ---- counting ------------------------------------------------------------------------------ */

static int kernel_slot(const struct replay *r, uint64_t pfn)
{
	int nid, zid;

	return r->before && snapshot_zone_of(r->before, pfn, &nid, &zid) ? zone_slot(nid, zid) : -1;
}

static void count_kernel(struct replay *r, const struct event *ev)
{
	int slot = kernel_slot(r, ev->key);
	struct side *z = slot >= 0 ? &r->kernel_zone[slot] : NULL;
	struct side *sides[2] = { &r->kernel, z };

	for (int i = 0; i < 2 && sides[i]; i++) {
		struct side *s = sides[i];

		switch (ev->type) {
		case EV_ALLOC:
			s->alloc[ev->order][ev->mt]++;
			s->alloc_pages += 1ul << ev->order;
			break;
		case EV_FREE:
			s->frees++;
			s->free_pages += 1ul << ev->order;
			break;
		case EV_ZONE_LOCKED:
			s->zone_locked++;
			break;
		case EV_PCPU_DRAIN:
			s->pcpu_drain++;
			break;
		case EV_EXTFRAG:
			s->extfrag++;
			s->extfrag_claimed += (ev->arg & EXTFRAG_CLAIMED) != 0;
			break;
		}
	}
}

static void live_add(struct replay *r, unsigned order, uint64_t ts)
{
	r->live_blocks++;
	r->live_pages += 1ul << order;
	if (r->live_pages > r->peak_pages) {
		r->peak_pages = r->live_pages;
		r->peak_ns = ts;
	}
}

static void live_sub(struct replay *r, unsigned order)
{
	r->live_blocks--;
	r->live_pages -= 1ul << order;
}

/* ---- samples ---------------------------------------------------------------------------- */

/* The model's compaction counters since the replay began (vm events only grow). */
static void compact_counts_since(const struct replay *r, struct compact_counts *cc)
{
	const unsigned long *base = (const unsigned long *)&r->cc0;
	unsigned long *now = (unsigned long *)cc;

	if (compact_counts_read(r->sys, cc))
		memset(cc, 0, sizeof(*cc));
	for (size_t i = 0; i < sizeof(*cc) / sizeof(*now); i++)
		now[i] = now[i] >= base[i] ? now[i] - base[i] : 0;
}

static int take_sample(struct replay *r, uint64_t t_ns, size_t event)
{
	struct sample *s;

	if (r->nr_samples == r->cap_samples) {
		size_t cap = r->cap_samples ? r->cap_samples * 2 : 512;
		struct sample *n = realloc(r->samples, cap * sizeof(*n));
		struct zone_sample *zs = n ? realloc(r->zs, cap * (size_t)r->nr_zones * sizeof(*zs)) : NULL;

		if (n)
			r->samples = n;
		if (!zs)
			return -ENOMEM;
		r->zs = zs;
		r->cap_samples = cap;
	}
	s = &r->samples[r->nr_samples];
	s->t_ns = t_ns;
	s->event = event;
	s->failed = r->model.alloc_failed;
	s->failed_costly = r->model.alloc_failed_costly;
	compact_counts_since(r, &s->cc);
	for (int i = 0; i < r->nr_zones; i++) {
		struct bz_zone_stats st = { .size = sizeof(st) };
		struct zone_sample *z = &r->zs[r->nr_samples * (size_t)r->nr_zones + (size_t)i];
		int slot = r->zone_slots[i];

		memset(z, 0, sizeof(*z));
		if (bz_zone_stats(r->sys, slot / BZ_MAX_NR_ZONES, slot % BZ_MAX_NR_ZONES, &st))
			continue;
		z->free = st.free;
		/* Exact mode: the kernel's per-CPU lists are ours to hold; the model's caches are empty. */
		z->cached = r->mode == MODE_EXACT ? r->pcp_pages[slot] : st.cached;
		z->allocated = st.managed - z->free - z->cached;
		memcpy(z->nr_free, st.nr_free, sizeof(z->nr_free));
	}
	r->nr_samples++;
	return 0;
}

/* ---- policy mode ---------------------------------------------------------------------------- */

/*
 * Requests the replay must not make as traced: __GFP_NOFAIL would loop
 * forever on a smaller machine, __GFP_ZERO would touch memory no report
 * looks at, and each failure is counted rather than reported.
 */
static bz_gfp_t replay_gfp(bz_gfp_t gfp)
{
	return (gfp & ~(BZ_GFP_NOFAIL | BZ_GFP_ZERO)) | BZ_GFP_NOWARN;
}

static void model_free(struct replay *r, struct live *l)
{
	if (l->page != NO_PAGE) {
		if (!movable_free(r, l))
			r->bad_frees++;
		r->model.frees++;
		r->model.free_pages += 1ul << l->order;
	}
}

static int policy_alloc(struct replay *r, const struct event *ev, struct live *l)
{
	bz_page *page;
	int ret;

	if (l) {
		if (l->state == LIVE_PCP) {
			/* A page of the kernel's per-CPU lists (seeded): free memory, reused now. */
			bz_free_pages(l->page, l->order);
		} else if (l->state == LIVE_ALLOCATED || l->state == LIVE_BEFORE) {
			r->missed_frees++;      /* its free was not traced */
			model_free(r, l);
			if (l->state == LIVE_ALLOCATED)
				live_sub(r, l->order);
		}
		map_delete(l);
	}
	/* Compaction may call back into the map from here (replay_movable.c): not under its lock. */
	map_unlock(r);
	page = bz_alloc_pages(r->sys, replay_gfp(ev->gfp), ev->order);
	map_lock(r);
	if (!page) {
		r->model.alloc_failed++;
		r->model.alloc_failed_costly += ev->order > 3;  /* PAGE_ALLOC_COSTLY_ORDER */
		return map_set(&r->map, ev->key, NO_PAGE, ev->order, LIVE_FAILED);
	}
	r->model.alloc[ev->order][gfp_mt(ev->gfp)]++;
	r->model.alloc_pages += 1ul << ev->order;
	live_add(r, ev->order, ev->ts_ns);
	ret = map_set(&r->map, ev->key, page, ev->order, LIVE_ALLOCATED);
	if (!ret)
		movable_mark(r, map_find(&r->map, ev->key), ev->gfp);
	else
		bz_free_pages(page, ev->order);
	return ret;
}

static int policy_free(struct replay *r, const struct event *ev, struct live *l)
{
	if (!l || l->state == LIVE_BEFORE) {
		r->frees_before_trace++;
		if (!l) {
			r->frees_unmatched++;   /* no snapshot: the model never had it */
			return 0;
		}
		model_free(r, l);
		map_delete(l);
		return 0;
	}
	r->order_mismatch += l->order != ev->order;
	if (l->state == LIVE_FAILED)
		r->frees_of_failed++;
	else if (l->state == LIVE_ALLOCATED) {
		model_free(r, l);
		live_sub(r, l->order);
	}
	map_delete(l);
	return 0;
}

static int policy_event(struct replay *r, const struct event *ev)
{
	struct live *l;
	int ret = 0;

	map_lock(r);
	l = map_find(&r->map, ev->key);
	if (ev->type == EV_ALLOC)
		ret = policy_alloc(r, ev, l);
	else if (ev->type == EV_FREE)
		ret = policy_free(r, ev, l);
	else if (ev->type == EV_PCPU_DRAIN && l && l->state == LIVE_PCP) {
		/* A seeded per-CPU page drained: free memory on the buddy lists from now on. */
		bz_free_pages_to_buddy(l->page, l->order);
		map_delete(l);
	}
	/* (the model's own caches and fallbacks decide the rest) */
	map_unlock(r);
	return ret;
}

/* ---- exact mode ---------------------------------------------------------------------------- */

static void pcp_account(struct replay *r, const bz_page *page, unsigned order, long sign)
{
	int slot = model_zone_slot(page);

	if (slot >= 0)
		r->pcp_pages[slot] += (unsigned long)(sign * (1l << order));
}

/* A block the kernel took off its lists at ev's pfn: off the model's too. */
static int exact_take(struct replay *r, const struct event *ev, int state)
{
	bz_page *page = bz_take_free_block(r->sys, ev->key, ev->order, ev->mt);

	if (!page) {
		if (!bz_pfn_to_page(r->sys, ev->key)) {
			r->outside_model++;
			return 0;
		}
		r->conflicts++;
		r->conflict_by[ev->type]++;
		return map_set(&r->map, ev->key, NO_PAGE, ev->order, LIVE_CONFLICT);
	}
	if (state == LIVE_TAKEN || state == LIVE_PCP)
		pcp_account(r, page, ev->order, 1);
	return map_set(&r->map, ev->key, page, ev->order, state);
}

static void exact_to_buddy(struct replay *r, struct live *l)
{
	if (l->page != NO_PAGE) {
		if (l->state == LIVE_PCP || l->state == LIVE_TAKEN)
			pcp_account(r, l->page, l->order, -1);
		bz_free_pages_to_buddy(l->page, l->order);
	}
	map_delete(l);
}

/* __rmqueue_claim() changed the fallback block's pageblocks to the request's type. */
static void exact_claim(struct replay *r, const struct event *ev)
{
	unsigned fo = EXTFRAG_ORDER(ev->arg);
	uint64_t start = ev->key & ~((1ull << fo) - 1), n = fo > BZ_PAGEBLOCK_ORDER ? 1ull << (fo - BZ_PAGEBLOCK_ORDER) : 1;

	for (uint64_t i = 0; i < n; i++)
		bz_set_pageblock_migratetype(r->sys, start + (i << BZ_PAGEBLOCK_ORDER), ev->mt);
}

static int exact_alloc(struct replay *r, const struct event *ev, struct live *l)
{
	if (l && (l->state == LIVE_TAKEN || l->state == LIVE_PCP)) {
		if (l->page != NO_PAGE)
			pcp_account(r, l->page, l->order, -1);
		l->state = LIVE_ALLOCATED;
	} else if (l && l->state == LIVE_CONFLICT) {
		l->state = LIVE_CONFLICT;
	} else if (l) {
		r->missed_frees++;      /* allocated twice: a free was lost */
		l->state = LIVE_ALLOCATED;
	} else {
		/* Taken without a zone_locked event: lost, or from a list before the window. */
		int ret = exact_take(r, ev, LIVE_ALLOCATED);

		if (ret)
			return ret;
	}
	l = map_find(&r->map, ev->key);
	if (l && l->page != NO_PAGE) {
		r->model.alloc[ev->order][ev->mt]++;
		r->model.alloc_pages += 1ul << ev->order;
	}
	live_add(r, ev->order, ev->ts_ns);
	return 0;
}

static int exact_free(struct replay *r, const struct event *ev, struct live *l)
{
	if (!l) {
		r->frees_before_trace++;
		r->frees_unmatched++;
		return 0;
	}
	if (l->state == LIVE_BEFORE)
		r->frees_before_trace++;
	else if (l->state == LIVE_ALLOCATED || l->state == LIVE_CONFLICT)
		live_sub(r, l->order);
	else {
		r->conflicts++;         /* freed while on a list: its allocation was lost */
		r->conflict_by[EV_FREE]++;
	}
	r->order_mismatch += l->order != ev->order;
	if (l->page == NO_PAGE) {
		/* Not the model's: on to the list all the same, so that its drain is no second conflict. */
		if (pcp_order(l->order))
			l->state = LIVE_CONFLICT;
		else
			map_delete(l);
		return 0;
	}
	r->model.frees++;
	r->model.free_pages += 1ul << l->order;
	if (!pcp_order(l->order)) {
		exact_to_buddy(r, l);
		return 0;
	}
	if (l->state != LIVE_PCP)
		pcp_account(r, l->page, l->order, 1);
	l->state = LIVE_PCP;
	l->cpu = ev->cpu;
	return 0;
}

static int exact_event(struct replay *r, const struct event *ev)
{
	struct live *l = map_find(&r->map, ev->key);

	switch (ev->type) {
	case EV_ALLOC:
		return exact_alloc(r, ev, l);
	case EV_FREE:
		return exact_free(r, ev, l);
	case EV_ZONE_LOCKED:
		if (l && l->state == LIVE_PCP) {
			r->straight_to_buddy++; /* its free went to the buddy lists, not a pcp list */
			return 0;
		}
		if (l)
			map_delete(l);
		return exact_take(r, ev, LIVE_TAKEN);
	case EV_EXTFRAG:
		if (ev->arg & EXTFRAG_CLAIMED)
			exact_claim(r, ev);
		/* A claim below pageblock order took its page through __rmqueue_smallest already. */
		if (l && (l->state == LIVE_TAKEN || l->state == LIVE_PCP))
			return 0;
		if (l)
			map_delete(l);
		return exact_take(r, ev, LIVE_TAKEN);
	case EV_PCPU_DRAIN:
		if (!l) {
			r->conflicts++; /* on a list since before the window, and no snapshot said so */
			r->conflict_by[EV_PCPU_DRAIN]++;
			return 0;
		}
		if (l->state != LIVE_PCP && l->state != LIVE_TAKEN && l->state != LIVE_CONFLICT) {
			r->conflicts++;
			r->conflict_by[EV_PCPU_DRAIN]++;
			if (l->state == LIVE_ALLOCATED)
				live_sub(r, l->order);
		}
		exact_to_buddy(r, l);
		return 0;
	}
	return 0;
}

/* ---- the loop, and one thread per CPU --------------------------------------------------------- */

struct runner {
	struct replay *r;
	const struct trace *t;
	size_t next;                    /* the next event to replay */
	uint64_t next_sample;           /* trace time of the next sample */
	int err;
	pthread_mutex_t lock;
	pthread_cond_t *turn;           /* one per CPU: "the next event is yours", or "done"/"quit" */
	pthread_cond_t finished;        /* to the main thread: every event replayed */
	bool done;                      /* every event replayed, or an error */
	bool quit;                      /* the threads may exit (their caches go back to the buddy lists) */
	pthread_t *th;
	bool *started;
	void *(*arg)[2];
};

static int step(struct runner *x, size_t i)
{
	struct replay *r = x->r;
	const struct event *ev = &x->t->ev[i];
	uint64_t t = ev->ts_ns > x->t->t0_ns ? ev->ts_ns - x->t->t0_ns : 0;

	if (t >= x->next_sample) {
		int err = take_sample(r, x->next_sample, i);

		if (err)
			return err;
		x->next_sample = (t / r->interval_ns + 1) * r->interval_ns;
	}
	count_kernel(r, ev);
	return r->mode == MODE_EXACT ? exact_event(r, ev) : policy_event(r, ev);
}

static void finish_locked(struct runner *x, int err)
{
	if (err && !x->err)
		x->err = err;
	x->done = true;
	pthread_cond_signal(&x->finished);
}

/*
 * Replays the events of one CPU as they come up and hands the turn on;
 * then waits to be let go, so that its cache holds what the CPU's list
 * held until the end state is read.
 */
static void *cpu_main(void *arg)
{
	struct runner *x = ((void **)arg)[0];
	unsigned cpu = (unsigned)(uintptr_t)((void **)arg)[1];
	const struct trace *t = x->t;

	pthread_mutex_lock(&x->lock);
	while (!x->done) {
		size_t i;
		int err = 0;

		if (t->ev[x->next].cpu != cpu) {
			pthread_cond_wait(&x->turn[cpu], &x->lock);
			continue;
		}
		/* Our turn: the others wait on their conditions until we hand it on. */
		pthread_mutex_unlock(&x->lock);
		for (i = x->next; i < t->nr && t->ev[i].cpu == cpu && !err; i++)
			err = step(x, i);
		pthread_mutex_lock(&x->lock);
		x->next = i;
		if (err || i >= t->nr)
			finish_locked(x, err);
		else
			pthread_cond_signal(&x->turn[t->ev[i].cpu]);
	}
	while (!x->quit)
		pthread_cond_wait(&x->turn[cpu], &x->lock);
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

/* Lets every thread go and joins it (their caches drain as they exit). */
static void stop_threads(struct runner *x)
{
	int n = x->t->nr_cpus;

	pthread_mutex_lock(&x->lock);
	x->quit = x->done = true;
	for (int c = 0; c < n; c++)
		pthread_cond_signal(&x->turn[c]);
	pthread_mutex_unlock(&x->lock);
	for (int c = 0; c < n; c++)
		if (x->started[c])
			pthread_join(x->th[c], NULL);
	for (int c = 0; c < n; c++)
		pthread_cond_destroy(&x->turn[c]);
	pthread_cond_destroy(&x->finished);
	pthread_mutex_destroy(&x->lock);
	free(x->th);
	free(x->started);
	free(x->arg);
	free(x->turn);
	free(x);
}

static int run_threads(struct runner *x)
{
	const struct trace *t = x->t;
	int n = t->nr_cpus, err = 0;
	bool *used = calloc((size_t)n, sizeof(*used));

	x->th = calloc((size_t)n, sizeof(*x->th));
	x->started = calloc((size_t)n, sizeof(*x->started));
	x->arg = calloc((size_t)n, sizeof(void *[2]));
	x->turn = calloc((size_t)n, sizeof(*x->turn));
	if (!used || !x->th || !x->started || !x->arg || !x->turn) {
		free(used);
		return -ENOMEM;
	}
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->finished, NULL);
	for (int c = 0; c < n; c++)
		pthread_cond_init(&x->turn[c], NULL);
	for (size_t i = 0; i < t->nr; i++)
		used[t->ev[i].cpu] = true;
	for (int c = 0; c < n && !err; c++) {
		void **a = x->arg[c];

		if (!used[c])
			continue;
		a[0] = x;
		a[1] = (void *)(uintptr_t)c;
		err = -pthread_create(&x->th[c], NULL, cpu_main, a);
		x->started[c] = !err;
		x->r->nr_threads += !err;
	}
	free(used);
	pthread_mutex_lock(&x->lock);
	if (err)
		finish_locked(x, err);
	else
		pthread_cond_signal(&x->turn[t->ev[0].cpu]);
	while (!x->done)
		pthread_cond_wait(&x->finished, &x->lock);
	pthread_mutex_unlock(&x->lock);
	return x->err;
}

/* The model's own counts of what the kernel's tracepoints report, summed over zones. */
static void model_counts(struct replay *r, long sign)
{
	for (int i = 0; i < r->nr_zones; i++) {
		struct bz_zone_stats st = { .size = sizeof(st) };
		int slot = r->zone_slots[i];

		if (bz_zone_stats(r->sys, slot / BZ_MAX_NR_ZONES, slot % BZ_MAX_NR_ZONES, &st))
			continue;
		r->model.zone_locked += (unsigned long)(sign * (long)st.nr_zone_locked);
		r->model.extfrag += (unsigned long)(sign * (long)st.nr_extfrag);
		r->model.extfrag_claimed += (unsigned long)(sign * (long)st.nr_extfrag_claimed);
		r->model.pcpu_drain += (unsigned long)(sign * (long)st.nr_pcpu_drain);
	}
}

int replay_run(struct replay *r, const struct trace *t)
{
	struct runner *x = calloc(1, sizeof(*x));
	int err = 0;

	if (!x)
		return -ENOMEM;
	x->r = r;
	x->t = t;
	r->nr_zones = 0;
	for (int nid = 0; nid < bz_nr_nodes(r->sys); nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			struct bz_zone_stats st = { .size = sizeof(st) };

			if (!bz_zone_stats(r->sys, nid, zid, &st) && st.managed)
				r->zone_slots[r->nr_zones++] = zone_slot(nid, zid);
		}
	if (!r->interval_ns)
		r->interval_ns = 10000000;      /* 10 ms */
	model_counts(r, -1);
	if (compact_counts_read(r->sys, &r->cc0))
		memset(&r->cc0, 0, sizeof(r->cc0));
	if (r->mode == MODE_POLICY && r->threads && t->nr_cpus > 1) {
		r->runner = x;
		err = run_threads(x);
	} else {
		for (size_t i = 0; i < t->nr && !err; i++)
			err = step(x, i);
		free(x);
	}
	model_counts(r, 1);
	if (!err)
		err = take_sample(r, t->t1_ns - t->t0_ns, t->nr);
	return err;
}

/* Gives every block back: pages the replay or the seeding holds, and the caches. */
int replay_release(struct replay *r)
{
	for (size_t i = 0; i < r->map.size; i++) {
		struct live *l = &r->map.slot[i];

		if (l->page == LIVE_EMPTY || l->page == LIVE_DELETED || l->page == NO_PAGE)
			continue;
		map_lock(r);
		if (!movable_free(r, l))
			r->bad_frees++;
		l->page = LIVE_DELETED;
		map_unlock(r);
	}
	if (r->runner) {
		stop_threads(r->runner);
		r->runner = NULL;
	}
	replay_seed_release(r);
	bz_drain_all_pages(r->sys);
	return bz_check(r->sys) ? -1 : 0;
}
