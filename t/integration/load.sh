#!/bin/sh
# Load: 250 librdkafka producers (acks=all, half idempotent) and 250
# consumers in groups of 5 at once on loopback, for a bounded time
# (t/clients/load_clients; KELP_LOAD_SECONDS of producing, 30 by default;
# KELP_LOAD_PRODUCERS and KELP_LOAD_CONSUMERS change the counts). Every
# acknowledged record must be read back exactly once and no client may see
# an error; kelpd's resident memory must stay flat while the load runs; kelpd
# must still answer afterwards, stop cleanly and have logged no error.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require curl curl
kelp_require kcat kcat
kelp_require "$KELP_PYTHON" python3
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test measures kelpd's memory; the mock cluster is no kelpd"
client="$KELP_BUILDDIR/t/clients/load_clients"
[ -x "$client" ] || kelp_fail "$client is not built (make check builds it)"

# Under valgrind (KELP_WRAPPER) kelpd runs tens of times slower: the
# memcheck stage looks for memory errors under a tenth of the clients; the
# other stages carry the full 500.
clients_each=250
[ -z "${KELP_WRAPPER:-}" ] || clients_each=25
producers=${KELP_LOAD_PRODUCERS:-$clients_each}
consumers=${KELP_LOAD_CONSUMERS:-$clients_each}
seconds=${KELP_LOAD_SECONDS:-30}
topic=load
partitions=16
clients=$((producers + consumers))

# Each librdkafka instance holds one or two sockets and a few wake-up fds in the
# client process (about 7 each, measured), and kelpd holds one fd per
# connection: both inherit the limit raised here.
need_fds=$((clients * 16 + 1024))
# shellcheck disable=SC3045 # dash and bash both have ulimit -H and -n
hard_fds=$(ulimit -H -n)
# shellcheck disable=SC3045
if [ "$hard_fds" = unlimited ]; then
    ulimit -n "$need_fds" || kelp_fail "cannot raise the open file limit to $need_fds"
else
    [ "$hard_fds" -ge "$need_fds" ] ||
        kelp_fail "the hard open file limit is $hard_fds; $clients clients need $need_fds (raise it with ulimit -Hn or limits.conf)"
    ulimit -n "$hard_fds" || kelp_fail "cannot raise the open file limit to $hard_fds"
fi
# shellcheck disable=SC3045
kelp_log "open file limit $(ulimit -n) ($need_fds needed)"

# Three connections per client at most (bootstrap, broker, group
# coordinator) plus room for the checks; the default (10000) would do, but
# the test says what it needs.
max_connections=$((clients * 3 + 64))
KELP_CONFIG="$KELP_WORK/load.json"
printf '{"max_connections": %d}\n' "$max_connections" >"$KELP_CONFIG"
export KELP_CONFIG

# AddressSanitizer keeps freed memory in a quarantine (256 MiB by default)
# that fills up over minutes and would read as growth; a small one fills
# during warm-up, and its size is added to the allowance below.
slack_kib=16384
if ldd "$KELPD" 2>/dev/null | grep -q libasan; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=32"
    slack_kib=$((slack_kib + 32768))
    kelp_log "kelpd is built with AddressSanitizer: quarantine 32 MiB, allowance raised by as much"
fi

client_pid=
sampler_pid=
load_on_exit() {
    status=$?
    for pid in $client_pid $sampler_pid; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    (exit $status)
    kelp_on_exit
}
trap load_on_exit EXIT

kelp_start
curl -sf -X POST -H 'Content-Type: application/json' \
    --data "{\"name\": \"$topic\", \"partitions\": $partitions}" "http://$KELP_ADMIN/v1/topics" >/dev/null ||
    kelp_fail "cannot create topic $topic with $partitions partitions"

# One sample a second: time (ms), kelpd's VmRSS (KiB), its open sockets.
samples="$KELP_WORK/rss.samples"
(
    while [ -r "/proc/$KELP_PID/status" ]; do
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$KELP_PID/status" 2>/dev/null)
        sockets=$(find "/proc/$KELP_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)
        [ -z "$rss" ] || echo "$(date +%s%3N) $rss $sockets"
        sleep 1
    done
) >"$samples" &
sampler_pid=$!

kelp_log "$producers producers and $consumers consumers for ${seconds}s on $topic ($partitions partitions)"
t0=$(date +%s)
"$client" "$KELP_BOOTSTRAP" $topic "$producers" "$consumers" "$seconds" \
    >"$KELP_WORK/client.out" 2>"$KELP_WORK/client.err" &
client_pid=$!
wait $client_pid
client_status=$?
client_pid=
elapsed=$(($(date +%s) - t0))
kill "$sampler_pid" 2>/dev/null
wait "$sampler_pid" 2>/dev/null
sampler_pid=
grep -v '^phase ' "$KELP_WORK/client.out"
if [ $client_status -ne 0 ]; then
    tail -n 25 "$KELP_WORK/client.err" >&2
    kelp_fail "the load client exited with status $client_status after ${elapsed}s"
fi

# The memory check looks at the produce window only: warm-up (instances
# connecting, groups forming) and the drain afterwards are not steady load.
# By the end of its first quarter kelpd holds every connection, group and
# request buffer it will need, and the records go to disk, not to memory:
# memory that still grows with the requests served is a leak. Medians ignore
# one-second spikes (a burst of pipelined requests); 25% and 16 MiB of
# allowance absorb allocator noise (arenas and free lists kept,
# fragmentation). A leak of 1 KiB per request exceeds it several times over.
start=$(sed -n 's/^phase produce_start \([0-9]*\)$/\1/p' "$KELP_WORK/client.out")
end=$(sed -n 's/^phase produce_end \([0-9]*\)$/\1/p' "$KELP_WORK/client.out")
if [ -z "$start" ] || [ -z "$end" ]; then
    kelp_fail "the load client printed no produce window"
fi
awk -v s="$start" -v e="$end" '$1 >= s && $1 <= e { print $2 }' "$samples" >"$KELP_WORK/rss.window"
n=$(wc -l <"$KELP_WORK/rss.window")
[ "$n" -ge 8 ] || kelp_fail "only $n memory samples in the produce window; KELP_LOAD_SECONDS must be 10 or more"

# median FIRST COUNT: the median of COUNT samples from the FIRST (1-based).
median() {
    tail -n +"$1" "$KELP_WORK/rss.window" | head -n "$2" | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
quarter=$((n / 4))
second_quarter=$(median $((quarter + 1)) $((n / 2 - quarter)))
last_quarter=$(median $((n - quarter + 1)) "$quarter")
limit=$((second_quarter * 125 / 100 + slack_kib))
peak_rss=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$samples")
peak_sockets=$(awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }' "$samples")
kelp_log "kelpd RSS over $n samples: second quarter median ${second_quarter} KiB, last quarter median ${last_quarter} KiB (limit ${limit} KiB), peak ${peak_rss} KiB; peak ${peak_sockets} sockets"
[ "$last_quarter" -le "$limit" ] ||
    kelp_fail "kelpd's RSS grew under steady load: ${second_quarter} KiB -> ${last_quarter} KiB (limit ${limit} KiB)"

# Still alive and answering, with every acknowledged record in the log.
kill -0 "$KELP_PID" 2>/dev/null || kelp_fail "kelpd is gone after the load"
kcat -b "$KELP_BOOTSTRAP" -L -t $topic -m 10 >"$KELP_WORK/kcat.out" 2>&1 ||
    kelp_fail "kelpd does not answer Metadata after the load: $(tail -n 3 "$KELP_WORK/kcat.out")"
grep -q "topic \"$topic\" with $partitions partitions" "$KELP_WORK/kcat.out" ||
    kelp_fail "Metadata after the load does not list $topic with $partitions partitions"
acknowledged=$(sed -n 's/^load_clients: OK: .* acknowledged \([0-9]*\) .*$/\1/p' "$KELP_WORK/client.out")
stored=$(curl -sf "http://$KELP_ADMIN/v1/topics/$topic" |
    "$KELP_PYTHON" -c 'import json, sys; print(sum(p["high_watermark"] for p in json.load(sys.stdin)["partitions"]))') ||
    kelp_fail "the admin endpoint does not describe $topic after the load"
[ "$stored" = "$acknowledged" ] ||
    kelp_fail "$topic holds $stored records, $acknowledged were acknowledged"

kelp_stop
# Either log format: logfmt (level=warn ...) or JSON ("level":"warn").
warnings=$(cat "$KELP_WORK"/server.*.err | grep -c '^level=warn\|"level":"warn"')
[ "$warnings" -eq 0 ] || kelp_fail "kelpd logged $warnings warning(s) under a load that breaks no rule"
if grep -n '^level=error\|"level":"error"\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$KELP_WORK"/server.*.err >&2; then
    kelp_fail "kelpd logged errors"
fi
kelp_log "PASS: $acknowledged records by $producers producers, $consumers consumers, ${elapsed}s"
