#!/bin/sh
# Self-test of the filer-compatible test server (t/filer/fake_filer.py) that
# the filer-storage tests run kelpd against.
: "${KELP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
export PYTHONDONTWRITEBYTECODE=1 # the source tree may be read-only (distcheck)
exec /usr/bin/python3 "$KELP_SRCDIR/t/filer/test_fake_filer.py"
