#!/bin/sh
# Time to serve after a restart with GB gigabytes (10^9 bytes, default 10)
# of data: produces them with bench/scale load (1 KiB messages, acks=1,
# linger.ms=100, batch.size=1000000, no compression) round-robin into one
# topic of PARTITIONS partitions (default 64), then RUNS times (default 1)
# each: stops kelpd cleanly (SIGTERM) and starts it again, then kills it
# (SIGKILL) and starts it again. For every start bench/scale probe reports
# the seconds from the exec of kelpd to its listening line, to the first
# Metadata answer for the topic with every partition led, and to the first
# Fetch of partition 0 that returns records; and the time to serve per GB.
#
# usage: bench/restart.sh [--runs N] [--gb N] [--partitions N] [--segment-bytes N]
#                         [--drop-caches]                  (or: make bench)
# --segment-bytes sets kelpd's segment_bytes (default: kelpd's, 1 GiB).
# --drop-caches empties the page cache before every start (root only), so
# that the restart reads the data from the disk. The data goes into the work
# directory under $TMPDIR (default /tmp), which needs GB plus 2 GB free; it
# is deleted at the end.
# Environment: SCALE_BENCH (bench/scale), KELPD and KELP_MODULE; by
# default all are taken from build/.
KELP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
runs=1
gb=10
partitions=64
segment_bytes=
drop_caches=0
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --gb) gb=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --segment-bytes) segment_bytes=$2; shift 2 ;;
    --drop-caches) drop_caches=1; shift ;;
    # The other benchmarks' options, shared through BENCH_ARGS.
    --messages | --commits | --transactions | --per-txn | --topics | --per-topic | --connections | --nofile | \
        --duration | --linger | --messages-64 | --big-messages | --big-partitions) shift 2 ;;
    --mock-nagle) shift ;;
    *) echo "usage: $0 [--runs N] [--gb N] [--partitions N] [--segment-bytes N] [--drop-caches]" >&2; exit 2 ;;
    esac
done
. "$KELP_SRCDIR/t/integration/lib.sh"
. "$KELP_SRCDIR/bench/lib.sh"
: "${SCALE_BENCH:=$KELP_BUILDDIR/bench/scale}"
[ -x "$SCALE_BENCH" ] || kelp_fail "$SCALE_BENCH is not built (make bench builds it)"
kelp_require curl curl

avail_kb=$(df -Pk "$KELP_WORK" | awk 'NR == 2 { print $4 }')
need_kb=$(( (gb + 2) * 1000000 ))
[ "$avail_kb" -ge "$need_kb" ] ||
    kelp_fail "$gb GB of data need about $((need_kb / 1000000)) GB free under $KELP_WORK, $((avail_kb / 1000000)) GB are"
if [ -n "$segment_bytes" ]; then
    KELP_CONFIG="$KELP_WORK/kelp.json"
    printf '{"segment_bytes":%s}\n' "$segment_bytes" >"$KELP_CONFIG"
fi
if [ "$drop_caches" = 1 ] && [ ! -w /proc/sys/vm/drop_caches ]; then
    kelp_fail "--drop-caches needs a writable /proc/sys/vm/drop_caches (root)"
fi
topic=restart

kelp_start
out=$(curl -s -w ' HTTP %{http_code}' -X POST -H 'Content-Type: application/json' \
    --data "{\"name\":\"$topic\",\"partitions\":$partitions}" "http://$KELP_ADMIN/v1/topics")
case $out in
*' HTTP 2'??) ;;
*) kelp_fail "creating topic $topic: $out" ;;
esac
echo "producing $gb GB into $partitions partitions (1 KiB, acks=1, linger.ms=100, batch.size=1000000)"
out=$("$SCALE_BENCH" load --bootstrap "$KELP_BOOTSTRAP" --topic "$topic" --partitions "$partitions" \
    --bytes "${gb}000000000") || kelp_fail "load failed: $out"
bench_record load "$out"
data_bytes=$(du -sb "$KELP_DATA" | awk '{ print $1 }')
segments=$(find "$KELP_DATA/topics" -name '*.log' | wc -l)
data_gb=$(awk -v b="$data_bytes" 'BEGIN { printf "%.2f", b / 1e9 }')
echo "data directory: $data_gb GB in $segments segment files"

# timed_start KIND: starts kelpd as kelp_start does (same command line),
# while bench/scale probe times it from the exec; keeps the RESULT in KIND.
timed_start() {
    KELP_STARTS=$((KELP_STARTS + 1))
    local out="$KELP_WORK/server.$KELP_STARTS.out" err="$KELP_WORK/server.$KELP_STARTS.err" config since result
    config=$(kelp_effective_config)
    if [ "$drop_caches" = 1 ]; then
        sync
        echo 3 >/proc/sys/vm/drop_caches
    fi
    : >"$out"
    since=$(date +%s%N)
    # shellcheck disable=SC2086
    $KELP_WRAPPER "$KELPD" --module "$KELP_MODULE" ${config:+--config "$config"} \
        --listen 127.0.0.1:0 --admin 127.0.0.1:0 --data "$KELP_DATA" >"$out" 2>"$err" &
    KELP_PID=$!
    result=$("$SCALE_BENCH" probe --log "$out" --since-ns "$since" --topic "$topic" --timeout 1200) ||
        kelp_fail "probe after a $1 stop failed: $result"
    KELP_BOOTSTRAP=$(sed -n 's/^kelpd: kafka listening on \([^ ]*\).*$/\1/p' "$out" | head -n 1)
    KELP_ADMIN=$(sed -n 's/^kelpd: admin listening on \([^ ]*\).*$/\1/p' "$out" | head -n 1)
    bench_record "$1" "$result"
    local warned
    warned=$(grep -c 'level=warn\|level=error' "$err")
    [ "$warned" -eq 0 ] || { echo "  $1 kelpd logged $warned warnings or errors:"; grep 'level=warn\|level=error' "$err" | head -n 5; }
}

run=1
while [ $run -le "$runs" ]; do
    echo "run $run of $runs"
    start=$(date +%s%N)
    kelp_stop
    echo "  SIGTERM to exit: $(( ($(date +%s%N) - start) / 1000000 )) ms"
    timed_start clean
    kill -KILL "$KELP_PID"
    wait "$KELP_PID" 2>/dev/null
    KELP_PID=
    timed_start unclean
    run=$((run + 1))
done
kelp_stop

echo
echo "medians of $runs runs, $data_gb GB in $partitions partitions, $segments segments${segment_bytes:+, segment_bytes $segment_bytes}$([ "$drop_caches" = 1 ] && echo ', page cache dropped before each start'):"
for kind in clean unclean; do
    awk -v k="$kind" -v gb="$data_gb" -v l="$(median "$kind" listen_s)" -v m="$(median "$kind" metadata_s)" \
        -v f="$(median "$kind" fetch_s)" 'BEGIN {
        printf "%-8s listening %.3f s | Metadata %.3f s | Fetch %.3f s | %.3f s per GB to serve\n",
               k, l, m, f, f / gb
    }'
done
echo "load: $(median load load_mb_per_s) MB/s"
