#!/bin/sh
# Produce latency of kelpd and of librdkafka's mock cluster at the same
# steady rate, half of kelpd's maximum (bench/latency): in every run kelpd is
# measured first, on an empty data directory, and its half rate is then used
# for the mock. Prints the medians of RUNS runs and the kelp/mock ratios.
#
# usage: bench/latency.sh [--runs N] [--duration S] [--linger MS] [--mock-nagle]
#        (or: make bench)
# Environment: LATENCY_BENCH (the bench/latency binary), KELPD and
# KELP_MODULE; by default all three are taken from build/.
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
kelp_stop
