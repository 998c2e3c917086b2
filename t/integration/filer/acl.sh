#!/bin/sh
# t/integration/acl.sh with kelpd's files (the ACL file too) on the filer test server.
KELP_TEST_STORAGE=filer
export KELP_TEST_STORAGE
exec sh "$(dirname "$0")/../acl.sh"
