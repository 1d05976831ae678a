#!/usr/bin/env bash
# Runs one cargo-fuzz target on the stable toolchain without a sanitizer, seeded from our own
# samples and fixtures. Usage: scripts/fuzz.sh TARGET [SECONDS]   (default 600 s)
# Targets: x12_reader, x12_translate, edifact_reader, translate (any format). Crashes are saved in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
secs=${2:-600}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p "corpus/$target"
cargo fuzz run -s none "$target" "corpus/$target" \
  ../samples/x12 ../tests/fixtures/x12/valid ../tests/fixtures/x12/invalid \
  ../samples/edifact ../tests/fixtures/edifact/valid ../tests/fixtures/edifact/invalid \
  ../samples/feeds ../tests/fixtures/feeds/valid ../tests/fixtures/feeds/invalid \
  -- -max_total_time="$secs" -max_len=65536 -timeout=10
