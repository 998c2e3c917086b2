#!/bin/sh
# A filer that checks JWTs: kelpd with the cluster's token works, one with
# a wrong token does not start; requests share a few kept-open connections
# and every group commit is one write per file, not one per record.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require kcat kcat
kelp_require curl curl
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "this test runs kelpd on a filer"
KELP_TEST_STORAGE=filer
KELP_FILER_ARGS="--jwt s3cr3t-token"
kelp_filer_start

printf '{"storage": {"filer": "%s", "jwt": "wrong-token"}}\n' "$KELP_FILER_URL" >"$KELP_WORK/wrong.json"
"$KELPD" --module "$KELP_MODULE" --config "$KELP_WORK/wrong.json" --listen 127.0.0.1:0 --admin "" \
    --data "$KELP_DATA" >"$KELP_WORK/wrong.out" 2>&1
status=$?
[ $status -eq 2 ] || kelp_fail "kelpd with a wrong token exited with $status, expected 2"
grep -q "does not answer as a SeaweedFS filer: Permission denied" "$KELP_WORK/wrong.out" ||
    kelp_fail "kelpd with a wrong token did not say why: $(cat "$KELP_WORK/wrong.out")"
kelp_log "a wrong token is refused at start"

printf '{"storage": {"jwt": "s3cr3t-token", "max_requests": 4}, "default_partitions": 2}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json"
kelp_start
curl -sf -X POST --data '{"reset": true}' "$KELP_FILER_URL/__stats__" >/dev/null || kelp_fail "reset the counters"
seq 1 20000 | kcat -b "$KELP_BOOTSTRAP" -P -t jwt-topic -X acks=all -X linger.ms=5 || kelp_fail "produce with the token"
got=$(kcat -b "$KELP_BOOTSTRAP" -C -t jwt-topic -e -q -o beginning | wc -l | tr -d ' ')
[ "$got" = 20000 ] || kelp_fail "read $got of 20000 records"
stats=$(curl -sf "$KELP_FILER_URL/__stats__") || kelp_fail "read the counters"
"$KELP_PYTHON" - "$stats" <<'PY' || kelp_fail "the filer saw the wrong traffic"
import json, sys
s = json.loads(sys.argv[1])
conns, reqs = s["connections"], sum(s["requests"].values())
writes = s.get("appends", 0) + s.get("writes", 0)
print("filer: %d connections for %d requests; %d writes for 20000 records" % (conns, reqs, writes))
# Connections are kept open, except the one of each file's first write.
if conns * 4 > reqs:
    sys.exit("connections are not reused")
if writes * 10 > 20000:
    sys.exit("more than one write per 10 records: group commit is not batching")
PY
kelp_log PASS
