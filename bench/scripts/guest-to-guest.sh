#!/usr/bin/env bash
# Guest-to-guest TCP throughput (iperf3) and TCP request/response latency (testtools/rr: 1 byte out, RR_SIZE bytes
# back, 1 by default; 4096 gives answers that look like bulk data to a switch) between two
# namespace guests, at MTU 1500 and 65520, over several paths side by side:
#   wire        two tapbridges joined by one socket, no process between them: the ceiling
#   wire-busy   the same wire with testtools/busy running during its turns: a process that spins and sleeps as a
#               switch's loop would and is not in the guests' path at all, so what it costs the wire is what sharing
#               the machine's CPUs with one more busy process costs; optional
#   relay       testtools/relay between the two tapbridges: one extra process that copies bytes and nothing else,
#               the floor of any switch that runs as a process of its own
#   relay-spin  the same relay polling without ever sleeping (one core at 100%); optional
#   relay-splice the same relay moving bytes with splice(2), copying nothing itself: the floor of a zero-copy
#               switch; optional
#   relay-frames the same relay passing on only whole frames (store and forward, as a switch must; the plain relay
#               passes bytes on as they come); optional
#   userv2      the switch (the jar given, or switch/target/userv2-switch.jar)
#   userv2-X    the same switch with more options, from USERV2_ARGS_X (and JVM options from USERV2_JAVA_OPTS_X),
#               to compare settings side by side in one run (X: letters, digits, _); USERV2_JAR_X runs another
#               build of the switch as that path (an A/B of two builds)
# Every path is set up first; each gets the same untimed warm-up; then the measured runs take turns (run 1 of every
# path, then run 2 of every path..., in reverse order every other round: round_order), so drift on a shared machine
# and a path's place in the round hit every path alike. Throughput is the median of REPS iperf3 runs of DURATION s;
# latency is the median over REPS rounds of RR_N round trips of each round's p50/p99.
# Prints a table with the ratios path/wire.
#
#   bench/scripts/guest-to-guest.sh [path/to/userv2-switch.jar]
#   env: PEERS="wire relay userv2" DURATION=3 REPS=3 WARMUP=2 RR_N=2000 RR_SIZE=1 MTUS="1500 65520"
#        USERV2_ARGS="" (more switch options) USERV2_JAVA_OPTS="" USERV2_ARGS_X="" USERV2_JAVA_OPTS_X=""
#        USERV2_WRAP="" USERV2_WRAP_X="" (a command the switch runs under, e.g. "chrt -b 0" or "nice -n 10")
#        TAPBRIDGE_ARGS="" (more tapbridge options for every guest, e.g. --blocking-read, its older way of reading)
#        BUSY="" (wire-busy's busy options, SPIN_US SLEEP_US; its default 30 60)
#        CC="" (the sender's TCP congestion control, e.g. cubic, set per connection with iperf3 -C: a namespace
#        guest otherwise uses the host's default, which may be bbr, where a VM would use its own kernel's)
#
# Needs root (namespaces, taps), gcc, iperf3, iproute2, java. Only touches namespaces it creates; cleans up on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=netns-lib.sh
. "$here/netns-lib.sh"
jar=${1:-$repo/switch/target/userv2-switch.jar}
PEERS=${PEERS:-wire relay userv2}
DURATION=${DURATION:-3}
REPS=${REPS:-3}
WARMUP=${WARMUP:-2}
RR_N=${RR_N:-2000}
RR_SIZE=${RR_SIZE:-1}
MTUS=${MTUS:-1500 65520}
NS_PREFIX=u2g

[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces, tap devices)" >&2; exit 1; }
for peer in $PEERS; do
    case $peer in
        wire | wire-busy | relay | relay-spin | relay-splice | relay-frames) ;;
        userv2 | userv2-[A-Za-z0-9_]*)
            [ -f "$jar" ] || { echo "switch jar not found: $jar (run mvn package, or pass its path)" >&2; exit 1; } ;;
        *) echo "unknown path in PEERS: $peer (wire, wire-busy, relay, relay-spin, relay-splice, relay-frames, userv2, userv2-X)" >&2; exit 1 ;;
    esac
done
[[ " $PEERS " == *" wire "* ]] || { echo "PEERS must include wire (the ratios are against it)" >&2; exit 1; }
for tool in gcc iperf3 ip java; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done

scratch_work u2g
build_testtools tapbridge rr relay busy

declare -A client server paused

# bridge_to NS SOCKSPEC [--listen]: a tapbridge between the namespace's tap0 and SOCKSPEC (background, logged)
bridge_to() {
    local log="$work/bridge-$1.log"
    "$work/tapbridge" tap0 "$2" --netns "$1" ${3:-} ${TAPBRIDGE_ARGS:-} >"$log" 2>&1 &
    pids+=($!)
    wait_for "$log" "tapbridge: (listening|connected)" 10
}

# setup PEER MTU: two guests joined by PEER's path, with an iperf3 server and an rr server in the second
setup() {
    local peer=$1 mtu=$2 a b sock="$work/$1.sock"
    tap_guest 192.168.104.10 "$mtu"; a=$ns
    tap_guest 192.168.104.11 "$mtu"; b=$ns
    case $peer in
        wire | wire-busy)
            bridge_to "$a" "unix:$sock" --listen
            if [ "$peer" = wire-busy ]; then
                # shellcheck disable=SC2086
                "$work/busy" ${BUSY:-} >"$work/busy.log" 2>&1 &
                paused[$peer]=$!
                pids+=($!)
                wait_for "$work/busy.log" "busy: running" 10
            fi
            ;;
        relay | relay-spin | relay-splice | relay-frames)
            "$work/relay" "$sock" $([ "$peer" = relay ] || echo "-${peer#relay}") >"$work/$peer.log" 2>&1 &
            pids+=($!)
            wait_for "$work/$peer.log" "relay: listening" 10
            bridge_to "$a" "unix:$sock"
            ;;
        userv2 | userv2-*)
            userv2_peer "$peer"
            # shellcheck disable=SC2086
            $peer_wrap java $peer_opts -jar "$peer_jar" --listen "$sock" --mtu "$mtu" $peer_args >"$work/$peer-$mtu.log" 2>&1 &
            pids+=($!)
            wait_for "$work/$peer-$mtu.log" "listening on" 60
            bridge_to "$a" "unix:$sock"
            ;;
    esac
    bridge_to "$b" "unix:$sock"
    if [ "$peer" = relay-spin ]; then
        paused[$peer]=$(pgrep -f "^$work/relay $sock --spin")
    fi
    ip netns exec "$b" iperf3 -s -D --pidfile "$work/iperf3-$b.pid" >/dev/null
    wait_for "$work/iperf3-$b.pid" "[0-9]" 10
    pids+=("$(cat "$work/iperf3-$b.pid")")
    wait_cmd 10 "iperf3 to listen in $b" sh -c "ip netns exec $b ss -ltnH 'sport = :5201' | grep -q ."
    ip netns exec "$b" "$work/rr" -s 5555 "$RR_SIZE" >"$work/rr-$b.log" 2>&1 &
    pids+=($!)
    wait_for "$work/rr-$b.log" "listening" 10
    client[$peer]=$a
    server[$peer]=$b
    pause "$peer"
}

# A spinning path (relay-spin, wire-busy's busy) would take CPU from the others' turns: it is stopped (SIGSTOP) outside
# its own.
pause() { [ -z "${paused[$1]:-}" ] || kill -STOP "${paused[$1]}"; }
resume() { [ -z "${paused[$1]:-}" ] || kill -CONT "${paused[$1]}"; }

# iperf PEER SECONDS -> prints the receiver's Gbit/s
iperf() {
    resume "$1"
    local out
    out=$(timeout $(($2 + 30)) ip netns exec "${client[$1]}" iperf3 -c 192.168.104.11 -t "$2" -f g ${CC:+-C "$CC"})
    pause "$1"
    awk '/receiver/ {print $(NF-2)}' <<<"$out"
}

# rr PEER N -> prints "p50 p99" in µs
rr() {
    resume "$1"
    local out
    out=$(timeout 120 ip netns exec "${client[$1]}" "$work/rr" -c 192.168.104.11 5555 "$2" 200 "$RR_SIZE")
    pause "$1"
    echo "$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$out") $(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$out")"
}

median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

: >"$work/results"
for mtu in $MTUS; do
    declare -A rates=() p50s=() p99s=()
    for peer in $PEERS; do setup "$peer" "$mtu"; done
    for peer in $PEERS; do
        [ "$WARMUP" -gt 0 ] && iperf "$peer" "$WARMUP" >/dev/null
        rr "$peer" 200 >/dev/null
    done
    for rep in $(seq "$REPS"); do
        order=$(round_order "$rep" $PEERS)
        for peer in $order; do
            rates[$peer]="${rates[$peer]:-} $(iperf "$peer" "$DURATION")"
        done
        for peer in $order; do
            read -r p50 p99 < <(rr "$peer" "$RR_N")
            p50s[$peer]="${p50s[$peer]:-} $p50"
            p99s[$peer]="${p99s[$peer]:-} $p99"
        done
        echo "MTU $mtu round $rep/$REPS done" >&2
    done
    for peer in $PEERS; do
        # shellcheck disable=SC2086
        echo "$peer $mtu $(median ${rates[$peer]}) $(median ${p50s[$peer]}) $(median ${p99s[$peer]}) runs:${rates[$peer]}" \
            "p50s:${p50s[$peer]}" \
            | tee -a "$work/results" >&2
    done
    for peer in $PEERS; do resume "$peer"; done
    paused=()
    teardown
done

echo
echo "guest -> guest, two namespace guests; iperf3 median of $REPS x ${DURATION}s after ${WARMUP}s of warm-up;" \
    "TCP RR (1 byte out, $RR_SIZE back), median over $REPS rounds of $RR_N round trips; paths took turns, in reverse every other round"
awk -v peers="$PEERS" '
    { g[$1, $2] = $3; p50[$1, $2] = $4; p99[$1, $2] = $5; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
    END {
        np = split(peers, p, " ")
        printf "%-7s %-18s %12s %12s %12s\n", "MTU", "path", "Gbit/s", "RR p50 us", "RR p99 us"
        for (i = 1; i <= n; i++) {
            m = order[i]
            for (j = 1; j <= np; j++) printf "%-7s %-18s %12.2f %12.1f %12.1f\n", m, p[j], g[p[j], m], p50[p[j], m], p99[p[j], m]
            for (j = 1; j <= np; j++) {
                if (p[j] == "wire") continue
                printf "%-7s %-18s %11.2fx %11.2fx %11.2fx\n", m, p[j] " / wire", \
                    g["wire", m] ? g[p[j], m] / g["wire", m] : 0, \
                    p50["wire", m] ? p50[p[j], m] / p50["wire", m] : 0, \
                    p99["wire", m] ? p99[p[j], m] / p99["wire", m] : 0
            }
        }
        print "(ratio = path / wire: throughput higher is better, latency lower is better)"
    }' "$work/results"
