#!/usr/bin/env bash
# CI smoke run of every cargo-fuzz target: builds them once (stable toolchain, no sanitizer),
# then runs each for SECONDS (default 20) on its seeds, as many at a time as there are cores
# (FUZZ_JOBS overrides). Corpora live in a temporary folder, so fuzz/corpus does not grow.
# Exits non-zero when a target crashes (or fails to build), naming the saved input.
#   scripts/fuzz_smoke.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-20}
[[ $secs =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/fuzz_smoke.sh [SECONDS_PER_TARGET >= 1]" >&2; exit 2; }
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
start=$SECONDS

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
echo "fuzz smoke: building every target"
cargo fuzz build -s none --codegen-units 16 # the flags of scripts/fuzz.sh: one shared build
host=$(rustc -vV | sed -n 's/^host: //p')
bin_dir=${CARGO_TARGET_DIR:-target}/$host/release
mapfile -t targets < <(cargo fuzz list)
echo "fuzz smoke: built in $((SECONDS - start)) s; running ${#targets[@]} targets for ${secs} s each, $jobs at a time"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tallyman-fuzz-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

run_one() {
  local t=$1 corpus=$tmp/corpus/$1 seeds
  mkdir -p "$corpus" "artifacts/$t"
  seeds=$(../scripts/fuzz.sh --seeds "$t")
  case "$t" in config) cp ../samples/demo/tallyman.toml "$corpus/" ;; esac
  local rc=0
  # shellcheck disable=SC2086 # one seed folder per line
  "$bin_dir/$t" "$corpus" $seeds -max_total_time="$secs" -max_len=65536 -timeout=10 -seed="${FUZZ_SEED:-1}" \
    -rss_limit_mb=2048 -artifact_prefix="artifacts/$t/" -print_final_stats=1 \
    >"$tmp/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$tmp/$t.rc"
}

for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  run_one "$t" &
done
wait
failed=()
for t in "${targets[@]}"; do
  if [[ $(cat "$tmp/$t.rc" 2>/dev/null) == 0 ]]; then status=ok; else status=FAILED; failed+=("$t"); fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t.log" | tail -1)
  printf '  %-20s %-7s %10s runs\n' "$t" "$status" "${runs:-?}"
  if [[ $status == FAILED ]]; then
    # The panic's place and its message (the line after), cut to a screen's width or so.
    # (A failure without a panic, a timeout or the memory limit, has none: `|| true`.)
    { grep -E -A1 'panicked at' "$tmp/$t.log" || true; } | head -4 | cut -c1-600 | sed 's/^/      /'
    { grep -E '^SUMMARY|==ERROR' "$tmp/$t.log" || true; } | head -3 | sed 's/^/      /'
    while read -r saved; do
      echo "      saved: fuzz/$saved"
      # A CI machine's clone is gone once it has run: a small input is printed here too.
      if [[ -f $saved ]] && (($(wc -c <"$saved") <= 4096)); then
        echo "      the input, base64 (base64 -d > tests/regressions/NAME.bin):"
        base64 -w 76 "$saved" | sed 's/^/        /'
      fi
    done < <({ grep -o 'Test unit written to .*' "$tmp/$t.log" || true; } | sed 's/^Test unit written to //')
    echo "      log tail:"
    tail -n 15 "$tmp/$t.log" | sed 's/^/      | /'
  fi
done
echo "fuzz smoke: $((SECONDS - start)) s in all"
if ((${#failed[@]})); then
  echo "fuzz smoke: FAILED: ${failed[*]}" >&2
  echo "Replay with: cd fuzz && cargo fuzz run -s none --codegen-units 16 TARGET artifacts/TARGET/FILE" >&2
  echo "Keep the input as a regression test: copy it into tests/regressions/TARGET/ (for x12_reader," >&2
  echo "edifact_reader, x12_translate and translate: into tests/regressions/ as NAME.bin), named after" >&2
  echo "the bug; tests/regressions.rs replays it with the same checks (README \"Fuzzing\")." >&2
  exit 1
fi
