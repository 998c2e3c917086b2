#!/bin/sh
# kafkajs consumer group: rebalances over joins and leaves, commits, resume
# after a restart (t/integration/group_lib.sh).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"
. "$KELP_SRCDIR/t/integration/kafkajs_lib.sh"
. "$KELP_SRCDIR/t/integration/group_lib.sh"

kelp_kafkajs_setup
group_scenario grp-kjs grp-kjs-g node "$KELP_SRCDIR/t/integration/node/group_kafkajs.js" "{bootstrap}" "{topic}" "{group}"
kelp_log PASS
