#!/usr/bin/env bash
# The demo over SFTP, to watch it work: starts a throw-away OpenSSH server on loopback
# (scripts/sshd.sh), puts the demo's X12 retailer files in its drop folder, and runs
# `tallyman run` with the demo configuration changed so that channel `acme` reads
# sftp://…/acme/to-us and delivers its 997s, 856 and 810 to sftp://…/acme/from-us. It prints
# what is on the server before and after, then stops the server. Everything happens in a
# temporary folder; the demo in samples/ is not touched.
#
#   scripts/sftp_demo.sh          # needs root and openssh-server (scripts/sshd.sh install)
#   KEEP=1 scripts/sftp_demo.sh   # leave the folder (and the server stopped) for a look
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/tallyman-sftp-demo.XXXXXX")
# The server's login user must reach its folder inside.
chmod 755 "$dir"
cleanup() {
    scripts/sshd.sh stop "$dir/server" >/dev/null 2>&1 || true
    if [ -z "${KEEP:-}" ]; then rm -rf "$dir"; else echo "left in $dir"; fi
}
trap cleanup EXIT
[ -x /usr/sbin/sshd ] || scripts/sshd.sh install
cargo build --release --locked --quiet --bin tallyman

eval "$(scripts/sshd.sh start "$dir/server" | sed 's/^/S_/')"
remote="$S_DATA/acme"
mkdir -p "$remote/to-us" "$remote/from-us"
cp samples/demo/drop/acme/* "$remote/to-us/"
chown -R "$S_USER" "$remote"

# The demo, with the X12 retailer's folders on the server (its other channels stay local).
cp -r samples/demo "$dir/demo"
rm -rf "$dir/demo/work"
python3 - "$dir/demo/tallyman.toml" "$S_URL" "$remote" "$S_CLIENT_KEY" "$S_KNOWN_HOSTS" <<'PY'
import sys
path, url, remote, key, known = sys.argv[1:]
text = open(path).read()
old_in = 'inbound = "drop/acme"\n'
old_out = 'outbound = "work/outbound/acme"\n'
assert old_in in text and old_out in text, "the demo configuration changed: update this script"
text = text.replace(old_in, f'inbound = "{url}{remote}/to-us"\n'
                            f'ssh_key = "{key}"\nknown_hosts = "{known}"\n', 1)
text = text.replace(old_out, f'outbound = "{url}{remote}/from-us"\n', 1)
# The server's drop folder is emptied as files are read, as partners expect.
text = text.replace('keep_inputs = true\noutbound = "' + url, 'outbound = "' + url, 1)
open(path, "w").write(text)
PY

show() {
    echo "== on the server, $1:"
    (cd "$remote" && find . -type f | sort | sed 's/^\.\//   /')
}
show "before the run"
echo "== tallyman run (channel acme over SFTP):"
set +e
"$root/target/release/tallyman" run --config "$dir/demo/tallyman.toml"
code=$?
set -e
show "after the run"
echo "== exit $code (1: something was quarantined or held, as in the local demo)"
