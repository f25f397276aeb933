#!/usr/bin/env bash
# The test suite under sanitizers, built apart with clang 14 (CMakeLists.txt's UURWERK_SANITIZE):
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer (leaks too) into ./build-asan, then every
#         CTest test but Kafka's (a broker per test: slow, and librdkafka is not instrumented),
#         the browser's and the fuzz targets' (they have their own ASan build, build-fuzz)
#   tsan  ThreadSanitizer into ./build-tsan, then the tests whose code runs threads: the log
#         writer, the projector, the node, the HTTP server and its limits, the e2e stories
# Any report aborts the process that made it, so the test fails (the runtimes' options are the
# tests' ENVIRONMENT, CMakeLists.txt's UURWERK_SANITIZER_ENV). Suppressions: ops/asan.supp
# (leaks), ops/ubsan.supp, ops/tsan.supp, each entry with the reason it is not ours.
# Usage: ops/sanitize.sh asan|tsan [build] [CTEST ARGS...]   "build" only builds.
# Incremental; ccache when installed (CCACHE_DIR etc. from the environment). -j from UURWERK_JOBS
# (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:?usage: ops/sanitize.sh asan|tsan [build] [ctest args...]}"
shift
case "$kind" in
  asan) dir=build-asan; sanitize=address,undefined; tests=(-E "kafka|browser|fuzz")
        targets=all ;;
  tsan) dir=build-tsan; sanitize=thread
        tests=(-R "^(ledger/log|projections/projector|api/node|api/http|e2e)/")
        targets='^(uurwerk|test_(ledger_log_.*|projections_projector|api_node_.*|api_http_.*|e2e_.*)):' ;;
  *) echo "ops/sanitize.sh: asan or tsan, not $kind" >&2; exit 2 ;;
esac
only_build=false
if [ "${1:-}" = build ]; then only_build=true; shift; fi
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 \
  -DUURWERK_SANITIZE="$sanitize" -DUURWERK_WERROR="$werror" "${launcher[@]}" >/dev/null
build=()  # every target, or the program and the test binaries of the tests run
[ "$targets" = all ] || build=($(ninja -C "$dir" -t targets all | grep -oE "$targets" | tr -d :))
cmake --build "$dir" -j "${UURWERK_JOBS:-$(nproc)}" ${build[@]/#/--target } -- -k 0
$only_build && exit 0
cd "$dir"
ctest --output-on-failure --timeout 1200 -j "${UURWERK_JOBS:-$(nproc)}" "${tests[@]}" "$@"
