#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench_table.sh - the side-by-side table from a bzbench JSON file: one row
# per scenario, nanoseconds per operation for each allocator (1e9 divided by
# the median items_per_second, so a threaded row is the whole process's time
# per pair), the best peer, and libbuddyzone's time over the best peer's
# (below 1.00: we are faster).  Then each allocator's 2-thread over 1-thread
# throughput; then the NUMA rows with their nodes (real or emulated).
# Markdown, on stdout.  Several files (runs of different filters) are read
# as one; a benchmark in two of them counts from the last.
#
#   bzbench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
#           --benchmark_out=bz.json --benchmark_out_format=json
#   bench/bench_table.sh bz.json [MORE.json...]
set -eu

[ $# -ge 1 ] || { echo "usage: bench_table.sh BZBENCH.json [MORE.json...]" >&2; exit 2; }
for f in "$@"; do
	[ -r "$f" ] || { echo "bench_table.sh: cannot read $f" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "bench_table.sh: needs jq (apt-get install jq)" >&2; exit 1; }

# scenario<TAB>allocator<TAB>items/s, for the medians of the side-by-side benchmarks.
jq -r '.benchmarks[]
	| select(.run_type == "aggregate" and .aggregate_name == "median" and .items_per_second != null)
	| (.run_name | split("/")) as $p
	| select(($p | length) >= 2 and ($p[0] | test("^BM_(pair|burst|liveset|prodcons|zeroed|pair_threads)$")))
	| [([$p[0]] + $p[2:] | join("/")), $p[1], .items_per_second] | @tsv' "$@" |
awk -F '\t' '
	BEGIN { na = split("libbuddyzone glibc jemalloc tcmalloc mimalloc mmap", names, " ") }
	{
		if (!($1 in seen)) { seen[$1] = 1; found[++nf] = $1 }
		ns[$1, $2] = 1e9 / $3; ips[$1, $2] = $3
	}
	function cell(r, a) { return ((r, a) in ns) ? sprintf("%.1f", ns[r, a]) : "-" }
	END {
		# A fixed row order (random interleaving shuffles the JSON), then anything else.
		nk = split("BM_pair/0 BM_pair/9 BM_burst/4096 BM_liveset/64 BM_prodcons/real_time BM_zeroed " \
			   "BM_pair_threads/real_time/threads:1 BM_pair_threads/real_time/threads:2 " \
			   "BM_pair_threads/real_time/threads:4", known, " ")
		for (k = 1; k <= nk; k++)
			if (known[k] in seen) { rows[++nr] = known[k]; placed[known[k]] = 1 }
		for (k = 1; k <= nf; k++)
			if (!(found[k] in placed)) rows[++nr] = found[k]
		printf("| scenario |")
		for (i = 1; i <= na; i++) printf(" %s |", names[i])
		printf(" best peer | ours / best peer |\n|---|")
		for (i = 1; i <= na + 2; i++) printf("---:|")
		printf("\n")
		for (k = 1; k <= nr; k++) {
			r = rows[k]; best = ""
			printf("| %s |", r)
			for (i = 1; i <= na; i++) {
				printf(" %s |", cell(r, names[i]))
				if (i > 1 && ((r, names[i]) in ns) && (best == "" || ns[r, names[i]] < ns[r, best]))
					best = names[i]
			}
			if (best == "" || !((r, "libbuddyzone") in ns))
				printf(" - | - |\n")
			else
				printf(" %s | %.2f |\n", best, ns[r, "libbuddyzone"] / ns[r, best])
		}
		printf("\n| 2 threads / 1 thread (pairs/s) |")
		for (i = 1; i <= na; i++) printf(" %s |", names[i])
		printf("\n|---|")
		for (i = 1; i <= na; i++) printf("---:|")
		printf("\n| scaling |")
		for (i = 1; i <= na; i++) {
			one = "BM_pair_threads/real_time/threads:1"; two = "BM_pair_threads/real_time/threads:2"
			if (((one, names[i]) in ips) && ((two, names[i]) in ips))
				printf(" %.2fx |", ips[two, names[i]] / ips[one, names[i]])
			else
				printf(" - |")
		}
		printf("\n")
	}'

# The NUMA rows (BM_numa_local, BM_numa_remote: one allocator, no peers), with
# their label: whether the nodes were real or emulated.
jq -r '.benchmarks[]
	| select(.run_type == "aggregate" and .aggregate_name == "median" and .items_per_second != null)
	| select(.run_name | test("^BM_numa_(local|remote)/"))
	| [.run_name, .items_per_second, (.label // "")] | @tsv' "$@" |
awk -F '\t' '
	{ if (!($1 in ns)) order[++n] = $1; ns[$1] = 1e9 / $2; label[$1] = $3 }
	END {
		if (!n) exit
		printf("\n| NUMA benchmark | ns per block | nodes |\n|---|---:|---|\n")
		for (k = 1; k <= n; k++)
			printf("| %s | %.1f | %s |\n", order[k], ns[order[k]], label[order[k]])
	}'
