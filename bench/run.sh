#!/bin/sh
# Throughput of kelpd against librdkafka's mock cluster, with the same
# librdkafka client (bench/throughput), in three cases:
#   p4   produce (and consume) MESSAGES x 1 KiB over 4 partitions;
#   p64  the same with MESSAGES64 over 64 partitions;
#   1g   BIG_MESSAGES x 1 KiB (1 GiB by default) over BIG_PARTITIONS (256)
#        partitions, for the consume of a large topic from its start.
# Every case runs RUNS times against each server, alternating which goes
# first, then the medians and the kelp/mock ratios are printed. p4 and p64
# also run against a second kelpd whose data is on tmpfs (/dev/shm), where
# fdatasync costs nothing: not a durable server, but what this client and
# machine allow a server that has no disk to wait for.
#
# usage: bench/run.sh [--runs N] [--messages N] [--messages-64 N]
#                     [--big-messages N] [--big-partitions N] [--mock-nagle]
#        (or: make bench)
# --big-messages 0 leaves the 1 GiB case out (it is also left out with
# KELP_TEST_STORAGE=filer). The mock keeps only about 5 MB per partition, so
# keep every case at or below 4 MiB per partition. --mock-nagle keeps
# Nagle's algorithm on the mock's connections, as librdkafka 2.0.2 leaves it
# (see bench/throughput.c).
# Environment: THROUGHPUT (the bench/throughput binary), KELPD and
# KELP_MODULE; by default all three are taken from build/.
KELP_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
runs=3
messages=16000
messages64=64000
big_messages=1048576
big_partitions=256
mock=--mock
usage="usage: $0 [--runs N] [--messages N] [--messages-64 N] [--big-messages N] [--big-partitions N] [--mock-nagle]"
while [ $# -gt 0 ]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --messages-64) messages64=$2; shift 2 ;;
    --big-messages) big_messages=$2; shift 2 ;;
    --big-partitions) big_partitions=$2; shift 2 ;;
    --mock-nagle) mock=--mock-nagle; shift ;;
    # the other benchmarks' options, shared through BENCH_ARGS
    --commits | --transactions | --per-txn) shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
done
. "$KELP_SRCDIR/t/integration/lib.sh"
. "$KELP_SRCDIR/bench/lib.sh"
: "${THROUGHPUT:=$KELP_BUILDDIR/bench/throughput}"
[ -x "$THROUGHPUT" ] || kelp_fail "$THROUGHPUT is not built (make bench builds it)"

cases="p4 p64"
if [ "$big_messages" -gt 0 ] && [ "$KELP_TEST_STORAGE" = local ]; then
    cases="$cases 1g"
elif [ "$big_messages" -gt 0 ]; then
    kelp_log "the 1 GiB case runs only with local storage; left out"
fi

kelp_start

# A second kelpd with its data on tmpfs, for the no-disk reference.
TMPFS_PID=
TMPFS_DATA=
TMPFS_BOOTSTRAP=
tmpfs_start() {
    [ -d /dev/shm ] && [ -w /dev/shm ] || return 0
    TMPFS_DATA=$(mktemp -d /dev/shm/kelp-bench.XXXXXX) || kelp_fail "cannot make a directory in /dev/shm"
    "$KELPD" --module "$KELP_MODULE" --listen 127.0.0.1:0 --admin 127.0.0.1:0 --data "$TMPFS_DATA" \
        >"$KELP_WORK/tmpfs.out" 2>"$KELP_WORK/tmpfs.err" &
    TMPFS_PID=$!
    waited=0
    while [ -z "$TMPFS_BOOTSTRAP" ]; do
        kill -0 "$TMPFS_PID" 2>/dev/null || kelp_fail "the tmpfs kelpd exited: $(tail -n 5 "$KELP_WORK/tmpfs.err")"
        [ $waited -lt 100 ] || kelp_fail "the tmpfs kelpd printed no listening line within 10s"
        sleep 0.1
        waited=$((waited + 1))
        TMPFS_BOOTSTRAP=$(sed -n 's/^kelpd: kafka listening on \([^ ]*\).*$/\1/p' "$KELP_WORK/tmpfs.out" | head -n 1)
    done
    kelp_log "reference kelpd (pid $TMPFS_PID) listening on $TMPFS_BOOTSTRAP, data on tmpfs in $TMPFS_DATA"
}
tmpfs_stop() {
    if [ -n "$TMPFS_PID" ]; then
        kill -TERM "$TMPFS_PID" 2>/dev/null
        wait "$TMPFS_PID" 2>/dev/null
        TMPFS_PID=
    fi
    [ -z "$TMPFS_DATA" ] || rm -rf "$TMPFS_DATA"
    TMPFS_DATA=
}
trap 'status=$?; tmpfs_stop; (exit $status); kelp_on_exit' EXIT
tmpfs_start
[ -n "$TMPFS_PID" ] || kelp_log "no writable /dev/shm: the no-disk reference is left out"

# kelp_fresh: kelpd again on an empty data directory, so that the 1 GiB
# runs keep at most one copy of their data on disk.
kelp_fresh() {
    kelp_stop
    rm -rf "$KELP_DATA"
    mkdir -p "$KELP_DATA"
    kelp_start >/dev/null
}

# case_args CASE: the throughput options of CASE.
case_args() {
    case $1 in
    p4) echo "--partitions 4 --messages $messages" ;;
    p64) echo "--partitions 64 --messages $messages64" ;;
    1g) echo "--partitions $big_partitions --messages $big_messages" ;;
    esac
}

# bench_one SERVER CASE: one run; appends its RESULT line to $KELP_WORK/SERVER-CASE.
bench_one() {
    case $1 in
    mock) target=$mock ;;
    kelp) target="--bootstrap $KELP_BOOTSTRAP --server-pid $KELP_PID" ;;
    tmpfs) target="--bootstrap $TMPFS_BOOTSTRAP --server-pid $TMPFS_PID" ;;
    esac
    # shellcheck disable=SC2046,SC2086
    out=$("$THROUGHPUT" $target $(case_args "$2")) || kelp_fail "$1 $2 run failed: $out"
    bench_record "$1-$2" "$out"
    if [ "$1" = kelp ] && [ "$2" = 1g ]; then
        kelp_fresh
    fi
}

# disk_probe: one sequential write of 512 MiB next to kelpd's data,
# flushed with fdatasync before dd exits, twice: through the page cache, as
# kelpd writes, and with O_DIRECT, which leaves the page cache out. On a
# virtual machine whose host backs guest memory only when it is first
# touched (or again after the guest reported it free), filling new page
# cache pages costs more than the disk: the two rates tell the costs apart.
# Kept as RESULT fields like a benchmark run's.
disk_probe() {
    for mode in cached direct; do
        flags=conv=fdatasync
        [ $mode = direct ] && flags="conv=fdatasync oflag=direct"
        t0=$(date +%s%N)
        # shellcheck disable=SC2086
        dd if=/dev/zero of="$KELP_WORK/disk-probe" bs=1M count=512 $flags status=none ||
            kelp_fail "dd ($mode) into $KELP_WORK failed"
        t1=$(date +%s%N)
        rm -f "$KELP_WORK/disk-probe"
        awk -v m=$mode -v ns=$((t1 - t0)) 'BEGIN { printf " %s_mb_per_s=%.1f\n", m, 512 * 1048576 / 1e6 / (ns / 1e9) }' \
            >>"$KELP_WORK/disk-$mode"
    done
}

run=1
while [ $run -le "$runs" ]; do
    disk_probe
    # Alternate which server goes first, so that neither always runs on a
    # machine the other has just warmed up (or loaded).
    if [ $((run % 2)) -eq 1 ]; then order="mock kelp"; else order="kelp mock"; fi
    for c in $cases; do
        echo "run $run of $runs, case $c ($(case_args "$c"), 1 KiB, acks=all, linger.ms=5)"
        for server in $order; do
            bench_one "$server" "$c"
        done
        if [ -n "$TMPFS_PID" ] && [ "$c" != 1g ]; then
            bench_one tmpfs "$c"
        fi
    done
    run=$((run + 1))
done

echo
echo "medians of $runs runs (msgs/s, MB/s = 10^6 bytes of values; * = the case's target):"
for c in $cases; do
    for phase in produce consume; do
        target=
        case $c-$phase in
        p4-produce | p64-produce) target=" * target >= 1.25" ;;
        1g-consume) target=" * target >= 2" ;;
        esac
        awk -v c="$c" -v p="$phase" -v t="$target" \
            -v mm="$(median "mock-$c" "${phase}_msgs_per_s")" -v km="$(median "kelp-$c" "${phase}_msgs_per_s")" \
            -v mb="$(median "mock-$c" "${phase}_mb_per_s")" -v kb="$(median "kelp-$c" "${phase}_mb_per_s")" 'BEGIN {
            printf "%-4s %-8s mock %9.0f msgs/s %7.1f MB/s | kelp %9.0f msgs/s %7.1f MB/s | kelp/mock %.2f%s\n",
                   c, p, mm, mb, km, kb, (mm > 0 ? km / mm : 0), t
        }'
    done
done
if [ -n "$TMPFS_PID" ]; then
    echo "no-disk reference (kelpd with its data on tmpfs, where fdatasync costs nothing; not durable):"
    for c in $cases; do
        [ "$c" != 1g ] || continue
        for phase in produce consume; do
            awk -v c="$c" -v p="$phase" \
                -v mm="$(median "mock-$c" "${phase}_msgs_per_s")" -v tm="$(median "tmpfs-$c" "${phase}_msgs_per_s")" \
                -v tb="$(median "tmpfs-$c" "${phase}_mb_per_s")" 'BEGIN {
                printf "%-4s %-8s tmpfs %9.0f msgs/s %7.1f MB/s | tmpfs/mock %.2f\n", c, p, tm, tb, (mm > 0 ? tm / mm : 0)
            }'
        done
    done
fi

# What bounds the ratios from outside kelpd: the client's busiest thread
# (a thread near 100% of a core cannot go faster, so rate / share is the
# most this client can reach against any server) and, for produce, the
# durable write rate through the page cache (every acknowledged byte is
# written there and flushed).
echo
echo "bounds (medians; busiest = the client's busiest thread, in % of a core, the mock's own thread left out):"
disk=$(median disk-cached cached_mb_per_s)
direct=$(median disk-direct direct_mb_per_s)
echo "disk   one sequential 512 MiB write with fdatasync (dd) next to kelpd's data: $disk MB/s through the page cache, $direct MB/s with O_DIRECT"
for c in $cases; do
    for phase in produce consume; do
        awk -v c="$c" -v p="$phase" -v disk="$disk" \
            -v mm="$(median "mock-$c" "${phase}_msgs_per_s")" -v km="$(median "kelp-$c" "${phase}_msgs_per_s")" \
            -v mb="$(median "mock-$c" "${phase}_mb_per_s")" \
            -v ms="$(median "mock-$c" "${phase}_busiest_share")" -v ks="$(median "kelp-$c" "${phase}_busiest_share")" 'BEGIN {
            ceiling = ks > ms ? km / ks : mm / ms
            printf "%-4s %-8s busiest mock %3.0f%% kelp %3.0f%% | client ceiling %.2f x the mock", c, p, 100 * ms, 100 * ks,
                   (mm > 0 && ms > 0 && ks > 0 ? ceiling / mm : 0)
            if (p == "produce")
                printf " | 1.25 x the mock needs %.0f MB/s durable; dd through the page cache gave %.0f", 1.25 * mb, disk
            printf "\n"
        }'
    done
done
# The CPU both sides used: a machine whose cores the client and the server
# fill between them cannot go faster however the disk performs, and a
# server that uses less CPU per MB than the mock leaves the client more.
echo "cpu    (medians, in cores over each phase, and the server's CPU per MB of values; kernel writeback and interrupts not counted):"
for c in $cases; do
    for phase in produce consume; do
        awk -v c="$c" -v p="$phase" \
            -v mc="$(median "mock-$c" "${phase}_client_cores")" -v kc="$(median "kelp-$c" "${phase}_client_cores")" \
            -v msv="$(median "mock-$c" "${phase}_server_cores")" -v ksv="$(median "kelp-$c" "${phase}_server_cores")" \
            -v mpm="$(median "mock-$c" "${phase}_server_ms_per_mb")" -v kpm="$(median "kelp-$c" "${phase}_server_ms_per_mb")" 'BEGIN {
            printf "%-4s %-8s mock: client %.2f + server %.2f cores, %.2f ms/MB | kelp: client %.2f + server %.2f cores, %.2f ms/MB\n",
                   c, p, mc, msv, mpm, kc, ksv, kpm
        }'
    done
done
kelp_stop
