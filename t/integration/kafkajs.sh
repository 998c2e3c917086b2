#!/bin/sh
# kafkajs: metadata, produce with keys, headers and timestamps (acks=all),
# offsets and offsets by timestamp, before and after a restart; kcat reads
# back what kafkajs produced, byte for byte. kafkajs consumes through
# consumer groups only: t/integration/group_kafkajs.sh covers that.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"
. "$KELP_SRCDIR/t/integration/kafkajs_lib.sh"

kelp_kafkajs_setup
kelp_require kcat kcat
client="$KELP_SRCDIR/t/integration/node/kafkajs_test.js"

kelp_start
kelp_run "kafkajs produce" node "$client" produce "$KELP_BOOTSTRAP" kjs-t "$KELP_WORK/kafkajs.json"
kelp_run "kafkajs verify" node "$client" verify "$KELP_BOOTSTRAP" kjs-t "$KELP_WORK/kafkajs.json"
kelp_restart
kelp_run "kafkajs verify after restart" node "$client" verify "$KELP_BOOTSTRAP" kjs-t "$KELP_WORK/kafkajs.json"
kelp_log PASS
