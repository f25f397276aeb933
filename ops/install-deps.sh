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
  python3 python3-cryptography
  curl
  clang-14 libclang-rt-14-dev  # tests/fuzz: libFuzzer and the sanitizers (ops/test.sh's fuzz build)
  openjdk-17-jre-headless maven  # ops/kafka.sh: Apache Kafka's jars from Maven Central, run on Java 17
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}"
