# Shared by the benchmark scripts: sourced after t/integration/lib.sh.

# bench_record NAME OUTPUT: keeps the RESULT line of one run's OUTPUT in
# $KELP_WORK/NAME (with a leading space, so that " FIELD=" matches whole
# field names only) and shows the rest, each line prefixed with NAME.
bench_record() {
    printf '%s\n' "$2" | sed -n 's/^RESULT / /p' >>"$KELP_WORK/$1"
    printf '%s\n' "$2" | grep -v '^RESULT' | sed "s/^/  $1 /"
}

# median NAME FIELD: the median of FIELD over the runs kept for NAME.
median() {
    sed -n "s/.* $2=\([0-9.]*\).*/\1/p" "$KELP_WORK/$1" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
