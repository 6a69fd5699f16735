/* SPDX-License-Identifier: MIT */
/*
 * shrinker.c - the application's reclaimable memory, as the kernel's
 * mm/shrinker.c: registering and unregistering shrinkers, and
 * shrink_slab()/do_shrink_slab(), which ask each one to free a share of its
 * objects proportional to the reclaim priority.  Also a system's callback
 * state (struct bz_reclaim: made by the first registration, freed with the
 * system) and the callback lists shrinkers and OOM notifiers (oom.c) are
 * kept on.
 *
 * Lifetime, as in 6.7+: a walker references an entry under the list's lock
 * and calls it with no lock held; unregistering marks the entry dead and
 * waits until its last call has returned, so that the caller may free its
 * struct bz_shrinker afterwards.  The records are ours: struct bz_shrinker
 * has no private fields.
 */
#include <limits.h>
#include <stdlib.h>

#include "reclaim.h"

#define SHRINK_BATCH 128

/* ---- callback lists -------------------------------------------------------------------- */

static void cblist_init(struct bz_cblist *l)
{
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->idle, NULL);
	l->head = NULL;
}

static void cblist_destroy(struct bz_cblist *l)
{
	while (l->head) {
		struct bz_cb *cb = l->head;

		l->head = cb->next;
		free(cb);
	}
	pthread_cond_destroy(&l->idle);
	pthread_mutex_destroy(&l->lock);
}

static void cblist_fork_child(struct bz_cblist *l)
{
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->idle, NULL);
	for (struct bz_cb *cb = l->head; cb; cb = cb->next)
		cb->refs = 0;
}

/* The list whose callback this thread is running, if any: unregistering from it would wait forever. */
const struct bz_cblist *bz__cblist_enter(const struct bz_cblist *l)
{
	const struct bz_cblist *old = bz__current.in_callback;

	bz__current.in_callback = l;
	return old;
}

/* ---- a system's callback state ----------------------------------------------------------- */

struct bz_reclaim *bz__reclaim(struct bz_system *sys, bool create)
{
	struct bz_reclaim *r = atomic_load_explicit(&sys->reclaim, memory_order_acquire), *expected = NULL;

	if (r || !create)
		return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->sys = sys;
	cblist_init(&r->shrinkers);
	cblist_init(&r->oom);
	pthread_mutex_init(&r->oom_lock, NULL);
	if (!atomic_compare_exchange_strong(&sys->reclaim, &expected, r)) {
		cblist_destroy(&r->shrinkers);
		cblist_destroy(&r->oom);
		pthread_mutex_destroy(&r->oom_lock);
		free(r);
		return expected;
	}
	return r;
}

int bz__nr_shrinkers(const struct bz_system *sys)
{
	const struct bz_reclaim *r = atomic_load_explicit(&sys->reclaim, memory_order_acquire);

	return r ? atomic_load_explicit(&r->nr_shrinkers, memory_order_relaxed) : 0;
}

void bz__reclaim_destroy(struct bz_system *sys)
{
	struct bz_reclaim *r = atomic_load(&sys->reclaim);

	if (!r)
		return;
	atomic_store(&sys->reclaim, NULL);
	cblist_destroy(&r->shrinkers);
	cblist_destroy(&r->oom);
	pthread_mutex_destroy(&r->oom_lock);
	free(r);
}

void bz__reclaim_fork_child(struct bz_system *sys)
{
	struct bz_reclaim *r = atomic_load(&sys->reclaim);

	if (!r)
		return;
	cblist_fork_child(&r->shrinkers);
	cblist_fork_child(&r->oom);
	pthread_mutex_init(&r->oom_lock, NULL);
}

int bz__cblist_add(struct bz_cblist *l, struct bz_cb *cb)
{
	struct bz_cb **pos;

	pthread_mutex_lock(&l->lock);
	for (struct bz_cb *it = l->head; it; it = it->next) {
		if (it->obj == cb->obj && !it->dead) {
			pthread_mutex_unlock(&l->lock);
			return -EINVAL;
		}
	}
	/* notifier_chain_register(): after every entry of the same or higher priority */
	for (pos = &l->head; *pos && (*pos)->priority >= cb->priority; pos = &(*pos)->next)
		;
	cb->next = *pos;
	*pos = cb;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

struct bz_cb *bz__cblist_del(struct bz_cblist *l, void *obj, int *err)
{
	struct bz_cb **pos, *cb;

	*err = 0;
	if (bz__current.in_callback == l) {
		*err = -EDEADLK;
		return NULL;
	}
	pthread_mutex_lock(&l->lock);
	for (pos = &l->head; *pos && ((*pos)->obj != obj || (*pos)->dead); pos = &(*pos)->next)
		;
	cb = *pos;
	if (cb) {
		cb->dead = true;
		while (cb->refs)
			pthread_cond_wait(&l->idle, &l->lock);
		/* Entries before cb may have been unlinked while we waited: find it again. */
		for (pos = &l->head; *pos != cb; pos = &(*pos)->next)
			;
		*pos = cb->next;
	}
	pthread_mutex_unlock(&l->lock);
	return cb;
}

struct bz_cb *bz__cblist_next(struct bz_cblist *l, struct bz_cb *prev)
{
	struct bz_cb *cb;

	pthread_mutex_lock(&l->lock);
	/* prev is still linked (its reference keeps it), so prev->next is current */
	for (cb = prev ? prev->next : l->head; cb && cb->dead; cb = cb->next)
		;
	if (cb)
		cb->refs++;
	if (prev && !--prev->refs && prev->dead)
		pthread_cond_broadcast(&l->idle);
	pthread_mutex_unlock(&l->lock);
	return cb;
}

/* ---- registration ------------------------------------------------------------------------- */

static int check_shrinker(struct bz_system *sys, const struct bz_shrinker *s)
{
	const char *why = NULL;

	if (!s)
		why = "NULL shrinker";
	else if (!s->count_objects || !s->scan_objects)
		why = "count_objects and scan_objects are required";
	else if (s->seeks < 0)
		why = "seeks must be 0 or more (BZ_DEFAULT_SEEKS is 2)";
	else if (s->batch < 0)
		why = "batch must be 0 (128) or more";
	else if (s->flags & ~BZ_SHRINKER_NUMA_AWARE)
		why = "unknown flags (only BZ_SHRINKER_NUMA_AWARE)";
	if (why)
		bz__log(sys, BZ_LOG_ERR, "bz_shrinker_register: %s", why);
	return why ? -EINVAL : 0;
}

int bz__shrinker_register(struct bz_system *sys, struct bz_shrinker *s)
{
	struct bz_reclaim *r;
	struct bz_cb *cb;
	int slots, ret;

	ret = check_shrinker(sys, s);
	if (ret)
		return ret;
	r = bz__reclaim(sys, true);
	slots = (s->flags & BZ_SHRINKER_NUMA_AWARE) ? sys->nr_nodes : 1;
	cb = r ? calloc(1, sizeof(*cb) + 2 * (size_t)slots * sizeof(cb->counters[0])) : NULL;
	if (!cb)
		return -ENOMEM;
	cb->obj = s;
	cb->flags = s->flags;
	cb->nr_slots = slots;
	ret = bz__cblist_add(&r->shrinkers, cb);
	if (ret) {
		free(cb);
		bz__log(sys, BZ_LOG_ERR, "bz_shrinker_register: shrinker %p is registered already", (void *)s);
		return ret;
	}
	atomic_fetch_add(&r->nr_shrinkers, 1);
	/* New reclaimable memory: a node kswapd gave up on may be worth trying again. */
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		atomic_store(&sys->nodes[nid]->kswapd_failures, 0);
	return 0;
}

void bz__shrinker_unregister(struct bz_system *sys, struct bz_shrinker *s)
{
	struct bz_reclaim *r = bz__reclaim(sys, false);
	struct bz_cb *cb;
	int err = 0;

	cb = r && s ? bz__cblist_del(&r->shrinkers, s, &err) : NULL;
	if (!cb) {
		if (s && r && err)
			bz__log(sys, BZ_LOG_ERR, "bz_shrinker_unregister(%p): called from a shrinker callback; "
				"it stays registered", (void *)s);
		else
			bz__log(sys, BZ_LOG_ERR, "bz_shrinker_unregister(%p): not a registered shrinker", (void *)s);
		return;
	}
	atomic_fetch_sub(&r->nr_shrinkers, 1);
	free(cb);
}

/* ---- do_shrink_slab --------------------------------------------------------------------- */

/* Calls a shrinker callback with this thread marked as inside the list. */
static unsigned long call_count(struct bz_reclaim *r, struct bz_shrinker *s, struct bz_shrink_control *sc)
{
	const struct bz_cblist *old = bz__cblist_enter(&r->shrinkers);
	unsigned long n = s->count_objects(s, sc);

	bz__cblist_enter(old);
	return n;
}

static unsigned long call_scan(struct bz_reclaim *r, struct bz_shrinker *s, struct bz_shrink_control *sc)
{
	const struct bz_cblist *old = bz__cblist_enter(&r->shrinkers);
	unsigned long n = s->scan_objects(s, sc);

	bz__cblist_enter(old);
	return n;
}

/*
 * The scan loop: batches of batch_size while that much work is left, or
 * while the work covers every object (a small cache under heavy pressure).
 * A shrinker that reports nothing scanned ends the loop, which the kernel
 * would repeat forever.
 */
static long scan_batches(struct bz_reclaim *r, struct bz_shrinker *s, struct bz_shrink_control *sc,
			 long total_scan, long freeable, long batch_size, unsigned long *freed)
{
	long scanned = 0;

	while (total_scan >= batch_size || total_scan >= freeable) {
		unsigned long ret;

		sc->nr_to_scan = (unsigned long)BZ_MIN(batch_size, total_scan);
		sc->nr_scanned = sc->nr_to_scan;
		ret = call_scan(r, s, sc);
		if (ret == BZ_SHRINK_STOP || !sc->nr_scanned)
			break;
		*freed += ret;
		count_vm_events(r->sys, SLABS_SCANNED, sc->nr_scanned);
		total_scan -= (long)BZ_MIN(sc->nr_scanned, (unsigned long)LONG_MAX);
		scanned += (long)BZ_MIN(sc->nr_scanned, (unsigned long)LONG_MAX);
	}
	return scanned;
}

/*
 * do_shrink_slab(): F = count_objects; work = (F >> priority) * 4 / seeks
 * (F / 2 for seeks 0) plus deferred >> priority, at most 2F; the work not
 * done is deferred to the next call, also at most 2F.
 */
static unsigned long do_shrink_slab(struct bz_reclaim *r, struct bz_cb *cb, struct bz_shrink_control *sc,
				    int priority)
{
	struct bz_shrinker *s = cb->obj;
	int slot = (cb->flags & BZ_SHRINKER_NUMA_AWARE) ? sc->nid : 0;
	long batch_size = s->batch ? s->batch : SHRINK_BATCH;
	unsigned long count, freed = 0;
	unsigned long long delta;
	long freeable, nr, total_scan, scanned, next_deferred;

	count = call_count(r, s, sc);
	atomic_store_explicit(&cb->counters[cb->nr_slots + slot],
			      count == BZ_SHRINK_EMPTY ? 0 : (long)BZ_MIN(count, (unsigned long)LONG_MAX),
			      memory_order_relaxed);
	if (count == 0 || count == BZ_SHRINK_EMPTY)
		return count;
	freeable = (long)BZ_MIN(count, (unsigned long)LONG_MAX / 4);
	/* Take the deferred work so that concurrent reclaimers do not repeat it. */
	nr = atomic_exchange(&cb->counters[slot], 0);
	if (s->seeks) {
		delta = (unsigned long long)(freeable >> priority) * 4;
		delta /= (unsigned)s->seeks;
	} else {
		/* Objects that cost nothing to recreate: trim hard. */
		delta = (unsigned long long)freeable / 2;
	}
	total_scan = (long)BZ_MIN((unsigned long long)(nr >> priority) + delta, (unsigned long long)(2 * freeable));
	scanned = scan_batches(r, s, sc, total_scan, freeable, batch_size, &freed);
	next_deferred = BZ_MAX(nr + (long)BZ_MIN(delta, (unsigned long long)LONG_MAX / 4) - scanned, 0l);
	next_deferred = BZ_MIN(next_deferred, 2 * freeable);
	atomic_fetch_add(&cb->counters[slot], next_deferred);
	return freed;
}

unsigned long bz__shrink_slab(struct bz_reclaim *r, bz_gfp_t gfp, int nid, int priority, bool unaware)
{
	unsigned long freed = 0;

	for (struct bz_cb *cb = bz__cblist_next(&r->shrinkers, NULL); cb; cb = bz__cblist_next(&r->shrinkers, cb)) {
		bool aware = cb->flags & BZ_SHRINKER_NUMA_AWARE;
		struct bz_shrink_control sc = { .gfp_mask = gfp, .nid = aware ? nid : 0 };
		unsigned long ret;

		if (!aware && !unaware)
			continue;
		ret = do_shrink_slab(r, cb, &sc, priority);
		if (ret != BZ_SHRINK_EMPTY)
			freed += ret;
	}
	return freed;
}

unsigned long bz__shrinkers_count(struct bz_reclaim *r, bz_gfp_t gfp, int nid, bool unaware)
{
	unsigned long sum = 0;

	for (struct bz_cb *cb = bz__cblist_next(&r->shrinkers, NULL); cb; cb = bz__cblist_next(&r->shrinkers, cb)) {
		bool aware = cb->flags & BZ_SHRINKER_NUMA_AWARE;
		struct bz_shrink_control sc = { .gfp_mask = gfp, .nid = aware ? nid : 0 };
		unsigned long n;

		if (!aware && !unaware)
			continue;
		n = call_count(r, cb->obj, &sc);
		if (n != BZ_SHRINK_EMPTY)
			sum += BZ_MIN(n, ULONG_MAX / 2 - sum);
	}
	return sum;
}

/*
 * zone_reclaimable_pages() for should_reclaim_retry(): what the shrinkers
 * of the node last said they could free (count_objects, no new call), taken
 * as pages.  An object holds at least a page in the caches this library is
 * for; for others this overestimates, which only means more retries,
 * bounded by MAX_RECLAIM_RETRIES.  Thread caches do not count, as the
 * kernel's per-CPU lists do not: direct reclaim drains them anyway.
 */
unsigned long bz__zone_reclaimable_pages(struct bz_zone *z)
{
	struct bz_reclaim *r = bz__reclaim(z->sys, false);
	unsigned long sum = 0;
	int nid = z->node->nid;

	if (!r || !atomic_load_explicit(&r->nr_shrinkers, memory_order_relaxed))
		return sum;
	pthread_mutex_lock(&r->shrinkers.lock);
	for (struct bz_cb *cb = r->shrinkers.head; cb; cb = cb->next) {
		int slot = (cb->flags & BZ_SHRINKER_NUMA_AWARE) ? nid : 0;

		if (!cb->dead)
			sum += (unsigned long)atomic_load_explicit(&cb->counters[cb->nr_slots + slot],
								   memory_order_relaxed);
	}
	pthread_mutex_unlock(&r->shrinkers.lock);
	return sum;
}
