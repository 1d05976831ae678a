#!/usr/bin/env bash
# The project's test command (README "Quick start"): formatting, lints, the whole test suite and
# a fuzz smoke run.
# Tests that read the public corpus look for ../shared/corpus and skip themselves when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
# The SFTP tests run a throw-away OpenSSH server (scripts/sshd.sh); CI's machine starts without it.
[ -x /usr/sbin/sshd ] || scripts/sshd.sh install
scripts/postgres.sh install
# `tallyman check --html` is checked in a real headless browser (tests/check_browser.rs).
if ! [ -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "test.sh: Chromium is missing: install it as root (apt-get install -y chromium)," \
            "or set CHROMIUM=PATH to another Chromium" >&2
        exit 2
    fi
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
fi
cargo fmt --all -- --check
# cargo fmt does not reach the modules declared inside lib.rs's `internal!` macro: every file.
git ls-files -z 'src/*.rs' 'tests/*.rs' 'examples/*.rs' 'benches/*.rs' |
    xargs -0 rustfmt --edition 2024 --check
cargo clippy --all-targets --locked -- -D warnings
# The library as it ships, without the `internals` feature that the tests' self-dependency turns
# on: dead code and undocumented public items show only here.
cargo clippy --lib --bins --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet
# With the test-only crash hooks and the fuzz invariants (features), which the tests use.
cargo clippy --all-targets --all-features --locked -- -D warnings
cargo test --all-targets --all-features --locked
cargo test --doc --locked
# Every fuzz target for 20 s from its seeds (fixed libFuzzer seed, FUZZ_SEED=N to vary it).
scripts/fuzz_smoke.sh 20
