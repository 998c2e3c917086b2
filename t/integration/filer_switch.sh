#!/bin/sh
# Switching a running kelpd between its local directory and a filer through
# the admin endpoint: the Kafka listener stays where it is, each storage
# keeps its own topics, and a filer that cannot be reached is refused while
# the running storage goes on serving.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require kcat kcat
kelp_require curl curl
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test switches kelpd's storage"
KELP_FILER_ROOT="$KELP_WORK/filer-root"
mkdir -p "$KELP_FILER_ROOT"

put_config() {
    curl -s -o "$KELP_WORK/put.out" -w '%{http_code}' -X PUT --data "$1" "http://$KELP_ADMIN/v1/config"
}
count() {
    kcat -b "$KELP_BOOTSTRAP" -C -t "$1" -e -q -o beginning | wc -l | tr -d ' '
}

kelp_start
kelp_filer_start
seq 1 100 | kcat -b "$KELP_BOOTSTRAP" -P -t on-local -X acks=all || kelp_fail "produce to the local directory"
[ "$(count on-local)" = 100 ] || kelp_fail "100 records on the local directory"

status=$(put_config "{\"storage\": {\"filer\": \"$KELP_FILER_URL\"}}")
[ "$status" = 200 ] || kelp_fail "switching to the filer answered $status: $(cat "$KELP_WORK/put.out")"
seq 1 50 | kcat -b "$KELP_BOOTSTRAP" -P -t on-filer -X acks=all || kelp_fail "produce to the filer, same listener"
[ "$(count on-filer)" = 50 ] || kelp_fail "50 records on the filer"
[ -f "$KELP_FILER_ROOT/topics/kafka/on-filer/topic.json" ] || kelp_fail "on-filer is not on the filer"
[ ! -e "$KELP_DATA/topics/kafka/on-filer" ] || kelp_fail "on-filer went to the local directory"
curl -sf "http://$KELP_ADMIN/v1/config" | grep -q "\"filer\":\"$KELP_FILER_URL\"" || kelp_fail "GET /v1/config shows the filer"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$KELP_ADMIN/v1/topics/on-local")" = 404 ] ||
    kelp_fail "the filer's kelpd shows the local topic"
kelp_log "switched to the filer: same listener, its own topics"

status=$(put_config '{"storage": {"filer": "http://127.0.0.1:1"}}')
[ "$status" = 400 ] || kelp_fail "a filer that does not answer was accepted ($status)"
kelp_log "refused: $(cat "$KELP_WORK/put.out")"
[ "$(count on-filer)" = 50 ] || kelp_fail "the filer still serves after a refused switch"

status=$(put_config '{"storage": {"filer": ""}}')
[ "$status" = 200 ] || kelp_fail "switching back answered $status: $(cat "$KELP_WORK/put.out")"
[ "$(count on-local)" = 100 ] || kelp_fail "the local records after switching back"
kelp_log PASS
