#!/usr/bin/env bash
# Memory (resident set) of userv2 and of passt side by side, in one run: RSS sampled from /proc/PID/status
# (VmRSS, and the kernel's own peak VmHWM) every 100 ms while each peer goes through
#   nat-MTU  (MTU 1500 and 65520, as nat-vs-passt.sh runs them) start, IDLE s idle (the figure "idle"), one namespace guest running
#            iperf3 guest->host then host->guest through the NAT (WARMUP + DURATION s each way), AFTER s idle
#   mixed    (MTU 1500) start, IDLE s idle, three namespace guests at once for MIX_DURATION s: guest 1 iperf3
#            guest->host with 4 streams, guest 2 iperf3 host->guest, guest 3 iperf3 to guest 2 (guest-to-guest),
#            and every guest asking the gateway's DNS (dig) in a loop; then AFTER s idle
# userv2 is one process for all the guests of a scenario (started as plain `java -jar`, nothing else on its
# command line but what nat-vs-passt.sh gives it); passt is one process per guest, as nat-vs-passt.sh runs it,
# and its figures are the sum over its processes. passt cannot join two guests: in the mixed load its guest 3
# sends its iperf3 stream to the host instead, and its DNS queries find no server (passt maps the gateway to the
# host's 127.0.0.1, where nothing answers port 53); userv2 answers them itself (host.lima.internal) or fails them
# fast (the upstream is a closed port). gvproxy (PEERS="... gvproxy", GVPROXY=path; not packaged in Debian: build
# it from gvisor-tap-vsock's vendored source with Debian's golang-go) is, like passt, one process per guest (its
# QEMU listener takes one connection; guest 3 goes to the host), on a LAN of its own (192.168.127.0/24, the host at
# .254, its DNS at .1, which forwards to the empty resolv.conf of the host namespace: nowhere).
# Prints one table: idle RSS, peak RSS during the load (sampled, and VmHWM), RSS AFTER s after the load ended, and
# how long after the load it first fell under UNDER_MB.
#
#   bench/scripts/memory.sh [path/to/userv2-switch.jar]
#   env: PEERS="userv2 passt" SCENARIOS="nat-1500 nat-65520 mixed" IDLE=10 WARMUP=2 DURATION=10 MIX_DURATION=20
#        AFTER=60 UNDER_MB=96 JAVA=java GVPROXY=gvproxy EXTRA_ARGS="" (more switch options, e.g. --api PATH)
#        TRACE_DIR=DIR (keep the raw samples: one line "epoch_s rss_kB hwm_kB" per 100 ms, per peer and scenario)
#
# Network safety (as nat-vs-passt.sh): the "host" side (the switch, passt, the iperf3 servers) runs in a namespace
# of its own holding only lo and a veth pair whose default route leads nowhere, with an empty resolv.conf; the
# guests are namespaces with a tap each. Every load is bounded in time (timeout). Needs root, gcc, iperf3, iproute2,
# java, passt, dig. Only touches namespaces it creates; cleans up on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=netns-lib.sh
. "$here/netns-lib.sh"
jar=${1:-$repo/switch/target/userv2-switch.jar}
PEERS=${PEERS:-userv2 passt}
SCENARIOS=${SCENARIOS:-nat-1500 nat-65520 mixed}
IDLE=${IDLE:-10}
WARMUP=${WARMUP:-2}
DURATION=${DURATION:-10}
MIX_DURATION=${MIX_DURATION:-20}
AFTER=${AFTER:-60}
UNDER_MB=${UNDER_MB:-96}
JAVA=${JAVA:-java}
GVPROXY=${GVPROXY:-gvproxy}
EXTRA_ARGS=${EXTRA_ARGS:-}
IPERF_PORTS=(5201 5202 5203)
G2G_PORT=5301

[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces, tap devices)" >&2; exit 1; }
[[ " $PEERS " != *" userv2 "* ]] || [ -f "$jar" ] || { echo "switch jar not found: $jar (run mvn package, or pass its path)" >&2; exit 1; }
for tool in gcc iperf3 ip dig timeout "$JAVA"; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done
[[ " $PEERS " != *" passt "* ]] || command -v passt >/dev/null || { echo "missing passt" >&2; exit 1; }
[[ " $PEERS " != *" gvproxy "* ]] || command -v "$GVPROXY" >/dev/null || { echo "missing gvproxy (GVPROXY=path)" >&2; exit 1; }

work=$(mktemp -d /tmp/u2m-XXXXXX)
chmod 711 "$work" # passt drops to "nobody" before binding: a directory of its own, under one nobody may traverse
install -d -o nobody -m 700 "$work/passt"
namespaces=()
NS_PREFIX=u2m
pids=()      # per-scenario processes (peers, bridges, loads)
host_pids=() # the iperf3 servers, for the whole run
sampler=

cleanup() {
    [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
    cleanup_all
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -Wall -pthread -o "$work/tapbridge" "$repo/testtools/tapbridge.c"

# The host side (see netns-lib.sh).
host_namespace u2m
hx() { ip netns exec "$hostns" "$@"; }

for port in "${IPERF_PORTS[@]}"; do
    hx iperf3 -s -B 127.0.0.1 -p "$port" -D --pidfile "$work/iperf3-$port.pid" >/dev/null
    wait_for "$work/iperf3-$port.pid" "[0-9]" 10
    host_pids+=("$(cat "$work/iperf3-$port.pid")")
    wait_cmd 10 "iperf3 to listen on $port" sh -c "ip netns exec $hostns ss -ltnH 'sport = :$port' | grep -q 127.0.0.1"
done

# DNS queries for dig -f, one file per DNS server: names the gateway answers itself and names it forwards (to a
# closed port, or to nothing: they fail fast).
for dns in 192.168.104.2 192.168.127.1; do
    for _ in $(seq 200); do
        echo "@$dns +tries=1 +time=1 host.lima.internal A"
        echo "@$dns +tries=1 +time=1 absent.test A"
        echo "@$dns +tries=1 +time=1 +tcp host.lima.internal A"
    done >"$work/queries-$dns"
done



# sample OUT PID...: every 100 ms one line "epoch_s sum_of_VmRSS_kB sum_of_VmHWM_kB" until every PID is gone.
# Builtins only (no fork per sample); the 100 ms wait is a read with a timeout on a pipe nobody writes.
sample() {
    local out=$1 p k v rss hwm alive sfd
    shift
    exec {sfd}<> <(:)
    while :; do
        rss=0 hwm=0 alive=0
        for p in "$@"; do
            [ -r "/proc/$p/status" ] || continue
            while read -r k v _; do
                case $k in VmRSS:) rss=$((rss + v)) alive=1 ;; VmHWM:) hwm=$((hwm + v)) ;; esac
            done <"/proc/$p/status" 2>/dev/null || true
        done
        [ $alive -eq 1 ] || break
        echo "$EPOCHREALTIME $rss $hwm"
        read -t 0.1 -u "$sfd" _ || true
    done >>"$out"
}

mark() { echo "$1 $EPOCHREALTIME" >>"$work/marks"; }

wait_idle_servers() {
    wait_cmd 15 "the iperf3 servers to be idle" sh -c "! ip netns exec $hostns ss -tnH state established '( sport = :5201 or sport = :5202 or sport = :5203 )' | grep -q ." ||
        echo "iperf3 servers still busy; running anyway" >&2
}

iperf() { # NS SERVER PORT SECONDS [ARGS...]: one bounded iperf3 run, its receiver rate on stderr
    local ns=$1 server=$2 port=$3 secs=$4 out
    shift 4
    if out=$(timeout $((secs + 30)) ip netns exec "$ns" iperf3 -c "$server" -p "$port" -t "$secs" -f g "$@" 2>&1); then
        echo "  iperf3 $* -> $server:$port: $(awk '/receiver/ {print $(NF-2), $(NF-1)}' <<<"$out" | tail -1)" >&2
    else
        echo "  iperf3 $* -> $server:$port failed: $(tail -2 <<<"$out" | tr '\n' ' ')" >&2
    fi
}

# start_peer PEER MTU GUESTS -> sets $peer_pids (what to sample) and $socks (one socket per guest)
start_peer() {
    local peer=$1 mtu=$2 guests=$3 i
    peer_pids=() socks=()
    case $peer in
    userv2)
        # shellcheck disable=SC2086
        # not through hx (a function: $! would be its subshell); ip netns exec execs java, so $! is the JVM
        ip netns exec "$hostns" "$JAVA" -jar "$jar" --listen "$work/sw.sock" --mtu "$mtu" --no-outside \
            --host-resolver hosts --dns-upstream 127.0.0.1:1 $EXTRA_ARGS >"$work/switch-$mtu.log" 2>&1 &
        pids+=($!)
        peer_pids=($!)
        wait_for "$work/switch-$mtu.log" "listening on" 60
        for ((i = 0; i < guests; i++)); do socks+=("$work/sw.sock"); done
        ;;
    gvproxy)
        # one process per guest, as podman runs it (its QEMU listener takes one connection); each its own LAN
        # 192.168.127.0/24, the host (127.0.0.1 of its namespace) at 192.168.127.254, DNS at 192.168.127.1
        # (forwarding to the host namespace's empty resolv.conf: nowhere). The SSH forwards (-ssh-port) listen
        # inside the host namespace.
        for ((i = 0; i < guests; i++)); do
            ip netns exec "$hostns" "$GVPROXY" -listen-qemu "unix://$work/gv$i.sock" -mtu "$mtu" -ssh-port $((2222 + i)) \
                >"$work/gvproxy-$mtu-$i.log" 2>&1 &
            pids+=($!)
            peer_pids+=($!)
            wait_cmd 20 "gvproxy's socket" test -S "$work/gv$i.sock"
            socks+=("$work/gv$i.sock")
        done
        ;;
    passt)
        for ((i = 0; i < guests; i++)); do
            ip netns exec "$hostns" passt -f -e -4 --socket "$work/passt/p$i.sock" -P "$work/passt/p$i.pid" --mtu "$mtu" --no-dhcpv6 --no-ndp \
                --no-ra -t none -u none -a "192.168.104.$((3 + i))" -n 24 -g 192.168.104.2 --no-dhcp-dns --no-dhcp-search \
                >"$work/passt-$mtu-$i.log" 2>&1 &
            pids+=($!)
            wait_cmd 20 "passt's socket" test -S "$work/passt/p$i.sock"
            # passt forks into a PID namespace of its own: the process that serves is the one in its pid file
            wait_for "$work/passt/p$i.pid" "[0-9]" 10
            pids+=("$(cat "$work/passt/p$i.pid")")
            peer_pids+=("$(cat "$work/passt/p$i.pid")")
            socks+=("$work/passt/p$i.sock")
        done
        ;;
    esac
}

# run PEER SCENARIO: one process set from start to AFTER s past the load; samples in $work/samples-PEER-SCENARIO
run() {
    local peer=$1 scen=$2 mtu guests key=$1-$2 g i
    case $scen in nat-*) mtu=${scen#nat-} guests=1 ;; mixed) mtu=1500 guests=3 ;; *) echo "unknown scenario $scen" >&2; exit 1 ;; esac
    echo "$key: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    # the guests' LAN, the address that reaches the host's iperf3 servers, and the DNS server
    local lan=192.168.104 host=192.168.104.2 dns=192.168.104.2
    [ "$peer" != gvproxy ] || { lan=192.168.127 host=192.168.127.254 dns=192.168.127.1; }
    start_peer "$peer" "$mtu" "$guests"
    : >"$work/samples-$key"
    sample "$work/samples-$key" "${peer_pids[@]}" &
    sampler=$!
    mark "$key-start"
    sleep "$IDLE"
    mark "$key-idle"
    g=()
    for ((i = 0; i < guests; i++)); do
        tap_guest "$lan.$((3 + i))" "$mtu"
        g+=("$ns")
        bridge "$ns" "unix:${socks[$i]}"
    done
    for ns in "${g[@]}"; do
        wait_cmd 20 "the guest to reach the host's iperf3" timeout 5 ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/$host/5201"
    done
    wait_idle_servers
    if [ "$scen" = mixed ]; then
        local loads=()
        ip netns exec "${g[1]}" iperf3 -s -p "$G2G_PORT" -D --pidfile "$work/g2g.pid" >/dev/null
        wait_for "$work/g2g.pid" "[0-9]" 10
        pids+=("$(cat "$work/g2g.pid")")
        iperf "${g[0]}" "$host" 5201 "$MIX_DURATION" -P 4 & loads+=($!)
        iperf "${g[1]}" "$host" 5202 "$MIX_DURATION" -R & loads+=($!)
        if [ "$peer" = userv2 ]; then
            wait_cmd 20 "guest 3 to reach guest 2" timeout 5 ip netns exec "${g[2]}" bash -c "exec 3<>/dev/tcp/$lan.4/$G2G_PORT"
            iperf "${g[2]}" "$lan.4" "$G2G_PORT" "$MIX_DURATION" & loads+=($!)
        else
            iperf "${g[2]}" "$host" 5203 "$MIX_DURATION" & loads+=($!)
        fi
        for ns in "${g[@]}"; do
            (timeout "$MIX_DURATION" ip netns exec "$ns" sh -c "while :; do dig -f $work/queries-$dns >/dev/null 2>&1; done" || true) &
            loads+=($!)
        done
        wait "${loads[@]}" || true
        dig @"$dns" +tries=1 +time=1 host.lima.internal >/dev/null 2>&1 || true
    else
        for dir in "" -R; do
            [ "$WARMUP" -gt 0 ] && { iperf "${g[0]}" "$host" 5201 "$WARMUP" $dir 2>/dev/null; wait_idle_servers; }
            iperf "${g[0]}" "$host" 5201 "$DURATION" $dir
            wait_idle_servers
        done
    fi
    mark "$key-load"
    # The guests stay attached (idle), as VMs do after a burst of traffic.
    sleep "$AFTER"
    mark "$key-end"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    sampler=
    [ -z "${TRACE_DIR:-}" ] || { mkdir -p "$TRACE_DIR"; cp "$work/samples-$key" "$TRACE_DIR/"; }
    [ "$peer" != userv2 ] || grep -E "WARN|SEVERE|ERROR|Exception" "$work/switch-$mtu.log" | head -5 | sed "s/^/$key log: /" >&2 || true
    teardown
}

: >"$work/marks"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for scen in $SCENARIOS; do
    for peer in $PEERS; do
        run "$peer" "$scen"
    done
done

echo
echo "RSS in MB (VmRSS sampled every 100 ms; passt and gvproxy: summed over their processes, one per guest); $(date -u +%Y-%m-%d)"
printf '%-8s %-10s %7s %9s %9s %9s %11s\n' peer scenario idle peak "peak HWM" "+${AFTER}s" "<${UNDER_MB}MB after"
for scen in $SCENARIOS; do
    for peer in $PEERS; do
        key=$peer-$scen
        awk -v key="$key" -v under=$((UNDER_MB * 1024)) -v peer="$peer" -v scen="$scen" '
            FNR == NR { m[$1] = $2; next }
            { t = $1; rss = $2; hwm = $3
              if (t <= m[key "-idle"]) idle = rss
              if (t > m[key "-idle"] && t <= m[key "-load"] + 0.5) { if (rss > peak) peak = rss; if (hwm > phwm) phwm = hwm }
              if (t > m[key "-load"]) { last = rss; if (down == "" && rss < under) down = sprintf("%.1fs", t - m[key "-load"]) } }
            END { after = last == "" ? "exited" : sprintf("%.1f", last / 1024)  # the process was gone before the end
                  printf "%-8s %-10s %7.1f %9.1f %9.1f %9s %11s\n", peer, scen, idle / 1024, peak / 1024, phwm / 1024,
                  after, last == "" ? "-" : down == "" ? "never" : down }' "$work/marks" "$work/samples-$key"
    done
done
echo "(idle: ${IDLE}s after start; peak: during the load, sampled, and the kernel's VmHWM; +${AFTER}s: after the load ended)"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
