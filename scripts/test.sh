#!/bin/bash
# The test command: install the dependencies, build in build/ with warnings
# as errors and run `make check`, then build in build-asan/ with
# AddressSanitizer and UndefinedBehaviorSanitizer and run `make check`
# again. Ends with one line "N passed, N failed" counting the tests of both
# runs (a build that fails counts as one failed test); exits non-zero on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

passed=0
failed=0

# The count of one automake test-suite.log summary field, 0 if absent.
summary_field() {
    sed -n "s/^# $2: *\([0-9][0-9]*\)\$/\1/p" "$1" | head -n 1 | grep . || echo 0
}

# run_suite NAME DIR CONFIGURE-OPTION...
run_suite() {
    local name=$1 dir=$2
    shift 2
    echo "=== $name: configure $* ($dir/)"
    mkdir -p "$root/$dir"
    rm -f "$root/$dir/test-suite.log"
    if ! (cd "$root/$dir" && "$root/configure" "$@"); then
        echo "=== $name: configure failed"
        failed=$((failed + 1))
        return
    fi
    echo "=== $name: make"
    if ! make -C "$root/$dir" -j2; then
        echo "=== $name: build failed"
        failed=$((failed + 1))
        return
    fi
    echo "=== $name: make check"
    make -C "$root/$dir" -j2 check
    local status=$?
    local log="$root/$dir/test-suite.log"
    if [ ! -f "$log" ]; then
        echo "=== $name: make check failed before running the tests"
        failed=$((failed + 1))
        return
    fi
    local pass fail error xpass skip
    pass=$(summary_field "$log" PASS)
    fail=$(summary_field "$log" FAIL)
    error=$(summary_field "$log" ERROR)
    xpass=$(summary_field "$log" XPASS)
    skip=$(summary_field "$log" SKIP)
    # A skipped test did not show that anything works: it counts as failed.
    local bad=$((fail + error + xpass + skip))
    passed=$((passed + pass))
    failed=$((failed + bad))
    if [ $status -ne 0 ] || [ $bad -ne 0 ]; then
        echo "=== $name: test-suite.log"
        cat "$log"
        [ $bad -ne 0 ] || failed=$((failed + 1))
    fi
    echo "=== $name: $pass passed, $bad failed"
}

if ! scripts/install-deps.sh; then
    echo "install-deps.sh failed"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi
if ! autoreconf -fi; then
    echo "autoreconf failed"
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi

run_suite "build" build --enable-werror
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_suite "sanitizers" build-asan --enable-sanitizers

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
