#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# numa_report.sh - the multi-socket report in one command: runs bznuma
# (bench/numa_report.c) on this machine's NUMA nodes, or on an emulated
# topology, and leaves in OUTDIR the report as Markdown (report.md, also on
# stdout), its numbers as JSON (report.json) and a plot (report.png: the
# scaling curves of every allocator and the local/remote matrices).
#
#   bench/numa_report.sh [-b BUILD] [-t TOPOLOGY] [-s] [-o OUTDIR] [-- BZNUMA_ARGS...]
#
#   -b BUILD     build directory with bench/bznuma (default: build; configure
#                with -DBZ_BUILD_BENCH=ON, a Release build for numbers)
#   -t TOPOLOGY  xml:FILE or synthetic:STRING (default: this machine)
#   -s           short: 0.2 s a measurement and 256 MiB a node, the same rows
#   -o OUTDIR    where the report goes (default: numa-report)
# Extra bznuma options after --: --max-threads N, --seconds S, --node-mib N,
# --expiry-seconds S.  Needs jq and gnuplot (Debian: jq gnuplot-nox); the
# peers are Debian's libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0
# (each one missing is left out, with a note).
set -euo pipefail

build=build topology= short=() out=numa-report
while getopts 'b:t:so:h' opt; do
	case $opt in
	b) build=$OPTARG ;;
	t) topology=$OPTARG ;;
	s) short=(--short) ;;
	o) out=$OPTARG ;;
	*) sed -n '4,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
exe=$build/bench/bznuma
[[ -x $exe ]] || { echo "numa_report.sh: no $exe (cmake -DBZ_BUILD_BENCH=ON, then build bznuma)" >&2; exit 1; }
for tool in jq gnuplot; do
	command -v $tool >/dev/null || { echo "numa_report.sh: needs $tool (apt-get install jq gnuplot-nox)" >&2; exit 1; }
done
mkdir -p "$out"
json=$out/report.json
"$exe" ${topology:+--topology "$topology"} "${short[@]}" --json "$json" "$@" | tee "$out/report.md"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One file per curve: threads, M per s.
for placement in fill spread; do
	for pattern in pairs refill; do
		for a in libbuddyzone glibc jemalloc tcmalloc mimalloc; do
			jq -r --arg p "$placement" --arg q "$pattern" --arg a "$a" '.scaling[]
				| select(.placement == $p and .pattern == $q and .allocator == $a)
				| "\(.threads) \(.mops)"' "$json" > "$tmp/$placement-$pattern-$a.dat"
		done
	done
done
jq -r '.latency_ns[] | map(tostring) | join(" ")' "$json" > "$tmp/latency.dat"
jq -r '.throughput_mops[] | map(tostring) | join(" ")' "$json" > "$tmp/throughput.dat"
nodes=$(jq '.nodes' "$json")
kind=$(jq -r 'if .emulated then "emulated nodes" else "real NUMA nodes" end' "$json")
src=$(jq -r '.source' "$json")
src=${src##*/}

curve() { # placement pattern title
	local p=$1 q=$2 first=1
	echo "set title '$3'"
	printf 'plot '
	for a in libbuddyzone glibc jemalloc tcmalloc mimalloc; do
		[[ -s $tmp/$p-$q-$a.dat ]] || continue
		((first)) || printf ', '
		first=0
		printf "'%s' using 1:2 with linespoints lw 2 title '%s'" "$tmp/$p-$q-$a.dat" "$a"
	done
	echo
}

heatmap() { # file title format
	echo "set title '$2'"
	echo "set xrange [-0.5:$nodes-0.5]; set yrange [$nodes-0.5:-0.5]"
	echo "set xlabel 'node of the pages'; set ylabel 'node of the thread'"
	echo "set xtics 1; set ytics 1; unset logscale"
	echo "plot '$1' matrix with image notitle, '' matrix using 1:2:(sprintf('$3', \$3)) with labels notitle"
	echo "unset xrange; unset yrange; set autoscale; set xtics autofreq; set ytics autofreq"
}

{
	echo "set terminal pngcairo size 1800,1000 noenhanced font ',10'"
	echo "set output '$out/report.png'"
	echo "set multiplot layout 2,3 title 'libbuddyzone NUMA report: $src, $nodes $kind'"
	echo "set grid; set key top left; set xlabel 'threads'; set ylabel 'M per second (higher is better)'"
	echo "set logscale y; set xtics 1"
	curve fill pairs 'order-0 pairs, threads fill node 0 first'
	curve spread pairs 'order-0 pairs, threads spread over the nodes'
	echo "set palette defined (0 '#2c7bb6', 1 '#ffffbf', 2 '#d7191c')"
	heatmap "$tmp/latency.dat" 'ns per page (1 thread), node A to node B' '%.0f'
	echo "set grid; set key top left; set xlabel 'threads'; set ylabel 'M pages per second'; set logscale y; set xtics 1"
	curve fill refill 'refill-heavy bursts (zone lock), fill node 0 first'
	curve spread refill 'refill-heavy bursts (zone lock), spread'
	echo "set palette defined (0 '#d7191c', 1 '#ffffbf', 2 '#2c7bb6')"
	heatmap "$tmp/throughput.dat" 'Mpages/s (as many threads as A has CPUs), node A to node B' '%.1f'
	echo "unset multiplot"
} > "$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "numa_report.sh: wrote $out/report.md, $json and $out/report.png" >&2
