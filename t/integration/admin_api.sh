#!/bin/sh
# The admin HTTP API against admin/openapi.json: every route is described,
# and every answer has a described status and matches its schema.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
kelp_python_require jsonschema python3-jsonschema
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "the mock cluster has no admin endpoint"

kelp_start
kelp_run "the admin API as described" \
    "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/admin_api.py" "$KELP_SRCDIR" "$KELP_BOOTSTRAP" "$KELP_ADMIN"
kelp_log PASS
