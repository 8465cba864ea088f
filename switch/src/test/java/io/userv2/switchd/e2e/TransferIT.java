package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A bulk transfer between two guests is not disturbed while a third guest joins and leaves the switch,
 * repeatedly: it completes, and the bytes arrive intact (SHA-256 of a random blob).
 */
class TransferIT {
    private static final int BLOB_MIB = 160;
    private static final String RATE = "40M"; // bytes/s: ~4 s of transfer to overlap joins and leaves

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void transferSurvivesAThirdGuestJoiningAndLeaving() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path www = Files.createDirectories(E2e.workdir().resolve("www-" + E2e.randomHex(3)));
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(www));
            c.add(() -> E2e.deleteTree(dir));
            String expected = writeRandomBlob(www.resolve("blob"));
            Files.writeString(www.resolve("ok"), "ok\n");

            String sock = "unix:" + dir.resolve("net.sock");
            SwitchProcess sw = SwitchProcess.start("--listen", dir.resolve("net.sock").toString());
            c.add(sw::stop);
            NamespaceGuest server = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.10/24")));
            NamespaceGuest client = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.11/24")));
            server.spawn("httpd", "busybox", "httpd", "-f", "-p", "8080", "-h", www.toString());
            String base = "http://" + server.ip() + ":8080/";
            awaitHttp(client, base + "ok");

            LoggedProcess transfer = client.spawn("curl", "bash", "-o", "pipefail", "-c",
                    "curl -sS --fail --max-time 120 --limit-rate " + RATE + " " + base + "blob | sha256sum; echo \"exit=$?\"");
            int cyclesWhileRunning = 0;
            for (int i = 0; i < 10 && transfer.isAlive(); i++) {
                try (NamespaceGuest third = NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104." + (30 + i) + "/24"))) {
                    third.assertPings(GATEWAY_IP, 1);
                    third.assertPings(server.ip(), 1);
                }
                if (transfer.isAlive()) {
                    cyclesWhileRunning++;
                }
            }
            var m = transfer.requireLine(Pattern.compile("exit=(\\d+)"), 0, Duration.ofSeconds(150));
            assertEquals("0", m.group(1), "curl | sha256sum failed:\n" + transfer.output());
            assertTrue(transfer.output().contains(expected), "SHA-256 mismatch: expected " + expected + ", got:\n" + transfer.output());
            assertTrue(cyclesWhileRunning >= 1, "the transfer ended before a third guest could join and leave; make it longer");
            server.assertPings(client.ip(), 2);
        }
    }

    private static String writeRandomBlob(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(42);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < BLOB_MIB; i++) {
                random.nextBytes(chunk);
                sha.update(chunk);
                out.write(chunk);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static void awaitHttp(NamespaceGuest g, String url) {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Exec.Result last = null;
        while (System.nanoTime() < deadline) {
            last = g.exec(Duration.ofSeconds(5), "curl", "-sS", "--fail", "--max-time", "2", url);
            if (last.ok()) {
                return;
            }
            try {
                Thread.sleep(100); // poll interval
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("HTTP server never answered " + url + ": " + last);
    }
}
