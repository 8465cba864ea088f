#!/usr/bin/env bash
# VM to VM with real QEMU guests: iperf3 between two TCG-booted Debian kernels (busybox initramfs plus iperf3),
# their virtio-net NICs attached with -netdev stream as a user attaches them, along each path in turn:
#   wire        guest B's QEMU listens (-netdev stream,server=on) and guest A's connects to it: no process between
#               them, the ceiling
#   relay       testtools/relay between the two QEMUs: one extra process that copies bytes and nothing else
#   relay-splice, relay-frames  the relay moving bytes with splice(2), or passing on only whole frames (store and
#               forward, as a switch must); optional
#   userv2      the switch: both QEMUs connect to `--listen SOCKET`
#   userv2-X    the same switch with USERV2_ARGS_X / USERV2_JAVA_OPTS_X / USERV2_JAR_X (see netns-lib.sh)
# Each round boots both guests afresh for every path (the paths take turns, in reverse order every other round:
# round_order); guest A sends to guest B for WARMUP seconds, then for DURATION seconds, and the second run's receiver
# rate counts. Prints the median per path and the ratio to the wire.
#
# Usage (no root needed; from the repository, after `mvn -B package -DskipTests`):
#   bench/scripts/qemu-guest-to-guest.sh [path/to/userv2-switch.jar]
#   env: PEERS="wire relay userv2" DURATION=10 WARMUP=2 REPS=3 MTUS="1500 65520" USERV2_ARGS="" ...
#
# Needs qemu-system-x86_64, a Debian kernel in /boot with its modules (linux-image-amd64), busybox-static, cpio,
# iperf3, gcc, java. Network safety: the guests' only link is the socket between them (192.168.104.10 and .11); the
# switch is started with --no-outside, so nothing they send leaves the LAN.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=netns-lib.sh
. "$here/netns-lib.sh"
jar=${1:-$repo/switch/target/userv2-switch.jar}
PEERS=${PEERS:-wire relay userv2}
DURATION=${DURATION:-10}
[ "$DURATION" -ge 3 ] || { echo "DURATION must be 3 s or more" >&2; exit 1; }
WARMUP=${WARMUP:-2}
REPS=${REPS:-3}
MTUS=${MTUS:-1500 65520}
NS_PREFIX=u2q

for peer in $PEERS; do
    case $peer in
        wire | relay | relay-splice | relay-frames | userv2 | userv2[-_]*) ;;
        *) echo "unknown path in PEERS: $peer (wire, relay, relay-splice, relay-frames, userv2, userv2-X)" >&2; exit 1 ;;
    esac
done
[[ " $PEERS " == *" wire "* ]] || { echo "PEERS must include wire (the ratios are against it)" >&2; exit 1; }
for tool in qemu-system-x86_64 cpio iperf3 gcc java; do
    command -v "$tool" >/dev/null || { echo "$tool not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done

scratch_work qemu-g2g
build_testtools relay

# The newest kernel in /boot whose modules directory has an uncompressed virtio_net.ko.
kver=
for k in /boot/vmlinuz-*; do
    v=${k#/boot/vmlinuz-}
    [ -f "/lib/modules/$v/kernel/drivers/net/virtio_net.ko" ] && kver=$v
done
[ -n "$kver" ] || { echo "no /boot/vmlinuz-* with an uncompressed virtio_net.ko (install linux-image-amd64)" >&2; exit 1; }

# The initramfs: busybox, the test guests' /init (testtools/guest-init.sh), virtio-net's modules, iperf3 with the
# libraries it links, and /test.sh, which guest-init runs once the NIC is up. The kernel hands the u2t_* words of its
# command line to /init as environment variables.
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,dev,proc,sys,tmp,run,etc,lib/modules,lib64,lib/x86_64-linux-gnu}
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$repo/testtools/guest-init.sh" "$root/init"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
    ko=$(find "/lib/modules/$kver/kernel" -name "$m.ko" | head -1)
    [ -n "$ko" ] && cp "$ko" "$root/lib/modules/"
done
cp /usr/bin/iperf3 "$root/usr/bin/iperf3"
for lib in $(ldd /usr/bin/iperf3 | grep -oE '/[^ ]+'); do
    cp -L "$lib" "$root/lib/x86_64-linux-gnu/"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
cat > "$root/test.sh" <<'EOF'
#!/bin/sh
# u2t_role=server: an iperf3 server in the background (the guest then idles in guest-init's shell).
# u2t_role=client: wait for the peer, a warm-up run, the measured run, its report on the console, power off.
if [ "$u2t_role" = server ]; then
    iperf3 -s -D
    echo "U2T-SERVER-UP"
    exit 0
fi
i=0
until ping -c 1 -W 1 "$u2t_peer" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 60 ] || { echo "U2T-ERROR peer unreachable"; poweroff -f; }
done
i=0
until iperf3 -c "$u2t_peer" -t "$u2t_warmup" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 20 ] || { echo "U2T-ERROR no iperf3 server"; poweroff -f; }
    sleep 1
done
echo "U2T-MEASURING"
iperf3 -c "$u2t_peer" -t "$u2t_time" -f m
echo "U2T-BENCH-DONE"
poweroff -f
EOF
chmod 755 "$root/init" "$root/test.sh"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initrd.cpio"

# boot NAME IP ROLE NETDEV MTU: a guest in the background, its console in $work/NAME.log
boot() {
    qemu-system-x86_64 -accel tcg -m 256 -smp 1 -nodefaults -no-user-config -display none -no-reboot \
        -serial "file:$work/$1.log" -kernel "/boot/vmlinuz-$kver" -initrd "$work/initrd.cpio" \
        -append "console=ttyS0 quiet loglevel=1 panic=-1 u2t_ip=$2/24 u2t_mtu=$5 u2t_role=$3 u2t_peer=192.168.104.11 u2t_time=$DURATION u2t_warmup=$WARMUP" \
        -netdev "$4" -device "virtio-net-pci,netdev=n0,mac=52:55:55:00:00:$(printf %02x "${2##*.}"),romfile=" \
        </dev/null >"$work/$1.qemu.log" 2>&1 &
    pids+=($!)
}

stream() { echo "stream,id=n0,server=$2,addr.type=unix,addr.path=$1"; }

# measure PEER MTU -> sets rate (guest B's receiver rate in Mbit/s), retr (guest A's retransmitted segments), cpu
# (the process in the middle, CPU-seconds a second) and idle (what the vCPUs left idle) for the measured run
measure() {
    local peer=$1 mtu=$2 sock="$work/$1.sock" timeout=$((DURATION + WARMUP + 240))
    rm -f "$sock" "$work"/a.log "$work"/b.log
    case $peer in
        wire)
            boot b 192.168.104.11 server "$(stream "$sock" on)" "$mtu"
            wait_cmd 30 "guest B's socket" test -S "$sock"
            boot a 192.168.104.10 client "$(stream "$sock" off)" "$mtu" ;;
        relay*)
            # shellcheck disable=SC2046
            "$work/relay" "$sock" $([ "$peer" = relay ] || echo "-${peer#relay}") >"$work/relay.log" 2>&1 &
            pids+=($!)
            wait_for "$work/relay.log" "relay: listening" 10
            boot b 192.168.104.11 server "$(stream "$sock" off)" "$mtu"
            boot a 192.168.104.10 client "$(stream "$sock" off)" "$mtu" ;;
        userv2*)
            userv2_peer "$peer"
            # shellcheck disable=SC2086
            $peer_wrap java $peer_opts -jar "$peer_jar" --listen "$sock" --mtu "$mtu" --no-outside $peer_args \
                >"$work/$peer.log" 2>&1 &
            pids+=($!)
            wait_for "$work/$peer.log" "listening on" 60
            boot b 192.168.104.11 server "$(stream "$sock" off)" "$mtu"
            boot a 192.168.104.10 client "$(stream "$sock" off)" "$mtu" ;;
    esac
    wait_for "$work/a.log" "U2T-MEASURING|U2T-ERROR|Kernel panic" "$timeout"
    local middle=${pids[0]} t0 t1 idle0 idle1 s0 s1
    [ "$peer" = wire ] && middle=
    # CPU over DURATION - 1 s of the measured run: the process in the middle and what the vCPUs left idle
    t0=$(cpu_ticks "$middle"); idle0=$(idle_ticks); s0=$(date +%s.%N)
    sleep $((DURATION - 1))
    t1=$(cpu_ticks "$middle"); idle1=$(idle_ticks); s1=$(date +%s.%N)
    wait_for "$work/a.log" "U2T-BENCH-DONE|U2T-ERROR|Kernel panic" "$timeout"
    grep -q "U2T-BENCH-DONE" "$work/a.log" || { echo "guest A failed ($peer, MTU $mtu):" >&2; cat "$work/a.log" "$work/b.log" >&2; exit 1; }
    rate=$(tr -d '\r' < "$work/a.log" | awk '/receiver/ {print $(NF-2)}')
    [ -n "$rate" ] || { echo "no receiver rate from guest A ($peer, MTU $mtu):" >&2; cat "$work/a.log" >&2; exit 1; }
    retr=$(tr -d '\r' < "$work/a.log" | awk '/sender/ {print $(NF-1)}')
    kill_all "${pids[@]}"
    pids=()
    local d hz
    d=$(echo "$s0 $s1" | awk '{print $2 - $1}')
    hz=$(getconf CLK_TCK)
    cpu=$(awk -v a="$t0" -v b="$t1" -v d="$d" -v hz="$hz" 'BEGIN {printf "%.3f", (b - a) / hz / d}')
    idle=$(awk -v a="$idle0" -v b="$idle1" -v d="$d" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz / d}')
}

# cpu_ticks PID: user + system ticks of every thread of PID so far (0 without a PID)
cpu_ticks() {
    [ -n "$1" ] || { echo 0; return; }
    awk '{sub(/^.*\) /, ""); t += $12 + $13} END {print t + 0}' /proc/"$1"/task/*/stat 2>/dev/null || echo 0
}

# idle_ticks: the idle ticks of all CPUs so far
idle_ticks() { awk '/^cpu / {print $5; exit}' /proc/stat; }

read -ra paths <<<"$PEERS"
declare -A rates cpus idles retrs
for mtu in $MTUS; do
    for ((r = 0; r < REPS; r++)); do
        for peer in $(round_order $((r + 1)) "${paths[@]}"); do
            measure "$peer" "$mtu"
            rates[$peer,$mtu]="${rates[$peer,$mtu]:-} $rate"
            cpus[$peer,$mtu]="${cpus[$peer,$mtu]:-} $cpu"
            retrs[$peer,$mtu]="${retrs[$peer,$mtu]:-} $retr"
            idles[$peer,$mtu]="${idles[$peer,$mtu]:-} $idle"
        done
        echo "MTU $mtu round $((r + 1))/$REPS done" >&2
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo
echo "guest -> guest, two QEMU guests (TCG, 1 vCPU, 256 MiB, virtio-net over -netdev stream); iperf3 median of $REPS x ${DURATION}s after ${WARMUP}s of warm-up; paths took turns, in reverse every other round"
echo "(CPU: the process between the guests, CPU-seconds a second over $((DURATION - 1)) s of the measured run; idle: CPU-seconds a second the vCPUs left idle then; retr: TCP segments guest A retransmitted)"
printf "%-7s %-22s %10s %8s %8s %6s   %s\n" MTU path Mbit/s CPU idle retr "runs (Mbit/s)"
for mtu in $MTUS; do
    wire=$(echo "${rates[wire,$mtu]}" | median)
    for peer in $PEERS; do
        m=$(echo "${rates[$peer,$mtu]}" | median)
        printf "%-7s %-22s %10.0f %8.3f %8.2f %6s   %s\n" "$mtu" "$peer" "$m" "$(echo "${cpus[$peer,$mtu]}" | median)" \
            "$(echo "${idles[$peer,$mtu]}" | median)" "$(echo "${retrs[$peer,$mtu]}" | median)" "${rates[$peer,$mtu]# }"
    done
    for peer in $PEERS; do
        [ "$peer" = wire ] && continue
        m=$(echo "${rates[$peer,$mtu]}" | median)
        printf "%-7s %-22s %9.2fx\n" "$mtu" "$peer / wire" "$(echo "$m $wire" | awk '{print $1 / $2}')"
    done
done
