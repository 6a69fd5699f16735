/* SPDX-License-Identifier: MIT */
/*
 * tcache.c - the lifetime of per-thread caches: found through the thread's
 * TLS, created on first use of a system, drained when the thread exits,
 * freed with their system, drained remotely by bz_drain_all_pages
 * (drain_all_pages), made consistent across fork, and summed for reports.
 * The remote-drain handshake is argued at tcache_enter() in pcp.c.
 */
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pcp.h"

#define TLS_MORE 8

/*
 * The thread's other (system, cache) pairs, on the heap: the library's
 * static TLS must stay small enough to be dlopen()ed (glibc reserves a
 * few hundred bytes of static TLS for libraries loaded late).
 */
static _Thread_local struct bz_tls *tls_more __attribute__((tls_model("initial-exec")));
_Atomic uint64_t bz__tls_gen = 1;
static pthread_mutex_t tcache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t tcache_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;

static void thread_exit(void *arg);
static void fork_prepare(void);
static void fork_parent(void);
static void fork_child(void);

static void tcache_init_once(void)
{
	pthread_key_create(&exit_key, thread_exit);
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
		bz__use_membarrier = true;
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void bz__tcache_lock(void)
{
	pthread_mutex_lock(&tcache_lock);
}

void bz__tcache_unlock(void)
{
	pthread_mutex_unlock(&tcache_lock);
}

void bz__pcp_system_created(struct bz_system *sys)
{
	(void)sys;
	pthread_once(&tcache_once, tcache_init_once);
}

/* ---- one cache ---------------------------------------------------------------------- */

static struct bz_tcache *tcache_new(struct bz_system *sys)
{
	int n = sys->nr_nodes * BZ_MAX_NR_ZONES;
	size_t size = sizeof(struct bz_tcache) + (size_t)n * (sizeof(struct bz_pcp) + sizeof(struct bz_pcp_stats));
	struct bz_tcache *tc = aligned_alloc(128, (size + 127) & ~(size_t)127);

	if (!tc)
		return NULL;
	memset(tc, 0, size);
	tc->stats = (struct bz_pcp_stats *)&tc->pcp[n];
	tc->sys = sys;
	tc->nr_pcp = n;
	tc->owner = pthread_self();
	tc->cpu = sched_getcpu();
	bz_ticket_init(&tc->lock);
	for (int i = 0; i < n; i++) {
		struct bz_zone *z = &sys->nodes[i / BZ_MAX_NR_ZONES]->zones[i % BZ_MAX_NR_ZONES];

		tc->pcp[i].zone = z;
		bz__pcp_refresh_batch(&tc->pcp[i]);
		for (int l = 0; l < NR_PCP_LISTS; l++)
			tc->pcp[i].lists[l] = BZ_NIL;
	}
	bz__tcache_lock();
	tc->next = sys->tcaches;
	if (tc->next)
		tc->next->prev = tc;
	sys->tcaches = tc;
	bz__tcache_unlock();
	return tc;
}

/* Folds a cache's counters into its system, unlinks and frees it; tcache_lock held. */
static void tcache_free_locked(struct bz_tcache *tc)
{
	struct bz_system *sys = tc->sys;

	for (int ev = 0; ev < NR_VM_EVENTS; ev++)
		atomic_fetch_add(&sys->dead_events[ev], atomic_load(&tc->events[ev]));
	for (int i = 0; i < tc->nr_pcp; i++) {
		struct bz_zone *z = &sys->nodes[i / BZ_MAX_NR_ZONES]->zones[i % BZ_MAX_NR_ZONES];
		const struct bz_pcp_stats *pcp = &tc->stats[i];

		for (int k = 0; k < NR_PCP_NUMA; k++)
			zone_stat_add(z, (enum bz_zone_stat_item)(NUMA_HIT + k), (long)atomic_load(&pcp->numa[k]));
		zone_stat_add(z, NUMA_HIT, (long)pcp_fast_allocs(pcp));
		zone_stat_add(z, NUMA_LOCAL, (long)pcp_fast_allocs(pcp));
		atomic_fetch_add(&sys->dead_events[PGALLOC_BASE + z->idx], pcp_fast_pages(pcp));
	}
	if (tc->prev)
		tc->prev->next = tc->next;
	else
		sys->tcaches = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
	free(tc);
}

/* A TLS entry whose system still lives: its cache goes back, then away. */
static void release_entry(struct bz_tls *e)
{
	if (!e->tc)
		return;
	bz__tcache_lock();
	if (bz__system_alive(e->sys, e->id)) {
		bz__pcp_drain(e->tc);
		tcache_free_locked(e->tc);
	}
	bz__tcache_unlock();
	e->sys = NULL;
	e->tc = NULL;
	e->nr_pfns = 0;         /* no fast free: a later pthread_key destructor may still free */
	memo_clear(e);
}

struct bz_tcache *bz__tcache_slow(struct bz_system *sys)
{
	uint64_t gen = atomic_load(&bz__tls_gen);
	struct bz_tls *slot = NULL;
	struct bz_tcache *tc;

	pthread_once(&tcache_once, tcache_init_once);
	/* Without membarrier the owners' fast path could not be stopped: no caches. */
	if (!bz__use_membarrier)
		return NULL;
	if (!tls_more) {
		tls_more = calloc(TLS_MORE, sizeof(*tls_more));
		if (!tls_more)
			return NULL;
		pthread_setspecific(exit_key, (void *)1);
	}
	for (int i = 0; i < TLS_MORE; i++) {
		struct bz_tls *e = &tls_more[i];

		if (e->tc && e->sys == sys && e->id == sys->id) {
			struct bz_tls t = *e;

			*e = bz__tls;
			t.gen = gen;
			memo_clear(&t);
			bz__tls = t;
			return t.tc;
		}
		if (!slot && (!e->tc || !bz__system_alive(e->sys, e->id)))
			slot = e;
	}
	tc = tcache_new(sys);
	if (!tc)
		return NULL;
	if (!slot) {
		slot = &tls_more[TLS_MORE - 1]; /* a thread using many systems: the oldest goes */
		release_entry(slot);
	}
	if (bz__tls.tc)
		*slot = bz__tls;
	else
		slot->tc = NULL;
	bz__tls = (struct bz_tls){ .sys = sys, .id = sys->id, .tc = tc, .gen = gen,
				   .mem_map = (uintptr_t)sys->mem_map,
				   /* Debug mode: every free takes the slow path, where its hooks are. */
				   .nr_pfns = sys->debug.flags ? 0 : sys->nr_pfns,
				   .base = sys->base,
				   .pageblock_mt = sys->pageblock_mt };
	pthread_setspecific(exit_key, (void *)1);
	return tc;
}

static void thread_exit(void *arg)
{
	(void)arg;
	release_entry(&bz__tls);
	for (int i = 0; tls_more && i < TLS_MORE; i++)
		release_entry(&tls_more[i]);
	free(tls_more);
	tls_more = NULL;
}

/* With tcache_lock held and sys leaving the registry: its caches go (their pages with it). */
void bz__pcp_system_destroy(struct bz_system *sys)
{
	atomic_fetch_add(&bz__tls_gen, 1);
	while (sys->tcaches)
		tcache_free_locked(sys->tcaches);
}

/* ---- draining other threads' caches ------------------------------------------------- */

/* Asks every owner out of its lists and waits until each is out; tc locks end up held. */
static void stop_owners(struct bz_system *sys)
{
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next) {
		bz_ticket_lock(&tc->lock);
		atomic_store(&tc->drain_pending, 1);
	}
}

static void wait_owners(struct bz_system *sys)
{
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next)
		while (atomic_load_explicit(&tc->in_cs, memory_order_acquire))
			bz_cpu_relax();
}

static void release_owners(struct bz_system *sys)
{
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next) {
		atomic_store_explicit(&tc->drain_pending, 0, memory_order_release);
		bz_ticket_unlock(&tc->lock);
	}
}


static int stopped_call_locked(struct bz_system *sys, int (*fn)(struct bz_system *sys, void *arg), void *arg)
{
	int ret;

	stop_owners(sys);
	bz__force_barriers();
	wait_owners(sys);
	ret = fn(sys, arg);
	release_owners(sys);
	return ret;
}

int bz__tcache_stopped_call(struct bz_system *sys, int (*fn)(struct bz_system *sys, void *arg), void *arg)
{
	int ret;

	bz__tcache_lock();
	ret = stopped_call_locked(sys, fn, arg);
	bz__tcache_unlock();
	return ret;
}

static int drain_stopped(struct bz_system *sys, void *arg)
{
	(void)arg;
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next)
		bz__pcp_drain(tc);
	return 0;
}

BZ_API int bz_drain_all_pages(bz_system *sys)
{
	sys = bz__resolve(sys);
	if (!sys)
		return -EINVAL;
	return bz__tcache_stopped_call(sys, drain_stopped, NULL);
}

int bz__tcache_try_stopped_call(struct bz_system *sys, int (*fn)(struct bz_system *sys, void *arg), void *arg)
{
	int ret;

	if (pthread_mutex_trylock(&tcache_lock))
		return -EBUSY;
	ret = stopped_call_locked(sys, fn, arg);
	bz__tcache_unlock();
	return ret;
}

/* ---- fork ------------------------------------------------------------------------------- */

static void lock_system(struct bz_system *sys, void *arg)
{
	(void)arg;
	stop_owners(sys);
}

static void wait_system(struct bz_system *sys, void *arg)
{
	(void)arg;
	wait_owners(sys);
	pthread_mutex_lock(&sys->sysctl_lock);
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			bz__zone_lock(&sys->nodes[nid]->zones[zid]);
}

static void unlock_system(struct bz_system *sys, void *child)
{
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			bz__zone_unlock(&sys->nodes[nid]->zones[zid]);
	pthread_mutex_unlock(&sys->sysctl_lock);
	release_owners(sys);
	if (!child)
		return;
	/* Only the forking thread lives on in the child: the others' caches come home. */
	for (struct bz_tcache *tc = sys->tcaches, *next; tc; tc = next) {
		next = tc->next;
		if (pthread_equal(tc->owner, pthread_self()))
			continue;
		bz__pcp_drain(tc);
		tcache_free_locked(tc);
	}
}

/* No thread may be inside a cache or hold a zone lock while the address space is copied. */
static void fork_prepare(void)
{
	bz__tcache_lock();
	bz__registry_lock();
	bz__for_each_system(lock_system, NULL);
	bz__force_barriers();
	bz__for_each_system(wait_system, NULL);
}

static void fork_parent(void)
{
	bz__for_each_system(unlock_system, NULL);
	bz__registry_unlock();
	bz__tcache_unlock();
}

static void fork_child(void)
{
	bz__for_each_system(unlock_system, (void *)1);
	bz__registry_unlock();
	bz__tcache_unlock();
}

/* ---- sums for reports ------------------------------------------------------------------ */

/*
 * pgfree is not counted on the way: every page handed out comes back
 * through a counted allocation, so pages freed = pages allocated (pgalloc)
 * less pages allocated now.  A snapshot while threads run.
 */
static unsigned long pgfree_sum(const struct bz_system *sys)
{
	long sum = 0;

	for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
		sum += (long)bz__vm_event_sum(sys, (enum bz_vm_event)(PGALLOC_BASE + zid));
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			const struct bz_zone *z = &sys->nodes[nid]->zones[zid];

			sum -= (long)z->managed_pages - zone_page_state(z, NR_FREE_PAGES) -
			       (long)bz__zone_cached(z);
		}
	return sum < 0 ? 0 : (unsigned long)sum;
}

unsigned long bz__vm_event_sum(const struct bz_system *sys, enum bz_vm_event ev)
{
	if (ev == PGFREE)
		return pgfree_sum(sys);

	unsigned long sum = atomic_load(&sys->events[ev]) + atomic_load(&sys->dead_events[ev]);
	bool pgalloc = ev >= PGALLOC_BASE && ev < PGALLOC_BASE + BZ_MAX_NR_ZONES;

	bz__tcache_lock();
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next) {
		sum += atomic_load_explicit(&tc->events[ev], memory_order_relaxed);
		for (int i = 0; pgalloc && i < tc->nr_pcp; i++)
			if (i % BZ_MAX_NR_ZONES == (int)(ev - PGALLOC_BASE))
				sum += pcp_fast_pages(&tc->stats[i]);
	}
	bz__tcache_unlock();
	return sum;
}

unsigned long bz__zone_numa_sum(const struct bz_zone *z, enum bz_zone_stat_item item)
{
	unsigned long sum = (unsigned long)zone_page_state(z, item);

	bz__tcache_lock();
	for (struct bz_tcache *tc = z->sys->tcaches; tc; tc = tc->next) {
		const struct bz_pcp_stats *pcp = &tc->stats[z->zone_id];

		sum += atomic_load_explicit(&pcp->numa[item - NUMA_HIT], memory_order_relaxed);
		if (item == NUMA_HIT || item == NUMA_LOCAL)
			sum += pcp_fast_allocs(pcp);
	}
	bz__tcache_unlock();
	return sum;
}

/* Pages in caches; read while owners run, so a snapshot, exact when they are quiet. */
unsigned long bz__zone_cached(const struct bz_zone *z)
{
	unsigned long sum = 0;

	bz__tcache_lock();
	for (struct bz_tcache *tc = z->sys->tcaches; tc; tc = tc->next) {
		sum += (unsigned long)PCP_GET(&tc->pcp[z->zone_id], count);
	}
	bz__tcache_unlock();
	return sum;
}

void bz__pcp_cpu_view(const struct bz_zone *z, int cpu, int *count, int *high)
{
	int ncpus = 0;

	for (int nid = 0; nid < z->sys->nr_nodes; nid++)
		ncpus += z->sys->nodes[nid]->nr_cpus;
	*count = 0;
	*high = atomic_load(&z->pcp_high_min);
	if (ncpus <= 0)
		return;
	bz__tcache_lock();
	for (struct bz_tcache *tc = z->sys->tcaches; tc; tc = tc->next) {
		if ((tc->cpu < 0 ? 0 : tc->cpu) % ncpus != cpu)
			continue;
		*count += PCP_GET(&tc->pcp[z->zone_id], count);
		*high = BZ_MAX(*high, PCP_GET(&tc->pcp[z->zone_id], high));
	}
	bz__tcache_unlock();
}
