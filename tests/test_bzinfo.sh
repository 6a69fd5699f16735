#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_bzinfo.sh - bzinfo --from-proc over saved /proc files (tests/data/
# trace-6.18/{before,after}: this project's machine, Linux 6.18, THP
# enabled=madvise, min_free_kbytes 67584 from khugepaged): the model's
# zoneinfo must show the kernel's watermark, protection, pageset-limit,
# geometry and start_pfn lines exactly; --diff's what-if numbers against
# the kernel's formulas worked out here in awk; a machine whose
# min_free_kbytes was set by hand; and the refusals.
#
#   test_bzinfo.sh BZINFO DATA_DIR
set -euo pipefail

bzinfo=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# The lines the model computes (count and high: each CPU's live list, not limits).
limits() {
	grep -E '^Node|^ +(min|low|high|promo|spanned|present|managed) |protection:|batch:|high_min:|high_max:|start_pfn:' "$1"
}

for snap in before after; do
	root=$data/trace-6.18/$snap
	"$bzinfo" --proc-root "$root" zoneinfo > "$tmp/model" 2> "$tmp/err"
	[[ ! -s $tmp/err ]] || fail "$snap: bzinfo said: $(cat "$tmp/err")"
	if ! diff <(limits "$root/proc/zoneinfo") <(limits "$tmp/model") > "$tmp/diff"; then
		cat "$tmp/diff"
		fail "$snap: the model's zoneinfo differs from the kernel's"
	fi
	echo "ok: $snap: $(limits "$tmp/model" | wc -l) watermark, protection, pageset and geometry lines identical"
done

# ---- what if watermark_scale_factor=200: __setup_per_zone_wmarks() by hand ----------------
root=$data/trace-6.18/before
"$bzinfo" --proc-root "$root" --sysctl watermark_scale_factor=200 --diff > "$tmp/whatif"
cat "$tmp/whatif"
awk '
	/^Node/ { zone = $4 }
	$1 == "min" { min[zone] = $2 }
	$1 == "managed" { managed[zone] = $2 }
	END {
		for (z in managed) {
			if (!managed[z] || z == "Movable") continue
			gap = int(managed[z] * 200 / 10000); q = int(min[z] / 4)
			if (q > gap) gap = q
			printf("%s %d %d %d\n", z, min[z] + gap, min[z] + 2 * gap, min[z] + 3 * gap)
		}
	}' "$root/proc/zoneinfo" | sort > "$tmp/want"
awk '$5 == "low" { low[$4] = $7 } $5 == "high" { high[$4] = $7 } $5 == "promo" { promo[$4] = $7 }
	END { for (z in low) printf("%s %d %d %d\n", z, low[z], high[z], promo[z]) }' "$tmp/whatif" | sort > "$tmp/got"
diff "$tmp/want" "$tmp/got" || fail "what-if low/high/promo differ from the kernel's formula"
[[ $(wc -l < "$tmp/got") -eq 3 ]] || fail "what-if: expected DMA, DMA32 and Normal"
grep -q 'min_free_kbytes' "$tmp/whatif" && fail "min_free_kbytes does not depend on watermark_scale_factor"
echo "ok: what-if low/high/promo = min + 1, 2, 3 x max(min/4, managed * 200/10000)"

# ---- min_free_kbytes set by hand: the machine's value wins, with a note ----------------------
cp -r "$root" "$tmp/root"
echo 90112 > "$tmp/root/proc/sys/vm/min_free_kbytes"
"$bzinfo" --proc-root "$tmp/root" zoneinfo > "$tmp/model" 2> "$tmp/err"
grep -q 'min_free_kbytes is 90112 there, the model computes 67584' "$tmp/err" || fail "no note: $(cat "$tmp/err")"
# pages_min * managed / lowmem_pages for DMA32 (every zone but Movable is lowmem).
want=$(awk '/^Node/ { zone = $4 } $1 == "managed" { m[zone] = $2; if (zone != "Movable") low += $2 }
	END { printf("%d\n", int(90112 / 4 * m["DMA32"] / low)) }' "$root/proc/zoneinfo")
got=$(awk '/^Node/ { zone = $4 } zone == "DMA32" && $1 == "min" { print $2 }' "$tmp/model")
[[ $got == "$want" ]] || fail "DMA32 min with min_free_kbytes 90112: $got, want $want"
echo "ok: a hand-set min_free_kbytes (90112) is used: DMA32 min $got"

# ---- THP off: calculate_min_free_kbytes() alone ---------------------------------------------
echo 'always madvise [never]' > "$tmp/root/sys/kernel/mm/transparent_hugepage/enabled"
echo 67584 > "$tmp/root/proc/sys/vm/min_free_kbytes"
"$bzinfo" --proc-root "$tmp/root" zoneinfo > /dev/null 2> "$tmp/err"
grep -q 'the model computes [0-9]\{4,5\} ' "$tmp/err" || fail "THP never: $(cat "$tmp/err")"
grep -q 'computes 67584' "$tmp/err" && fail "THP never must not raise min_free_kbytes"
echo "ok: with THP never the model does not raise min_free_kbytes: $(grep -o 'computes [0-9]*' "$tmp/err")"

# ---- refusals ----------------------------------------------------------------------------
set +e
"$bzinfo" --proc-root "$tmp/nothing" zoneinfo > /dev/null 2> "$tmp/err"; rc1=$?
"$bzinfo" --from-proc --zones 0:Normal=1000 zoneinfo > /dev/null 2> "$tmp/err2"; rc2=$?
"$bzinfo" --from-proc --diff > /dev/null 2> "$tmp/err3"; rc3=$?
echo garbage > "$tmp/root/proc/zoneinfo"
"$bzinfo" --proc-root "$tmp/root" zoneinfo > /dev/null 2> "$tmp/err4"; rc4=$?
set -e
[[ $rc1 == 1 ]] && grep -q 'proc/zoneinfo' "$tmp/err" || fail "missing root: rc $rc1, $(cat "$tmp/err")"
[[ $rc2 == 2 ]] && grep -q 'drop --zones' "$tmp/err2" || fail "--zones with --from-proc: rc $rc2"
[[ $rc3 == 2 ]] && grep -q 'give both' "$tmp/err3" || fail "--diff without --sysctl: rc $rc3"
[[ $rc4 == 1 ]] && grep -q 'not /proc/zoneinfo' "$tmp/err4" || fail "garbage zoneinfo: rc $rc4, $(cat "$tmp/err4")"
echo "ok: refusals"
echo "all bzinfo --from-proc checks passed"
