#!/bin/sh
# kafka-python consumer group: rebalances over joins and leaves, commits,
# resume after a restart (t/integration/group_lib.sh).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"
. "$KELP_SRCDIR/t/integration/group_lib.sh"

kelp_python_require kafka python3-kafka
group_scenario grp-kpy grp-kpy-g "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/group_kafka_python.py" "{bootstrap}" "{topic}" "{group}"
kelp_log PASS
