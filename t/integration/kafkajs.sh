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
    # A tree without node_modules (a dist tarball): install into the build
    # directory from the committed lock file.
    nodebuild="$KELP_BUILDDIR/t/integration/node"
    if [ ! -f "$nodebuild/node_modules/kafkajs/package.json" ]; then
        kelp_require npm npm
        mkdir -p "$nodebuild" && cp "$nodesrc/package.json" "$nodesrc/package-lock.json" "$nodebuild/" &&
            (cd "$nodebuild" && npm ci --prefer-offline --no-audit --no-fund >/dev/null) ||
            kelp_fail "kafkajs is not installed (run scripts/install-deps.sh, or npm ci in $nodesrc)"
    fi
    export NODE_PATH="$nodebuild/node_modules"
fi
client="$nodesrc/kafkajs_test.js"

kelp_start
kelp_run "kafkajs produce" node "$client" produce "$KELP_BOOTSTRAP" kjs-t "$KELP_WORK/kafkajs.json"
kelp_run "kafkajs verify" node "$client" verify "$KELP_BOOTSTRAP" kjs-t "$KELP_WORK/kafkajs.json"
kelp_restart
kelp_run "kafkajs verify after restart" node "$client" verify "$KELP_BOOTSTRAP" kjs-t "$KELP_WORK/kafkajs.json"
kelp_log PASS
