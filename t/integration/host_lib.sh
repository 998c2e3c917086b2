# Helpers for the host_*.sh integration tests (sourced, not run).
# Environment from Makefile.am: KELPD, KELP_MODULE, KELP_BUILDDIR.

set -u

: "${KELPD:?KELPD must name the kelpd binary}"
: "${KELP_MODULE:?KELP_MODULE must name kelp.so}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kelp-host-test.XXXXXX")
KELPD_PID=
cleanup() {
    if [ -n "$KELPD_PID" ] && kill -0 "$KELPD_PID" 2>/dev/null; then
        kill -KILL "$KELPD_PID" 2>/dev/null
        wait "$KELPD_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for f in "$WORK"/*.out "$WORK"/*.err; do
        [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
    done
    exit 1
}

pass() { echo "ok: $*"; }

# expect_failure NAME EXPECTED-STDERR-TEXT ARGS...: kelpd must exit 2 and
# say EXPECTED on stderr.
expect_failure() {
    name=$1 expected=$2
    shift 2
    status=0
    "$KELPD" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null || status=$?
    [ "$status" -eq 2 ] || fail "$name: exit status $status, expected 2"
    grep -qF -- "$expected" "$WORK/$name.err" || fail "$name: stderr lacks: $expected"
    pass "$name"
}

# start_kelpd ARGS...: starts kelpd in the background and waits for the
# address lines; sets KAFKA_ADDR and ADMIN_ADDR (empty when disabled).
start_kelpd() {
    # A previous run's address lines must not pass for this one's.
    rm -f "$WORK/kelpd.out" "$WORK/kelpd.err"
    "$KELPD" --module "$KELP_MODULE" --listen 127.0.0.1:0 --data "$WORK/data" "$@" \
        >"$WORK/kelpd.out" 2>"$WORK/kelpd.err" </dev/null &
    KELPD_PID=$!
    tries=0
    while ! grep -q '^kelpd: kafka listening on ' "$WORK/kelpd.out" 2>/dev/null; do
        kill -0 "$KELPD_PID" 2>/dev/null || fail "kelpd exited before listening"
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || fail "kelpd did not report its address"
        sleep 0.1
    done
    # The admin line, when enabled, is printed together with the kafka line.
    # shellcheck disable=SC2034 # read by the tests that source this file
    KAFKA_ADDR=$(sed -n 's/^kelpd: kafka listening on //p' "$WORK/kelpd.out")
    ADMIN_ADDR=$(sed -n 's/^kelpd: admin listening on //p' "$WORK/kelpd.out")
}

# stop_kelpd: SIGTERM, then kelpd must exit 0.
stop_kelpd() {
    kill -TERM "$KELPD_PID"
    status=0
    wait "$KELPD_PID" || status=$?
    KELPD_PID=
    [ "$status" -eq 0 ] || fail "kelpd exited with $status after SIGTERM"
}

# http METHOD PATH [BODY]: prints the status code, keeps the body in
# $WORK/body.
http() {
    if [ $# -ge 3 ]; then
        curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
            --data-binary "$3" "http://$ADMIN_ADDR$2"
    else
        curl -s -o "$WORK/body" -w '%{http_code}' -X "$1" "http://$ADMIN_ADDR$2"
    fi
}
