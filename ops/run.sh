#!/usr/bin/env bash
# The first of the two set-up commands: installs what is needed, builds, and starts the embedded
# server (durable log, projections, HTTP API) on 127.0.0.1:8080 with its data in ./data.
# Usage: ops/run.sh [extra 'uurwerk serve' options, e.g. --listen 127.0.0.1:9090 --data /srv/uurwerk]
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-deps.sh
# RocksDB as a release library, built once from Debian's source (ops/rocksdb.sh says why); should
# that fail, the node still starts, on Debian's library.
bash ops/rocksdb.sh >/dev/null ||
  echo "run.sh: the release RocksDB could not be built (above); serving with Debian's" >&2
bash ops/build.sh uurwerk
exec ./build/uurwerk serve --data ./data --listen 127.0.0.1:8080 "$@"
