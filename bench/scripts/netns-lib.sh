# Shell helpers shared by the bench scripts that run namespace guests (sourced, not run). They expect the caller's
# globals: $work (a scratch directory holding the built tapbridge), the array pids (background processes to kill).

# wait_for FILE REGEX SECONDS: poll a log until a line matches, or fail.
wait_for() {
    local deadline=$((SECONDS + $3))
    until grep -qE "$2" "$1" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || { echo "timed out waiting for /$2/ in $1:" >&2; cat "$1" >&2; return 1; }
        sleep 0.05
    done
}

# wait_cmd SECONDS WHAT CMD...: poll a command until it succeeds, or fail.
wait_cmd() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || { echo "timed out waiting for $what" >&2; return 1; }
        sleep 0.05
    done
}

rand() { head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# host_namespace PREFIX -> sets $hostns: the "host" side, holding lo plus a veth pair whose default route leads to
# an address nobody has (passt insists on an interface with a default route), and an empty resolv.conf, so that
# nothing run there reaches the machine's network or resolver.
host_namespace() {
    hostns="$1-host-$(rand)"
    ip netns add "$hostns"
    ip -n "$hostns" link set lo up
    ip -n "$hostns" link add uplink0 type veth peer name uplink1
    ip -n "$hostns" addr add 10.254.254.1/24 dev uplink0
    ip -n "$hostns" link set uplink0 up
    ip -n "$hostns" link set uplink1 up
    ip -n "$hostns" route add default via 10.254.254.2
    mkdir -p "/etc/netns/$hostns" && : >"/etc/netns/$hostns/resolv.conf" # no nameserver for anything run there
}

# bridge NS SOCKSPEC: a tapbridge between the namespace's tap0 and SOCKSPEC (background, logged)
bridge() {
    local log="$work/bridge-$1.log"
    "$work/tapbridge" tap0 "$2" --netns "$1" >"$log" 2>&1 &
    pids+=($!)
    wait_for "$log" "tapbridge: connected" 10
}
