#!/usr/bin/env bash
# Runs one cargo-fuzz target on the stable toolchain without a sanitizer, seeded from our own
# samples, fixtures and fuzz/seeds/. Usage:
#   scripts/fuzz.sh TARGET [SECONDS]   run TARGET (default 600 s); its corpus grows in fuzz/corpus/TARGET
#   scripts/fuzz.sh --seeds TARGET     print TARGET's seed folders (relative to fuzz/)
# Targets (cargo fuzz list): x12_reader, x12_translate, edifact_reader, translate (any format),
# x12_structured, edifact_structured, x12_roundtrip, edifact_roundtrip, csv_feed, xml_feed, config,
# erp_export.
# A crash is saved in fuzz/artifacts/TARGET/ and the run exits non-zero; keep it as a regression
# test (README "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

# Build flags shared with scripts/fuzz_smoke.sh, so both use the same build.
FUZZ_BUILD_FLAGS=(-s none --codegen-units 16)

seeds() {
  local edi=(../samples/x12 ../tests/fixtures/x12/valid ../tests/fixtures/x12/invalid
    ../samples/edifact ../tests/fixtures/edifact/valid ../tests/fixtures/edifact/invalid)
  local feeds=(../samples/feeds ../tests/fixtures/feeds/valid ../tests/fixtures/feeds/invalid)
  case "$1" in
    x12_reader | x12_translate | edifact_reader | translate) printf '%s\n' "${edi[@]}" "${feeds[@]}" ;;
    x12_structured | x12_roundtrip) printf '%s\n' ../samples/x12 ;;
    edifact_structured | edifact_roundtrip) printf '%s\n' ../samples/edifact ;;
    csv_feed) printf '%s\n' "${feeds[@]}" ;;
    xml_feed) printf '%s\n' seeds/xml ../samples/feeds ;;
    erp_export) printf '%s\n' ../samples/demo/outbox/acme ../samples/demo/outbox/acme-eu ../tests/fixtures/erp-export ;;
    # libFuzzer takes folders only: the demo configuration is copied into the corpus (below).
    config) printf '%s\n' seeds/config ;;
    *) echo "unknown fuzz target '$1' (see: cd fuzz && cargo fuzz list)" >&2; return 1 ;;
  esac
}

# Seeds that are single files, copied into the corpus folder given.
seed_files() {
  case "$1" in
    config) cp ../samples/demo/tallyman.toml "$2/demo-tallyman.toml" ;;
  esac
}

if [[ "${1:-}" == --seeds ]]; then
  seeds "${2:?usage: scripts/fuzz.sh --seeds TARGET}"
  exit
fi
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
secs=${2:-600}
mapfile -t seed_dirs < <(seeds "$target")
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p "corpus/$target" "artifacts/$target"
seed_files "$target" "corpus/$target"
cargo fuzz run "${FUZZ_BUILD_FLAGS[@]}" "$target" "corpus/$target" "${seed_dirs[@]}" \
  -- -max_total_time="$secs" -max_len=65536 -timeout=10
