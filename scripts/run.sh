#!/bin/bash
# The run command: install the dependencies, build in build/, and run kelpd
# in the foreground: Kafka on 127.0.0.1:9092, admin HTTP on 127.0.0.1:9644,
# data under ./kelp-data. Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
autoreconf -fi
mkdir -p build
[ -f build/Makefile ] || (cd build && ../configure)
make -C build -j2
exec build/kelpd --module build/.libs/kelp.so --listen 127.0.0.1:9092 --admin 127.0.0.1:9644 --data ./kelp-data
