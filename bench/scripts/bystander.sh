#!/usr/bin/env bash
# What one VM's bulk stream costs the other VMs on the LAN: four namespace guests on one switch; C asks D (TCP
# request/response with testtools/rr: 1 byte out, RR_SIZE back) once on a quiet LAN and once while A streams to B
# (iperf3 at full speed). Each switch build or setting is a path of its own, set up side by side:
#   userv2      the switch (the jar given, or switch/target/userv2-switch.jar)
#   userv2-X    the same with USERV2_ARGS_X (and USERV2_JAVA_OPTS_X), or another build from USERV2_JAR_X
# The paths take turns (round 1 of every path, then round 2...), so drift on a shared machine hits all alike. Prints,
# per path, the median over REPS rounds of each round's p50 and p99 (RR_N round trips) quiet and under the stream,
# and the stream's throughput.
#
#   bench/scripts/bystander.sh [path/to/userv2-switch.jar]
#   env: PEERS="userv2" REPS=5 RR_N=2000 RR_SIZE=1 MTU=1500 STREAM_SECONDS=6 USERV2_ARGS="" USERV2_ARGS_X=""
#        USERV2_JAR_X=""
#
# Needs root (namespaces, taps), gcc, iperf3, iproute2, java. Only touches namespaces it creates; cleans up on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=netns-lib.sh
. "$here/netns-lib.sh"
jar=${1:-$repo/switch/target/userv2-switch.jar}
PEERS=${PEERS:-userv2}
REPS=${REPS:-5}
RR_N=${RR_N:-2000}
RR_SIZE=${RR_SIZE:-1}
MTU=${MTU:-1500}
STREAM_SECONDS=${STREAM_SECONDS:-6}
NS_PREFIX=u2b

[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces, tap devices)" >&2; exit 1; }
for peer in $PEERS; do
    case $peer in
        userv2 | userv2-[A-Za-z0-9_]*) ;;
        *) echo "unknown path in PEERS: $peer (userv2, userv2-X)" >&2; exit 1 ;;
    esac
done
[ -f "$jar" ] || { echo "switch jar not found: $jar (run mvn package, or pass its path)" >&2; exit 1; }
for tool in gcc iperf3 ip java; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done

scratch_work u2b
build_testtools tapbridge rr

declare -A streamer rrclient

bridge_to() {
    local log="$work/bridge-$1.log"
    "$work/tapbridge" tap0 "$2" --netns "$1" >"$log" 2>&1 &
    pids+=($!)
    wait_for "$log" "tapbridge: connected" 10
}

# setup PEER N: the switch and four guests 192.168.104.(10N+1..4): A streams to B, C asks D
setup() {
    local peer=$1 n=$2 sock="$work/$1.sock"
    userv2_peer "$peer"
    # shellcheck disable=SC2086
    java $peer_opts -jar "$peer_jar" --listen "$sock" --mtu "$MTU" $peer_args >"$work/$peer.log" 2>&1 &
    pids+=($!)
    wait_for "$work/$peer.log" "listening on" 60
    local guests=() i
    for i in 1 2 3 4; do
        tap_guest "192.168.104.$((10 * n + i))" "$MTU"
        guests+=("$ns")
        bridge_to "$ns" "unix:$sock"
    done
    ip netns exec "${guests[1]}" iperf3 -s -D --pidfile "$work/iperf3-$peer.pid" >/dev/null
    wait_for "$work/iperf3-$peer.pid" "[0-9]" 10
    pids+=("$(cat "$work/iperf3-$peer.pid")")
    ip netns exec "${guests[3]}" "$work/rr" -s 5555 "$RR_SIZE" >"$work/rr-$peer.log" 2>&1 &
    pids+=($!)
    wait_for "$work/rr-$peer.log" "listening" 10
    streamer[$peer]="${guests[0]} 192.168.104.$((10 * n + 2))"
    rrclient[$peer]="${guests[2]} 192.168.104.$((10 * n + 4))"
}

# rr PEER N -> "p50 p99" in µs of N round trips from C to D
rr() {
    local out
    read -r ns ip <<<"${rrclient[$1]}"
    out=$(timeout 120 ip netns exec "$ns" "$work/rr" -c "$ip" 5555 "$2" 200 "$RR_SIZE")
    echo "$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$out") $(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$out")"
}

# loaded PEER -> "p50 p99 gbit": the round trips while A streams to B (the stream starts a second before them and
# lasts STREAM_SECONDS: the round trips must end within it, which the "stream" column's rounds show)
loaded() {
    local ns ip out=$work/stream-$1.txt
    read -r ns ip <<<"${streamer[$1]}"
    ip netns exec "$ns" iperf3 -c "$ip" -t "$STREAM_SECONDS" -f g >"$out" 2>&1 &
    local stream=$!
    sleep 1 # the stream at full speed first
    local result
    result=$(rr "$1" "$RR_N")
    wait "$stream" || { echo "the stream of $1 failed:" >&2; cat "$out" >&2; return 1; }
    echo "$result $(awk '/receiver/ {print $(NF-2)}' "$out" | tail -1)"
}

median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

declare -A q50 q99 l50 l99 gb
n=0
for peer in $PEERS; do n=$((n + 1)); setup "$peer" "$n"; done
for peer in $PEERS; do rr "$peer" 200 >/dev/null; done
for rep in $(seq "$REPS"); do
    for peer in $PEERS; do
        read -r a b < <(rr "$peer" "$RR_N")
        q50[$peer]="${q50[$peer]:-} $a"; q99[$peer]="${q99[$peer]:-} $b"
        read -r a b c < <(loaded "$peer")
        l50[$peer]="${l50[$peer]:-} $a"; l99[$peer]="${l99[$peer]:-} $b"; gb[$peer]="${gb[$peer]:-} ${c:-0}"
    done
    echo "round $rep/$REPS done" >&2
done

echo
echo "bystander: C asks D (1 byte out, $RR_SIZE back, $RR_N round trips) on a quiet LAN and while A streams to B;" \
    "MTU $MTU; medians of $REPS rounds; paths took turns"
printf "%-14s %10s %10s %12s %12s %10s %14s\n" path "quiet p50" "quiet p99" "stream p50" "stream p99" "stream" "p50 stream/quiet"
for peer in $PEERS; do
    # shellcheck disable=SC2086
    qp50=$(median ${q50[$peer]}); qp99=$(median ${q99[$peer]}); lp50=$(median ${l50[$peer]}); lp99=$(median ${l99[$peer]})
    # shellcheck disable=SC2086
    g=$(median ${gb[$peer]})
    printf "%-14s %8.1fus %8.1fus %10.1fus %10.1fus %6.2fGb/s %13.2fx\n" "$peer" "$qp50" "$qp99" "$lp50" "$lp99" "$g" \
        "$(awk -v a="$lp50" -v b="$qp50" 'BEGIN { print (b > 0 ? a / b : 0) }')"
    echo "  $peer rounds: quiet p50:${q50[$peer]} stream p50:${l50[$peer]} stream Gbit/s:${gb[$peer]}"
done
