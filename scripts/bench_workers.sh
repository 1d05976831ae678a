#!/usr/bin/env bash
# Throughput of 1, 2 and 3 workers sharing one PostgreSQL ledger on this machine (README
# "Scaling out"). Builds release, generates a mixed drop folder with `tallyman-bench` (X12,
# EDIFACT and Shopify CSV; every order unique), measures one worker on its own SQLite ledger as
# the baseline (`tallyman-bench run --move-inputs`, 1 thread), then starts a throw-away
# PostgreSQL server (scripts/postgres.sh) and, for each worker count, a fresh database and a
# hard-linked copy of the drop folder: each worker (its own work directory, 1 thread, `[run]
# max_files`) runs `tallyman run` again and again until the drop folder is empty. It prints the
# wall time, MiB/s and documents accepted (from the ledger: every order must be accepted once).
#
#   scripts/bench_workers.sh                      # 2,000 files, 200 MiB, workers 1 2 3
#   scripts/bench_workers.sh FILES MIB            # another size
#   BENCH_WORKERS="1 2" BENCH_MAX_FILES=50 scripts/bench_workers.sh
#
# Numbers are only worth comparing on an otherwise idle machine; the load average is printed
# before each measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-2000}
mib=${2:-200}
workers=${BENCH_WORKERS:-1 2 3}
max_files=${BENCH_MAX_FILES:-100}

cargo build --release --bin tallyman --example tallyman-bench
bench=target/release/examples/tallyman-bench
tallyman=$PWD/target/release/tallyman

dir=$(mktemp -d /tmp/tallyman-workers.XXXXXX)
chmod 755 "$dir"
cleanup() {
    scripts/postgres.sh stop "$dir/pg" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

echo "== baseline: one worker, SQLite ledger"
"$bench" run --files "$files" --mib "$mib" --threads 1 --dir "$dir/gen" --keep --move-inputs |
    tee "$dir/baseline.txt"
orders=$(awk '/^tallyman-bench run:/ { for (i = 1; i <= NF; i++) if ($i == "orders") print $(i - 1) }' "$dir/baseline.txt" | head -n 1)
base_cfg=$dir/gen/t1/tallyman.toml
bytes=$(find "$dir/gen/drop" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')

mkdir -p "$dir/pg"
eval "$(scripts/postgres.sh start "$dir/pg")"
export PGPASSWORD=$PASSWORD

printf '\n%-8s %10s %10s %12s %10s\n' workers seconds MiB/s accepted runs > "$dir/table.txt"
for n in $workers; do
    run=$dir/w$n
    mkdir -p "$run"
    cp -al "$dir/gen/drop" "$run/drop"
    db=bench_w$n
    psql "$URL" -qc "create database $db"
    url=${URL%/*}/$db
    for w in $(seq 1 "$n"); do
        sed -e "s#^work = \"work\"#work = \"$run/work-$w\"#" \
            -e "s#^erp_inbox = \"erp\"#erp_inbox = \"$run/erp\"#" \
            -e "s#^inbound = \"$dir/gen/t1/drop/#inbound = \"$run/drop/#" \
            -e 's#^keep_inputs = .*#keep_inputs = false#' \
            -e "s#^\\[run\\]\$#[run]\\nmax_files = $max_files#" \
            "$base_cfg" >"$run/w$w.toml"
        printf '\n[ledger]\nurl = "%s"\nworker = "w%s"\n' "$url" "$w" >>"$run/w$w.toml"
    done
    echo "== $n worker(s) on PostgreSQL; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
    start=$(date +%s.%N)
    for w in $(seq 1 "$n"); do
        (
            runs=0
            while [ -n "$(find "$run/drop" -type f -print -quit)" ]; do
                code=0
                "$tallyman" run --config "$run/w$w.toml" --threads 1 -q || code=$?
                [ "$code" -le 1 ] || { echo "worker w$w: exit $code" >&2; exit 1; }
                runs=$((runs + 1))
            done
            echo "$runs" >"$run/runs-$w"
        ) &
    done
    wait
    end=$(date +%s.%N)
    accepted=$(psql "$url" -tAc "select count(*) from documents where route = 'accepted'")
    total_runs=$(cat "$run"/runs-* | awk '{ s += $1 } END { print s }')
    awk -v n="$n" -v s="$start" -v e="$end" -v b="$bytes" -v a="$accepted" -v r="$total_runs" \
        'BEGIN { printf "%-8s %10.1f %10.1f %12s %10s\n", n, e - s, b / 1048576 / (e - s), a, r }' \
        | tee -a "$dir/table.txt"
    if [ -n "$orders" ] && [ "$accepted" != "$orders" ]; then
        echo "bench_workers: $accepted documents accepted, $orders generated" >&2
        exit 1
    fi
done
echo
echo "files $files, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB, $orders orders; max_files $max_files; $(nproc) cores"
grep -E '^ *1 ' "$dir/baseline.txt" | head -n 1 | sed 's/^/baseline (SQLite, tallyman-bench run): /' || true
cat "$dir/table.txt"
