package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Socket files over the switch's life: SIGTERM and SIGINT remove them; a second instance on a live socket is
 * refused with a clear message and leaves the first one working; a stale socket file (a dead listener's) is replaced.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LifecycleIT {
    private Path dir;
    private Path sock;

    @BeforeEach
    void setUp() {
        E2e.requireRoot();
        dir = E2e.socketDir();
        sock = dir.resolve("net.sock");
    }

    @AfterEach
    void tearDown() {
        E2e.deleteTree(dir);
    }

    private void assertWorks() {
        try (NamespaceGuest g = NamespaceGuest.connect(sock, "192.168.104.10/24")) {
            g.assertPings(GATEWAY_IP, 2);
        }
    }

    @Test
    void sigtermRemovesTheSocketFiles() {
        Path second = dir.resolve("second.sock");
        SwitchProcess sw = SwitchProcess.start("--listen", sock.toString(), "--listen", second.toString());
        try {
            assertTrue(Files.exists(sock) && Files.exists(second), "socket files not created");
            assertWorks();
        } finally {
            sw.stop();
        }
        assertFalse(Files.exists(sock), "SIGTERM left " + sock);
        assertFalse(Files.exists(second), "SIGTERM left " + second);
    }

    @Test
    void sigintRemovesTheSocketFile() {
        SwitchProcess sw = SwitchProcess.start("--listen", sock.toString());
        try {
            Exec.run(Duration.ofSeconds(5), "kill", "-INT", Long.toString(sw.process().pid())).assertOk();
            assertTrue(sw.process().awaitExit(Duration.ofSeconds(15)).isPresent(), "switch ignored SIGINT:\n" + sw.output());
        } finally {
            sw.close();
        }
        assertFalse(Files.exists(sock), "SIGINT left " + sock);
    }

    @Test
    void secondInstanceOnALiveSocketIsRefused() {
        SwitchProcess first = SwitchProcess.start("--listen", sock.toString());
        try {
            Exec.Result second = SwitchProcess.runExpectingExit(List.of("--listen", sock.toString()));
            assertNotEquals(-1, second.exitCode(), "second instance did not exit (it should refuse the live socket):\n" + second);
            assertNotEquals(0, second.exitCode(), "second instance succeeded on a live socket:\n" + second);
            String out = second.output().toLowerCase(Locale.ROOT);
            assertTrue(out.contains(sock.toString().toLowerCase(Locale.ROOT)) || out.contains("in use") || out.contains("already")
                    || out.contains("another"), "refusal message should name the socket or say it is in use:\n" + second);
            assertTrue(Files.exists(sock), "the refused instance removed the live socket file");
            assertTrue(first.isAlive(), "first instance died");
            assertWorks();
        } finally {
            first.stop();
        }
        assertFalse(Files.exists(sock), "SIGTERM of the first instance left " + sock + " (after a refused second instance probed it)");
    }

    @Test
    void aClientConnectingAsSoonAsTheSocketFileAppearsIsServed() {
        // The socket is bound before the network is built; a client that connects the moment the file appears
        // (as Lima and scripts do) waits in the backlog and its first frame is answered once the loop runs.
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                E2e.jar().toString(), "--listen", sock.toString());
        try (LoggedProcess p = LoggedProcess.start("switch", cmd)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(sock)) {
                assertTrue(p.isAlive() && System.nanoTime() < deadline, "no socket file:\n" + p.tail(20));
                Thread.onSpinWait();
            }
            try (RawPort raw = RawPort.connect("unix:" + sock, E2e.randomMac(), "192.168.104.250")) {
                raw.send(Frames.pad(Frames.arpRequest(raw.mac(), raw.ip(), GATEWAY_IP), 60, (byte) 0));
                assertTrue(raw.await(f -> Frames.isArp(f, 2), Duration.ofSeconds(60)).isPresent(),
                        "the ARP request sent on connecting was not answered:\n" + p.tail(20));
            }
        }
    }

    @Test
    void anInvalidCommandLineLeavesNoSocketFile() {
        Exec.Result r = SwitchProcess.runExpectingExit(List.of("--listen", sock.toString(), "--mtu", "5"));
        assertEquals(2, r.exitCode(), "an MTU of 5 should be refused as a usage error:\n" + r);
        assertFalse(Files.exists(sock), "the refused command line left its socket file " + sock);
    }

    @Test
    void staleSocketFileOfADeadListenerIsReplaced() throws IOException {
        // A socket file nobody listens on any more: bind, then close (the JDK leaves the file behind).
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(sock));
        }
        assertTrue(Files.exists(sock), "test setup: the stale socket file should exist");
        SwitchProcess sw = SwitchProcess.start("--listen", sock.toString());
        try {
            assertWorks();
        } finally {
            sw.stop();
        }
    }

    @Test
    void socketLeftByAKilledSwitchIsReplaced() {
        SwitchProcess killed = SwitchProcess.start("--listen", sock.toString());
        killed.kill();
        assertTrue(Files.exists(sock), "SIGKILL cannot clean up; the socket file should still be there");
        SwitchProcess sw = SwitchProcess.start("--listen", sock.toString());
        try {
            assertWorks();
        } finally {
            sw.stop();
        }
    }
}
