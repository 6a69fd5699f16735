/* SPDX-License-Identifier: MIT */
/*
 * replay_movable.c - with compaction on, policy mode lets the library move
 * the blocks it replays, as the kernel moves the pages of an application
 * that gave movable_operations: each block the trace allocated movable
 * (below pageblock order) is marked movable, holds its trace key in
 * page->private, and our migrate_page repoints the key's map entry to the
 * copy, so that the trace's later free of that pfn frees the block where
 * it now lies.  The library calls back from the allocating thread (direct
 * compaction) or from kcompactd's: map_lock serialises the callback with
 * the replay's own use of the map, and the replay clears a mark before it
 * frees, under that lock, as the library asks of a threaded owner.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

/* The replay whose blocks are marked: the callbacks get no context of their own. */
static struct replay *_Atomic owner;

void map_lock(struct replay *r)
{
	if (r->movable)
		pthread_mutex_lock(&r->map_lock);
}

void map_unlock(struct replay *r)
{
	if (r->movable)
		pthread_mutex_unlock(&r->map_lock);
}

static int replay_migrate_page(bz_page *dst, bz_page *src, enum bz_migrate_mode mode)
{
	struct replay *r = owner;
	struct live *l;
	int ret = -ENOENT;

	(void)mode;
	if (!r)
		return -ENOENT;
	pthread_mutex_lock(&r->map_lock);
	l = map_find(&r->map, bz_page_private(src));
	/* The replay may have freed it meanwhile (then the library frees src itself). */
	if (l && l->page == src) {
		l->page = dst;
		r->moved++;
		ret = BZ_MIGRATEPAGE_SUCCESS;
	}
	pthread_mutex_unlock(&r->map_lock);
	return ret;
}

static const struct bz_movable_operations replay_ops = {
	.migrate_page = replay_migrate_page,
};

int movable_begin(struct replay *r)
{
	struct replay *none = NULL;

	if (!atomic_compare_exchange_strong(&owner, &none, r))
		return -EBUSY;
	pthread_mutex_init(&r->map_lock, NULL);
	r->movable = true;
	return 0;
}

/* After every marked block was freed: no callback can come any more. */
void movable_end(struct replay *r)
{
	struct replay *me = r;

	if (!r->movable)
		return;
	atomic_compare_exchange_strong(&owner, &me, NULL);
	r->movable = false;
	pthread_mutex_destroy(&r->map_lock);
}

void movable_mark(struct replay *r, struct live *l, bz_gfp_t gfp)
{
	if (!r->movable || gfp_mt(gfp) != BZ_MIGRATE_MOVABLE || l->order >= BZ_PAGEBLOCK_ORDER)
		return;
	if (bz_set_page_private(l->page, (unsigned long)l->key) || bz_set_page_movable(l->page, &replay_ops))
		return;
	l->movable = true;
	r->marked_movable++;
}

bool movable_free(struct replay *r, struct live *l)
{
	bool ok;

	(void)r;
	/* The mark goes first: no migration starts on the block once it is freed. */
	if (l->movable && bz_page_movable(l->page) == 1)
		bz_clear_page_movable(l->page);
	ok = bz_free_pages(l->page, l->order) == 0;
	l->movable = false;
	return ok;
}

/* ---- the counters ---------------------------------------------------------------------------- */

int compact_counts_read(bz_system *sys, struct compact_counts *cc)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "compact_stall", offsetof(struct compact_counts, compact_stall) },
		{ "compact_success", offsetof(struct compact_counts, compact_success) },
		{ "compact_fail", offsetof(struct compact_counts, compact_fail) },
		{ "pgmigrate_success", offsetof(struct compact_counts, pgmigrate_success) },
		{ "pgmigrate_fail", offsetof(struct compact_counts, pgmigrate_fail) },
		{ "compact_daemon_wake", offsetof(struct compact_counts, compact_daemon_wake) },
	};
	char *text = NULL, *line, *save = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int ret;

	memset(cc, 0, sizeof(*cc));
	if (!f)
		return -errno;
	/* The library shows these counters only as its /proc/vmstat text. */
	ret = bz_write_vmstat(sys, f);
	if (fclose(f) && !ret)
		ret = -EIO;
	for (line = ret ? NULL : strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (!strcmp(line, fields[i].name))
				*(unsigned long *)((char *)cc + fields[i].off) = strtoul(sp + 1, NULL, 10);
	}
	free(text);
	return ret;
}
