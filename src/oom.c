/* SPDX-License-Identifier: MIT */
/*
 * oom.c - the last resort before an allocation fails: OOM notifiers, the
 * kernel's register_oom_notifier() chain that out_of_memory() calls before
 * it picks a victim (mm/oom_kill.c).  There is no victim here: the
 * notifiers are all there is, and they run where __alloc_pages_may_oom()
 * would invoke the OOM killer.  A request whose notifiers freed something
 * is retried once.
 */
#include <stdlib.h>
#include <time.h>

#include "reclaim.h"

int bz__register_oom_notifier(struct bz_system *sys, struct bz_oom_notifier *nb)
{
	struct bz_reclaim *r;
	struct bz_cb *cb;
	int ret;

	if (!nb || !nb->notifier_call) {
		bz__log(sys, BZ_LOG_ERR, "bz_register_oom_notifier: %s", nb ? "notifier_call is required" : "NULL notifier");
		return -EINVAL;
	}
	r = bz__reclaim(sys, true);
	cb = r ? calloc(1, sizeof(*cb)) : NULL;
	if (!cb)
		return -ENOMEM;
	cb->obj = nb;
	cb->priority = nb->priority;
	ret = bz__cblist_add(&r->oom, cb);
	if (ret) {
		free(cb);
		bz__log(sys, BZ_LOG_ERR, "bz_register_oom_notifier: notifier %p is registered already", (void *)nb);
	}
	return ret;
}

int bz__unregister_oom_notifier(struct bz_system *sys, struct bz_oom_notifier *nb)
{
	struct bz_reclaim *r;
	struct bz_cb *cb;
	int err = 0;

	if (!nb)
		return -EINVAL;
	r = bz__reclaim(sys, false);
	cb = r ? bz__cblist_del(&r->oom, nb, &err) : NULL;
	if (!cb) {
		bz__log(sys, BZ_LOG_ERR, "bz_unregister_oom_notifier(%p): %s", (void *)nb,
			err ? "called from an OOM notifier" : "not a registered notifier");
		return err ? err : -ENOENT;
	}
	free(cb);
	return 0;
}

/* The chain in priority order; each notifier runs as a reclaimer, so its allocations cannot recurse. */
static unsigned long call_notifiers(struct bz_reclaim *r, const struct bz_oom_control *oc)
{
	unsigned long freed = 0;
	struct bz_reclaim_ctx c;

	bz__reclaim_enter(&c, r->sys);
	for (struct bz_cb *cb = bz__cblist_next(&r->oom, NULL); cb; cb = bz__cblist_next(&r->oom, cb)) {
		struct bz_oom_notifier *nb = cb->obj;
		const struct bz_cblist *old = bz__cblist_enter(&r->oom);

		freed += nb->notifier_call(nb, oc);
		bz__cblist_enter(old);
	}
	bz__reclaim_exit(&c);
	if (c.rs.reclaimed)
		bz__drain_own_cache(r->sys);
	return freed;
}

/*
 * __alloc_pages_may_oom() + out_of_memory()'s notifier chain.  The kernel
 * does not go OOM for costly orders, __GFP_RETRY_MAYFAIL, __GFP_THISNODE,
 * requests limited to the lowmem zones, or requests that may not block; nor
 * do we.  One thread runs the chain at a time (oom_lock); a thread that
 * finds it taken waits a moment and reports progress, as the kernel does,
 * since the other's notifiers are freeing memory.  Returns true when the
 * request should be retried.
 */
bool bz__out_of_memory(struct bz_system *sys, bz_gfp_t gfp, unsigned order, int highest_zoneidx, int nid)
{
	struct bz_oom_control oc = { .gfp_mask = gfp, .order = order, .nid = nid };
	struct bz_reclaim *r = bz__reclaim(sys, false);
	unsigned long freed;

	if (!r || order > PAGE_ALLOC_COSTLY_ORDER || (gfp & (BZ_GFP_RETRY_MAYFAIL | BZ_GFP_THISNODE)) ||
	    highest_zoneidx < BZ_ZONE_NORMAL || !(gfp & BZ_GFP_DIRECT_RECLAIM))
		return false;
	if (pthread_mutex_trylock(&r->oom_lock)) {
		struct timespec ts = { 0, 1000000 };    /* schedule_timeout_uninterruptible(1) */

		nanosleep(&ts, NULL);
		return true;
	}
	freed = call_notifiers(r, &oc);
	pthread_mutex_unlock(&r->oom_lock);
	return freed > 0;
}
