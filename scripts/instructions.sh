#!/usr/bin/env bash
# Instructions per input byte of `tallyman translate` (canonical JSON to /dev/null, one worker
# thread), counted by valgrind's callgrind: unlike wall clock, the count is the same run to run
# and whatever else the machine is doing, so two builds can be compared on a busy machine.
#
#   scripts/instructions.sh            # 4 MiB of generated X12 850s and of EDIFACT ORDERS
#   INSTR_MIB=16 scripts/instructions.sh
#   INSTR_FORMATS="x12 edifact shopify" scripts/instructions.sh
#
# Needs valgrind (Debian: apt-get install valgrind). Prints one line per format:
#   FORMAT  BYTES  INSTRUCTIONS  INSTRUCTIONS/BYTE
# and keeps each callgrind profile for callgrind_annotate in the folder it names at the end.
#
# Builds the `profiling` profile (release code with line tables; the release build that
# `cargo install` ships has no debug info), into target/profiling/ or $CARGO_TARGET_DIR/profiling/,
# so callgrind_annotate can name files and lines as well as functions.
set -euo pipefail
cd "$(dirname "$0")/.."

mib=${INSTR_MIB:-4}
formats=${INSTR_FORMATS:-x12 edifact}
if ! command -v valgrind >/dev/null; then
    echo "valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi
cargo build --profile profiling --locked --quiet --bin tallyman --example tallyman-bench
bin=${CARGO_TARGET_DIR:-target}/profiling
dir=$(mktemp -d "${TMPDIR:-/tmp}/tallyman-instructions.XXXXXX")
printf '%-8s %12s %16s %10s\n' format bytes instructions per-byte
for format in $formats; do
    input="$dir/$format.in"
    "$bin/examples/tallyman-bench" generate "$input" --mib "$mib" --format "$format" >/dev/null 2>&1
    bytes=$(stat -c %s "$input")
    out="$dir/callgrind.$format.out"
    # Exit 1 only says that some document was rejected; the generators write none.
    RAYON_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$bin/tallyman" translate "$input" >/dev/null 2>"$dir/$format.log" || {
        echo "tallyman translate failed on $format: see $dir/$format.log" >&2
        exit 1
    }
    total=$(awk '/^summary:/ { print $2 }' "$out")
    per=$(awk -v t="$total" -v b="$bytes" 'BEGIN { printf "%.1f", t / b }')
    printf '%-8s %12s %16s %10s\n' "$format" "$bytes" "$total" "$per"
done
echo "profiles: $dir (callgrind_annotate $dir/callgrind.x12.out)"
