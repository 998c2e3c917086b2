#!/bin/sh
# Transactions v2 (KIP-890 part 2) over a raw socket (t/integration/txn_v2.py):
# Produce v12 and TxnOffsetCommit v5 join the transaction without
# AddPartitionsToTxn/AddOffsetsToTxn, EndTxn v5 bumps the epoch at every
# commit and abort and answers it, the markers carry it and older epochs
# are fenced; read_committed fetches and committed offsets; kelpd killed in
# the middle of a transaction and stopped in the middle of another, each
# recovered; a producer fenced by a new one; an exhausted epoch moving to a
# new producer id. Older versions keep needing the explicit calls.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require "$KELP_PYTHON" python3
# The mock cluster keeps no state across a restart and serves no v2 versions.
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test checks kelpd's transaction state across restarts"
client="$KELP_SRCDIR/t/integration/txn_v2.py"

kelp_start
kelp_run "a committed transaction, its retries and zombies; the next one begun" \
    "$KELP_PYTHON" "$client" first "$KELP_BOOTSTRAP"
kelp_crash_restart
kelp_run "after a crash: the open transaction goes on and aborts; a third begun" \
    "$KELP_PYTHON" "$client" second "$KELP_BOOTSTRAP"
kelp_restart
kelp_run "after a restart: the third commits; a fenced producer stays fenced" \
    "$KELP_PYTHON" "$client" third "$KELP_BOOTSTRAP"
kelp_stop
kelp_run "the producer at its last usable epoch" "$KELP_PYTHON" "$client" exhaust "$KELP_DATA"
kelp_start
kelp_run "an exhausted epoch moves to a new producer id" "$KELP_PYTHON" "$client" overflow "$KELP_BOOTSTRAP"
kelp_log PASS
