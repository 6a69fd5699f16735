#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_bzstat.sh - bzstat watching a running process (examples/stats_watch):
# the vmstat-style lines, the /proc-style dumps, the listing, what happens
# when the process goes, cleaning up after a killed one, and the refusals:
# a segment readable by others, one that is not a statistics segment, a
# process that publishes nothing.
#
#   test_bzstat.sh BZSTAT STATS_WATCH
set -euo pipefail

bzstat=$1
watch=$2
tmp=$(mktemp -d)
fake=/dev/shm/buddyzone.$$.7
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2> /dev/null || true
	rm -rf "$tmp" "$fake"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

BUDDYZONE_STATS_INTERVAL_MS=100 "$watch" 4 > "$tmp/watch.out" &
pid=$!
for _ in $(seq 50); do
	compgen -G "/dev/shm/buddyzone.$pid.*" > /dev/null && break
	sleep 0.1
done
compgen -G "/dev/shm/buddyzone.$pid.*" > /dev/null || fail "stats_watch $pid published no segment"

# Listing: the process and its system.
"$bzstat" -l | grep -Eq "^ +$pid +[0-9]+$" || fail "bzstat -l does not list $pid"
echo "ok: bzstat -l lists $pid"

# Three lines, half a second apart: a two-line header, then numbers.
"$bzstat" -p "$pid" 0.5 3 > "$tmp/lines"
cat "$tmp/lines"
[[ $(wc -l < "$tmp/lines") -eq 5 ]] || fail "expected 2 header lines and 3 data lines"
sed -n 2p "$tmp/lines" | grep -Eq '^ +free +cache +alloc +pgalloc +pgfree +stall +pgout +nhit +nmiss +fail$' ||
	fail "header: $(sed -n 2p "$tmp/lines")"
# 512 MiB: 131072 pages in free + cache + alloc, on every line.
tail -n 3 "$tmp/lines" | awk 'NF != 10 || $1 + $2 + $3 != 131072 { print "bad line: " $0; bad = 1 } END { exit bad }' ||
	fail "a data line is not free + cache + alloc = 131072 and seven rates"
# The workload allocates all the time: some line shows it.
tail -n 3 "$tmp/lines" | awk '$4 > 0 { seen = 1 } END { exit !seen }' || fail "no pgalloc/s on any line"
echo "ok: vmstat lines"

"$bzstat" -p "$pid" buddyinfo > "$tmp/buddy"
grep -Eq '^Node 0, zone    DMA32( +[0-9]+){11} $' "$tmp/buddy" || fail "buddyinfo: $(cat "$tmp/buddy")"
grep -Eq '^Node 0, zone   Normal( +[0-9]+){11} $' "$tmp/buddy" || fail "buddyinfo: $(cat "$tmp/buddy")"
"$bzstat" -p "$pid" zoneinfo | grep -Eq '^        managed  65536$' || fail "zoneinfo"
"$bzstat" -p "$pid" pagetypeinfo | grep -q '^Number of blocks type ' || fail "pagetypeinfo"
"$bzstat" -p "$pid" vmstat | grep -Eq '^pgalloc_normal [0-9]+$' || fail "vmstat"
echo "ok: buddyinfo, zoneinfo, pagetypeinfo, vmstat"

# Watching until the process exits: bzstat notices and stops.
timeout 20 "$bzstat" -p "$pid" 0.2 > "$tmp/until" 2> "$tmp/until.err" || fail "bzstat did not stop cleanly"
grep -Eq "process $pid (has exited|no longer publishes)" "$tmp/until.err" || fail "exit: $(cat "$tmp/until.err")"
wait "$pid" || fail "stats_watch failed"
pid_done=$pid
pid=
compgen -G "/dev/shm/buddyzone.$pid_done.*" > /dev/null && fail "segment left behind by $pid_done"
set +e
"$bzstat" -p "$pid_done" > /dev/null 2> "$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q 'publishes no statistics' "$tmp/err" || fail "gone process: $rc $(cat "$tmp/err")"
echo "ok: bzstat stops when the process exits, and the segment is gone"

# A process killed by a signal leaves its segment: --clean removes it, nothing else.
stale=/dev/shm/buddyzone.$pid_done.3
head -c 4096 /dev/zero > "$stale"
chmod 0600 "$stale"
"$bzstat" -l | grep -Eq "^ +$pid_done +3  \(exited" || { rm -f "$stale"; fail "bzstat -l does not flag $stale"; }
"$bzstat" --clean | grep -Eq "^ +$pid_done +3  \(exited; removed\)" || { rm -f "$stale"; fail "--clean"; }
[[ ! -e $stale ]] || { rm -f "$stale"; fail "--clean left $stale"; }
echo "ok: --clean removes what an exited process left"

# Refusals: readable by others, then not a segment at all.
head -c 4096 /dev/zero > "$fake"
chmod 0644 "$fake"
set +e
"$bzstat" -p $$ > /dev/null 2> "$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q 'mode 0644.*refusing' "$tmp/err" || fail "mode 0644: $rc $(cat "$tmp/err")"
chmod 0600 "$fake"
set +e
"$bzstat" -p $$ > /dev/null 2> "$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q 'not a libbuddyzone statistics segment' "$tmp/err" || fail "junk: $rc $(cat "$tmp/err")"
echo "ok: refusals"
echo "all bzstat checks passed"
