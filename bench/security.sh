#!/bin/sh
# Cost of securing the Kafka listener: the same librdkafka producer and
# consumer (bench/throughput) against kelpd over PLAINTEXT, over SSL, and
# over SASL_SSL (SCRAM-SHA-512) with the authorizer checking ACLs on every
# request; librdkafka's mock cluster (PLAINTEXT, no durability) is the
# reference. The listener is switched at run time between runs (PUT
# /v1/config), so every mode runs against the same process, alternating.
#
# usage: bench/security.sh [--runs N] [--messages N]   (or: make bench)
# Environment: THROUGHPUT (the bench/throughput binary), KELPD, KELP_MODULE.
KELP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
runs=5
messages=16000
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    # The other benchmarks' options, shared through BENCH_ARGS.
    --commits | --transactions | --per-txn) shift 2 ;;
    --mock-nagle) shift ;;
    *) echo "usage: $0 [--runs N] [--messages N]" >&2; exit 2 ;;
    esac
done
. "$KELP_SRCDIR/t/integration/lib.sh"
. "$KELP_SRCDIR/bench/lib.sh"
: "${THROUGHPUT:=$KELP_BUILDDIR/bench/throughput}"
[ -x "$THROUGHPUT" ] || kelp_fail "$THROUGHPUT is not built (make bench builds it)"
kelp_require openssl openssl
kelp_require curl curl
kelp_python_require kafka python3-kafka

tls=$KELP_WORK/tls
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Kelp Bench CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null || kelp_fail "openssl: CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=kelp-bench" -keyout "$tls/server.key" \
    -out "$tls/server.csr" 2>/dev/null || kelp_fail "openssl: request"
printf 'subjectAltName=IP:127.0.0.1\n' >"$tls/server.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
    -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null || kelp_fail "openssl: sign"

sec_common="\"ssl_certificate\": \"$tls/server.pem\", \"ssl_key\": \"$tls/server.key\",
            \"sasl_mechanisms\": [\"SCRAM-SHA-512\"], \"super_users\": [\"admin\"],
            \"users\": {\"admin\": \"admin-secret\", \"bench\": \"bench-secret\"}"
printf '{"security": {"listener": "SASL_SSL", "authorizer": true, %s}}\n' "$sec_common" >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"
kelp_start

# What user "bench" may do: its topics, its consumer's group, creating topics.
"$KELP_PYTHON" - "$KELP_BOOTSTRAP" "$tls/ca.pem" <<'PY' || kelp_fail "cannot create the ACLs"
import sys
import kafka.admin as ka
bootstrap, ca = sys.argv[1:3]
admin = ka.KafkaAdminClient(bootstrap_servers=bootstrap, security_protocol="SASL_SSL", ssl_cafile=ca,
                            sasl_mechanism="SCRAM-SHA-512", sasl_plain_username="admin",
                            sasl_plain_password="admin-secret", api_version=(2, 5, 0))
def acl(rtype, name, pattern=ka.ACLResourcePatternType.LITERAL, op=ka.ACLOperation.ALL):
    return ka.ACL(principal="User:bench", host="*", operation=op, permission_type=ka.ACLPermissionType.ALLOW,
                  resource_pattern=ka.ResourcePattern(rtype, name, pattern))
res = admin.create_acls([acl(ka.ResourceType.TOPIC, "bench-", ka.ACLResourcePatternType.PREFIXED),
                         acl(ka.ResourceType.GROUP, "kelp-bench-assign-only"),
                         acl(ka.ResourceType.CLUSTER, "kafka-cluster", op=ka.ACLOperation.CREATE)])
sys.exit(1 if res["failed"] else 0)
PY

# mode NAME: switches the listener; prints the client's --set options.
mode() {
    case $1 in
    plain) cfg='{"security": {"listener": "PLAINTEXT", "authorizer": false}}'; set_args= ;;
    ssl) cfg='{"security": {"listener": "SSL", "authorizer": false}}'
        set_args="--set security.protocol=ssl --set ssl.ca.location=$tls/ca.pem" ;;
    sasl_ssl_acl) cfg='{"security": {"listener": "SASL_SSL", "authorizer": true}}'
        set_args="--set security.protocol=sasl_ssl --set ssl.ca.location=$tls/ca.pem
            --set sasl.mechanisms=SCRAM-SHA-512 --set sasl.username=bench --set sasl.password=bench-secret" ;;
    esac
    curl -sSf -o /dev/null -X PUT --data "$cfg" "http://$KELP_ADMIN/v1/config" || kelp_fail "cannot switch to $1"
}

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
    for m in plain ssl sasl_ssl_acl; do
        mode $m
        # shellcheck disable=SC2086
        bench_one $m --bootstrap "$KELP_BOOTSTRAP" --topic "bench-$m-$run" $set_args
    done
    run=$((run + 1))
done

echo
echo "medians of $runs runs (msgs/s; ratios against kelp over PLAINTEXT and against the mock):"
for phase in produce consume; do
    mock=$(median mock ${phase}_msgs_per_s)
    plain=$(median plain ${phase}_msgs_per_s)
    ssl=$(median ssl ${phase}_msgs_per_s)
    sasl=$(median sasl_ssl_acl ${phase}_msgs_per_s)
    awk -v p="$phase" -v m="$mock" -v a="$plain" -v s="$ssl" -v x="$sasl" 'BEGIN {
        printf "%-8s mock %8.0f | plain %8.0f (%.2f of mock) | SSL %8.0f (%.2f of plain, %.2f of mock) | SASL_SSL+ACLs %8.0f (%.2f of plain, %.2f of mock)\n",
               p, m, a, a / m, s, s / a, s / m, x, x / a, x / m
    }'
done
kelp_stop
