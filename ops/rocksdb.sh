#!/usr/bin/env bash
# RocksDB 7.8.3, Debian 12's version, built from Debian's own source tarball as a release
# library (NDEBUG): Debian's librocksdb-dev is built with CMake's build type "None", which keeps
# RocksDB's assert()s and test sync points compiled in, and every memtable insert then checks the
# skiplist's order at each step it walks (about twice the key comparisons; api/bench/benchmarks.md,
# 2026-12-07). The same source and the same headers as Debian's package (librocksdb-dev stays
# installed for them), so the program links either.
#
# Builds once, into ${UURWERK_DEPS:-~/.cache/uurwerk}/rocksdb-7.8.3-release, and prints the path
# of librocksdb.a; a second run prints it at once. The source is checked against the SHA-256
# that Debian's rocksdb_7.8.3-2.dsc gives. About 15 minutes of both cores on the development
# machine. ops/run.sh builds it; ops/build.sh links it when it is there (the tests of CI link
# Debian's library, to keep CI's time).
# Usage: ops/rocksdb.sh [--if-built]   --if-built: print the path only if already built.
set -euo pipefail
version=7.8.3
sha256=b85408a374770897332bf15e51620a5f35720dd416a4749e3899057f9cfaf84d
deps="${UURWERK_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/uurwerk}"
out="$deps/rocksdb-$version-release"
lib="$out/librocksdb.a"
if [ -f "$lib" ]; then
  echo "$lib"
  exit 0
fi
[ "${1:-}" = "--if-built" ] && exit 0

mkdir -p "$deps/src"
tarball="$deps/src/rocksdb_$version.orig.tar.gz"
if [ ! -f "$tarball" ]; then
  echo "rocksdb.sh: fetching RocksDB $version's source from Debian" >&2
  curl -fsSL -o "$tarball.part" \
    "http://deb.debian.org/debian/pool/main/r/rocksdb/rocksdb_$version.orig.tar.gz"
  mv "$tarball.part" "$tarball"
fi
if ! echo "$sha256  $tarball" | sha256sum -c --quiet - >&2; then
  echo "rocksdb.sh: $tarball is not Debian's RocksDB $version source (SHA-256 differs): removed" >&2
  rm -f "$tarball"
  exit 1
fi
work="$(mktemp -d "$deps/src/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tar xzf "$tarball" -C "$work"
echo "rocksdb.sh: building RocksDB $version as a release library (once; about 15 minutes)" >&2
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Debian's options for what the library holds (compression codecs, portable code, RTTI: the
# program subclasses RocksDB's merge operator, slice transform and batch handler), without its
# tools, tests and shared library.
cmake -S "$work/rocksdb-$version" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DWITH_TESTS=OFF -DWITH_TOOLS=OFF -DWITH_CORE_TOOLS=OFF -DWITH_BENCHMARK_TOOLS=OFF \
  -DWITH_GFLAGS=OFF -DROCKSDB_BUILD_SHARED=OFF -DPORTABLE=ON -DFAIL_ON_WARNINGS=OFF -DUSE_RTTI=1 \
  -DWITH_SNAPPY=ON -DWITH_LZ4=ON -DWITH_ZLIB=ON -DWITH_ZSTD=ON -DWITH_BZ2=ON \
  "${launcher[@]}" >&2
cmake --build "$work/build" --target rocksdb -j "$(nproc)" >&2
mkdir -p "$out"
cp "$work/build/librocksdb.a" "$lib.part"
mv "$lib.part" "$lib"
echo "$lib"
