#!/bin/sh
# t/integration/bad_input_load.sh with kelpd's files on the filer test server.
KELP_TEST_STORAGE=filer
export KELP_TEST_STORAGE
exec sh "$(dirname "$0")/../bad_input_load.sh"
