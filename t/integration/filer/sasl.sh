#!/bin/sh
# t/integration/sasl.sh with kelpd's files (the user credentials too) on the filer test server.
KELP_TEST_STORAGE=filer
export KELP_TEST_STORAGE
exec sh "$(dirname "$0")/../sasl.sh"
