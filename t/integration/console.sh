#!/bin/sh
# The web console (GET /console/): chromium, driven by playwright-core
# (t/integration/console.js), opens the page kelpd serves and checks what it
# shows against what kcat produced and consumed: topics and partition
# counts, end offsets, a consumer group's lag, the overview's counts, and a
# non-zero live throughput while a producer runs. Screenshots of each view
# go to the work directory. Then admin_auth with a Basic user: the browser
# logs in with httpCredentials, and without them the page gets 401.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require kcat kcat
kelp_require curl curl
kelp_require node nodejs
[ -x /usr/bin/chromium ] || kelp_fail "/usr/bin/chromium is missing (install the Debian package chromium, or run scripts/install-deps.sh)"
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "the mock cluster has no admin endpoint"

# playwright-core from t/integration/node/node_modules or, in a tree without
# it (a dist tarball, read-only under distcheck), from a cache directory of
# its own installed from the committed lock file.
nodesrc="$KELP_SRCDIR/t/integration/node"
if [ -f "$nodesrc/node_modules/playwright-core/package.json" ]; then
    NODE_PATH="$nodesrc/node_modules"
else
    lock_sum=$(cksum <"$nodesrc/package-lock.json" | cut -d' ' -f1)
    nodecache="${TMPDIR:-/tmp}/kelp-console-node-$lock_sum"
    if [ ! -f "$nodecache/node_modules/playwright-core/package.json" ]; then
        kelp_require npm npm
        staging="$KELP_WORK/node"
        # Only playwright-core: node-rdkafka would build librdkafka for minutes.
        wanted=$(node -p 'require(process.argv[1]).packages["node_modules/playwright-core"].version' \
            "$nodesrc/package-lock.json") || kelp_fail "no playwright-core in $nodesrc/package-lock.json"
        mkdir -p "$staging" && printf '{"private": true}\n' >"$staging/package.json" &&
            (cd "$staging" && npm install --prefer-offline --no-audit --no-fund --no-save \
                "playwright-core@$wanted" >/dev/null) &&
            { mv "$staging" "$nodecache" 2>/dev/null || [ -d "$nodecache/node_modules/playwright-core" ]; } ||
            kelp_fail "playwright-core is not installed (run scripts/install-deps.sh, or npm ci in $nodesrc)"
    fi
    NODE_PATH="$nodecache/node_modules"
fi
export NODE_PATH
driver="$KELP_SRCDIR/t/integration/console.js"

# Background clients are stopped before lib.sh's exit handler runs.
BG_PIDS=
stop_background() {
    for pid in $BG_PIDS; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    BG_PIDS=
}
trap 'status=$?; stop_background; (exit $status); kelp_on_exit' EXIT

kelp_start
ADMIN="http://$KELP_ADMIN"
export KELP_CONSOLE_URL="$ADMIN"

# Known content: "orders" has 3 partitions and 1000 keyed records, "audit"
# one partition and 200 records, of which group "billing" consumed 50.
create_topic() {
    status=$(curl -s -o "$KELP_WORK/create.json" -w '%{http_code}' -X POST -H Content-Type:application/json \
        --data "{\"name\": \"$1\", \"partitions\": $2}" "$ADMIN/v1/topics")
    [ "$status" = 201 ] || kelp_fail "POST /v1/topics $1 answered $status: $(cat "$KELP_WORK/create.json")"
}
create_topic orders 3
create_topic audit 1
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "key-%d:order %d\n", i, i }' >"$KELP_WORK/orders.txt"
awk 'BEGIN { for (i = 0; i < 200; i++) printf "audit record %d\n", i }' >"$KELP_WORK/audit.txt"
kelp_run "produce 1000 records to orders" kcat -b "$KELP_BOOTSTRAP" -P -t orders -K: -l "$KELP_WORK/orders.txt"
kelp_run "produce 200 records to audit" kcat -b "$KELP_BOOTSTRAP" -P -t audit -l "$KELP_WORK/audit.txt"
# kcat -G commits the offsets of the records it delivered when it closes.
kelp_run "group billing consumes 50 records of audit" timeout 60 \
    kcat -b "$KELP_BOOTSTRAP" -G billing -X auto.offset.reset=earliest -c 50 -q audit

# The admin API must agree before the page is asked (lag 150 = 200 - 50).
waited=0
until curl -s "$ADMIN/v1/groups/billing" | grep -q '"total_lag":150'; do
    [ $waited -lt 100 ] || kelp_fail "GET /v1/groups/billing: no total_lag 150: $(curl -s "$ADMIN/v1/groups/billing")"
    sleep 0.1
    waited=$((waited + 1))
done

# The static files themselves: types, the index at / and /console/, 404s.
content_type() {
    curl -s -o /dev/null -w '%{http_code} %{content_type}' "$ADMIN$1"
}
for check in "/ 200 text/html" "/console 200 text/html" "/console/ 200 text/html" \
    "/console/index.html 200 text/html" "/console/app.js 200 text/javascript" \
    "/console/style.css 200 text/css" "/console/favicon.svg 200 image/svg+xml" \
    "/console/missing.js 404 application/json"; do
    set -- $check # split on purpose: path, status, type
    got=$(content_type "$1")
    case "$got" in
        "$2 $3"*) ;;
        *) kelp_fail "GET $1: expected $2 $3, got $got" ;;
    esac
done
kelp_log "static files served with their content types"

metrics_status=$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN/metrics")
[ "$metrics_status" = 200 ] || kelp_fail "GET /metrics answered $metrics_status: the throughput charts need it"

kelp_run "console shows topics, offsets, groups and the overview" node "$driver" static

# Live traffic: a producer writing to orders and a consumer group reading it.
(
    i=0
    while :; do
        awk -v n="$i" 'BEGIN { for (j = 0; j < 200; j++) printf "live-%d-%d\n", n, j }' |
            kcat -b "$KELP_BOOTSTRAP" -P -t orders 2>/dev/null
        i=$((i + 1))
        sleep 0.2
    done
) &
BG_PIDS="$BG_PIDS $!"
kcat -b "$KELP_BOOTSTRAP" -G live-readers -X auto.offset.reset=earliest -q orders >/dev/null 2>&1 &
BG_PIDS="$BG_PIDS $!"

kelp_run "console charts a live throughput" node "$driver" live
stop_background

# A Basic user: the browser logs in with it; without, 401.
USER=console-user
PASS=console-pass-123
status=$(curl -s -o "$KELP_WORK/put.json" -w '%{http_code}' -X PUT -H Content-Type:application/json \
    --data "{\"admin_auth\": {\"basic_users\": {\"$USER\": \"$PASS\"}}}" "$ADMIN/v1/config")
[ "$status" = 200 ] || kelp_fail "PUT /v1/config admin_auth answered $status: $(cat "$KELP_WORK/put.json")"
status=$(curl -s -o /dev/null -w '%{http_code}' "$ADMIN/console/")
[ "$status" = 401 ] || kelp_fail "GET /console/ without credentials answered $status, not 401"
KELP_CONSOLE_USER=$USER KELP_CONSOLE_PASSWORD=$PASS kelp_run "console with admin Basic auth" node "$driver" auth

kelp_log PASS
