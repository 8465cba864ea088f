package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12's bulk acceptance over IPv6, at MTU 1500 and 65520: a namespace guest that took its address by SLAAC
 * (Linux's own Router Advertisement handling, set in its namespace only) downloads 100 MiB from an HTTP server on the
 * host's {@code [::1]} through the gateway's IPv6 address and uploads 100 MiB back, SHA-256 checked at both ends
 * (the same code as {@link NatIT}'s IPv4 runs), then runs iperf3 over IPv6 guest to host and host to guest ({@code
 * -R}) against an iperf3 server on {@code [::1]}: each run must complete and move bytes both ends agree on. No timing
 * is asserted (the figures are printed; bench/scripts/nat-vs-passt.sh with FAMILY=6 measures).
 *
 * <p>Network safety: every host server listens on {@code ::1} only; the guest only dials the gateway's ULA address;
 * {@code --no-outside}, and DNS kept off the machine's resolver ({@link NatIT#switchArgs}).
 */
class Nat66TransferIT {
    private static final String GATEWAY6 = Ipv6LanIT.GATEWAY6;
    private static final Pattern LISTENING = Pattern.compile("Server listening");

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void hundredMiBBothWaysAndIperf3BothWaysAtMtu1500() throws Exception {
        run(1500);
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void hundredMiBBothWaysAndIperf3BothWaysAtMtu65520() throws Exception {
        run(65520);
    }

    private static void run(int mtu) throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            NatHostServices host = c.add(new NatHostServices());
            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(dir.resolve("net.sock"),
                    List.of("--no-outside", "--mtu", Integer.toString(mtu))));
            c.add(sw::stop);
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(
                    "unix:" + dir.resolve("net.sock"), "192.168.104.3/24").mtu(mtu).withSlaac()));
            assertFalse(g.awaitIpv6Address(Ipv6LanIT.prefixText(), Duration.ofSeconds(30)).isEmpty(), "SLAAC");
            // The Router Advertisement's MTU option must not have lowered the guest's IPv6 MTU below the link's.
            String v6mtu = g.exec(Duration.ofSeconds(10), "cat", "/proc/sys/net/ipv6/conf/tap0/mtu").assertOk()
                    .output().trim();
            assertEquals(Integer.toString(mtu), v6mtu, "the guest's IPv6 MTU on tap0");
            String what = "IPv6, MTU " + mtu;

            NatIT.transfer100MiB(host, g, GATEWAY6, what);

            int port = SwitchProcess.freeTcpPort();
            LoggedProcess server = c.add(LoggedProcess.start("iperf3-server6",
                    List.of("iperf3", "-s", "-B", "::1", "-p", Integer.toString(port), "--forceflush")));
            server.requireLine(LISTENING, 0, Duration.ofSeconds(10));
            for (boolean reverse : new boolean[] {false, true}) {
                JsonNode end = iperf3(g, port, reverse).path("end");
                long sent = end.path("sum_sent").path("bytes").asLong();
                long received = end.path("sum_received").path("bytes").asLong();
                String direction = reverse ? "host -> guest (-R)" : "guest -> host";
                assertTrue(sent > 0 && received > 0, what + ", " + direction + ": sent " + sent + ", received "
                        + received + "\n" + end);
                assertTrue(received <= sent, what + ", " + direction + ": received more than was sent: " + end);
                System.out.printf("Nat66TransferIT: %s, iperf3 %s: %.2f Gbit/s (receiver)%n", what, direction,
                        end.path("sum_received").path("bits_per_second").asDouble() / 1e9);
            }
            assertTrue(sw.isAlive(), sw.output());
        }
    }

    /**
     * One bounded iperf3 run (2 s) from the guest to {@code [GATEWAY6]:port}, NAT66 to the server on {@code [::1]};
     * retried while the server reports itself busy with the previous test's teardown. Returns iperf3's JSON.
     */
    private static JsonNode iperf3(NamespaceGuest g, int port, boolean reverse) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("iperf3", "-6", "-c", GATEWAY6, "-p", Integer.toString(port),
                "-t", "2", "-J"));
        if (reverse) {
            cmd.add("-R");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Exec.Result r = g.exec(Duration.ofSeconds(40), cmd.toArray(String[]::new));
            String out = r.output();
            JsonNode json = out.indexOf('{') < 0 ? new ObjectMapper().createObjectNode()
                    : new ObjectMapper().readTree(out.substring(out.indexOf('{')));
            String error = json.path("error").asText("");
            if (r.ok() && error.isEmpty()) {
                return json;
            }
            if (!error.contains("busy") || System.nanoTime() > deadline) {
                throw new AssertionError("iperf3 " + String.join(" ", cmd) + " failed: " + r);
            }
            try {
                Thread.sleep(200); // poll interval while the server finishes the previous test
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
