#!/bin/sh
# Client compatibility matrix: the same scenario with every client
# (t/integration/matrix/<client>.*): metadata; create a topic through the
# client's admin API; keyed records with headers once per compression codec;
# read back with assign; a consumer group with commits (offsets checked
# through kelpd's admin API too); offsets by timestamp; a kelpd restart
# between produce batches. Then every client reads every producer's topic,
# and each dump (partition, offset, key, value, headers, timestamp) must be
# what the producer sent and the same from every consumer.
#
# Each step of each client is ok, fail or unsupported; harness.py knows what
# each client lacks, so any other outcome fails the test. The table goes to
# $KELP_BUILDDIR/matrix.md, with the request versions each client sent as a
# recording proxy in front of kelpd saw them, and must equal README.md's
# section between the matrix markers (scripts/update-matrix.sh copies it).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"
. "$KELP_SRCDIR/t/integration/kafkajs_lib.sh"

mx="$KELP_SRCDIR/t/integration/matrix"
harness="$mx/harness.py"
W="$KELP_WORK/mx"
mkdir -p "$W"

kelp_require kcat kcat
kelp_require curl curl
kelp_python_require kafka python3-kafka
kelp_python_require confluent_kafka python3-confluent-kafka
kelp_python_require snappy python3-snappy
kelp_python_require lz4 python3-lz4
kelp_python_require zstandard python3-zstandard
kelp_kafkajs_setup
[ -f "$KELP_SRCDIR/t/integration/node/node_modules/kafkajs/package.json" ] &&
    NODE_PATH="$KELP_SRCDIR/t/integration/node/node_modules${NODE_PATH:+:$NODE_PATH}"
export NODE_PATH
node -e 'require("node-rdkafka")' 2>/dev/null ||
    kelp_fail "node-rdkafka is not installed (run scripts/install-deps.sh)"
rdk="$KELP_BUILDDIR/t/integration/matrix/librdkafka"
[ -x "$rdk" ] || kelp_fail "$rdk is not built (make check builds it; needs librdkafka-dev)"

# The Go drivers, built offline in GOPATH mode against Debian's packages.
kelp_require go golang-go
for pkg in Shopify/sarama confluentinc/confluent-kafka-go; do
    [ -d "/usr/share/gocode/src/github.com/$pkg" ] ||
        kelp_fail "github.com/$pkg is not installed (run scripts/install-deps.sh)"
done
for prog in sarama confluent_kafka_go; do
    mkdir -p "$W/$prog"
    cp "$mx/$prog/main.go" "$W/$prog/"
    (cd "$W/$prog" && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS='' \
        GOCACHE="${TMPDIR:-/tmp}/kelp-gocache" go build -o "$prog" main.go) >"$W/$prog.build" 2>&1 ||
        kelp_fail "cannot build the $prog driver: $(tail -n 20 "$W/$prog.build")"
done

clients=$("$KELP_PYTHON" "$harness" clients) || kelp_fail "cannot list the clients"

# mx_driver CLIENT COMMAND ARGS...: one driver command; its step lines are
# kept in $W/CLIENT.steps. A driver that dies leaves its steps unreported,
# which fails them.
mx_driver() {
    c=$1
    shift
    case $c in
    librdkafka) set -- "$rdk" "$@" ;;
    kcat | kafka_python) set -- "$KELP_PYTHON" "$mx/$c.py" "$@" ;;
    confluent_kafka) set -- "$KELP_PYTHON" "$mx/confluent_kafka_python.py" "$@" ;; # not to shadow the package
    sarama_2_0) set -- "$W/sarama/sarama" -version 2.0.0 "$@" ;;
    sarama_2_2) set -- "$W/sarama/sarama" -version newest "$@" ;;
    confluent_kafka_go) set -- "$W/confluent_kafka_go/confluent_kafka_go" "$@" ;;
    kafkajs | node_rdkafka) set -- node "$mx/$c.js" "$@" ;;
    esac
    before=$(grep -c '^step' "$W/$c.steps" 2>/dev/null)
    before=${before:-0}
    printf '%s: %s %s\n' "$KELP_TEST_NAME" "$c" "$*" >>"$W/$c.err"
    timeout -k 5 $((90 * KELP_TIME_FACTOR)) "$@" >>"$W/$c.steps" 2>>"$W/$c.err" ||
        printf '%s: %s exited with status %s\n' "$KELP_TEST_NAME" "$c" $? >>"$W/$c.err"
    grep '^step' "$W/$c.steps" | tail -n +"$((before + 1))" | sed "s/^/$KELP_TEST_NAME: $c: /" | cut -c1-240
}

# kelpd advertises 127.0.0.2 and a proxy listens there on kelpd's port, so
# every connection (bootstrap and after Metadata) passes through it.
printf '{"advertised_host": "127.0.0.2", "group_initial_rebalance_delay_ms": 0}\n' >"$W/kelp.json"
export KELP_CONFIG="$W/kelp.json"
PROXY_PID=
mx_proxy() {
    [ -z "$PROXY_PID" ] || { kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; }
    port=${KELP_BOOTSTRAP##*:}
    "$KELP_PYTHON" "$harness" proxy "127.0.0.2:$port" "$KELP_BOOTSTRAP" "$W/versions.log" >"$W/proxy.out" 2>&1 &
    PROXY_PID=$!
    i=0
    until grep -q 'proxy listening' "$W/proxy.out"; do
        if [ $i -ge 100 ] || ! kill -0 "$PROXY_PID" 2>/dev/null; then
            kelp_fail "the proxy did not start: $(cat "$W/proxy.out")"
        fi
        sleep 0.1
        i=$((i + 1))
    done
    B="127.0.0.2:$port"
}
mx_on_exit() {
    status=$?
    [ -z "$PROXY_PID" ] || kill "$PROXY_PID" 2>/dev/null
    if [ $status -ne 0 ]; then
        for f in "$W"/*.err; do
            [ -s "$f" ] && { echo "--- last lines of $f ---" >&2; tail -n 15 "$f" >&2; }
        done
    fi
    (exit $status)
    kelp_on_exit
}
trap mx_on_exit EXIT

for c in $clients; do
    "$KELP_PYTHON" "$harness" spec "$c" "$W/$c.spec" || kelp_fail "cannot write the spec of $c"
done

kelp_start
mx_proxy
kelp_log "metadata and topic creation"
for c in $clients; do
    mx_driver "$c" setup "$B" "mx-$c" 2
    if grep -q '^step create unsupported' "$W/$c.steps"; then
        curl -sf -X POST --data "{\"name\": \"mx-$c\", \"partitions\": 2}" "http://$KELP_ADMIN/v1/topics" >/dev/null ||
            kelp_fail "kelpd's admin API did not create mx-$c"
    fi
done
kelp_log "produce none, gzip"
for c in $clients; do
    mx_driver "$c" produce "$B" "mx-$c" "$W/$c.spec" 0 1
done
kelp_restart
mx_proxy
kelp_log "after the restart: produce snappy, lz4, zstd"
for c in $clients; do
    mx_driver "$c" produce "$B" "mx-$c" "$W/$c.spec" 2 3 4
done
topics=$("$KELP_PYTHON" "$harness" topics "$W") || kelp_fail "cannot list the topics"
kelp_log "every client reads every topic: $topics"
for c in $clients; do
    # shellcheck disable=SC2086 # one argument per topic
    mx_driver "$c" consume "$B" "$W/$c.consume.dump" $topics
done
kelp_log "consumer groups with commits"
for c in $clients; do
    own=$(echo "$topics" | tr ' ' '\n' | grep "^mx-$c=")
    mx_driver "$c" group "$B" "mx-$c-g" "$W/$c.group.dump" "$own"
    curl -sf "http://$KELP_ADMIN/v1/groups/mx-$c-g" >"$W/$c.group.json" || echo '{}' >"$W/$c.group.json"
done
kelp_log "offsets by timestamp"
for c in $clients; do
    # shellcheck disable=SC2046 # TOPIC PARTITION TS END
    mx_driver "$c" seek "$B" $("$KELP_PYTHON" "$harness" seekargs "$W" "$c") "$W/$c.seek.dump"
done

"$KELP_PYTHON" "$harness" check "$W" "$KELP_BUILDDIR/matrix.md"
verdict=$?
cat "$KELP_BUILDDIR/matrix.md"
[ $verdict -eq 0 ] || kelp_fail "the matrix differs from what each client is expected to support"
"$KELP_PYTHON" "$harness" readme "$KELP_SRCDIR/README.md" "$KELP_BUILDDIR/matrix.md" ||
    kelp_fail "README.md's matrix is not this run's (scripts/update-matrix.sh $KELP_BUILDDIR/matrix.md copies it)"
kelp_log PASS
