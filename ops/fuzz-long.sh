#!/usr/bin/env bash
# The long fuzzing run: each libFuzzer target of tests/fuzz for N executions (10 million unless
# given), from a scratch copy of its seed corpus, one after the other; prints per target the
# executions/s and the coverage libFuzzer reports at the end (`cov:` edges, `ft:` features,
# corpus size) and whether it found anything. Builds build-fuzz first (ops/fuzz-build.sh).
# Usage: ops/fuzz-long.sh [RUNS [TARGET...]]   e.g. ops/fuzz-long.sh 200000 event log
# UURWERK_FUZZ_MAX_SECONDS=S also stops each target after S seconds (the `execs` column then
# says how far it got). One process at a time: one core.
# A crash stops the run; its input is left as build-fuzz/fuzz-long/crash-<target>-*: make it a
# regression (a corpus file under tests/fuzz/corpus/<target>/ and a fix).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10000000}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json event log export certificate state)
bash ops/fuzz-build.sh >/dev/null
out=build-fuzz/fuzz-long
mkdir -p "$out"
max_seconds="${UURWERK_FUZZ_MAX_SECONDS:-0}"
printf '%-12s %10s %9s %8s %8s %7s %8s\n' target execs seconds exec/s cov ft corpus
for t in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/$t
  [ "$t" = json ] && seeds=tests/fuzz/json_corpus
  rm -rf "$out/$t" && mkdir -p "$out/$t" && cp "$seeds"/* "$out/$t"/
  start=$(date +%s.%N)
  status=0
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  # state_fuzz's store keeps memory between inputs: no leak check per input (CMakeLists.txt).
  [ "$t" = state ] && dict+=(-detect_leaks=0)
  build-fuzz/"${t}"_fuzz -runs="$runs" -rss_limit_mb=2048 -timeout=20 "${dict[@]}" \
    -max_total_time="$max_seconds" \
    -artifact_prefix="$out/crash-$t-" "$out/$t" >"$out/$t.log" 2>&1 || status=$?
  seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$out/$t.log" | tail -1 || true)
  field() { sed -n "s|.* $1: \\([0-9]*\\).*|\\1|p" <<<"$done_line"; }
  corpus=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")
  execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$done_line")
  printf '%-12s %10s %9.1f %8s %8s %7s %8s\n' "$t" "$execs" "$seconds" "$(field exec/s)" \
    "$(field cov)" "$(field ft)" "$corpus"
  if [ "$status" -ne 0 ]; then
    echo "fuzz-long: $t failed (exit $status); see $out/$t.log and $out/crash-$t-*" >&2
    exit 1
  fi
done
