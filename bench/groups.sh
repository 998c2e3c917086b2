#!/bin/sh
# Consumer-group costs of kelpd against librdkafka's mock cluster, with the
# same librdkafka client (bench/groups): RUNS runs each, alternating, then
# the medians and the kelp/mock ratios of synchronous commits and of
# committed-offset lookups.
#
# usage: bench/groups.sh [--runs N] [--commits N]     (or: make bench)
# Environment: GROUPS_BENCH (the bench/groups binary), KELPD and KELP_MODULE.
KELP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
runs=5
commits=500
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --commits) commits=$2; shift 2 ;;
    --messages) shift 2 ;; # bench/run.sh's option, shared through BENCH_ARGS
    *) echo "usage: $0 [--runs N] [--commits N]" >&2; exit 2 ;;
    esac
done
. "$KELP_SRCDIR/t/integration/lib.sh"
. "$KELP_SRCDIR/bench/lib.sh"
: "${GROUPS_BENCH:=$KELP_BUILDDIR/bench/groups}"
[ -x "$GROUPS_BENCH" ] || kelp_fail "$GROUPS_BENCH is not built (make bench builds it)"

printf '{"default_partitions": 6}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"
kelp_start

bench_one() {
    name=$1
    shift
    out=$("$GROUPS_BENCH" "$@" --commits "$commits") || kelp_fail "$name run failed: $out"
    bench_record "$name" "$out"
}

run=1
while [ $run -le "$runs" ]; do
    echo "run $run of $runs ($commits synchronous commits of 6 partitions, then $commits lookups)"
    bench_one mock --mock
    bench_one kelp --bootstrap "$KELP_BOOTSTRAP"
    run=$((run + 1))
done

echo
echo "medians of $runs runs:"
for field in commits_per_s fetches_per_s join_ms; do
    m=$(median mock $field)
    k=$(median kelp $field)
    awk -v f="$field" -v m="$m" -v k="$k" 'BEGIN {
        printf "%-14s mock %9.0f | kelp %9.0f | kelp/mock %.2f\n", f, m, k, (m > 0 ? k / m : 0)
    }'
done
kelp_stop
