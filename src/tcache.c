/* SPDX-License-Identifier: MIT */
/*
 * tcache.c - the per-thread caches of a system: created for a thread on
 * its first use of the system (task.c asks), freed with the thread or the
 * system, drained remotely by bz_drain_all_pages (drain_all_pages), every
 * owner stopped for whoever needs the caches still (decay of idle caches,
 * new pageset limits, bz_check, fork), and summed for reports.  The
 * remote-drain handshake is argued at tcache_enter() in pcp.h.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "pcp.h"

static pthread_mutex_t tcache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t membarrier_once = PTHREAD_ONCE_INIT;
static int membarrier_err;      /* set once, before the first cache exists: 0 or -errno */
static atomic_int membarrier_told;

static void membarrier_register(void)
{
	membarrier_err = bz__os_membarrier_register();
}

/*
 * Without membarrier the owners' fast path could not be stopped: no thread
 * caches, every allocation and free takes the zone lock.  Said once per
 * process, through the log of the first system that asks.
 */
bool bz__tcache_supported(const struct bz_system *sys)
{
	pthread_once(&membarrier_once, membarrier_register);
	if (bz_unlikely(membarrier_err) && !atomic_exchange(&membarrier_told, 1))
		bz__log(sys, BZ_LOG_WARNING, "thread caches are off: membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) "
			"failed (%s); every allocation and free takes the zone lock", bz_strerror(membarrier_err));
	return !membarrier_err;
}

int bz__tcache_off_reason(void)
{
	pthread_once(&membarrier_once, membarrier_register);
	return membarrier_err;
}

void bz__force_barriers(void)
{
	if (!membarrier_err)
		bz__os_membarrier();
	atomic_thread_fence(memory_order_seq_cst);
}

void bz__tcache_lock(void)
{
	pthread_mutex_lock(&tcache_lock);
}

void bz__tcache_unlock(void)
{
	pthread_mutex_unlock(&tcache_lock);
}

/* ---- one cache ---------------------------------------------------------------------- */

static struct bz_zone *cache_zone(const struct bz_tcache *tc, int i)
{
	return &tc->sys->nodes[i / BZ_MAX_NR_ZONES]->zones[i % BZ_MAX_NR_ZONES];
}

/*
 * The cache and its counters on the thread's node, as a CPU's pagesets
 * and vm_stat_diff live in its node's per-CPU area: a mapping of its own
 * (page-aligned, so 128-aligned), bound before first touch.
 */
struct bz_tcache *bz__tcache_new(struct bz_system *sys, int nid, bool pinned)
{
	int n = sys->nr_nodes * BZ_MAX_NR_ZONES;
	size_t size = sizeof(struct bz_tcache) + (size_t)n * (sizeof(struct bz_pcp) + sizeof(struct bz_pcp_stats));
	struct bz_tcache *tc = bz__os_alloc_node(size, bz__os_node(sys, nid));

	if (!tc)
		return NULL;
	tc->alloc_bytes = size;
	tc->nid = nid;
	tc->pinned = pinned;
	tc->stats = (struct bz_pcp_stats *)&tc->pcp[n];
	tc->sys = sys;
	tc->nr_pcp = n;
	tc->owner = pthread_self();
	tc->cpu = sched_getcpu();
	bz_ticket_init(&tc->lock);
	for (int i = 0; i < n; i++) {
		tc->pcp[i].zone = cache_zone(tc, i);
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
		struct bz_zone *z = cache_zone(tc, i);
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
	bz__os_release(tc, tc->alloc_bytes);
}

void bz__tcache_release(struct bz_tcache *tc, struct bz_system *sys, uint64_t id)
{
	bz__tcache_lock();
	/* A destroyed system took its caches with it. */
	if (bz__system_alive(sys, id)) {
		bz__pcp_drain(tc);
		tcache_free_locked(tc);
	}
	bz__tcache_unlock();
}

void bz__tcache_system_destroy(struct bz_system *sys)
{
	while (sys->tcaches)
		tcache_free_locked(sys->tcaches);
}

/* ---- stopping every owner ------------------------------------------------------------- */

/* Asks every owner out of its lists; tc locks end up held. */
static void stop_owners(struct bz_system *sys)
{
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next) {
		bz_ticket_lock(&tc->lock);
		atomic_store(&tc->drain_pending, 1);
	}
}

/* Waits until each owner is out; an owner preempted inside gets the CPU back soon. */
static void wait_owners(struct bz_system *sys)
{
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next)
		for (unsigned spins = 0; atomic_load_explicit(&tc->in_cs, memory_order_acquire);) {
			if (++spins < 128) {
				bz_cpu_relax();
			} else {
				spins = 0;
				sched_yield();
			}
		}
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

int bz__tcache_try_stopped_call(struct bz_system *sys, int (*fn)(struct bz_system *sys, void *arg), void *arg)
{
	int ret;

	if (pthread_mutex_trylock(&tcache_lock))
		return -EBUSY;
	ret = stopped_call_locked(sys, fn, arg);
	bz__tcache_unlock();
	return ret;
}

/* ---- what needs every cache ------------------------------------------------------------- */

static int drain_stopped(struct bz_system *sys, void *arg)
{
	(void)arg;
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next)
		bz__pcp_drain(tc);
	return 0;
}

int bz__tcache_drain_all(struct bz_system *sys)
{
	return bz__tcache_stopped_call(sys, drain_stopped, NULL);
}

/* Caches whose owners have not decayed them for a period: idle threads'. */
static int decay_idle_stopped(struct bz_system *sys, void *arg)
{
	long now = *(const long *)arg;

	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next)
		if (now - tc->last_decay_ns >= BZ_PCP_DECAY_PERIOD_NS)
			bz__pcp_decay(tc, now);
	return 0;
}

void bz__tcache_decay_idle(struct bz_system *sys)
{
	long now = bz__now_coarse_ns(), last = atomic_load_explicit(&sys->idle_decay_ns, memory_order_relaxed);

	/* One thread a period does it; the others pass by with a load. */
	if (bz_likely(now - last < BZ_PCP_DECAY_PERIOD_NS) ||
	    !atomic_compare_exchange_strong(&sys->idle_decay_ns, &last, now))
		return;
	bz__tcache_try_stopped_call(sys, decay_idle_stopped, &now);
}

static int retune_stopped(struct bz_system *sys, void *arg)
{
	(void)arg;
	for (struct bz_tcache *tc = sys->tcaches; tc; tc = tc->next)
		bz__pcp_retune(tc);
	return 0;
}

void bz__tcache_retune_all(struct bz_system *sys)
{
	bz__tcache_stopped_call(sys, retune_stopped, NULL);
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
	for (struct bz_tcache *tc = sys->tcaches, *next; tc; tc = next) {
		next = tc->next;
		if (pthread_equal(tc->owner, pthread_self()))
			continue;
		bz__pcp_drain(tc);
		tcache_free_locked(tc);
	}
}

/* No thread may be inside a cache or hold a zone lock while the address space is copied. */
void bz__tcache_fork_prepare(void)
{
	bz__tcache_lock();
	bz__registry_lock();
	bz__for_each_system(lock_system, NULL);
	bz__force_barriers();
	bz__for_each_system(wait_system, NULL);
}

void bz__tcache_fork_parent(void)
{
	bz__for_each_system(unlock_system, NULL);
	bz__registry_unlock();
	bz__tcache_unlock();
}

void bz__tcache_fork_child(void)
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

unsigned long bz__zone_cached_stopped(const struct bz_zone *z)
{
	unsigned long sum = 0;

	for (struct bz_tcache *tc = z->sys->tcaches; tc; tc = tc->next)
		sum += bz__pcp_count(tc, z);
	return sum;
}

unsigned long bz__zone_cached(const struct bz_zone *z)
{
	unsigned long sum;

	bz__tcache_lock();
	sum = bz__zone_cached_stopped(z);
	bz__tcache_unlock();
	return sum;
}

unsigned long bz__pcp_count(const struct bz_tcache *tc, const struct bz_zone *z)
{
	return (unsigned long)PCP_GET(&tc->pcp[z->zone_id], count);
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
