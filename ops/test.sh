#!/usr/bin/env bash
# The second of the two set-up commands: installs what is needed, builds, and runs every test
# through CTest (unit suites per module, the HTTP and end-to-end tests, the crash test, the
# Python client test). CTest's closing summary is what CI reads.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-deps.sh
bash ops/build.sh
cd build
ctest --output-on-failure --timeout 900 -j 2 "$@"
