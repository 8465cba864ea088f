package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Checks the harness itself without the switch: two tap bridges joined by one listening socket make a direct
 * wire between two namespaces (at MTU 1500 and 65520), and a QEMU guest's {@code -netdev stream} talks to a
 * listening bridge. When these pass and a switch test fails, suspect the switch.
 */
class HarnessIT {
    private static Path dir;

    @BeforeAll
    static void setUp() {
        E2e.requireRoot();
        dir = E2e.socketDir();
    }

    @AfterAll
    static void tearDown() {
        E2e.deleteTree(dir);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void directWireBetweenTwoNamespacesAtBothMtus() {
        for (int mtu : new int[] {1500, 65520}) {
            String sock = "unix:" + dir.resolve("wire-" + mtu + ".sock");
            try (NamespaceGuest a = NamespaceGuest.start(NamespaceGuest.Options.listen(sock, "192.168.104.10/24").mtu(mtu));
                    NamespaceGuest b = NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.11/24").mtu(mtu))) {
                a.awaitPeer(Duration.ofSeconds(10));
                a.assertPings(b.ip(), 3);
                b.assertPings(a.ip(), 3);
                // A frame of exactly the MTU crosses the wire in one piece.
                int size = mtu - 28;
                Exec.Result big = a.sh("busybox ping -c 2 -W 2 -w 8 -s " + size + " " + b.ip(), Duration.ofSeconds(15));
                assertTrue(big.output().contains("2 packets received"), big.toString());
            }
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void qemuGuestOverStreamNetdevTalksToNamespaceGuest() {
        String sock = "unix:" + dir.resolve("qemu-wire.sock");
        try (NamespaceGuest ns = NamespaceGuest.start(NamespaceGuest.Options.listen(sock, "192.168.104.10/24"));
                QemuGuest vm = QemuGuest.boot(QemuGuest.Options.of(sock, "192.168.104.20/24"))) {
            ns.awaitPeer(Duration.ofSeconds(10));
            vm.assertPings(ns.ip(), 3);
            ns.assertPings(vm.ip(), 3);
            Exec.Result r = vm.sh("cat /sys/class/net/eth0/address; echo hello; false", Duration.ofSeconds(10));
            assertEquals(1, r.exitCode(), r.toString());
            assertTrue(r.output().contains(vm.mac()) && r.output().contains("hello"), r.toString());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void switchProcessWaitsForReadinessAndStopsWithSigterm() {
        // A stand-in for the jar: announces two listeners, then runs until SIGTERM.
        SwitchProcess sw = SwitchProcess.startCommand("stub-switch",
                List.of("sh", "-c", "echo 'listening on unix:/x' >&2; echo 'listening on tcp://127.0.0.1:1'; exec sleep 300"), 2,
                Duration.ofSeconds(10));
        assertTrue(sw.isAlive());
        assertEquals(143, sw.stop());
    }
}
