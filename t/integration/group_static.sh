#!/bin/sh
# Static group membership with librdkafka: restart without a rebalance, and
# fencing of a duplicate instance (t/integration/group_static.py).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require "$KELP_PYTHON" python3
kelp_require kcat kcat
client="$KELP_BUILDDIR/t/clients/group_consumer"
[ -x "$client" ] || kelp_fail "$client is not built (make check builds it)"
printf '{"default_partitions": 6, "group_initial_rebalance_delay_ms": 500}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test reads the group through kelpd's admin endpoint"

kelp_start
printf 'k1:v1\nk2:v2\n' | kcat -b "$KELP_BOOTSTRAP" -t grp-static -P -K: || kelp_fail "kcat could not produce"
kelp_run "static members" "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/group_static.py" "$client" \
    "$KELP_BOOTSTRAP" "$KELP_ADMIN" grp-static grp-static-g "$KELP_WORK"
kelp_log PASS
