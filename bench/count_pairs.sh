#!/bin/sh
# SPDX-License-Identifier: MIT
#
# count_pairs.sh - instructions per order-0 alloc+free pair, per allocator,
# under callgrind: count_pairs runs N1 and then N2 pairs, and
# (Ir(N2) - Ir(N1)) / (N2 - N1) is the cost of one pair, start-up and exit
# cancelled out.  The loop around the calls is counted too; the floor row
# (two calls that do nothing) shows how much of it is the loop's.
#
#   bench/count_pairs.sh [BUILD_DIR] [ORDER]    (BUILD_DIR default: build)
set -eu

build=${1:-build}
order=${2:-0}
exe=$build/bench/count_pairs
n1=100000
n2=1100000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$exe" ]; then
	echo "count_pairs.sh: no $exe (configure with -DBZ_BUILD_BENCH=ON and build count_pairs)" >&2
	exit 1
fi
if ! command -v valgrind >/dev/null; then
	echo "count_pairs.sh: needs valgrind (apt-get install valgrind)" >&2
	exit 1
fi
# jemalloc's static TLS, set here: count_pairs would otherwise re-execute
# itself, and the second process would run outside callgrind.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.rtld.optional_static_tls=16384"

# Total instructions of one run of N pairs; empty if the allocator is missing.
instructions() {
	out="$tmp/callgrind.$1.$2"
	if ! valgrind --tool=callgrind --callgrind-out-file="$out" "$exe" "$1" "$2" "$order" \
		>"$tmp/log" 2>&1; then
		sed -n 's/^count_pairs: //p' "$tmp/log" >&2
		return 0
	fi
	sed -n 's/^summary: //p' "$out"
}

printf '%-14s %14s %14s %12s\n' allocator "Ir(N=$n1)" "Ir(N=$n2)" "Ir/pair"
for a in floor libbuddyzone glibc jemalloc tcmalloc mimalloc mmap; do
	i1=$(instructions $a $n1)
	i2=$(instructions $a $n2)
	if [ -z "$i1" ] || [ -z "$i2" ]; then
		printf '%-14s %14s\n' "$a" "skipped"
		continue
	fi
	printf '%-14s %14s %14s %12s\n' "$a" "$i1" "$i2" \
		"$(echo "scale=1; ($i2 - $i1) / ($n2 - $n1)" | bc)"
done
