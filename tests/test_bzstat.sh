#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_bzstat.sh - bzstat watching a running process (examples/stats_watch):
# the vmstat-style lines, the /proc-style dumps, the listing, what happens
# when the process goes, cleaning up after a killed one, and the refusals:
# a segment readable by others, one that is not a statistics segment, a
# process that publishes nothing, a FIFO under the name (no hang), a
# segment truncated while watched (no SIGBUS), one left by a SIGKILLed
# process ("exited") and one under a pid another process now has ("stale").
#
#   test_bzstat.sh BZSTAT STATS_WATCH
set -euo pipefail

bzstat=$1
watch=$2
tmp=$(mktemp -d)
fake=/dev/shm/buddyzone.$$.7
pid=
cleanup() {
	[[ -n $pid ]] && kill -CONT "$pid" 2> /dev/null && kill "$pid" 2> /dev/null || true
	rm -rf "$tmp" "$fake"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# The watched process runs until we close its input (fd 3): no race with a timer.
mkfifo "$tmp/ctl"
BUDDYZONE_STATS_INTERVAL_MS=100 "$watch" until-eof < "$tmp/ctl" > "$tmp/watch.out" &
pid=$!
exec 3> "$tmp/ctl"
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
# Resident memory by backing: a header, then node 0 with hugetlb + THP + base = total kB.
"$bzstat" -p "$pid" resident > "$tmp/res"
awk '/^Node 0 / { seen = 1; if (NF != 6 || $3 + $4 + $5 != $6) bad = 1 } END { exit !seen || bad }' "$tmp/res" ||
	fail "resident: $(cat "$tmp/res")"
echo "ok: buddyinfo, zoneinfo, pagetypeinfo, vmstat, resident"

# Watching until the process exits: bzstat notices and stops.  It watches first (a data
# line printed), then the process is told to finish.
timeout 60 "$bzstat" -p "$pid" 0.2 > "$tmp/until" 2> "$tmp/until.err" 3>&- &
bzpid=$!
for _ in $(seq 300); do
	[[ $(wc -l < "$tmp/until") -ge 3 ]] && break
	sleep 0.1
done
[[ $(wc -l < "$tmp/until") -ge 3 ]] || fail "bzstat printed no data line while watching"
exec 3>&-
wait "$bzpid" || fail "bzstat did not stop cleanly"
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

# A FIFO under a segment's name: refused at once, never waited on.
rm -f "$fake"
mkfifo "$fake"
set +e
timeout 20 "$bzstat" -p $$ -s 7 > /dev/null 2> "$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 ]] && grep -q 'not a regular file' "$tmp/err" || fail "FIFO: $rc $(cat "$tmp/err")"
rm -f "$fake"
echo "ok: a FIFO under the name is refused without blocking"

# start_watch: a publisher in the background, $pid, its segment in $seg.
start_watch() {
	BUDDYZONE_STATS_INTERVAL_MS=100 "$watch" 60 > /dev/null &
	pid=$!
	for _ in $(seq 100); do
		compgen -G "/dev/shm/buddyzone.$pid.*" > /dev/null && break
		sleep 0.1
	done
	seg=$(compgen -G "/dev/shm/buddyzone.$pid.*" | head -n 1) || fail "stats_watch $pid published no segment"
}

# Truncated while bzstat watches: bzstat says so and exits 1 (it used to die of SIGBUS).
start_watch
timeout 60 "$bzstat" -p "$pid" 0.1 > "$tmp/trunc.out" 2> "$tmp/trunc.err" &
watcher=$!
for _ in $(seq 200); do
	(($(wc -l < "$tmp/trunc.out") >= 4)) && break
	sleep 0.1
done
(($(wc -l < "$tmp/trunc.out") >= 4)) || fail "bzstat printed no lines: $(cat "$tmp/trunc.err")"
kill -STOP "$pid"       # the publisher holds still: it would stop publishing, not regrow the file
truncate -s 64 "$seg"
set +e
wait "$watcher"; rc=$?
set -e
kill -CONT "$pid"
[[ $rc -eq 1 ]] && grep -q 'was truncated' "$tmp/trunc.err" || fail "truncated: rc $rc: $(cat "$tmp/trunc.err")"
kill "$pid"
wait "$pid" || true
pid=
echo "ok: a segment truncated under bzstat: a message and status 1"

# SIGKILL: the segment stays; bzstat says the process exited, with status 1.
start_watch
{ kill -KILL "$pid" && wait "$pid"; } 2> /dev/null || true
killed=$pid
pid=
set +e
"$bzstat" -p "$killed" > "$tmp/out" 2> "$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 && ! -s $tmp/out ]] && grep -q "process $killed has exited" "$tmp/err" ||
	fail "killed publisher: rc $rc: $(cat "$tmp/out" "$tmp/err")"
"$bzstat" -l | grep -Eq "^ +$killed +[0-9]+  \(exited: bzstat --clean" || fail "bzstat -l: $("$bzstat" -l)"
echo "ok: a killed publisher's segment is 'exited', status 1"

# The same segment under a pid now used by another process: stale, status 1.
# offsetof(struct bz_stats_shm, pid) is 40 (asserted in src/stats_shm.h).
le64() {
	local v=$1 out= i
	for i in 0 1 2 3 4 5 6 7; do
		out+=$(printf '\\x%02x' $(((v >> (8 * i)) & 255)))
	done
	printf "$out"
}
sleep 60 &
other=$!
reused=/dev/shm/buddyzone.$other.${seg##*.}
mv "$seg" "$reused"
le64 "$other" | dd of="$reused" bs=1 seek=40 conv=notrunc status=none
set +e
"$bzstat" -p "$other" buddyinfo > "$tmp/out" 2> "$tmp/err"; rc=$?
set -e
[[ $rc -eq 1 && ! -s $tmp/out ]] && grep -q "is stale: pid $other is now another process" "$tmp/err" ||
	{ kill "$other"; rm -f "$reused"; fail "stale segment: rc $rc: $(cat "$tmp/out" "$tmp/err")"; }
"$bzstat" --clean | grep -Eq "^ +$other +[0-9]+  \(stale; removed\)" ||
	{ kill "$other"; rm -f "$reused"; fail "--clean kept the stale segment"; }
[[ ! -e $reused ]] || { kill "$other"; fail "--clean left $reused"; }
kill "$other"
wait "$other" 2> /dev/null || true
echo "ok: a stale segment under a reused pid is 'stale', status 1, and --clean removes it"
echo "all bzstat checks passed"
