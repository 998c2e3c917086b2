#!/bin/sh
# Cost of broker-side schema validation on kelpd (bench/schema_validation):
# the same Avro records produced to a topic with
# confluent.value.schema.validation=true and to one without, RUNS runs each,
# alternating, then the medians and the validated/plain ratio.
#
# usage: bench/schema_validation.sh [--runs N] [--messages N]   (or: make bench)
# Environment: SCHEMA_VALIDATION_BENCH (the bench/schema_validation binary),
# KELPD and KELP_MODULE.
KELP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
runs=5
records=100000
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --messages) records=$2; shift 2 ;;
    # The other benchmarks' options, shared through BENCH_ARGS.
    --commits | --transactions | --per-txn) shift 2 ;;
    --mock-nagle) shift ;;
    *) echo "usage: $0 [--runs N] [--messages N]" >&2; exit 2 ;;
    esac
done
. "$KELP_SRCDIR/t/integration/lib.sh"
. "$KELP_SRCDIR/bench/lib.sh"
: "${SCHEMA_VALIDATION_BENCH:=$KELP_BUILDDIR/bench/schema_validation}"
[ -x "$SCHEMA_VALIDATION_BENCH" ] || kelp_fail "$SCHEMA_VALIDATION_BENCH is not built (make bench builds it)"
kelp_require curl curl

printf '{"default_partitions": 4, "schema_registry": "127.0.0.1:0"}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"
kelp_start
[ -n "$KELP_SCHEMA_REGISTRY" ] || kelp_fail "kelpd printed no schema registry address"
[ -n "$KELP_ADMIN" ] || kelp_fail "kelpd printed no admin address"

schema='{"schema": "{\"type\":\"record\",\"name\":\"Bench\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"score\",\"type\":\"double\"}]}"}'

# create_topic NAME [CONFIGS]: 4 partitions through the admin endpoint.
create_topic() {
    curl -sSf -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"name\": \"$1\", \"partitions\": 4, \"configs\": {${2:-}}}" \
        "http://$KELP_ADMIN/v1/topics" || kelp_fail "cannot create topic $1"
}

# register SUBJECT: prints the schema id.
register() {
    answer=$(curl -sSf -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d "$schema" \
        "http://$KELP_SCHEMA_REGISTRY/subjects/$1/versions") || kelp_fail "cannot register $1"
    id=$(echo "$answer" | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')
    [ -n "$id" ] || kelp_fail "no id in the registry's answer: $answer"
    echo "$id"
}

# bench_one NAME TOPIC ID: one run; appends its RESULT fields to $KELP_WORK/NAME.
bench_one() {
    out=$("$SCHEMA_VALIDATION_BENCH" --bootstrap "$KELP_BOOTSTRAP" --topic "$2" --schema-id "$3" \
        --messages "$records") || kelp_fail "$1 run failed: $out"
    bench_record "$1" "$out"
}

run=1
while [ $run -le "$runs" ]; do
    echo "run $run of $runs ($records Avro records, 4 partitions)"
    # Fresh topics every run, so both start from empty logs.
    validated=bench-validated-$run
    plain=bench-plain-$run
    id=$(register "$validated-value") || exit 1
    create_topic "$validated" '"confluent.value.schema.validation": "true"'
    create_topic "$plain"
    # Which topic goes first changes every run, so neither always runs on
    # the other's warm caches or behind its pending flushes.
    if [ $((run % 2)) -eq 1 ]; then
        bench_one validated "$validated" "$id"
        bench_one plain "$plain" "$id"
    else
        bench_one plain "$plain" "$id"
        bench_one validated "$validated" "$id"
    fi
    run=$((run + 1))
done

echo
echo "medians of $runs runs:"
for field in msgs_per_s mb_per_s; do
    v=$(median validated $field)
    p=$(median plain $field)
    awk -v f="$field" -v v="$v" -v p="$p" 'BEGIN {
        fmt = f ~ /^mb_/ ? "%10.2f" : "%10.0f"
        printf "%-11s validated " fmt " | plain " fmt " | validated/plain %.2f\n", f, v, p, (p > 0 ? v / p : 0)
    }'
done
kelp_stop
