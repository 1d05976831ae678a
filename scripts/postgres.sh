#!/usr/bin/env bash
# A throw-away PostgreSQL server on loopback for the PostgreSQL ledger's tests
# (tests/postgres/mod.rs), demos and benchmarks. One implementation: everything that needs a
# server calls this script.
#
# Usage:
#   scripts/postgres.sh install     install PostgreSQL when no /usr/lib/postgresql/*/bin/initdb
#                                   exists (root only; otherwise says what to install, exits 2)
#   scripts/postgres.sh start DIR   make a cluster in DIR/pg (new or empty DIR; a DIR this script
#                                   used before is started again on its port) and start it on a
#                                   free loopback port, its Unix socket in DIR/pg
#   scripts/postgres.sh stop DIR    pg_ctl stop -m fast; idempotent
#   scripts/postgres.sh url DIR     print the server's URL (without the password)
#
# `start` prints KEY=VALUE lines on stdout (values run to the end of the line, unquoted; DIR may
# not hold whitespace):
#   URL=postgres://tallyman@127.0.0.1:PORT/postgres   the superuser, over TCP (a password needed)
#   PORT=...  USER=tallyman  PASSWORD=...              the superuser's password (hex)
#   BIN=/usr/lib/postgresql/15/bin                     initdb, pg_ctl, psql's server-side tools
#   DATA=DIR/pg/data  SOCKET=DIR/pg  LOG=DIR/pg/log
# Try it by hand:
#   eval "$(scripts/postgres.sh start /tmp/p)"; PGPASSWORD=$PASSWORD psql "$URL" -c 'select 1'
#   scripts/postgres.sh stop /tmp/p
#
# Facts learned the hard way (PostgreSQL 15 on Debian 12, as root):
# - initdb refuses to run as root: as root the cluster belongs to a system user tallyman_pg
#   (useradd -M -r, made once; a flock serialises parallel starts); not root, to the caller.
# - DIR and every folder above it must be traversable by that user (DIR is made 755).
# - Local (socket) connections are trusted, TCP ones on 127.0.0.1 need the password
#   (scram-sha-256), so that tests go through the client's password path.
# - The default socket folder (/var/run/postgresql) may not exist: -k puts it in DIR/pg.
# - fsync is off: the cluster is thrown away, and a test must not wait for the disk.
set -euo pipefail

HOST=127.0.0.1
SUPERUSER=tallyman
PG_USER=tallyman_pg

die() {
    echo "postgres.sh: $*" >&2
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

# The newest installed server's bin folder, or nothing (status 1).
bin_dir() {
    local d
    d=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
        sort -V | tail -n 1)
    [ -n "$d" ] || return 1
    dirname "$d"
}

cmd_install() {
    bin_dir >/dev/null && return 0
    if ! is_root; then
        echo "postgres.sh: PostgreSQL's server is missing (no /usr/lib/postgresql/*/bin/initdb):" \
            "install it as root (apt-get install -y postgresql, or run scripts/postgres.sh" \
            "install as root)" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq postgresql >/dev/null; then
        # A fresh machine may have no package lists yet.
        apt-get update -qq
        apt-get install -y -qq postgresql >/dev/null
    fi
    bin_dir >/dev/null || die "no initdb under /usr/lib/postgresql after installing postgresql"
}

ensure_user() {
    (
        flock 9
        id -u "$PG_USER" >/dev/null 2>&1 ||
            useradd -M -r -s /usr/sbin/nologin -c 'tallyman PostgreSQL tests' "$PG_USER" ||
            id -u "$PG_USER" >/dev/null 2>&1 || die "cannot create user $PG_USER"
    ) 9>"$(if [ -d /run/lock ]; then echo /run/lock; else echo /tmp; fi)/tallyman-pg-user.lock"
}

# Runs a command as the cluster's owner.
as_owner() {
    if is_root; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

running() {
    [ -s "$1/pg/data/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$1/pg/data" status >/dev/null 2>&1
}

cmd_start() {
    local dir=$1 port tries log_from
    BIN=$(bin_dir) || {
        echo "postgres.sh: PostgreSQL's server is missing: run scripts/postgres.sh install as" \
            "root (apt-get install -y postgresql)" >&2
        exit 2
    }
    chmod 755 "$dir"
    mkdir -p "$dir/pg"
    if is_root; then
        ensure_user
        chown "$PG_USER" "$dir/pg"
    fi
    if [ ! -s "$dir/pg/password" ]; then
        od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/pg/password"
        if is_root; then chown "$PG_USER" "$dir/pg/password"; fi
        chmod 600 "$dir/pg/password"
    fi
    if [ ! -s "$dir/pg/data/PG_VERSION" ]; then
        as_owner "$BIN/initdb" -D "$dir/pg/data" -U "$SUPERUSER" --auth-local=trust \
            --auth-host=scram-sha-256 --pwfile="$dir/pg/password" -E UTF8 --no-instructions \
            >"$dir/pg/initdb.log" 2>&1 || {
            cat "$dir/pg/initdb.log" >&2
            die "initdb failed"
        }
    fi
    if running "$dir"; then
        port=$(cat "$dir/pg/port")
    else
        port=$(if [ -s "$dir/pg/port" ]; then cat "$dir/pg/port"; else pick_port; fi)
        tries=0
        while :; do
            tries=$((tries + 1))
            log_from=$(($(stat -c %s "$dir/pg/log" 2>/dev/null || echo 0) + 1))
            if as_owner "$BIN/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w -t 30 \
                -o "-p $port -k $dir/pg -c listen_addresses=$HOST -c fsync=off" start \
                >/dev/null 2>&1; then
                break
            fi
            if [ "$tries" -lt 10 ] &&
                tail -c "+$log_from" "$dir/pg/log" 2>/dev/null | grep -q 'in use'; then
                port=$(pick_port)
                continue
            fi
            echo "postgres.sh: the server did not start on $HOST:$port; the end of $dir/pg/log:" >&2
            tail -c "+$log_from" "$dir/pg/log" 2>/dev/null | tail -n 20 >&2
            exit 1
        done
        echo "$port" >"$dir/pg/port"
    fi
    cat <<EOF
URL=postgres://$SUPERUSER@$HOST:$port/postgres
PORT=$port
USER=$SUPERUSER
PASSWORD=$(cat "$dir/pg/password")
BIN=$BIN
DATA=$dir/pg/data
SOCKET=$dir/pg
LOG=$dir/pg/log
EOF
}

cmd_stop() {
    local dir=$1
    [ -d "$dir/pg/data" ] || return 0
    BIN=$(bin_dir) || return 0
    if [ -s "$dir/pg/data/postmaster.pid" ]; then
        if ! as_owner "$BIN/pg_ctl" -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 &&
            running "$dir"; then
            die "pg_ctl stop failed; see $dir/pg/log"
        fi
    fi
    return 0
}

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
    start | stop | url)
        [ $# -eq 1 ] || usage
        dir=$(existing_dir "$1")
        case "$cmd" in
            start) cmd_start "$dir" ;;
            stop) cmd_stop "$dir" ;;
            url)
                [ -s "$dir/pg/port" ] || die "$dir holds no server"
                echo "postgres://$SUPERUSER@$HOST:$(cat "$dir/pg/port")/postgres"
                ;;
        esac
        ;;
    *) usage ;;
esac
