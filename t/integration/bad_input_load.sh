#!/bin/sh
# Hostile clients over raw sockets: broken frames, lying lengths and counts,
# bad versions, names, CRCs and sizes, unknown tagged fields, slow and idle
# clients, connection floods. Low limits make every one of them reachable.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require "$KELP_PYTHON" python3
KELP_CONFIG="$KELP_WORK/limits.json"
cat >"$KELP_CONFIG" <<'JSON'
{"max_connections": 20, "connections_max_idle_ms": 1500, "max_request_bytes": 1048576,
 "message_max_bytes": 65536}
JSON
export KELP_CONFIG
kelp_start
kelp_run "bad input under load" "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/bad_input_load.py" \
    "$KELP_BOOTSTRAP" "$KELP_DATA" "$KELP_PID"
kelp_stop
kelp_log PASS
