#!/bin/sh
# Idempotent and transactional producing and read_committed consuming on
# kelpd against librdkafka's mock cluster, with the same librdkafka client
# (bench/transactions): RUNS runs each, alternating, then the medians and
# the kelp/mock ratios of every measure.
#
# usage: bench/transactions.sh [--runs N] [--messages N] [--transactions T]
#                              [--per-txn M] [--mock-nagle]   (or: make bench)
# --mock-nagle keeps Nagle's algorithm on the mock's connections, as
# librdkafka 2.0.2 leaves it (see bench/transactions.c).
# Environment: TRANSACTIONS_BENCH (the bench/transactions binary), KELPD and
# KELP_MODULE.
KELP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
runs=5
messages=16000
transactions=200
per_txn=50
mock=--mock
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --transactions) transactions=$2; shift 2 ;;
    --per-txn) per_txn=$2; shift 2 ;;
    --mock-nagle) mock=--mock-nagle; shift ;;
    --commits) shift 2 ;; # bench/groups.sh's option, shared through BENCH_ARGS
    *) echo "usage: $0 [--runs N] [--messages N] [--transactions T] [--per-txn M] [--mock-nagle]" >&2; exit 2 ;;
    esac
done
. "$KELP_SRCDIR/t/integration/lib.sh"
. "$KELP_SRCDIR/bench/lib.sh"
: "${TRANSACTIONS_BENCH:=$KELP_BUILDDIR/bench/transactions}"
[ -x "$TRANSACTIONS_BENCH" ] || kelp_fail "$TRANSACTIONS_BENCH is not built (make bench builds it)"

printf '{"default_partitions": 4}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"
kelp_start

# bench_one NAME ARGS...: one run; appends its RESULT fields to $KELP_WORK/NAME.
bench_one() {
    name=$1
    shift
    out=$("$TRANSACTIONS_BENCH" "$@" --messages "$messages" --transactions "$transactions" \
        --per-txn "$per_txn") || kelp_fail "$name run failed: $out"
    bench_record "$name" "$out"
}

run=1
while [ $run -le "$runs" ]; do
    echo "run $run of $runs ($messages idempotent messages, $transactions transactions of $per_txn, 1 KiB, 4 partitions)"
    bench_one mock $mock
    bench_one kelp --bootstrap "$KELP_BOOTSTRAP"
    run=$((run + 1))
done

echo
echo "medians of $runs runs (for the *_ms latencies lower is better):"
for field in idem_msgs_per_s idem_mb_per_s txn_per_s txn_msgs_per_s commit_p50_ms commit_p99_ms \
    rc_msgs_per_s rc_mb_per_s; do
    m=$(median mock $field)
    k=$(median kelp $field)
    awk -v f="$field" -v m="$m" -v k="$k" 'BEGIN {
        fmt = f ~ /_ms$/ ? "%10.2f" : f ~ /_mb_|txn_per_s/ ? "%10.1f" : "%10.0f"
        printf "%-16s mock " fmt " | kelp " fmt " | kelp/mock %.2f\n", f, m, k, (m > 0 ? k / m : 0)
    }'
done
kelp_stop
