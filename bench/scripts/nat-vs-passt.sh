#!/usr/bin/env bash
# Guest <-> host TCP through NAT: iperf3 guest->host and host->guest (median of REPS runs of DURATION s) and 1-byte
# TCP request/response latency (testtools/rr, p50 and p99 over RR_N round trips) from a namespace guest to a
# server on the host's 127.0.0.1, at MTU 1500 and 65520, through
#   userv2       the switch; the guest (tapbridge -> stream socket) reaches 127.0.0.1 via the host alias 192.168.104.2
#   passt        one passt per guest (same tapbridge, QEMU stream protocol); 127.0.0.1 via its gateway 192.168.104.2
#   slirp4netns  owns the guest's tap itself (one hop fewer); 127.0.0.1 via 10.0.2.2
# Every peer is set up at once, each with a guest namespace of its own, and gets the same untimed warm-up; then the
# measured runs take turns (run 1 of every peer, run 2 of every peer..., in reverse order every other round:
# round_order), so drift on a shared machine and a peer's place in the round hit every peer alike. Prints a table
# with the ratios of each peer to passt.
# FAMILY=6: the same over IPv6, the servers on the host's ::1 instead of 127.0.0.1:
#   userv2       guest fd00:104::3/64 (static), ::1 via the gateway's IPv6 address fd00:104::2 (--ipv6-prefix
#                fd00:104::/64; NAT66 maps the gateway's address to ::1)
#   passt        -6, the same guest address and gateway (-a, -g; its NDP answers for the gateway, no RA/DHCPv6), ::1
#                via the gateway: passt maps TCP to its gateway address to the host's loopback (its default; see
#                --no-map-gw in passt(1))
#   slirp4netns  --enable-ipv6: the guest takes a fd00::/64 address from its Router Advertisement; ::1 via fd00::2
#
#   bench/scripts/nat-vs-passt.sh [path/to/userv2-switch.jar]
#   env: DURATION=3 REPS=3 RR_N=2000 WARMUP=2 MTUS="1500 65520" PEERS="passt userv2 slirp4netns" FAMILY=4
#        USERV2_JAVA_OPTS="" (JVM options for the switch, e.g. -Xlog:gc,safepoint:file=/tmp/u2.log)
#        USERV2_ARGS="" (more switch options)
#        IPERF_LOG="" (a file every iperf3 run's output is appended to, with its per-second intervals)
#        TAPBRIDGE_ARGS="" (more tapbridge options for every guest, e.g. --blocking-read, its older way of reading)
#   A peer userv2_X is the switch again with USERV2_ARGS_X and USERV2_JAVA_OPTS_X added (X: letters, digits), to
#   compare settings side by side in one run; USERV2_JAR_X runs another build of the switch as that peer (an A/B
#   of two builds).
#   (WARMUP: seconds of iperf3 each way before measuring, not counted, the same for every peer; 0 for none)
#   COLD=1: the first DURATION s of traffic after start instead: each iperf3 run (REPS per direction) on a peer
#   started afresh just before it, no warm-up, no RR (the JVM has not compiled its hot paths yet)
#
# Network safety: the "host" side (the switch, passt, slirp4netns, the iperf3 and rr servers) runs in a namespace of
# its own holding only lo and a veth pair whose default routes lead nowhere (passt insists on an interface with a
# default route), so whatever a peer dials, nothing leaves the machine; the servers listen on 127.0.0.1 (iperf3 on
# ::1 with FAMILY=6; rr on both) there.
# Needs root (namespaces, taps), gcc, iperf3, iproute2, java, passt, slirp4netns. Only touches namespaces it
# creates; cleans up on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=netns-lib.sh
. "$here/netns-lib.sh"
jar=${1:-$repo/switch/target/userv2-switch.jar}
DURATION=${DURATION:-3}
REPS=${REPS:-3}
RR_N=${RR_N:-2000}
MTUS=${MTUS:-1500 65520}
PEERS=${PEERS:-passt userv2 slirp4netns}
FAMILY=${FAMILY:-4}
case $FAMILY in
    4) loop=127.0.0.1 ;;
    6) loop=::1 ;;
    *) echo "FAMILY must be 4 or 6" >&2; exit 1 ;;
esac
# the guest's and the gateway's IPv6 addresses for userv2 and passt (FAMILY=6)
GUEST6=fd00:104::3
GATEWAY6=fd00:104::2
IPERF_PORT=5201
RR_PORT=5555

[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces, tap devices)" >&2; exit 1; }
[ -f "$jar" ] || { echo "switch jar not found: $jar (run mvn package, or pass its path)" >&2; exit 1; }
for tool in gcc iperf3 ip java passt slirp4netns; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done

scratch_work u2n
# passt (run as root) drops to "nobody" before it binds its socket (and says "bound" even when that fails):
# give it a directory of its own that nobody may write, under a work directory nobody may traverse.
chmod 711 "$work"
install -d -o nobody -m 700 "$work/passt"
NS_PREFIX=u2n
build_testtools tapbridge rr

# The host side (see netns-lib.sh).
host_namespace u2n
hx() { ip netns exec "$hostns" "$@"; }

hx iperf3 -s -B "$loop" -p "$IPERF_PORT" -D --pidfile "$work/iperf3.pid" >/dev/null
wait_for "$work/iperf3.pid" "[0-9]" 10
host_pids+=("$(cat "$work/iperf3.pid")")
wait_cmd 10 "iperf3 to listen" sh -c "ip netns exec $hostns ss -ltnH 'sport = :$IPERF_PORT' | grep -qF '$loop'"
hx "$work/rr" -s "$RR_PORT" >"$work/rr-server.log" 2>&1 &
host_pids+=($!)
wait_for "$work/rr-server.log" "listening" 10




# gateway IPV4 IPV6 -> the address the guest dials for the host's loopback in this run's family
gateway() { if [ "$FAMILY" = 6 ]; then echo "$2"; else echo "$1"; fi; }

# median of the numbers given (non-numbers, i.e. failed runs, are left out; "fail" if none)
median() {
    local v
    v=$(printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g || true)
    [ -n "$v" ] || { echo fail; return; }
    local n
    n=$(wc -l <<<"$v")
    sed -n "$(((n + 1) / 2))p" <<<"$v"
}

# iperf_once NS SERVER [-R] -> one run's rate (Gbit/s, receiver side), "fail" for a failed run
iperf_once() {
    local ns=$1 server=$2 rev=${3:-} out rate
    # a stalled run can leave the server busy with its test for a while: start on an idle server
    wait_cmd 15 "the iperf3 server to be idle" sh -c "! ip netns exec $hostns ss -tnH state established '( sport = :$IPERF_PORT )' | grep -q ." ||
        echo "iperf3 server still busy; running anyway" >&2
    if out=$(timeout $((DURATION + 30)) ip netns exec "$ns" iperf3 -c "$server" -p "$IPERF_PORT" -t "$DURATION" -f g -i 1 $rev 2>&1); then
        rate=$(awk '/receiver/ {print $(NF-2)}' <<<"$out")
        [ -z "${IPERF_LOG:-}" ] || printf '%s\n' "$out" >>"$IPERF_LOG"
        # a whole second without a byte: the connection stalled (seen with passt 2023-03 guest->host)
        if grep -qE 'sec +0\.00 Bytes' <<<"$out"; then echo "iperf3 ${rev:+$rev }to $server: stalled for $(grep -cE 'sec +0\.00 Bytes' <<<"$out") s (rate $rate)" >&2; fi
    else
        echo "iperf3 ${rev:+$rev }to $server failed: $(tail -3 <<<"$out")" >&2
        rate=fail
    fi
    echo "${rate:-fail}"
}

# Each peer's guest: guest_ns[PEER] (its namespace) and server[PEER] (the address it dials for the host's loopback).
declare -A guest_ns server

# reachable PEER: wait until the peer's guest reaches the rr server through it
reachable() {
    wait_cmd 20 "$1: the guest to reach ${server[$1]}:$RR_PORT" \
        timeout 5 ip netns exec "${guest_ns[$1]}" bash -c "exec 3<>/dev/tcp/${server[$1]}/$RR_PORT"
}

# setup_userv2 MTU [PEER]: the switch (or the variant PEER, see userv2_peer), a guest on it
setup_userv2() {
    local mtu=$1 peer=${2:-userv2}
    local log="$work/$peer-$mtu.log"
    userv2_peer "$peer"
    # shellcheck disable=SC2086
    hx java $peer_opts -jar "$peer_jar" --listen "$work/sw-$peer.sock" --mtu "$mtu" --no-outside \
        --host-resolver hosts --dns-upstream 127.0.0.1:1 --ipv6-prefix fd00:104::/64 $peer_args >"$log" 2>&1 &
    pids+=($!)
    wait_for "$log" "listening on" 60
    if [ "$FAMILY" = 6 ]; then
        tap_guest 192.168.104.3 "$mtu" "$GUEST6"
    else
        tap_guest 192.168.104.3 "$mtu"
    fi
    bridge "$ns" "unix:$work/sw-$peer.sock"
    guest_ns[$peer]=$ns
    server[$peer]=$(gateway 192.168.104.2 "$GATEWAY6")
}

# setup_passt MTU: one passt, a guest on it
setup_passt() {
    local mtu=$1 log="$work/passt-$1.log"
    # -4, no DHCPv6/NDP/RA, no inbound forwards; the guest's address and gateway given; the gateway is mapped to
    # the host's loopback (this version's default; --no-map-gw would turn it off). FAMILY=6: -6, NDP on (the guest
    # resolves the gateway's address through it), no RA or DHCPv6 (the guest's address is static, as for userv2).
    local family=(-4 --no-dhcpv6 --no-ndp --no-ra -a 192.168.104.3 -n 24 -g 192.168.104.2 --no-dhcp-dns --no-dhcp-search)
    [ "$FAMILY" = 4 ] || family=(-6 --no-dhcpv6 --no-ra -a "$GUEST6" -g "$GATEWAY6" --no-dhcp-dns --no-dhcp-search)
    hx passt -f -e --socket "$work/passt/passt.sock" -P "$work/passt/passt.pid" --mtu "$mtu" -t none -u none \
        "${family[@]}" >"$log" 2>&1 &
    pids+=($!)
    wait_cmd 20 "passt's socket" test -S "$work/passt/passt.sock"
    # passt forks into a PID namespace of its own; the process to stop is the one in its pid file.
    wait_for "$work/passt/passt.pid" "[0-9]" 10
    pids+=("$(cat "$work/passt/passt.pid")")
    if [ "$FAMILY" = 6 ]; then
        tap_guest 192.168.104.3 "$mtu" "$GUEST6"
    else
        tap_guest 192.168.104.3 "$mtu"
    fi
    bridge "$ns" "unix:$work/passt/passt.sock"
    guest_ns[passt]=$ns
    server[passt]=$(gateway 192.168.104.2 "$GATEWAY6")
}

# setup_slirp4netns MTU: slirp4netns on a new guest namespace's tap0
setup_slirp4netns() {
    local mtu=$1 log="$work/slirp4netns-$1.log"
    new_ns
    local guest=$ns
    # Creates tap0 in the guest (10.0.2.100/24, default route via 10.0.2.2) and maps 10.0.2.2 to its own
    # namespace's 127.0.0.1 (host loopback is allowed by default). FAMILY=6: --enable-ipv6, the guest takes an
    # address of fd00::/64 from slirp's Router Advertisement, and fd00::2 is mapped to ::1.
    local v6=()
    [ "$FAMILY" = 4 ] || v6=(--enable-ipv6)
    hx slirp4netns --configure --mtu="$mtu" "${v6[@]}" --netns-type=path "/var/run/netns/$guest" tap0 >"$log" 2>&1 &
    pids+=($!)
    wait_cmd 20 "slirp4netns to configure tap0" sh -c "ip -n $guest addr show tap0 | grep -q 10.0.2.100"
    [ "$FAMILY" = 4 ] || wait_cmd 20 "slirp4netns's Router Advertisement" \
        sh -c "ip -n $guest -6 addr show dev tap0 scope global | grep 'inet6 fd00:' | grep -qv tentative"
    ip -n "$guest" link set tap0 txqueuelen 5000
    guest_ns[slirp4netns]=$guest
    server[slirp4netns]=$(gateway 10.0.2.2 fd00::2)
}

# setup_peer PEER MTU
setup_peer() {
    case $1 in
        userv2_*) setup_userv2 "$2" "$1" ;;
        *) "setup_$1" "$2" ;;
    esac
}

# peer_logs MTU: the first lines that look like trouble in each switch's log
peer_logs() {
    local peer
    for peer in $PEERS; do
        [[ $peer == userv2* ]] && [ -f "$work/$peer-$1.log" ] || continue # COLD: only one peer has run yet
        grep -E "WARN|SEVERE|ERROR|Exception" "$work/$peer-$1.log" | head -5 | sed "s/^/$peer-$1 log: /" >&2 || true
    done
}

# measure_warm MTU: every peer set up at once, each with a guest of its own; the same untimed warm-up for each (a
# JVM compiles its hot paths during the first seconds of traffic); then the runs take turns (run 1 of every peer,
# run 2 of every peer...), so that drift on a shared machine hits every peer alike; then one RR round per peer.
# Appends "PEER-MTU g2h h2g p50 p99 (...)" per peer to $work/results.
measure_warm() {
    local mtu=$1 peer dir rr p50 p99
    local -A rates=()
    for peer in $PEERS; do setup_peer "$peer" "$mtu"; done
    for peer in $PEERS; do
        # reachability first (the rr server takes one connection at a time and shrugs off an empty one)
        reachable "$peer"
        if [ "${WARMUP:-2}" -gt 0 ]; then
            for dir in "" -R; do
                timeout $((${WARMUP:-2} + 30)) ip netns exec "${guest_ns[$peer]}" iperf3 -c "${server[$peer]}" \
                    -p "$IPERF_PORT" -t "${WARMUP:-2}" $dir >/dev/null 2>&1 || echo "$peer-$mtu: warm-up run ${dir:+$dir }failed" >&2
                wait_cmd 15 "the iperf3 server to be idle" sh -c "! ip netns exec $hostns ss -tnH state established '( sport = :$IPERF_PORT )' | grep -q ." || true
            done
        fi
    done
    for dir in "" -R; do
        for rep in $(seq "$REPS"); do
            for peer in $(round_order "$rep" $PEERS); do
                rates[$peer$dir]="${rates[$peer$dir]:-} $(iperf_once "${guest_ns[$peer]}" "${server[$peer]}" $dir)"
            done
        done
    done
    for peer in $PEERS; do
        rr=$(timeout 120 ip netns exec "${guest_ns[$peer]}" "$work/rr" -c "${server[$peer]}" "$RR_PORT" "$RR_N" 200 2>&1) ||
            echo "rr via $peer-$mtu failed: $rr" >&2
        p50=$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$rr")
        p99=$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$rr")
        # shellcheck disable=SC2086 # the rates are words
        echo "$peer-$mtu $(median ${rates[$peer]}) $(median ${rates[$peer-R]}) ${p50:-fail} ${p99:-fail} (g->h:${rates[$peer]}; h->g:${rates[$peer-R]})" |
            tee -a "$work/results" >&2
    done
    teardown
    peer_logs "$mtu"
}

# measure_cold MTU DIR PEER: PEER started afresh, one iperf3 run at once in direction DIR ("" or -R), its rate
# appended to $work/cold-PEER-MTU-g2h or -h2g
measure_cold() {
    local mtu=$1 dir=$2 peer=$3 d=g2h
    [ -z "$dir" ] || d=h2g
    setup_peer "$peer" "$mtu"
    reachable "$peer"
    iperf_once "${guest_ns[$peer]}" "${server[$peer]}" $dir >>"$work/cold-$peer-$mtu-$d"
    teardown
    peer_logs "$mtu"
}

: >"$work/results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for mtu in $MTUS; do
    if [ "${COLD:-0}" != 1 ]; then
        measure_warm "$mtu"
    else
        # peers take turns run by run, so that load on the machine falls on all alike
        for _ in $(seq "$REPS"); do
            for dir in "" -R; do
                for peer in $PEERS; do measure_cold "$mtu" "$dir" "$peer"; done
            done
        done
        for peer in $PEERS; do
            g=$(tr '\n' ' ' <"$work/cold-$peer-$mtu-g2h") h=$(tr '\n' ' ' <"$work/cold-$peer-$mtu-h2g")
            # shellcheck disable=SC2086
            echo "$peer-$mtu $(median $g) $(median $h) - - (first ${DURATION}s after start; g->h: $g; h->g: $h)" | tee -a "$work/results" >&2
        done
    fi
done

echo
[ "$FAMILY" = 4 ] || printf 'IPv6 (to [::1] through each peer'"'"'s gateway address): '
if [ "${COLD:-0}" = 1 ]; then
    echo "guest <-> host TCP through NAT, namespace guest, COLD: iperf3 median of $REPS x the first ${DURATION}s after the peer started (Gbit/s)"
else
    echo "guest <-> host TCP through NAT, namespace guest; iperf3 median of $REPS x ${DURATION}s (Gbit/s); TCP 1-byte RR over $RR_N round trips (us)"
fi
awk -v peers="$PEERS" '
    { split($1, k, "-"); p = k[1]; m = k[2]; fwd[p, m] = $2; rev[p, m] = $3; p50[p, m] = $4; p99[p, m] = $5
      if (!(m in seen)) { seen[m] = 1; order[++n] = m } }
    function ratio(a, b) { return (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) ? sprintf("%.2fx", a / b) : "-" }
    function num(a, f) { return a ~ /^[0-9.]+$/ ? sprintf(f, a) : a }
    END {
        np = split(peers, plist, " ")
        printf "%-6s %-12s %9s %9s %9s %9s | %9s %9s %9s\n", "MTU", "peer", "g->h", "h->g", "RR p50", "RR p99", "g->h/pt", "h->g/pt", "p50/pt"
        for (i = 1; i <= n; i++) {
            m = order[i]
            for (j = 1; j <= np; j++) {
                p = plist[j]
                if (!((p, m) in fwd)) continue
                printf "%-6s %-12s %9s %9s %9s %9s | %9s %9s %9s\n", m, p, num(fwd[p, m], "%.2f"), num(rev[p, m], "%.2f"),
                    num(p50[p, m], "%.1f"), num(p99[p, m], "%.1f"),
                    ratio(fwd[p, m], fwd["passt", m]), ratio(rev[p, m], rev["passt", m]), ratio(p50[p, m], p50["passt", m])
            }
        }
        print "(g->h/h->g in Gbit/s, RR in us; /pt = ratio to passt: throughput higher is better, latency lower is better)"
    }' "$work/results"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs; other load skews these figures)"
