#!/bin/sh
# confluent-kafka-python exactly-once: committed and aborted transactions as
# read_committed and read_uncommitted consumers see them; a child process
# killed with SIGKILL mid-transaction, a restart, and a new producer with the
# same transactional.id; consume-transform-produce with
# send_offsets_to_transaction, an abort and a killed run
# (t/integration/txn_confluent_kafka.py).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
client="$KELP_SRCDIR/t/integration/txn_confluent_kafka.py"
printf '{"group_initial_rebalance_delay_ms": 0}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"
W=$KELP_WORK

# ck WHAT MODE ARGS...
ck() {
    what=$1
    mode=$2
    shift 2
    kelp_run "$what" "$KELP_PYTHON" "$client" "$mode" "$KELP_BOOTSTRAP" "$@"
}

kelp_start

ck "committed and aborted transactions" produce ck-txn-vis ck-vis-p 0 c10,a6,c8,a4,c9 "$W/vis.json"
ck "read_committed sees the committed records only" verify ck-txn-vis "$W/vis.json" read_committed
ck "read_uncommitted sees every record" verify ck-txn-vis "$W/vis.json" read_uncommitted

ck "transactions before the crash" produce ck-txn-crash ck-crash-p 0 c5,a4 "$W/crash.json"
ck "a child producer killed with SIGKILL mid-transaction" killed open ck-txn-crash ck-crash-p 9 7 "$W/crash.json"
if [ "$KELP_TEST_SERVER" != mock ]; then
    # The mock keeps no last stable offset.
    ck "the open transaction holds back the last stable offset" check-open ck-txn-crash "$W/crash.json"
fi
kelp_crash_restart # kelpd dies too
if [ "$KELP_TEST_SERVER" != mock ]; then
    ck "the open transaction survives the restart" check-open ck-txn-crash "$W/crash.json"
fi
ck "a new producer with the same transactional.id" produce ck-txn-crash ck-crash-p 16 c6,a3,c4 "$W/crash.json"
ck "read_committed passes the killed transaction" verify ck-txn-crash "$W/crash.json" read_committed
ck "read_uncommitted sees the killed transaction's records" verify ck-txn-crash "$W/crash.json" read_uncommitted

ck "consume-transform-produce input" ctp-input ck-ctp-in 48
ck "consume-transform-produce, killed before a commit" killed ctp-run ck-ctp-in ck-ctp-out ck-ctp-g ck-ctp-p c6,a5,c7,k4
ck "consume-transform-produce, restarted" ctp-run ck-ctp-in ck-ctp-out ck-ctp-g ck-ctp-p c5,a3,c*
ck "each input record in the output once, offsets committed" ctp-verify ck-ctp-in ck-ctp-out ck-ctp-g 48

# Aborted transactions and committed offsets must be rebuilt from disk.
kelp_restart
ck "read_committed after a restart" verify ck-txn-vis "$W/vis.json" read_committed
ck "read_committed after a restart (killed transaction)" verify ck-txn-crash "$W/crash.json" read_committed
ck "consume-transform-produce output after a restart" ctp-verify ck-ctp-in ck-ctp-out ck-ctp-g 48
kelp_log PASS
