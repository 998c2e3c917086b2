#!/bin/sh
# kcat -G (balanced consumer): rebalances over joins and leaves, automatic
# commits, resume after a restart (t/integration/group_lib.sh).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"
. "$KELP_SRCDIR/t/integration/group_lib.sh"

group_scenario grp-kcat grp-kcat-g "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/group_kcat.py" "{bootstrap}" "{topic}" "{group}"
kelp_log PASS
