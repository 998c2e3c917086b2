#!/bin/sh
# kelpd --log-format json writes every event as one JSON object per line
# with ts, level, component and msg; PUT /v1/config {"log_format":"logfmt"}
# switches the running module to logfmt lines.
: "${KELP_BUILDDIR:?KELP_BUILDDIR must name the build directory}"
: "${KELPD:=$KELP_BUILDDIR/kelpd}"
: "${KELP_MODULE:=$KELP_BUILDDIR/.libs/kelp.so}"
. "${KELP_SRCDIR:-.}/t/integration/host_lib.sh"

TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

# check_json FILE: every line is a JSON object of exactly the four string
# fields, with an RFC 3339 UTC timestamp and a known level.
check_json() {
    [ -s "$1" ] || fail "no log lines in $1"
    # One verdict per line: false for a line that does not parse, too.
    jq -R -c --arg ts "^$TS\$" 'try (fromjson
        | type == "object"
          and (keys == ["component", "level", "msg", "ts"])
          and ([.[] | type] | all(. == "string"))
          and (.ts | test($ts))
          and (.level | IN("error", "warn", "info", "debug"))) catch false' "$1" >"$WORK/verdicts.out" \
        2>"$WORK/jq.err" || fail "jq failed on $1: $(cat "$WORK/jq.err")"
    [ "$(wc -l <"$WORK/verdicts.out")" -eq "$(wc -l <"$1")" ] || fail "jq did not give one verdict per line of $1"
    if grep -n -v '^true$' "$WORK/verdicts.out" >&2; then
        fail "lines of $1 (numbered above) are not JSON objects of ts, level, component and msg"
    fi
}

# produce TOPIC: three records in, three records out.
produce() {
    printf 'one\ntwo "quoted"\nthree\n' | kcat -P -b "$KAFKA_ADDR" -t "$1" -p 0 2>"$WORK/kcat.err" ||
        fail "kcat could not produce to $1"
    kcat -C -b "$KAFKA_ADDR" -t "$1" -p 0 -o beginning -e -q >"$WORK/consumed.out" 2>>"$WORK/kcat.err" ||
        fail "kcat could not consume $1"
    [ "$(wc -l <"$WORK/consumed.out")" -eq 3 ] || fail "consumed $(wc -l <"$WORK/consumed.out") records from $1"
}

expect_failure bad_log_format_option "--log-format must be logfmt or json" --log-format xml

# Debug events make sure there are lines of every kind to check.
printf '{"log_level": "debug"}\n' >"$WORK/kelp.json"
start_kelpd --config "$WORK/kelp.json" --admin 127.0.0.1:0 --log-format json
produce json-topic
kill -HUP "$KELPD_PID"
tries=0
until grep -q '"component":"kelpd","msg":"configuration reloaded"' "$WORK/kelpd.err"; do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || fail "no reload line from kelpd"
    sleep 0.1
done
[ "$(http GET /v1/config)" = 200 ] || fail "GET /v1/config"
jq -e '.log_format == "json" and .log_level == "debug"' "$WORK/body" >/dev/null || fail "config: $(cat "$WORK/body")"
cp "$WORK/kelpd.err" "$WORK/json.log"
check_json "$WORK/json.log"
[ "$(wc -l <"$WORK/json.log")" -ge 5 ] || fail "too few log lines to judge"
grep -q '"level":"debug"' "$WORK/json.log" || fail "no debug events at log_level debug"
pass json_lines

# A value the module does not know is refused and changes nothing.
[ "$(http PUT /v1/config '{"log_format":"xml"}')" = 400 ] || fail "log_format xml accepted"
grep -q 'log_format' "$WORK/body" || fail "refusal does not name log_format: $(cat "$WORK/body")"
pass bad_format_refused

# Switch at run time; the module's "configuration changed" line is the first
# in the new format.
[ "$(http PUT /v1/config '{"log_format":"logfmt","log_level":"info"}')" = 200 ] || fail "PUT log_format logfmt"
jq -e '.log_format == "logfmt" and .log_level == "info"' "$WORK/body" >/dev/null || fail "PUT reply: $(cat "$WORK/body")"
produce logfmt-topic
curl -s "http://$ADMIN_ADDR/v1/topics/no-such-topic" >/dev/null
cp "$WORK/kelpd.err" "$WORK/all.log"
switch=$(grep -n '^level=info component=config ts=.* msg="configuration changed"$' "$WORK/all.log" | tail -n 1 | cut -d: -f1)
[ -n "$switch" ] || fail "no logfmt \"configuration changed\" line after the PUT"
head -n $((switch - 1)) "$WORK/all.log" >"$WORK/before.log"
tail -n +"$switch" "$WORK/all.log" >"$WORK/after.log"
check_json "$WORK/before.log"
if grep -n -v -E "^level=(error|warn|info|debug) component=[^ =\"]+ ts=$TS msg=([^ \"]+|\"([^\"\\\\]|\\\\.)*\")\$" \
    "$WORK/after.log" >&2; then
    fail "lines after the switch (above) are not logfmt"
fi
if grep -q 'level=debug' "$WORK/after.log"; then fail "debug events after log_level info"; fi
pass logfmt_after_put

stop_kelpd
