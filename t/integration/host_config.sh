#!/bin/sh
# Configuration errors stop kelpd with exit status 2 and a message that
# names the file or the key; command-line options override the file.
. "${KELP_SRCDIR:-.}/t/integration/host_lib.sh"

expect_failure missing_file "$WORK/absent.json" --module "$KELP_MODULE" --config "$WORK/absent.json"

printf '{"listen": "127.0.0.1:0",\n "node_id": }\n' >"$WORK/broken.json"
expect_failure invalid_json "$WORK/broken.json: not valid JSON (near line 2)" \
    --module "$KELP_MODULE" --config "$WORK/broken.json"

printf '[1, 2]\n' >"$WORK/array.json"
expect_failure not_an_object "$WORK/array.json: the configuration must be a JSON object" \
    --module "$KELP_MODULE" --config "$WORK/array.json"

printf '{"colour": "green"}\n' >"$WORK/unknown.json"
expect_failure unknown_key 'kelpd: unknown configuration key "colour"' \
    --module "$KELP_MODULE" --config "$WORK/unknown.json"

printf '{"node_id": "seven"}\n' >"$WORK/type.json"
expect_failure wrong_type 'kelpd: configuration key "node_id" must be an integer' \
    --module "$KELP_MODULE" --config "$WORK/type.json"

printf '{"default_partitions": 0}\n' >"$WORK/range.json"
expect_failure out_of_range 'kelpd: configuration key "default_partitions" must be between' \
    --module "$KELP_MODULE" --config "$WORK/range.json"

expect_failure bad_listen 'configuration key "listen" must be HOST:PORT' \
    --module "$KELP_MODULE" --listen nowhere

# The file names a port that is taken; --listen and --admin override it.
printf '{"listen": "256.0.0.1:1", "admin": "256.0.0.1:1", "node_id": 3}\n' >"$WORK/override.json"
start_kelpd --config "$WORK/override.json" --admin 127.0.0.1:0
case $KAFKA_ADDR in 127.0.0.1:[1-9]*) ;; *) fail "kafka address: $KAFKA_ADDR" ;; esac
case $ADMIN_ADDR in 127.0.0.1:[1-9]*) ;; *) fail "admin address: $ADMIN_ADDR" ;; esac
[ "$(http GET /v1/config)" = 200 ] || fail "GET /v1/config"
grep -q '"node_id":3' "$WORK/body" || fail "node_id from the file lost: $(cat "$WORK/body")"
stop_kelpd
pass overrides

# "--admin ''" disables the admin endpoint: no admin line.
start_kelpd --admin ''
[ -z "$ADMIN_ADDR" ] || fail "admin enabled: $ADMIN_ADDR"
stop_kelpd
pass admin_disabled
