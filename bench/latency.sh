#!/bin/sh
# Produce latency of kelpd and of librdkafka's mock cluster at the same
# steady rate, half of kelpd's maximum (bench/latency): in every run kelpd is
# measured first, on an empty data directory, and its half rate is then used
# for the mock. Prints the medians of RUNS runs and the kelp/mock ratios.
# Each run also measures the disk's own floor at that rate (bench/flush_floor:
# one thread appending to 4 files every linger.ms, one running syncfs rounds
# back to back, no network and no client), next to kelpd's data: no server
# that acknowledges only durable writes can have a lower latency there.
#
# usage: bench/latency.sh [--runs N] [--duration S] [--linger MS] [--mock-nagle]
#        (or: make bench)
# Environment: LATENCY_BENCH (the bench/latency binary), FLUSH_FLOOR
# (bench/flush_floor), KELPD and KELP_MODULE; by default all are taken from
# build/.
KELP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
runs=3
duration=3
linger=5
mock=--mock
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --linger) linger=$2; shift 2 ;;
    --mock-nagle) mock=--mock-nagle; shift ;;
    # the other benchmarks' options, shared through BENCH_ARGS
    --messages | --messages-64 | --big-messages | --big-partitions | --commits | --transactions | --per-txn) shift 2 ;;
    *) echo "usage: $0 [--runs N] [--duration S] [--linger MS] [--mock-nagle]" >&2; exit 2 ;;
    esac
done
. "$KELP_SRCDIR/t/integration/lib.sh"
. "$KELP_SRCDIR/bench/lib.sh"
: "${LATENCY_BENCH:=$KELP_BUILDDIR/bench/latency}"
[ -x "$LATENCY_BENCH" ] || kelp_fail "$LATENCY_BENCH is not built (make bench builds it)"
: "${FLUSH_FLOOR:=$KELP_BUILDDIR/bench/flush_floor}"
[ -x "$FLUSH_FLOOR" ] || kelp_fail "$FLUSH_FLOOR is not built (make bench builds it)"

kelp_start

run=1
while [ $run -le "$runs" ]; do
    echo "run $run of $runs (4 partitions, 1 KiB, acks=all; paced for ${duration}s at linger.ms=$linger)"
    out=$("$LATENCY_BENCH" --bootstrap "$KELP_BOOTSTRAP" --duration "$duration" --linger "$linger") ||
        kelp_fail "kelp run failed: $out"
    bench_record kelp "$out"
    rate=$(printf '%s\n' "$out" | sed -n 's/^RESULT .*rate_msgs_per_s=\([0-9.]*\).*/\1/p')
    out=$("$LATENCY_BENCH" $mock --rate "$rate" --duration "$duration" --linger "$linger") ||
        kelp_fail "mock run failed: $out"
    bench_record mock "$out"
    # The same bytes per second of values, as the disk alone takes them.
    mb=$(awk -v r="$rate" 'BEGIN { printf "%.3f", r * 1024 / 1e6 }')
    out=$("$FLUSH_FLOOR" --dir "$KELP_WORK" --mb-per-s "$mb" --duration "$duration" --round-ms "$linger") ||
        kelp_fail "flush floor run failed: $out"
    bench_record disk "$out"
    # Every paced run writes several hundred MB: start the next on an empty
    # data directory so that disk use stays bounded.
    kelp_stop
    rm -rf "$KELP_DATA"
    mkdir -p "$KELP_DATA"
    kelp_start >/dev/null
    run=$((run + 1))
done

echo
echo "medians of $runs runs (latency from rd_kafka_produce to the delivery report; lower is better):"
printf '%-16s %12s %12s %10s\n' measure mock kelp kelp/mock
for field in max_msgs_per_s rate_msgs_per_s sent_msgs_per_s p50_ms p99_ms max_ms queue_full; do
    awk -v f="$field" -v m="$(median mock $field)" -v k="$(median kelp $field)" 'BEGIN {
        fmt = f ~ /_ms$/ ? "%12.2f" : "%12.0f"
        printf "%-16s " fmt " " fmt " %10s\n", f, m, k, (m > 0 ? sprintf("%.2f", k / m) : "-")
    }'
done
echo "the disk's floor at the same rate (medians; syncfs rounds back to back, no network, no client):"
for field in p50 p99 max; do
    printf '%-16s %12.2f\n' "floor_${field}_ms" "$(median disk floor_${field}_ms)"
done
kelp_stop
