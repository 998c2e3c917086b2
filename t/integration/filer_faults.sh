#!/bin/sh
# The filer backend under faults (t/filer/fake_filer.py injects them): the
# filer refusing appends, losing answers after applying them, stalling past
# a produce's timeout, and dying and coming back; kelpd killed too. Every
# acknowledged record must be stored once, in order, and produce must go on
# by itself once the filer is back; a damaged tail is cut at recovery.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
kelp_require curl curl
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test injects faults into kelpd's filer"
KELP_TEST_STORAGE=filer
printf '{"storage": {"timeout_ms": 1000}, "default_partitions": 2}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"
client="$KELP_SRCDIR/t/integration/filer_faults.py"
acked="$KELP_WORK/acked"
: >"$acked"
# fired KIND N: the filer test server injected at least N faults of KIND so far.
fired() {
    n=$(curl -sf "$KELP_FILER_URL/__stats__" | "$KELP_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["faults"]["'"$1"'"])') ||
        kelp_fail "cannot read the filer test server's counters"
    [ "$n" -ge "$2" ] || kelp_fail "the filer test server injected $n $1 faults, expected at least $2"
    kelp_log "the filer test server injected $n $1 faults so far"
}
ck() {
    what=$1
    shift
    kelp_run "$what" "$KELP_PYTHON" "$client" "$@"
}

kelp_start
ck "produce with a healthy filer" produce "$KELP_BOOTSTRAP" ff 0 300 "$acked"
ck "every record once" verify "$KELP_BOOTSTRAP" ff "$acked" 300

kelp_filer_fault '{"fail": {"status": 503, "count": 6, "methods": ["PUT"], "path_prefix": "/topics/kafka/ff/"}}'
ck "produce while the filer refuses appends" produce "$KELP_BOOTSTRAP" ff 300 300 "$acked"
fired fail 6
ck "nothing lost, nothing twice" verify "$KELP_BOOTSTRAP" ff "$acked" 600

kelp_filer_fault '{"drop": {"count": 2, "after_apply": true, "methods": ["PUT"], "path_prefix": "/topics/kafka/ff/"}}'
ck "produce while the filer loses answers after applying appends" produce "$KELP_BOOTSTRAP" ff 600 300 "$acked"
fired drop 2
ck "a lost answer stores nothing twice" verify "$KELP_BOOTSTRAP" ff "$acked" 900

ck "a topic for the stall" create "$KELP_BOOTSTRAP" ff-stall
kelp_filer_fault '{"delay_ms": 2500}'
ck "a stalled filer: produce times out" timeout "$KELP_BOOTSTRAP" ff-stall
kelp_filer_fault '{"reset": true}'

# The filer dies in the middle of a produce and comes back.
"$KELP_PYTHON" "$client" produce "$KELP_BOOTSTRAP" ff 900 3000 "$acked" &
producer=$!
sleep 1
kelp_filer_restart
wait $producer || kelp_fail "the producer failed across a filer restart"
ck "every acknowledged record after the filer restarted" verify "$KELP_BOOTSTRAP" ff "$acked" 3900

# kelpd dies; what the filer confirmed is all there after a start.
kelp_crash_restart
ck "every acknowledged record after kelpd was killed" verify "$KELP_BOOTSTRAP" ff "$acked" 3900
ck "produce after the restart" produce "$KELP_BOOTSTRAP" ff 3900 100 "$acked"
ck "and read back" verify "$KELP_BOOTSTRAP" ff "$acked" 4000

# A damaged tail on the filer (bytes no write of ours made): recovery cuts
# it from the active segment, although the filer cannot truncate, and the
# log goes on after it. A restarted kelpd rolled before its first append
# (a dead process's late writes land in a segment nobody appends to), so
# the partition has a sealed segment too: its damaged tail is never served.
kelp_stop
kelp_filer_stop TERM
dir="$KELP_DATA/topics/kafka/ff/0"
sealed="$dir/00000000000000000000.log"
log=$(ls "$dir"/*.log | sort | tail -n 1)
[ -f "$log" ] && [ "$log" != "$sealed" ] || kelp_fail "partition 0 has no second segment: $(ls "$dir")"
size=$(wc -c <"$log")
printf 'not a record batch, a torn tail' >>"$log"
printf 'late bytes of a dead process' >>"$sealed"
kelp_filer_start
kelp_start
grep -q "cutting 31 bytes of torn or corrupt data" "$KELP_WORK/server.$KELP_STARTS.err" ||
    kelp_fail "recovery did not cut the damaged tail"
grep -q "ignoring 28 bytes of torn or late data at the end of segment 0" "$KELP_WORK/server.$KELP_STARTS.err" ||
    kelp_fail "recovery did not bound the sealed segment"
[ "$(wc -c <"$log")" -eq "$size" ] || kelp_fail "the segment on the filer is $(wc -c <"$log") bytes, not $size"
ck "every record after the cut" verify "$KELP_BOOTSTRAP" ff "$acked" 4000
ck "produce after the cut" produce "$KELP_BOOTSTRAP" ff 4000 100 "$acked"
ck "and read back after the cut" verify "$KELP_BOOTSTRAP" ff "$acked" 4100
kelp_log PASS
