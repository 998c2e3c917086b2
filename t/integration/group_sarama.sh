#!/bin/sh
# Sarama (Go) consumer group, Kafka version 2.0 protocol: rebalances over
# joins and leaves, commits, resume after a restart
# (t/integration/group_lib.sh). Built offline in GOPATH mode against
# Debian's golang-github-shopify-sarama-dev.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"
. "$KELP_SRCDIR/t/integration/group_lib.sh"

kelp_require go golang-go
sarama_src=/usr/share/gocode/src/github.com/Shopify/sarama
[ -d "$sarama_src" ] ||
    kelp_fail "Sarama is not installed (install the Debian package golang-github-shopify-sarama-dev, or run scripts/install-deps.sh)"
# The compile cache is shared between runs; the source tree may be read-only.
mkdir -p "$KELP_WORK/sarama"
cp "$KELP_SRCDIR/t/integration/sarama/group_sarama.go" "$KELP_WORK/sarama/"
(cd "$KELP_WORK/sarama" &&
    GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= \
        GOCACHE="${TMPDIR:-/tmp}/kelp-gocache" go build -o group_sarama group_sarama.go) ||
    kelp_fail "cannot build the Sarama consumer"

group_scenario grp-sarama grp-sarama-g "$KELP_WORK/sarama/group_sarama" "{bootstrap}" "{topic}" "{group}"
kelp_log PASS
