#!/usr/bin/env bash
# `uurwerk bench ingest` on Apache Kafka, in one command: starts a one-broker cluster and a
# three-broker cluster on loopback (ops/kafka.sh), runs the ingest benchmark against the embedded
# log and both clusters in the same run, and stops the brokers afterwards, also when the bench
# fails or is interrupted. Progress on stderr; the last line of stdout is the bench's JSON.
#
#   bash ops/bench-kafka.sh [--build DIR] [--data DIR] [--base-port P] [BENCH OPTIONS...]
#
# --build DIR   where the uurwerk program was built (default build/)
# --data DIR    the clusters' folders (default: a new temporary folder, removed afterwards;
#               a given folder is kept, and its clusters are restarted on the next run)
# --base-port P the one broker's ports from P, the three's from P+10 (default: the first free
#               blocks from 19092, as ops/kafka.sh picks them)
# Other options go to `uurwerk bench ingest` (e.g. --events 20000 --clients 128). It runs with
# --submit blocking (each client waiting for its answer, as through HTTP), the method its goal
# and earlier figures were measured with; a --submit given here wins.
# The brokers run with the JIT at full strength (UURWERK_KAFKA_JVM_OPTS, see ops/README.md),
# as a benchmark of them should; set it to override.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
build="$repo/build"
data=""
base_port=""
bench_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="${2:?--build needs a folder}"; shift 2 ;;
    --data) data="${2:?--data needs a folder}"; shift 2 ;;
    --base-port) base_port="${2:?--base-port needs a port}"; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_args+=("$1"); shift ;;
  esac
done
program="$build/uurwerk"
[ -x "$program" ] || { echo "bench-kafka.sh: no $program (build first: bash ops/build.sh)" >&2; exit 1; }

keep_data=1
if [ -z "$data" ]; then
  data="$(mktemp -d "${TMPDIR:-/tmp}/uurwerk-bench-kafka.XXXXXX")"
  keep_data=""
fi
export UURWERK_KAFKA_JVM_OPTS="${UURWERK_KAFKA_JVM_OPTS:--Xms256m -Xmx512m -XX:+UseSerialGC}"

# Whatever happens from here on (failure, ^C, SIGTERM), the brokers are stopped.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  echo "bench-kafka.sh: stopping the brokers..." >&2
  bash "$here/kafka.sh" stop --data "$data/one" >&2 || true
  bash "$here/kafka.sh" stop --data "$data/three" >&2 || true
  [ -n "$keep_data" ] || rm -rf "$data"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "bench-kafka.sh: starting one broker, then three, in $data..." >&2
bash "$here/kafka.sh" start --brokers 1 --data "$data/one" ${base_port:+--base-port "$base_port"} >&2
bash "$here/kafka.sh" start --brokers 3 --data "$data/three" \
  ${base_port:+--base-port "$((base_port + 10))"} >&2
one="$(bash "$here/kafka.sh" bootstrap --data "$data/one")"
three="$(bash "$here/kafka.sh" bootstrap --data "$data/three")"

"$program" bench ingest --kafka "$one;$three" --submit blocking "${bench_args[@]}"
