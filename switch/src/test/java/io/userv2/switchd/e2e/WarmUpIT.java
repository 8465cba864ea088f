package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The start-up warm-up as a user meets it, with the jar: it runs to its end while a VM that connected at once waits,
 * then that VM is served, and the warm-up leaves nothing on the real network: no port, NAT connection or TCP segment in {@code /stats}, no log line
 * but its own DEBUG summary (one "listening on", the user's), and no directory of its own in the temporary directory.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WarmUpIT {
    private static final Pattern SUMMARY =
            Pattern.compile("warm-up: (\\d+) segments up, (\\d+) down, (\\d+) between VMs in (\\d+) rounds,"
                    + " (\\d+) ms(.*)");
    private static final Path TMP = Path.of("/tmp");
    private Path dir;

    @BeforeEach
    void setUp() {
        E2e.requireRoot();
        dir = E2e.socketDir();
    }

    @AfterEach
    void tearDown() {
        E2e.deleteTree(dir);
    }

    private static Set<Path> warmUpDirectories() throws IOException {
        try (Stream<Path> s = Files.list(TMP)) {
            return s.filter(p -> p.getFileName().toString().startsWith("userv2-warm-up")).collect(Collectors.toSet());
        }
    }

    @Test
    void runsToItsEndBesideAVmAndLeavesNothingOnTheRealNetwork() throws IOException {
        Path sock = dir.resolve("net.sock");
        Set<Path> before = warmUpDirectories();
        SwitchProcess sw = SwitchProcess.start("--listen", sock.toString(), "--api", dir.resolve("api.sock").toString(),
                "--log-level", "DEBUG");
        // connected at once: it waits in the backlog while the warm-up runs, and is served after it
        try (NamespaceGuest g = NamespaceGuest.connect(sock, "192.168.104.10/24")) {
            Matcher m = sw.process().requireLine(SUMMARY, 0, Duration.ofSeconds(60));
            assertFalse(m.group(6).contains("stopped early"), m.group());
            long rounds = Long.parseLong(m.group(4));
            assertTrue(rounds >= 1 && Long.parseLong(m.group(1)) >= rounds * 2_000
                    && Long.parseLong(m.group(2)) >= rounds * 2_000 && Long.parseLong(m.group(3)) >= rounds * 2_000,
                    m.group());
            g.assertPings(GATEWAY_IP, 3);

            JsonNode stats = Ipv6LanIT.stats(dir);
            for (JsonNode port : stats.path("ports")) {
                String name = port.path("name").asText();
                assertTrue(name.equals("gateway") || name.startsWith("unix:" + sock), "a port not ours: " + stats);
            }
            assertEquals(0, stats.path("nat").path("tcpConnections").asLong(), stats.toString());
            assertEquals(0, stats.path("nat").path("tcpSegmentsIn").asLong(), stats.toString());
            assertEquals(0, stats.path("nat").path("tcpSegmentsOut").asLong(), stats.toString());
            g.assertPings(GATEWAY_IP, 2);
        } finally {
            sw.stop();
        }
        List<String> lines = sw.process().lines();
        assertEquals(1, lines.stream().filter(l -> l.contains("listening on")).count(), sw.output());
        assertFalse(lines.stream().anyMatch(l -> l.contains("userv2-warm-up")), sw.output());
        assertEquals(before, warmUpDirectories(), "the warm-up's directory is removed");
    }
}
