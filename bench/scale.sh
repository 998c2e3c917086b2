#!/bin/sh
# Many partitions and many idle connections on one kelpd: TOPICS topics of
# PER_TOPIC partitions (default 100 x 100 = 10,000) created through the
# admin API, then CONNECTIONS (default 2,000) idle Kafka connections
# (bench/scale idle: one ApiVersions request each, then nothing). Reports
# kelpd's VmRSS and open files before and after each step, the time the
# partitions took to create, and the produce throughput of bench/throughput
# (1 KiB, acks=all, linger.ms=5, a new 4-partition topic) against this
# loaded kelpd and against a second, empty kelpd, alternating, RUNS runs
# each, with the medians and the loaded/empty ratio.
#
# usage: bench/scale.sh [--runs N] [--messages N] [--topics N] [--per-topic N]
#                       [--connections N] [--nofile N]     (or: make bench)
# --nofile sets the open file limit kelpd starts with (default: raised to
# what the partitions and connections need, when the hard limit allows).
# Environment: SCALE_BENCH (bench/scale), THROUGHPUT (bench/throughput),
# KELPD and KELP_MODULE; by default all are taken from build/.
KELP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
runs=3
messages=16000
topics=100
per_topic=100
connections=2000
nofile=
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --topics) topics=$2; shift 2 ;;
    --per-topic) per_topic=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --nofile) nofile=$2; shift 2 ;;
    # The other benchmarks' options, shared through BENCH_ARGS.
    --commits | --transactions | --per-txn | --gb | --partitions | --segment-bytes | --duration | --linger | \
        --messages-64 | --big-messages | --big-partitions) shift 2 ;;
    --mock-nagle | --drop-caches) shift ;;
    *) echo "usage: $0 [--runs N] [--messages N] [--topics N] [--per-topic N] [--connections N] [--nofile N]" >&2
       exit 2 ;;
    esac
done
. "$KELP_SRCDIR/t/integration/lib.sh"
. "$KELP_SRCDIR/bench/lib.sh"
: "${SCALE_BENCH:=$KELP_BUILDDIR/bench/scale}"
: "${THROUGHPUT:=$KELP_BUILDDIR/bench/throughput}"
[ -x "$SCALE_BENCH" ] || kelp_fail "$SCALE_BENCH is not built (make bench builds it)"
[ -x "$THROUGHPUT" ] || kelp_fail "$THROUGHPUT is not built (make bench builds it)"
kelp_require curl curl
partitions=$((topics * per_topic))

# kelpd keeps one file open per partition whose only segment is active (its
# log; index files are opened when the segment is sealed), and raises its
# soft limit to the hard one; the shell's soft limit is set here too.
# Without --nofile, a hard limit too low for all of them scales the
# partitions down to what fits, and says so.
if [ -z "$nofile" ]; then
    nofile=$((partitions + connections + 1024))
    hard=$(ulimit -Hn)
    if [ "$hard" != unlimited ] && [ "$hard" -lt "$nofile" ]; then
        per_topic=$(( (hard - connections - 1024) / topics ))
        [ "$per_topic" -gt 0 ] || kelp_fail "the hard open file limit $hard is too low for $connections connections"
        kelp_log "NOTE: $partitions partitions and $connections connections need about $nofile open files" \
            "(1 per partition), the hard limit is $hard: using $per_topic partitions per topic"
        partitions=$((topics * per_topic))
        nofile=$hard
    fi
fi
# Only the soft limit moves (dash's plain ulimit -n would lower the hard one too).
ulimit -Sn "$nofile" 2>/dev/null || ulimit -n "$nofile" 2>/dev/null ||
    kelp_fail "cannot set the open file limit to $nofile (hard limit $(ulimit -Hn))"
kelp_log "open file limit for kelpd: $(ulimit -n) (soft), $(ulimit -Hn) (hard)"

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB.*/\1/p' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }
now_ns() { date +%s%N; }
report() { # report WHAT: one line about the loaded kelpd
    echo "$1: kelpd VmRSS $(rss_kb "$loaded_pid") kB, $(fds "$loaded_pid") open files"
}

# The loaded server, then the empty one; the exit trap of lib.sh knows only
# the last, so the loaded one and the idle connections are stopped here.
idle_pid=
scale_cleanup() {
    [ -z "$idle_pid" ] || kill -TERM "$idle_pid" 2>/dev/null
    if [ -n "${loaded_pid:-}" ] && kill -0 "$loaded_pid" 2>/dev/null; then
        kill -TERM "$loaded_pid" 2>/dev/null
        sleep 2
        kill -KILL "$loaded_pid" 2>/dev/null
    fi
}
trap 'scale_status=$?; scale_cleanup; (exit $scale_status); kelp_on_exit' EXIT

kelp_start
loaded_pid=$KELP_PID
loaded_bootstrap=$KELP_BOOTSTRAP
loaded_admin=$KELP_ADMIN
loaded_data=$KELP_DATA
KELP_DATA="$KELP_WORK/data-empty"
mkdir -p "$KELP_DATA"
kelp_start
empty_bootstrap=$KELP_BOOTSTRAP
sleep 1
rss0=$(rss_kb "$loaded_pid")
report "started"

echo "creating $topics topics of $per_topic partitions ($partitions partitions)"
start=$(now_ns)
t=1
while [ $t -le "$topics" ]; do
    name=$(printf 'scale-%04d' "$t")
    body=$(curl -s -w ' HTTP %{http_code}' -X POST -H 'Content-Type: application/json' \
        --data "{\"name\":\"$name\",\"partitions\":$per_topic}" "http://$loaded_admin/v1/topics")
    case $body in
    *' HTTP 2'??) ;;
    *) report "topic $t of $topics failed"
       kelp_fail "creating $name ($(( (t - 1) * per_topic )) partitions so far): $body" ;;
    esac
    [ $((t % 20)) -ne 0 ] || report "$t topics ($((t * per_topic)) partitions) after $(( ($(now_ns) - start) / 1000000 )) ms"
    t=$((t + 1))
done
create_ms=$(( ($(now_ns) - start) / 1000000 ))
made=$(ls "$loaded_data/topics/kafka" | wc -l)
[ "$made" -ge "$topics" ] || kelp_fail "only $made topic directories under $loaded_data/topics/kafka"
sleep 1
rss1=$(rss_kb "$loaded_pid")
report "$partitions partitions created in $create_ms ms"

"$SCALE_BENCH" idle --bootstrap "$loaded_bootstrap" --connections "$connections" >"$KELP_WORK/idle.out" 2>&1 &
idle_pid=$!
waited=0
until grep -q '^READY' "$KELP_WORK/idle.out" 2>/dev/null; do
    kill -0 "$idle_pid" 2>/dev/null || { report "idle connections failed"; kelp_fail "bench/scale idle: $(cat "$KELP_WORK/idle.out")"; }
    [ $waited -lt 1200 ] || kelp_fail "the idle connections were not ready within 120 s"
    sleep 0.1
    waited=$((waited + 1))
done
sleep 1
rss2=$(rss_kb "$loaded_pid")
report "$(sed -n 's/^READY //p' "$KELP_WORK/idle.out") idle connections open"

bench_one() {
    name=$1
    shift
    out=$("$THROUGHPUT" "$@" --messages "$messages") || kelp_fail "$name run failed: $out"
    bench_record "$name" "$out"
}
run=1
while [ $run -le "$runs" ]; do
    echo "run $run of $runs ($messages x 1 KiB, acks=all, linger.ms=5, 4 partitions)"
    bench_one empty --bootstrap "$empty_bootstrap"
    bench_one loaded --bootstrap "$loaded_bootstrap"
    run=$((run + 1))
done
report "after the throughput runs"
load=$(awk '{ print $1 }' /proc/loadavg)

kill -TERM "$idle_pid"
wait "$idle_pid"
idle_pid=
idle_result=$(sed -n 's/^RESULT //p' "$KELP_WORK/idle.out")
echo "idle connections at the end: $idle_result"

# The loaded kelpd stops and starts again with its partitions (empty logs),
# which takes several flushes per partition.
KELP_START_TIMEOUT=1200
kelp_stop # the empty one
KELP_PID=$loaded_pid
KELP_DATA=$loaded_data
start=$(now_ns)
kelp_stop
stop_ms=$(( ($(now_ns) - start) / 1000000 ))
start=$(now_ns)
kelp_start
loaded_pid=$KELP_PID
restart_ms=$(( ($(now_ns) - start) / 1000000 ))
report "restarted"
echo "loaded kelpd: SIGTERM to exit $stop_ms ms; start to listening $restart_ms ms (shell polling, 100 ms steps)"

echo
echo "medians of $runs runs, 1-minute load average at the end $load:"
awk -v e="$(median empty produce_msgs_per_s)" -v l="$(median loaded produce_msgs_per_s)" \
    -v em="$(median empty produce_mb_per_s)" -v lm="$(median loaded produce_mb_per_s)" 'BEGIN {
    printf "produce  empty %9.0f msgs/s %7.1f MB/s | loaded %9.0f msgs/s %7.1f MB/s | loaded/empty %.2f\n",
           e, em, l, lm, (e > 0 ? l / e : 0)
}'
awk -v e="$(median empty consume_msgs_per_s)" -v l="$(median loaded consume_msgs_per_s)" \
    -v em="$(median empty consume_mb_per_s)" -v lm="$(median loaded consume_mb_per_s)" 'BEGIN {
    printf "consume  empty %9.0f msgs/s %7.1f MB/s | loaded %9.0f msgs/s %7.1f MB/s | loaded/empty %.2f\n",
           e, em, l, lm, (e > 0 ? l / e : 0)
}'
awk -v r0="$rss0" -v r1="$rss1" -v r2="$rss2" -v p="$partitions" -v c="$connections" -v ms="$create_ms" 'BEGIN {
    printf "memory   start %d kB, +%d partitions %d kB (%.2f kB each), +%d connections %d kB (%.2f kB each)\n",
           r0, p, r1, (r1 - r0) / p, c, r2, (r2 - r1) / c
    printf "create   %d partitions in %.1f s (%.2f ms each)\n", p, ms / 1000, ms / p
}'
kelp_stop
