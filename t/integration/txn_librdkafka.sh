#!/bin/sh
# librdkafka (C) exactly-once: committed and aborted transactions as
# read_committed and read_uncommitted consumers see them; a producer killed
# mid-transaction, kelpd killed too and restarted, and a new producer with the same
# transactional.id that aborts the open transaction; a fenced zombie; a
# consume-transform-produce loop with an abort and a crash that writes each
# input record once (t/clients/txn_client.c).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

client="$KELP_BUILDDIR/t/clients/txn_client"
[ -x "$client" ] || kelp_fail "$client is not built (make check builds it; needs librdkafka-dev)"
printf '{"group_initial_rebalance_delay_ms": 0}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"
W=$KELP_WORK

# txn_client run that must end by killing itself with SIGKILL (status 137).
run_killed() {
    what=$1
    shift
    kelp_log "$what"
    "$client" "$KELP_BOOTSTRAP" "$@"
    status=$?
    [ $status -eq 137 ] || kelp_fail "$what: exited with status $status, expected death by SIGKILL (137)"
}

kelp_start

kelp_run "committed and aborted transactions" \
    "$client" "$KELP_BOOTSTRAP" produce txn-vis txn-vis-p 0 c12,a7,c9,a5,a1,c10 "$W/vis.manifest"
kelp_run "read_committed sees the committed records only" \
    "$client" "$KELP_BOOTSTRAP" verify txn-vis "$W/vis.manifest" read_committed
kelp_run "read_uncommitted sees every record" \
    "$client" "$KELP_BOOTSTRAP" verify txn-vis "$W/vis.manifest" read_uncommitted

# A crash mid-transaction: the records are in the log, no EndTxn was sent.
kelp_run "transactions before the crash" \
    "$client" "$KELP_BOOTSTRAP" produce txn-crash txn-crash-p 0 c6,a3 "$W/crash.manifest"
run_killed "producer killed mid-transaction" produce txn-crash txn-crash-p 9 k6 "$W/crash.manifest"
if [ "$KELP_TEST_SERVER" != mock ]; then
    # The mock keeps no last stable offset.
    kelp_run "the open transaction holds back the last stable offset" \
        "$client" "$KELP_BOOTSTRAP" check-open txn-crash "$W/crash.manifest"
fi
# kelpd dies too: what survives is what was durable.
kelp_crash_restart
if [ "$KELP_TEST_SERVER" != mock ]; then
    kelp_run "the open transaction survives the restart" \
        "$client" "$KELP_BOOTSTRAP" check-open txn-crash "$W/crash.manifest"
fi
kelp_run "a new producer with the same transactional.id" \
    "$client" "$KELP_BOOTSTRAP" produce txn-crash txn-crash-p 15 c5,a2,c7 "$W/crash.manifest"
kelp_run "read_committed passes the killed transaction" \
    "$client" "$KELP_BOOTSTRAP" verify txn-crash "$W/crash.manifest" read_committed
kelp_run "read_uncommitted sees the killed transaction's records" \
    "$client" "$KELP_BOOTSTRAP" verify txn-crash "$W/crash.manifest" read_uncommitted

kelp_run "a zombie producer is fenced" \
    "$client" "$KELP_BOOTSTRAP" fence txn-fence txn-fence-p 0 "$W/fence.manifest"
kelp_run "read_committed after the fencing" \
    "$client" "$KELP_BOOTSTRAP" verify txn-fence "$W/fence.manifest" read_committed

kelp_run "consume-transform-produce input" "$client" "$KELP_BOOTSTRAP" ctp-input txn-ctp-in 60
run_killed "consume-transform-produce, killed before a commit" \
    ctp-run txn-ctp-in txn-ctp-out txn-ctp-g txn-ctp-p c7,a5,c9,k6 "$W/ctp.state"
kelp_run "consume-transform-produce, restarted" \
    "$client" "$KELP_BOOTSTRAP" ctp-run txn-ctp-in txn-ctp-out txn-ctp-g txn-ctp-p c8,a4,c* "$W/ctp.state"
kelp_run "each input record in the output once, offsets committed" \
    "$client" "$KELP_BOOTSTRAP" ctp-verify txn-ctp-in txn-ctp-out txn-ctp-g 60

# Aborted transactions and committed offsets must be rebuilt from disk.
kelp_restart
kelp_run "read_committed after a restart" \
    "$client" "$KELP_BOOTSTRAP" verify txn-vis "$W/vis.manifest" read_committed
kelp_run "read_committed after a restart (killed transaction)" \
    "$client" "$KELP_BOOTSTRAP" verify txn-crash "$W/crash.manifest" read_committed
kelp_run "consume-transform-produce output after a restart" \
    "$client" "$KELP_BOOTSTRAP" ctp-verify txn-ctp-in txn-ctp-out txn-ctp-g 60
kelp_log PASS
