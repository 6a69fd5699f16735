/* SPDX-License-Identifier: MIT */
/*
 * bench_allocators.c - finding the allocators the benchmarks compare.  The
 * peers are Debian's shared libraries (libjemalloc2, libtcmalloc-minimal4,
 * libmimalloc2.0) opened with dlopen(RTLD_LOCAL): their malloc and free do
 * not interpose the process's, so glibc stays the malloc of the harness and
 * of libbuddyzone, and each peer serves only the calls made through the
 * symbols taken from its handle.  A peer that does not load is skipped with
 * a note, not an error.
 *
 * jemalloc is built with initial-exec TLS (DF_STATIC_TLS), which dlopen()
 * can place only in glibc's small surplus of static TLS.  The surplus is a
 * tunable read at process start (glibc.rtld.optional_static_tls), so when
 * jemalloc fails for that reason the program runs itself again, once, with
 * the tunable raised.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_allocators.h"

bz_system *bench_sys;
void *(*bench_je_mallocx)(size_t size, int flags);
void (*bench_je_dallocx)(void *ptr, int flags);
void *(*bench_tc_memalign)(size_t align, size_t size);
void (*bench_tc_free)(void *ptr);
void *(*bench_mi_malloc_aligned)(size_t size, size_t align);
void *(*bench_mi_zalloc_aligned)(size_t size, size_t align);
void (*bench_mi_free)(void *ptr);

#define STATIC_TLS_TUNABLE "glibc.rtld.optional_static_tls=16384"
#define REEXEC_GUARD "BZBENCH_REEXECUTED"

struct peer {
	enum bz_bench_allocator id;
	const char *soname;
	const char *symbols[3];
	void **slots[3];
};

static const struct peer peers[] = {
	{ BZB_JEMALLOC, "libjemalloc.so.2", { "mallocx", "dallocx" },
	  { (void **)&bench_je_mallocx, (void **)&bench_je_dallocx } },
	{ BZB_TCMALLOC, "libtcmalloc_minimal.so.4", { "tc_memalign", "tc_free" },
	  { (void **)&bench_tc_memalign, (void **)&bench_tc_free } },
	{ BZB_MIMALLOC, "libmimalloc.so.2", { "mi_malloc_aligned", "mi_zalloc_aligned", "mi_free" },
	  { (void **)&bench_mi_malloc_aligned, (void **)&bench_mi_zalloc_aligned, (void **)&bench_mi_free } },
};

static const char *const names[BZB_NR_ALLOCATORS] = {
	[BZB_LIBBUDDYZONE] = "libbuddyzone", [BZB_GLIBC] = "glibc", [BZB_JEMALLOC] = "jemalloc",
	[BZB_TCMALLOC] = "tcmalloc", [BZB_MIMALLOC] = "mimalloc", [BZB_MMAP] = "mmap",
};

static char missing[BZB_NR_ALLOCATORS][256];

const char *bz_bench_allocator_name(enum bz_bench_allocator a)
{
	return a < BZB_NR_ALLOCATORS ? names[a] : "floor";
}

const char *bz_bench_allocator_missing(enum bz_bench_allocator a)
{
	if (a == BZB_LIBBUDDYZONE && !bench_sys)
		return "no benchmark system";
	return a < BZB_NR_ALLOCATORS && missing[a][0] ? missing[a] : NULL;
}

/* Runs this program again with the static TLS surplus raised; returns only if it cannot. */
static void reexec_with_static_tls(char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char *tunables;

	if (getenv(REEXEC_GUARD) || (old && strstr(old, "optional_static_tls")))
		return;
	if (asprintf(&tunables, "%s%s%s", old ? old : "", old ? ":" : "", STATIC_TLS_TUNABLE) < 0)
		return;
	setenv("GLIBC_TUNABLES", tunables, 1);
	setenv(REEXEC_GUARD, "1", 1);
	free(tunables);
	fflush(NULL);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "bzbench: re-executing for static TLS failed: %m\n");
}

static void load_peer(const struct peer *p, char **argv)
{
	void *h = dlopen(p->soname, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *err = dlerror();

		if (argv && strstr(err, "static TLS"))
			reexec_with_static_tls(argv);
		snprintf(missing[p->id], sizeof(missing[p->id]), "%s", err);
		return;
	}
	for (int i = 0; i < 3 && p->symbols[i]; i++) {
		void *sym = dlsym(h, p->symbols[i]);

		if (!sym) {
			snprintf(missing[p->id], sizeof(missing[p->id]), "%s has no %s", p->soname,
				 p->symbols[i]);
			return;
		}
		*p->slots[i] = sym;
	}
}

void bz_bench_allocators_load(char **argv)
{
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		load_peer(&peers[i], argv);
		if (missing[peers[i].id][0])
			fprintf(stderr, "bzbench: %s skipped: %s\n", names[peers[i].id], missing[peers[i].id]);
	}
}

void bz_bench_allocators_set_system(bz_system *sys)
{
	bench_sys = sys;
}

/* The floor's two calls: out of line, so the loop around them is the one the allocators get. */
__attribute__((noinline)) void *bench_floor_alloc(unsigned order)
{
	static char block;

	__asm__ volatile("" ::: "memory");
	(void)order;
	return &block;
}

__attribute__((noinline)) int bench_floor_free(void *block, unsigned order)
{
	__asm__ volatile("" : : "r"(block), "r"(order) : "memory");
	return 0;
}
