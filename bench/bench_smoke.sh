#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench_smoke.sh - the side-by-side and buddy benchmarks run once, briefly,
# as a test: every scenario of every allocator that loads must finish
# without a failed allocation or free (Google Benchmark's error_occurred),
# and count_pairs must run.  Times are not looked at.
#
#   bench/bench_smoke.sh BZBENCH COUNT_PAIRS
set -eu

[ $# -eq 2 ] || { echo "usage: bench_smoke.sh BZBENCH COUNT_PAIRS" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$1" --benchmark_min_time=0.001 \
	--benchmark_filter='^BM_(harness_floor|pair|burst|liveset|prodcons|zeroed|pair_threads|buddy_batch|compaction_order9)[/_]?' \
	--benchmark_out="$out" --benchmark_out_format=json >/dev/null
if grep -q '"error_occurred": true' "$out"; then
	echo "bench_smoke.sh: a benchmark failed:" >&2
	grep -B4 '"error_message"' "$out" >&2
	exit 1
fi
for name in BM_harness_floor BM_pair/libbuddyzone/0 BM_burst/libbuddyzone/4096 BM_liveset/libbuddyzone/64 \
	BM_prodcons/libbuddyzone/real_time BM_zeroed/libbuddyzone BM_buddy_batch/9/1 \
	BM_pair_threads/libbuddyzone/real_time/threads:2 BM_pair/glibc/0 BM_pair/mmap/9 \
	BM_compaction_order9/1/iterations:20/manual_time; do
	grep -q "\"name\": \"$name\"" "$out" || { echo "bench_smoke.sh: $name did not run" >&2; exit 1; }
done
# The NUMA rows, with medians: bench_table.sh keeps them, labelled with what the nodes were.
"$1" --benchmark_min_time=0.001 --benchmark_repetitions=2 --benchmark_filter='^BM_numa_' \
	--benchmark_out="$out" --benchmark_out_format=json >/dev/null
if grep -q '"error_occurred": true' "$out"; then
	echo "bench_smoke.sh: a NUMA benchmark failed" >&2
	exit 1
fi
if command -v jq >/dev/null; then
	sh "$(dirname "$0")/bench_table.sh" "$out" |
		grep -q '^| BM_numa_remote/3/1 | [0-9.]* | \(real NUMA nodes\|emulated nodes\)' ||
		{ echo "bench_smoke.sh: bench_table.sh dropped the NUMA rows" >&2; exit 1; }
fi
"$2" libbuddyzone 1000
"$2" floor 1000
