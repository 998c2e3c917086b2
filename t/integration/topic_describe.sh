#!/bin/sh
# DescribeLogDirs, DescribeTopicPartitions and OffsetForLeaderEpoch over a
# raw socket (no packaged client sends them), before and after a restart.
# A node id other than 0 shows the answers use the configured one.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require kafka python3-kafka
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test reads kelpd's topic files"
client="$KELP_SRCDIR/t/integration/topic_describe.py"
printf '{"node_id": 3}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"

kelp_start
kelp_run "describe log dirs, topic partitions, leader epochs" "$KELP_PYTHON" "$client" run "$KELP_BOOTSTRAP" "$KELP_DATA"
kelp_restart
kelp_run "the same answers after a restart" "$KELP_PYTHON" "$client" check "$KELP_BOOTSTRAP" "$KELP_DATA"
kelp_log PASS
