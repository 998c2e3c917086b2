#!/bin/sh
# The embedded Schema Registry: confluent-kafka-python's SchemaRegistryClient
# registers AVRO, JSON and PROTOBUF schemas, looks them up, changes levels
# and deletes; raw HTTP checks Confluent's error codes; a restart keeps
# subjects, versions and ids.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka.schema_registry "python3-confluent-kafka python3-requests"
client="$KELP_SRCDIR/t/integration/schema_registry.py"

KELP_CONFIG="$KELP_WORK/kelp.json"
printf '{"schema_registry": "127.0.0.1:0"}\n' >"$KELP_CONFIG"
kelp_start
[ -n "$KELP_SCHEMA_REGISTRY" ] || kelp_fail "kelpd printed no schema registry address"
kelp_run "register, look up, delete, levels" "$KELP_PYTHON" "$client" populate "http://$KELP_SCHEMA_REGISTRY" "$KELP_WORK/state.json"
kelp_run "error codes" "$KELP_PYTHON" "$client" errors "http://$KELP_SCHEMA_REGISTRY"
[ -f "$KELP_DATA/topics/kafka/.meta/schemas/config.json" ] || kelp_fail "no config.json on the filer"
ls "$KELP_DATA/topics/kafka/.meta/schemas/ids/"*.json >/dev/null 2>&1 || kelp_fail "no id files on the filer"
kelp_restart
kelp_run "everything after a restart" "$KELP_PYTHON" "$client" verify "http://$KELP_SCHEMA_REGISTRY" "$KELP_WORK/state.json"
kelp_log PASS
