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
static atomic_int env_checked, env_complained;

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

/* BUDDYZONE_LOG: 1 (log to stderr), 0 (unset, empty or "0"), -EINVAL (anything else). */
static int log_env(void)
{
	const char *v = getenv("BUDDYZONE_LOG");

	if (!v || !*v || !strcmp(v, "0"))
		return 0;
	return !strcmp(v, "1") ? 1 : -EINVAL;
}

static bz_log_fn pick_log(const struct bz_system *sys, void **arg)
{
	if (sys && sys->log) {
		*arg = sys->log_arg;
		return sys->log;
	}
	if (!atomic_load_explicit(&env_checked, memory_order_acquire)) {
		int env = log_env();
		bz_log_fn expected = NULL;

		if (env == 1)
			atomic_compare_exchange_strong(&global_log, &expected, stderr_log);
		/* Asked for with a word it cannot take: said once, where the asker looks. */
		if (env < 0 && atomic_exchange(&env_complained, 1) == 0)
			fprintf(stderr, "buddyzone: BUDDYZONE_LOG=\"%s\": expected 1 (log to stderr) or 0; logging stays off\n",
				getenv("BUDDYZONE_LOG"));
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

/*
 * Every code the library returns, with what it means here.  Static strings
 * only: bz_strerror is thread-safe and async-signal-safe.
 */
static const struct {
	int err;
	const char *text;
} error_table[] = {
	{ 0, "success" },
	{ EINVAL, "invalid argument (bad order, flags, address, page state or config)" },
	{ ENOMEM, "out of memory (no zone could satisfy the request, or the OS refused)" },
	{ EUCLEAN, "allocator invariant broken (see the log)" },
	{ ERANGE, "buffer too small" },
	{ EIO, "output stream error" },
	{ EBUSY, "busy" },
	{ ENOENT, "no such entry" },
	{ EPERM, "operation not permitted" },
	{ ENOSYS, "not supported on this system" },
	{ ENOSPC, "no room (the reserve for memory hot-add is full)" },
	{ EDEADLK, "would wait for itself (called from the callback it unregisters)" },
	{ EAGAIN, "no background thread may start here (a child of a threaded process)" },
	{ EEXIST, "already exists" },
	{ ENODATA, "no data (a statistics segment shorter than its header says)" },
	{ ESRCH, "no such process (the publishing process has exited)" },
	{ ESTALE, "stale (a statistics segment left by a process that exited)" },
	{ ENOTTY, "not supported by this kernel" },
};

BZ_API const char *bz_strerror(int err)
{
	const char *text;

	if (err < 0)
		err = -err;
	for (size_t i = 0; i < BZ_ARRAY_SIZE(error_table); i++)
		if (error_table[i].err == err)
			return error_table[i].text;
	/* Codes from the OS passed through (pthread_create, mmap): glibc's static text, thread-safe. */
	text = strerrordesc_np(err);
	return text ? text : "unknown error";
}

BZ_API const char *bz_version(void)
{
	return BZ_VERSION_TEXT;
}
