package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * RFC 2131 4.3.3 with real clients: a guest whose static lease names an address another guest already uses finds
 * the conflict by ARP (busybox udhcpc {@code -a}; dhcpcd's RFC 5227 probe), declines it, and then gets a pool
 * address, instead of being offered the conflicting address again and again; the switch logs the conflict.
 *
 * <p>dhcpcd runs with {@code -c /bin/true} and a configuration file of its own: no hook script, so nothing of the
 * machine's (its resolv.conf) is touched from the namespace, which shares the file system.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class DhcpDeclineIT {
    private static final String STATIC_MAC = "52:55:55:00:00:50";
    private static final String STATIC_IP = "192.168.104.50";

    /** The switch with a static lease whose address another guest already uses, and the lease's guest, unconfigured. */
    private record Conflict(SwitchProcess sw, NamespaceGuest guest) {
    }

    private static Conflict conflict(Closer c, Path dir) {
        Path sock = dir.resolve("net.sock");
        SwitchProcess sw = c.add(SwitchProcess.start("--listen", sock.toString(), "--lease",
                STATIC_IP + "=" + STATIC_MAC));
        // Someone configured the static lease's address by hand: the conflict.
        NamespaceGuest squatter = c.add(NamespaceGuest.connect(sock, STATIC_IP + "/24"));
        NamespaceGuest guest = c.add(NamespaceGuest.start(
                NamespaceGuest.Options.unconfigured("unix:" + sock).mac(STATIC_MAC)));
        squatter.assertPings(SwitchProcess.GATEWAY_IP, 1); // the switch has learned it
        return new Conflict(sw, guest);
    }

    @Test
    void dhcpcdDeclinesAStaticAddressFoundInUseAndGetsAnother() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            Conflict conflict = conflict(c, dir);
            SwitchProcess sw = conflict.sw();
            NamespaceGuest guest = conflict.guest();
            Path conf = java.nio.file.Files.writeString(dir.resolve("dhcpcd.conf"), "option subnet_mask, routers\n");
            // A fresh lease directory in the mount namespace `ip netns exec` made: the machine's /var/lib/dhcpcd is
            // left alone and no earlier run's lease skips the DISCOVER (see DhcpClientIdIT).
            // -B foreground, -1 exit once bound, -4 IPv4 only, -d log to stderr; ARP probing (RFC 5227) is on
            Exec.Result r = guest.sh("mount -t tmpfs u2t-dhcpcd /var/lib/dhcpcd && exec dhcpcd -f " + conf
                    + " -c /bin/true -B -1 -4 -d -t 100 tap0", Duration.ofSeconds(120));
            String out = r.output();
            assertTrue(out.contains("DAD detected " + STATIC_IP) || out.contains("DECLINE"),
                    "dhcpcd did not find and decline the address in use:\n" + out);
            Matcher m = Pattern.compile("leased ([0-9.]+)").matcher(out);
            String last = null;
            while (m.find()) {
                last = m.group(1);
            }
            assertTrue(last != null, "no lease in the end:\n" + out + "\nswitch:\n" + sw.output());
            assertFalse(last.equals(STATIC_IP), "got the conflicting address:\n" + out);
            assertTrue(sw.output().contains("address conflict"), "the conflict is not logged:\n" + sw.output());
        }
    }

    @Test
    void aStaticAddressFoundInUseIsDeclinedAndTheGuestGetsAnother() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            Conflict conflict = conflict(c, dir);
            SwitchProcess sw = conflict.sw();
            NamespaceGuest guest = conflict.guest();
            // -a: check the offered address with ARP first and DECLINE it when someone answers.
            Exec.Result r = guest.exec(Duration.ofSeconds(90), "busybox", "udhcpc", "-i", "tap0", "-a", "-q", "-n",
                    "-t", "10", "-T", "2", "-A", "1", "-s", "/bin/true");
            String out = r.output();
            assertTrue(out.toLowerCase(java.util.Locale.ROOT).contains("decline"),
                    "udhcpc did not decline the address in use:\n" + out);
            Matcher m = Pattern.compile("lease of ([0-9.]+) obtained").matcher(out);
            String last = null;
            while (m.find()) {
                last = m.group(1);
            }
            assertTrue(last != null, "no lease in the end:\n" + out + "\nswitch:\n" + sw.output());
            assertFalse(last.equals(STATIC_IP), "got the conflicting address:\n" + out);
            assertTrue(sw.output().contains("address conflict"), "the conflict is not logged:\n" + sw.output());
        }
    }
}
