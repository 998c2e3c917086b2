#!/bin/sh
# README's table of Kafka APIs is what kelpd serves: every API and version
# range in ApiVersions, nothing more (scripts/update-api-table.sh rewrites
# the table when the served versions change).
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_start
kelp_run "README's API table matches ApiVersions" "$KELP_PYTHON" "$KELP_SRCDIR/t/integration/api_table.py" \
    check "$KELP_BOOTSTRAP" "$KELP_SRCDIR/README.md"
kelp_log PASS
