package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client identifier and the lease time with real clients: dhcpcd sending an RFC 4361 identifier (type 255, IAID,
 * DUID-EN, as systemd-networkd does) gets it back unaltered in the OFFER and the ACK (RFC 6842), as the switch's own
 * capture, read by tshark, shows; busybox udhcpc under {@code --dhcp-lease-time 10} renews its lease, again and again.
 *
 * <p>dhcpcd runs with {@code -c /bin/true} and a configuration file of its own (see {@link DhcpDeclineIT}).
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class DhcpClientIdIT {
    /** Type 255, IAID 6a3b2c1d, DUID-EN (2) of enterprise 43793 (systemd's) with 8 octets of machine id. */
    private static final String CLIENT_ID = "ff:6a:3b:2c:1d:00:02:00:00:ab:11:9e:0d:41:7c:22:58:aa:03";

    @Test
    void dhcpcdsDuidIdentifierComesBackInTheOfferAndTheAck() throws IOException {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path pcap = E2e.workdir().resolve("clientid-" + E2e.randomHex(3) + ".pcap");
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            c.add(() -> Files.deleteIfExists(pcap));
            Path sock = dir.resolve("net.sock");
            SwitchProcess sw = c.add(SwitchProcess.start("--listen", sock.toString(), "--pcap", pcap.toString(),
                    "--ipv6=off"));
            NamespaceGuest guest = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured("unix:" + sock)));
            Path conf = Files.writeString(dir.resolve("dhcpcd.conf"),
                    "option subnet_mask, routers\nnoarp\nnoipv4ll\nclientid " + CLIENT_ID + "\n");
            // A fresh lease directory in the mount namespace `ip netns exec` made (its mounts do not propagate out):
            // no lease of an earlier run turns the DISCOVER into an INIT-REBOOT REQUEST, and the machine's
            // /var/lib/dhcpcd is left alone. -B foreground, -1 exit once bound, -4 IPv4 only, -d log to stderr.
            Exec.Result r = guest.sh("mount -t tmpfs u2t-dhcpcd /var/lib/dhcpcd && exec dhcpcd -f " + conf
                    + " -c /bin/true -B -1 -4 -d -t 30 tap0", Duration.ofSeconds(60));
            assertTrue(r.output().contains("leased "), "dhcpcd got no lease:\n" + r);
            sw.stop(); // the capture is complete once the switch has exited

            // Per DHCP message, its type (1 DISCOVER, 2 OFFER, 3 REQUEST, 5 ACK) and option 61's value in hex, from
            // tshark's lists of option codes and values (End, last, has no value).
            List<String[]> rows = tshark(pcap, "dhcp", "dhcp.option.dhcp", "dhcp.option.type", "dhcp.option.value");
            String wanted = CLIENT_ID.replace(":", "");
            List<String> types = new ArrayList<>();
            for (String[] row : rows) {
                List<String> codes = List.of(row[1].split(","));
                List<String> values = List.of(row[2].split(","));
                int i = codes.indexOf("61");
                assertTrue(i >= 0 && i < values.size(), "no option 61 in a type " + row[0] + " message: "
                        + String.join(" ", row));
                assertEquals(wanted, values.get(i), "option 61 of a type " + row[0] + " message (RFC 6842: returned"
                        + " unaltered)");
                types.add(row[0]);
            }
            assertTrue(!types.isEmpty() && types.get(0).equals("1") && types.contains("2") && types.contains("5"),
                    "a DISCOVER first, an OFFER and an ACK: " + types);
        }
    }

    @Test
    void aTenSecondLeaseIsRenewedAgainAndAgain() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            Path sock = dir.resolve("net.sock");
            SwitchProcess sw = c.add(SwitchProcess.start("--listen", sock.toString(), "--dhcp-lease-time", "10",
                    "--ipv6=off"));
            NamespaceGuest guest = c.add(NamespaceGuest.start(NamespaceGuest.Options.unconfigured("unix:" + sock)));
            LoggedProcess client = c.add(guest.startDhcpClient("lima-short"));
            Pattern bound = Pattern.compile("U2T-DHCP bound .*lease=10$");
            int at = client.requireLineIndex(bound, 0, Duration.ofSeconds(40));
            // udhcpc renews at T1 (5 s) by a unicast REQUEST; the script logs each ACK it applies.
            Pattern renewed = Pattern.compile("U2T-DHCP renew ip=192\\.168\\.104\\.\\d+ .*lease=10$");
            at = client.requireLineIndex(renewed, at + 1, Duration.ofSeconds(40));
            client.requireLineIndex(renewed, at + 1, Duration.ofSeconds(40));
            assertTrue(sw.isAlive(), sw.output());
            assertFalse(sw.output().contains("dhcp: NAK"), "a renewal was refused:\n" + sw.output());
        }
    }

    /** tshark's fields of the packets matching {@code filter}, one row each (rows with every field). */
    private static List<String[]> tshark(Path pcap, String filter, String... names) {
        List<String> cmd = new ArrayList<>(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", filter, "-T",
                "fields"));
        for (String n : names) {
            cmd.add("-e");
            cmd.add(n);
        }
        Exec.Result r = Exec.run(Duration.ofSeconds(60), cmd).assertOk();
        // tshark may warn on stderr (e.g. about running as root); keep only rows with every field.
        return r.output().lines().map(l -> l.split("\t")).filter(f -> f.length == names.length).toList();
    }
}
