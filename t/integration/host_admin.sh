#!/bin/sh
# kelpd on ephemeral ports: the admin endpoint answers, validates changes,
# reloads the file on SIGHUP, and SIGTERM stops everything with status 0.
. "${KELP_SRCDIR:-.}/t/integration/host_lib.sh"

command -v curl >/dev/null || fail "curl is needed (apt-get install curl)"

printf '{"node_id": 1}\n' >"$WORK/kelp.json"
start_kelpd --config "$WORK/kelp.json" --admin 127.0.0.1:0
case $KAFKA_ADDR in 127.0.0.1:[1-9]*) ;; *) fail "kafka address: $KAFKA_ADDR" ;; esac
case $ADMIN_ADDR in 127.0.0.1:[1-9]*) ;; *) fail "admin address: $ADMIN_ADDR" ;; esac
pass addresses

[ "$(http GET /healthz)" = 200 ] || fail "GET /healthz"
grep -qF '{"status":"ok"}' "$WORK/body" || fail "healthz body: $(cat "$WORK/body")"
pass healthz

[ "$(http GET /v1/config)" = 200 ] || fail "GET /v1/config"
grep -q '"node_id":1' "$WORK/body" || fail "config: $(cat "$WORK/body")"
pass get_config

[ "$(http PUT /v1/config '{"default_partitions": 9, "log_level": "debug"}')" = 200 ] || fail "good PUT"
grep -q '"default_partitions":9' "$WORK/body" || fail "PUT reply: $(cat "$WORK/body")"
grep -q '"node_id":1' "$WORK/body" || fail "PUT lost node_id: $(cat "$WORK/body")"
pass put_good

[ "$(http GET /v1/config)" = 200 ] || fail "GET /v1/config"
cp "$WORK/body" "$WORK/before"
for bad in '{"colour": 1}' '{"node_id": "x"}' '{"default_partitions": 0}' '{"data": "/elsewhere"}' \
    '{"default_partitions": 2, "listen": "nowhere"}' 'not json'; do
    [ "$(http PUT /v1/config "$bad")" = 400 ] || fail "bad PUT accepted: $bad"
    grep -q '"error"' "$WORK/body" || fail "bad PUT reply: $(cat "$WORK/body")"
    [ "$(http GET /v1/config)" = 200 ] || fail "GET /v1/config"
    cmp -s "$WORK/body" "$WORK/before" || fail "bad PUT changed the config: $bad"
done
http PUT /v1/config '{"data": "/elsewhere"}' >/dev/null
grep -q 'data' "$WORK/body" || fail "refusal does not name data: $(cat "$WORK/body")"
pass put_bad

[ "$(http GET /nowhere)" = 404 ] || fail "unknown path"
[ "$(http DELETE /v1/config)" = 405 ] || fail "wrong method"
pass errors

# SIGHUP reloads the file; keys from the command line still win.
printf '{"node_id": 1, "max_connections": 77}\n' >"$WORK/kelp.json"
kill -HUP "$KELPD_PID"
tries=0
until http GET /v1/config >/dev/null && grep -q '"max_connections":77' "$WORK/body"; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || fail "SIGHUP did not reload: $(cat "$WORK/body")"
    sleep 0.1
done
pass sighup

stop_kelpd
grep -q 'SIGTERM received' "$WORK/kelpd.err" || fail "no stop message"
pass sigterm
