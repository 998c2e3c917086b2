#!/bin/bash
# The test command: install the dependencies, build in build/ with warnings
# as errors and run `make check`, then build in build-asan/ with
# AddressSanitizer and UndefinedBehaviorSanitizer and run `make check`
# again, then once more in build-valgrind/ with every test program and
# every kelpd under valgrind's memcheck, then build the libFuzzer targets in build-fuzz/ (clang) and fuzz
# each for a bounded time over its corpus (fuzz/corpus/<target>): a crash is
# a failed test, a clean run a passed one. Ends with one line "N passed, N
# failed" counting the tests of all four stages (a build that fails counts
# as one failed test); exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

passed=0
failed=0

# The count of one automake test-suite.log summary field, 0 if absent.
summary_field() {
    sed -n "s/^# $2: *\([0-9][0-9]*\)\$/\1/p" "$1" | head -n 1 | grep . || echo 0
}

# build_stage NAME DIR CONFIGURE-OPTION...: configures and builds DIR; a
# failure counts as one failed test (and returns 1).
build_stage() {
    local name=$1 dir=$2
    shift 2
    echo "=== $name: configure $* ($dir/)"
    mkdir -p "$root/$dir"
    if ! (cd "$root/$dir" && "$root/configure" "$@"); then
        echo "=== $name: configure failed"
        failed=$((failed + 1))
        return 1
    fi
    echo "=== $name: make"
    if ! make -C "$root/$dir" -j2; then
        echo "=== $name: build failed"
        failed=$((failed + 1))
        return 1
    fi
}

# run_suite NAME DIR CONFIGURE-OPTION...; check_args are added to make check.
check_args=()
run_suite() {
    local name=$1 dir=$2
    rm -f "$root/$dir/test-suite.log"
    build_stage "$@" || return
    echo "=== $name: make check"
    make -C "$root/$dir" -j2 check "${check_args[@]}"
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
unset ASAN_OPTIONS

# Memcheck finds what the sanitizers do not instrument: reads of
# uninitialised memory, and errors inside the libraries kelp calls. A
# definite leak is an error too. Clients' timeouts stay as they are;
# kelpd's start and stop waits are stretched.
export KELP_VALGRIND="-q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite \
--show-leak-kinds=definite --num-callers=40 --suppressions=$root/t/valgrind.supp"
export KELP_WRAPPER="valgrind $KELP_VALGRIND" KELP_TIME_FACTOR=4
check_args=(LOG_COMPILER="$root/scripts/valgrind-test.sh")
run_suite "valgrind" build-valgrind --enable-werror
check_args=()
unset KELP_VALGRIND KELP_WRAPPER KELP_TIME_FACTOR

# Each fuzz target runs FUZZ_RUNS inputs from a fixed seed, so a CI run
# repeats what was run before it landed, and at most FUZZ_SECONDS (five
# targets; the whole stage stays under three minutes). FUZZ_SEED=0 draws a
# new seed for open-ended fuzzing.
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
FUZZ_RUNS=${FUZZ_RUNS:-300000}
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_TARGETS="request records config admin schema"

# run_fuzz DIR: builds the targets with --enable-fuzzing CC=clang, then runs
# each on a scratch copy of its corpus (new inputs stay out of the tree);
# a crash's input is kept in DIR/crashes/<target>/.
run_fuzz() {
    local dir=$1
    build_stage fuzz "$dir" --enable-fuzzing CC=clang || return
    local t pass=0 bad=0
    for t in $FUZZ_TARGETS; do
        local work="$root/$dir/fuzz-work/$t" crashes="$root/$dir/crashes/$t"
        rm -rf "$work"
        mkdir -p "$work" "$crashes"
        cp "$root/fuzz/corpus/$t"/* "$work"/
        local seeds=("$work")
        [ -d "$root/fuzz/crashes/$t" ] && seeds+=("$root/fuzz/crashes/$t")
        echo "=== fuzz: $t, $FUZZ_RUNS inputs from seed $FUZZ_SEED, at most ${FUZZ_SECONDS}s"
        if (cd "$root/$dir" && ASAN_OPTIONS=detect_leaks=1 \
                "./fuzz/fuzz_$t" -seed="$FUZZ_SEED" -runs="$FUZZ_RUNS" -max_total_time="$FUZZ_SECONDS" \
                -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -artifact_prefix="$crashes/" "${seeds[@]}" \
                >"$root/$dir/fuzz-$t.log" 2>&1); then
            pass=$((pass + 1))
            grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$root/$dir/fuzz-$t.log" | tail -n 3
        else
            bad=$((bad + 1))
            echo "=== fuzz: $t failed; the input is in $crashes/"
            tail -n 60 "$root/$dir/fuzz-$t.log"
        fi
    done
    passed=$((passed + pass))
    failed=$((failed + bad))
    echo "=== fuzz: $pass passed, $bad failed"
}
unset ASAN_OPTIONS UBSAN_OPTIONS
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_fuzz build-fuzz

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
