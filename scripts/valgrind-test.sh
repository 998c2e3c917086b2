#!/bin/sh
# The LOG_COMPILER of the valgrind stage. A test program (a unit suite, a
# fuzz replay) runs under memcheck in one process (CK_FORK=no: Check would
# otherwise fork every test away from valgrind's accounting). An
# integration script runs as it is: it starts kelpd under memcheck through
# KELP_WRAPPER, and a memcheck error makes kelpd exit with status 97,
# which fails the test at kelp_stop.
case "$1" in
*.sh | *.py)
    exec "$@"
    ;;
*)
    # shellcheck disable=SC2086
    CK_FORK=no exec valgrind $KELP_VALGRIND "$@"
    ;;
esac
