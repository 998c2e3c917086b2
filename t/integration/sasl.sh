#!/bin/sh
# SASL_PLAINTEXT: confluent-kafka, kafka-python and kcat with PLAIN,
# SCRAM-SHA-256 and SCRAM-SHA-512; wrong passwords, unknown users and
# unauthenticated clients refused; the SASL requests on the wire (v0 bare
# tokens too); SCRAM credentials altered, kept across a restart, deleted.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
kelp_python_require kafka python3-kafka
kelp_require kcat kcat
client="$KELP_SRCDIR/t/integration/sasl.py"

KELP_CONFIG="$KELP_WORK/sasl.json"
cat >"$KELP_CONFIG" <<'JSON'
{"security": {"listener": "SASL_PLAINTEXT",
              "sasl_mechanisms": ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
              "users": {"alice": "alice-secret", "a": "b"}}}
JSON
export KELP_CONFIG

kelp_start
kelp_run "SASL requests on the wire" "$KELP_PYTHON" "$client" wire "$KELP_BOOTSTRAP"
kelp_run "confluent-kafka PLAIN and SCRAM" "$KELP_PYTHON" "$client" confluent "$KELP_BOOTSTRAP"
kelp_run "kafka-python PLAIN and SCRAM" "$KELP_PYTHON" "$client" kafka-python "$KELP_BOOTSTRAP"
kelp_run "kcat PLAIN and SCRAM" "$KELP_PYTHON" "$client" kcat "$KELP_BOOTSTRAP"
kelp_require curl curl
kelp_run "session_lifetime_ms set at run time" curl -sf -X PUT --data '{"security":{"session_lifetime_ms":1500}}' "http://$KELP_ADMIN/v1/config" -o /dev/null
kelp_run "sessions expire and re-authenticate" "$KELP_PYTHON" "$client" session "$KELP_BOOTSTRAP" 1500
kelp_run "session_lifetime_ms back to 0" curl -sf -X PUT --data '{"security":{"session_lifetime_ms":0}}' "http://$KELP_ADMIN/v1/config" -o /dev/null
kelp_run "AlterUserScramCredentials creates bob" "$KELP_PYTHON" "$client" admin "$KELP_BOOTSTRAP" create
if [ "$KELP_TEST_STORAGE" != filer ]; then
    kelp_run "credential files" "$KELP_PYTHON" "$client" files "$KELP_DATA"
fi
kelp_restart
kelp_run "bob after a restart, then deleted" "$KELP_PYTHON" "$client" admin "$KELP_BOOTSTRAP" after-restart
kelp_log PASS
