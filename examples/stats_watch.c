/* SPDX-License-Identifier: MIT */
/*
 * stats_watch.c - a process worth watching with bzstat.  It builds a system
 * (512 MiB: DMA32 and Normal) that publishes its statistics, then for N
 * seconds (default 10) grows and shrinks a working set of blocks of mixed
 * orders and gfp flags, in waves, so that bzstat's free, alloc and
 * pgalloc/pgfree columns move:
 *
 *     ./stats_watch 30 &
 *     bzstat -p $! 1
 *
 * With "until-eof" instead of a number of seconds it runs until its
 * standard input ends (a test closes the pipe when it wants it to exit).
 * BUDDYZONE_STATS_INTERVAL_MS changes how often the statistics refresh.
 * Exits 0 when every allocation it expected to succeed did and bz_check
 * holds at the end.
 */
#include <buddyzone/buddyzone.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <stdbool.h>
#include <unistd.h>

#define SLOTS 4096
#define WAVE_SECONDS 4.0

struct slot {
	bz_page *page;
	unsigned order;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Mostly single pages, some small high-order blocks, rarely a pageblock. */
static void pick(unsigned r, unsigned *order, bz_gfp_t *gfp)
{
	static const bz_gfp_t flags[] = { BZ_GFP_KERNEL, BZ_GFP_HIGHUSER_MOVABLE, BZ_GFP_KERNEL | BZ_GFP_RECLAIMABLE };

	*gfp = flags[r % 3];
	r /= 3;
	if (r % 100 < 75)
		*order = 0;
	else if (r % 100 < 97)
		*order = 1 + r % 3;
	else
		*order = r % 2 ? 4 : 9;
}

/* The working set's target size follows a triangle wave between 5% and 95% of the slots. */
static int target(double t)
{
	double phase = t / WAVE_SECONDS - (long)(t / WAVE_SECONDS);
	double level = phase < 0.5 ? phase * 2 : 2 - phase * 2;

	return (int)(SLOTS * (0.05 + 0.9 * level));
}

/* until-eof: has standard input ended?  (Data is read and dropped.) */
static bool input_ended(void)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	char buf[64];

	if (poll(&pfd, 1, 0) <= 0)
		return false;
	return read(0, buf, sizeof(buf)) <= 0;
}

static void step(bz_system *sys, struct slot *slots, int *live, int want, unsigned *seed)
{
	unsigned r = (unsigned)rand_r(seed);
	int i = (int)(r % SLOTS);
	bz_gfp_t gfp;

	if (*live < want && !slots[i].page) {
		pick(r / SLOTS, &slots[i].order, &gfp);
		slots[i].page = bz_alloc_pages(sys, gfp | BZ_GFP_NOWARN, slots[i].order);
		*live += slots[i].page != NULL;
	} else if (*live > want && slots[i].page) {
		bz_free_pages(slots[i].page, slots[i].order);
		slots[i].page = NULL;
		(*live)--;
	}
}

int main(int argc, char **argv)
{
	static struct slot slots[SLOTS];
	const struct timespec nap = { 0, 2000000 };
	bool until_eof = argc > 1 && !strcmp(argv[1], "until-eof");
	double seconds = until_eof ? 0 : argc > 1 ? atof(argv[1]) : 10, start;
	struct bz_config cfg;
	unsigned seed = 1;
	bz_system *sys;
	int live = 0, err;

	bz_config_init(&cfg);
	cfg.zones = "0:DMA32=65536,0:Normal=65536";
	cfg.publish_stats = 1;
	err = bz_system_create(&cfg, &sys);
	if (err) {
		fprintf(stderr, "stats_watch: bz_system_create: %s\n", bz_strerror(err));
		return 1;
	}
	if (until_eof)
		printf("stats_watch: pid %ld publishes until its input ends; watch it with: bzstat -p %ld 1\n",
		       (long)getpid(), (long)getpid());
	else
		printf("stats_watch: pid %ld publishes for %.0f s; watch it with: bzstat -p %ld 1\n",
		       (long)getpid(), seconds, (long)getpid());
	fflush(stdout);
	start = now_s();
	while (until_eof ? !input_ended() : now_s() - start < seconds) {
		int want = target(now_s() - start);

		for (int k = 0; k < 2000; k++)
			step(sys, slots, &live, want, &seed);
		nanosleep(&nap, NULL);
	}
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].page)
			bz_free_pages(slots[i].page, slots[i].order);
	err = bz_check(sys);
	if (err)
		fprintf(stderr, "stats_watch: bz_check: %s\n", bz_strerror(err));
	bz_system_destroy(sys);
	return err ? 1 : 0;
}
