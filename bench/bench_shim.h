/* SPDX-License-Identifier: MIT */
/*
 * bench_shim.h - the C benchmark bodies, callable from the C++ harness.
 *
 * Each body runs an operation a given number of times and returns how many
 * of them failed, so the harness can time whole batches and still notice a
 * broken run.  Systems are built outside the timed loops.
 */
#ifndef BZ_BENCH_SHIM_H
#define BZ_BENCH_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <buddyzone/buddyzone.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The layout every benchmark runs on: one node, 1 GiB of ZONE_NORMAL. */
#define BZ_BENCH_ZONES "0:Normal=262144"

/* Builds the benchmark system; NULL (with a message on stderr) on failure. */
bz_system *bz_bench_system_create(void);
void bz_bench_system_destroy(bz_system *sys);
/* A vm event of the system's JSON report ("name":value); 0 if it is not there. */
unsigned long bz_bench_json_event(bz_system *sys, const char *name);

/*
 * The benchmark system with debug options (BZ_DEBUG_*) and a fault-injection
 * spec (NULL: none) in its config; NULL, with a message, on failure.
 */
bz_system *bz_bench_debug_system_create(unsigned debug, const char *fail_spec);

/* iters times: allocate a block of 2^order pages with GFP_KERNEL and free it. */
size_t bz_bench_alloc_free(bz_system *sys, unsigned order, size_t iters);

/*
 * The NUMA benchmarks' system: this machine's topology when it has two or
 * more NUMA nodes (remote memory is then really remote), else an emulated
 * two-node one whose nodes are both backed by the one real node (then only
 * the software path differs).  Pins the calling thread to its CPU and
 * finds its node (*local) and another (*remote); *emulated says which.
 * NULL (with a message on stderr) on failure.
 */
bz_system *bz_bench_numa_system_create(int *local, int *remote, int *emulated);

/*
 * iters times, with a ring of BZ_BENCH_NUMA_RING blocks outstanding across
 * calls: free the oldest block, allocate a new one of 2^order pages on node
 * nid (bz_alloc_pages_node), write the first cache line of each of its
 * pages.  Returns the number of failed operations.
 */
#define BZ_BENCH_NUMA_RING 1024
size_t bz_bench_node_alloc_touch(bz_system *sys, int nid, unsigned order, size_t iters);
/* Frees the blocks still in the ring (all of that order); the failures. */
size_t bz_bench_node_ring_release(unsigned order);

/*
 * blocks of 2^order pages allocated, then all freed: with blocks << order
 * well above the cache's high mark, most pages go through the buddy lists
 * in batches (rmqueue_bulk, free_pcppages_bulk).  slots holds blocks.
 */
size_t bz_bench_buddy_batch(bz_system *sys, unsigned order, bz_page **slots, size_t blocks);

/* ---- side by side: libbuddyzone and its peers (bench_allocators.c, bench_scenarios.c) */

enum bz_bench_allocator {
	BZB_LIBBUDDYZONE,       /* bz_alloc_pages/bz_free_pages on the benchmark system */
	BZB_GLIBC,              /* aligned_alloc/free */
	BZB_JEMALLOC,           /* libjemalloc.so.2: mallocx/dallocx */
	BZB_TCMALLOC,           /* libtcmalloc_minimal.so.4: tc_memalign/tc_free */
	BZB_MIMALLOC,           /* libmimalloc.so.2: mi_malloc_aligned/mi_free */
	BZB_MMAP,               /* mmap/munmap of private anonymous memory */
	BZB_NR_ALLOCATORS,
	BZB_FLOOR = BZB_NR_ALLOCATORS /* bz_bench_pairs only: two calls that do nothing */
};

/*
 * Opens the peers (dlopen, RTLD_LOCAL: the process's malloc stays glibc's)
 * and notes on stderr each one skipped.  May run the program again (execv
 * of argv) once, to give jemalloc's static TLS room: call it first in main.
 */
void bz_bench_allocators_load(char **argv);
/* The system libbuddyzone's scenarios run on. */
void bz_bench_allocators_set_system(bz_system *sys);
const char *bz_bench_allocator_name(enum bz_bench_allocator a);
/* NULL when the allocator can run, else why not. */
const char *bz_bench_allocator_missing(enum bz_bench_allocator a);

/*
 * The scenarios.  Peers get blocks of 4096 << order bytes aligned to their
 * size, as libbuddyzone's order-N blocks are.  Each returns how many
 * operations failed (all of them for an allocator that is missing).
 */
/* iters times: a block of 2^order pages allocated and freed. */
size_t bz_bench_pairs(enum bz_bench_allocator a, unsigned order, size_t iters);
/* iters times: a zero-filled page allocated, one byte written, freed. */
size_t bz_bench_zeroed(enum bz_bench_allocator a, size_t iters);
/* n pages allocated, then freed in the same order; slots holds n. */
size_t bz_bench_burst(enum bz_bench_allocator a, void **slots, size_t n);

/*
 * A live set of about bytes in blocks of random orders 0..3 (xorshift64*
 * from seed: the same sequence for every allocator); NULL on failure.
 * replace: iters times, a random block freed and one of a random order
 * allocated in its place.  destroy frees everything; returns the failures.
 */
struct bz_bench_live;
struct bz_bench_live *bz_bench_live_create(enum bz_bench_allocator a, size_t bytes, uint64_t seed);
size_t bz_bench_live_replace(struct bz_bench_live *ls, size_t iters);
size_t bz_bench_live_destroy(struct bz_bench_live *ls);

/*
 * A consumer thread that frees, in order, the pages the caller allocates
 * and passes through a bounded ring (1024 slots): start it, produce iters
 * pages at a time, stop (waits until every page is freed; returns the
 * consumer's failures).  NULL when the thread cannot start.
 */
struct bz_bench_pc;
struct bz_bench_pc *bz_bench_pc_start(enum bz_bench_allocator a);
size_t bz_bench_pc_produce(struct bz_bench_pc *pc, size_t iters);
size_t bz_bench_pc_stop(struct bz_bench_pc *pc);

#ifdef __cplusplus
}
#endif
#endif /* BZ_BENCH_SHIM_H */
