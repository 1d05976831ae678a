#!/usr/bin/env bash
# A throw-away OpenSSH server on loopback for the SFTP tests (tests/sshd/mod.rs), demos and
# benchmarks. One implementation: everything that needs a server calls this script.
#
# Usage:
#   scripts/sshd.sh install           install openssh-server when /usr/sbin/sshd is missing (root
#                                     only; otherwise says what to install and exits 2)
#   scripts/sshd.sh start DIR [PORT]  start a server whose files all live in DIR (new, empty, or
#                                     one this script used before: its host key, keys, known_hosts
#                                     and port are then reused, which is how a restart keeps its
#                                     identity). PORT defaults to DIR/port, else a free one.
#   scripts/sshd.sh stop DIR          SIGTERM the listener and every descendant, wait until they
#                                     are gone (SIGKILL after 3 s); idempotent
#   scripts/sshd.sh kill DIR          SIGKILL the listener and every descendant (a server that dies)
#   scripts/sshd.sh drop DIR          SIGKILL only the per-connection processes, leaving the
#                                     listener up (a dropped connection)
#   scripts/sshd.sh rekey DIR         stop, make a new host key, start on the same port; known_hosts
#                                     is left as it was, so it is now stale
#   scripts/sshd.sh connections DIR   print the per-connection processes' pids, one a line (none
#                                     when no session is open or the server is down)
#
# `start` prints KEY=VALUE lines on stdout, in this order (values run to the end of the line,
# unquoted; DIR may not hold whitespace):
#   URL=sftp://USER@127.0.0.1:PORT   PORT=...   USER=...   UID=...   GID=...
#   DATA=DIR/data                    the folder SFTP sessions start in, owned by USER; the client
#                                    may also give absolute paths (the same paths as on this machine)
#   CLIENT_KEY=DIR/client_ed25519    private key allowed to log in (.pub beside it)
#   OTHER_KEY=DIR/other_ed25519      private key NOT allowed to log in
#   KNOWN_HOSTS=DIR/known_hosts      "[127.0.0.1]:PORT ssh-ed25519 AAAA..." (written only when absent)
#   HOST_KEY=DIR/host_ed25519        the server's private host key (.pub beside it)
#   PID=...                          the listener's pid (also in DIR/sshd.pid)
#   LOG=DIR/sshd.log                 sshd's own log (-e), appended across restarts
# It also writes DIR/port and DIR/user. Try it by hand:
#   eval "$(scripts/sshd.sh start /tmp/s)"; echo ls | sftp -b - -i "$CLIENT_KEY" -P "$PORT" \
#     -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes "$USER@127.0.0.1"
#   scripts/sshd.sh stop /tmp/s
#
# Facts learned the hard way (OpenSSH 9.2 on Debian 12, as root):
# - The package neither starts sshd nor creates /run/sshd, which a root sshd needs (privilege
#   separation); `start` creates it.
# - The login user (tallyman-sftp, made with useradd -M -s /usr/sbin/nologin) must not be locked
#   ('!' in /etc/shadow) or sshd refuses it even for a key: its password is set to '*'. nologin is
#   fine for the internal-sftp subsystem. An unprivileged user is needed because root ignores file
#   permissions (tests check "permission denied" on the remote side). Parallel starts may race to
#   create it: a flock serialises that.
# - DIR and every folder above it must be traversable by that user (DIR is made 755).
# - sshd_config does not take port 0: a port is picked from below the kernel's ephemeral range,
#   not listening now, and another is tried when sshd says the address is in use.
# - sshd must run with stdin/stdout/stderr redirected (to the log here) or a caller capturing
#   this script's output waits for sshd to exit. setsid detaches it from the caller's session.
# - Each connection is served by a child of the listener that calls setsid (its own process
#   group) and forks again for privilege separation, so killing the listener or its process group
#   leaves open sessions alive: stop/kill/drop walk the process tree (ps) instead.
# - Newer OpenSSH (9.8+) penalises sources whose connections fail or crash (PerSourcePenalties),
#   which would turn a test's refused key or dropped connection into refusals for the next tests
#   from 127.0.0.1: it is turned off where sshd knows the option.
# - Not root: the server runs as the calling user, who is also the login user (no useradd, no
#   chown; that account must not be locked either); everything else is the same.
# - Once the listener is gone, the SFTP client (`sftp -b -`) blocked on reading its batch does
#   not always notice: its next command fails.
set -euo pipefail

SSHD=/usr/sbin/sshd
LOGIN_USER=tallyman-sftp
HOST=127.0.0.1

die() {
    echo "sshd.sh: $*" >&2
    exit 1
}

# port_in_use, pick_port
# shellcheck source=scripts/lib/ports.sh
. "$(dirname "$0")/lib/ports.sh"

usage() {
    # shellcheck disable=SC2016 # a literal backquote
    sed -n '2,/^# `start` prints/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

is_root() { [ "$(id -u)" -eq 0 ]; }

cmd_install() {
    local pkgs=()
    [ -x "$SSHD" ] || pkgs+=(openssh-server)
    command -v ps >/dev/null || pkgs+=(procps)
    command -v flock >/dev/null && command -v setsid >/dev/null || pkgs+=(util-linux)
    [ ${#pkgs[@]} -eq 0 ] && return 0
    if ! is_root; then
        echo "sshd.sh: missing ${pkgs[*]}: install it as root (apt-get install -y ${pkgs[*]}," \
            "or run scripts/sshd.sh install as root)" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq "${pkgs[@]}" >/dev/null; then
        # A fresh machine may have no package lists yet.
        apt-get update -qq
        apt-get install -y -qq "${pkgs[@]}" >/dev/null
    fi
    [ -x "$SSHD" ] || die "$SSHD still missing after installing ${pkgs[*]}"
}

# --- process tree ---------------------------------------------------------------------------

# The listener's pid when DIR's server is running, else nothing (and status 1). The pid file is
# trusted only when that process is an sshd started with DIR's config (pids are reused).
listener_pid() {
    local dir=$1 pid cmdline
    [ -s "$dir/sshd.pid" ] || return 1
    read -r pid <"$dir/sshd.pid" || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$dir/sshd_config"* ]] || return 1
    echo "$pid"
}

# Every descendant of the given pids (not the pids themselves), one a line.
descendants() {
    [ $# -gt 0 ] || return 0
    ps -e -o pid=,ppid= | awk -v roots="$*" '
        BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1 }
        { parent[$1] = $2; pids[++m] = $1 }
        END {
            do {
                grew = 0
                for (i = 1; i <= m; i++) {
                    p = pids[i]
                    if (!(p in want) && (parent[p] in want)) { want[p] = 1; grew = 1; print p }
                }
            } while (grew)
        }'
}

alive() {
    local p
    for p in "$@"; do
        # A zombie (state Z) is gone for our purpose; its parent reaps it.
        if [ -e "/proc/$p" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null; then
            return 0
        fi
    done
    return 1
}

# The listener and all its descendants, with the tree frozen (SIGSTOP) while it is collected so
# that nothing forked meanwhile escapes. Prints the pids; the caller signals them and then CONTs.
frozen_tree() {
    local root=$1 all=("$1") more p
    kill -STOP "$root" 2>/dev/null || return 0
    while :; do
        mapfile -t more < <(descendants "${all[@]}" | grep -vxF -f <(printf '%s\n' "${all[@]}") || true)
        [ ${#more[@]} -gt 0 ] || break
        for p in "${more[@]}"; do kill -STOP "$p" 2>/dev/null || true; done
        all+=("${more[@]}")
    done
    printf '%s\n' "${all[@]}"
}

# Signal DIR's whole server (listener and descendants), wait until gone; SIGKILL after 3 s.
take_down() {
    local dir=$1 sig=$2 pid pids i
    if pid=$(listener_pid "$dir"); then
        mapfile -t pids < <(frozen_tree "$pid")
        kill "-$sig" "${pids[@]}" 2>/dev/null || true
        kill -CONT "${pids[@]}" 2>/dev/null || true
        for ((i = 0; i < 60; i++)); do
            alive "${pids[@]}" || break
            sleep 0.05
        done
        if alive "${pids[@]}"; then
            kill -KILL "${pids[@]}" 2>/dev/null || true
            for ((i = 0; i < 40; i++)); do
                alive "${pids[@]}" || break
                sleep 0.05
            done
            ! alive "${pids[@]}" || die "sshd processes ${pids[*]} survive SIGKILL"
        fi
    fi
    rm -f "$dir/sshd.pid"
}

connections() {
    local pid
    pid=$(listener_pid "$1") || return 0
    descendants "$pid"
}

# --- start ----------------------------------------------------------------------------------

ensure_user() {
    # Serialised: parallel tests start servers at once.
    (
        flock 9
        if ! id -u "$LOGIN_USER" >/dev/null 2>&1; then
            useradd -M -s /usr/sbin/nologin -c 'tallyman SFTP tests' "$LOGIN_USER" ||
                id -u "$LOGIN_USER" >/dev/null 2>&1 || die "cannot create user $LOGIN_USER"
        fi
        # A locked account ('!...') is refused by sshd even with a key.
        case "$(getent shadow "$LOGIN_USER" | cut -d: -f2)" in
            '!'*) usermod -p '*' "$LOGIN_USER" ;;
        esac
    ) 9>"$(if [ -d /run/lock ]; then echo /run/lock; else echo /tmp; fi)/tallyman-sshd-user.lock"
}

listening() {
    local hex
    hex=$(printf '%04X' "$1")
    # 0100007F = 127.0.0.1 (little endian), state 0A = LISTEN.
    awk -v h="0100007F:$hex" '$2 == h && $4 == "0A" { found = 1 } END { exit !found }' \
        /proc/net/tcp
}

write_config() {
    local dir=$1 port=$2 user=$3 cfg=$1/sshd_config
    cat >"$cfg" <<EOF
# Written by scripts/sshd.sh: a throw-away server for tests.
Port $port
ListenAddress $HOST
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
UseDNS no
DisableForwarding yes
PermitTTY no
MaxStartups 100
MaxSessions 100
LoginGraceTime 30
Subsystem sftp internal-sftp -d $dir/data
EOF
    # OpenSSH 9.8+ only: no penalties for 127.0.0.1's failed or dropped connections.
    if "$SSHD" -T -f "$cfg" -o PerSourcePenalties=no >/dev/null 2>&1; then
        echo "PerSourcePenalties no" >>"$cfg"
    fi
    "$SSHD" -t -f "$cfg" || die "sshd rejects $cfg"
}

keygen() {
    [ -s "$1" ] || ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1" </dev/null
}

known_hosts_line() {
    local port=$1 dir=$2 type key
    read -r type key _ <"$dir/host_ed25519.pub"
    echo "[$HOST]:$port $type $key"
}

cmd_start() {
    local dir=$1 port=${2:-} user uid gid fixed=1 pid tries log_from i
    [ -x "$SSHD" ] || {
        echo "sshd.sh: $SSHD is missing: run scripts/sshd.sh install (as root)" >&2
        exit 2
    }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    [[ $dir != *[[:space:]]* ]] || die "DIR may not hold whitespace: $dir"
    if pid=$(listener_pid "$dir"); then die "a server already runs in $dir (pid $pid)"; fi
    rm -f "$dir/sshd.pid"

    if is_root; then
        user=$LOGIN_USER
        ensure_user
        mkdir -p /run/sshd
        chmod 755 "$dir"
    else
        user=$(id -un)
    fi
    uid=$(id -u "$user")
    gid=$(id -g "$user")
    local d=$dir
    while [ "$d" != / ]; do
        d=$(dirname "$d")
        [ $(($(stat -c '%a' "$d" | sed 's/.*\(.\)$/\1/') & 1)) -eq 1 ] ||
            [ "$(stat -c '%u' "$d")" = "$uid" ] ||
            die "$d is not traversable by $user: its SFTP sessions could not reach $dir/data"
    done

    keygen "$dir/host_ed25519" "tallyman-test-host"
    keygen "$dir/client_ed25519" "tallyman-test-client"
    keygen "$dir/other_ed25519" "tallyman-test-other"
    cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
    mkdir -p "$dir/data"
    is_root && chown "$uid:$gid" "$dir/data"
    echo "$user" >"$dir/user"

    if [ -z "$port" ] && [ -s "$dir/port" ]; then read -r port <"$dir/port"; fi
    if [ -z "$port" ]; then
        fixed=0
        port=$(pick_port)
    fi
    [[ $port =~ ^[0-9]+$ ]] || die "bad port: $port"

    for ((tries = 1; ; tries++)); do
        write_config "$dir" "$port" "$user"
        log_from=$(($(stat -c %s "$dir/sshd.log" 2>/dev/null || echo 0) + 1))
        setsid "$SSHD" -f "$dir/sshd_config" -D -e </dev/null >>"$dir/sshd.log" 2>&1 &
        local bg=$!
        pid=
        for ((i = 0; i < 100; i++)); do
            if [ -s "$dir/sshd.pid" ] && listening "$port"; then
                pid=$(listener_pid "$dir") && break
                pid=
            fi
            alive "$bg" || break
            sleep 0.05
        done
        [ -z "$pid" ] || break
        kill -KILL "$bg" 2>/dev/null || true
        wait "$bg" 2>/dev/null || true
        if [ "$fixed" = 0 ] && [ "$tries" -lt 10 ] &&
            tail -c "+$log_from" "$dir/sshd.log" | grep -q 'Address already in use'; then
            port=$(pick_port)
            continue
        fi
        echo "sshd.sh: sshd did not start listening on $HOST:$port; the end of $dir/sshd.log:" >&2
        tail -c "+$log_from" "$dir/sshd.log" | tail -n 20 >&2
        exit 1
    done

    echo "$port" >"$dir/port"
    [ -s "$dir/known_hosts" ] || known_hosts_line "$port" "$dir" >"$dir/known_hosts"
    cat <<EOF
URL=sftp://$user@$HOST:$port
PORT=$port
USER=$user
UID=$uid
GID=$gid
DATA=$dir/data
CLIENT_KEY=$dir/client_ed25519
OTHER_KEY=$dir/other_ed25519
KNOWN_HOSTS=$dir/known_hosts
HOST_KEY=$dir/host_ed25519
PID=$pid
LOG=$dir/sshd.log
EOF
}

# An existing DIR, absolute.
existing_dir() {
    [ -d "$1" ] || die "no such folder: $1"
    (cd "$1" && pwd -P)
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
    install)
        [ $# -eq 0 ] || usage
        cmd_install
        ;;
    start)
        if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
        cmd_start "$@"
        ;;
    stop | kill | drop | rekey | connections)
        [ $# -eq 1 ] || usage
        dir=$(existing_dir "$1")
        case "$cmd" in
            stop) take_down "$dir" TERM ;;
            kill) take_down "$dir" KILL ;;
            drop)
                if pid=$(listener_pid "$dir"); then
                    mapfile -t conns < <(descendants "$pid")
                    if [ ${#conns[@]} -gt 0 ]; then
                        kill -KILL "${conns[@]}" 2>/dev/null || true
                        for ((i = 0; i < 60; i++)); do
                            alive "${conns[@]}" || break
                            sleep 0.05
                        done
                    fi
                fi
                ;;
            rekey)
                [ -s "$dir/port" ] || die "$dir holds no server to rekey"
                take_down "$dir" TERM
                rm -f "$dir/host_ed25519" "$dir/host_ed25519.pub"
                cmd_start "$dir"
                ;;
            connections) connections "$dir" ;;
        esac
        ;;
    *) usage ;;
esac
