/* SPDX-License-Identifier: MIT */
/*
 * harness.h - what a kernel module gets from the kernel around it, for the
 * kernel-style programs of this directory: module_init/module_exit,
 * __init/__exit, MODULE_* tags.  Each program is a module's source written
 * against <buddyzone/linux.h> only; harness.c is its "kernel": it builds
 * the default system, runs the module's init and exit, drains the thread
 * caches and checks that every page came back (the free-page count of
 * before, bz_check clean, no error logged).  The harness_* helpers are for
 * the checks a test adds that no kernel call answers.
 */
#ifndef BZ_KERNEL_STYLE_HARNESS_H
#define BZ_KERNEL_STYLE_HARNESS_H

#include <buddyzone/linux.h>

#define __init
#define __exit
#define MODULE_AUTHOR(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_LICENSE(x)
#define module_init(fn) int (*harness_module_init)(void) = fn
#define module_exit(fn) void (*harness_module_exit)(void) = fn

/* Pages neither allocated nor reserved: on the buddy lists or in a thread cache. */
unsigned long harness_free_pages(void);
/* Every thread cache back to the buddy lists (drain_all_pages). */
void harness_drain(void);
/* echo 1 > /proc/sys/vm/compact_memory: every zone compacted now, on this thread. */
void harness_compact_memory(void);
/* Reports a failed expectation (the program then fails); returns cond. */
bool harness_expect(bool cond, const char *what, const char *file, int line);
#define EXPECT(cond) harness_expect((cond), #cond, __FILE__, __LINE__)

#endif
