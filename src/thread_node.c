/* SPDX-License-Identifier: MIT */
/*
 * thread_node.c - where a thread stands in a system's NUMA topology: the
 * public calls that place the calling thread on a node (numa_node_id() as
 * the allocator sees it) and read it back.  An emulated topology has no
 * CPUs of its own to run a thread on, so tests and benchmarks place
 * threads on every node this way; on a real machine the caller binds the
 * thread to the node's CPUs as well.  task.c keeps the setting in the
 * thread's record.
 */
#include "entry.h"

BZ_API int bz_thread_set_node(bz_system *sys_in, int nid)
{
	struct bz_system *sys = bz__resolve(sys_in);

	if (!sys)
		return -EINVAL;
	if (nid < -1 || nid >= sys->nr_nodes) {
		bz__log(sys, BZ_LOG_ERR, "bz_thread_set_node: node %d does not exist (nodes 0..%d, or -1)", nid,
			sys->nr_nodes - 1);
		return -EINVAL;
	}
	return bz__task_set_node(sys, nid);
}

BZ_API int bz_thread_node(bz_system *sys_in)
{
	struct bz_system *sys = bz__resolve(sys_in);

	return sys ? bz__task_node(sys) : -EINVAL;
}
