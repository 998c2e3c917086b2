# Sourced after lib.sh by the kafkajs tests: kelp_kafkajs_setup makes
# kafkajs loadable by node, from t/integration/node/node_modules or, in a
# tree without it (a dist tarball, read-only under distcheck), from a
# directory of its own outside the build tree installed from the committed
# lock file and shared by later runs (NODE_PATH).
kelp_kafkajs_setup() {
    kelp_require node nodejs
    nodesrc="$KELP_SRCDIR/t/integration/node"
    [ -f "$nodesrc/node_modules/kafkajs/package.json" ] && return 0
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
}
