/* SPDX-License-Identifier: MIT */
/*
 * mm_init.c - building a system's memory map, like the kernel's
 * free_area_init and memmap_init: the layout of nodes and zones in the
 * page-frame space (x86-64 style: DMA below 16 MiB, DMA32 below 4 GiB,
 * NORMAL above, MOVABLE at the top of a node), the address-space
 * reservation, mem_map and pageblock flags.  Everything is reserved, not
 * touched: struct pages are initialised lazily as blocks are first used
 * (the kernel's deferred struct page init is the precedent).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define DMA_END_PFN      (16ul << (20 - BZ_PAGE_SHIFT))  /* 16 MiB */
#define DMA32_END_PFN    (4ul << (30 - BZ_PAGE_SHIFT))   /* 4 GiB */
#define NODE_ALIGN_PAGES (1ul << (30 - BZ_PAGE_SHIFT))   /* nodes start on 1 GiB */

/* ---- the --zones SPEC --------------------------------------------------- */

/* "/N" or "@N" after the managed pages: a page count (no size suffix for a pfn). */
static int parse_zone_extra(const char **p, char sep, unsigned long *out, bool pfn)
{
	const char *s = *p;
	char *e;

	if (*s != sep)
		return 0;
	s++;
	if (pfn) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		errno = 0;
		*out = strtoul(s, &e, 0);
		if (errno || *out >= BZ_MAX_PFNS)
			return -EINVAL;
		*p = e;
		return 0;
	}
	return bz__parse_pages(s, p, out);
}

/*
 * One zone's "MANAGED[/PRESENT[/SPANNED]][@START_PFN]": /proc/zoneinfo's
 * managed, present, spanned and start_pfn.  Left out: present and spanned
 * are the managed count, and the zone is placed as mm_init.c places it.
 */
static int parse_zone_geometry(const char **p, struct bz__zone_spec *z)
{
	if (bz__parse_pages(*p, p, &z->managed) || !z->managed)
		return -EINVAL;
	z->present = z->spanned = z->managed;
	z->start_pfn = BZ__PFN_AUTO;
	if (parse_zone_extra(p, '/', &z->present, false))
		return -EINVAL;
	z->spanned = z->present;
	if (parse_zone_extra(p, '/', &z->spanned, false) || parse_zone_extra(p, '@', &z->start_pfn, true))
		return -EINVAL;
	return z->present < z->managed || z->spanned < z->present ? -EINVAL : 0;
}

/* "NID:cpus=N": the node's CPU count (0..4096). */
static int parse_node_cpus(const char **p, int *cpus)
{
	char *e;
	long n;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	n = strtol(*p, &e, 10);
	if (n > 4096 || *cpus >= 0)
		return -EINVAL;
	*cpus = (int)n;
	*p = e;
	return 0;
}

/* One "NID:ZONE=..." or "NID:cpus=N" item. */
static int parse_item(const char **pp, struct bz__layout *layout, int *nr_nodes)
{
	const char *p = *pp;
	char *e, name[16];
	size_t len;
	long nid;
	int zid, ret;

	nid = strtol(p, &e, 10);
	if (e == p || *e != ':' || nid < 0 || nid >= BZ_MAX_NUMNODES)
		return -EINVAL;
	p = e + 1;
	len = strcspn(p, "=");
	if (!p[len] || len == 0 || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, p, len);
	name[len] = '\0';
	p += len + 1;
	if (!strcmp(name, "cpus")) {
		ret = parse_node_cpus(&p, &layout->cpus[nid]);
	} else {
		zid = bz__zone_index_by_name(name);
		if (zid < 0 || zid == BZ_ZONE_DEVICE || layout->zone[nid][zid].managed)
			return -EINVAL;
		ret = parse_zone_geometry(&p, &layout->zone[nid][zid]);
	}
	if (ret || (*p && *p != ',' && !isspace((unsigned char)*p)))
		return -EINVAL;
	if (nid + 1 > *nr_nodes)
		*nr_nodes = (int)nid + 1;
	*pp = p;
	return 0;
}

int bz__zones_parse(const struct bz_system *sys, const char *spec, struct bz__layout *layout)
{
	const char *p = spec;
	int nr_nodes = 0;

	memset(layout, 0, sizeof(*layout));
	for (int nid = 0; nid < BZ_MAX_NUMNODES; nid++)
		layout->cpus[nid] = -1;
	while (*p) {
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		if (parse_item(&p, layout, &nr_nodes))
			goto bad;
	}
	if (nr_nodes == 0)
		goto bad;
	return nr_nodes;
bad:
	bz__log(sys, BZ_LOG_ERR,
		"zones: cannot parse \"%s\" near \"%.24s\": expected NID:ZONE=PAGES[/PRESENT[/SPANNED]][@START_PFN]"
		"[,...] with ZONE one of DMA, DMA32, Normal, Movable, each node/zone once, 0 < PAGES <= PRESENT "
		"<= SPANNED (e.g. \"0:DMA=3840,0:DMA32=772917,0:Normal=163840\"), or NID:cpus=N", spec, p);
	return -EINVAL;
}

/* The machine's layout: each node its real memory, cut at x86-64's boundaries. */
static int default_layout(const struct bz_topology *topo, struct bz__layout *layout)
{
	unsigned long pfn = 0;

	memset(layout, 0, sizeof(*layout));
	for (int nid = 0; nid < BZ_MAX_NUMNODES; nid++)
		layout->cpus[nid] = -1;
	for (int nid = 0; nid < topo->nr_nodes; nid++) {
		unsigned long left = topo->mem_bytes[nid] >> BZ_PAGE_SHIFT;

		for (int zid = BZ_ZONE_DMA; zid <= BZ_ZONE_NORMAL && left; zid++) {
			struct bz__zone_spec *z = &layout->zone[nid][zid];
			unsigned long end = zid == BZ_ZONE_DMA ? DMA_END_PFN :
					    zid == BZ_ZONE_DMA32 ? DMA32_END_PFN : ~0ul;
			unsigned long n = pfn < end ? BZ_MIN(left, end - pfn) : 0;

			z->managed = z->present = z->spanned = n;
			z->start_pfn = BZ__PFN_AUTO;
			pfn += n;
			left -= n;
		}
		pfn = (pfn + NODE_ALIGN_PAGES - 1) & ~(NODE_ALIGN_PAGES - 1);
	}
	return topo->nr_nodes;
}

/* ---- placing zones in the page-frame space ---------------------------------- */

static unsigned long align_up(unsigned long v, unsigned long a)
{
	return (v + a - 1) & ~(a - 1);
}

/* x86-64's zone floors and ceilings in pfns: DMA below 16 MiB, DMA32 below 4 GiB. */
static const unsigned long zone_floor[] = { 0, DMA_END_PFN, DMA32_END_PFN, DMA32_END_PFN };
static const unsigned long zone_ceil[] = { DMA_END_PFN, DMA32_END_PFN, ~0ul, ~0ul };

/* Where the next zone may go: aligned for placed zones, the last end for given starts. */
struct place_cursor {
	unsigned long next;             /* a placed zone starts here or later (4 MiB aligned) */
	unsigned long end;              /* a zone with a given start_pfn starts here or later */
};

/*
 * A zone's start: the given start_pfn, else no lower than its x86-64 floor
 * (DMA at 0, DMA32 at 16 MiB, NORMAL at 4 GiB) and on a max-order
 * boundary.  It must end below its ceiling.  ~0ul when it cannot go there.
 */
static unsigned long zone_start(const struct bz__zone_spec *spec, int zid, const struct place_cursor *c)
{
	unsigned long start = spec->start_pfn;

	if (start == BZ__PFN_AUTO)
		start = align_up(BZ_MAX(c->next, zone_floor[zid]), MAX_ORDER_NR_PAGES);
	else if (start < c->end || start < zone_floor[zid])
		return ~0ul;
	if (start + spec->spanned > zone_ceil[zid] || start + spec->spanned > BZ_MAX_PFNS)
		return ~0ul;
	return start;
}

/*
 * Places node nid's zones in zone order after the previous ones.  Holes
 * between zones belong to no zone, as on real machines.  A zone's first
 * `managed` pages are its memory; the rest of its span (reserved pages and
 * holes, as /proc/zoneinfo's present and spanned tell) is never touched.
 */
static int place_node(struct bz_system *sys, struct bz_node *node, const struct bz__zone_spec spec[BZ_MAX_NR_ZONES],
		      unsigned long reserve, struct place_cursor *c)
{
	unsigned long cur = c->next, first = ~0ul;

	for (int zid = 0; zid < BZ_ZONE_DEVICE; zid++) {
		struct bz_zone *z = &node->zones[zid];
		unsigned long start;

		z->zone_start_pfn = cur;
		if (!spec[zid].managed)
			continue;
		start = zone_start(&spec[zid], zid, c);
		if (start == ~0ul) {
			bz__log(sys, BZ_LOG_ERR,
				"zones: node %d's %s zone (%lu pages from pfn %lu) overlaps the zone before it, or "
				"does not fit between its x86-64 floor and below pfn %lu; only node 0 can have DMA/DMA32 "
				"memory below 4 GiB", node->nid, bz__zone_names[zid], spec[zid].spanned,
				spec[zid].start_pfn == BZ__PFN_AUTO ? c->next : spec[zid].start_pfn,
				BZ_MIN(zone_ceil[zid], BZ_MAX_PFNS));
			return -EINVAL;
		}
		z->zone_start_pfn = start;
		z->spanned_pages = spec[zid].spanned;
		z->present_pages = spec[zid].present;
		z->managed_pages = spec[zid].managed;
		cur = start + spec[zid].spanned;
		c->next = c->end = cur;
		if (first == ~0ul)
			first = start;
	}
	node->zones[BZ_ZONE_DEVICE].zone_start_pfn = cur;
	node->node_start_pfn = first == ~0ul ? c->next : first;
	node->node_spanned_pages = cur - node->node_start_pfn;
	/* Room for memory hot-add (memory_hotplug.c) right after the node's zones; no wrap-around. */
	if (reserve > BZ_MAX_PFNS - cur) {
		bz__log(sys, BZ_LOG_ERR, "hotplug_reserve: node %d's %lu pages of room end above pfn %lu",
			node->nid, reserve, BZ_MAX_PFNS);
		return -EINVAL;
	}
	node->node_reserved_end_pfn = cur + reserve;
	c->end = BZ_MAX(c->end, node->node_reserved_end_pfn);
	c->next = align_up(c->end, NODE_ALIGN_PAGES);
	return 0;
}

static void init_zone(struct bz_system *sys, struct bz_node *node, int zid)
{
	struct bz_zone *z = &node->zones[zid];

	z->node = node;
	z->sys = sys;
	z->idx = zid;
	z->zone_id = (uint16_t)(node->nid * BZ_MAX_NR_ZONES + zid);
	sys->zone_table[z->zone_id] = z;
	bz_spin_init(&z->lock);
	bz__zone_init_free_lists(z);
	node->node_present_pages += z->present_pages;
}

/* CPUs of a node: the zones spec's "NID:cpus=N", else the config's count per node, else the topology's. */
static int node_cpus(const struct bz_topology *topo, const struct bz_config *cfg, const struct bz__layout *layout,
		     int nid)
{
	if (layout->cpus[nid] >= 0)
		return layout->cpus[nid];
	if (cfg->cpus_per_node != BZ_DEFAULT)
		return cfg->cpus_per_node;
	if (nid < topo->nr_nodes)
		return topo->nr_cpus[nid];
	return topo->nr_cpus[0];
}

/* Extends the topology to layouts naming more nodes than it has. */
static void extend_topology(struct bz_topology *topo, int nr_nodes)
{
	int real = topo->nr_nodes > 0 ? topo->nr_nodes : 1;

	for (int a = 0; a < nr_nodes; a++) {
		for (int b = 0; b < nr_nodes; b++) {
			if (a < topo->nr_nodes && b < topo->nr_nodes)
				continue;
			topo->distance[a][b] = a == b ? 10 : 20; /* LOCAL_DISTANCE, REMOTE_DISTANCE */
		}
		if (a >= topo->nr_nodes) {
			topo->os_node[a] = topo->os_node[a % real];
			topo->emulated = true;
		}
	}
	if (nr_nodes > topo->nr_nodes)
		topo->nr_nodes = nr_nodes;
}

static int read_layout(struct bz_system *sys, const struct bz_config *cfg, struct bz__layout *layout)
{
	int nr, ret;

	/* Settled by options.c: the config's, else BUDDYZONE_ZONES / _TOPOLOGY, else the machine's. */
	ret = bz__topology_discover(sys, cfg->topology, &sys->topo);
	if (ret)
		return ret;
	if (cfg->zones)
		nr = bz__zones_parse(sys, cfg->zones, layout);
	else
		nr = default_layout(&sys->topo, layout);
	if (nr < 0)
		return nr;
	extend_topology(&sys->topo, nr);
	sys->topo.cpus_from_config = cfg->cpus_per_node != BZ_DEFAULT;
	return 0;
}

/*
 * The node that owns most of [lo, hi) of the pfn space (by its reserved
 * span), -1 if none: which node a shared page of metadata goes to.
 */
static int majority_node(const struct bz_system *sys, unsigned long lo, unsigned long hi)
{
	unsigned long best_len = 0;
	int best = -1;

	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		const struct bz_node *node = sys->nodes[nid];
		unsigned long s = BZ_MAX(lo, node->node_start_pfn), e = BZ_MIN(hi, node->node_reserved_end_pfn);

		if (e > s && e - s > best_len) {
			best_len = e - s;
			best = nid;
		}
	}
	return best;
}

/*
 * Binds the pages of a per-pfn array (entry_shift: log2 of the pfns one
 * byte describes, negative for bytes per pfn) to the nodes whose pfns they
 * describe, each page to the node owning most of it, before anything
 * touches them: the kernel allocates each node's memmap and usemap on the
 * node (memmap_alloc(), sparse_init_nid()).  mem_map's node parts start on
 * page boundaries (a node starts on a max-order block: 64 KiB of
 * mem_map); the pageblock flags of a node smaller than 8 GiB share a page
 * with a neighbour's.  Unbound (no NUMA, mbind refused): first touch places.
 */
static unsigned long off_to_pfn(unsigned long off, int pfn_shift)
{
	return pfn_shift >= 0 ? off << pfn_shift : off >> -pfn_shift;
}

static unsigned long pfn_to_off(unsigned long pfn, int pfn_shift)
{
	return pfn_shift >= 0 ? pfn >> pfn_shift : pfn << -pfn_shift;
}

static void bind_per_pfn(struct bz_system *sys, void *array, size_t bytes, int pfn_shift)
{
	const unsigned long page = BZ_PAGE_SIZE;
	unsigned long off = 0;

	while (off < bytes) {
		int nid = majority_node(sys, off_to_pfn(off, pfn_shift), off_to_pfn(off + page, pfn_shift));
		unsigned long next = off + page;

		if (nid >= 0) {
			/* The pages wholly inside the node's span go with this one. */
			unsigned long end = pfn_to_off(sys->nodes[nid]->node_reserved_end_pfn, pfn_shift) & ~(page - 1);

			next = BZ_MIN(BZ_MAX(next, end), (unsigned long)bytes);
			bz__os_bind((char *)array + off, next - off, bz__os_node(sys, nid));
		}
		off = next;
	}
}

static void bind_metadata(struct bz_system *sys)
{
	_Static_assert(sizeof(struct bz_page) == 1u << BZ_PAGE_STRUCT_SHIFT, "one shift per struct page");
	bind_per_pfn(sys, sys->mem_map, sys->mem_map_bytes, -BZ_PAGE_STRUCT_SHIFT);
	bind_per_pfn(sys, (void *)sys->pageblock_mt, sys->pageblock_bytes, BZ_PAGEBLOCK_ORDER);
}

/* Lays out every node and reserves address space, mem_map and pageblock flags. */
static int build_nodes(struct bz_system *sys, const struct bz_config *cfg, const struct bz__layout *layout)
{
	struct place_cursor cursor = { 0, 0 };
	unsigned long reserve = cfg->hotplug_reserve;
	int ret;

	sys->nr_nodes = sys->topo.nr_nodes;
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		/* alloc_node_data(): a node's pg_data_t on its own memory. */
		struct bz_node *node = bz__os_alloc_node(sizeof(*node), bz__os_node(sys, nid));

		if (!node)
			return -ENOMEM;
		sys->nodes[nid] = node;
		node->nid = nid;
		node->nr_cpus = node_cpus(&sys->topo, cfg, layout, nid);
		ret = place_node(sys, node, layout->zone[nid], reserve, &cursor);
		if (ret)
			return ret;
	}
	sys->nr_pfns = cursor.next ? cursor.next : MAX_ORDER_NR_PAGES;
	sys->reserve_bytes = sys->nr_pfns << BZ_PAGE_SHIFT;
	sys->mem_map_bytes = sys->nr_pfns * sizeof(struct bz_page);
	sys->base = bz__os_reserve(sys->reserve_bytes, NODE_ALIGN_PAGES << BZ_PAGE_SHIFT);
	sys->mem_map = bz__os_reserve(sys->mem_map_bytes, 4096);
	sys->pageblock_bytes = BZ_MAX(sys->nr_pfns >> BZ_PAGEBLOCK_ORDER, 1ul);
	sys->pageblock_mt = bz__os_reserve(sys->pageblock_bytes, 4096);
	if (!sys->base || !sys->mem_map || !sys->pageblock_mt) {
		bz__log(sys, BZ_LOG_ERR, "cannot reserve %zu MiB of address space and %zu MiB of page metadata",
			sys->reserve_bytes >> 20, sys->mem_map_bytes >> 20);
		return -ENOMEM;
	}
	bind_metadata(sys);
	/* Every pageblock starts MOVABLE, as memmap_init marks them at boot. */
	for (unsigned long i = 0; i < (sys->nr_pfns >> BZ_PAGEBLOCK_ORDER); i++)
		atomic_init(&sys->pageblock_mt[i], BZ_MIGRATE_MOVABLE);
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		struct bz_node *node = sys->nodes[nid];

		node->arena.start = sys->base + (node->node_start_pfn << BZ_PAGE_SHIFT);
		node->arena.bytes = (node->node_reserved_end_pfn - node->node_start_pfn) << BZ_PAGE_SHIFT;
		if (node->arena.bytes) {
			ret = bz__arena_setup(sys, cfg, nid, &node->arena);
			if (ret)
				return ret;
		}
		for (int zid = 0; zid < BZ_MAX_NR_ZONES; zid++)
			init_zone(sys, node, zid);
	}
	return 0;
}

static void free_zonelists(struct bz_node *node)
{
	for (int i = 0; i < MAX_ZONELISTS; i++) {
		struct bz_zonelist *zl = atomic_load(&node->zonelists[i]);

		while (zl) {
			struct bz_zonelist *older = zl->retired;

			bz__os_release(zl, sizeof(*zl));
			zl = older;
		}
	}
}

struct bz_zone *bz__pfn_zone(const struct bz_system *sys, unsigned long pfn)
{
	for (int nid = 0; nid < sys->nr_nodes; nid++) {
		struct bz_node *node = sys->nodes[nid];
		/* Memory hot-add grows these while we look (memory_hotplug.c). */
		unsigned long start = __atomic_load_n(&node->node_start_pfn, __ATOMIC_RELAXED);

		if (pfn < start || pfn >= start + __atomic_load_n(&node->node_spanned_pages, __ATOMIC_RELAXED))
			continue;
		for (int zid = 0; zid < BZ_ZONE_DEVICE; zid++) {
			struct bz_zone *z = &node->zones[zid];

			if (populated_zone(z) && zone_spans_pfn(z, pfn))
				return z;
		}
	}
	return NULL;
}

void bz__free_system_memory(struct bz_system *sys)
{
	if (sys->base)
		bz__os_release(sys->base, sys->reserve_bytes);
	if (sys->mem_map)
		bz__os_release(sys->mem_map, sys->mem_map_bytes);
	if (sys->pageblock_mt)
		bz__os_release((void *)sys->pageblock_mt, sys->pageblock_bytes);
	for (int nid = 0; nid < BZ_MAX_NUMNODES; nid++) {
		if (!sys->nodes[nid])
			continue;
		free_zonelists(sys->nodes[nid]);
		bz__os_release(sys->nodes[nid], sizeof(*sys->nodes[nid]));
	}
}

int bz__build_system(struct bz_system *sys, const struct bz_config *cfg)
{
	struct bz__layout layout;
	int ret;

	ret = read_layout(sys, cfg, &layout);
	if (!ret)
		ret = build_nodes(sys, cfg, &layout);
	if (ret)
		return ret;
	bz__build_all_zonelists(sys);
	for (int nid = 0; nid < sys->nr_nodes; nid++)
		for (int i = 0; i < MAX_ZONELISTS; i++)
			if (!atomic_load(&sys->nodes[nid]->zonelists[i]))
				return -ENOMEM;
	bz__recompute_watermarks(sys);
	return 0;
}
