/* SPDX-License-Identifier: MIT */
/*
 * fork.c - fork(): the library's one pthread_atfork() registration, made
 * when the library is loaded, calling each owner's hook in this order:
 *
 *   prepare  1. note whether the process has other threads (for the child)
 *            2. the statistics publishers' list (stats_shm.c)
 *            3. the thread caches: no owner inside its lists, the registry,
 *               every sysctl and zone lock held (tcache.c)
 *   parent   3, then 2, released
 *   child    1. a child of a threaded process may start no thread (util.c)
 *            2. each system's shrinker and OOM notifier lists, kcompactds,
 *               kswapds and page reporting worker start afresh (they did
 *               not come along)
 *            3. the thread caches: locks released, the other threads'
 *               caches back to the buddy lists (tcache.c)
 *            4. the publishers' list released
 *
 * A child forked from a multi-threaded process may only make
 * async-signal-safe calls until it execs (POSIX), and ThreadSanitizer
 * refuses new threads there: such a child starts no background thread
 * (kswapd, page reporting, statistics) and reclaims directly.  A child of
 * a single-threaded process starts them as usual.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "system.h"

static bool parent_threaded;

/* num_threads, field 20 of /proc/self/stat; -1 when unknown. */
static int process_threads(void)
{
	char buf[1024], *p;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), field = 2;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');          /* the command name may hold spaces and parentheses */
	while (p && field < 20) {
		p = strchr(p + 1, ' ');
		field++;
	}
	return p ? atoi(p + 1) : -1;
}

static void fork_prepare(void)
{
	parent_threaded = process_threads() != 1;
	bz__stats_fork_prepare();
	bz__tcache_fork_prepare();
}

static void fork_parent(void)
{
	bz__tcache_fork_parent();
	bz__stats_fork_release();
}

static void child_system(struct bz_system *sys, void *arg)
{
	(void)arg;
	bz__reclaim_fork_child(sys);
	bz__compaction_fork_child(sys);
	bz__vmscan_fork_child(sys);
	bz__page_reporting_fork_child(sys);
}

static void fork_child(void)
{
	if (parent_threaded)
		bz__forbid_threads();
	bz__for_each_system(child_system, NULL);
	bz__tcache_fork_child();
	bz__stats_fork_release();
}

static pthread_once_t registered = PTHREAD_ONCE_INIT;

static void register_handlers(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void bz__fork_init(void)
{
	pthread_once(&registered, register_handlers);
}

/*
 * At load, so that a fork before the first system still tells a child of a
 * threaded process apart.  bz_system_create() calls bz__fork_init() too,
 * which links this file into static programs.
 */
__attribute__((constructor)) static void fork_init(void)
{
	bz__fork_init();
}
