# Shell helpers shared by the bench scripts that run namespace guests (sourced, not run). They expect the caller's
# globals: $work (a scratch directory holding the built tapbridge), the arrays pids (per-measurement background
# processes), host_pids (processes for the whole run) and namespaces, and $NS_PREFIX (names of the guests' namespaces).
# scratch_work sets up all but the last; build_testtools also needs $repo (the checkout).

# scratch_work PREFIX -> sets $work (a new directory /tmp/PREFIX-XXXXXX) and empty pids, host_pids and namespaces,
# and has the shell clean all of them up when it exits or is interrupted (cleanup_all)
scratch_work() {
    work=$(mktemp -d "/tmp/$1-XXXXXX")
    namespaces=()
    pids=()      # per-measurement processes
    host_pids=() # processes for the whole run
    trap cleanup_all EXIT
    trap 'exit 130' INT TERM
}

# build_testtools TOOL...: compiles $repo/testtools/TOOL.c into $work/TOOL
build_testtools() {
    local tool
    for tool in "$@"; do
        gcc -O2 -Wall -pthread -o "$work/$tool" "$repo/testtools/$tool.c"
    done
}

# userv2_peer PEER -> sets peer_args, peer_opts, peer_jar and peer_wrap for a userv2 path: userv2 takes USERV2_ARGS
# and USERV2_JAVA_OPTS and runs $jar under USERV2_WRAP (a command prefix, empty by default); userv2-X or userv2_X adds
# USERV2_ARGS_X and USERV2_JAVA_OPTS_X, and runs USERV2_JAR_X if that is set (an A/B of two builds) under
# USERV2_WRAP_X if that is set
userv2_peer() {
    local variant=${1#userv2[-_]} name
    peer_args=${USERV2_ARGS:-}
    peer_opts=${USERV2_JAVA_OPTS:-}
    peer_jar=$jar
    peer_wrap=${USERV2_WRAP:-}
    if [ "$variant" != "$1" ]; then
        name=USERV2_ARGS_$variant; peer_args="$peer_args ${!name:-}"
        name=USERV2_JAVA_OPTS_$variant; peer_opts="$peer_opts ${!name:-}"
        name=USERV2_JAR_$variant; peer_jar=${!name:-$jar}
        name=USERV2_WRAP_$variant; peer_wrap=${!name:-$peer_wrap}
    fi
}

# round_order ROUND PEER...: the peers in the order round ROUND (1, 2, ...) runs them: as given in odd rounds, the
# other way round in even ones, so that over the rounds no peer keeps the place before another (with two builds of
# userv2 one after the other in most rounds, the one in front had the better median in all five QEMU runs, whichever
# build it was)
round_order() {
    local round=$1 i
    shift
    if ((round % 2)); then
        echo "$@"
    else
        local -a all=("$@") back=()
        for ((i = ${#all[@]} - 1; i >= 0; i--)); do back+=("${all[i]}"); done
        echo "${back[@]}"
    fi
}

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

# kill_all PID...: TERM, up to 5 s for each to go, then KILL.
kill_all() {
    local pid
    for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
}

# new_ns -> sets $ns (a namespace with lo up, nothing else), named $NS_PREFIX-..., recorded in the array namespaces
new_ns() {
    ns="$NS_PREFIX-$(rand)"
    ip netns add "$ns"
    namespaces+=("$ns")
    ip -n "$ns" link set lo up
}

# tap_guest IP MTU [IP6] -> sets $ns: a namespace guest with tap0 (address IP/24; with IP6 also IP6/64, no duplicate
# address detection, Router Advertisements ignored so that the address and routes are exactly these), bridged later
tap_guest() {
    new_ns
    ip -n "$ns" tuntap add dev tap0 mode tap
    ip -n "$ns" link set tap0 mtu "$2" txqueuelen 5000
    ip -n "$ns" addr add "$1/24" dev tap0
    if [ -n "${3:-}" ]; then
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.tap0.accept_ra=0
        ip -n "$ns" -6 addr add "$3/64" dev tap0 nodad
    fi
    ip -n "$ns" link set tap0 up
}

# teardown: the per-measurement processes, the guests' namespaces and the sockets in $work go
teardown() {
    kill_all "${pids[@]}"
    pids=()
    for ns in "${namespaces[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    namespaces=()
    rm -f "$work"/*.sock "$work"/passt/*
}

# cleanup_all (the EXIT trap): every process (pids, host_pids), every namespace (the host's too) and $work go
cleanup_all() {
    set +e
    kill_all "${pids[@]}" "${host_pids[@]}"
    for ns in "${namespaces[@]}" "${hostns:-}"; do
        [ -n "$ns" ] || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    [ -n "${hostns:-}" ] && rm -rf "/etc/netns/$hostns"
    rm -rf "$work"
}

# host_namespace PREFIX -> sets $hostns: the "host" side, holding lo plus a veth pair whose default routes (IPv4
# and IPv6) lead to an address nobody has (passt insists on an interface with a default route), and an empty resolv.conf, so that
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
    # the same for IPv6 (passt enables IPv6 only with an IPv6 default route and address): documentation addresses
    ip -n "$hostns" -6 addr add 2001:db8:254::1/64 dev uplink0 nodad
    ip -n "$hostns" -6 route add default via 2001:db8:254::2
    mkdir -p "/etc/netns/$hostns" && : >"/etc/netns/$hostns/resolv.conf" # no nameserver for anything run there
}

# bridge NS SOCKSPEC: a tapbridge between the namespace's tap0 and SOCKSPEC (background, logged)
bridge() {
    local log="$work/bridge-$1.log"
    "$work/tapbridge" tap0 "$2" --netns "$1" ${TAPBRIDGE_ARGS:-} >"$log" 2>&1 &
    pids+=($!)
    wait_for "$log" "tapbridge: connected" 10
}
