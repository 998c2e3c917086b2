#!/bin/sh
# Crashes: kelpd killed with SIGKILL at random points (KELP_CRASH_KILLS
# times, 24 by default) while an idempotent acks=all producer writes
# numbered, self-checksummed records to a 4-partition topic and a group
# consumer commits offsets; restarted each time on the same data. After
# every restart each acknowledged record must be stored exactly once, at the
# offset it was acknowledged with, in production order, with what was not
# acknowledged at most a gapless continuation of it; committed offsets must
# not be ahead of the log end, nor (on local storage, where no commit
# fails) behind an acknowledged commit (t/integration/crash.py). With
# KELP_TEST_STORAGE=filer the filer test server also dies, comes back and
# fails, stalls or loses answers to requests, while kelpd runs and between
# its lifetimes. The seed is printed; KELP_CRASH_SEED=N replays a run's
# schedule.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test kills kelpd; the mock cluster keeps nothing across a crash"
[ "$KELP_TEST_STORAGE" != filer ] || kelp_require curl curl

seed=${KELP_CRASH_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
kills=${KELP_CRASH_KILLS:-24}
kelp_log "seed $seed ($kills kills; replay with KELP_CRASH_SEED=$seed)"

topic=crash
partitions=4
group=crash-group
client="$KELP_SRCDIR/t/integration/crash.py"
state="$KELP_WORK/state"
mkdir -p "$state"
# Small segments and index intervals, so that kills also land near segment
# rolls and index appends; no initial rebalance delay, to keep lifetimes short.
storage=
[ "$KELP_TEST_STORAGE" != filer ] || storage='"storage": {"timeout_ms": 1000}, '
printf '{%s"segment_bytes": 1048576, "index_interval_bytes": 1024, "group_initial_rebalance_delay_ms": 0}\n' \
    "$storage" >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"

producer=
consumer=
crash_on_exit() {
    status=$?
    for pid in $producer $consumer; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    (exit $status)
    kelp_on_exit
}
trap crash_on_exit EXIT

# stop_client PID NAME: SIGTERM; it must end within 20s and report no error.
stop_client() {
    kill -TERM "$1" 2>/dev/null
    waited=0
    while kill -0 "$1" 2>/dev/null; do
        if [ $waited -ge 200 ]; then
            kill -KILL "$1" 2>/dev/null
            kelp_fail "the $2 did not stop within 20s of SIGTERM"
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    wait "$1"
    st=$?
    [ $st -eq 0 ] || kelp_fail "the $2 of lifetime $n failed (status $st): $(tail -n 3 "$KELP_WORK/$2.$n.out")"
}

# ms N: sleep N milliseconds.
ms() {
    sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

filer_action() {
    case $1 in
    none) ;;
    restart) kelp_log "the filer test server dies and comes back"; kelp_filer_restart ;;
    fail) kelp_filer_fault '{"fail": {"status": 503, "count": 4, "methods": ["PUT", "POST"], "path_prefix": "/topics/kafka/'$topic'/"}}' ;;
    fail-all) kelp_filer_fault '{"fail": {"status": 500, "count": 3}}' ;;
    drop) kelp_filer_fault '{"drop": {"count": 2, "after_apply": true, "methods": ["PUT", "POST"]}}' ;;
    # Only the topic's files: a delayed offset write applied after a newer
    # one would take the group's offset back (see the README).
    delay) kelp_filer_fault '{"delay": {"ms": 1500, "count": 2, "methods": ["PUT", "POST"], "path_prefix": "/topics/kafka/'$topic'/"}}' ;;
    *) kelp_fail "unknown filer action $1" ;;
    esac
}

t0=$(date +%s)
kelp_start
kelp_run "create $topic with $partitions partitions" "$KELP_PYTHON" "$client" create "$KELP_BOOTSTRAP" $topic $partitions
"$KELP_PYTHON" "$client" schedule "$seed" "$kills" "$KELP_TEST_STORAGE" >"$KELP_WORK/schedule" ||
    kelp_fail "cannot draw the schedule"
while read -r n early wait mid mid_at between compression linger <&3; do
    "$KELP_PYTHON" "$client" produce "$KELP_BOOTSTRAP" $topic $partitions "$n" "$state" "$compression" "$linger" \
        >"$KELP_WORK/producer.$n.out" 2>"$KELP_WORK/producer.$n.err" &
    producer=$!
    "$KELP_PYTHON" "$client" consume "$KELP_BOOTSTRAP" $topic $group "$n" "$state" \
        >"$KELP_WORK/consumer.$n.out" 2>"$KELP_WORK/consumer.$n.err" &
    consumer=$!
    if [ "$early" = 0 ]; then
        waited=0
        until [ -s "$state/acked.$n" ]; do
            kill -0 $producer 2>/dev/null || kelp_fail "the producer of lifetime $n exited: $(tail -n 3 "$KELP_WORK/producer.$n.out")"
            [ $waited -lt 600 ] || kelp_fail "nothing was acknowledged within 60s in lifetime $n"
            sleep 0.05
            waited=$((waited + 1))
        done
    fi
    kelp_log "lifetime $n: kill in ${wait}ms$([ "$early" = 0 ] || echo ', early')$([ "$mid" = none ] || echo ", filer $mid after ${mid_at}ms")$([ "$between" = none ] || echo ", filer $between at the kill") ($compression, linger ${linger}ms)"
    if [ "$mid" != none ]; then
        ms "$mid_at"
        filer_action "$mid"
        # A stalled request may outlive the kill: the filer applies it after
        # kelpd restarted, behind the new kelpd's back, which must not lose
        # or reorder anything (see the README).
        ms $((wait - mid_at))
    else
        ms "$wait"
    fi
    kill -0 "$KELP_PID" 2>/dev/null || kelp_fail "kelpd exited by itself in lifetime $n"
    if [ "$KELP_TEST_STORAGE" = filer ]; then
        # Faults end with the lifetime (requests already delayed stay so):
        # a filer failing kelpd's start makes it exit, which is no crash.
        kelp_filer_fault '{"reset": true}'
        # down: the filer dies with kelpd (kelp_start brings it back first).
        [ "$between" != down ] || kelp_filer_stop KILL
    fi
    kelp_crash_restart
    stop_client $producer producer
    producer=
    stop_client $consumer consumer
    consumer=
    if [ "$KELP_TEST_STORAGE" = filer ]; then
        # restart: the filer dies under the freshly started, idle kelpd.
        [ "$between" != restart ] || kelp_filer_restart
    fi
    kelp_run "check after kill $n" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" $topic $partitions $group "$state"
done 3<"$KELP_WORK/schedule"

# A clean stop must still work (and, under the sanitizers, find no leak),
# and no lifetime may have reported memory errors or undefined behaviour.
kelp_stop
if grep -l 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$KELP_WORK"/server.*.err; then
    kelp_fail "the sanitizers reported errors"
fi

# The test must have tested something: acknowledged records and commits in
# most lifetimes.
set -- $("$KELP_PYTHON" "$client" summary "$state")
kelp_log "$1 records acknowledged in $2 lifetimes, $3 commits acknowledged in $4 lifetimes, $(($(date +%s) - t0))s"
[ "$2" -ge $((kills / 2)) ] || kelp_fail "records were acknowledged in only $2 of $kills lifetimes"
[ "$4" -ge $((kills / 4)) ] || kelp_fail "offsets were committed in only $4 of $kills lifetimes"
kelp_log "PASS (seed $seed)"
