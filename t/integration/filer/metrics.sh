#!/bin/sh
# t/integration/metrics.sh with kelpd's files on the filer test server.
KELP_TEST_STORAGE=filer
export KELP_TEST_STORAGE
exec sh "$(dirname "$0")/../metrics.sh"
