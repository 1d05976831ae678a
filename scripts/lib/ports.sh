# Free loopback ports for the throw-away servers of the tests (scripts/sshd.sh,
# scripts/postgres.sh): sourced, not run. The caller defines die().

# Whether something listens on TCP port $1 (IPv4 or IPv6), from /proc: state 0A is LISTEN.
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk -v h=":$hex" 'substr($2, length($2) - 4) == h && $4 == "0A" { found = 1 }
            END { exit !found }'
}

pick_port() {
    local low hi p i
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range
    hi=$((low > 12000 ? low - 1 : 32767))
    for ((i = 0; i < 100; i++)); do
        p=$((10000 + (RANDOM * 32768 + RANDOM) % (hi - 10000 + 1)))
        port_in_use "$p" || {
            echo "$p"
            return 0
        }
    done
    die "no free port found"
}
