#!/bin/sh
# kafka-python: metadata, produce with headers and acks=all (plain and gzip),
# consume back with assign, again after a restart; offsets and timestamp lookup.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require kafka python3-kafka
client="$KELP_SRCDIR/t/integration/kafka_python.py"

kelp_start
kelp_run "kafka-python produce (plain)" "$KELP_PYTHON" "$client" produce "$KELP_BOOTSTRAP" kpy-plain "$KELP_WORK/plain.json"
kelp_run "kafka-python produce (gzip)" "$KELP_PYTHON" "$client" produce "$KELP_BOOTSTRAP" kpy-gzip "$KELP_WORK/gzip.json" gzip
kelp_run "kafka-python verify (plain)" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" kpy-plain "$KELP_WORK/plain.json"
kelp_run "kafka-python verify (gzip)" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" kpy-gzip "$KELP_WORK/gzip.json"
kelp_restart
kelp_run "kafka-python verify after restart (plain)" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" kpy-plain "$KELP_WORK/plain.json"
kelp_run "kafka-python verify after restart (gzip)" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" kpy-gzip "$KELP_WORK/gzip.json"
kelp_log PASS
