#!/bin/sh
# SPDX-License-Identifier: MIT
#
# gen_frag_trace.sh - writes a SYNTHETIC trace, in the kernel's ftrace text
# format as tools/gen_trace.sh writes it, that fragments the MODEL's zone
# where gen_trace.sh's does not: the model groups blocks by migratetype, so
# only movable memory freed at random leaves the holes that compaction
# exists for.  For bzreplay --compaction on|off and tests/test_replay_compaction.c.
#
#   tools/gen_frag_trace.sh [ZONE_PAGES [SEED]] | xz > tests/data/trace-fragmenting.txt.xz
#
# Made for a zone of ZONE_PAGES pages (default 4096, 16 MiB: replay it with
# --zones 0:DMA32=4096).  Four phases:
#   fill     anonymous faults (order 0, GFP_HIGHUSER_MOVABLE) up to 85% of
#            the zone, with a slab page (GFP_KERNEL) every 40 and network
#            buffers (GFP_ATOMIC, orders 0-1) freed soon after
#   scatter  a process exits: 55% of the anonymous pages, picked at random,
#            freed; every pageblock keeps pages, so no order-9 block is free
#   thp      order-9 requests among faults and frees, as many as free memory
#            would hold twice over: in turn khugepaged's (GFP_TRANSHUGE: async
#            compaction only, which gives up a pageblock at its first page
#            that is neither free nor movable, such as one in a per-CPU
#            cache) and the hugetlb pool's (alloc_buddy_hugetlb_folio():
#            __GFP_RETRY_MAYFAIL, so compaction escalates to sync)
#   shrink   a quarter of what is left freed
# pfns come from gen_trace.sh's model allocator (per-order LIFO reuse over
# a bump pointer): aligned and unique among live blocks.  Park-Miller random
# numbers in awk's doubles: the same trace from mawk or gawk.
set -eu

zone=${1:-4096}
seed=${2:-20261205}

awk -v ZONE="$zone" -v SEED="$seed" '
function rnd() { state = (state * 16807) % 2147483647; return state / 2147483647 }
function irand(n) { return int(rnd() * n) }

function take_pfn(o,   p) {
	if (nstack[o] > 0)
		return stack[o, --nstack[o]]
	p = bump
	if (p % (2 ^ o))
		p += 2 ^ o - p % (2 ^ o)
	bump = p + 2 ^ o
	return p
}
function give_pfn(p, o) { stack[o, nstack[o]++] = p }

function hashed(p) { return sprintf("%016x", (p * 40503 + 2654435) % 4294967291) }

function line(kind, rest) {
	now += 0.00002 + rnd() * 0.0002
	printf("%16s-%-7d [%03d] ..... %6d.%06d: %s: %s\n", task, tpid, irand(2), int(now),
	       int((now - int(now)) * 1000000), kind, rest)
}

# A block of pool q (a: anonymous, s: slab, n: network, t: THP).
function alloc(q, o, mt, gfp,   p) {
	p = take_pfn(o)
	line("mm_page_alloc", sprintf("page=%s pfn=0x%x order=%d migratetype=%d gfp_flags=%s", hashed(p), p, o, mt, gfp))
	lpfn[q, n[q]] = p
	lord[q, n[q]] = o
	n[q]++
}
function anon() { task = "firefox"; tpid = 2431; alloc("a", 0, 1, "GFP_HIGHUSER_MOVABLE|__GFP_ZERO") }
function slab() { task = "kworker/u8:3"; tpid = 214; alloc("s", 0, 0, "GFP_KERNEL") }
function net() { task = "ksoftirqd/1"; tpid = 22; alloc("n", irand(2), 0, "GFP_ATOMIC|__GFP_COMP") }
function thp() { task = "khugepaged"; tpid = 63; alloc("t", 9, 1, "GFP_TRANSHUGE") }
# A page for the hugetlb pool (echo N > nr_hugepages: alloc_buddy_hugetlb_folio()).
function htlb() { task = "bash"; tpid = 4412; alloc("t", 9, 1, "GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_RETRY_MAYFAIL|__GFP_NOWARN|__GFP_THISNODE") }

# Frees a random block of pool q (the last slot fills the hole).
function free_from(q,   i, p, o) {
	i = irand(n[q])
	p = lpfn[q, i]
	o = lord[q, i]
	n[q]--
	lpfn[q, i] = lpfn[q, n[q]]
	lord[q, i] = lord[q, n[q]]
	task = q == "n" ? "<idle>" : "firefox"
	tpid = q == "n" ? 0 : 2431
	line("mm_page_free", sprintf("page=%s pfn=0x%x order=%d", hashed(p), p, o))
	give_pfn(p, o)
}

BEGIN {
	state = SEED % 2147483646 + 1
	bump = 262144
	now = 7001.0
	n["a"] = n["s"] = n["n"] = n["t"] = 0
	print "# tracer: nop"
	print "#"
	print "# SYNTHETIC: written by tools/gen_frag_trace.sh " ZONE " " SEED ", not recorded from a kernel;"
	print "# made for a zone of " ZONE " pages (bzreplay --zones 0:DMA32=" ZONE ")"
	print "#"
	print "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION"
	print "#              | |         |   |||||     |         |"
	for (k = 0; n["a"] + n["s"] < ZONE * 0.85; k++) {
		if (k % 40 == 39)
			slab()
		else
			anon()
		if (irand(20) == 0)
			net()
		if (n["n"] > 0 && irand(3) == 0)
			free_from("n")
	}
	while (n["n"] > 0)
		free_from("n")
	for (goal = int(n["a"] * 0.45); n["a"] > goal; )
		free_from("a")
	free_pages = ZONE - n["a"] - n["s"]
	for (k = 0; k < int(free_pages / 512) * 2; k++) {
		now += 0.02     # khugepaged and the pool grow at their own pace
		if (k % 2)
			htlb()
		else
			thp()
		for (j = 0; j < 8; j++)
			if (irand(2))
				anon()
			else
				free_from("a")
	}
	for (goal = int((n["a"] + n["t"]) * 0.75); n["a"] + n["t"] > goal; )
		free_from(n["a"] == 0 || (n["t"] > 0 && irand(4) == 0) ? "t" : "a")
}'
