#!/bin/sh
# Idempotent and transactional producer state over a raw socket
# (t/integration/idempotence.py): InitProducerId, duplicates, sequence gaps
# and epochs in Produce, DescribeProducers, batches fetched as produced;
# AddPartitionsToTxn, EndTxn, DescribeTransactions, ListTransactions and
# read_committed fetches; all of it again after a restart.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require kafka python3-kafka
# The mock keeps no producer state it could describe and restarts nothing.
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test checks kelpd's producer and transaction state across a restart"
client="$KELP_SRCDIR/t/integration/idempotence.py"

kelp_start
kelp_run "idempotent and transactional producers" "$KELP_PYTHON" "$client" run "$KELP_BOOTSTRAP"
kelp_restart
kelp_run "producer and transaction state after a restart" "$KELP_PYTHON" "$client" check "$KELP_BOOTSTRAP"
kelp_log PASS
