#!/bin/sh
# t/integration/admin_auth.sh with kelpd's files on the filer test server.
KELP_TEST_STORAGE=filer
export KELP_TEST_STORAGE
exec sh "$(dirname "$0")/../admin_auth.sh"
