#!/usr/bin/env bash
# test_install.sh SRC BUILD - the install, seen from a downstream project.
#
# Installs the already built tree BUILD into a temporary prefix, then checks
# what a user gets there: the shared object exports only bz_ symbols and has
# the SONAME libbuddyzone.so.0, bin/bzinfo, bin/bzstat and bin/bzreplay run
# from there with no LD_LIBRARY_PATH (their run path finds the library of
# the prefix), and tests/consumer builds and runs four ways: find_package with buddyzone::buddyzone and
# buddyzone::buddyzone_static, pkg-config (shared), pkg-config --static
# (libbuddyzone.a).  Registered as the ctest install_consumer.
#
# Environment: CC, the compiler the library was built with (default cc);
# BZ_SANITIZE, the library's -fsanitize list, which the consumer must share.
set -euo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: $0 SRC BUILD" >&2
	exit 2
fi
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
cc=${CC:-cc}
san_flags=()
if [[ -n ${BZ_SANITIZE:-} ]]; then
	san_flags=(-fsanitize="$BZ_SANITIZE" -fno-omit-frame-pointer)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bz-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

fail() {
	echo "install_consumer: FAIL: $*" >&2
	exit 1
}

# logged NAME CMD...: runs CMD with its output in $tmp/NAME.log, shown on failure.
logged() {
	local name=$1
	shift
	if ! "$@" >"$tmp/$name.log" 2>&1; then
		cat "$tmp/$name.log" >&2
		fail "$name: '$*' failed"
	fi
}

# expect_ok NAME CMD...: runs a consumer, which must print OK.
expect_ok() {
	local name=$1 out
	shift
	out=$("$@" 2>&1) || fail "$name: exited with $?: $out"
	[[ $out == OK* ]] || fail "$name: expected OK, got: $out"
	echo "install_consumer: $name: $out"
}

# ---- install ------------------------------------------------------------------
logged install cmake --install "$build" --prefix "$prefix"
so=$(find "$prefix" -name libbuddyzone.so.0 -print -quit)
archive=$(find "$prefix" -name libbuddyzone.a -print -quit)
pc=$(find "$prefix" -name buddyzone.pc -print -quit)
config=$(find "$prefix" -name buddyzoneConfig.cmake -print -quit)
[[ -n $so ]] || fail "no libbuddyzone.so.0 under $prefix"
[[ -n $archive ]] || fail "no libbuddyzone.a under $prefix"
[[ -n $pc ]] || fail "no buddyzone.pc under $prefix"
[[ -n $config ]] || fail "no buddyzoneConfig.cmake under $prefix"
[[ -f $prefix/include/buddyzone/buddyzone.h ]] || fail "no include/buddyzone/buddyzone.h"
[[ -f $prefix/include/buddyzone/version.h ]] || fail "no include/buddyzone/version.h"
libdir=$(dirname "$so")
version=$(sed -n 's/^#define BZ_VERSION_STRING "\(.*\)"$/\1/p' "$prefix/include/buddyzone/version.h")
echo "install_consumer: installed $version, libdir ${libdir#"$prefix"/}"

# ---- the shared object ---------------------------------------------------------
# Only the API (bz_, never the internal bz__) leaves the library, sanitized or not.
foreign=$(nm -D --defined-only "$so" | awk '{ print $NF }' | grep -Ev '^bz_[^_]' || true)
[[ -z $foreign ]] || fail "libbuddyzone.so.0 exports non-bz_ symbols: $(echo $foreign)"
readelf -d "$so" | grep -q 'Library soname: \[libbuddyzone\.so\.0\]' ||
	fail "SONAME of $so is not libbuddyzone.so.0: $(readelf -d "$so" | grep SONAME)"

# ---- man pages: `man bzreplay` after the install -----------------------------------
for page in bzinfo bzstat bzreplay bzrecord; do
	[[ -f $prefix/share/man/man1/$page.1 ]] || fail "no share/man/man1/$page.1"
	[[ -x $prefix/bin/${page} ]] || fail "no bin/$page"
done
if command -v man > /dev/null; then
	MANWIDTH=80 man -M "$prefix/share/man" bzreplay 2> /dev/null | grep -q 'kernel beside model' ||
		fail "man -M $prefix/share/man bzreplay does not show the page"
	echo "install_consumer: man bzreplay works from the prefix"
fi

# ---- the installed tools, as a user runs them ----------------------------------
# No LD_LIBRARY_PATH: each finds the library of this prefix through its run
# path ($ORIGIN/../lib), not one installed elsewhere on the machine.
for tool in bzinfo bzstat bzreplay; do
	[[ -x $prefix/bin/$tool ]] || fail "no bin/$tool"
	if readelf -d "$prefix/bin/$tool" | grep -q 'NEEDED.*libbuddyzone'; then
		resolved=$(env -u LD_LIBRARY_PATH ldd "$prefix/bin/$tool" | awk '/libbuddyzone/ { print ($3 == "not" ? "nowhere (not found)" : $3) }')
		[[ -e $resolved ]] && resolved=$(realpath "$resolved")
		[[ $resolved == "$(realpath "$libdir")/"* ]] ||
			fail "installed $tool loads libbuddyzone from '$resolved', not from $libdir: $(readelf -d "$prefix/bin/$tool" | grep -E 'R(UN)?PATH')"
	fi
done
out=$(env -u LD_LIBRARY_PATH "$prefix/bin/bzinfo" --zones 0:Normal=4096 buddyinfo 2>&1) ||
	fail "installed bzinfo --zones 0:Normal=4096 buddyinfo exited with $?: $out"
grep -Eq '^Node 0, zone +Normal' <<<"$out" || fail "bzinfo buddyinfo printed: $out"
echo "install_consumer: bzinfo: $out"
out=$(env -u LD_LIBRARY_PATH "$prefix/bin/bzreplay" --zones 0:DMA32=16384 --quiet "$src/tests/data/trace-small.csv" 2>&1) ||
	fail "installed bzreplay exited with $?: $out"
grep -q '^events: mm_page_alloc 8, mm_page_free 4' <<<"$out" && grep -q '^live at the end: 5 blocks' <<<"$out" ||
	fail "bzreplay printed: $out"
echo "install_consumer: bzreplay: $(wc -l <<<"$out") lines of summary"
out=$(env -u LD_LIBRARY_PATH "$prefix/bin/bzstat" --help 2>&1) || fail "installed bzstat --help exited with $?: $out"
grep -q '^usage: bzstat' <<<"$out" || fail "bzstat --help printed: $out"
out=$(env -u LD_LIBRARY_PATH "$prefix/bin/bzstat" -l 2>&1) || fail "installed bzstat -l exited with $?: $out"
echo "install_consumer: bzstat: runs"

# ---- find_package ----------------------------------------------------------------
logged cmake-configure cmake -S "$src/tests/consumer" -B "$tmp/c1" \
	-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="${san_flags[*]}"
grep -q "^buddyzone_DIR:PATH=$prefix/" "$tmp/c1/CMakeCache.txt" ||
	fail "find_package found a buddyzone outside $prefix: $(grep '^buddyzone_DIR' "$tmp/c1/CMakeCache.txt")"
logged cmake-build cmake --build "$tmp/c1"
expect_ok "find_package buddyzone::buddyzone" "$tmp/c1/consumer"
expect_ok "find_package buddyzone::buddyzone_static" "$tmp/c1/consumer_static"

# ---- pkg-config ------------------------------------------------------------------
export PKG_CONFIG_PATH=$(dirname "$pc")
[[ $(pkg-config --variable=prefix buddyzone) == "$prefix" ]] ||
	fail "buddyzone.pc names prefix $(pkg-config --variable=prefix buddyzone), not $prefix"
[[ $(pkg-config --modversion buddyzone) == "$version" ]] ||
	fail "buddyzone.pc has version $(pkg-config --modversion buddyzone), version.h $version"
read -ra pc_cflags <<<"$(pkg-config --cflags buddyzone)"
read -ra pc_libs <<<"$(pkg-config --libs buddyzone)"
logged pkg-config-build "$cc" "${san_flags[@]}" "$src/tests/consumer/consumer.c" \
	"${pc_cflags[@]}" "${pc_libs[@]}" -o "$tmp/c2"
expect_ok "pkg-config" env LD_LIBRARY_PATH="$libdir" "$tmp/c2"

# Static: the same flags with --static, and the archive instead of the .so.
read -ra pc_static <<<"$(pkg-config --static --libs buddyzone | sed 's/-lbuddyzone\b/-l:libbuddyzone.a/')"
logged pkg-config-static-build "$cc" "${san_flags[@]}" "$src/tests/consumer/consumer.c" \
	"${pc_cflags[@]}" "${pc_static[@]}" -o "$tmp/c3"
if readelf -d "$tmp/c3" | grep -q 'libbuddyzone\.so'; then
	fail "pkg-config --static build still needs libbuddyzone.so"
fi
expect_ok "pkg-config --static" "$tmp/c3"

echo "install_consumer: all passed"
