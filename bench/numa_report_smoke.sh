#!/bin/sh
# SPDX-License-Identifier: MIT
#
# numa_report_smoke.sh - numa_report.sh in its short mode on an emulated
# 2-node topology, with tiny measurements: every section is there, the
# nodes are called emulated, the JSON has a scaling row for each thread
# count and allocator pattern, nothing failed, and the PNG is drawn.
# Times are not looked at.  Skipped (77) without jq or gnuplot.
#
#   bench/numa_report_smoke.sh NUMA_REPORT_SH BUILD_DIR
set -eu

[ $# -eq 2 ] || { echo "usage: numa_report_smoke.sh NUMA_REPORT_SH BUILD_DIR" >&2; exit 2; }
for tool in jq gnuplot; do
	command -v $tool >/dev/null || { echo "numa_report_smoke.sh: no $tool: skipped" >&2; exit 77; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

bash "$1" -b "$2" -t 'synthetic:numa:2 pu:1' -s -o "$out" -- --seconds 0.02 --expiry-seconds 1 \
	--node-mib 64 --max-threads 2 >"$out/stdout" 2>"$out/stderr"
fail() { echo "numa_report_smoke.sh: $*" >&2; cat "$out/stderr" >&2; exit 1; }
! grep -q 'failed operations' "$out/stderr" || fail "an allocation or free failed"
for section in 'The nodes are emulated' '### Local and remote' '### Producer on node A' 'Cross-node frees' \
	'### Scaling, order-0 pairs, threads filling node 0 first' '### Scaling, refill-heavy bursts, threads spread'; do
	grep -q "$section" "$out/report.md" || fail "no '$section' in the report"
done
[ "$(jq '.emulated' "$out/report.json")" = true ] || fail "JSON: not emulated"
[ "$(jq '.latency_ns | length' "$out/report.json")" = 2 ] || fail "JSON: no 2x2 matrix"
rows=$(jq '[.scaling[] | select(.allocator == "libbuddyzone")] | length' "$out/report.json")
[ "$rows" = 8 ] || fail "JSON: $rows libbuddyzone scaling rows, want 8 (2 counts x 2 patterns x 2 placements)"
[ -s "$out/report.png" ] || fail "no PNG"
echo "numa_report_smoke.sh: ok"
