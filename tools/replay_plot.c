/* SPDX-License-Identifier: MIT */
/*
 * replay_plot.c - bzreplay --plot: one row of panels per zone that moved,
 * the trace's time on every x axis: free, cached and allocated pages; the
 * unusable free space index per order; the fragmentation index per order
 * (the kernel's debugfs extfrag/ files, computed from the samples' free
 * block counts); and a last row for the whole system: the model's failed
 * allocations (all orders, and above order 3), the pages compaction
 * migrated, and its runs (stalls, successes, failures, kcompactd wakes).
 * gnuplot (gnuplot-nox) draws it.
 */
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "replay.h"

extern char **environ;

/* GNUPLOT, else "gnuplot", found in PATH; NULL when there is none. */
static const char *find_gnuplot(char *buf, size_t size)
{
	const char *name = getenv("GNUPLOT"), *path = getenv("PATH");

	if (!name || !*name)
		name = "gnuplot";
	if (strchr(name, '/'))
		return access(name, X_OK) ? NULL : name;
	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, size, "%.*s/%s", (int)n, path, name);
		if (n && !access(buf, X_OK))
			return buf;
		path += n + (path[n] == ':');
	}
	return NULL;
}

/* A gnuplot single-quoted string: ' doubled. */
static void gp_string(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* The snapshots' free and cached (per-CPU lists) pages of a zone: at the start and the end. */
static void write_snapshot_points(FILE *f, const struct replay *r, const struct snapshot *after, int slot,
				  double end)
{
	const struct snapshot *s[2] = { r->before, after };

	for (int i = 0; i < 2; i++) {
		const struct proc_zone *pz;

		if (!s[i])
			continue;
		pz = &s[i]->m.zone[slot / BZ_MAX_NR_ZONES][slot % BZ_MAX_NR_ZONES];
		fprintf(f, "%.6f %lu %ld\n", i ? end : 0.0, pz->free, pz->pcp_count);
	}
	fputs("\n\n", f);
}

/*
 * One data block per plotted zone: time, pages, then the two indices for
 * orders 0..10; one with the system's counters; then one per zone with the
 * snapshots' points.
 */
static void write_data(FILE *f, const struct replay *r, const struct snapshot *after, const int *zones, int nz)
{
	double end = r->nr_samples ? (double)r->samples[r->nr_samples - 1].t_ns / 1e9 : 0;

	for (int j = 0; j < nz; j++) {
		for (size_t k = 0; k < r->nr_samples; k++) {
			const struct zone_sample *z = sample_zone(r, k, zones[j]);

			fprintf(f, "%.6f %lu %lu %lu", (double)r->samples[k].t_ns / 1e9, z->free, z->cached,
				z->allocated);
			for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
				fprintf(f, " %.3f", bz_unusable_index(z->nr_free, (unsigned)o) / 1000.0);
			for (int o = 0; o < BZ_NR_PAGE_ORDERS; o++)
				fprintf(f, " %.3f", bz_extfrag_index(z->nr_free, (unsigned)o) / 1000.0);
			fputc('\n', f);
		}
		fputs("\n\n", f);
	}
	/* The system's counters, block nz: failures, then compaction's. */
	for (size_t k = 0; k < r->nr_samples; k++) {
		const struct sample *s = &r->samples[k];

		fprintf(f, "%.6f %lu %lu %lu %lu %lu %lu %lu\n", (double)s->t_ns / 1e9, s->failed, s->failed_costly,
			s->cc.compact_stall, s->cc.compact_success, s->cc.compact_fail, s->cc.pgmigrate_success,
			s->cc.compact_daemon_wake);
	}
	fputs("\n\n", f);
	/* Last, as gnuplot counts no empty block: the snapshots' points, nz + 1 + j. */
	for (int j = 0; j < nz; j++)
		write_snapshot_points(f, r, after, r->zone_slots[zones[j]], end);
}

/* The largest of a counter over the samples (off: its offset in struct sample), at least 1 for the y range. */
static unsigned long sample_max(const struct replay *r, size_t off)
{
	unsigned long max = 1;

	for (size_t k = 0; k < r->nr_samples; k++) {
		unsigned long v = *(const unsigned long *)((const char *)&r->samples[k] + off);

		max = v > max ? v : max;
	}
	return max;
}

/* The last row: the model's failed allocations and what compaction did, over the whole system. */
static void write_counters_row(FILE *f, const struct replay *r, int nz, const char *data)
{
	unsigned long stalls = sample_max(r, offsetof(struct sample, cc.compact_stall));
	unsigned long wakes = sample_max(r, offsetof(struct sample, cc.compact_daemon_wake));
	unsigned long runs = stalls > wakes ? stalls : wakes;
	int b = nz;

	fprintf(f, "set title 'model: failed allocations (cumulative, all zones)'\nset ylabel 'allocations'\n"
		   "set yrange [0:%lu]\nplot ", sample_max(r, offsetof(struct sample, failed)) * 11 / 10 + 1);
	gp_string(f, data);
	fprintf(f, " index %d using 1:2 with steps lw 5 lc 4 title 'all orders', '' index %d using 1:3 with steps "
		   "lw 2 lc 1 title 'order > 3 (costly)'\n", b, b);
	fprintf(f, "set title 'model: pages migrated by compaction (cumulative)'\nset ylabel 'pages'\n"
		   "set yrange [0:%lu]\nplot ", sample_max(r, offsetof(struct sample, cc.pgmigrate_success)) * 11 / 10 + 1);
	gp_string(f, data);
	fprintf(f, " index %d using 1:7 with steps lw 2 lc 3 title 'pgmigrate_success'\n", b);
	fprintf(f, "set title 'model: compaction runs (cumulative)'\nset ylabel 'events'\nset yrange [0:%lu]\nplot ",
		runs * 11 / 10 + 1);
	gp_string(f, data);
	fprintf(f, " index %d using 1:4 with steps lw 2 lc 1 title 'compact_stall', '' index %d using 1:5 with "
		   "steps lw 2 lc 3 title 'compact_success', '' index %d using 1:6 with steps lw 2 lc 4 title "
		   "'compact_fail', '' index %d using 1:8 with steps lw 2 lc 5 title 'compact_daemon_wake'\n",
		b, b, b, b);
}

static void write_script(FILE *f, const struct replay *r, bool points, const int *zones, int nz,
			 const char *data, const char *png, const char *title)
{
	fprintf(f, "set terminal pngcairo size 1800,%d noenhanced font ',10'\nset output ", 120 + 420 * (nz + 1));
	gp_string(f, png);
	fputs("\nset grid\nset key outside right top\nset xlabel 'trace time (s)'\n"
	      "colors = '#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf #000000'\n",
	      f);
	fprintf(f, "set multiplot layout %d,3 title ", nz + 1);
	gp_string(f, title);
	fputc('\n', f);
	for (int j = 0; j < nz; j++) {
		int slot = r->zone_slots[zones[j]];
		char zone[48];

		snprintf(zone, sizeof(zone), "%d:%s", slot / BZ_MAX_NR_ZONES, proc_zone_names[slot % BZ_MAX_NR_ZONES]);
		fprintf(f, "set title '%s: pages (free: buddy lists; cached: per-CPU lists)'\n"
			   "set ylabel 'pages'\nset yrange [0:*]\nplot ", zone);
		gp_string(f, data);
		fprintf(f, " index %d using 1:2 with lines lw 2 lc 1 title 'free', '' index %d using 1:3 with lines "
			   "lw 2 lc 2 title 'cached', '' index %d using 1:4 with lines lw 2 lc 3 title 'allocated'", j, j,
			j);
		if (points)
			fprintf(f, ", '' index %d using 1:2 with points pt 7 ps 1.5 lc 1 title 'kernel: free', "
				   "'' index %d using 1:3 with points pt 5 ps 1.5 lc 2 title 'kernel: cached'",
				nz + 1 + j, nz + 1 + j);
		fprintf(f, "\nset title '%s: unusable free space index per order'\nset ylabel 'index'\n"
			   "set yrange [-0.02:1.02]\nplot for [o=1:10] ", zone);
		gp_string(f, data);
		fprintf(f, " index %d using 1:(column(5+o)) with lines lw 2 lc rgb word(colors, o+1) "
			   "title sprintf('order %%d', o)\n", j);
		fprintf(f, "set title '%s: fragmentation index per order (-1: it would succeed)'\n"
			   "set yrange [-1.05:1.05]\nplot for [o=1:10] ", zone);
		gp_string(f, data);
		fprintf(f, " index %d using 1:(column(16+o)) with lines lw 2 lc rgb word(colors, o+1) "
			   "title sprintf('order %%d', o)\n", j);
	}
	write_counters_row(f, r, nz, data);
	fputs("unset multiplot\n", f);
}

static int run_gnuplot(const char *gnuplot, const char *script)
{
	char *argv[] = { (char *)gnuplot, (char *)script, NULL };
	pid_t pid;
	int status, err;

	err = posix_spawn(&pid, gnuplot, NULL, NULL, argv, environ);
	if (err) {
		fprintf(stderr, "bzreplay: cannot run %s: %s\n", gnuplot, strerror(err));
		return -1;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bzreplay: %s failed (its messages are above)\n", gnuplot);
		return -1;
	}
	return 0;
}

int report_plot(const struct replay *r, const struct snapshot *after, const char *png, const char *title)
{
	char gp_buf[4096], data[] = "/tmp/bzreplay-data-XXXXXX", script[] = "/tmp/bzreplay-plot-XXXXXX";
	const char *gnuplot = find_gnuplot(gp_buf, sizeof(gp_buf));
	int zones[BZ_MAX_NUMNODES * BZ_MAX_NR_ZONES], nz = 0, dfd, sfd, ret = -1;
	FILE *fd = NULL, *fs = NULL;

	if (!gnuplot) {
		fprintf(stderr, "bzreplay: --plot needs gnuplot, which is not installed (Debian: apt-get install "
				"gnuplot-nox), or set GNUPLOT to its path\n");
		return -1;
	}
	/* Every zone with memory, moving or not: each its own row. */
	for (int i = 0; i < r->nr_zones && nz < 8; i++)
		zones[nz++] = i;
	dfd = mkstemp(data);
	sfd = dfd < 0 ? -1 : mkstemp(script);
	if (sfd >= 0) {
		fd = fdopen(dfd, "w");
		fs = fdopen(sfd, "w");
	}
	if (!fd || !fs) {
		perror("bzreplay: temporary files");
	} else {
		write_data(fd, r, after, zones, nz);
		write_script(fs, r, r->before || after, zones, nz, data, png, title);
		if (!ferror(fd) && !ferror(fs) && !fflush(fd) && !fflush(fs))
			ret = run_gnuplot(gnuplot, script);
	}
	if (fd)
		fclose(fd);
	else if (dfd >= 0)
		close(dfd);
	if (fs)
		fclose(fs);
	else if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		unlink(data);
	if (sfd >= 0)
		unlink(script);
	return ret;
}
