/* SPDX-License-Identifier: MIT */
/*
 * log.c - where the library's words go: the log callbacks (process-wide and
 * per system), error strings, and the version.  The library never writes to
 * a stream by itself; BUDDYZONE_LOG=1 asks for stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmzone.h"

static _Atomic(bz_log_fn) global_log;
static void *_Atomic global_log_arg;
static atomic_int env_checked;

static void stderr_log(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	fprintf(stderr, "buddyzone: %s\n", msg);
}

BZ_API void bz_set_log_callback(bz_log_fn fn, void *arg)
{
	atomic_store(&global_log_arg, arg);
	atomic_store(&global_log, fn);
	atomic_store(&env_checked, 1);
}

static bz_log_fn pick_log(const struct bz_system *sys, void **arg)
{
	if (sys && sys->log) {
		*arg = sys->log_arg;
		return sys->log;
	}
	if (!atomic_load_explicit(&env_checked, memory_order_acquire)) {
		const char *env = getenv("BUDDYZONE_LOG");
		bz_log_fn expected = NULL;
		if (env && env[0] == '1')
			atomic_compare_exchange_strong(&global_log, &expected, stderr_log);
		atomic_store_explicit(&env_checked, 1, memory_order_release);
	}
	*arg = atomic_load(&global_log_arg);
	return atomic_load(&global_log);
}

bool bz__log_enabled(const struct bz_system *sys)
{
	void *arg;
	return pick_log(sys, &arg) != NULL;
}

void bz__vlog(const struct bz_system *sys, int level, const char *fmt, va_list ap)
{
	void *arg;
	bz_log_fn fn = pick_log(sys, &arg);
	char buf[4096];

	if (!fn)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fn(arg, level, buf);
}

void bz__log(const struct bz_system *sys, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bz__vlog(sys, level, fmt, ap);
	va_end(ap);
}

BZ_API const char *bz_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument (bad order, flags, address, page state or config)";
	case ENOMEM:
		return "out of memory (no zone could satisfy the request, or the OS refused)";
	case EUCLEAN:
		return "allocator invariant broken (see the log)";
	case ERANGE:
		return "buffer too small";
	case EIO:
		return "output stream error";
	case EBUSY:
		return "busy";
	case ENOENT:
		return "no such entry";
	case EPERM:
		return "operation not permitted";
	case ENOSYS:
		return "not supported on this system";
	default:
		return strerror(err);
	}
}

BZ_API const char *bz_version(void)
{
	return BZ_VERSION_TEXT;
}
