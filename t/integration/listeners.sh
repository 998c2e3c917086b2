#!/bin/sh
# More Kafka listeners than "listen" ("listeners"): a SASL one beside the
# plaintext one, each advertising its own address to confluent-kafka
# clients; added, rebound and removed at run time; bad changes refused.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "the mock cluster has no listeners to change"

cat >"$KELP_WORK/kelp.json" <<JSON
{"listeners": [{"name": "INTERNAL", "listen": "127.0.0.1:0", "protocol": "SASL_PLAINTEXT"}],
 "security": {"users": {"alice": "alice-secret"}}}
JSON
export KELP_CONFIG="$KELP_WORK/kelp.json"
kelp_start
kelp_run "listeners at start and at run time" \
    "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/listeners.py" "$KELP_BOOTSTRAP" "$KELP_ADMIN"
# A restart binds the configured listeners again.
kelp_restart
curl -sf "http://$KELP_ADMIN/v1/listeners" | grep -q '"name":"INTERNAL"' ||
    kelp_fail "INTERNAL is not there after a restart"
kelp_log PASS
