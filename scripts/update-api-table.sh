#!/bin/sh
# Rewrites README.md's table of Kafka APIs from what a freshly built kelpd
# answers in ApiVersions (t/integration/api_versions.sh checks they agree).
#   scripts/update-api-table.sh [BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
"$build/kelpd" --module "$build/.libs/kelp.so" --listen 127.0.0.1:0 --admin "" --data "$work" >"$work/out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do
    addr=$(sed -n 's/^kelpd: kafka listening on \([^ ]*\).*$/\1/p' "$work/out")
    [ -n "$addr" ] && break
    sleep 0.1
done
[ -n "$addr" ] || { echo "update-api-table: kelpd did not start" >&2; exit 1; }
PYTHONPATH="$top/t/integration" python3 "$top/t/integration/api_table.py" write "$addr" "$top/README.md"
echo "README.md: API table rewritten from kelpd at $addr"
