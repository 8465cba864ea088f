package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Namespace guests on one switch (unix and TCP listeners): unicast both ways, the gateway's ARP and ICMP,
 * broadcast flooding, frames padded to 60 bytes, and jumbo frames at MTU 65520.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SwitchLanIT {
    private static Path dir;
    private static SwitchProcess sw;
    private static String unixSock;
    private static String tcpSock;

    @BeforeAll
    static void start() {
        E2e.requireRoot();
        dir = E2e.socketDir();
        int port = SwitchProcess.freeTcpPort();
        unixSock = "unix:" + dir.resolve("net.sock");
        tcpSock = "tcp:127.0.0.1:" + port;
        sw = SwitchProcess.start("--listen", dir.resolve("net.sock").toString(), "--listen", "tcp://127.0.0.1:" + port,
                "--subnet", "192.168.104.0/24", "--gateway-ip", GATEWAY_IP);
    }

    @AfterAll
    static void stop() {
        try {
            if (sw != null) {
                sw.stop();
            }
        } finally {
            E2e.deleteTree(dir);
        }
    }

    @Test
    void twoNamespaceGuestsPingEachOtherAndTheGateway() {
        try (NamespaceGuest a = NamespaceGuest.start(NamespaceGuest.Options.connect(unixSock, "192.168.104.10/24"));
                NamespaceGuest b = NamespaceGuest.start(NamespaceGuest.Options.connect(unixSock, "192.168.104.11/24"))) {
            a.assertPings(b.ip(), 3);
            b.assertPings(a.ip(), 3);
            a.assertPings(GATEWAY_IP, 3);
            b.assertPings(GATEWAY_IP, 3);
            // The gateway answered ARP with its well-known MAC.
            Exec.Result neigh = a.exec(Duration.ofSeconds(5), "ip", "neigh", "show", GATEWAY_IP);
            assertTrue(neigh.output().contains(GATEWAY_MAC), neigh.toString());
        }
    }

    @Test
    void tcpListenerWorksLikeTheUnixOne() {
        try (NamespaceGuest a = NamespaceGuest.start(NamespaceGuest.Options.connect(tcpSock, "192.168.104.12/24"));
                NamespaceGuest b = NamespaceGuest.start(NamespaceGuest.Options.connect(unixSock, "192.168.104.13/24"))) {
            a.assertPings(GATEWAY_IP, 3);
            a.assertPings(b.ip(), 3);
            b.assertPings(a.ip(), 3);
            // Bulk TCP across the TCP listener: large frames split across reads must survive.
            LoggedProcess server = b.spawn("iperf3-server", "iperf3", "-s", "-1", "--forceflush");
            server.requireLine(java.util.regex.Pattern.compile("Server listening"), 0, Duration.ofSeconds(10));
            Exec.Result r = a.exec(Duration.ofSeconds(30), "iperf3", "-c", b.ip(), "-t", "2");
            assertEquals(0, r.exitCode(), r.toString());
        }
    }

    @Test
    void broadcastReachesEveryOtherGuest() {
        try (Closer c = new Closer()) {
            NamespaceGuest a = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(unixSock, "192.168.104.14/24")));
            NamespaceGuest b = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(unixSock, "192.168.104.15/24")));
            NamespaceGuest t = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(tcpSock, "192.168.104.16/24")));
            RawPort raw = c.add(RawPort.connect(unixSock, E2e.randomMac(), "192.168.104.250"));
            for (NamespaceGuest g : new NamespaceGuest[] {a, b, t}) {
                g.sysctl("net.ipv4.icmp_echo_ignore_broadcasts", "0");
            }
            // An echo request to the subnet broadcast from a raw client: every guest must see it and answer.
            byte[] data = "broadcast-hello!".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Set<String> expected = new TreeSet<>(Set.of(a.ip(), b.ip(), t.ip()));
            Set<String> answered = new TreeSet<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            for (int seq = 1; !answered.containsAll(expected) && System.nanoTime() < deadline; seq++) {
                raw.send(Frames.pad(Frames.icmpEcho(raw.mac(), "ff:ff:ff:ff:ff:ff", raw.ip(), "192.168.104.255", 0x4242, seq, data), 60, (byte) 0));
                long roundEnd = Math.min(deadline, System.nanoTime() + Duration.ofSeconds(3).toNanos());
                while (!answered.containsAll(expected) && System.nanoTime() < roundEnd) {
                    raw.await(f -> Frames.isIpv4(f, 1) && Frames.icmpType(f) == 0 && !answered.contains(Frames.ipString(f, 26)),
                            Duration.ofNanos(Math.max(1, roundEnd - System.nanoTime()))).ifPresent(f -> answered.add(Frames.ipString(f, 26)));
                }
            }
            assertTrue(answered.containsAll(expected), "echo replies to a broadcast ping came from " + answered + ", expected " + expected);

            // And a broadcast sent by a guest (an ARP request) reaches the others, here the raw client.
            a.exec(Duration.ofSeconds(10), "busybox", "arping", "-c", "1", "-w", "2", "-I", "tap0", "192.168.104.249");
            assertTrue(raw.await(f -> Frames.isArp(f, 1) && Frames.macString(f, 6).equals(a.mac()), Duration.ofSeconds(5)).isPresent(),
                    "the raw client never saw the ARP broadcast of " + a);
        }
    }

    @Test
    void framesPaddedTo60BytesAreHandledByTheGatewayAndForwarded() {
        try (Closer c = new Closer()) {
            NamespaceGuest a = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(unixSock, "192.168.104.17/24")));
            RawPort raw = c.add(RawPort.connect(unixSock, E2e.randomMac(), "192.168.104.251"));

            // ARP request (42 bytes) padded to 60 with non-zero junk, as real NICs and QEMU do.
            raw.send(Frames.pad(Frames.arpRequest(raw.mac(), raw.ip(), GATEWAY_IP), 60, (byte) 0xAA));
            byte[] arp = raw.await(f -> Frames.isArp(f, 2) && Frames.ipString(f, 28).equals(GATEWAY_IP), Duration.ofSeconds(5))
                    .orElseThrow(() -> new AssertionError("no ARP reply from the gateway to a padded request"));
            assertEquals(GATEWAY_MAC, Frames.macString(arp, 22), "gateway sender MAC");
            assertEquals(raw.mac(), Frames.macString(arp, 32), "target MAC");
            assertEquals(raw.ip(), Frames.ipString(arp, 38), "target IP");

            // ICMP echo with 4 bytes of data (46-byte frame) padded to 60: the reply must carry exactly the 4 bytes,
            // so the gateway took the length from the IP header, not from the frame.
            byte[] data = {1, 2, 3, 4};
            raw.send(Frames.pad(Frames.icmpEcho(raw.mac(), GATEWAY_MAC, raw.ip(), GATEWAY_IP, 0x1111, 7, data), 60, (byte) 0x55));
            byte[] reply = raw.await(f -> Frames.isIpv4(f, 1) && Frames.icmpType(f) == 0 && Frames.ipString(f, 26).equals(GATEWAY_IP),
                    Duration.ofSeconds(5)).orElseThrow(() -> new AssertionError("no echo reply from the gateway to a padded request"));
            byte[] icmp = Frames.icmpMessage(reply);
            assertEquals(20 + 8 + 4, Frames.ipTotalLength(reply), "IP total length of the reply");
            assertEquals(0, Frames.checksum(icmp, 0, icmp.length), "ICMP checksum of the reply");
            assertEquals(0, Frames.checksum(reply, 14, 20), "IP header checksum of the reply");
            assertArrayEquals(data, Arrays.copyOfRange(icmp, 8, icmp.length), "echoed data");
            assertEquals(0x1111, ((icmp[4] & 0xff) << 8) | (icmp[5] & 0xff), "echo id");

            // A padded echo request to a namespace guest is forwarded and answered too.
            raw.send(Frames.pad(Frames.icmpEcho(raw.mac(), a.mac(), raw.ip(), a.ip(), 0x2222, 1, data), 60, (byte) 0x55));
            assertTrue(raw.await(f -> Frames.isIpv4(f, 1) && Frames.icmpType(f) == 0 && Frames.ipString(f, 26).equals(a.ip()),
                    Duration.ofSeconds(5)).isPresent(), "no echo reply from " + a);
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void jumboFramesAtMtu65520() {
        Path jdir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(jdir));
            SwitchProcess jumbo = SwitchProcess.start("--listen", jdir.resolve("jumbo.sock").toString(), "--mtu", "65520");
            c.add(jumbo::stop);
            String sock = "unix:" + jdir.resolve("jumbo.sock");
            NamespaceGuest a = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.10/24").mtu(65520)));
            NamespaceGuest b = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.11/24").mtu(65520)));
            a.assertPings(b.ip(), 2);
            // Largest unfragmented echo at this MTU: a 65534-byte frame.
            Exec.Result big = a.sh("busybox ping -c 3 -i 0.2 -W 2 -w 10 -s 65492 " + b.ip(), Duration.ofSeconds(20));
            assertTrue(big.output().contains("3 packets received"), big.toString());
            LoggedProcess server = b.spawn("iperf3-server", "iperf3", "-s", "-1", "--forceflush");
            server.requireLine(java.util.regex.Pattern.compile("Server listening"), 0, Duration.ofSeconds(10));
            Exec.Result r = a.exec(Duration.ofSeconds(30), "iperf3", "-c", b.ip(), "-t", "3");
            assertEquals(0, r.exitCode(), r.toString());
        }
    }
}
