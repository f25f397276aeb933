#!/usr/bin/env bash
# Configures and builds uurwerk into ./build (Release with debug info; warnings are errors in CI).
# Usage: ops/build.sh [TARGET...]   everything, or only the named targets (e.g. uurwerk).
# Incremental on a second run.
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -G Ninja -DUURWERK_WERROR="$werror" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j "$(nproc)" "${targets[@]}"
