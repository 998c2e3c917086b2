#!/bin/sh
# librdkafka (C): metadata, keyed and explicit-partition produce with headers
# and acks=all, consume back identical and in order, again after a restart;
# offsets; every compression codec; a message of about 1 MB.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

client="$KELP_BUILDDIR/t/clients/produce_consume"
[ -x "$client" ] || kelp_fail "$client is not built (make check builds it; needs librdkafka-dev)"

kelp_start

# name|options: one topic per case.
cases="plain|--codec none
gzip|--codec gzip
snappy|--codec snappy
lz4|--codec lz4
zstd|--codec zstd
large|--codec none --count 3 --value-size 1000000"

each_case() {
    mode=$1
    echo "$cases" | while IFS='|' read -r name opts; do
        # shellcheck disable=SC2086 # opts is a list of options
        kelp_run "librdkafka $mode: topic rdk-$name ($opts)" \
            "$client" --bootstrap "$KELP_BOOTSTRAP" --topic "rdk-$name" $opts \
            "$mode" "$KELP_WORK/rdk-$name.manifest" || exit 1
    done || exit 1
}

each_case produce
each_case verify
kelp_restart
each_case verify
kelp_log "PASS"
