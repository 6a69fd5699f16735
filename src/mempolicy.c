/* SPDX-License-Identifier: MIT */
/*
 * mempolicy.c - per-thread NUMA memory policies, after mm/mempolicy.c of
 * Linux 6.x: set_mempolicy(2) and get_mempolicy(2) with the kernel's checks
 * (sanitize_mpol_flags, get_nodes, mpol_new, mpol_set_nodemask), the
 * weighted-interleave weights the kernel keeps in
 * /sys/kernel/mm/mempolicy/weighted_interleave/nodeN (one table per system
 * here), and what an allocation does with a policy (alloc_pages_mpol): the
 * preferred node and the nodemask (policy_nodemask), round-robin and
 * weighted interleave (interleave_nodes, weighted_interleave_nodes),
 * preferred-many's two passes, and the numa_interleave counter.
 *
 * A policy belongs to one thread and one system and hangs off that
 * thread's record for the system (task.h).  Only its own thread reads or
 * writes it (in the kernel, too, only a task changes its policy), so
 * nothing here takes a lock.  The default policy holds nothing: for a
 * thread that never set a policy the check on the allocation path is one
 * TLS load.  This file decides; page_alloc.c allocates (bz__mpol_plan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"

#define PAGE_BITS     (BZ_PAGE_SIZE * 8)       /* get_nodes(): at most PAGE_SIZE * BITS_PER_BYTE */
#define LONG_BITS     (8 * sizeof(unsigned long))
#define MODE_FLAGS    (BZ_MPOL_F_STATIC_NODES | BZ_MPOL_F_RELATIVE_NODES | BZ_MPOL_F_NUMA_BALANCING)

_Static_assert(BZ_MAX_NUMNODES == 64, "a nodemask is one uint64_t");

/* struct mempolicy plus the task fields interleaving uses (il_prev, il_weight). */
struct bz_mpol {
	int mode;
	unsigned flags;                 /* BZ_MPOL_F_* given with the mode */
	uint64_t nodes;                 /* pol->nodes: the nodes in effect */
	uint64_t user_nodes;            /* pol->w.user_nodemask: the mask as given (mode flags) */
	int il_prev;                    /* the node interleaving used last */
	int il_weight;                  /* pages left on il_prev (weighted interleave) */
};

/* ---- nodemasks ------------------------------------------------------------------ */

static bool node_isset(int nid, uint64_t mask)
{
	return nid >= 0 && nid < BZ_MAX_NUMNODES && (mask >> nid & 1);
}

static int first_node(uint64_t mask)
{
	return mask ? __builtin_ctzll(mask) : BZ_MAX_NUMNODES;
}

/* next_node_in(): the next node of mask after nid, wrapping; BZ_MAX_NUMNODES if empty. */
static int next_node_in(int nid, uint64_t mask)
{
	uint64_t above = nid + 1 < BZ_MAX_NUMNODES ? mask & (~0ull << (nid + 1)) : 0;

	return first_node(above ? above : mask);
}

static unsigned long zone_present(const struct bz_zone *z)
{
	return __atomic_load_n(&z->present_pages, __ATOMIC_RELAXED); /* memory_hotplug.c grows it */
}

/* node_states[N_MEMORY] (highest_zone BZ_ZONE_MOVABLE) or N_HIGH_MEMORY (BZ_ZONE_NORMAL). */
static uint64_t nodes_with_memory(const struct bz_system *sys, int highest_zone)
{
	uint64_t mask = 0;

	for (int nid = 0; nid < sys->nr_nodes; nid++)
		for (int zid = 0; zid <= highest_zone; zid++)
			if (zone_present(&sys->nodes[nid]->zones[zid]))
				mask |= 1ull << nid;
	return mask;
}

/* policy_zone: the highest zone below MOVABLE that any node has (check_highest_zone). */
static int policy_zone(const struct bz_system *sys)
{
	int highest = 0;

	for (int nid = 0; nid < sys->nr_nodes; nid++)
		for (int zid = BZ_ZONE_NORMAL; zid > highest; zid--)
			if (zone_present(&sys->nodes[nid]->zones[zid]))
				highest = zid;
	return highest;
}

/*
 * mpol_relative_nodemask(): MPOL_F_RELATIVE_NODES numbers nodes within the
 * allowed set: bit n of orig means the (n mod weight)-th allowed node
 * (nodes_fold, then nodes_onto).
 */
static uint64_t relative_nodemask(uint64_t orig, uint64_t rel)
{
	int weight = __builtin_popcountll(rel);
	uint64_t folded = 0, out = 0;

	if (!weight)
		return 0;
	for (int n = 0; n < BZ_MAX_NUMNODES; n++)
		if (orig >> n & 1)
			folded |= 1ull << (n % weight);
	for (int n = 0, i = 0; n < BZ_MAX_NUMNODES; n++) {
		if (!(rel >> n & 1))
			continue;
		if (folded >> i & 1)
			out |= 1ull << n;
		i++;
	}
	return out;
}

/* ---- the thread's policies ------------------------------------------------------------- */

bool bz__mpol_active(const struct bz_system *sys)
{
	return bz__task_mpol(sys) != NULL;
}

/* Installs pol as the thread's policy for sys: 0, or -ENOMEM (logged) past BZ_TASK_MPOL_MAX systems. */
static int mpol_install(struct bz_system *sys, const struct bz_mpol *pol)
{
	struct bz_task *t = bz__task(sys, true);

	if (!t)
		return -ENOMEM;
	if (!t->mpol) {
		if (bz__current.nr_mpol >= BZ_TASK_MPOL_MAX)
			bz__task_forget_dead();
		if (bz__current.nr_mpol >= BZ_TASK_MPOL_MAX) {
			bz__log(sys, BZ_LOG_ERR, "set_mempolicy: this thread holds policies for %d other systems already",
				BZ_TASK_MPOL_MAX);
			return -ENOMEM;
		}
		t->mpol = malloc(sizeof(*t->mpol));
		if (!t->mpol)
			return -ENOMEM;
		bz__current.nr_mpol++;
	}
	*t->mpol = *pol;
	return 0;
}

static void mpol_remove(struct bz_system *sys)
{
	struct bz_task *t = bz__task(sys, false);

	if (!t || !t->mpol)
		return;
	free(t->mpol);
	t->mpol = NULL;
	bz__current.nr_mpol--;
}

/* ---- set_mempolicy(2) ------------------------------------------------------------- */

static int BZ_PRINTF(2, 3) refuse(const struct bz_system *sys, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bz__log(sys, BZ_LOG_ERR, "set_mempolicy: %s", msg);
	return -EINVAL;
}

/* sanitize_mpol_flags(): split the mode flags off and check the pair. */
static int sanitize_mpol_flags(const struct bz_system *sys, int *mode, unsigned *flags)
{
	*flags = (unsigned)*mode & MODE_FLAGS;
	*mode &= ~MODE_FLAGS;
	if ((unsigned)*mode >= BZ_MPOL_MAX)
		return refuse(sys, "unknown mode %d", *mode);
	if ((*flags & BZ_MPOL_F_STATIC_NODES) && (*flags & BZ_MPOL_F_RELATIVE_NODES))
		return refuse(sys, "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES together");
	if ((*flags & BZ_MPOL_F_NUMA_BALANCING) && *mode != BZ_MPOL_BIND && *mode != BZ_MPOL_PREFERRED_MANY)
		return refuse(sys, "MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY");
	return 0;
}

/*
 * get_nodes(): maxnode - 1 bits of nmask (the kernel's off-by-one, which
 * every caller of set_mempolicy(2) allows for); bits a nodemask cannot
 * hold must be zero.
 */
static int get_nodes(const struct bz_system *sys, uint64_t *nodes, const unsigned long *nmask,
		     unsigned long maxnode)
{
	*nodes = 0;
	--maxnode;
	if (maxnode == 0 || !nmask)
		return 0;
	if (maxnode > PAGE_BITS)
		return refuse(sys, "maxnode %lu is above %lu", maxnode + 1, (unsigned long)PAGE_BITS + 1);
	for (unsigned long w = BZ_MAX_NUMNODES / LONG_BITS; w * LONG_BITS < maxnode; w++) {
		unsigned long t = nmask[w], bits = maxnode - w * LONG_BITS;

		if (bits < LONG_BITS)
			t &= (1ul << bits) - 1;
		if (t)
			return refuse(sys, "node %lu in the mask: nodes go up to %d",
				      w * LONG_BITS + (unsigned long)__builtin_ctzl(t), BZ_MAX_NUMNODES - 1);
	}
	*nodes = nmask[0];
	if (maxnode < LONG_BITS)
		*nodes &= (1ul << maxnode) - 1;
	return 0;
}

/*
 * mpol_new() and mpol_set_nodemask(): which masks each mode takes, and the
 * nodes in effect (those with memory; relative numbering if asked).
 */
static int mpol_new(const struct bz_system *sys, struct bz_mpol *pol, int mode, unsigned flags, uint64_t nodes)
{
	uint64_t mems = nodes_with_memory(sys, BZ_ZONE_MOVABLE);

	if (mode == BZ_MPOL_PREFERRED && !nodes) {
		if (flags & (BZ_MPOL_F_STATIC_NODES | BZ_MPOL_F_RELATIVE_NODES))
			return refuse(sys, "MPOL_PREFERRED with an empty mask takes no node flags");
		mode = BZ_MPOL_LOCAL;
	} else if (mode == BZ_MPOL_LOCAL) {
		if (nodes || (flags & (BZ_MPOL_F_STATIC_NODES | BZ_MPOL_F_RELATIVE_NODES)))
			return refuse(sys, "MPOL_LOCAL takes no nodes");
	} else if (!nodes) {
		return refuse(sys, "mode %d needs a non-empty nodemask", mode);
	}
	*pol = (struct bz_mpol){ .mode = mode, .flags = flags, .il_prev = BZ_MAX_NUMNODES - 1 };
	if (mode == BZ_MPOL_LOCAL)
		return 0;
	pol->nodes = (flags & BZ_MPOL_F_RELATIVE_NODES) ? relative_nodemask(nodes, mems) : nodes & mems;
	if (flags & MODE_FLAGS)
		pol->user_nodes = nodes;
	if (!pol->nodes)
		return refuse(sys, "no node of the mask %#llx has memory", (unsigned long long)nodes);
	if (mode == BZ_MPOL_PREFERRED)
		pol->nodes = 1ull << first_node(pol->nodes);    /* mpol_new_preferred() */
	return 0;
}

BZ_API int bz_set_mempolicy(bz_system *sys_in, int mode, const unsigned long *nodemask, unsigned long maxnode)
{
	struct bz_system *sys = bz__resolve(sys_in);
	struct bz_mpol pol;
	uint64_t nodes;
	unsigned flags;
	int err;

	if (!sys)
		return -EINVAL;
	err = sanitize_mpol_flags(sys, &mode, &flags);
	if (!err)
		err = get_nodes(sys, &nodes, nodemask, maxnode);
	if (err)
		return err;
	if (mode == BZ_MPOL_DEFAULT) {
		if (nodes)
			return refuse(sys, "MPOL_DEFAULT takes no nodes");
		mpol_remove(sys);
	} else {
		err = mpol_new(sys, &pol, mode, flags, nodes);
		if (!err)
			err = mpol_install(sys, &pol);
		if (err)
			return err;
	}
	/* The memo would serve the next request as the old policy did. */
	memo_clear(&bz__current.task);
	return 0;
}

/* ---- get_mempolicy(2) -------------------------------------------------------------- */

/* copy_nodes_to_user(): maxnode - 1 bits in whole longs, zero past the system's nodes. */
static int copy_nodes(const struct bz_system *sys, unsigned long *mask, unsigned long maxnode, uint64_t nodes)
{
	size_t copy = ((maxnode - 1 + 63) & ~63ul) / 8;
	size_t nbytes = (((size_t)sys->nr_nodes + LONG_BITS - 1) / LONG_BITS) * sizeof(long);

	if (copy > nbytes) {
		if (copy > BZ_PAGE_SIZE) {
			bz__log(sys, BZ_LOG_ERR, "get_mempolicy: maxnode %lu asks for more than %lu bytes",
				maxnode, BZ_PAGE_SIZE);
			return -EINVAL;
		}
		memset((char *)mask + nbytes, 0, copy - nbytes);
		copy = nbytes;
	}
	memcpy(mask, &nodes, copy);
	return 0;
}

BZ_API int bz_get_mempolicy(bz_system *sys_in, int *mode, unsigned long *nodemask, unsigned long maxnode)
{
	struct bz_system *sys = bz__resolve(sys_in);
	const struct bz_mpol *pol;
	uint64_t nodes = 0;

	if (!sys)
		return -EINVAL;
	if (nodemask && maxnode < (unsigned long)sys->nr_nodes) {
		bz__log(sys, BZ_LOG_ERR, "get_mempolicy: maxnode %lu is below the %d nodes", maxnode, sys->nr_nodes);
		return -EINVAL;
	}
	pol = bz__task_mpol(sys);
	if (mode)
		*mode = pol ? pol->mode | (int)pol->flags : BZ_MPOL_DEFAULT;
	if (!nodemask)
		return 0;
	if (pol)
		nodes = (pol->flags & MODE_FLAGS) ? pol->user_nodes : pol->nodes;
	return copy_nodes(sys, nodemask, maxnode, nodes);
}

/* ---- weighted interleave's weights ------------------------------------------------- */

BZ_API int bz_set_interleave_weights(bz_system *sys_in, const unsigned char *weights, int nr_nodes)
{
	struct bz_system *sys = bz__resolve(sys_in);

	if (!sys)
		return -EINVAL;
	if (!weights || nr_nodes < 1 || nr_nodes > sys->nr_nodes) {
		bz__log(sys, BZ_LOG_ERR, "interleave weights: %s (the system has %d nodes)",
			weights ? "node count out of range" : "NULL weights", sys->nr_nodes);
		return -EINVAL;
	}
	for (int nid = 0; nid < nr_nodes; nid++)
		atomic_store_explicit(&sys->iw_table[nid], weights[nid], memory_order_relaxed);
	return 0;
}

/* get_il_weight(): 0 in the table means the system default, 1. */
static unsigned get_il_weight(const struct bz_system *sys, int nid)
{
	unsigned w = atomic_load_explicit(&sys->iw_table[nid], memory_order_relaxed);

	return w ? w : 1;
}

/* ---- allocation under a policy ---------------------------------------------------------- */

/* interleave_nodes(): the mask's nodes in turn. */
static int interleave_nodes(struct bz_mpol *pol)
{
	int nid = next_node_in(pol->il_prev, pol->nodes);

	if (nid < BZ_MAX_NUMNODES)
		pol->il_prev = nid;
	return nid;
}

/* weighted_interleave_nodes(): stay on a node for its weight in pages, then move on. */
static int weighted_interleave_nodes(const struct bz_system *sys, struct bz_mpol *pol)
{
	int nid = pol->il_prev;

	if (!pol->il_weight || !node_isset(nid, pol->nodes)) {
		nid = next_node_in(nid, pol->nodes);
		pol->il_prev = nid;
		pol->il_weight = (int)get_il_weight(sys, nid);
	}
	pol->il_weight--;
	return nid;
}

/*
 * apply_policy_zone(): bind restricts only requests that may use the
 * highest zone below MOVABLE; a mask of movable-only nodes only
 * MOVABLE requests.  GFP_DMA32 callers need their zone more than the mask.
 */
static bool apply_policy_zone(const struct bz_system *sys, const struct bz_mpol *pol, int zone)
{
	int dynamic_policy_zone = policy_zone(sys);

	if (!(pol->nodes & nodes_with_memory(sys, BZ_ZONE_NORMAL)))
		dynamic_policy_zone = BZ_ZONE_MOVABLE;
	return zone >= dynamic_policy_zone;
}

/*
 * alloc_pages_mpol()'s decision: the node and nodemask of the policy
 * (policy_nodemask), interleaving's next node, or preferred-many's two
 * passes (alloc_pages_preferred_many: its nodes without waiting and
 * without a failure report, then every node with the caller's flags).
 */
void bz__mpol_plan(struct bz_system *sys, bz_gfp_t gfp, struct bz_mpol_plan *plan)
{
	struct bz_mpol *pol = bz__task_mpol(sys);

	*plan = (struct bz_mpol_plan){ .nid = bz__task_node(sys), .nodemask = BZ_NODEMASK_ALL };
	if (!pol)
		return;
	switch (pol->mode) {
	case BZ_MPOL_PREFERRED:
		plan->nid = first_node(pol->nodes);
		break;
	case BZ_MPOL_PREFERRED_MANY:
		plan->first_pass = pol->nodes;
		break;
	case BZ_MPOL_BIND:
		if (apply_policy_zone(sys, pol, bz__gfp_zone(gfp)))
			plan->nodemask = pol->nodes;
		break;
	case BZ_MPOL_INTERLEAVE:
		plan->nid = interleave_nodes(pol);
		plan->interleaved = true;
		break;
	case BZ_MPOL_WEIGHTED_INTERLEAVE:
		plan->nid = weighted_interleave_nodes(sys, pol);
		plan->interleaved = true;
		break;
	default:        /* BZ_MPOL_LOCAL */
		break;
	}
}
