/* SPDX-License-Identifier: MIT */
/*
 * bench_allocators.h - the allocators the side-by-side benchmarks compare,
 * as one set of inline operations each (alloc, free, zeroed alloc, zeroed
 * free) for the scenario bodies of bench_scenarios.c.  Every operation is
 * exactly one call into its allocator: libbuddyzone, glibc and mmap through
 * the PLT, the peers loaded by bench_allocators.c through the function
 * pointer dlsym() returned.  Peers get blocks of the size and alignment of
 * our order-N blocks: 4096 << order bytes aligned to their size (mmap can
 * only promise page alignment).
 */
#ifndef BZ_BENCH_ALLOCATORS_H
#define BZ_BENCH_ALLOCATORS_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench_shim.h"

#define BLOCK_BYTES(order) ((size_t)4096 << (order))

/* One allocator's operations; a scenario body inlines them (always constant). */
struct bench_ops {
	void *(*alloc)(unsigned order);                 /* NULL on failure */
	int (*free)(void *block, unsigned order);       /* 0, or non-zero on failure */
	void *(*zalloc)(unsigned order);                /* a zero-filled block's address */
	int (*zfree)(void *addr, unsigned order);
};

/* Set by bz_bench_allocators_load(); NULL for a peer that did not load. */
extern bz_system *bench_sys;
extern void *(*bench_je_mallocx)(size_t size, int flags);
extern void (*bench_je_dallocx)(void *ptr, int flags);
extern void *(*bench_tc_memalign)(size_t align, size_t size);
extern void (*bench_tc_free)(void *ptr);
extern void *(*bench_mi_malloc_aligned)(size_t size, size_t align);
extern void *(*bench_mi_zalloc_aligned)(size_t size, size_t align);
extern void (*bench_mi_free)(void *ptr);

/* jemalloc's mallocx() flags (jemalloc_macros.h): lg(alignment) in the low bits, zeroing. */
#define JE_MALLOCX_ALIGN(a) ((int)__builtin_ctzl(a))
#define JE_MALLOCX_ZERO 0x40

/* ---- libbuddyzone: the public API on the benchmark system ---------------------- */

static inline void *buddyzone_alloc(unsigned order)
{
	return bz_alloc_pages(bench_sys, BZ_GFP_KERNEL, order);
}

static inline int buddyzone_free(void *block, unsigned order)
{
	return bz_free_pages(block, order);
}

/* get_zeroed_page() and free_page(): addresses, the kernel's idiom for zeroed pages. */
static inline void *buddyzone_zalloc(unsigned order)
{
	return bz_get_free_pages(bench_sys, BZ_GFP_KERNEL | BZ_GFP_ZERO, order);
}

static inline int buddyzone_zfree(void *addr, unsigned order)
{
	return bz_free_pages_addr(addr, order);
}

/* ---- glibc ---------------------------------------------------------------------- */

static inline void *glibc_alloc(unsigned order)
{
	return aligned_alloc(BLOCK_BYTES(order), BLOCK_BYTES(order));
}

static inline int glibc_free(void *block, unsigned order)
{
	(void)order;
	free(block);
	return 0;
}

/* glibc has no aligned calloc: aligned_alloc and memset. */
static inline void *glibc_zalloc(unsigned order)
{
	void *p = aligned_alloc(BLOCK_BYTES(order), BLOCK_BYTES(order));

	return p ? memset(p, 0, BLOCK_BYTES(order)) : NULL;
}

/* ---- jemalloc: mallocx/dallocx from its handle ----------------------------------- */

static inline void *jemalloc_alloc(unsigned order)
{
	return bench_je_mallocx(BLOCK_BYTES(order), JE_MALLOCX_ALIGN(BLOCK_BYTES(order)));
}

static inline int jemalloc_free(void *block, unsigned order)
{
	(void)order;
	bench_je_dallocx(block, 0);
	return 0;
}

static inline void *jemalloc_zalloc(unsigned order)
{
	return bench_je_mallocx(BLOCK_BYTES(order), JE_MALLOCX_ALIGN(BLOCK_BYTES(order)) | JE_MALLOCX_ZERO);
}

/* ---- tcmalloc (gperftools' tcmalloc_minimal): tc_memalign/tc_free ---------------- */

static inline void *tcmalloc_alloc(unsigned order)
{
	return bench_tc_memalign(BLOCK_BYTES(order), BLOCK_BYTES(order));
}

static inline int tcmalloc_free(void *block, unsigned order)
{
	(void)order;
	bench_tc_free(block);
	return 0;
}

/* tcmalloc has no aligned calloc either. */
static inline void *tcmalloc_zalloc(unsigned order)
{
	void *p = bench_tc_memalign(BLOCK_BYTES(order), BLOCK_BYTES(order));

	return p ? memset(p, 0, BLOCK_BYTES(order)) : NULL;
}

/* ---- mimalloc: mi_malloc_aligned/mi_zalloc_aligned/mi_free ------------------------- */

static inline void *mimalloc_alloc(unsigned order)
{
	return bench_mi_malloc_aligned(BLOCK_BYTES(order), BLOCK_BYTES(order));
}

static inline int mimalloc_free(void *block, unsigned order)
{
	(void)order;
	bench_mi_free(block);
	return 0;
}

static inline void *mimalloc_zalloc(unsigned order)
{
	return bench_mi_zalloc_aligned(BLOCK_BYTES(order), BLOCK_BYTES(order));
}

/* ---- mmap: a private anonymous mapping per block; the kernel zero-fills on first touch */

static inline void *mmap_alloc(unsigned order)
{
	void *p = mmap(NULL, BLOCK_BYTES(order), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline int mmap_free(void *block, unsigned order)
{
	return munmap(block, BLOCK_BYTES(order));
}

/* ---- the harness floor: two calls that do nothing -------------------------------- */

void *bench_floor_alloc(unsigned order);
int bench_floor_free(void *block, unsigned order);

#endif /* BZ_BENCH_ALLOCATORS_H */
