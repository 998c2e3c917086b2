#!/bin/sh
# Retention, DeleteRecords and compaction in the background, checked in the
# files and through kafka-python, confluent-kafka, kcat -Q and librdkafka's
# DeleteRecords; the admin endpoint's topics; all kept across a restart.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require kafka python3-kafka
kelp_python_require confluent_kafka python3-confluent-kafka
kelp_require kcat kcat
kelp_require curl curl
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test reads kelpd's topic files"
client="$KELP_SRCDIR/t/integration/topic_retention.py"
deleter="$KELP_BUILDDIR/t/clients/delete_records"
[ -x "$deleter" ] || kelp_fail "$deleter is not built (make check builds it)"

KELP_CONFIG="$KELP_WORK/retention.json"
echo '{"log_retention_check_interval_ms": 300}' >"$KELP_CONFIG"
export KELP_CONFIG

kelp_start
kelp_run "retention, DeleteRecords, compaction, admin topics" \
    "$KELP_PYTHON" "$client" run "$KELP_BOOTSTRAP" "$KELP_ADMIN" "$KELP_DATA" "$deleter"
kelp_restart
kelp_run "the same after a restart" \
    "$KELP_PYTHON" "$client" check "$KELP_BOOTSTRAP" "$KELP_ADMIN" "$KELP_DATA" "$deleter"
kelp_log PASS
