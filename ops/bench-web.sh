#!/usr/bin/env bash
# The web app's figures (issue 24), printed, not asserted: the member home's first load (bytes,
# time until drawn and interactive) and Lighthouse's scores for the home and the post screen,
# against a node of its own on loopback with Debian's Chromium. Lighthouse comes from npm into
# ops/bench-web (pinned; never installed by CI). Then the proposal's time from the matcher's event
# to 1,000 open pages (`uurwerk bench streams --proposals`). Usage: ops/bench-web.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/install-deps.sh
bash ops/build.sh uurwerk
dir=ops/bench-web
if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.uurwerk-lock" 2>/dev/null; then
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  cp "$dir/package-lock.json" "$dir/node_modules/.uurwerk-lock"
fi
node "$dir/bench_web.mjs" ./build/uurwerk "$@"
echo "== proposal latency, 1,000 open pages (uurwerk bench streams --proposals)"
exec ./build/uurwerk bench streams --proposals
