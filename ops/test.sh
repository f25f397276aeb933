#!/usr/bin/env bash
# The second of the two set-up commands: installs what is needed, builds, and runs every test
# through CTest (unit suites per module, the HTTP and end-to-end tests, the crash test, the
# Python client test, librdkafka against real Kafka brokers). CTest's closing summary is what CI
# reads.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-deps.sh
bash ops/kafka.sh fetch  # Apache Kafka's jars, for tests/kafka (instant when cached)
# The libFuzzer targets (tests/fuzz), built apart with clang into build-fuzz (only they and the
# libraries they read); the main build runs each for UURWERK_FUZZ_SECONDS (20) as the CTest tests
# fuzz/*, beside every other test, so that one closing summary counts them all.
bash ops/fuzz-build.sh
bash ops/build.sh
cmake -S . -B build -DUURWERK_FUZZ_BUILD="$PWD/build-fuzz" >/dev/null
cd build
ctest --output-on-failure --timeout 900 -j 2 "$@"
