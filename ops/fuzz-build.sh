#!/usr/bin/env bash
# Configures and builds the libFuzzer targets of tests/fuzz into ./build-fuzz, with clang 14,
# AddressSanitizer and UndefinedBehaviorSanitizer (CMakeLists.txt's UURWERK_FUZZ block): only
# the targets and the libraries they read, not the rest of the project. Incremental.
# Usage: ops/fuzz-build.sh [-DUURWERK_FUZZ_SECONDS=N ...]   extra cmake settings
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DUURWERK_FUZZ=ON \
  "${launcher[@]}" -DUURWERK_WERROR="$werror" "$@" >/dev/null
cmake --build build-fuzz -j "${UURWERK_JOBS:-$(nproc)}" --target json_fuzz event_fuzz log_fuzz export_fuzz \
  certificate_fuzz state_fuzz
