#!/bin/sh
# Bad input over raw sockets: malformed frames, unknown APIs and versions,
# invalid topic names, corrupt batches; the server keeps serving and stores nothing.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require "$KELP_PYTHON" python3
kelp_start
kelp_run "bad input" "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/bad_input.py" "$KELP_BOOTSTRAP" "$KELP_DATA"
kelp_log PASS
