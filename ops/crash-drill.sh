#!/usr/bin/env bash
# The crash drill, long form (issue 23, point 6): kills `uurwerk serve` with SIGKILL KILLS times
# (100 unless given) at random moments under eight concurrent writers, restarting it on the same
# data folder each time. After each restart every event it ever acknowledged must be in its
# community's leaves at its acknowledged offset, the same event with the same verdict; after the
# last, `uurwerk digest` must equal `uurwerk rebuild`. Prints one line per kill and the totals.
# The drill is the test tests/e2e/crash_drill_test.cpp (CTest runs it with 10 kills); this runs
# its binary from build/ (built first) with UURWERK_CRASH_KILLS=KILLS.
# Usage: ops/crash-drill.sh [KILLS]       UURWERK_CRASH_SEED=N repeats a run's random moments.
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-100}"
case "$kills" in '' | *[!0-9]* | 0)
  echo "crash-drill: KILLS must be a positive number, not '$kills'" >&2
  exit 2
  ;;
esac
ninja -C build -j2 uurwerk test_e2e_crash_drill >/dev/null
UURWERK_CRASH_KILLS="$kills" build/test_e2e_crash_drill --report_level=short
