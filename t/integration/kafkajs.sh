#!/bin/sh
# kafkajs: metadata, produce with keys, headers and timestamps (acks=all),
# offsets and offsets by timestamp, before and after a restart. kafkajs
# can only consume through consumer groups (not served yet), so kcat reads
# back what kafkajs produced.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require node nodejs
kelp_require kcat kcat
nodesrc="$KELP_SRCDIR/t/integration/node"
if [ ! -f "$nodesrc/node_modules/kafkajs/package.json" ]; then
    # A tree without node_modules (a dist tarball, read-only under
    # distcheck): install from the committed lock file into a directory of
    # its own outside the build tree, shared by later runs.
    lock_sum=$(cksum <"$nodesrc/package-lock.json" | cut -d' ' -f1)
    nodecache="${TMPDIR:-/tmp}/kelp-kafkajs-$lock_sum"
    if [ ! -f "$nodecache/node_modules/kafkajs/package.json" ]; then
        kelp_require npm npm
        staging="$KELP_WORK/node"
        mkdir -p "$staging" && cp "$nodesrc/package.json" "$nodesrc/package-lock.json" "$staging/" &&
            (cd "$staging" && npm ci --prefer-offline --no-audit --no-fund >/dev/null) &&
            { mv "$staging" "$nodecache" 2>/dev/null || [ -d "$nodecache/node_modules/kafkajs" ]; } ||
            kelp_fail "kafkajs is not installed (run scripts/install-deps.sh, or npm ci in $nodesrc)"
    fi
    export NODE_PATH="$nodecache/node_modules"
fi
client="$nodesrc/kafkajs_test.js"

kelp_start
kelp_run "kafkajs produce" node "$client" produce "$KELP_BOOTSTRAP" kjs-t "$KELP_WORK/kafkajs.json"
kelp_run "kafkajs verify" node "$client" verify "$KELP_BOOTSTRAP" kjs-t "$KELP_WORK/kafkajs.json"
kelp_restart
kelp_run "kafkajs verify after restart" node "$client" verify "$KELP_BOOTSTRAP" kjs-t "$KELP_WORK/kafkajs.json"
kelp_log PASS
