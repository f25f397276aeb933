#!/usr/bin/env bash
# The first of the two set-up commands: installs what is needed, builds, and starts the embedded
# server (durable log, projections, HTTP API) on 127.0.0.1:8080 with its data in ./data.
# Usage: ops/run.sh [extra 'uurwerk serve' options, e.g. --listen 127.0.0.1:9090 --data /srv/uurwerk]
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-deps.sh
# RocksDB as a release library, built once from Debian's source (ops/rocksdb.sh says why).
bash ops/rocksdb.sh >/dev/null
bash ops/build.sh uurwerk
exec ./build/uurwerk serve --data ./data --listen 127.0.0.1:8080 "$@"
