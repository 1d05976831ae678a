#!/usr/bin/env bash
# SFTP throughput on loopback: starts a throw-away OpenSSH server (scripts/sshd.sh), builds the
# release example `sftp-throughput`, uploads and downloads one file through tallyman's own
# transport (as a run delivers and pulls), prints MiB/s each way and peak RSS, stops the server.
#
#   scripts/bench_sftp.sh            # 512 MiB
#   SFTP_MIB=1024 scripts/bench_sftp.sh
#
# Needs openssh-server (scripts/sshd.sh install) and root (the server logs in a dedicated user).
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${SFTP_MIB:-512}
dir=$(mktemp -d "${TMPDIR:-/tmp}/tallyman-sftp-bench.XXXXXX")
chmod 755 "$dir"
trap 'scripts/sshd.sh stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
cargo build --release --locked --quiet --example sftp-throughput
eval "$(scripts/sshd.sh start "$dir" | sed 's/^/S_/')"
mkdir -p "$S_DATA/bench"
chown "$S_USER" "$S_DATA/bench"
target/release/examples/sftp-throughput --url "$S_URL$S_DATA/bench" --key "$S_CLIENT_KEY" \
    --known-hosts "$S_KNOWN_HOSTS" --mib "$mib"
