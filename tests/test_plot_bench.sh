#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_plot_bench.sh - tools/plot_bench.sh on Google Benchmark JSON
# (tests/data/bench-sample.json: bzbench's own output, 3 repetitions with
# aggregates): the table it would draw (medians; means without aggregates;
# series by file, by name part, by regular expression), then the PNG where
# gnuplot is installed (.ci/run installs gnuplot-nox).
#
#   test_plot_bench.sh PLOT_BENCH_SH DATA_DIR
set -euo pipefail

plot=$1
sample=$2/bench-sample.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect NAME GOT WANT
expect() {
	[[ "$2" == "$3" ]] || fail "$1:"$'\n'"got:"$'\n'"$2"$'\n'"want:"$'\n'"$3"
	echo "ok: $1"
}

# The medians, as the JSON's *_median rows hold them (cpu_time, ns).
medians=$'group\tcpu_time
BM_buddy_alloc_free/0/1\t7.45379
BM_buddy_alloc_free/3/1\t16.9778
BM_buddy_alloc_free/4/1\t149.041
BM_buddy_alloc_free/9/1\t19.7251
BM_buddy_alloc_free/10/1\t82.9167'
expect "medians" "$(bash "$plot" -T "$sample")" "$medians"

# Without aggregates: the mean of the three runs (worked out here from the runs).
awk '/^    \{$/ { buf = $0; keep = 1; next }
     buf != "" { buf = buf "\n" $0; if ($0 ~ /"run_type": "aggregate"/) keep = 0
                 if ($0 ~ /^    \}/) { if (keep) { sub(/\},?$/, "},", buf); out = out buf "\n" } buf = "" } next }
     { if ($0 ~ /^  \]/) { sub(/,\n$/, "\n", out); printf("%s", out) } print }' "$sample" > "$tmp/runs.json"
grep -q '"aggregate"' "$tmp/runs.json" && fail "aggregates left in $tmp/runs.json"
want=$(awk '/"run_name": "BM_buddy_alloc_free\/4\/1"/ { on = 1 } on && /"cpu_time"/ { sub(/.*: /, ""); sub(/,/, ""); s += $0; n++; on = 0 }
	END { printf("%.6g", s / n) }' "$tmp/runs.json")
expect "mean of runs" "$(bash "$plot" -T "$tmp/runs.json" | awk -F '\t' '$1 == "BM_buddy_alloc_free/4/1" { print $2 }')" "$want"

# Two files: a series each, named after the file; the peer is twice as slow.
cp "$sample" "$tmp/libbuddyzone.json"
awk '/"cpu_time": / { match($0, /[0-9.e+-]+,?$/); v = substr($0, RSTART); c = v ~ /,$/ ? "," : ""; sub(/,$/, "", v)
	$0 = substr($0, 1, RSTART - 1) sprintf("%.17g", 2 * v) c } { print }' "$sample" > "$tmp/peer.json"
table=$(bash "$plot" -T "$tmp/libbuddyzone.json" "$tmp/peer.json")
expect "series by file" "$(head -1 <<< "$table")" $'group\tlibbuddyzone\tpeer'
awk -F '\t' 'NR > 1 && ($3 / $2 < 1.999 || $3 / $2 > 2.001) { print; bad = 1 } END { exit bad }' <<< "$table" ||
	fail "the peer's bars are not twice ours"
echo "ok: peer values"

# A part of the name as the series: the orders side by side in one group.
expect "series by name part" "$(bash "$plot" -T -s arg:1 "$sample")" $'group\t0\t3\t4\t9\t10
BM_buddy_alloc_free/1\t7.45379\t16.9778\t149.041\t19.7251\t82.9167'
expect "series by regex, filtered" "$(bash "$plot" -T -f '/(0|10)/' -s 're:/[0-9]+/' "$sample")" $'group\t0\t10
BM_buddy_alloc_free/1\t7.45379\t82.9167'
expect "items_per_second" "$(bash "$plot" -T -m items_per_second "$sample" | sed -n 2p | cut -f1)" \
	"BM_buddy_alloc_free/0/1"

set +e
bash "$plot" -T -m bogus "$sample" > /dev/null 2>&1; rc1=$?
bash "$plot" -T "$tmp/nothing.json" > /dev/null 2>&1; rc2=$?
bash "$plot" -T -f NoSuchBenchmark "$sample" > /dev/null 2> "$tmp/err"; rc3=$?
set -e
expect "bad metric" "$rc1" 2
expect "missing file" "$rc2" 1
expect "nothing matches" "$rc3" 1

if command -v "${GNUPLOT:-gnuplot}" > /dev/null; then
	bash "$plot" -o "$tmp/peers.png" -t "alloc+free" "$tmp/libbuddyzone.json" "$tmp/peer.json"
	expect "PNG signature" "$(head -c 8 "$tmp/peers.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a"
	(($(stat -c %s "$tmp/peers.png") > 10000)) || fail "PNG too small"
else
	echo "gnuplot not installed: PNG not drawn (the tables above were checked)"
fi
echo "all plot_bench checks passed"
