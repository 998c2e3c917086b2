#!/bin/sh
# The admin drain: an acks=all producer and a consumer group keep running
# while POST /v1/drain ends every connection and refuses new ones; after
# DELETE /v1/drain they carry on, and every record is delivered exactly once.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
kelp_require curl curl
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "the mock cluster has no admin endpoint"

kelp_start
kelp_run "drain and resume under a producer and a group" \
    "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/admin_drain.py" "$KELP_BOOTSTRAP" "$KELP_ADMIN"
kelp_log PASS
