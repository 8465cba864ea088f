#!/usr/bin/env bash
# Start-up, side by side in one run: how long from exec until the unix socket accepts a connection ("socket"), and
# until an ARP request sent on that connection (QEMU stream framing) is answered by the gateway ("answer"), for
#   bare-jvm  a JVM that only binds a unix socket (java -cp . Bare SOCKET): the floor for any Java switch
#   userv2    java -jar userv2-switch.jar --listen SOCKET (it answers once its start-up warm-up has ended)
#   userv2-no-warm-up  the same with --no-warm-up
#   userv2-cds  the same with an application class-data archive (-XX:SharedArchiveFile, written first by one run with
#             -XX:ArchiveClassesAtExit): what a launcher that can pass JVM options (Lima, a service unit) gains
#   gvproxy   gvproxy -listen-qemu unix://SOCKET (if GVPROXY names a binary or gvproxy is on the PATH)
# The peers take turns, ROUNDS times, so that load on the machine falls on all alike; prints the medians and the
# ratios to the bare JVM. testtools/startprobe.c does the timing (connect every 0.5 ms after the exec).
#
#   bench/scripts/startup.sh [path/to/userv2-switch.jar]
#   env: ROUNDS=10 JAVA=java GVPROXY=gvproxy EXTRA_ARGS="" (more switch options)
#
# Network safety: nothing but unix sockets in a scratch directory (gvproxy's SSH forward binds 127.0.0.1 only).
# Needs gcc and a JDK (javac); no root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
jar=${1:-$repo/switch/target/userv2-switch.jar}
ROUNDS=${ROUNDS:-10}
JAVA=${JAVA:-java}
GVPROXY=${GVPROXY:-gvproxy}
EXTRA_ARGS=${EXTRA_ARGS:-}
[ -f "$jar" ] || { echo "switch jar not found: $jar (run mvn package, or pass its path)" >&2; exit 1; }
for tool in gcc javac "$JAVA"; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done

work=$(mktemp -d /tmp/u2s-XXXXXX)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -o "$work/startprobe" "$repo/testtools/startprobe.c"
cat >"$work/Bare.java" <<'EOF'
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;

public class Bare {
    public static void main(String[] args) throws Exception {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(args[0]));
        Thread.sleep(60_000);
    }
}
EOF
javac -d "$work" "$work/Bare.java"

peers=(bare-jvm userv2 userv2-no-warm-up userv2-cds)
# The archive: classes loaded by one start that answers one ARP request, written when it exits on SIGTERM.
"$work/startprobe" "$work/s.sock" 192.168.104.2 -- "$JAVA" -XX:ArchiveClassesAtExit="$work/userv2.jsa" -jar "$jar" \
    --listen "$work/s.sock" >/dev/null
[ -f "$work/userv2.jsa" ] || { echo "no class-data archive written" >&2; exit 1; }
command -v "$GVPROXY" >/dev/null && peers+=(gvproxy) || echo "gvproxy not found (GVPROXY=path): left out" >&2

# probe PEER -> "socket=X answer=Y"
probe() {
    local sock="$work/s.sock"
    rm -f "$sock"
    case $1 in
        bare-jvm) "$work/startprobe" "$sock" - -- "$JAVA" -cp "$work" Bare "$sock" ;;
        # shellcheck disable=SC2086
        userv2) "$work/startprobe" "$sock" 192.168.104.2 -- "$JAVA" -jar "$jar" --listen "$sock" $EXTRA_ARGS ;;
        userv2-no-warm-up) "$work/startprobe" "$sock" 192.168.104.2 -- "$JAVA" -jar "$jar" --listen "$sock" \
            --no-warm-up $EXTRA_ARGS ;;
        # shellcheck disable=SC2086
        userv2-cds) "$work/startprobe" "$sock" 192.168.104.2 -- "$JAVA" -XX:SharedArchiveFile="$work/userv2.jsa" -jar "$jar" \
            --listen "$sock" $EXTRA_ARGS ;;
        gvproxy) "$work/startprobe" "$sock" 192.168.127.1 -- "$GVPROXY" -listen-qemu "unix://$sock" -ssh-port 22345 ;;
    esac
}

for _ in $(seq "$ROUNDS"); do
    for p in "${peers[@]}"; do
        out=$(probe "$p") || out="socket=fail answer=fail"
        echo "$p $out" >>"$work/results"
    done
done

echo "start-up, median of $ROUNDS runs (ms from exec; socket: first accepted connect; answer: first ARP reply from the gateway)"
awk '
    { p = $1; split($2, sv, "="); split($3, av, "="); n[p]++; sock[p, n[p]] = sv[2]; ans[p, n[p]] = av[2]
      if (!(p in seen)) { seen[p] = 1; order[++np] = p } }
    function median(arr, p, k,   i, j, t, v, m) {
        m = 0
        for (i = 1; i <= k; i++) if (arr[p, i] ~ /^[0-9.]+$/) v[++m] = arr[p, i] + 0
        if (m == 0) return "-"
        for (i = 2; i <= m; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
        return v[int((m + 1) / 2)]
    }
    END {
        base = median(sock, "bare-jvm", n["bare-jvm"])
        printf "%-10s %10s %10s %14s\n", "peer", "socket", "answer", "socket/bare"
        for (i = 1; i <= np; i++) {
            p = order[i]; s = median(sock, p, n[p]); a = median(ans, p, n[p])
            printf "%-10s %10s %10s %14s\n", p, s, a, (s != "-" && base != "-" && base > 0) ? sprintf("%.2fx", s / base) : "-"
        }
    }' "$work/results"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs; other load skews these figures)"
