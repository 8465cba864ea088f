package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * slirp4netns in bess mode (a SOCK_SEQPACKET bess server, one packet per frame) joined to the switch with
 * {@code --connect-bess}, and a real QEMU guest on the stream listener exchanging frames with it: the guest, at
 * 10.0.2.100 on slirp's network, pings slirp's own router address 10.0.2.2 (answered by slirp itself, so nothing
 * leaves the machine).
 */
class QemuBessIT {
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void qemuGuestTalksToSlirp4netnsOverBess() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            Path bess = dir.resolve("slirp.sock");
            LoggedProcess slirp = c.add(LoggedProcess.start("slirp4netns",
                    List.of("slirp4netns", "--target-type=bess", "--disable-dns", bess.toString())));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!Files.exists(bess) && System.nanoTime() - deadline < 0 && slirp.isAlive()) {
                Thread.sleep(20); // poll interval while waiting for the socket file slirp4netns creates
            }
            assertTrue(Files.exists(bess), "slirp4netns did not create " + bess);
            SwitchProcess sw = SwitchProcess.start("--listen", dir.resolve("net.sock").toString(),
                    "--connect-bess", "unixpacket://" + bess);
            c.add(sw::stop);
            QemuGuest vm = c.add(QemuGuest.start(QemuGuest.Options.of("unix:" + dir.resolve("net.sock"),
                    "10.0.2.100/24")));
            QemuGuest.awaitReady(vm, Duration.ofSeconds(240));
            vm.assertPings("10.0.2.2", 3);
        }
    }
}
