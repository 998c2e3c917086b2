#!/bin/sh
# librdkafka (C) consumer group: rebalances over joins and leaves, commits,
# resume after a restart (t/integration/group_lib.sh).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"
. "$KELP_SRCDIR/t/integration/group_lib.sh"

client="$KELP_BUILDDIR/t/clients/group_consumer"
[ -x "$client" ] || kelp_fail "$client is not built (make check builds it)"
group_scenario grp-rdkafka grp-rdkafka-g "$client" "{bootstrap}" "{topic}" "{group}"
kelp_log PASS
