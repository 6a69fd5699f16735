#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check_layers.sh - the layer check (DESIGN.md, "Layers"; the table is
# tools/layers.txt).  Fails when
#   - a file of src/ is in no layer, or in two;
#   - a file includes a header of a higher layer;
#   - a file calls (or uses data of) a file of a higher layer, read from the
#     compiled objects: every undefined symbol of an object resolved to the
#     object that defines it, static inlines of headers included;
#   - the file-level graph of those references has a cycle.
#
#   tools/check_layers.sh [BUILD_DIR]      (default: build; calls need its objects)
#   tools/check_layers.sh --graph [BUILD_DIR]   also prints the file-level graph
set -u
cd "$(dirname "$0")/.."

graph=0
if [ "${1:-}" = "--graph" ]; then
	graph=1
	shift
fi
build=${1:-build}
objdir=$build/CMakeFiles/buddyzone_objects.dir/src
table=tools/layers.txt
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# file -> layer, header -> layer
awk '!/^#/ && NF >= 3 { for (i = 3; i <= NF; i++) print $i, $1 }' "$table" > "$tmp/layer"
declare -A layer count
while read -r f l; do
	layer[$f]=$l
	count[$f]=$((${count[$f]:-0} + 1))
done < "$tmp/layer"
layer_of() { echo "${layer[$1]:-}"; }

# 1. every file of src/ in exactly one layer
for f in src/*.c src/*.h; do
	b=$(basename "$f")
	if [ "${count[$b]:-0}" -ne 1 ]; then
		echo "check_layers: src/$b is in ${count[$b]:-0} layers of $table (it must be in one)"
		fail=1
	fi
done

# 2. includes: no header of a higher layer
for f in src/*.c src/*.h; do
	b=$(basename "$f")
	lf=${layer[$b]:-}
	[ -n "$lf" ] || continue
	for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		h=$(basename "$h")
		lh=${layer[$h]:-}
		[ -n "$lh" ] || continue        # not one of ours (tools/ headers, generated ones)
		if [ "$lh" -gt "$lf" ]; then
			echo "check_layers: src/$b (layer $lf) includes $h of layer $lh, above it"
			fail=1
		fi
	done
done

# 3. calls and data references between objects
if ! ls "$objdir"/*.c.o >/dev/null 2>&1; then
	echo "check_layers: no objects in $objdir: includes checked, calls not (build first)"
	exit $fail
fi
nm -A "$objdir"/*.c.o | awk '{
	split($1, p, ":"); n = split(p[1], q, "/"); f = q[n]; sub(/\.o$/, "", f)
	if (NF == 3 && $2 ~ /^[TDBRVW]$/) print $3, f > "'"$tmp/defs"'"
	else if (NF == 3 && $2 == "U") print f, $3 > "'"$tmp/uses"'"
}'
awk 'NR == FNR { def[$1] = $2; next } ($2 in def) && def[$2] != $1 { print $1, def[$2], $2 }' \
	"$tmp/defs" "$tmp/uses" | sort -u > "$tmp/edges"
while read -r from to sym; do
	lf=${layer[$from]:-}
	lt=${layer[$to]:-}
	if [ -z "$lf" ] || [ -z "$lt" ]; then
		continue
	fi
	if [ "$lt" -gt "$lf" ]; then
		echo "check_layers: src/$from (layer $lf) calls $sym of src/$to (layer $lt), above it"
		fail=1
	fi
done < "$tmp/edges"
awk '{ print $1, $2 }' "$tmp/edges" | sort -u > "$tmp/pairs"
if ! tsort "$tmp/pairs" > /dev/null 2> "$tmp/tsort"; then
	echo "check_layers: the file-level call graph has a cycle:"
	sed 's/^/    /' "$tmp/tsort"
	fail=1
fi
if [ $graph -eq 1 ]; then
	echo "file-level graph (caller -> callees), lowest layer first:"
	awk '{ print $1 }' "$tmp/layer" | grep '\.c$' | while read -r c; do
		callees=$(awk -v c="$c" '$1 == c { print $2 }' "$tmp/pairs" | tr '\n' ' ')
		printf '  [%2s] %-20s -> %s\n' "$(layer_of "$c")" "$c" "${callees:-(none)}"
	done
fi
[ $fail -eq 0 ] && echo "check_layers: $(wc -l < "$tmp/pairs") file-level references, all downward, no cycle"
exit $fail
