#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_replay.sh - bzreplay on the traces in tests/data, its figures against
# the same numbers counted here, independently, with awk over the trace text:
#   synthetic    tools/gen_trace.sh's trace (no kernel): summary, CSV rows
#   real         a real Linux 6.18 trace with /proc snapshots (trace-6.18/):
#                the kernel column of every kmem event, frees once, both modes
#                from the before-snapshot, the end state against the after one
#   tracedat     trace-cmd's trace.dat read through libtracecmd gives what its
#                text gives (tracedat=0: the build has no libtracecmd; the
#                refusal is checked instead)
#   loss         a real trace that lost events: the warnings
#   misc         the CSV format, the refusals
#   compaction   --compaction on|off on a trace that fragments the model's zone
#   plot         the PNG (skipped, exit 77, without gnuplot)
#
#   test_replay.sh BZREPLAY DATA_DIR PART [tracedat=0|1]
set -euo pipefail

bzreplay=$1
data=$2
part=$3
tracedat=${4:-tracedat=0}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect NAME GOT WANT
expect() {
	[[ "$2" == "$3" ]] || fail "$1: bzreplay says '$2', the trace says '$3'"
	echo "ok: $1 = $3"
}

line() { grep -m1 -- "$1" "$tmp/out" || fail "no '$1' line in: $(head -30 "$tmp/out")"; }

# "  NAME   KERNEL   MODEL  note" of the side-by-side table: the kernel's and the model's columns.
col() {
	awk -v what="$1" -v c="$2" 'index($0, "  " what " ") == 1 || index($0, "  " what "  ") == 1 {
		n = split(substr($0, length(what) + 3), f, " "); print f[c]; exit }' "$tmp/out"
}

synthetic() {
	local trace=$data/trace-synthetic.txt zone_pages=16384
	local sys=(--zones "0:DMA32=$zone_pages" --topology "synthetic:node:1 core:2 pu:1")

	# What the events say, worked out without bzreplay (this old-style trace has
	# only batched frees, none repeating an mm_page_free: each is a free).
	read -r allocs frees unmatched missed tfailed blocks pages < <(awk '
		function field(name,   i) {
			for (i = 1; i <= NF; i++)
				if (index($i, name "=") == 1)
					return substr($i, length(name) + 2)
			return ""
		}
		/ mm_page_alloc: / {
			if (field("page") ~ /^0+$/) { tfailed++; next }
			pfn = field("pfn"); o = field("order") + 0; allocs++
			if (pfn in live) { missed++; pages -= 2 ^ live[pfn]; blocks-- }
			live[pfn] = o; pages += 2 ^ o; blocks++
			next
		}
		/ mm_page_free(_batched)?: / {
			pfn = field("pfn"); frees++
			if (!(pfn in live)) { unmatched++; next }
			pages -= 2 ^ live[pfn]; blocks--; delete live[pfn]
		}
		END { printf("%d %d %d %d %d %d %d\n", allocs, frees, unmatched, missed, tfailed, blocks, pages) }
	' "$trace")

	"$bzreplay" "${sys[@]}" "$trace" > "$tmp/out"
	cat "$tmp/out"
	expect "allocations" "$(col allocations 1)" "$allocs"
	expect "model allocations" "$(col allocations 2)" "$allocs"
	expect "frees" "$(col 'frees (each once)' 1)" "$frees"
	expect "failed in the kernel" "$(line 'failed in the traced kernel:')" "failed in the traced kernel: $tfailed (not replayed)"
	expect "frees of earlier blocks" "$(line 'frees of blocks not allocated')" \
		"frees of blocks not allocated in the window: $unmatched (skipped: without a snapshot the model never had them)"
	expect "re-allocated pfns" "$(line 'allocations over a live block')" \
		"allocations over a live block (its free not traced): $missed"
	expect "live at the end" "$(line 'live at the end:')" "live at the end: $blocks blocks, $pages pages"
	((allocs > 1000 && tfailed > 0 && unmatched > 0)) || fail "the trace lost its variety"

	# The CSV rows: every zone's pages add up in every row; the indices are indices.
	"$bzreplay" "${sys[@]}" --interval 50 --csv - "$trace" > "$tmp/rows.csv" 2> "$tmp/summary2"
	head -1 "$tmp/rows.csv" | grep -q '^time_s,zone,event,free,cached,allocated,nr_free_0,.*,nr_free_10,unusable_0,.*,unusable_10,extfrag_0,.*,extfrag_10,failed,failed_costly,compact_stall,compact_success,compact_fail,pgmigrate_success,pgmigrate_fail,compact_daemon_wake$' ||
		fail "CSV header: $(head -1 "$tmp/rows.csv")"
	awk -F, -v total="$zone_pages" 'NR > 1 {
		if ($4 + $5 + $6 != total) { print "row " NR ": free+cached+allocated = " $4 + $5 + $6; exit 1 }
		for (i = 18; i <= 39; i++)
			if ($i !~ /^-?[0-9]\.[0-9][0-9][0-9]$/ || $i > 1 || $i < -1) { print "row " NR ": index " $i; exit 1 }
		rows++
	} END { if (rows < 10) { print rows " rows"; exit 1 } }' "$tmp/rows.csv" || fail "CSV rows"
	echo "ok: CSV: free + cached + allocated = $zone_pages in every row, indices in [-1, 1]"
	grep -q '^live at the end:' "$tmp/summary2" || fail "with --csv -, the summary goes to stderr"
	"$bzreplay" "${sys[@]}" --table --orders 3,9 "$trace" > "$tmp/table"
	grep -q ' o10 .* unu3 .* frag9' "$tmp/table" || fail "table header"
	echo "ok: table"
}

# The kernel's figures between the snapshot markers, counted by awk.
real_counts() {
	xz -dc "$1" | awk '
		/bzreplay: before/ { on = 1; next }
		/bzreplay: after/ { on = 0 }
		!on { next }
		/ mm_page_alloc: / {
			a++
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^order=/) o = substr($i, 7)
				if ($i ~ /^migratetype=/) mt = substr($i, 13)
			}
			pages += 2 ^ o; n[o " " mt]++
		}
		/ mm_page_free: / { f++ }
		/ mm_page_free_batched: / { b++ }
		/ mm_page_alloc_zone_locked: / { z++ }
		/ mm_page_pcpu_drain: / { d++ }
		/ mm_page_alloc_extfrag: / { e++; c += /change_ownership=1/ }
		END { printf("%d %d %d %d %d %d %d %d %d %d\n", a, pages, f, b, z, d, e, c, n["0 1"], n["2 0"]) }'
}

real() {
	local dir=$data/trace-6.18 trace=$data/trace-6.18/trace.txt.xz
	read -r allocs pages frees batched zlocked drains extfrag claimed o0mov o2unmov < <(real_counts "$trace")
	((allocs > 50000 && batched > 10000 && drains > 1000 && extfrag > 0)) || fail "the trace lost its variety"

	for mode in policy exact; do
		"$bzreplay" --mode $mode --before "$dir/before" --after "$dir/after" --stats "$dir/stats.txt" \
			"$trace" > "$tmp/out" 2> "$tmp/err"
		cat "$tmp/out"
		[[ ! -s $tmp/err ]] || fail "$mode: stderr: $(cat "$tmp/err")"
		expect "$mode: allocations" "$(col allocations 1)" "$allocs"
		expect "$mode: pages allocated" "$(col 'pages allocated' 1)" "$pages"
		expect "$mode: order 0 Movable" "$(col '  order 0 Movable' 1)" "$o0mov"
		expect "$mode: order 2 Unmovable" "$(col '  order 2 Unmovable' 1)" "$o2unmov"
		# free_unref_folios emits mm_page_free, then mm_page_free_batched again: once each.
		expect "$mode: frees, each once" "$(col 'frees (each once)' 1)" "$frees"
		expect "$mode: batched repeats" "$(line 'mm_page_free_batched:')" \
			"mm_page_free_batched: $batched, of which $batched repeat an mm_page_free (free_unref_folios; counted once)"
		expect "$mode: zone_locked" "$(col 'blocks taken by __rmqueue_smallest' 1)" "$zlocked"
		expect "$mode: pcpu_drain" "$(col 'blocks drained from per-CPU lists' 1)" "$drains"
		expect "$mode: extfrag" "$(col "fallbacks to another type's block" 1)" "$extfrag"
		expect "$mode: claimed" "$(col '  of which claimed the pageblock' 1)" "$claimed"
		# Policy: the model allocated what the kernel did (nothing failed here); exact:
		# the allocations whose blocks the model's lists held (the others are counted).
		if [[ $mode == policy ]]; then
			expect "$mode: model allocations" "$(col allocations 2)" "$allocs"
		else
			local followed conflicts
			followed=$(col allocations 2)
			conflicts=$(sed -n 's/^exact: events the model.s lists disagreed with: \([0-9]*\) .*/\1/p' "$tmp/out")
			((followed + conflicts >= allocs && followed * 100 >= allocs * 95)) ||
				fail "exact: $followed of $allocs allocations followed, $conflicts conflicts"
			echo "ok: exact: $followed of $allocs allocations followed ($conflicts events disagreed)"
		fi
		grep -q '^Node 0, zone Normal: free blocks per order and migratetype' "$tmp/out" || fail "$mode: no end-state table"
		cp "$tmp/out" "$tmp/$mode"
	done
	# Policy mode: the model's own fallbacks and pcp work, counted by the library.
	[[ $(awk '/blocks taken by __rmqueue_smallest/ { print $(NF - 1) }' "$tmp/policy") -gt 1000 ]] ||
		fail "policy: the model's mm_page_alloc_zone_locked count"
	# Exact mode follows the kernel's claims: the pageblocks end as the kernel's did.
	awk '/zone Normal: free blocks/ { z = 1 } z && /^  after / { a = $0 } z && /^  model / { m = $0 }
		END { sub(/after/, "", a); sub(/model/, "", m); if (a != m) { print a; print m; exit 1 } }' "$tmp/exact" ||
		fail "exact: Normal's pageblocks differ from the after-snapshot"
	echo "ok: exact: Normal's pageblocks per migratetype are the after-snapshot's"
	# ... and its free pages end within 1% of the kernel's.
	awk '/zone Normal: free blocks/ { z = 1 } z && /free pages: kernel after/ {
		k = $5 + 0; m = $7 + 0; d = m - k; if (d < 0) d = -d; if (d * 100 > k) { print; exit 1 } exit }' "$tmp/exact" ||
		fail "exact: Normal's free pages far from the after-snapshot"
	echo "ok: exact: Normal's free pages within 1% of the after-snapshot's"
}

tracedat() {
	local dir=$data/trace-6.18-small
	if [[ $tracedat != tracedat=1 ]]; then
		set +e
		"$bzreplay" "$dir/trace.dat" > /dev/null 2> "$tmp/err"; rc=$?
		set -e
		expect "trace.dat without libtracecmd: exit status" "$rc" 1
		grep -q 'built without libtracecmd' "$tmp/err" || fail "$(cat "$tmp/err")"
		return 0
	fi
	"$bzreplay" --before "$dir/before" --after "$dir/after" "$dir/trace.dat" > "$tmp/dat"
	"$bzreplay" --before "$dir/before" --after "$dir/after" "$dir/trace.txt.xz" > "$tmp/txt"
	grep -q '^trace: .*trace.dat (trace.dat, ' "$tmp/dat" || fail "not read as trace.dat: $(head -1 "$tmp/dat")"
	diff <(sed 1d "$tmp/dat") <(sed 1d "$tmp/txt") || fail "trace.dat and its text replay differently"
	echo "ok: trace.dat through libtracecmd replays exactly as its trace-cmd report text ($(wc -l < "$tmp/dat") lines)"
	# A trace.dat through a pipe: read as text would fail; named, it is found by its magic.
	cp "$dir/trace.dat" "$tmp/renamed.txt"
	"$bzreplay" --quiet "$tmp/renamed.txt" | grep -q '(trace.dat, ' || fail "trace.dat magic"
	echo "ok: trace.dat found by its magic"
}

loss() {
	local dir=$data/trace-6.18-lossy
	"$bzreplay" --quiet --stats "$dir/stats.txt" "$dir/trace.txt.xz" > "$tmp/out" 2> "$tmp/err"
	cat "$tmp/err"
	grep -q 'the ring buffer held 4504 of 76610 events written: 72106 were overwritten' "$tmp/err" || fail "entries"
	grep -q '1 CPU buffer(s) "started" late' "$tmp/err" || fail "buffer started"
	grep -q 'the CPU buffers report 72106 overrun and 0 dropped events' "$tmp/err" || fail "overrun"
	echo "ok: loss warnings"
	# A complete trace warns of nothing.
	"$bzreplay" --quiet --stats "$data/trace-6.18/stats.txt" "$data/trace-6.18-small/trace.txt.xz" > /dev/null 2> "$tmp/err"
	[[ ! -s $tmp/err ]] || fail "warnings for a complete trace: $(cat "$tmp/err")"
	# Lost-event lines as trace_pipe and trace-cmd report print them, and tracing_on 0.
	{ echo "CPU:1 [LOST 17 EVENTS]"; echo "CPU:0 [5 EVENTS DROPPED]"; xz -dc "$data/trace-6.18-small/trace.txt.xz"; } > "$tmp/lost.txt"
	printf 'CPU: 0\noverrun: 0\ndropped events: 0\ntracing_on: 0\n' > "$tmp/stats"
	"$bzreplay" --quiet --stats "$tmp/stats" "$tmp/lost.txt" > /dev/null 2> "$tmp/err"
	grep -q 'marks 2 place(s) where events were lost (22 events counted)' "$tmp/err" || fail "$(cat "$tmp/err")"
	grep -q 'tracing_on was 0' "$tmp/err" || fail "tracing_on: $(cat "$tmp/err")"
	echo "ok: [LOST n EVENTS], [n EVENTS DROPPED], tracing_on 0"
}

misc() {
	local sys=(--zones "0:DMA32=16384" --topology "synthetic:node:1 core:2 pu:1") trace=$data/trace-synthetic.txt
	"$bzreplay" "${sys[@]}" --quiet "$data/trace-small.csv" > "$tmp/out"
	cat "$tmp/out"
	expect "CSV trace" "$(line 'trace:')" "trace: $data/trace-small.csv (csv, 12 events, 0.011 s, 1 CPU)"
	expect "CSV unknown flag" "$(line 'unknown gfp flags:')" "unknown gfp flags: 1 (ignored; the first: __GFP_MADE_UP)"
	# ids 3 (order 9), 4 (0), 6 (10, __GFP_NOFAIL dropped), 7 (0), 8 (1) stay
	expect "CSV live" "$(line 'live at the end:')" "live at the end: 5 blocks, 1540 pages"

	set +e
	"$bzreplay" "${sys[@]}" "$tmp/does-not-exist" > /dev/null 2> "$tmp/err"; rc=$?
	printf '# nothing\nhello\n' > "$tmp/empty.txt"
	"$bzreplay" "${sys[@]}" "$tmp/empty.txt" > /dev/null 2> "$tmp/err1"; rc1=$?
	"$bzreplay" --interval 0 "$trace" > /dev/null 2> "$tmp/err2"; rc2=$?
	GNUPLOT=/nonexistent/gnuplot "$bzreplay" "${sys[@]}" --quiet --plot "$tmp/x.png" "$trace" > /dev/null 2> "$tmp/err3"; rc3=$?
	"$bzreplay" --mode exact "$trace" > /dev/null 2> "$tmp/err4"; rc4=$?
	"$bzreplay" --before "$data/trace-6.18/before" --zones 0:Normal=100 "$trace" > /dev/null 2> "$tmp/err5"; rc5=$?
	"$bzreplay" --before "$tmp" "$trace" > /dev/null 2> "$tmp/err6"; rc6=$?
	set -e
	expect "missing trace: exit status" "$rc" 1
	grep -q 'does-not-exist' "$tmp/err" || fail "missing trace: $(cat "$tmp/err")"
	expect "no events: exit status" "$rc1" 1
	grep -q 'holds no kmem page events' "$tmp/err1" || fail "no events: $(cat "$tmp/err1")"
	expect "bad option: exit status" "$rc2" 2
	grep -q -- '--interval' "$tmp/err2" || fail "bad option: $(cat "$tmp/err2")"
	expect "no gnuplot: exit status" "$rc3" 1
	grep -q 'needs gnuplot' "$tmp/err3" || fail "no gnuplot: $(cat "$tmp/err3")"
	[[ ! -e "$tmp/x.png" ]] || fail "no gnuplot, yet a PNG"
	expect "exact without a snapshot: exit status" "$rc4" 2
	grep -q 'needs --before' "$tmp/err4" || fail "$(cat "$tmp/err4")"
	expect "--before with --zones: exit status" "$rc5" 2
	expect "--before without snapshot files: exit status" "$rc6" 1
	grep -q 'proc/zoneinfo' "$tmp/err6" || fail "$(cat "$tmp/err6")"
}

# bzreplay --compaction on|off on a trace that fragments the model's zone
# (tools/gen_frag_trace.sh): the summary, the CSV's cumulative columns, the refusal.
compaction() {
	local trace=$data/trace-fragmenting.txt.xz sys=(--zones 0:DMA32=4096)
	local failed_costly=() migrated=()

	for c in off on; do
		"$bzreplay" "${sys[@]}" --compaction $c --csv "$tmp/$c.csv" "$trace" > "$tmp/out"
		cat "$tmp/out"
		read -r failed costly < <(sed -n 's/^model allocations failed: \([0-9]*\), of which above order 3 (costly): \([0-9]*\)$/\1 \2/p' "$tmp/out")
		mig=$(sed -n 's/^compaction: .*pgmigrate_success \([0-9]*\),.*/\1/p' "$tmp/out")
		[[ -n $costly && -n $mig ]] || fail "$c: no failure or compaction line"
		expect "$c: frees the library refused" "$(line 'movable blocks:' | sed 's/.*frees it refused: //')" 0
		# The CSV's last row holds the summary's counts; every column only grows.
		awk -F, -v f="$failed" -v fc="$costly" -v m="$mig" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			{ for (n in col) if (n ~ /^(failed|failed_costly|compact_|pgmigrate_)/ && $col[n] < last[n]) {
				print "row " NR ": " n " went down"; exit 1 }
			  for (n in col) last[n] = $col[n] }
			END { if (last["failed"] != f || last["failed_costly"] != fc || last["pgmigrate_success"] != m) {
				print "last row: " last["failed"] " " last["failed_costly"] " " last["pgmigrate_success"]; exit 1 } }' \
			"$tmp/$c.csv" || fail "$c: CSV columns"
		failed_costly+=("$costly")
		migrated+=("$mig")
	done
	expect "off: pages migrated" "${migrated[0]}" 0
	((failed_costly[0] >= 4)) || fail "off: only ${failed_costly[0]} order-9 failures: the trace no longer fragments"
	((migrated[1] > 0)) || fail "on: no page migrated"
	((failed_costly[1] < failed_costly[0])) || fail "on: ${failed_costly[1]} failures, off: ${failed_costly[0]}"
	echo "ok: order > 3 failures off ${failed_costly[0]}, on ${failed_costly[1]}; pages migrated on: ${migrated[1]}"
	set +e
	"$bzreplay" "${sys[@]}" --compaction maybe "$trace" > /dev/null 2> "$tmp/err"; rc=$?
	set -e
	expect "bad --compaction: exit status" "$rc" 2
	grep -q -- "--compaction: 'maybe'" "$tmp/err" || fail "bad --compaction: $(cat "$tmp/err")"
}

plot() {
	command -v "${GNUPLOT:-gnuplot}" > /dev/null || { echo "gnuplot not installed: skipped"; exit 77; }
	local dir=$data/trace-6.18-small
	"$bzreplay" --quiet --mode exact --before "$dir/before" --after "$dir/after" --plot "$tmp/replay.png" \
		"$dir/trace.txt.xz" > /dev/null
	sig=$(head -c 8 "$tmp/replay.png" | od -An -tx1 | tr -d ' \n')
	expect "PNG signature" "$sig" "89504e470d0a1a0a"
	size=$(stat -c %s "$tmp/replay.png")
	((size > 40000)) || fail "a PNG of $size bytes cannot hold three rows of panels"
	echo "ok: $tmp/replay.png, $size bytes"
}

case $part in
synthetic | real | tracedat | loss | misc | compaction | plot) "$part" ;;
*) fail "unknown part '$part'" ;;
esac
echo "all bzreplay $part checks passed"
