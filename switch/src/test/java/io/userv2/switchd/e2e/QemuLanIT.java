package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real VMs: two QEMU guests (virtio-net over {@code -netdev stream}; one on the unix listener, one on the TCP
 * listener) and a namespace guest share one switch; everyone pings everyone and the gateway, and a broadcast
 * reaches the VMs.
 */
class QemuLanIT {
    @Test
    @Timeout(value = 420, unit = TimeUnit.SECONDS)
    void qemuGuestsAndNamespaceGuestShareTheLan() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            int port = SwitchProcess.freeTcpPort();
            String unixSock = "unix:" + dir.resolve("net.sock");
            SwitchProcess sw = SwitchProcess.start("--listen", dir.resolve("net.sock").toString(), "--listen", "tcp://127.0.0.1:" + port);
            c.add(sw::stop);
            NamespaceGuest ns = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(unixSock, "192.168.104.10/24")));
            // Boot both VMs in parallel, then wait for both.
            String noBroadcastIgnore = "echo 0 > /proc/sys/net/ipv4/icmp_echo_ignore_broadcasts";
            QemuGuest vm1 = c.add(QemuGuest.start(QemuGuest.Options.of(unixSock, "192.168.104.20/24").bootScript(noBroadcastIgnore)));
            QemuGuest vm2 = c.add(QemuGuest.start(QemuGuest.Options.of("tcp:127.0.0.1:" + port, "192.168.104.21/24").bootScript(noBroadcastIgnore)));
            QemuGuest.awaitReady(vm1, Duration.ofSeconds(240));
            QemuGuest.awaitReady(vm2, Duration.ofSeconds(240));

            vm1.assertPings(GATEWAY_IP, 3);
            vm1.assertPings(ns.ip(), 3);
            ns.assertPings(vm1.ip(), 3);
            vm2.assertPings(GATEWAY_IP, 3);
            vm2.assertPings(vm1.ip(), 3);
            vm1.assertPings(vm2.ip(), 3);
            ns.assertPings(vm2.ip(), 3);

            // A broadcast echo request from a raw client reaches both VMs (and the namespace guest).
            ns.sysctl("net.ipv4.icmp_echo_ignore_broadcasts", "0");
            RawPort raw = c.add(RawPort.connect(unixSock, E2e.randomMac(), "192.168.104.250"));
            Set<String> expected = Set.of(vm1.ip(), vm2.ip(), ns.ip());
            Set<String> answered = new TreeSet<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            for (int seq = 1; !answered.containsAll(expected) && System.nanoTime() < deadline; seq++) {
                raw.send(Frames.pad(Frames.icmpEcho(raw.mac(), "ff:ff:ff:ff:ff:ff", raw.ip(), "192.168.104.255", 0x4343, seq, new byte[8]), 60, (byte) 0));
                long roundEnd = Math.min(deadline, System.nanoTime() + Duration.ofSeconds(4).toNanos());
                while (!answered.containsAll(expected) && System.nanoTime() < roundEnd) {
                    raw.await(f -> Frames.isIpv4(f, 1) && Frames.icmpType(f) == 0 && !answered.contains(Frames.ipString(f, 26)),
                            Duration.ofNanos(Math.max(1, roundEnd - System.nanoTime()))).ifPresent(f -> answered.add(Frames.ipString(f, 26)));
                }
            }
            assertTrue(answered.containsAll(expected), "broadcast echo answered by " + answered + ", expected " + expected);
        }
    }
}
