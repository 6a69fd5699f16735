/* SPDX-License-Identifier: MIT */
/*
 * task.c - the thread layer: `current`.  The record of the system a thread
 * used last sits in static TLS where the fast paths read it; the records
 * of the other systems it used wait on the heap (BZ_TASK_MORE of them; the
 * library's static TLS must stay small enough for dlopen()), and swap in
 * when the thread turns to their system.  A record holds the thread's
 * cache of its system (made on first use), its memory policy there
 * (mempolicy.c), and the fast paths' shortcuts.  One pthread key: when
 * the thread exits, every cache goes back to its system's buddy lists and
 * every record goes.  Also the thread's PF_MEMALLOC flag and the reclaim
 * state of a thread that reclaims (vmscan.c, oom.c).
 */
#include <stdlib.h>
#include <string.h>

#include "task.h"

_Thread_local struct bz_current bz__current __attribute__((tls_model("initial-exec")));

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;

static void thread_exit(void *arg);

static void key_create(void)
{
	pthread_key_create(&exit_key, thread_exit);
}

/* ---- records ---------------------------------------------------------------------- */

static bool record_of(const struct bz_task *t, const struct bz_system *sys)
{
	return t->sys == sys && t->id == sys->id;
}

/* A record gives back its cache (if its system lives) and its policy; it becomes free. */
static void record_release(struct bz_task *t)
{
	if (t->tc)
		bz__tcache_release(t->tc, t->sys, t->id);
	if (t->mpol) {
		free(t->mpol);
		bz__current.nr_mpol--;
	}
	if (t->node_pin)
		bz__current.nr_pinned--;
	memset(t, 0, sizeof(*t));       /* nr_pfns 0: no fast free, even from a later key destructor */
}

/* A record for a system as the fast paths need it. */
static void record_init(struct bz_task *t, struct bz_system *sys, uint64_t gen)
{
	*t = (struct bz_task){ .sys = sys, .id = sys->id, .gen = gen,
			       .mem_map = (uintptr_t)sys->mem_map,
			       .base = sys->base,
			       .pageblock_mt = sys->pageblock_mt };
}

/* The thread's heap records, made on its first use of a second system. */
static struct bz_task *more_records(void)
{
	if (!bz__current.more) {
		bz__current.more = calloc(BZ_TASK_MORE, sizeof(struct bz_task));
		if (bz__current.more) {
			pthread_once(&key_once, key_create);
			pthread_setspecific(exit_key, (void *)1);
		}
	}
	return bz__current.more;
}

/* The slot the current record moves to: a free one, one of a dead system, else one without a policy. */
static struct bz_task *slot_for_current(struct bz_task *more)
{
	struct bz_task *victim = NULL;

	bz__registry_lock();    /* bz__system_alive()'s answer holds while we look */
	for (int i = 0; i < BZ_TASK_MORE; i++) {
		struct bz_task *e = &more[i];

		if (!e->sys || !bz__system_alive(e->sys, e->id)) {
			victim = e;
			break;
		}
		if (!victim && !e->mpol)
			victim = e;
	}
	bz__registry_unlock();
	return victim;
}

struct bz_task *bz__task(struct bz_system *sys, bool create)
{
	struct bz_task *cur = &bz__current.task, *more = bz__current.more, *slot;
	uint64_t gen = atomic_load_explicit(&bz__tls_gen, memory_order_acquire);

	if (record_of(cur, sys))
		return cur;
	for (int i = 0; more && i < BZ_TASK_MORE; i++) {
		if (!record_of(&more[i], sys))
			continue;
		struct bz_task t = more[i];

		more[i] = *cur;
		memo_clear(&t);
		tls_refresh_gen(&t, gen);
		*cur = t;
		return cur;
	}
	if (!create)
		return NULL;
	if (cur->sys) {
		more = more_records();
		slot = more ? slot_for_current(more) : NULL;
		if (!slot) {
			/* No room, or every other record holds a policy: the current one goes. */
			record_release(cur);
		} else {
			record_release(slot);
			*slot = *cur;
		}
	}
	record_init(cur, sys, gen);
	pthread_once(&key_once, key_create);
	pthread_setspecific(exit_key, (void *)1);
	return cur;
}

struct bz_tcache *bz__task_cache_slow(struct bz_system *sys)
{
	struct bz_task *t;

	/* Without membarrier the owners' fast path could not be stopped: no caches. */
	if (!bz__tcache_supported(sys))
		return NULL;
	t = bz__task(sys, true);
	if (!t)
		return NULL;
	if (!t->tc) {
		t->tc = bz__tcache_new(sys, t->node_pin ? t->node_pin - 1 : bz__numa_node_id(sys), t->node_pin != 0);
		if (!t->tc)
			return NULL;
		/* Debug mode: every free takes the slow path, where its hooks are. */
		t->nr_pfns = sys->debug.flags ? 0 : sys->nr_pfns;
	}
	return t->tc;
}

/* ---- the thread's node ------------------------------------------------------------- */

int bz__task_set_node(struct bz_system *sys, int nid)
{
	struct bz_task *t = bz__task(sys, true);
	int pin = nid < 0 ? 0 : nid + 1, now;
	bool fast;

	if (!t)
		return -ENOMEM;
	if (t->node_pin == pin)
		return 0;
	bz__current.nr_pinned += (pin != 0) - (t->node_pin != 0);
	t->node_pin = pin;
	/* The memo was made for the old node: it must not serve the new one. */
	memo_clear(t);
	if (!t->tc)
		return 0;
	now = pin ? nid : bz__numa_node_id(sys);
	if (t->tc->nid != now) {
		/* The cache lives on the old node's memory: a new one comes at the next use. */
		bz__tcache_release(t->tc, sys, t->id);
		t->tc = NULL;
		t->nr_pfns = 0;
		return 0;
	}
	fast = tcache_enter(t->tc);     /* a drainer's refresh reads these */
	t->tc->pinned = pin != 0;
	tcache_exit(t->tc, fast);
	return 0;
}

int bz__task_node_slow(const struct bz_system *sys)
{
	const struct bz_task *t = &bz__current.task;

	if (!record_of(t, sys)) {
		t = NULL;
		for (int i = 0; bz__current.more && i < BZ_TASK_MORE; i++)
			if (record_of(&bz__current.more[i], sys))
				t = &bz__current.more[i];
	}
	return t && t->node_pin ? t->node_pin - 1 : bz__numa_node_id(sys);
}

struct bz_mpol *bz__task_mpol(const struct bz_system *sys)
{
	if (bz_likely(!bz__current.nr_mpol))
		return NULL;
	if (record_of(&bz__current.task, sys))
		return bz__current.task.mpol;
	for (int i = 0; bz__current.more && i < BZ_TASK_MORE; i++)
		if (record_of(&bz__current.more[i], sys))
			return bz__current.more[i].mpol;
	return NULL;
}

void bz__task_forget_dead(void)
{
	struct bz_task *more = bz__current.more;

	bz__registry_lock();
	for (int i = 0; more && i < BZ_TASK_MORE; i++)
		if (more[i].sys && !bz__system_alive(more[i].sys, more[i].id)) {
			bz__registry_unlock();
			record_release(&more[i]);
			bz__registry_lock();
		}
	bz__registry_unlock();
}

static void thread_exit(void *arg)
{
	(void)arg;
	record_release(&bz__current.task);
	for (int i = 0; bz__current.more && i < BZ_TASK_MORE; i++)
		record_release(&bz__current.more[i]);
	free(bz__current.more);
	bz__current.more = NULL;
}

/* ---- PF_MEMALLOC and reclaim state --------------------------------------------------------- */

BZ_API unsigned bz_memalloc_save(void)
{
	unsigned old = bz__current.flags & PF_MEMALLOC;

	bz__current.flags |= PF_MEMALLOC;
	return old;
}

BZ_API void bz_memalloc_restore(unsigned flags)
{
	bz__current.flags = (bz__current.flags & ~PF_MEMALLOC) | (flags & PF_MEMALLOC);
}

void bz__reclaim_enter(struct bz_reclaim_ctx *c, struct bz_system *sys)
{
	c->rs.sys = sys;
	c->rs.reclaimed = 0;
	c->prev = bz__current.reclaim_state;
	bz__current.reclaim_state = &c->rs;
	c->memalloc = bz_memalloc_save();   /* memalloc_noreclaim_save() */
	c->gen = bz__current.task.gen;
	bz__fast_free_off();
}

void bz__reclaim_exit(struct bz_reclaim_ctx *c)
{
	/* Restoring an older generation is safe: at worst the fast path stays off until the next lookup. */
	if (bz__current.task.gen == TLS_GEN_OFF)
		bz__current.task.gen = c->gen;
	bz_memalloc_restore(c->memalloc);
	bz__current.reclaim_state = c->prev;
}

void bz__drain_own_cache(struct bz_system *sys)
{
	struct bz_tcache *tc = bz__task_cache(sys);
	bool fast;

	if (!tc)
		return;
	fast = tcache_enter(tc);
	bz__pcp_drain(tc);
	tcache_exit(tc, fast);
}
