#!/bin/sh
# t/integration/crash.sh with kelpd's files on the filer test server, which
# also dies, comes back and misbehaves while kelpd runs and between crashes.
KELP_TEST_STORAGE=filer
export KELP_TEST_STORAGE
exec sh "$(dirname "$0")/../crash.sh"
