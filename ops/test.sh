#!/usr/bin/env bash
# The second of the two set-up commands: installs what is needed, builds, and runs every test
# through CTest (unit suites per module, the HTTP and end-to-end tests, the crash test, the
# Python client test, librdkafka against real Kafka brokers, the fuzz targets, and the suite
# again under ASan and UBSan). CTest's closing summary is what CI
# reads.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-deps.sh
bash ops/kafka.sh fetch  # Apache Kafka's jars, for tests/kafka (instant when cached)
# The libFuzzer targets (tests/fuzz), built apart with clang into build-fuzz (only they and the
# libraries they read); the main build runs each for UURWERK_FUZZ_SECONDS (20) as the CTest tests
# fuzz/*, beside every other test, so that one closing summary counts them all.
bash ops/fuzz-build.sh
# The suite under AddressSanitizer and UndefinedBehaviorSanitizer (ops/sanitize.sh: clang into
# build-asan); the main build runs its tests as asan/* (all but Kafka's), in the same summary.
bash ops/sanitize.sh asan build
bash ops/build.sh
cmake -S . -B build -DUURWERK_FUZZ_BUILD="$PWD/build-fuzz" -DUURWERK_ASAN_BUILD="$PWD/build-asan" \
  >/dev/null
cd build
ctest --output-on-failure --timeout 900 -j 2 "$@"
