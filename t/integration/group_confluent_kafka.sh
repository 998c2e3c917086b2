#!/bin/sh
# confluent-kafka-python consumer group: rebalances over joins and leaves,
# commits, resume after a restart (t/integration/group_lib.sh).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"
. "$KELP_SRCDIR/t/integration/group_lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
group_scenario grp-ckafka grp-ckafka-g "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/group_confluent_kafka.py" "{bootstrap}" "{topic}" "{group}"
kelp_log PASS
