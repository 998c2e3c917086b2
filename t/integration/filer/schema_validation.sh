#!/bin/sh
# t/integration/schema_validation.sh with kelpd's files on the filer test server.
KELP_TEST_STORAGE=filer
export KELP_TEST_STORAGE
exec sh "$(dirname "$0")/../schema_validation.sh"
