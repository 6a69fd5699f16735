/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the live systems of the process.  The registry is how an
 * address or a struct page found without its system (bz_free_pages(page),
 * bz_virt_to_page(addr)) is traced back to it, and how a page of a
 * destroyed system is recognised as no longer ours.  It also keeps the
 * shortcut generation (model.h): per-thread shortcuts made before a system
 * went away, or before anything else they skip changed, are not used.
 */
#include "model.h"

#define BZ_MAX_SYSTEMS 256

static _Atomic(struct bz_system *) registry[BZ_MAX_SYSTEMS];
static atomic_int registry_used; /* slots ever used: lookups scan [0, used) */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

_Atomic uint64_t bz__tls_gen = 1;

int bz__registry_add(struct bz_system *sys)
{
	int ret = -ENOMEM;

	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < BZ_MAX_SYSTEMS; i++) {
		if (atomic_load(&registry[i]))
			continue;
		sys->slot = i;
		atomic_store_explicit(&registry[i], sys, memory_order_release);
		if (i + 1 > atomic_load(&registry_used))
			atomic_store(&registry_used, i + 1);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&registry_lock);
	if (ret)
		bz__log(sys, BZ_LOG_ERR, "cannot create more than %d systems at once", BZ_MAX_SYSTEMS);
	return ret;
}

void bz__registry_del(struct bz_system *sys)
{
	pthread_mutex_lock(&registry_lock);
	atomic_store_explicit(&registry[sys->slot], NULL, memory_order_release);
	pthread_mutex_unlock(&registry_lock);
	/* Its pages are no longer ours: shortcuts that assume it lives must look again. */
	bz__invalidate_shortcuts();
}

void bz__registry_lock(void)
{
	pthread_mutex_lock(&registry_lock);
}

void bz__registry_unlock(void)
{
	pthread_mutex_unlock(&registry_lock);
}

void bz__for_each_system(void (*fn)(struct bz_system *sys, void *arg), void *arg)
{
	for (int i = 0; i < atomic_load(&registry_used); i++) {
		struct bz_system *sys = atomic_load(&registry[i]);

		if (sys)
			fn(sys, arg);
	}
}

bool bz__system_alive(const struct bz_system *sys, uint64_t id)
{
	for (int i = 0; i < atomic_load(&registry_used); i++) {
		struct bz_system *s = atomic_load(&registry[i]);

		if (s && s == sys)
			return s->id == id;
	}
	return false;
}

/* Addresses compared as integers: page may point anywhere, or into no object at all. */
struct bz_system *bz__system_of_page(const bz_page *page)
{
	int used = atomic_load_explicit(&registry_used, memory_order_acquire);
	uintptr_t p = (uintptr_t)page;

	for (int i = 0; i < used; i++) {
		struct bz_system *sys = atomic_load_explicit(&registry[i], memory_order_acquire);

		if (sys && p - (uintptr_t)sys->mem_map < sys->nr_pfns * sizeof(struct bz_page))
			return sys;
	}
	return NULL;
}

struct bz_system *bz__system_of_addr(const void *addr)
{
	int used = atomic_load_explicit(&registry_used, memory_order_acquire);
	uintptr_t a = (uintptr_t)addr;

	for (int i = 0; i < used; i++) {
		struct bz_system *sys = atomic_load_explicit(&registry[i], memory_order_acquire);

		if (sys && a - (uintptr_t)sys->base < sys->reserve_bytes)
			return sys;
	}
	return NULL;
}
