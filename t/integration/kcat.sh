#!/bin/sh
# kcat: metadata (-L -J), produce keyed and explicit-partition messages with
# headers (-P -K: -H), read them back (-C -e -J) before and after a restart,
# earliest/latest offsets and offsets by timestamp (-Q).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require kcat kcat
kelp_require "$KELP_PYTHON" python3
client="$KELP_SRCDIR/t/integration/kcat_client.py"
stamper="$KELP_BUILDDIR/t/clients/produce_consume"
[ -x "$stamper" ] || kelp_fail "$stamper is not built (make check builds it)"

kelp_start
kelp_run "kcat produce" "$KELP_PYTHON" "$client" produce "$KELP_BOOTSTRAP" kcat-t "$KELP_WORK/kcat.json"
kelp_run "explicit timestamps (librdkafka)" "$stamper" --bootstrap "$KELP_BOOTSTRAP" --topic kcat-ts produce "$KELP_WORK/ts.manifest"
kelp_run "kcat verify" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" kcat-t "$KELP_WORK/kcat.json"
kelp_run "kcat -Q by timestamp" "$KELP_PYTHON" "$client" timestamps "$KELP_BOOTSTRAP" kcat-ts "$KELP_WORK/ts.manifest"
kelp_restart
kelp_run "kcat verify after restart" "$KELP_PYTHON" "$client" verify "$KELP_BOOTSTRAP" kcat-t "$KELP_WORK/kcat.json"
kelp_run "kcat -Q by timestamp after restart" "$KELP_PYTHON" "$client" timestamps "$KELP_BOOTSTRAP" kcat-ts "$KELP_WORK/ts.manifest"
kelp_log PASS
