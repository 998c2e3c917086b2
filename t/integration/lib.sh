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
# KELP_WRAPPER is a command line kelpd runs under (the valgrind stage sets
# valgrind with an error exit code); it also stretches the start and stop
# timeouts by KELP_TIME_FACTOR.

set -u

: "${KELP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${KELP_BUILDDIR:=$KELP_SRCDIR/build}"
: "${KELPD:=$KELP_BUILDDIR/kelpd}"
: "${KELP_MODULE:=$KELP_BUILDDIR/.libs/kelp.so}"
: "${KELP_TEST_SERVER:=kelpd}"
: "${KELP_WRAPPER:=}"
: "${KELP_TIME_FACTOR:=1}"
KELP_START_TIMEOUT=$((20 * KELP_TIME_FACTOR)) # seconds to wait for the listening line
KELP_STOP_TIMEOUT=$((30 * KELP_TIME_FACTOR))  # seconds to wait for a clean exit after SIGTERM
KELP_TEST_NAME=$(basename "$0" .sh)
KELP_PYTHON=/usr/bin/python3 # apt's python3-kafka and python3-confluent-kafka live here
export PYTHONDONTWRITEBYTECODE=1 # the source tree may be read-only (distcheck)
export PYTHONPATH="$KELP_SRCDIR/t/integration${PYTHONPATH:+:$PYTHONPATH}"

# KELP_TEST_STORAGE=filer: kelpd keeps its files on the filer-compatible test
# server (t/filer/fake_filer.py) instead of a local directory. That server
# stores each filer path as a file under $KELP_DATA, so tests look at the
# files the same way either way. It keeps running across kelp_restart;
# kelp_filer_restart and kelp_filer_fault control it.
: "${KELP_TEST_STORAGE:=local}"
KELP_FILER_PID=
KELP_FILER_PORT=
KELP_FILER_URL=
KELP_FILER_STARTS=

KELP_PID=
KELP_BOOTSTRAP=
KELP_ADMIN=
KELP_SCHEMA_REGISTRY= # HOST:PORT when the configuration enables "schema_registry"
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
    if [ -n "$KELP_FILER_PID" ]; then
        kill -KILL "$KELP_FILER_PID" 2>/dev/null
        wait "$KELP_FILER_PID" 2>/dev/null
    fi
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

# Start the filer test server (on its previous port when it ran before).
kelp_filer_start() {
    KELP_FILER_STARTS=$((KELP_FILER_STARTS + 1))
    local out="$KELP_WORK/filer.$KELP_FILER_STARTS.out"
    "$KELP_PYTHON" "$KELP_SRCDIR/t/filer/fake_filer.py" --root "${KELP_FILER_ROOT:-$KELP_DATA}" --meta "$KELP_WORK/filer-meta.sqlite3" \
        --port "${KELP_FILER_PORT:-0}" ${KELP_FILER_ARGS:-} >"$out" 2>&1 &
    KELP_FILER_PID=$!
    local waited=0 addr=
    while [ -z "$addr" ]; do
        kill -0 "$KELP_FILER_PID" 2>/dev/null || kelp_fail "the filer test server exited: $(tail -n 5 "$out")"
        [ $waited -lt 100 ] || kelp_fail "the filer test server printed no listening line within 10s"
        sleep 0.1
        waited=$((waited + 1))
        addr=$(sed -n 's/^fake-filer listening on \([^ ]*\).*$/\1/p' "$out" | head -n 1)
    done
    KELP_FILER_PORT=${addr##*:}
    KELP_FILER_URL="http://$addr"
    kelp_log "filer test server (pid $KELP_FILER_PID) on $KELP_FILER_URL, files under ${KELP_FILER_ROOT:-$KELP_DATA}"
}

# Stop the filer test server: kelp_filer_stop [SIGNAL] (KILL by default).
kelp_filer_stop() {
    [ -n "$KELP_FILER_PID" ] || return 0
    kill "-${1:-KILL}" "$KELP_FILER_PID" 2>/dev/null
    wait "$KELP_FILER_PID" 2>/dev/null
    KELP_FILER_PID=
}

# A filer that dies and comes back on the same port with the same files.
kelp_filer_restart() {
    kelp_filer_stop KILL
    kelp_filer_start
}

# kelp_filer_fault JSON: faults to inject (see t/filer/fake_filer.py).
kelp_filer_fault() {
    curl -sf -X POST -H 'Content-Type: application/json' --data "$1" "$KELP_FILER_URL/__fault__" >/dev/null ||
        kelp_fail "the filer test server refused the fault $1"
}

# The configuration kelpd starts with: KELP_CONFIG, plus the filer backend
# when KELP_TEST_STORAGE=filer.
kelp_effective_config() {
    if [ "$KELP_TEST_STORAGE" != filer ]; then
        printf '%s' "${KELP_CONFIG:-}"
        return
    fi
    local merged="$KELP_WORK/kelp-filer.json"
    "$KELP_PYTHON" - "${KELP_CONFIG:-}" "$KELP_FILER_URL" "$merged" <<'PY' || kelp_fail "cannot write $merged"
import json, sys
src, url, dst = sys.argv[1:4]
cfg = json.load(open(src)) if src else {}
storage = dict(cfg.get("storage", {}))
storage["filer"] = url
cfg["storage"] = storage
json.dump(cfg, open(dst, "w"))
PY
    printf '%s' "$merged"
}

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
        if [ "$KELP_TEST_STORAGE" = filer ] && [ -z "$KELP_FILER_PID" ]; then
            kelp_filer_start
        fi
        local config
        config=$(kelp_effective_config)
        # shellcheck disable=SC2086
        $KELP_WRAPPER "$KELPD" --module "$KELP_MODULE" ${config:+--config "$config"} \
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
    KELP_SCHEMA_REGISTRY=$(sed -n 's/^kelpd: schema registry listening on \([^ ]*\).*$/\1/p' "$out" | head -n 1)
    export KELP_BOOTSTRAP KELP_ADMIN KELP_SCHEMA_REGISTRY
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
