#!/bin/sh
# GET /metrics: the Prometheus text exposition parses with prometheus_client's
# parser and its histograms are consistent; after kcat produced, consumed and
# committed in a group, the topic's record and byte counters, the requests
# per API, the partitions' log end offsets and the group's lag (0, then the
# records produced after the commit) say what happened; a malformed request
# counts as an error; a large request's buffer is kept for the next; a
# deleted topic's series are gone.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require kcat kcat
kelp_require curl curl
kelp_python_require prometheus_client python3-prometheus-client
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "the mock cluster has no admin endpoint"

check="$KELP_SRCDIR/t/integration/metrics_check.py"
TOPIC=metrics-t
GROUP=metrics-g
N=40 # records produced first
M=7  # records produced after the group committed
SCRAPES=0

# scrape: fetch /metrics into $SCRAPE and check it parses and its histograms.
scrape() {
    SCRAPES=$((SCRAPES + 1))
    SCRAPE="$KELP_WORK/metrics.$SCRAPES.txt"
    local headers="$KELP_WORK/metrics.$SCRAPES.headers"
    curl -sf -D "$headers" -o "$SCRAPE" "http://$KELP_ADMIN/metrics" || kelp_fail "GET /metrics failed"
    grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$headers" ||
        kelp_fail "GET /metrics: wrong content type: $(grep -i '^content-type' "$headers")"
    "$KELP_PYTHON" "$check" "$SCRAPE" validate >/dev/null || kelp_fail "scrape $SCRAPES is not a valid exposition"
}

# metric MODE SAMPLE [LABEL=VALUE...]: a number from the last scrape.
metric() {
    "$KELP_PYTHON" "$check" "$SCRAPE" "$@" || kelp_fail "cannot read $* from $SCRAPE"
}

# expect DESCRIPTION ACTUAL OP EXPECTED (OP as test(1): -eq, -gt, -ge)
expect() {
    [ "$2" "$3" "$4" ] || kelp_fail "$1: got $2, expected $3 $4 (see $SCRAPE)"
    kelp_log "ok: $1 ($2)"
}

# A Metadata v1 request whose topic array claims 5 entries and has none:
# the server closes the connection as malformed.
malformed_request() {
    "$KELP_PYTHON" - "$KELP_BOOTSTRAP" <<'PY'
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
client = b"metrics-test"
body = struct.pack(">hhi", 3, 1, 77) + struct.pack(">h", len(client)) + client + struct.pack(">i", 5)
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(struct.pack(">i", len(body)) + body)
s.settimeout(10)
sys.exit(0 if s.recv(1) == b"" else 1)  # closed, no answer
PY
}

kelp_start
[ -n "$KELP_ADMIN" ] || kelp_fail "kelpd printed no admin address"

scrape
expect "kelp_build_info" "$(metric sum kelp_build_info)" -eq 1
expect "every group state has a series" "$(metric count kelp_groups)" -eq 5
expect "no records yet" "$(metric sum kelp_topic_records_in_total)" -eq 0

kelp_run "create $TOPIC" curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data "{\"name\": \"$TOPIC\", \"partitions\": 3}" "http://$KELP_ADMIN/v1/topics"
# Keyed records: the partition follows the key, so the later records (keys
# of the first ones) land where the group committed.
seq 1 $N | sed 's/.*/k&:record-&/' >"$KELP_WORK/first.txt"
kelp_run "kcat produces $N records" sh -c "kcat -P -K : -b $KELP_BOOTSTRAP -t $TOPIC -X acks=all <$KELP_WORK/first.txt"
kcat -C -b "$KELP_BOOTSTRAP" -t "$TOPIC" -o beginning -e -q >"$KELP_WORK/consumed.txt" ||
    kelp_fail "kcat could not consume $TOPIC"
expect "records consumed" "$(wc -l <"$KELP_WORK/consumed.txt")" -eq $N
# The group consumer commits what it read when it closes at the end.
kcat -b "$KELP_BOOTSTRAP" -G "$GROUP" -X auto.offset.reset=earliest -e -q "$TOPIC" >"$KELP_WORK/group.txt" ||
    kelp_fail "kcat -G could not consume $TOPIC"
expect "records consumed in the group" "$(wc -l <"$KELP_WORK/group.txt")" -eq $N

scrape
expect "records in" "$(metric sum kelp_topic_records_in_total topic=$TOPIC)" -eq $N
expect "bytes in" "$(metric sum kelp_topic_bytes_in_total topic=$TOPIC)" -gt 0
expect "records out" "$(metric sum kelp_topic_records_out_total topic=$TOPIC)" -ge $((2 * N))
expect "bytes out" "$(metric sum kelp_topic_bytes_out_total topic=$TOPIC)" -gt 0
expect "Produce requests" "$(metric sum kelp_requests_total api=Produce)" -gt 0
expect "Fetch requests" "$(metric sum kelp_requests_total api=Fetch)" -gt 0
expect "Produce errors" "$(metric sum kelp_request_errors_total api=Produce)" -eq 0
expect "Produce durations observed" "$(metric sum kelp_request_duration_seconds_count api=Produce)" -gt 0
expect "partitions" "$(metric count kelp_partition_log_end_offset topic=$TOPIC)" -eq 3
expect "log end offsets" "$(metric sum kelp_partition_log_end_offset topic=$TOPIC)" -eq $N
expect "high watermarks" "$(metric sum kelp_partition_high_watermark topic=$TOPIC)" -eq $N
expect "partition sizes" "$(metric sum kelp_partition_size_bytes topic=$TOPIC)" -gt 0
expect "committed partitions" "$(metric count kelp_group_lag group=$GROUP topic=$TOPIC)" -eq 3
expect "lag after committing everything" "$(metric sum kelp_group_lag group=$GROUP topic=$TOPIC)" -eq 0
expect "sync rounds" "$(metric sum kelp_storage_sync_duration_seconds_count)" -gt 0
expect "connections accepted" "$(metric sum kelp_connections_accepted_total)" -gt 0

seq 1 $M | sed 's/.*/k&:late-&/' >"$KELP_WORK/second.txt"
kelp_run "kcat produces $M more" sh -c "kcat -P -K : -b $KELP_BOOTSTRAP -t $TOPIC -X acks=all <$KELP_WORK/second.txt"
kelp_run "a malformed request closes its connection" malformed_request
scrape
expect "records in after more" "$(metric sum kelp_topic_records_in_total topic=$TOPIC)" -eq $((N + M))
expect "lag after $M more" "$(metric sum kelp_group_lag group=$GROUP topic=$TOPIC)" -eq $M
expect "malformed Metadata counted as an error" \
    "$(metric sum kelp_request_errors_total api=Metadata version=1)" -ge 1

# A request of more than 64 KiB leaves its buffer kept for the next one.
expect "no large request yet" "$(metric sum kelp_request_buffers_kept_bytes)" -eq 0
head -c 200000 /dev/zero | tr '\0' x >"$KELP_WORK/large.txt"
kelp_run "kcat produces a 200000-byte record" kcat -P -b "$KELP_BOOTSTRAP" -t "$TOPIC" -X acks=all "$KELP_WORK/large.txt"
scrape
expect "the large request's buffer kept" "$(metric sum kelp_request_buffers_kept_bytes)" -ge 200000

kelp_run "delete $TOPIC" curl -sf -o /dev/null -X DELETE "http://$KELP_ADMIN/v1/topics/$TOPIC"
scrape
expect "series of the deleted topic" "$(metric with-label topic=$TOPIC)" -eq 0
expect "lag of the deleted topic" "$(metric count kelp_group_lag group=$GROUP)" -eq 0
kelp_run "create $TOPIC again" curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    --data "{\"name\": \"$TOPIC\", \"partitions\": 2}" "http://$KELP_ADMIN/v1/topics"
scrape
expect "records in of the new $TOPIC" "$(metric sum kelp_topic_records_in_total topic=$TOPIC)" -eq 0
expect "partitions of the new $TOPIC" "$(metric count kelp_partition_log_end_offset topic=$TOPIC)" -eq 2
kelp_stop
kelp_log PASS
