# Shared part of the group_*.sh tests: sourced after lib.sh. group_scenario
# TOPIC GROUP CONSUMER-TEMPLATE... runs t/integration/group_driver.py with
# that consumer command: 3 members, a leave and a rejoin, every partition
# owned exactly once each time; then a kelpd restart and a resume from the
# committed offsets; then every message consumed exactly once.

kelp_require kcat kcat
kelp_require "$KELP_PYTHON" python3
printf '{"default_partitions": 6, "group_initial_rebalance_delay_ms": 500}\n' >"$KELP_WORK/kelp.json"
export KELP_CONFIG="$KELP_WORK/kelp.json" KELP_MOCK_PARTITIONS=6

group_scenario() {
    topic=$1
    group=$2
    shift 2
    driver="$KELP_SRCDIR/t/integration/group_driver.py"
    export KELP_MOCK_TOPICS="$topic"
    kelp_start
    kelp_run "3 consumers, a leave and a rejoin" "$KELP_PYTHON" "$driver" run "$KELP_BOOTSTRAP" "$topic" "$group" "$KELP_WORK" -- "$@"
    kelp_restart
    kelp_run "resume from committed offsets after a restart" "$KELP_PYTHON" "$driver" resume "$KELP_BOOTSTRAP" "$topic" "$group" "$KELP_WORK" -- "$@"
    kelp_run "every message consumed exactly once" "$KELP_PYTHON" "$driver" verify "$KELP_BOOTSTRAP" "$topic" "$group" "$KELP_WORK" -- "$@"
}
