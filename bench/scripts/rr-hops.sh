#!/usr/bin/env bash
# Where a request/response round trip between two namespace guests spends its time, hop by hop: while testtools/rr
# runs 1-byte round trips from guest A to guest B, perf records the system calls of the two guests' tapbridges and of
# the process between them (the switch's event-loop thread, or testtools/relay) for TRACE_SECONDS, and the script
# prints, for each direction, the time from the sending tapbridge's writev to the receiving tapbridge's read of the
# frame (the hop), and for a process in the middle what that hop is made of:
#   detect    sending tapbridge's writev entered -> the middle's read returned the frame (polling or a wake-up)
#   switch    that read returned -> the middle's write entered (its own work on the frame)
#   write     the middle's write, entry to return (in the kernel: the copy, waking the receiver)
#   wake      the middle's write returned -> the receiving tapbridge's read returned (the receiver's wake-up)
#   on-cpu    how often the receiving tapbridge read on the CPU the middle wrote from (a same-CPU hand-off)
# Tracing slows every system call, so the hops come out longer than untraced; compare paths within one run.
#
#   bench/scripts/rr-hops.sh [path/to/userv2-switch.jar]
#   env: PEERS="wire userv2" (also: relay) MTU=1500 TRACE_SECONDS=0.5 USERV2_ARGS="" (more switch options)
#        TAPBRIDGE_ARGS="" (more tapbridge options for every guest, e.g. --blocking-read, its older way of reading)
#
# Needs root (namespaces, taps), perf (Debian: linux-perf), gcc, iproute2, java. Traffic stays between the two
# namespaces it creates; cleans up on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=netns-lib.sh
. "$here/netns-lib.sh"
jar=${1:-$repo/switch/target/userv2-switch.jar}
PEERS=${PEERS:-wire userv2}
MTU=${MTU:-1500}
TRACE_SECONDS=${TRACE_SECONDS:-0.5}
NS_PREFIX=u2h

[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces, tap devices, perf)" >&2; exit 1; }
for tool in gcc ip java perf; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done
for peer in $PEERS; do
    case $peer in
        wire | relay) ;;
        userv2) [ -f "$jar" ] || { echo "switch jar not found: $jar" >&2; exit 1; } ;;
        *) echo "unknown path in PEERS: $peer (wire, relay, userv2)" >&2; exit 1 ;;
    esac
done

scratch_work u2h
build_testtools tapbridge rr relay

# bridge_to NS SOCKSPEC [--listen]: a tapbridge between the namespace's tap0 and SOCKSPEC; sets bridge_pid
bridge_to() {
    local log="$work/bridge-$1.log"
    "$work/tapbridge" tap0 "$2" --netns "$1" ${3:-} ${TAPBRIDGE_ARGS:-} >"$log" 2>&1 &
    pids+=($!)
    bridge_pid=$!
    wait_for "$log" "tapbridge: (listening|connected)" 10
}

# tids PID [THREAD-NAME]: the process's thread ids (only the one named THREAD-NAME, if given), comma-separated
tids() {
    local t out=()
    for t in /proc/"$1"/task/*; do
        [ -z "${2:-}" ] || [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ] && out+=("${t##*/}")
    done
    (IFS=,; echo "${out[*]}")
}

# summarize PEER RR-OUTPUT: the percentiles of each direction's measures (stdin: rr-hops.awk's lines)
summarize() {
    echo "$1 (rr while traced: $(sed -n 's/.*\(p50_us=[0-9.]*\).*/\1/p' <<<"$2"))"
    sort -k1,1 -k2,2n -k4,4g | awk '
        function flush() {
            if (!n) return
            if (name == "on-cpu") printf "  %s %-7s %3.0f%% of %d hops\n", dir, name, sum / n, n
            else printf "  %s %-7s p50 %6.1f  p90 %6.1f  mean %6.1f\n", dir, name, v[int((n - 1) * 0.5) + 1],
                v[int((n - 1) * 0.9) + 1], sum / n
        }
        $1 != dir || $3 != name { flush(); dir = $1; name = $3; n = 0; sum = 0 }
        { v[++n] = $4; sum += $4 }
        END { flush() }'
}

# hops PEER: set up the path, run rr under the trace, print the breakdown
hops() {
    local peer=$1 sock="$work/$1.sock" a b pa pb pm=0 middle_tids="" rr_pid
    tap_guest 192.168.104.10 "$MTU"; a=$ns
    tap_guest 192.168.104.11 "$MTU"; b=$ns
    case $peer in
        wire)
            bridge_to "$a" "unix:$sock" --listen; pa=$bridge_pid
            ;;
        relay)
            "$work/relay" "$sock" >"$work/relay.log" 2>&1 &
            pids+=($!); pm=$!
            wait_for "$work/relay.log" "relay: listening" 10
            bridge_to "$a" "unix:$sock"; pa=$bridge_pid
            ;;
        userv2)
            # shellcheck disable=SC2086
            java -jar "$jar" --listen "$sock" --mtu "$MTU" ${USERV2_ARGS:-} >"$work/userv2.log" 2>&1 &
            pids+=($!); pm=$!
            wait_for "$work/userv2.log" "listening on" 60
            bridge_to "$a" "unix:$sock"; pa=$bridge_pid
            ;;
    esac
    bridge_to "$b" "unix:$sock"; pb=$bridge_pid
    ip netns exec "$b" "$work/rr" -s 5555 1 >"$work/rr-s.log" 2>&1 &
    pids+=($!)
    wait_for "$work/rr-s.log" "listening" 10
    # Warm the path (the switch's JIT included), then trace the middle of a long run, bounded in count and time.
    ip netns exec "$a" "$work/rr" -c 192.168.104.11 5555 20000 200 1 >/dev/null
    timeout 60 ip netns exec "$a" "$work/rr" -c 192.168.104.11 5555 20000 200 1 >"$work/rr-c.log" 2>&1 &
    rr_pid=$!
    sleep 1
    case $peer in
        userv2) middle_tids=,$(tids "$pm" userv2-loop) ;;
        relay) middle_tids=,$(tids "$pm") ;;
    esac
    perf record -q -o "$work/$peer.data" \
        -e raw_syscalls:sys_enter --filter 'id == 1 || id == 7 || id == 20' \
        -e raw_syscalls:sys_exit --filter 'id == 0 || id == 1 || id == 20' \
        -t "$(tids "$pa"),$(tids "$pb")$middle_tids" -- sleep "$TRACE_SECONDS" >/dev/null 2>&1
    wait "$rr_pid" || true
    perf script -i "$work/$peer.data" -F pid,tid,cpu,time,event,trace 2>/dev/null \
        | awk -v A="$pa" -v B="$pb" -v M="$pm" -f "$here/rr-hops.awk" | summarize "$peer" "$(cat "$work/rr-c.log")"
    teardown
}

echo "request/response hops, MTU $MTU, 1-byte round trips, $TRACE_SECONDS s traced (us; traced calls run slower)"
for peer in $PEERS; do hops "$peer"; done
