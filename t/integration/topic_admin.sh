#!/bin/sh
# Topic administration with kafka-python's and confluent-kafka-python's
# admin clients; configs honoured and kept across a restart.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require kafka python3-kafka
kelp_python_require confluent_kafka python3-confluent-kafka
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test reads kelpd's topic files"
client="$KELP_SRCDIR/t/integration/topic_admin.py"

kelp_start
kelp_run "create topics and partitions" "$KELP_PYTHON" "$client" create "$KELP_BOOTSTRAP" "$KELP_DATA"
kelp_restart
kelp_run "configs honoured after a restart" "$KELP_PYTHON" "$client" check "$KELP_BOOTSTRAP" "$KELP_DATA"
kelp_log PASS
