#!/bin/sh
# SPDX-License-Identifier: MIT
#
# gen_trace.sh - writes a SYNTHETIC allocation trace in the kernel's ftrace
# text format (kmem:mm_page_alloc, mm_page_free, mm_page_free_batched, as
# include/trace/events/kmem.h prints them), for bzreplay and its tests.
#
#   tools/gen_trace.sh [EVENTS [SEED]] > tests/data/trace-synthetic.txt
#
# No kernel produced it: it models a desktop-like mix in three phases,
# growth (allocation-heavy), churn, and shrink (free-heavy), so that the
# long-lived unmovable and reclaimable blocks allocated during the churn are
# left pinned when the movable memory around them goes, which is how real
# fragmentation arises.  Requests, by share of allocations:
#   50% order 0   GFP_HIGHUSER_MOVABLE|__GFP_ZERO  (anonymous and page cache)
#   13% order 0   GFP_KERNEL                       (slab pages, long-lived)
#    8% order 1-3 GFP_KERNEL|__GFP_COMP            (high-order slab, long-lived)
#   10% order 0   GFP_KERNEL|__GFP_RECLAIMABLE     (dentries, inodes)
#   12% order 0-3 GFP_ATOMIC|__GFP_COMP            (network buffers, freed soon)
#    5% order 0   GFP_KERNEL_ACCOUNT|__GFP_ZERO    (page tables)
#    2% order 9   GFP_TRANSHUGE                    (transparent huge pages)
# plus a few frees of pages allocated before tracing began, batched frees,
# and two failed atomic allocations, as real traces have.  Its batched frees
# stand alone, as the only event of their free; a 6.x kernel emits each after
# an mm_page_free of the same page (free_unref_folios), which bzreplay counts
# once.  For a real trace, with its /proc snapshots, see tools/bzrecord.sh
# and tests/data/trace-6.18/.  pfns come from a
# simple model allocator (per-order LIFO reuse over a bump pointer), so they
# are aligned and unique among live blocks.  The random numbers are the
# Park-Miller generator in awk's doubles: the same trace from mawk or gawk.
set -eu

events=${1:-6000}
seed=${2:-20250101}

awk -v EVENTS="$events" -v SEED="$seed" '
function rnd() { state = (state * 16807) % 2147483647; return state / 2147483647 }
function irand(n) { return int(rnd() * n) }

# The model allocator: a freed block of order o is reused first (LIFO).
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

# What the kernel prints for %p: a hashed, zero-padded 64-bit value.
function hashed(p) { return sprintf("%016x", (p * 40503 + 2654435) % 4294967291) }

function stamp() {
	now += 0.000003 + rnd() * 0.0004
	return sprintf("%6d.%06d", int(now), int((now - int(now)) * 1000000))
}

function line(kind, rest,   cpu) {
	cpu = irand(4)
	printf("%16s-%-7d [%03d] ..... %s: %s: %s\n", task, tpid, cpu, stamp(), kind, rest)
	written++
}

function pick_kind(   r) {
	r = irand(100)
	if (r < 50) { order = 0; mt = 1; gfp = "GFP_HIGHUSER_MOVABLE|__GFP_ZERO"; life = "long"; task = "firefox"; tpid = 2431; return }
	if (r < 63) { order = 0; mt = 0; gfp = "GFP_KERNEL"; life = "pinned"; task = "kworker/u8:3"; tpid = 214; return }
	if (r < 71) { order = 1 + irand(3); mt = 0; gfp = "GFP_KERNEL|__GFP_COMP"; life = "pinned"; task = "systemd-journal"; tpid = 388; return }
	if (r < 81) { order = 0; mt = 2; gfp = "GFP_KERNEL|__GFP_RECLAIMABLE"; life = "pinned"; task = "find"; tpid = 3011; return }
	if (r < 93) { order = irand(4); mt = 0; gfp = "GFP_ATOMIC|__GFP_COMP"; life = "short"; task = "ksoftirqd/1"; tpid = 22; return }
	if (r < 98) { order = 0; mt = 0; gfp = "GFP_KERNEL_ACCOUNT|__GFP_ZERO"; life = "long"; task = "bash"; tpid = 4412; return }
	order = 9; mt = 1; gfp = "GFP_TRANSHUGE"; life = "long"; task = "khugepaged"; tpid = 63
}

function alloc(   p) {
	pick_kind()
	p = take_pfn(order)
	line("mm_page_alloc", sprintf("page=%s pfn=0x%x order=%d migratetype=%d gfp_flags=%s", hashed(p), p, order, mt, gfp))
	pool = life == "short" ? "s" : life == "pinned" ? "p" : "l"
	lpfn[pool, n[pool]] = p
	lord[pool, n[pool]] = order
	n[pool]++
}

# Frees one block of pool q (a random one; the last slot fills the hole).
function free_from(q,   i, p, o) {
	i = irand(n[q])
	p = lpfn[q, i]
	o = lord[q, i]
	n[q]--
	lpfn[q, i] = lpfn[q, n[q]]
	lord[q, i] = lord[q, n[q]]
	task = q == "s" ? "<idle>" : "firefox"
	tpid = q == "s" ? 0 : 2431
	if (o == 0 && irand(10) == 0)
		line("mm_page_free_batched", sprintf("page=%s pfn=0x%x order=0", hashed(p), p))
	else
		line("mm_page_free", sprintf("page=%s pfn=0x%x order=%d", hashed(p), p, o))
	give_pfn(p, o)
}

# Network buffers go first; during the shrink, pinned blocks mostly stay.
function free_one(phase,   r) {
	if (n["s"] > 0 && irand(100) < 75)
		return free_from("s")
	r = irand(100)
	if (n["p"] > 0 && r < (phase == 3 ? 3 : 12))
		return free_from("p")
	if (n["l"] > 0)
		return free_from("l")
	if (n["s"] > 0)
		return free_from("s")
	if (n["p"] > 0)
		return free_from("p")
	alloc()
}

BEGIN {
	state = SEED % 2147483646 + 1
	bump = 262144              # pfn 0x40000, 1 GiB
	now = 5012.0
	n["s"] = n["l"] = n["p"] = 0
	print "# tracer: nop"
	print "#"
	printf("# entries-in-buffer/entries-written: %d/%d   #P:4\n", EVENTS, EVENTS)
	print "#"
	print "# SYNTHETIC: written by tools/gen_trace.sh " EVENTS " " SEED ", not recorded from a kernel"
	print "#"
	print "#                                _-----=> irqs-off/BH-disabled"
	print "#                               / _----=> need-resched"
	print "#                              | / _---=> hardirq/softirq"
	print "#                              || / _--=> preempt-depth"
	print "#                              ||| / _-=> migrate-disable"
	print "#                              |||| /     delay"
	print "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION"
	print "#              | |         |   |||||     |         |"
	while (written < EVENTS) {
		phase = written < EVENTS * 0.4 ? 1 : written < EVENTS * 0.75 ? 2 : 3
		if (written == int(EVENTS * 0.1) || written == int(EVENTS * 0.6)) {
			# Atomic order-3 requests that failed in the traced kernel.
			task = "ksoftirqd/0"; tpid = 14
			line("mm_page_alloc", "page=0000000000000000 pfn=0x0 order=3 migratetype=0 gfp_flags=GFP_NOWAIT|__GFP_COMP|__GFP_NOWARN")
			continue
		}
		if (irand(200) == 0) {
			# A page allocated before tracing began.
			task = "kswapd0"; tpid = 71
			p = 65536 + irand(65536)
			line("mm_page_free", sprintf("page=%s pfn=0x%x order=0", hashed(p), p))
			continue
		}
		r = irand(100)
		if ((phase == 1 && r < 72) || (phase == 2 && r < 50) || (phase == 3 && r < 25))
			alloc()
		else
			free_one(phase)
	}
}'
