#!/usr/bin/env bash
# tools/demo.sh - the newcomer's first command: installs what is missing
# (as root; otherwise prints the apt-get line), builds, runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the README's two commands need: gnuplot-nox for the plot tests
# (replay_plot, plot_bench), which skip without it.
PACKAGES=(build-essential cmake pkg-config libnuma-dev libhwloc-dev libcmocka-dev libbenchmark-dev gnuplot-nox)
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -eq 0 ]]; then
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
	else
		echo "missing Debian packages; as root run:" >&2
		echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j --target demo bzinfo
./build/examples/demo
