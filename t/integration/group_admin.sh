#!/bin/sh
# Consumer-group administration with librdkafka's admin API next to a live
# group member: list (with a state filter), describe, alter/list/delete
# offsets, delete groups; what was deleted stays deleted and what was
# committed stays committed across a restart, on the filer paths.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

client="$KELP_BUILDDIR/t/clients/group_admin"
[ -x "$client" ] || kelp_fail "$client is not built (make check builds it)"
printf '{"default_partitions": 6, "group_initial_rebalance_delay_ms": 0}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json" KELP_MOCK_TOPICS=gadm KELP_MOCK_PARTITIONS=6

kelp_start
kelp_run "group administration" "$client" "$KELP_BOOTSTRAP" gadm run
if [ "$KELP_TEST_SERVER" != mock ]; then
    offsets="$KELP_DATA/topics/kafka/.meta/consumer_offsets"
    [ -f "$offsets/gadm-kept/gadm/5/offset" ] || kelp_fail "no offset file for gadm-kept [5]"
    grep -q '"type":"offset","value":6,' "$offsets/gadm-kept/gadm/5/offset" ||
        kelp_fail "unexpected offset file: $(cat "$offsets/gadm-kept/gadm/5/offset")"
    # A deleted group's files are removed by the writer thread, right after the answer.
    waited=0
    while { [ -e "$offsets/gadm-simple" ] || [ -e "$offsets/gadm-live" ]; } && [ $waited -lt 100 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    [ ! -e "$offsets/gadm-simple" ] || kelp_fail "the deleted group gadm-simple still has files"
    [ ! -e "$offsets/gadm-live" ] || kelp_fail "the deleted group gadm-live still has files"
fi
kelp_restart
kelp_run "groups after a restart" "$client" "$KELP_BOOTSTRAP" gadm restarted
if [ "$KELP_TEST_SERVER" != mock ]; then
    list=$(curl -sf "http://$KELP_ADMIN/v1/groups") || kelp_fail "GET /v1/groups failed"
    case $list in
    *'"group_id":"gadm-kept","state":"Empty"'*) ;;
    *) kelp_fail "GET /v1/groups does not show gadm-kept: $list" ;;
    esac
    one=$(curl -sf "http://$KELP_ADMIN/v1/groups/gadm-kept") || kelp_fail "GET /v1/groups/gadm-kept failed"
    case $one in
    *'"topic":"gadm","partition":5,"committed_offset":6,'*) ;;
    *) kelp_fail "GET /v1/groups/gadm-kept lacks the offsets: $one" ;;
    esac
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://$KELP_ADMIN/v1/groups/no-such-group")
    [ "$status" = 404 ] || kelp_fail "an unknown group answered $status, not 404"
fi
kelp_log PASS
