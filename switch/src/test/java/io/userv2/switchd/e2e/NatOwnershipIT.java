package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The NAT's tables belong to switch ports, not to the addresses guests write: a VM that sends 40 000 SYNs from
 * made-up source addresses to a destination that never answers fills only its own port's share (its pending dials),
 * and not a single one of another guest's new connections to the host fails meanwhile; {@code /stats} names the
 * flooding port and its refusals.
 *
 * <p>Network safety: the flood's destination is the documentation address 203.0.113.99, which {@code --nat} maps to
 * a listener on 127.0.0.1 that never accepts (its queue full, the host kernel drops further SYNs: dials hang until
 * the dial timeout); the honest guest reaches a TCP echo on 127.0.0.1 through the host alias. Nothing leaves the
 * machine; the flood is 40 000 frames, once.
 */
class NatOwnershipIT {
    private static final String FLOOD_TARGET = "203.0.113.99";
    private static final int SYNS = 40_000;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aSynFloodFromMadeUpAddressesCannotFailAnotherGuestsConnections() throws Exception {
        E2e.requireRoot();
        try (Closer c = new Closer(); NatHostServices host = new NatHostServices();
                ServerSocket blackhole = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path dir = E2e.socketDir();
            c.add(() -> E2e.deleteTree(dir));
            Path sock = dir.resolve("net.sock");
            Path api = dir.resolve("api.sock");
            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(sock, List.of("--api", api.toString(),
                    "--nat", FLOOD_TARGET + "=127.0.0.1")));
            c.add(sw::stop);
            NamespaceGuest honest = c.add(NamespaceGuest.start(
                    NamespaceGuest.Options.connect("unix:" + sock, "192.168.104.21/24")));
            honest.assertPings(GATEWAY_IP, 1);
            NatHostServices.TcpEcho echo = host.tcpEcho();
            String natprobe = NatTools.natprobe().toString();

            RawPort flooder = c.add(RawPort.connect("unix:" + sock, "52:55:55:f1:00:d0", "192.168.104.22"));
            Random r = new Random(40_000);
            byte[] target = Frames.ip(FLOOD_TARGET);
            for (int i = 0; i < SYNS; i++) {
                String made = "10." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
                flooder.send(tcpSyn(flooder.mac(), GATEWAY_MAC, Frames.ip(made), target, 1024 + r.nextInt(60000),
                        blackhole.getLocalPort(), r.nextInt()));
            }
            // While the flooder's dials hang (10 s), the other guest opens 300 connections at once.
            Exec.Result many = honest.exec(Duration.ofSeconds(60), natprobe, "many", GATEWAY_IP,
                    Integer.toString(echo.port), "300", "20");
            Map<String, String> result = NatTools.result(many);
            assertEquals("300", result.get("completed"), "every connection of the other guest works: " + result);
            assertEquals("0", result.get("failed"), "none failed: " + result);

            Exec.Result stats = Exec.run(Duration.ofSeconds(15), List.of("curl", "-sS", "--max-time", "10",
                    "--unix-socket", api.toString(), "http://localhost/stats"));
            stats.assertOk();
            long pendingMax = 0;
            long refused = 0;
            for (com.fasterxml.jackson.databind.JsonNode port : new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(stats.output()).path("ports")) {
                pendingMax = Math.max(pendingMax, port.path("natPendingDials").asLong());
                refused = Math.max(refused, port.path("natRefusedAtCap").asLong());
            }
            assertTrue(pendingMax <= 1024, "the flooder holds at most its pending-dial cap: " + stats.output());
            assertTrue(refused >= SYNS - 1024 - 100, "the rest of its SYNs were refused at its cap: " + stats.output());
            assertTrue(sw.output().contains("is at its cap of 1024 pending dials"),
                    "the log names the port at its cap: " + sw.output());
            System.out.printf("NatOwnershipIT: flooder refused %d SYNs at its cap; the other guest: %s%n", refused,
                    result);
        }
    }

    /** An Ethernet + IPv4 + TCP SYN frame with correct checksums (the gateway verifies both). */
    static byte[] tcpSyn(String srcMac, String dstMac, byte[] srcIp, byte[] dstIp, int srcPort, int dstPort, int seq) {
        ByteBuffer t = ByteBuffer.allocate(20);
        t.putShort((short) srcPort).putShort((short) dstPort).putInt(seq).putInt(0);
        t.put((byte) 0x50).put((byte) 0x02).putShort((short) 64240).putShort((short) 0).putShort((short) 0);
        byte[] tcp = t.array();
        ByteBuffer pseudo = ByteBuffer.allocate(12 + tcp.length);
        pseudo.put(srcIp).put(dstIp).put((byte) 0).put((byte) 6).putShort((short) tcp.length).put(tcp);
        int sum = Frames.checksum(pseudo.array(), 0, pseudo.capacity());
        tcp[16] = (byte) (sum >> 8);
        tcp[17] = (byte) sum;
        return Frames.ipv4(srcMac, dstMac, Frames.ipString(srcIp, 0), Frames.ipString(dstIp, 0), 6, tcp);
    }
}
