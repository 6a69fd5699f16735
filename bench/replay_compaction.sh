#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# replay_compaction.sh - bzreplay of the fragmenting traces in tests/data with
# compaction off and on: a PNG and a CSV per run (failures and the
# fragmentation index over time), and one table line per run:
#   trace, zone, compaction, failed (all orders / above order 3), order-9 blocks
#   the model handed out, the fragmentation index of order 9 at the end,
#   pages migrated, compaction stalls / successes, kcompactd wakes.
#
#   bench/replay_compaction.sh BUILD_DIR [OUT_DIR]   (default OUT_DIR: bench/replay-compaction)
#
# The table also goes to OUT_DIR/results.txt.  kcompactd runs beside the
# replay, so the "on" lines vary a little from run to run.
set -euo pipefail

build=$1
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../tests/data
out=${2:-$here/replay-compaction}
mkdir -p "$out"

# name trace zones
runs=(
	"fragmenting $data/trace-fragmenting.txt.xz 0:DMA32=4096"
	"synthetic $data/trace-synthetic.txt 0:DMA32=11264"
)

exec > >(tee "$out/results.txt")
printf '%-12s %-14s %-4s %7s %7s %7s %7s %9s %6s %8s %5s\n' trace zone comp failed 'fail>3' order9 frag9 migrated stalls success wakes
for run in "${runs[@]}"; do
	read -r name trace zones <<< "$run"
	for c in off on; do
		base=$out/$name-compaction-$c
		"$build/bzreplay" --zones "$zones" --compaction "$c" --csv "$base.csv" --plot "$base.png" "$trace" \
			> "$base.txt"
		read -r failed costly < <(sed -n 's/^model allocations failed: \([0-9]*\), .*: \([0-9]*\)$/\1 \2/p' "$base.txt")
		order9=$(awk '$1 == "order" && $2 == 9 && $3 == "Movable" { print $5 }' "$base.txt")
		read -r migrated stalls success wakes < <(sed -n 's/^compaction: compact_stall \([0-9]*\), compact_success \([0-9]*\), .*pgmigrate_success \([0-9]*\), .*compact_daemon_wake \([0-9]*\)$/\3 \1 \2 \4/p' "$base.txt")
		frag9=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "extfrag_9") c = i; next } { v = $c } END { print v }' "$base.csv")
		printf '%-12s %-14s %-4s %7s %7s %7s %7s %9s %6s %8s %5s\n' "$name" "$zones" "$c" "$failed" "$costly" \
			"${order9:-0}" "$frag9" "$migrated" "$stalls" "$success" "$wakes"
	done
done
