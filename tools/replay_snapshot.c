/* SPDX-License-Identifier: MIT */
/*
 * replay_snapshot.c - a machine's allocator state at one moment, as
 * bzrecord.sh saves it: root/proc/zoneinfo (geometry), buddyinfo,
 * pagetypeinfo and vmstat (the pgalloc and pgfree counters).
 */
#include <errno.h>
#include <string.h>

#include "replay.h"

static int parse_file(const char *root, const char *path,
		      int (*parse)(FILE *, struct proc_machine *, char *, size_t), struct proc_machine *m)
{
	FILE *f = proc_open(root, path);
	char err[256];
	int ret;

	if (!f) {
		fprintf(stderr, "bzreplay: %s%s: %s\n", root, path, strerror(errno));
		return -1;
	}
	ret = parse(f, m, err, sizeof(err));
	fclose(f);
	if (ret)
		fprintf(stderr, "bzreplay: %s%s: %s\n", root, path, err);
	return ret;
}

/* vmstat: the pgalloc_<zone> counters summed, and pgfree. */
static void read_vmstat(const char *root, struct snapshot *s)
{
	static const char *const pgalloc[] = { "pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable",
					       "pgalloc_device" };
	FILE *f;

	s->pgalloc = s->pgfree = -1;
	for (size_t i = 0; i < sizeof(pgalloc) / sizeof(pgalloc[0]); i++) {
		long v;

		f = proc_open(root, "/proc/vmstat");
		if (!f)
			return;
		v = proc_vmstat_value(f, pgalloc[i]);
		fclose(f);
		if (v >= 0)
			s->pgalloc = (s->pgalloc < 0 ? 0 : s->pgalloc) + v;
	}
	f = proc_open(root, "/proc/vmstat");
	if (f) {
		s->pgfree = proc_vmstat_value(f, "pgfree");
		fclose(f);
	}
}

int snapshot_read(const char *root, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->root = root;
	if (parse_file(root, "/proc/zoneinfo", proc_parse_zoneinfo, &s->m) ||
	    parse_file(root, "/proc/buddyinfo", proc_parse_buddyinfo, &s->m) ||
	    parse_file(root, "/proc/pagetypeinfo", proc_parse_pagetypeinfo, &s->m))
		return -1;
	read_vmstat(root, s);
	return 0;
}

bool snapshot_zone_of(const struct snapshot *s, uint64_t pfn, int *nid, int *zid)
{
	for (int n = 0; n < s->m.nr_nodes; n++)
		for (int z = 0; z < BZ_MAX_NR_ZONES; z++) {
			const struct proc_zone *pz = &s->m.zone[n][z];

			if (pz->spanned && pfn >= pz->start_pfn && pfn < pz->start_pfn + pz->spanned) {
				*nid = n;
				*zid = z;
				return true;
			}
		}
	return false;
}

/*
 * The model's zones for a replay from this snapshot: each holds the
 * zone's managed pages and nothing else (its reserved pages and holes are
 * no memory to lay out).  zoneinfo does not say where in the span they
 * lie: at its start (x86-64's DMA32, memory hot-added at a zone's end),
 * unless the end of the span holds more of the pfns the trace names, or
 * only there the snapshot's max-order free blocks fit (x86-64's DMA, whose
 * first MiB is the BIOS's).
 */
static unsigned long touched_in(const struct trace *t, uint64_t lo, uint64_t hi)
{
	unsigned long n = 0;

	for (size_t i = 0; i < t->nr; i++)
		n += t->ev[i].key >= lo && t->ev[i].key < hi;
	return n;
}

static bool max_blocks_fit(const struct proc_zone *z, int nr_mt, uint64_t lo, uint64_t hi)
{
	unsigned long want = 0, room = 0;

	for (int k = 0; k < nr_mt; k++)
		want += z->free_mt[k][BZ_MAX_ORDER];
	for (uint64_t p = (lo + 1023) & ~1023ull; p + 1024 <= hi; p += 1024)
		room++;
	return room >= want;
}

int snapshot_zones_spec(const struct snapshot *s, const struct trace *t, char *spec, size_t size)
{
	size_t len = 0;

	spec[0] = '\0';
	for (int nid = 0; nid < s->m.nr_nodes; nid++)
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++) {
			const struct proc_zone *z = &s->m.zone[nid][zid];
			uint64_t head = z->start_pfn, tail = z->start_pfn + z->spanned - z->managed, a = head, end;
			int n;

			if (!z->managed)
				continue;
			if (tail != head && (touched_in(t, tail, tail + z->managed) > touched_in(t, head, head + z->managed) ||
					     (!max_blocks_fit(z, s->m.nr_mt, head, head + z->managed) &&
					      max_blocks_fit(z, s->m.nr_mt, tail, tail + z->managed))))
				a = tail;
			end = z->start_pfn + z->spanned;
			n = snprintf(spec + len, size - len, "%s%d:%s=%lu/%lu/%lu@%lu", len ? "," : "", nid,
				     proc_zone_names[zid], z->managed, z->managed, (unsigned long)(end - a),
				     (unsigned long)a);
			if (n < 0 || (size_t)n >= size - len)
				return -1;
			len += (size_t)n;
		}
	return proc_cpus_spec(s->root, &s->m, spec, size);
}
