#!/bin/bash
# Install everything needed to build and test Kelp on Debian 12: compilers
# (gcc, and clang with libFuzzer for the fuzz targets), valgrind and autotools, the
# libraries kelp links, the Check unit-test library, and the real Kafka
# clients of the integration tests (librdkafka, kcat,
# kafka-python with its codecs, confluent-kafka, kafkajs, node-rdkafka, and
# Go with Sarama and confluent-kafka-go). Safe to run
# again: it installs only what is missing. Runs apt-get through sudo when
# not root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    build-essential autoconf automake libtool pkg-config clang
    libcjson-dev libmicrohttpd-dev check libcurl4-openssl-dev libssl-dev
    zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev libisal-dev libavro-dev
    g++ libvalijson-dev nlohmann-json3-dev libprotobuf-dev libprotoc-dev
    librdkafka-dev kcat curl openssl valgrind chromium
    jq man-db groff-base bsdextrautils
    python3 python3-kafka python3-confluent-kafka python3-requests
    python3-jsonschema python3-protobuf python3-avro
    python3-snappy python3-lz4 python3-zstandard python3-prometheus-client
    golang-go golang-github-shopify-sarama-dev golang-github-confluentinc-confluent-kafka-go-dev
)
# A node/npm installed some other way (e.g. from nodejs.org) is kept.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "install-deps: need root (or sudo) to run: $*" >&2
        exit 1
    fi
}

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
else
    echo "install-deps: all Debian packages present"
fi

# playwright-core (drives chromium for the console test), kafkajs and
# node-rdkafka (which builds its own librdkafka, ~3 minutes) for
# the integration tests, pinned by the committed lock file.
node_dir=t/integration/node
stale=
for pkg in kafkajs node-rdkafka playwright-core; do
    wanted=$(node -p 'require("./'"$node_dir"'/package-lock.json").packages["node_modules/'"$pkg"'"].version')
    have=$(node -p 'try { require("./'"$node_dir"'/node_modules/'"$pkg"'/package.json").version.replace(/^v/, "") } catch (e) { "none" }')
    [ "$have" = "$wanted" ] || stale="$stale $pkg@$wanted"
done
# node-rdkafka's native module must be built too.
[ -f "$node_dir/node_modules/node-rdkafka/build/Release/node-librdkafka.node" ] || stale="$stale node-rdkafka(build)"
if [ -n "$stale" ]; then
    echo "install-deps: npm ci in $node_dir ($stale )"
    (cd "$node_dir" && npm ci --no-audit --no-fund)
else
    echo "install-deps: kafkajs, node-rdkafka and playwright-core present in $node_dir/node_modules"
fi
