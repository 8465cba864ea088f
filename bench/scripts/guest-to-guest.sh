#!/usr/bin/env bash
# Guest-to-guest TCP throughput (iperf3, median of REPS runs of DURATION s) and 1-byte TCP request/response
# latency (testtools/rr, p50 and p99 over RR_N round trips) between two namespace guests, at MTU 1500 and
# 65520, (i) through userv2 and (ii) over the direct wire (two tapbridges joined by one socket: the ceiling).
# Prints a table and the ratios userv2/wire.
#
#   bench/scripts/guest-to-guest.sh [path/to/userv2-switch.jar]
#   env: DURATION=3 REPS=3 RR_N=2000 MTUS="1500 65520" USERV2_ARGS="" (more switch options) USERV2_JAVA_OPTS=""
#
# Needs root (namespaces, taps), gcc, iperf3, iproute2, java. Only touches namespaces it creates; cleans up on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=netns-lib.sh
. "$here/netns-lib.sh" # wait_for (its own bridge and teardown below keep their --listen and process handling)
jar=${1:-$repo/switch/target/userv2-switch.jar}
DURATION=${DURATION:-3}
REPS=${REPS:-3}
RR_N=${RR_N:-2000}
MTUS=${MTUS:-1500 65520}

[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces, tap devices)" >&2; exit 1; }
[ -f "$jar" ] || { echo "switch jar not found: $jar (run mvn package, or pass its path)" >&2; exit 1; }
for tool in gcc iperf3 ip java; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done

work=$(mktemp -d /tmp/u2b-XXXXXX)
namespaces=()
pids=()

cleanup() {
    set +e
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    for ns in "${namespaces[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -Wall -pthread -o "$work/tapbridge" "$repo/testtools/tapbridge.c"
gcc -O2 -Wall -o "$work/rr" "$repo/testtools/rr.c"


# new_guest IP MTU -> sets $ns
new_guest() {
    ns="u2b-$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    ip netns add "$ns"
    namespaces+=("$ns")
    ip -n "$ns" tuntap add dev tap0 mode tap
    ip -n "$ns" link set tap0 mtu "$2" txqueuelen 5000
    ip -n "$ns" addr add "$1/24" dev tap0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set tap0 up
}

# bridge NS SOCKSPEC [--listen] (background, logged)
bridge() {
    local log="$work/bridge-$1.log"
    "$work/tapbridge" tap0 "$2" --netns "$1" ${3:-} >"$log" 2>&1 &
    pids+=($!)
    wait_for "$log" "tapbridge: (listening|connected)" 10
}

stop_pids() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    pids=()
}

teardown() {
    stop_pids
    for ns in "${namespaces[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    namespaces=()
}

# measure LABEL -> appends "LABEL gbit rr_p50 rr_p99" to $work/results
measure() {
    local a=$1 b=$2 label=$3 rates=()
    ip netns exec "$b" iperf3 -s -D --pidfile "$work/iperf3-$b.pid" >/dev/null
    wait_for "$work/iperf3-$b.pid" "[0-9]" 10
    pids+=("$(cat "$work/iperf3-$b.pid")")
    local deadline=$((SECONDS + 10))
    until ip netns exec "$b" ss -ltnH 'sport = :5201' | grep -q .; do
        [ $SECONDS -lt $deadline ] || { echo "iperf3 server did not listen" >&2; return 1; }
        sleep 0.05
    done
    for _ in $(seq "$REPS"); do
        local out
        out=$(timeout $((DURATION + 30)) ip netns exec "$a" iperf3 -c 192.168.104.11 -t "$DURATION" -f g)
        rates+=("$(awk '/receiver/ {print $(NF-2)}' <<<"$out")")
    done
    local median
    median=$(printf '%s\n' "${rates[@]}" | sort -g | sed -n "$(((REPS + 1) / 2))p")
    ip netns exec "$b" "$work/rr" -s 5555 >"$work/rr-$b.log" 2>&1 &
    pids+=($!)
    wait_for "$work/rr-$b.log" "listening" 10
    local rr
    rr=$(timeout 120 ip netns exec "$a" "$work/rr" -c 192.168.104.11 5555 "$RR_N" 200)
    local p50 p99
    p50=$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' <<<"$rr")
    p99=$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' <<<"$rr")
    echo "$label $median $p50 $p99 (runs: ${rates[*]})" | tee -a "$work/results" >&2
}

run_wire() {
    local mtu=$1 a b
    new_guest 192.168.104.10 "$mtu"; a=$ns
    new_guest 192.168.104.11 "$mtu"; b=$ns
    bridge "$a" "unix:$work/wire.sock" --listen
    bridge "$b" "unix:$work/wire.sock"
    measure "$a" "$b" "wire-$mtu"
    teardown
    rm -f "$work/wire.sock"
}

run_userv2() {
    local mtu=$1 a b
    # shellcheck disable=SC2086
    java ${USERV2_JAVA_OPTS:-} -jar "$jar" --listen "$work/sw.sock" --mtu "$mtu" ${USERV2_ARGS:-} >"$work/switch-$mtu.log" 2>&1 &
    pids+=($!)
    wait_for "$work/switch-$mtu.log" "listening on" 60
    new_guest 192.168.104.10 "$mtu"; a=$ns
    new_guest 192.168.104.11 "$mtu"; b=$ns
    bridge "$a" "unix:$work/sw.sock"
    bridge "$b" "unix:$work/sw.sock"
    measure "$a" "$b" "userv2-$mtu"
    teardown
}

: >"$work/results"
for mtu in $MTUS; do
    run_wire "$mtu"
    run_userv2 "$mtu"
done

echo
echo "guest -> guest, two namespace guests, iperf3 median of $REPS x ${DURATION}s; TCP 1-byte RR over $RR_N round trips"
awk '
    { split($1, k, "-"); mode = k[1]; mtu = k[2]; g[mode, mtu] = $2; p50[mode, mtu] = $3; p99[mode, mtu] = $4; if (!(mtu in seen)) { seen[mtu] = 1; order[++n] = mtu } }
    END {
        printf "%-7s %-8s %12s %12s %12s\n", "MTU", "path", "Gbit/s", "RR p50 us", "RR p99 us"
        for (i = 1; i <= n; i++) {
            m = order[i]
            printf "%-7s %-8s %12.2f %12.1f %12.1f\n", m, "wire", g["wire", m], p50["wire", m], p99["wire", m]
            printf "%-7s %-8s %12.2f %12.1f %12.1f\n", m, "userv2", g["userv2", m], p50["userv2", m], p99["userv2", m]
            printf "%-7s %-8s %11.2fx %11.2fx %11.2fx\n", m, "ratio", \
                g["wire", m] ? g["userv2", m] / g["wire", m] : 0, \
                p50["wire", m] ? p50["userv2", m] / p50["wire", m] : 0, \
                p99["wire", m] ? p99["userv2", m] / p99["wire", m] : 0
        }
        print "(ratio = userv2 / wire: throughput higher is better, latency lower is better)"
    }' "$work/results"
