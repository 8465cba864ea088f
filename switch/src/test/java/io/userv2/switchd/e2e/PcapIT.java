package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --pcap FILE}: after a few pings and a padded ARP request the capture opens in tshark and holds the
 * ICMP echo requests and replies between the guests and with the gateway, and the 60-byte padded frame as sent.
 */
class PcapIT {
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void captureOpensInTsharkAndHoldsTheFrames() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path pcap = E2e.workdir().resolve("capture-" + E2e.randomHex(3) + ".pcap");
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            String sock = "unix:" + dir.resolve("net.sock");
            SwitchProcess sw = SwitchProcess.start("--listen", dir.resolve("net.sock").toString(), "--pcap", pcap.toString());
            c.add(sw::close);
            String rawMac;
            try (NamespaceGuest a = NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.10/24"));
                    NamespaceGuest b = NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.11/24"));
                    RawPort raw = RawPort.connect(sock, E2e.randomMac(), "192.168.104.250")) {
                a.assertPings(b.ip(), 3);
                a.assertPings(GATEWAY_IP, 3);
                rawMac = raw.mac();
                raw.send(Frames.pad(Frames.arpRequest(raw.mac(), raw.ip(), GATEWAY_IP), 60, (byte) 0xAA));
                assertTrue(raw.await(f -> Frames.isArp(f, 2), Duration.ofSeconds(5)).isPresent(), "no ARP reply");
            }
            sw.stop(); // the capture is complete once the switch has exited
            assertTrue(Files.isRegularFile(pcap), "no capture file " + pcap);

            Exec.Result all = Exec.run(Duration.ofSeconds(60), "tshark", "-n", "-r", pcap.toString());
            assertEquals(0, all.exitCode(), "tshark cannot read the capture:\n" + all);

            List<String[]> icmp = fields(pcap, "icmp", "ip.src", "ip.dst", "icmp.type");
            assertTrue(count(icmp, "192.168.104.10", "192.168.104.11", "8") >= 3, "echo requests a->b in capture:\n" + all.output());
            assertTrue(count(icmp, "192.168.104.11", "192.168.104.10", "0") >= 3, "echo replies b->a in capture:\n" + all.output());
            assertTrue(count(icmp, "192.168.104.10", GATEWAY_IP, "8") >= 3, "echo requests to the gateway in capture:\n" + all.output());
            assertTrue(count(icmp, GATEWAY_IP, "192.168.104.10", "0") >= 3, "echo replies from the gateway in capture:\n" + all.output());

            List<String[]> arp = fields(pcap, "arp", "eth.src", "frame.len", "arp.opcode");
            assertTrue(arp.stream().anyMatch(f -> f[0].equals(rawMac) && f[1].equals("60") && f[2].equals("1")),
                    "the padded 60-byte ARP request is not in the capture as sent:\n" + all.output());
        } finally {
            try {
                Files.deleteIfExists(pcap);
            } catch (java.io.IOException ignored) {
                // best effort
            }
        }
    }

    private static List<String[]> fields(Path pcap, String filter, String... names) {
        List<String> cmd = new java.util.ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", filter, "-T", "fields"));
        for (String n : names) {
            cmd.add("-e");
            cmd.add(n);
        }
        Exec.Result r = Exec.run(Duration.ofSeconds(60), cmd).assertOk();
        // tshark may warn on stderr (e.g. about running as root); keep only rows with every field.
        return r.output().lines().map(l -> l.split("\t")).filter(f -> f.length == names.length).toList();
    }

    private static long count(List<String[]> rows, String... values) {
        return rows.stream().filter(r -> java.util.Arrays.equals(r, values)).count();
    }
}
