#!/usr/bin/env bash
# Installs the Debian 12 packages uurwerk needs to build and test. Idempotent: a second run
# installs nothing and takes a second. Run as root (or with sudo available).
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  librdkafka-dev librocksdb-dev
  capnproto libcapnp-dev
  nlohmann-json3-dev  # api/json: the JSON parser and string escaping
  libssl-dev libboost-test-dev
  libcurl4-openssl-dev  # api/mail: e-mail through the operator's SMTP relay
  python3 python3-cryptography
  python3-aiosmtpd  # tests/e2e/mail: a real SMTP server on loopback (aiosmtpd, as on PyPI)
  curl
  clang-14 libclang-rt-14-dev  # tests/fuzz: libFuzzer and the sanitizers (ops/test.sh's fuzz build)
  openjdk-17-jre-headless maven  # ops/kafka.sh: Apache Kafka's jars from Maven Central, run on Java 17
  chromium fonts-dejavu-core  # tests/web: the web app in a real browser (Playwright drives it)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for the web app's packages below (the machine's own, else Debian's).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# The web app's packages from npm (api/web/package.json, pinned by its package-lock.json): the
# QR code encoder the app serves from its own origin, which the build embeds, and the browser
# tests' driver and accessibility engine. Again only when the lock file changed.
web="$(cd "$(dirname "$0")/.." && pwd)/api/web"
stamp="$web/node_modules/.uurwerk-lock"
if ! cmp -s "$web/package-lock.json" "$stamp" 2>/dev/null; then
  echo "install-deps: npm ci in api/web"
  (cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  cp "$web/package-lock.json" "$stamp"
fi
