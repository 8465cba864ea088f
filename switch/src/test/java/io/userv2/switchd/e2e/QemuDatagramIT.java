package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real QEMU guest on the switch's unix datagram listener ({@code --listen-vfkit unixgram://PATH}, one datagram per
 * frame as vfkit sends them; QEMU's {@code -netdev dgram} speaks the same) shares the LAN with a namespace guest on
 * the stream listener: both reach each other and the gateway.
 */
class QemuDatagramIT {
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void qemuGuestOverUnixDatagramsJoinsTheLan() {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            Path dgram = dir.resolve("vfkit.sock");
            SwitchProcess sw = SwitchProcess.start("--listen", dir.resolve("net.sock").toString(),
                    "--listen-vfkit", "unixgram://" + dgram);
            c.add(sw::stop);
            NamespaceGuest ns = c.add(NamespaceGuest.start(
                    NamespaceGuest.Options.connect("unix:" + dir.resolve("net.sock"), "192.168.104.10/24")));
            QemuGuest vm = c.add(QemuGuest.start(QemuGuest.Options.of("unixgram:" + dgram, "192.168.104.30/24")));
            QemuGuest.awaitReady(vm, Duration.ofSeconds(240));
            vm.assertPings(GATEWAY_IP, 3);
            vm.assertPings(ns.ip(), 3);
            ns.assertPings(vm.ip(), 3);
        }
    }
}
