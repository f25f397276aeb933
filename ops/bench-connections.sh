#!/usr/bin/env bash
# The HTTP server under many open connections, in one command: starts `uurwerk serve` on a
# fresh data folder on 127.0.0.1, holds N idle connections (and S slowloris ones, each sending
# its request line one byte every 10 s) with ops/bench_connections.py, and reports the
# server's RSS growth per connection, its threads, and the health probe's p50 and p99 (each
# probe a new connection) before and while they are held. A benchmark, not a test: figures only.
#
#   bash ops/bench-connections.sh [--program PATH] [--connections N] [--slowloris S] [--probes P]
#
# --program PATH  the uurwerk program (default build/uurwerk; another build to compare)
# Defaults: 10,000 idle connections, no slowloris, 1,000 probes. The issue's second figure:
#   bash ops/bench-connections.sh --connections 2000 --slowloris 300
# The last line of stdout is the JSON of the figures.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
program="$here/../build/uurwerk"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --program) program="${2:?--program needs a path}"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
# Each connection is a file on both sides: the clients' limit up to the hard one (the server
# raises its own).
ulimit -n "$(ulimit -Hn)"

data="$(mktemp -d)"
out="$data/serve.out"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT
"$program" serve --data "$data/node" --listen 127.0.0.1:0 >"$out" 2>"$data/serve.err" &
server=$!
for _ in $(seq 1 300); do
  grep -q "listening on" "$out" 2>/dev/null && break
  sleep 0.1
done
port="$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$out")"
[ -n "$port" ] || { echo "the server did not start:" >&2; cat "$data/serve.err" >&2; exit 1; }
echo "bench-connections: $program serving on port $port (pid $server)" >&2
python3 "$here/bench_connections.py" --pid "$server" --port "$port" "${args[@]}"
