#!/bin/sh
# confluent-kafka-python: metadata, produce with headers and acks=all (plain
# and lz4), consume back with assign, again after a restart; offsets and
# timestamp lookup.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
client="$KELP_SRCDIR/t/integration/confluent_kafka_client.py"

kelp_start
kelp_run "confluent-kafka produce (plain)" "$KELP_PYTHON" "$client" produce "$KELP_BOOTSTRAP" ck-plain "$KELP_WORK/plain.json"
kelp_run "confluent-kafka produce (lz4)" "$KELP_PYTHON" "$client" produce "$KELP_BOOTSTRAP" ck-lz4 "$KELP_WORK/lz4.json" lz4
kelp_run "confluent-kafka verify (plain)" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" ck-plain "$KELP_WORK/plain.json"
kelp_run "confluent-kafka verify (lz4)" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" ck-lz4 "$KELP_WORK/lz4.json"
kelp_restart
kelp_run "confluent-kafka verify after restart (plain)" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" ck-plain "$KELP_WORK/plain.json"
kelp_run "confluent-kafka verify after restart (lz4)" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" ck-lz4 "$KELP_WORK/lz4.json"
kelp_log PASS
