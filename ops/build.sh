#!/usr/bin/env bash
# Configures and builds uurwerk into ./build (Release with debug info; warnings are errors in CI),
# against the release RocksDB of ops/rocksdb.sh when it is built, else Debian's librocksdb.
# Usage: ops/build.sh [TARGET...]   everything, or only the named targets (e.g. uurwerk).
# Incremental on a second run.
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
# RocksDB: the release library when ops/rocksdb.sh has built it (ops/run.sh does), else Debian's.
rocksdb=(-DUURWERK_ROCKSDB_LIB=)
if lib="$(bash ops/rocksdb.sh --if-built)" && [ -n "$lib" ]; then rocksdb=(-DUURWERK_ROCKSDB_LIB="$lib"); fi
cmake -S . -B build -G Ninja -DUURWERK_WERROR="$werror" "${rocksdb[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j "$(nproc)" "${targets[@]}"
