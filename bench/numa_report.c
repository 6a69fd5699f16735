/* SPDX-License-Identifier: MIT */
/*
 * numa_report.c - bznuma: what a multi-socket machine gets from
 * libbuddyzone, in one run (bench/numa_report.sh wraps it and draws the
 * plot).  Every thread is placed on a node: bz_thread_set_node() for the
 * allocator's view and, when the nodes are this machine's own, the CPUs of
 * the node's real node (numa_run_on_node) for where it runs.
 *
 *   1. the node distance table and whether the nodes are real or emulated;
 *   2. a latency matrix (one thread on node A allocating pages of node B,
 *      first cache line written, 1024 blocks outstanding) and a throughput
 *      matrix (as many threads on A as A has CPUs, at most --max-threads);
 *   3. a producer on node A handing pages to a consumer on node B, every
 *      pair; then, for one remote pair, the consumer's cached pages of A's
 *      zone at the end of the run and after the kernel's remote expiry had
 *      time (refresh_cpu_vm_stats, three refreshes of a second);
 *   4. scaling from 1 thread to every CPU, threads filling one node before
 *      the next ("fill") or dealt round the nodes ("spread"), for order-0
 *      pairs and for a refill-heavy burst (more pages than a cache holds, so
 *      every burst refills and drains under the zone lock), libbuddyzone and
 *      glibc, jemalloc, tcmalloc, mimalloc at each count; pairs/s per node
 *      and each zone's lock contention (acquisitions that waited).
 *
 * Markdown on stdout, everything in JSON (--json FILE).  --short runs each
 * cell for less time, with the same rows.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_shim.h"

#define MAX_NODES BZ_MAX_NUMNODES
#define MAX_THREADS 1024
#define RING 1024

struct topo_view {
	int nr_nodes;
	int emulated;
	char source[256];
	int distance[MAX_NODES][MAX_NODES];
	int os_node[MAX_NODES];         /* the real node backing each node, -1: unbound */
	int cpus[MAX_NODES];            /* CPUs the topology gives each node */
};

static struct {
	const char *topology;           /* NULL: this machine */
	unsigned long node_mib;
	double cell_s;                  /* seconds each measurement runs */
	int max_threads;
	const char *json;
	int expiry_s;
} opt = { NULL, 1024, 0.5, 0, NULL, 7 };

static bz_system *sys;
static struct topo_view tv;
static FILE *js;                        /* the JSON file, NULL: none */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the system and what its topology report says --------------------------------- */

static char *topology_text(bz_system *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f || bz_write_topology(s, f) || fclose(f))
		return NULL;
	return text;
}

/* numactl's layout: "node distances:", a header row, one row per node; our arena lines. */
static int parse_topology(const char *text, struct topo_view *v)
{
	const char *p = strstr(text, "node distances:");
	const char *src = strstr(text, "\ntopology: ");

	memset(v, 0, sizeof(*v));
	for (const char *l = text; (l = strstr(l, "node ")) != NULL; l++) {
		int nid, cpus = 0;
		const char *c = l + 5;

		if (sscanf(c, "%d cpus:", &nid) == 1 && nid >= 0 && nid < MAX_NODES && strstr(c, "cpus:") &&
		    strchr(c, '\n') > strstr(c, "cpus:")) {
			for (const char *q = strstr(c, "cpus:") + 5; *q && *q != '\n'; q++)
				if (*q != ' ' && (q[-1] == ' ' || q[-1] == ':'))
					cpus++;
			v->cpus[nid] = cpus;
			v->nr_nodes = nid + 1 > v->nr_nodes ? nid + 1 : v->nr_nodes;
		}
	}
	if (!p || !src || v->nr_nodes < 1)
		return -EINVAL;
	p = strchr(p, '\n');
	p = p ? strchr(p + 1, '\n') : NULL;     /* past the header row */
	for (int a = 0; p && a < v->nr_nodes; a++) {
		char *end;

		strtol(p + 1, &end, 10);        /* "  0:" */
		end++;
		for (int b = 0; b < v->nr_nodes; b++)
			v->distance[a][b] = (int)strtol(end, &end, 10);
		p = strchr(end, '\n');
	}
	sscanf(src + 11, "%255[^\n]", v->source);
	v->emulated = strstr(v->source, "(emulated)") != NULL;
	for (int n = 0; n < v->nr_nodes; n++) {
		char key[64];
		const char *b;

		v->os_node[n] = -1;
		snprintf(key, sizeof(key), "node %d arena: ", n);
		b = strstr(text, key);
		if (b && (b = strstr(b, "bound to real node ")) && b < strchr(strstr(text, key), '\n'))
			v->os_node[n] = atoi(b + 19);
	}
	return 0;
}

static bz_system *create(const char *zones)
{
	struct bz_config cfg;
	bz_system *s = NULL;
	int err;

	bz_config_init(&cfg);
	cfg.topology = opt.topology;
	cfg.zones = zones;
	cfg.hugetlb = BZ_HUGETLB_NEVER;
	err = bz_system_create(&cfg, &s);
	if (err)
		fprintf(stderr, "bznuma: bz_system_create(%s): %s\n", opt.topology ? opt.topology : "this machine",
			bz_strerror(err));
	return s;
}

static void warm_up(void);

/* The topology's nodes, each with node_mib of ZONE_NORMAL. */
static int setup(void)
{
	char zones[MAX_NODES * 40] = "", *text;
	bz_system *probe = create(NULL);
	int n;

	if (!probe)
		return -1;
	n = bz_nr_nodes(probe);
	bz_system_destroy(probe);
	for (int nid = 0; nid < n; nid++)
		snprintf(zones + strlen(zones), sizeof(zones) - strlen(zones), "%s%d:Normal=%luM", nid ? "," : "",
			 nid, opt.node_mib);
	sys = create(zones);
	if (!sys)
		return -1;
	text = topology_text(sys);
	if (!text || parse_topology(text, &tv)) {
		fprintf(stderr, "bznuma: cannot read the topology report\n");
		free(text);
		return -1;
	}
	free(text);
	bz_bench_allocators_set_system(sys);
	warm_up();
	return 0;
}

/*
 * Every page of each node allocated once (to 90% of the node), untouched,
 * and freed: the struct pages are initialised and mem_map faulted in before
 * anything is timed, as on a machine that has run a while.
 */
static void warm_up(void)
{
	struct bz_zone_stats st = { .size = sizeof(st) };

	for (int nid = 0; nid < tv.nr_nodes; nid++) {
		size_t n = 0, max;
		bz_page **held;

		bz_zone_stats(sys, nid, BZ_ZONE_NORMAL, &st);
		max = st.managed / 10 * 9;
		held = calloc(max, sizeof(*held));
		while (held && n < max &&
		       (held[n] = bz_alloc_pages_node(sys, nid, BZ_GFP_NOWAIT | BZ_GFP_NOWARN | BZ_GFP_THISNODE, 0)))
			n++;
		while (n)
			bz_free_pages(held[--n], 0);
		free(held);
	}
	bz_drain_all_pages(sys);
}

/* The calling thread on node nid: the allocator's node, and on real nodes its CPUs. */
static void place(int nid)
{
	if (nid < 0)
		return;
	bz_thread_set_node(sys, nid);
	if (!tv.emulated && tv.os_node[nid] >= 0 && numa_available() >= 0)
		numa_run_on_node(tv.os_node[nid]);
}

/* ---- threads that run until told to stop ------------------------------------------- */

struct worker;
typedef size_t (*work_fn)(struct worker *w);

struct worker {
	pthread_t thread;
	int nid;                        /* where it is placed */
	work_fn fn;
	int arg;                        /* the node to allocate from, or the allocator */
	unsigned long ops;
	size_t failed;
	void **slots;                   /* the burst's, or the ring's */
	size_t nslots, head;
	struct run *run;
};

struct run {
	_Atomic int ready, go, stop;
	int nr;
	struct worker w[MAX_THREADS];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	place(w->nid);
	atomic_fetch_add(&w->run->ready, 1);
	while (!atomic_load_explicit(&w->run->go, memory_order_acquire))
		sched_yield();
	while (!atomic_load_explicit(&w->run->stop, memory_order_relaxed))
		w->ops += w->fn(w);
	return NULL;
}

/* Runs r's workers for opt.cell_s; returns the elapsed seconds. */
static double run_workers(struct run *r)
{
	double t0, t1;

	for (int i = 0; i < r->nr; i++) {
		r->w[i].run = r;
		if (pthread_create(&r->w[i].thread, NULL, worker_main, &r->w[i])) {
			fprintf(stderr, "bznuma: pthread_create failed\n");
			exit(1);
		}
	}
	while (atomic_load(&r->ready) < r->nr)
		sched_yield();
	t0 = now_s();
	atomic_store_explicit(&r->go, 1, memory_order_release);
	usleep((useconds_t)(opt.cell_s * 1e6));
	atomic_store(&r->stop, 1);
	for (int i = 0; i < r->nr; i++)
		pthread_join(r->w[i].thread, NULL);
	t1 = now_s();
	return t1 - t0;
}

/* ---- 2. the matrix: pages of node arg, first line written, RING outstanding ---------- */

static size_t alloc_touch(struct worker *w)
{
	const size_t batch = 256;

	for (size_t i = 0; i < batch; i++) {
		bz_page *old = w->slots[w->head], *page;

		if (old && bz_free_pages(old, 0))
			w->failed++;
		page = bz_alloc_pages_node(sys, w->arg, BZ_GFP_KERNEL, 0);
		w->slots[w->head] = page;
		w->head = (w->head + 1) % RING;
		if (!page) {
			w->failed++;
			continue;
		}
		memset(bz_page_address(page), (int)i, 64);
	}
	return batch;
}

static void release_ring(struct worker *w)
{
	for (size_t k = 0; k < RING; k++)
		if (w->slots[k] && bz_free_pages(w->slots[k], 0))
			w->failed++;
	free(w->slots);
}

/* ns per operation of one thread, and operations/s of threads threads, on from allocating at to. */
static void matrix_cell(int from, int to, int threads, double *lat_ns, double *mops)
{
	static struct run r;

	for (int pass = 0; pass < 2; pass++) {
		int nr = pass ? threads : 1;
		unsigned long ops = 0;
		double secs;

		memset(&r, 0, sizeof(r));
		r.nr = nr;
		for (int i = 0; i < nr; i++)
			r.w[i] = (struct worker){ .nid = from, .fn = alloc_touch, .arg = to,
						  .slots = calloc(RING, sizeof(void *)) };
		secs = run_workers(&r);
		for (int i = 0; i < nr; i++) {
			ops += r.w[i].ops;
			release_ring(&r.w[i]);
			if (r.w[i].failed)
				fprintf(stderr, "bznuma: %zu failed operations (node %d -> %d)\n", r.w[i].failed, from, to);
		}
		if (pass)
			*mops = (double)ops / secs / 1e6;
		else
			*lat_ns = secs * 1e9 / (double)ops;
	}
}

/* ---- 3. producer on A, consumer on B ------------------------------------------------- */

struct pc {
	_Alignas(64) _Atomic size_t tail;
	_Alignas(64) _Atomic size_t head;
	_Atomic int stop, consumer_done, may_exit;
	int producer_node, consumer_node;
	size_t failed;
	_Alignas(64) bz_page *ring[RING];
};

/* Spin a while before yielding: a yield on a busy machine can cost a whole time slice. */
static void pc_wait(unsigned *spins)
{
	if (++*spins < 256) {
		__builtin_ia32_pause();
	} else {
		*spins = 0;
		sched_yield();
	}
}

static void *consumer_main(void *arg)
{
	struct pc *pc = arg;
	size_t head = 0;
	unsigned spins = 0;

	place(pc->consumer_node);
	for (;;) {
		size_t tail = atomic_load_explicit(&pc->tail, memory_order_acquire);

		if (head == tail) {
			if (atomic_load(&pc->stop) && head == atomic_load(&pc->tail))
				break;
			pc_wait(&spins);
			continue;
		}
		for (; head != tail; head++)
			if (bz_free_pages(pc->ring[head % RING], 0))
				pc->failed++;
		atomic_store_explicit(&pc->head, head, memory_order_release);
	}
	atomic_store(&pc->consumer_done, 1);
	/* Stays alive with its cache until told (the expiry measurement looks at it). */
	while (!atomic_load(&pc->may_exit))
		usleep(1000);
	return NULL;
}

static void *producer_main(void *arg)
{
	struct pc *pc = arg;
	size_t tail = 0;
	unsigned spins = 0;

	place(pc->producer_node);
	while (!atomic_load_explicit(&pc->stop, memory_order_relaxed)) {
		bz_page *page = bz_alloc_pages(sys, BZ_GFP_KERNEL, 0);

		if (!page) {
			pc->failed++;
			continue;
		}
		while (tail - atomic_load_explicit(&pc->head, memory_order_acquire) >= RING)
			pc_wait(&spins);
		pc->ring[tail % RING] = page;
		atomic_store_explicit(&pc->tail, ++tail, memory_order_release);
	}
	return (void *)(uintptr_t)tail;
}

static unsigned long zone_cached(int nid)
{
	struct bz_zone_stats st = { .size = sizeof(st) };

	return bz_zone_stats(sys, nid, BZ_ZONE_NORMAL, &st) ? 0 : st.cached;
}

static unsigned long json_counter(const char *name)
{
	char *text = NULL, key[64], *p;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned long v = 0;

	if (f && !bz_write_json(sys, f) && !fclose(f)) {
		snprintf(key, sizeof(key), "\"%s\":", name);
		p = strstr(text, key);
		v = p ? strtoul(p + strlen(key), NULL, 10) : 0;
	}
	free(text);
	return v;
}

struct expiry {
	unsigned long at_end, after, drained, waited_s;
};

/*
 * Pages/s from a producer on a to a consumer on b.  With ex, the consumer
 * then waits, and this thread works on b's zone (its refills run the
 * refresh that expires the consumer's cache of a's zone) for
 * opt.expiry_s: a's zone's cached pages before and after.
 */
static double prodcons(int a, int b, struct expiry *ex)
{
	struct pc *pc = aligned_alloc(64, sizeof(*pc));
	pthread_t prod, cons;
	double t0, secs;
	void *produced;

	memset(pc, 0, sizeof(*pc));
	pc->producer_node = a;
	pc->consumer_node = b;
	pthread_create(&cons, NULL, consumer_main, pc);
	t0 = now_s();
	pthread_create(&prod, NULL, producer_main, pc);
	usleep((useconds_t)(opt.cell_s * 1e6));
	atomic_store(&pc->stop, 1);
	pthread_join(prod, &produced);
	while (!atomic_load(&pc->consumer_done))
		sched_yield();
	secs = now_s() - t0;
	if (ex) {
		/* The producer has exited: its cache went back.  What is left of a's zone is the consumer's. */
		unsigned long before = json_counter("pcp_remote_drained");
		struct bz_zone_stats st = { .size = sizeof(st) };
		size_t n;
		void **slots;
		double end;

		bz_zone_stats(sys, b, BZ_ZONE_NORMAL, &st);
		n = 2 * st.pcp_high_max + 64;
		slots = calloc(n, sizeof(void *));
		ex->at_end = zone_cached(a);
		place(b);
		end = now_s() + opt.expiry_s;
		while (now_s() < end)
			pc->failed += bz_bench_burst(BZB_LIBBUDDYZONE, slots, n);
		ex->after = zone_cached(a);
		ex->drained = json_counter("pcp_remote_drained") - before;
		ex->waited_s = (unsigned long)opt.expiry_s;
		free(slots);
	}
	atomic_store(&pc->may_exit, 1);
	pthread_join(cons, NULL);
	if (pc->failed)
		fprintf(stderr, "bznuma: %zu failed operations (producer %d, consumer %d)\n", pc->failed, a, b);
	free(pc);
	return (double)(uintptr_t)produced / secs;
}

/* ---- 4. scaling ---------------------------------------------------------------------- */

enum pattern { PAIRS, REFILL, NR_PATTERNS };
static const char *const pattern_names[] = { "order-0 pairs", "refill-heavy bursts" };
static const char *const pattern_keys[] = { "pairs", "refill" };
static const enum bz_bench_allocator allocators[] = { BZB_LIBBUDDYZONE, BZB_GLIBC, BZB_JEMALLOC, BZB_TCMALLOC,
						      BZB_MIMALLOC };
#define NR_ALLOCATORS (int)(sizeof(allocators) / sizeof(allocators[0]))
static size_t burst_len;

static size_t do_pairs(struct worker *w)
{
	w->failed += bz_bench_pairs((enum bz_bench_allocator)w->arg, 0, 256);
	return 256;
}

static size_t do_burst(struct worker *w)
{
	w->failed += bz_bench_burst((enum bz_bench_allocator)w->arg, w->slots, w->nslots);
	return w->nslots;
}

/* Node of thread i of n: fill node 0's CPUs first, or deal round the nodes. */
static int thread_node(int i, bool fill)
{
	if (!fill)
		return i % tv.nr_nodes;
	for (int nid = 0; nid < tv.nr_nodes; nid++) {
		int cpus = tv.cpus[nid] > 0 ? tv.cpus[nid] : 0;

		if (i < cpus)
			return nid;
		i -= cpus;
	}
	return i % tv.nr_nodes;
}

struct scale_point {
	double total;                   /* pairs (or pages) per second, all threads */
	double per_node[MAX_NODES];
	unsigned long contended[MAX_NODES];     /* NORMAL zone lock waits during the run */
};

static void scale_point(enum bz_bench_allocator a, enum pattern p, int threads, bool fill, struct scale_point *out)
{
	static struct run r;
	unsigned long before[MAX_NODES];
	double secs;

	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	for (int n = 0; n < tv.nr_nodes; n++) {
		struct bz_zone_stats st = { .size = sizeof(st) };

		bz_zone_stats(sys, n, BZ_ZONE_NORMAL, &st);
		before[n] = st.lock_contended;
	}
	r.nr = threads;
	for (int i = 0; i < threads; i++) {
		r.w[i] = (struct worker){ .nid = thread_node(i, fill), .fn = p == PAIRS ? do_pairs : do_burst,
					  .arg = (int)a };
		if (p == REFILL) {
			r.w[i].nslots = burst_len;
			r.w[i].slots = calloc(burst_len, sizeof(void *));
		}
	}
	secs = run_workers(&r);
	for (int i = 0; i < threads; i++) {
		double rate = (double)r.w[i].ops / secs;

		out->total += rate;
		out->per_node[r.w[i].nid] += rate;
		if (r.w[i].failed)
			fprintf(stderr, "bznuma: %s: %zu failed operations\n", bz_bench_allocator_name(a), r.w[i].failed);
		free(r.w[i].slots);
	}
	for (int n = 0; n < tv.nr_nodes; n++) {
		struct bz_zone_stats st = { .size = sizeof(st) };

		bz_zone_stats(sys, n, BZ_ZONE_NORMAL, &st);
		out->contended[n] = st.lock_contended - before[n];
	}
}

/* ---- printing ------------------------------------------------------------------------ */

static void print_header(void)
{
	printf("## libbuddyzone NUMA report\n\n");
	printf("Topology: %s. %s\n\n", tv.source,
	       tv.emulated ? "**The nodes are emulated**: every node's memory is this machine's memory "
			     "(the real node named below), so local and remote differ only in the allocator's "
			     "software path, not in hardware latency." :
			     "**The nodes are this machine's real NUMA nodes**: threads run on each node's "
			     "CPUs and its memory is bound to it.");
	printf("| node | backed by real node | CPUs (topology) |\n|---:|---:|---:|\n");
	for (int n = 0; n < tv.nr_nodes; n++)
		printf("| %d | %d | %d |\n", n, tv.os_node[n], tv.cpus[n]);
	printf("\nCPUs online: %ld; threads used at most: %d; %lu MiB of ZONE_NORMAL per node; "
	       "%.2f s a measurement.\n\n", sysconf(_SC_NPROCESSORS_ONLN), opt.max_threads, opt.node_mib,
	       opt.cell_s);
}

static void print_matrix(const char *title, double m[MAX_NODES][MAX_NODES], const char *fmt)
{
	printf("| %s |", title);
	for (int b = 0; b < tv.nr_nodes; b++)
		printf(" to %d |", b);
	printf(" distances |\n|---|");
	for (int b = 0; b <= tv.nr_nodes; b++)
		printf("---:|");
	printf("\n");
	for (int a = 0; a < tv.nr_nodes; a++) {
		printf("| from %d |", a);
		for (int b = 0; b < tv.nr_nodes; b++) {
			printf(" ");
			printf(fmt, m[a][b]);
			printf(" |");
		}
		printf(" ");
		for (int b = 0; b < tv.nr_nodes; b++)
			printf("%s%d", b ? " " : "", tv.distance[a][b]);
		printf(" |\n");
	}
	printf("\n");
}

static void json_matrix(const char *key, double m[MAX_NODES][MAX_NODES])
{
	fprintf(js, "\"%s\":[", key);
	for (int a = 0; a < tv.nr_nodes; a++) {
		fprintf(js, "%s[", a ? "," : "");
		for (int b = 0; b < tv.nr_nodes; b++)
			fprintf(js, "%s%.6g", b ? "," : "", m[a][b]);
		fprintf(js, "]");
	}
	fprintf(js, "],");
}

/* ---- main ----------------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: bznuma [--topology xml:FILE|synthetic:STRING] [--short] [--node-mib N]\n"
			"              [--max-threads N] [--seconds S] [--expiry-seconds S] [--json FILE]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--short")) {
			opt.cell_s = 0.2;
			opt.node_mib = 256;
			continue;
		}
		if (!v)
			usage();
		if (!strcmp(a, "--topology"))
			opt.topology = *v ? v : NULL;
		else if (!strcmp(a, "--node-mib"))
			opt.node_mib = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--max-threads"))
			opt.max_threads = atoi(v);
		else if (!strcmp(a, "--seconds"))
			opt.cell_s = atof(v);
		else if (!strcmp(a, "--expiry-seconds"))
			opt.expiry_s = atoi(v);
		else if (!strcmp(a, "--json"))
			opt.json = v;
		else
			usage();
		i++;
	}
	if (opt.node_mib < 64 || opt.cell_s <= 0)
		usage();
}

static void report_matrix(void)
{
	static double lat[MAX_NODES][MAX_NODES], thr[MAX_NODES][MAX_NODES];

	for (int a = 0; a < tv.nr_nodes; a++)
		for (int b = 0; b < tv.nr_nodes; b++) {
			int threads = tv.cpus[a] > 0 ? tv.cpus[a] : 1;

			matrix_cell(a, b, threads < opt.max_threads ? threads : opt.max_threads, &lat[a][b], &thr[a][b]);
		}
	printf("### Local and remote: pages of node B allocated on node A (first cache line written)\n\n");
	print_matrix("ns per page, 1 thread", lat, "%.1f");
	print_matrix("Mpages/s, A's CPUs", thr, "%.2f");
	if (js) {
		json_matrix("latency_ns", lat);
		json_matrix("throughput_mops", thr);
	}
}

static void report_prodcons(void)
{
	static double pc[MAX_NODES][MAX_NODES];
	struct expiry ex = { 0 };
	int b = tv.nr_nodes > 1 ? tv.nr_nodes - 1 : 0;

	for (int a = 0; a < tv.nr_nodes; a++)
		for (int c = 0; c < tv.nr_nodes; c++)
			pc[a][c] = prodcons(a, c, NULL) / 1e6;
	printf("### Producer on node A, consumer on node B (pages freed by B)\n\n");
	print_matrix("Mpages/s", pc, "%.2f");
	prodcons(0, b, &ex);
	printf("Cross-node frees (producer on node 0, consumer on node %d): when the run ends, %lu pages "
	       "of node 0 sit in the consumer's cache, freed there. The consumer then idled %lu s while "
	       "node %d worked: decay_pcp_high gave back %lu (its high decays by an eighth a refresh, "
	       "toward high_min), the remote pageset expiry %lu (pcp_remote_drained: a batch three "
	       "refreshes after node 0's counters last moved, refresh_cpu_vm_stats and "
	       "drain_zone_pages), and %lu are left. Before the expiry, what decay left stayed until "
	       "the consumer exited.\n\n", b, ex.at_end, ex.waited_s, b,
	       ex.at_end - ex.after - ex.drained, ex.drained, ex.after);
	if (js) {
		json_matrix("prodcons_mpages", pc);
		fprintf(js, "\"remote_expiry\":{\"producer\":0,\"consumer\":%d,\"cached_at_end\":%lu,"
			"\"cached_after\":%lu,\"drained\":%lu,\"waited_s\":%lu},", b, ex.at_end, ex.after,
			ex.drained, ex.waited_s);
	}
}

static void report_scaling(void)
{
	static struct scale_point pts[2][NR_PATTERNS][NR_ALLOCATORS][MAX_THREADS + 1];
	int counts[64], nc = 0, rows = 0;

	for (int t = 1; t < opt.max_threads; t *= 2)
		counts[nc++] = t;
	counts[nc++] = opt.max_threads;
	if (js)
		fprintf(js, "\"scaling\":[");
	for (int fill = 1; fill >= 0; fill--)
		for (int p = 0; p < NR_PATTERNS; p++) {
			printf("### Scaling, %s, threads %s (M per s; per node; zone-lock waits per node)\n\n",
			       pattern_names[p], fill ? "filling node 0 first" : "spread over the nodes");
			printf("| threads | libbuddyzone | glibc | jemalloc | tcmalloc | mimalloc | ours per node | "
			       "zone-lock waits per node |\n|---:|---:|---:|---:|---:|---:|---|---|\n");
			for (int k = 0; k < nc; k++) {
				int t = counts[k];

				printf("| %d |", t);
				for (int a = 0; a < NR_ALLOCATORS; a++) {
					struct scale_point *sp = &pts[fill][p][a][t];

					if (bz_bench_allocator_missing(allocators[a])) {
						printf(" - |");
						continue;
					}
					scale_point(allocators[a], (enum pattern)p, t, fill, sp);
					printf(" %.2f |", sp->total / 1e6);
					if (js)
						fprintf(js, "%s{\"placement\":\"%s\",\"pattern\":\"%s\",\"allocator\":\"%s\","
							"\"threads\":%d,\"mops\":%.6g,\"per_node_mops\":[", rows++ ? "," : "",
							fill ? "fill" : "spread", pattern_keys[p],
							bz_bench_allocator_name(allocators[a]), t, sp->total / 1e6);
					for (int n = 0; js && n < tv.nr_nodes; n++)
						fprintf(js, "%s%.6g", n ? "," : "", sp->per_node[n] / 1e6);
					if (js)
						fprintf(js, "],\"zone_lock_waits\":[");
					for (int n = 0; js && n < tv.nr_nodes; n++)
						fprintf(js, "%s%lu", n ? "," : "", a ? 0ul : sp->contended[n]);
					if (js)
						fprintf(js, "]}");
				}
				printf(" ");
				for (int n = 0; n < tv.nr_nodes; n++)
					printf("%s%.2f", n ? " / " : "", pts[fill][p][0][t].per_node[n] / 1e6);
				printf(" | ");
				for (int n = 0; n < tv.nr_nodes; n++)
					printf("%s%lu", n ? " / " : "", pts[fill][p][0][t].contended[n]);
				printf(" |\n");
			}
			printf("\n");
		}
	if (js)
		fprintf(js, "],");
}

int main(int argc, char **argv)
{
	struct bz_zone_stats st = { .size = sizeof(st) };

	bz_bench_allocators_load(argv);
	parse_args(argc, argv);
	if (setup())
		return 1;
	if (opt.max_threads <= 0)
		opt.max_threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (opt.max_threads > MAX_THREADS)
		opt.max_threads = MAX_THREADS;
	/* A burst beyond any cache's high: every one refills and drains under the zone lock. */
	bz_zone_stats(sys, 0, BZ_ZONE_NORMAL, &st);
	burst_len = 2 * st.pcp_high_max + st.pcp_batch + 1;
	if (opt.json && !(js = fopen(opt.json, "w"))) {
		perror(opt.json);
		return 1;
	}
	if (js) {
		fprintf(js, "{\"source\":\"%s\",\"emulated\":%s,\"nodes\":%d,\"cpus_online\":%ld,\"max_threads\":%d,"
			"\"node_mib\":%lu,\"seconds\":%g,\"burst_pages\":%zu,\"distance\":[", tv.source,
			tv.emulated ? "true" : "false", tv.nr_nodes, sysconf(_SC_NPROCESSORS_ONLN), opt.max_threads,
			opt.node_mib, opt.cell_s, burst_len);
		for (int a = 0; a < tv.nr_nodes; a++) {
			fprintf(js, "%s[", a ? "," : "");
			for (int b = 0; b < tv.nr_nodes; b++)
				fprintf(js, "%s%d", b ? "," : "", tv.distance[a][b]);
			fprintf(js, "]");
		}
		fprintf(js, "],\"os_node\":[");
		for (int n = 0; n < tv.nr_nodes; n++)
			fprintf(js, "%s%d", n ? "," : "", tv.os_node[n]);
		fprintf(js, "],");
	}
	print_header();
	report_matrix();
	report_prodcons();
	report_scaling();
	if (js) {
		fprintf(js, "\"pcp_remote_drained\":%lu}\n", json_counter("pcp_remote_drained"));
		fclose(js);
	}
	bz_system_destroy(sys);
	return 0;
}
