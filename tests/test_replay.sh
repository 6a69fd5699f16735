#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_replay.sh - bzreplay on the traces in tests/data: its summary against
# the same numbers worked out here, independently, from the trace text
# (an awk walk over the events); its CSV rows (pages add up to the zone in
# every row, the last row holds what is still live); the CSV input format;
# the refusals; and, with "plot", the PNG gnuplot draws (skipped, exit 77,
# where gnuplot is missing: .ci/run installs gnuplot-nox).
#
#   test_replay.sh BZREPLAY DATA_DIR [plot]
set -euo pipefail

bzreplay=$1
data=$2
mode=${3:-}
trace=$data/trace-synthetic.txt
zone_pages=16384
sys=(--zones "0:DMA32=$zone_pages" --topology "synthetic:node:1 core:2 pu:1")
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

if [[ $mode == plot ]]; then
	command -v "${GNUPLOT:-gnuplot}" > /dev/null || { echo "gnuplot not installed: skipped"; exit 77; }
	"$bzreplay" "${sys[@]}" --orders 3,9,10 --quiet --plot "$tmp/replay.png" "$trace" > /dev/null
	sig=$(head -c 8 "$tmp/replay.png" | od -An -tx1 | tr -d ' \n')
	expect "PNG signature" "$sig" "89504e470d0a1a0a"
	size=$(stat -c %s "$tmp/replay.png")
	((size > 20000)) || fail "a PNG of $size bytes cannot hold the two panels"
	echo "ok: $tmp/replay.png, $size bytes"
	exit 0
fi

# ---- the ftrace trace: what the events say, worked out without bzreplay ----
read -r events allocs frees unmatched missed tfailed blocks pages peak peak_ev < <(awk '
	function field(name,   i) {
		for (i = 1; i <= NF; i++)
			if (index($i, name "=") == 1)
				return substr($i, length(name) + 2)
		return ""
	}
	/ mm_page_alloc: / {
		if (field("page") ~ /^0+$/) { tfailed++; next }
		pfn = field("pfn"); o = field("order") + 0; ev++; allocs++
		if (pfn in live) { missed++; pages -= 2 ^ live[pfn]; blocks-- }
		live[pfn] = o; pages += 2 ^ o; blocks++
		if (pages > peak) { peak = pages; peak_ev = ev }
		next
	}
	/ mm_page_free(_batched)?: / {
		pfn = field("pfn"); ev++
		if (!(pfn in live)) { unmatched++; next }
		frees++; pages -= 2 ^ live[pfn]; blocks--; delete live[pfn]
	}
	END { printf("%d %d %d %d %d %d %d %d %d %d\n", ev, allocs, frees, unmatched, missed, tfailed, blocks, pages, peak, peak_ev) }
' "$trace")

"$bzreplay" "${sys[@]}" --quiet "$trace" > "$tmp/summary"
cat "$tmp/summary"
line() { grep -m1 "^$1" "$tmp/summary" || fail "no '$1' line"; }
expect "events" "$(line 'trace:')" "trace: $trace (ftrace, $events events)"
expect "allocations and frees" "$(line 'replayed:')" "replayed: $allocs allocations, $frees frees"
expect "failures (the zone holds the peak)" "$(line 'allocation failures:')" "allocation failures: 0"
expect "frees of earlier pages" "$(line 'frees of blocks allocated before')" \
	"frees of blocks allocated before the trace: $unmatched (skipped)"
expect "re-allocated pfns" "$(line 'allocations over a live block')" \
	"allocations over a live block (its free not traced): $missed"
expect "failed in the trace" "$(line 'failed in the traced kernel:')" \
	"failed in the traced kernel: $tfailed (not replayed)"
expect "live at the end" "$(line 'live at the end:')" "live at the end: $blocks blocks, $pages pages"
expect "peak" "$(line 'peak allocated:')" "peak allocated: $peak pages (after event $peak_ev)"
((events > 1000 && tfailed > 0 && unmatched > 0)) || fail "the trace lost its variety"

# ---- the CSV rows: every 100 events and the last --------------------------------
"$bzreplay" "${sys[@]}" --every 100 --orders 3,9 --csv - "$trace" > "$tmp/rows.csv" 2> "$tmp/summary2"
expect "CSV header" "$(head -1 "$tmp/rows.csv")" \
	"event,allocs,frees,fails,free,cached,allocated,nr_free_0,nr_free_1,nr_free_2,nr_free_3,nr_free_4,nr_free_5,nr_free_6,nr_free_7,nr_free_8,nr_free_9,nr_free_10,unusable_3,unusable_9,extfrag_3,extfrag_9"
expect "CSV rows" "$(($(wc -l < "$tmp/rows.csv") - 1))" "$((1 + events / 100 + (events % 100 > 0)))"
awk -F, -v total="$zone_pages" 'NR > 1 {
	if ($5 + $6 + $7 != total) { print "row " NR ": free+cached+allocated = " $5 + $6 + $7; exit 1 }
	for (i = 19; i <= 22; i++)
		if ($i !~ /^-?[01]\.[0-9][0-9][0-9]$/ || $i > 1 || $i < -1) { print "row " NR ": index " $i; exit 1 }
}' "$tmp/rows.csv" || fail "a CSV row does not add up"
echo "ok: free + cached + allocated = $zone_pages in every row, indices in [-1, 1]"
last=$(tail -1 "$tmp/rows.csv")
expect "last row: event" "$(cut -d, -f1 <<< "$last")" "$events"
expect "last row: allocated pages" "$(cut -d, -f7 <<< "$last")" "$pages"
grep -q '^live at the end:' "$tmp/summary2" || fail "with --csv -, the summary goes to stderr"

# ---- the table -----------------------------------------------------------------
"$bzreplay" "${sys[@]}" --orders 3,9 "$trace" > "$tmp/table"
head -1 "$tmp/table" | grep -q ' o10 .* unu3 .* frag9' || fail "table header: $(head -1 "$tmp/table")"
echo "ok: table"

# ---- CSV input -----------------------------------------------------------------
"$bzreplay" "${sys[@]}" --quiet "$data/trace-small.csv" > "$tmp/small"
cat "$tmp/small"
cp "$tmp/small" "$tmp/summary"
expect "CSV trace" "$(line 'trace:')" "trace: $data/trace-small.csv (csv, 12 events)"
expect "CSV replayed" "$(line 'replayed:')" "replayed: 8 allocations, 3 frees"
expect "CSV unknown flag" "$(line 'unknown gfp flags:')" "unknown gfp flags: 1 (ignored; the first: __GFP_MADE_UP)"
expect "CSV unmatched free" "$(line 'frees of blocks allocated before')" \
	"frees of blocks allocated before the trace: 1 (skipped)"
# ids 3 (order 9), 4 (0), 6 (10, __GFP_NOFAIL dropped), 7 (0), 8 (1) stay
expect "CSV live" "$(line 'live at the end:')" "live at the end: 5 blocks, 1540 pages"

# ---- refusals ------------------------------------------------------------------
set +e
"$bzreplay" "${sys[@]}" "$tmp/does-not-exist" > /dev/null 2> "$tmp/err"; rc=$?
set -e
expect "missing trace: exit status" "$rc" 1
grep -q 'does-not-exist' "$tmp/err" || fail "missing trace: $(cat "$tmp/err")"
printf '# nothing\nhello\n' > "$tmp/empty.txt"
set +e
"$bzreplay" "${sys[@]}" "$tmp/empty.txt" > /dev/null 2> "$tmp/err"; rc=$?
"$bzreplay" --every 0 "$trace" > /dev/null 2> "$tmp/err2"; rc2=$?
GNUPLOT=/nonexistent/gnuplot "$bzreplay" "${sys[@]}" --quiet --plot "$tmp/x.png" "$trace" > /dev/null 2> "$tmp/err3"; rc3=$?
set -e
expect "no events: exit status" "$rc" 1
grep -q 'holds no mm_page_alloc' "$tmp/err" || fail "no events: $(cat "$tmp/err")"
expect "bad option: exit status" "$rc2" 2
grep -q -- '--every' "$tmp/err2" || fail "bad option: $(cat "$tmp/err2")"
expect "no gnuplot: exit status" "$rc3" 1
grep -q 'needs gnuplot' "$tmp/err3" || fail "no gnuplot: $(cat "$tmp/err3")"
[[ ! -e "$tmp/x.png" ]] || fail "no gnuplot, yet a PNG"
echo "all bzreplay checks passed"
