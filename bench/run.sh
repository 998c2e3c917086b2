#!/bin/sh
# Throughput of kelpd against librdkafka's mock cluster, with the same
# librdkafka client (bench/throughput): RUNS runs each, alternating, then the
# medians and the kelp/mock ratios for produce and consume.
#
# usage: bench/run.sh [--runs N] [--messages N]     (or: make bench)
# Environment: THROUGHPUT (the bench/throughput binary), KELPD and
# KELP_MODULE; by default all three are taken from build/.
KELP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
runs=5
messages=16000
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--messages N]" >&2; exit 2 ;;
    esac
done
. "$KELP_SRCDIR/t/integration/lib.sh"
. "$KELP_SRCDIR/bench/lib.sh"
: "${THROUGHPUT:=$KELP_BUILDDIR/bench/throughput}"
[ -x "$THROUGHPUT" ] || kelp_fail "$THROUGHPUT is not built (make bench builds it)"

kelp_start

# bench_one NAME ARGS...: one run; appends its RESULT line to $KELP_WORK/NAME.
bench_one() {
    name=$1
    shift
    out=$("$THROUGHPUT" "$@" --messages "$messages") || kelp_fail "$name run failed: $out"
    bench_record "$name" "$out"
}

run=1
while [ $run -le "$runs" ]; do
    echo "run $run of $runs ($messages x 1 KiB, acks=all, linger.ms=5, 4 partitions)"
    bench_one mock --mock
    bench_one kelp --bootstrap "$KELP_BOOTSTRAP"
    run=$((run + 1))
done

echo
echo "medians of $runs runs:"
for phase in produce consume; do
    mock_msgs=$(median mock ${phase}_msgs_per_s)
    kelp_msgs=$(median kelp ${phase}_msgs_per_s)
    mock_mb=$(median mock ${phase}_mb_per_s)
    kelp_mb=$(median kelp ${phase}_mb_per_s)
    awk -v p="$phase" -v mm="$mock_msgs" -v km="$kelp_msgs" -v mb="$mock_mb" -v kb="$kelp_mb" 'BEGIN {
        printf "%-8s mock %9.0f msgs/s %7.1f MB/s | kelp %9.0f msgs/s %7.1f MB/s | kelp/mock %.2f\n",
               p, mm, mb, km, kb, (mm > 0 ? km / mm : 0)
    }'
done
kelp_stop
