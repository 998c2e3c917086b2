#!/bin/sh
# Broker-side schema validation against the embedded Schema Registry with
# confluent-kafka-python's serializers (t/integration/schema_validation.py).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka.schema_registry "python3-confluent-kafka python3-requests"
kelp_python_require jsonschema python3-jsonschema
kelp_python_require google.protobuf python3-protobuf
kelp_python_require avro python3-avro
client="$KELP_SRCDIR/t/integration/schema_validation.py"

KELP_CONFIG="$KELP_WORK/kelp.json"
printf '{"schema_registry": "127.0.0.1:0"}\n' >"$KELP_CONFIG"
export KELP_CONFIG
kelp_start
[ -n "$KELP_SCHEMA_REGISTRY" ] || kelp_fail "kelpd printed no schema registry address"
kelp_run "validated produce and consume" "$KELP_PYTHON" "$client" "$KELP_BOOTSTRAP" "http://$KELP_SCHEMA_REGISTRY"
kelp_log PASS
