#!/usr/bin/env bash
# tallyman's throughput numbers in one command: builds release, then for X12 850, EDIFACT ORDERS
# and the Shopify CSV export, at 1 MiB and 100 MiB (and 1 GiB with BENCH_BIG=1), runs the phases
# of `tallyman-bench all` (tokenize and scan for X12 and EDIFACT, one thread; translate and
# translate+json with each thread count) and a whole `tallyman run` over a drop folder of that
# format alone (`tallyman-bench run --format`, 10 files per MiB); then the whole run over the
# mixed drop folder (X12, EDIFACT and CSV files) with 1 and 2 threads, and prints a compact
# table at the end.
#
#   scripts/bench.sh                  # per format at 1 and 100 MiB; mixed run: 10,000 files, 1 GiB
#   BENCH_QUICK=1 scripts/bench.sh    # mixed run: 1,000 files, 100 MiB
#   BENCH_BIG=1 scripts/bench.sh      # per format at 1 GiB too
#   BENCH_ONE_FILE=1 scripts/bench.sh # and per format, one file of the mixed run's size (1 GiB)
#   BENCH_DIR=/srv/scratch scripts/bench.sh   # where generated data goes (default: a new
#                                     # folder under /tmp, removed at the end; it needs about
#                                     # twice the run's size free)
#   BENCH_THREADS=1,2,4 scripts/bench.sh      # thread counts (default 1,2)
#
# The mixed run and the one-file runs fail (after their table) when a run's peak RSS exceeds the
# design's bound of 100 MiB (`tallyman-bench run --max-rss 100`); the script goes on, then exits 1.
#
# Numbers are only worth comparing on an otherwise idle machine: the run benchmark prints the
# load average before and after each measurement and the CPU time other processes used while
# it ran. Details of every measurement (phases of the run, CPU per phase) are in the full log,
# whose path is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

files=10000
mib=1024
if [[ "${BENCH_QUICK:-}" == 1 ]]; then
    files=1000
    mib=100
fi
sizes=(1 100)
if [[ "${BENCH_BIG:-}" == 1 ]]; then
    sizes+=(1024)
fi
threads=${BENCH_THREADS:-1,2}

cargo build --release --bin tallyman --example tallyman-bench

if [[ -n "${BENCH_DIR:-}" ]]; then
    dir=$BENCH_DIR
    mkdir -p "$dir"
    own_dir=0
else
    dir=$(mktemp -d /tmp/tallyman-bench.XXXXXX)
    own_dir=1
fi
log=$(mktemp /tmp/tallyman-bench-log.XXXXXX)
table=$(mktemp /tmp/tallyman-bench-table.XXXXXX)
cleanup() {
    rm -f "$table"
    if [[ $own_dir == 1 ]]; then
        rm -rf "$dir"
    else
        rm -rf "$dir/run"
    fi
}
trap cleanup EXIT

bench=target/release/examples/tallyman-bench
echo "tallyman bench: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)'), $(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$log"

# The table lines of a `tallyman-bench run` (its summary at the end), labelled with $1.
run_rows() {
    awk -v f="$1" '/^threads  *files/ { t = 1; next }
         t && $1 ~ /^[0-9]+$/ {
             printf "%-8s %-15s %2s thr %6.0f MiB %10.1f MiB/s  peak RSS %7.0f MiB  %s files, %s s, %s accepted\n", f, "whole run", $1, $3, $5, $6, $2, $4, $8
         }
         /^scaling/ { printf "%-8s %s\n", f, $0 }'
}

for format in x12 edifact shopify; do
    for size in "${sizes[@]}"; do
        echo "== $format, $size MiB" | tee -a "$log"
        "$bench" all --mib "$size" --format "$format" --dir "$dir" --threads "$threads" | tee -a "$log" |
            awk -v f="$format" -v m="$size" '$3 == "thr" && $5 == "MiB" && $9 == "MiB/s" {
                printf "%-8s %-15s %2s thr %6s MiB %10.1f MiB/s  peak RSS %7.1f MiB\n", f, $1, $2, m, $8, $12
            }' >>"$table"
        echo "== run: $format alone, $((size * 10)) files, $size MiB, threads $threads" | tee -a "$log"
        "$bench" run --format "$format" --files $((size * 10)) --mib "$size" --threads "$threads" \
            --dir "$dir/run-$format" | tee -a "$log" | run_rows "$format" >>"$table"
    done
    rm -rf "$dir/run-$format"
done

status=0
echo "== run: mixed, $files files, $mib MiB, threads $threads" | tee -a "$log"
"$bench" run --files "$files" --mib "$mib" --threads "$threads" --dir "$dir/run" --max-rss 100 |
    tee -a "$log" | run_rows mixed >>"$table" || status=1
rm -rf "$dir/run"

if [[ "${BENCH_ONE_FILE:-}" == 1 ]]; then
    for format in x12 edifact shopify; do
        echo "== run: one $format file, $mib MiB, threads $threads" | tee -a "$log"
        "$bench" run --format "$format" --files 1 --mib "$mib" --threads "$threads" \
            --dir "$dir/one-$format" --max-rss 100 | tee -a "$log" |
            run_rows "1-$format" >>"$table" || status=1
        rm -rf "$dir/one-$format"
    done
fi

echo
echo "summary (full log: $log)"
cat "$table"
if [[ $status != 0 ]]; then
    echo "a run's peak RSS was over 100 MiB (or it failed): see $log" >&2
fi
exit $status
