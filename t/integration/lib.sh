# Shared shell library of the integration tests: sourced, not run.
#
# A test sources it, calls kelp_start, runs a real Kafka client against
# $KELP_BOOTSTRAP (HOST:PORT), may call kelp_restart (same data directory, new
# ephemeral port), and exits 0 when every check passed. kelpd is always
# stopped when the test exits. A missing client is a failure, never a skip.
#
# Environment (exported by `make check`): KELPD, KELP_MODULE, KELP_SRCDIR,
# KELP_BUILDDIR. KELP_TEST_SERVER=mock runs the same test against
# librdkafka's in-memory mock cluster (t/clients/mock_cluster) instead, to
# tell a broken test from a broken server; the mock keeps nothing across a
# restart and cannot look offsets up by timestamp, so with it kelp_restart
# keeps the running cluster and KELP_TEST_MOCK=1 tells clients to leave the
# timestamp lookup out. KELP_CONFIG names a JSON configuration file for kelpd
# (the command-line addresses and data directory still win).

set -u

: "${KELP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KELP_BUILDDIR:=$KELP_SRCDIR/build}"
: "${KELPD:=$KELP_BUILDDIR/kelpd}"
: "${KELP_MODULE:=$KELP_BUILDDIR/.libs/kelp.so}"
: "${KELP_TEST_SERVER:=kelpd}"
KELP_START_TIMEOUT=20    # seconds to wait for the listening line
KELP_STOP_TIMEOUT=30     # seconds to wait for a clean exit after SIGTERM
KELP_TEST_NAME=$(basename "$0" .sh)
KELP_PYTHON=/usr/bin/python3 # apt's python3-kafka and python3-confluent-kafka live here
export PYTHONDONTWRITEBYTECODE=1 # the source tree may be read-only (distcheck)
export PYTHONPATH="$KELP_SRCDIR/t/integration${PYTHONPATH:+:$PYTHONPATH}"

KELP_PID=
KELP_BOOTSTRAP=
KELP_ADMIN=
KELP_STARTS=0
KELP_WORK=$(mktemp -d "${TMPDIR:-/tmp}/kelp-$KELP_TEST_NAME.XXXXXX") || exit 1
KELP_DATA="$KELP_WORK/data"
mkdir -p "$KELP_DATA"
export KELP_WORK

kelp_log() {
    printf '%s: %s\n' "$KELP_TEST_NAME" "$*"
}

# Print why, show what the server said, and fail the test.
kelp_fail() {
    printf '%s: FAIL: %s\n' "$KELP_TEST_NAME" "$*" >&2
    exit 1
}

# kelp_require COMMAND DEBIAN-PACKAGE: a missing client fails the test.
kelp_require() {
    command -v "$1" >/dev/null 2>&1 ||
        kelp_fail "$1 is not installed (install the Debian package $2, or run scripts/install-deps.sh)"
}

# kelp_python_require MODULE DEBIAN-PACKAGE
kelp_python_require() {
    kelp_require "$KELP_PYTHON" python3
    "$KELP_PYTHON" -c "import $1" 2>/dev/null ||
        kelp_fail "python module $1 is missing (install the Debian package $2, or run scripts/install-deps.sh)"
}

# kelp_run DESCRIPTION COMMAND...: run one step; a failing step fails the test.
kelp_run() {
    local what=$1
    shift
    kelp_log "$what"
    "$@" || kelp_fail "$what: '$*' exited with status $?"
}

kelp_server_log_tail() {
    local f
    for f in "$KELP_WORK"/server.*.out "$KELP_WORK"/server.*.err; do
        [ -s "$f" ] || continue
        printf '%s: --- last lines of %s ---\n' "$KELP_TEST_NAME" "$(basename "$f")" >&2
        tail -n 30 "$f" >&2
    done
}

kelp_on_exit() {
    local status=$?
    if [ -n "$KELP_PID" ] && kill -0 "$KELP_PID" 2>/dev/null; then
        kill -TERM "$KELP_PID" 2>/dev/null
        local waited=0
        while kill -0 "$KELP_PID" 2>/dev/null && [ $waited -lt 100 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -KILL "$KELP_PID" 2>/dev/null
        wait "$KELP_PID" 2>/dev/null
    fi
    if [ $status -ne 0 ]; then
        kelp_server_log_tail
        kelp_log "work directory kept for inspection: $KELP_WORK"
    else
        rm -rf "$KELP_WORK"
    fi
    exit $status
}
trap kelp_on_exit EXIT
trap 'exit 1' INT TERM HUP PIPE

# Start the server on ephemeral ports and set KELP_BOOTSTRAP (and KELP_ADMIN).
kelp_start() {
    KELP_STARTS=$((KELP_STARTS + 1))
    local out="$KELP_WORK/server.$KELP_STARTS.out" err="$KELP_WORK/server.$KELP_STARTS.err"
    local pattern
    if [ "$KELP_TEST_SERVER" = mock ]; then
        local mock="$KELP_BUILDDIR/t/clients/mock_cluster"
        [ -x "$mock" ] || kelp_fail "$mock is not built (make check builds it)"
        export KELP_TEST_MOCK=1
        # KELP_MOCK_TOPICS: topics to create up front, with KELP_MOCK_PARTITIONS each.
        # shellcheck disable=SC2086
        "$mock" ${KELP_MOCK_TOPICS:-} >"$out" 2>"$err" &
        pattern='s/^mock bootstrap \([^ ,]*\).*$/\1/p'
    else
        [ -x "$KELPD" ] || kelp_fail "kelpd not found at $KELPD (set KELPD, or run through make check)"
        [ -f "$KELP_MODULE" ] || kelp_fail "kelp.so not found at $KELP_MODULE (set KELP_MODULE)"
        "$KELPD" --module "$KELP_MODULE" ${KELP_CONFIG:+--config "$KELP_CONFIG"} \
            --listen 127.0.0.1:0 --admin 127.0.0.1:0 --data "$KELP_DATA" >"$out" 2>"$err" &
        pattern='s/^kelpd: kafka listening on \([^ ]*\).*$/\1/p'
    fi
    KELP_PID=$!
    local waited=0
    KELP_BOOTSTRAP=
    while [ -z "$KELP_BOOTSTRAP" ]; do
        if ! kill -0 "$KELP_PID" 2>/dev/null; then
            wait "$KELP_PID"
            local status=$?
            KELP_PID=
            kelp_fail "$KELP_TEST_SERVER exited with status $status before listening"
        fi
        [ $waited -lt $((KELP_START_TIMEOUT * 10)) ] ||
            kelp_fail "$KELP_TEST_SERVER printed no listening line within ${KELP_START_TIMEOUT}s"
        sleep 0.1
        waited=$((waited + 1))
        KELP_BOOTSTRAP=$(sed -n "$pattern" "$out" | head -n 1)
    done
    KELP_ADMIN=$(sed -n 's/^kelpd: admin listening on \([^ ]*\).*$/\1/p' "$out" | head -n 1)
    export KELP_BOOTSTRAP KELP_ADMIN
    kelp_log "$KELP_TEST_SERVER (pid $KELP_PID) listening on $KELP_BOOTSTRAP, data in $KELP_DATA"
}

# Stop the server with SIGTERM; it must exit 0 in bounded time.
kelp_stop() {
    [ -n "$KELP_PID" ] || return 0
    kill -TERM "$KELP_PID" 2>/dev/null
    local waited=0
    while kill -0 "$KELP_PID" 2>/dev/null; do
        if [ $waited -ge $((KELP_STOP_TIMEOUT * 10)) ]; then
            kill -KILL "$KELP_PID" 2>/dev/null
            kelp_fail "$KELP_TEST_SERVER did not exit within ${KELP_STOP_TIMEOUT}s of SIGTERM"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$KELP_PID"
    local status=$?
    KELP_PID=
    [ $status -eq 0 ] || kelp_fail "$KELP_TEST_SERVER exited with status $status after SIGTERM"
}

# A crash: SIGKILL, then start again with the same data directory.
kelp_crash_restart() {
    if [ "$KELP_TEST_SERVER" = mock ]; then
        kelp_log "crash: the mock cluster keeps data only in memory; it keeps running"
        return 0
    fi
    local before=$KELP_BOOTSTRAP
    kill -KILL "$KELP_PID" 2>/dev/null
    wait "$KELP_PID" 2>/dev/null
    KELP_PID=
    kelp_start
    kelp_log "killed and restarted: $before -> $KELP_BOOTSTRAP"
}

# Stop and start again with the same data directory, on a new port.
kelp_restart() {
    if [ "$KELP_TEST_SERVER" = mock ]; then
        kelp_log "restart: the mock cluster keeps data only in memory; it keeps running"
        return 0
    fi
    local before=$KELP_BOOTSTRAP
    kelp_stop
    kelp_start
    kelp_log "restarted: $before -> $KELP_BOOTSTRAP"
}
