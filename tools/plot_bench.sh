#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# plot_bench.sh - Google Benchmark JSON (--benchmark_format=json, or
# --benchmark_out=F.json) to a grouped bar chart PNG, drawn with gnuplot:
# one group of bars per benchmark, one bar per series (an allocator, a
# build, a machine), side by side.
#
#   tools/plot_bench.sh [OPTIONS] -o OUT.png FILE.json...
#
# Series, -s:
#   file    one series per input file, named after it (bz.json, glibc.json);
#           the default with several files
#   label   the benchmark's label (state.SetLabel()); "(no label)" for
#           benchmarks without one
#   arg:N   the N-th '/'-separated part of the name (0: the function name),
#           taken out of the group name: BM_alloc/jemalloc/0/1 with arg:1
#           is series "jemalloc" in group "BM_alloc/0/1"
#   re:ERE  the part of the name that matches the awk regular expression,
#           without its _ or / ends, taken out of the group name:
#           BM_alloc_free_poison/0/1 with 're:_(off|poison)/' is series
#           "poison" in group "BM_alloc_free/0/1"
#   none    a single series; the default otherwise
# Each value is the median of the repetitions when the JSON has aggregates
# (--benchmark_repetitions=N), else the mean of the runs of that name.
#
# Options:
#   -o FILE    the PNG to write (required unless -T)
#   -m METRIC  cpu_time (default), real_time, items_per_second or bytes_per_second;
#              times are drawn in nanoseconds
#   -s SERIES  as above
#   -t TITLE   the chart's title (default: the metric and the input files)
#   -f REGEX   only benchmarks whose name matches (an awk ERE)
#   -l         logarithmic value axis
#   -T         print the table that would be drawn (group, then one column
#              per series) instead of drawing it; needs no gnuplot
# Needs awk and, to draw, gnuplot (Debian: gnuplot-nox; GNUPLOT=path overrides).
set -euo pipefail

usage() {
	sed -n '4,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

out= metric=cpu_time series= title= filter= logscale=0 table_only=0
while getopts 'o:m:s:t:f:lTh' opt; do
	case $opt in
	o) out=$OPTARG ;;
	m) metric=$OPTARG ;;
	s) series=$OPTARG ;;
	t) title=$OPTARG ;;
	f) filter=$OPTARG ;;
	l) logscale=1 ;;
	T) table_only=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
(($# > 0)) || usage
case $metric in
cpu_time | real_time | items_per_second | bytes_per_second) ;;
*) echo "plot_bench.sh: unknown metric '$metric'" >&2; exit 2 ;;
esac
for f in "$@"; do
	[[ -r $f ]] || { echo "plot_bench.sh: cannot read $f" >&2; exit 1; }
done
if [[ -z $series ]]; then
	if (($# > 1)); then
		series=file
	else
		series=none
	fi
fi
case $series in
file | label | none) ;;
arg:[0-9]* | re:?*) ;;
*) echo "plot_bench.sh: unknown series '$series'" >&2; exit 2 ;;
esac
((table_only)) || [[ -n $out ]] || { echo "plot_bench.sh: -o OUT.png is required" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per result: series, group, value (ns for times), kind (median or run).
# Google Benchmark writes one "key": value per line inside each object of
# the "benchmarks" array; the context before it is skipped.
for f in "$@"; do
	stem=$(basename "$f")
	stem=${stem%.json}
	awk -v metric="$metric" -v series="$series" -v stem="$stem" -v filter="$filter" '
	function str(line) { sub(/^[^:]*: *"/, "", line); sub(/",? *$/, "", line); gsub(/\\"/, "\"", line); return line }
	function num(line) { sub(/^[^:]*: */, "", line); sub(/, *$/, "", line); return line + 0 }
	function scale(unit) { return unit == "us" ? 1e3 : unit == "ms" ? 1e6 : unit == "s" ? 1e9 : 1 }
	function flush(   n, parts, i, group, ser, kind, v) {
		if (!inobj || name == "" || error || !(metric in val))
			return
		if (run_type == "aggregate" && agg != "median")
			return
		base = run_name != "" ? run_name : name
		if (filter != "" && base !~ filter)
			return
		group = base; ser = ""
		if (series == "file")
			ser = stem
		else if (series == "label")
			ser = label
		else if (series ~ /^arg:/) {
			n = split(base, parts, "/")
			i = substr(series, 5) + 1
			if (i <= n) {
				ser = parts[i]
				group = ""
				for (k = 1; k <= n; k++)
					if (k != i)
						group = group (group == "" ? "" : "/") parts[k]
			}
		}
		else if (series ~ /^re:/ && match(base, substr(series, 4))) {
			m = substr(base, RSTART, RLENGTH)
			pre = substr(base, 1, RSTART - 1)
			post = substr(base, RSTART + RLENGTH)
			ser = m
			gsub(/^[_\/]+|[_\/]+$/, "", ser)
			group = pre (pre != "" && post != "" && (m ~ /^\// || m ~ /\/$/) ? "/" : "") post
		}
		if (ser == "")
			ser = series == "label" ? "(no label)" : metric
		v = val[metric]
		if (metric ~ /_time$/)
			v *= scale(unit)
		kind = run_type == "aggregate" ? "median" : "run"
		printf("%s\t%s\t%.17g\t%s\n", ser, group, v, kind)
	}
	/^ *"benchmarks": *\[/ { inbench = 1; next }
	!inbench { next }
	/^ *\{ *$/ { inobj = 1; name = run_name = run_type = agg = label = ""; unit = "ns"; error = 0; delete val; next }
	/^ *\}/ { flush(); inobj = 0; next }
	!inobj { next }
	/^ *"name": / { name = str($0); next }
	/^ *"run_name": / { run_name = str($0); next }
	/^ *"run_type": / { run_type = str($0); next }
	/^ *"aggregate_name": / { agg = str($0); next }
	/^ *"label": / { label = str($0); next }
	/^ *"time_unit": / { unit = str($0); next }
	/^ *"error_occurred": *true/ { error = 1; next }
	/^ *"(cpu_time|real_time|items_per_second|bytes_per_second)": / {
		key = $0; sub(/^ *"/, "", key); sub(/".*/, "", key); val[key] = num($0); next
	}
	' "$f"
done > "$tmp/results"

[[ -s $tmp/results ]] || { echo "plot_bench.sh: no benchmark results for $metric in $*" >&2; exit 1; }

# The table: medians where there are any, else the mean of the runs; groups
# and series in order of first appearance; "-" where a series lacks a group.
awk -F '\t' '
	{
		if (!($1 in sseen)) { sseen[$1] = 1; sorder[++ns] = $1 }
		if (!($2 in gseen)) { gseen[$2] = 1; gorder[++ng] = $2 }
		key = $1 SUBSEP $2
		if ($4 == "median") { med[key] = $3; hasmed[key] = 1 }
		else { sum[key] += $3; cnt[key]++ }
	}
	END {
		printf("group")
		for (s = 1; s <= ns; s++) printf("\t%s", sorder[s])
		printf("\n")
		for (g = 1; g <= ng; g++) {
			printf("%s", gorder[g])
			for (s = 1; s <= ns; s++) {
				key = sorder[s] SUBSEP gorder[g]
				if (key in hasmed) printf("\t%.6g", med[key])
				else if (cnt[key]) printf("\t%.6g", sum[key] / cnt[key])
				else printf("\t-")
			}
			printf("\n")
		}
	}
' "$tmp/results" > "$tmp/table"

if ((table_only)); then
	cat "$tmp/table"
	exit 0
fi

gnuplot=${GNUPLOT:-gnuplot}
command -v "$gnuplot" > /dev/null || {
	echo "plot_bench.sh: needs gnuplot, which is not installed (Debian: apt-get install gnuplot-nox), or set GNUPLOT" >&2
	exit 1
}

ngroups=$(($(wc -l < "$tmp/table") - 1))
nseries=$(($(head -1 "$tmp/table" | awk -F '\t' '{ print NF }') - 1))
width=$((ngroups * (40 + 25 * nseries) + 250))
((width < 800)) && width=800
((width > 3000)) && width=3000
case $metric in
*_time) ylabel="$metric (ns; lower is better)" ;;
*) ylabel="$metric (higher is better)" ;;
esac
[[ -n $title ]] || title="$metric: $*"
q() { printf "'%s'" "${1//\'/\'\'}"; }

{
	echo "set terminal pngcairo size $width,600 noenhanced font ',10'"
	echo "set output $(q "$out")"
	echo "set title $(q "$title")"
	echo "set datafile separator '\t'"
	echo "set datafile missing '-'"
	echo "set style data histograms"
	echo "set style histogram clustered gap 1"
	echo "set style fill solid 0.85 border -1"
	echo "set boxwidth 0.9"
	echo "set key outside right top"
	echo "set grid ytics"
	echo "set ylabel $(q "$ylabel")"
	echo "set yrange [0:*]"
	echo "set xtics rotate by -30 scale 0"
	echo "set xrange [-0.6:$ngroups - 0.4]"
	if ((logscale)); then
		echo "set logscale y"
		echo "set yrange [*:*]"
	fi
	echo "plot for [c=2:$((nseries + 1))] $(q "$tmp/table") using c:xtic(1) title columnheader(c)"
} > "$tmp/plot.gp"

"$gnuplot" "$tmp/plot.gp"
echo "plot_bench.sh: wrote $out ($ngroups benchmarks, $nseries series)"
