#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bzrecord.sh - records the page allocator of this machine for bzreplay:
# the kmem events of one command, with /proc/buddyinfo, pagetypeinfo,
# zoneinfo and vmstat (and the tunables bzinfo --from-proc reads) taken
# just before and just after it, from inside the traced window.
#
#   tools/bzrecord.sh OUTDIR COMMAND [ARGS...]         (as root)
#
# Writes OUTDIR/trace.dat, OUTDIR/stats.txt (trace-cmd's per-CPU buffer
# counters), OUTDIR/before/ and OUTDIR/after/ (copies of the files under
# their own paths: before/proc/zoneinfo, before/proc/sys/vm/..., so that
# `bzinfo --proc-root OUTDIR/before --from-proc zoneinfo` reads them), and
# prints the checks that nothing was lost.  Each snapshot writes a marker
# into the trace (trace_marker "bzreplay: before"/"bzreplay: after"):
# bzreplay replays the events between the two.
#
# It works on a kernel in lockdown mode, where plain `trace-cmd record`
# fails ("Can't enable ftrace") and -d alone crashes: -d --no-filter with a
# command.  trace-cmd then exits 1 at clean-up with complete data; that exit
# status is ignored, the checks below are what counts.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 OUTDIR COMMAND [ARGS...]" >&2; exit 2; }
out=$1
shift
tracefs=/sys/kernel/tracing
[ -d $tracefs/events ] || mount -t tracefs nodev $tracefs
command -v trace-cmd > /dev/null || { echo "$0: needs trace-cmd (apt-get install trace-cmd)" >&2; exit 1; }
mkdir -p "$out"

# The snapshot script: run inside the traced command, so that what lies
# between the two markers is exactly what the trace holds.
cat > "$out/snapshot.sh" << 'EOF'
#!/bin/bash
# snapshot.sh DIR NAME: the allocator's /proc files and tunables into DIR/NAME.
# Read into memory first (bash builtins: no new process, no page cache),
# then the trace marker, then the files written: the snapshot is the state
# at the marker, and the pages that writing it allocates are in the trace.
set -eu
d=$1/$2
files=(/proc/buddyinfo /proc/pagetypeinfo /proc/zoneinfo /proc/vmstat
	/proc/sys/vm/{min_free_kbytes,watermark_scale_factor,watermark_boost_factor,lowmem_reserve_ratio}
	/proc/sys/vm/{percpu_pagelist_high_fraction,zone_reclaim_mode,numa_zonelist_order}
	/sys/kernel/mm/transparent_hugepage/enabled /sys/devices/system/node/node[0-9]*/cpulist)
declare -A text
for f in "${files[@]}"; do
	[[ -r $f ]] || continue
	mapfile -t lines < "$f"
	printf -v "text[$f]" "%s\n" "${lines[@]}"
done
echo "bzreplay: $2" > /sys/kernel/tracing/trace_marker
for f in "${!text[@]}"; do
	mkdir -p "$d${f%/*}"
	printf '%s' "${text[$f]}" > "$d$f"
done
EOF
chmod +x "$out/snapshot.sh"

# 20 MB per CPU: the default 1.4 MB overwrites events faster than they are read.
old_kb=$(cat $tracefs/buffer_size_kb)
set +e
trace-cmd record -d --no-filter -b 20000 -o "$out/trace.dat" \
	-e kmem:mm_page_alloc -e kmem:mm_page_free -e kmem:mm_page_free_batched \
	-e kmem:mm_page_alloc_zone_locked -e kmem:mm_page_pcpu_drain -e kmem:mm_page_alloc_extfrag \
	-- sh -c 's=$0 o=$1; shift; "$s" "$o" before && "$@"; rc=$?; "$s" "$o" after; exit $rc' \
	"$out/snapshot.sh" "$out" "$@" > "$out/record.log" 2>&1
rc=$?
set -e
echo "$old_kb" > $tracefs/buffer_size_kb
[ -s "$out/trace.dat" ] || { cat "$out/record.log" >&2; echo "$0: no trace.dat (exit $rc)" >&2; exit 1; }
[ -e "$out/after/proc/vmstat" ] || { echo "$0: the command failed; no after/ snapshot" >&2; exit 1; }
trace-cmd report -i "$out/trace.dat" --stat > "$out/stats.txt" 2> /dev/null || :

# ---- was anything lost? -------------------------------------------------------
echo "trace: $out/trace.dat ($(wc -c < "$out/trace.dat") bytes)"
awk '/^CPU:/ { cpu = $2 } /^overrun:|^dropped events:|^commit overrun:/ {
	v = $NF; if (v + 0 > 0) { bad = 1; print "LOST: CPU " cpu " " $0 } }
	END { if (!bad) print "ring buffer: no overrun, no dropped events on any CPU" }' "$out/stats.txt"
trace-cmd report -i "$out/trace.dat" 2> /dev/null | awk '
	/\[.*(LOST|DROPPED).*\]/ { lost++ }
	/bzreplay: before/ { on = 1 } /bzreplay: after/ { on = 0 }
	on && / mm_page_alloc: / && !/page=0x0 |page=\(nil\)|page=0+ / {
		for (i = 1; i <= NF; i++) if ($i ~ /^order=/) pages += 2 ^ substr($i, 7) }
	END { printf("lost-event markers in the trace: %d\n", lost)
	      printf("pages allocated between the snapshots, by the trace: %d\n", pages) }'
awk 'FNR == 1 { f++ } /^pgalloc_/ { v[f] += $2 }
	END { printf("pages allocated between the snapshots, by /proc/vmstat pgalloc_*: %d\n", v[2] - v[1]) }' \
	"$out/before/proc/vmstat" "$out/after/proc/vmstat"
echo "(equal counts: every allocation is in the trace; the vmstat figure is read a moment later, so it may exceed the trace by a few pages)"
