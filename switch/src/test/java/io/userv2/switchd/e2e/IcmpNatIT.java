package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * ICMP echo beyond the gateway through Linux ping sockets: a namespace guest runs iputils {@code ping} against the
 * host alias (the gateway's own address, which the gateway answers itself) and against {@code --nat} targets mapped
 * to the host's 127.0.0.1, whose replies can only have come through a ping socket of the switch; a destination
 * without a rule under {@code --no-outside} gets no reply, as behind a filtering router; and with
 * {@code net.ipv4.ping_group_range} at {@code "1 0"} (nobody may open ping sockets, root included) the switch says so
 * in one log line, the ping times out, everything else keeps working, and pings go through again once the range
 * allows the switch's group.
 *
 * <p>The sysctl belongs to the network namespace the switch runs in (the host's): each test sets the value it needs
 * and puts back the one it found, and the class puts back the value it started with, whatever happens. The value
 * set to allow ping sockets is {@code "0 0"}, root's group only (root may open raw sockets anyway).
 *
 * <p>Network safety: the guest pings only the gateway and documentation addresses (203.0.113.10/11/12) under
 * {@code --no-outside}; the rules map two of them to 127.0.0.1, the third has none and never leaves the switch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IcmpNatIT {
    static final Path PING_GROUP_RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");
    static final String ALLOW_ROOT = "0 0";
    static final String NOBODY = "1 0";
    private static final String NAT_TARGET = "203.0.113.10";
    private static final String NO_RULE = "203.0.113.11";
    /** A second rule, pinged only while ping sockets are refused (so no flow from another test can answer it). */
    private static final String REFUSED_TARGET = "203.0.113.12";
    private static final Pattern OFF = Pattern.compile("ICMP echo beyond the gateway is off: .*ping_group_range.*"
            + "sysctl -w net\\.ipv4\\.ping_group_range=");
    private static final Pattern ON = Pattern.compile("ICMP echo beyond the gateway is on");

    private final Closer closer = new Closer();
    private SwitchProcess sw;
    private NamespaceGuest guest;

    @BeforeAll
    void startSwitchAndGuest() {
        E2e.requireRoot();
        String original = readRange();
        closer.add(() -> writeRange(original));
        Path dir = E2e.socketDir();
        closer.add(() -> E2e.deleteTree(dir));
        sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"), List.of("--no-outside",
                "--nat", NAT_TARGET + "=127.0.0.1", "--nat", REFUSED_TARGET + "=127.0.0.1")));
        closer.add(sw::stop);
        guest = closer.add(NamespaceGuest.start(
                NamespaceGuest.Options.connect("unix:" + dir.resolve("net.sock"), "192.168.104.6/24")));
        guest.exec(Duration.ofSeconds(10), "ip", "route", "add", "default", "via", GATEWAY_IP).assertOk();
        guest.assertPings(GATEWAY_IP, 1);
    }

    @AfterAll
    void stopAll() {
        closer.close();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void theHostAliasAndNatTargetsAnswerThroughPingSockets() {
        try (Closer c = new Closer()) {
            withRange(c, ALLOW_ROOT);
            int from = sw.process().lineCount();
            Ping alias = ping(GATEWAY_IP, 3, "");
            assertEquals(3, alias.received(), alias.toString());

            Ping nat = ping(NAT_TARGET, 3, "-p 75327432");
            assertEquals(3, nat.received(), "replies from the --nat target (through a ping socket): " + nat);
            for (int seq = 1; seq <= 3; seq++) {
                assertTrue(nat.output().contains("from " + NAT_TARGET + ": icmp_seq=" + seq + " "),
                        "reply " + seq + " from the address the guest pinged, with its sequence: " + nat);
            }
            assertFalse(nat.output().contains("DUP!") || nat.output().contains("BAD CHECKSUM")
                    || nat.output().contains("wrong data"), "iputils checks checksum, data and duplicates: " + nat);

            // 3000 bytes of data: the switch fragments the reply to the guest's MTU of 1500.
            Ping big = ping(NAT_TARGET, 2, "-s 3000");
            assertEquals(2, big.received(), "large echo: " + big);
            assertTrue(big.output().contains("3008 bytes from " + NAT_TARGET), big.toString());

            assertEquals(-1, sw.process().awaitLineIndex(OFF, from, Duration.ZERO), "no 'off' line: " + sw.output());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDestinationWithoutARuleTimesOutAsOnARealNetwork() {
        try (Closer c = new Closer()) {
            withRange(c, ALLOW_ROOT);
            Ping blocked = ping(NO_RULE, 2, "");
            assertTrue(blocked.transmitted() >= 2, blocked.toString()); // -w: it goes on sending until the deadline
            assertEquals(0, blocked.received(), "--no-outside without a rule: " + blocked);
            assertFalse(blocked.output().contains("Unreachable"), "dropped silently, no ICMP error: " + blocked);
            assertTrue(sw.isAlive());
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void withoutPermissionOneLogLineThePingTimesOutAndTheSwitchKeepsServing() {
        try (Closer c = new Closer()) {
            withRange(c, NOBODY);
            int from = sw.process().lineCount();
            Ping refused = ping(REFUSED_TARGET, 2, "");
            assertEquals(0, refused.received(), "no ping sockets, no reply: " + refused);
            int line = sw.process().requireLineIndex(OFF, from, Duration.ofSeconds(10));
            System.out.println("IcmpNatIT: " + sw.process().lines().get(line));

            Ping again = ping(REFUSED_TARGET, 3, "");
            assertEquals(0, again.received(), again.toString());
            assertEquals(1, sw.process().linesFrom(from).stream().filter(l -> OFF.matcher(l).find()).count(),
                    "one log line, not one per packet:\n" + sw.process().tail(20));
            guest.assertPings(GATEWAY_IP, 2); // the gateway answers its own address itself
            assertTrue(sw.isAlive());

            // The administrator allows it: pings go through again (the switch tries again at most once a second).
            writeRange(ALLOW_ROOT);
            Ping allowed = null;
            for (int i = 0; i < 10 && (allowed == null || allowed.received() == 0); i++) {
                allowed = ping(REFUSED_TARGET, 2, "");
            }
            assertTrue(allowed.received() > 0, "after widening the range: " + allowed);
            sw.process().requireLineIndex(ON, line, Duration.ofSeconds(5));
        }
    }

    /** Sets the range for the rest of the test; {@code c} puts back the value found. */
    private static void withRange(Closer c, String value) {
        String before = readRange();
        c.add(() -> writeRange(before));
        writeRange(value);
    }

    static String readRange() {
        try {
            // Not Files.readString: it trusts the size procfs reports (0) and returns a short read.
            return String.join(" ", Files.readAllLines(PING_GROUP_RANGE)).trim().replaceAll("\\s+", " ");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void writeRange(String value) {
        try {
            Files.writeString(PING_GROUP_RANGE, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertEquals(value, readRange(), "net.ipv4.ping_group_range");
    }

    /** iputils ping from the guest: {@code count} requests 0.2 s apart, each waited for 2 s at most. */
    private Ping ping(String target, int count, String options) {
        Exec.Result r = guest.sh("ping -n -c " + count + " -i 0.2 -W 2 -w " + (count + 4) + " " + options + " "
                + target, Duration.ofSeconds(count + 15));
        Guest.PingResult p = Guest.PingResult.parse(guest.name() + " -> " + target, r);
        return new Ping(p.transmitted(), p.received(), r.output(), p.toString());
    }

    private record Ping(int transmitted, int received, String output, String summary) {
        @Override
        public String toString() {
            return summary;
        }
    }
}
