package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * "One VM cannot hurt the others", end to end: a raw port ({@link RawPort}) misbehaves on the switch's socket while
 * a namespace guest carries on.
 *
 * <ul>
 *   <li>A port sending the gateway's MAC as its source 10 times a second does not take the gateway's traffic
 *       away: another guest loses at most 1 of 20 pings to the gateway, and the drops show in {@code /metrics}.</li>
 *   <li>With {@code --ip-source-guard}, a DHCP guest's frames from a spoofed address are dropped and counted while its
 *       leased address works.</li>
 *   <li>A port flooding the gateway with garbage as fast as it can write slows another guest's 50 MiB NAT download
 *       by at most 4 times.</li>
 * </ul>
 *
 * <p>Network safety: loopback and the namespaces the tests create only; the HTTP server listens on 127.0.0.1; every
 * load loop is bounded in frames and time.
 */
class PortSecurityIT {
    private static final Duration T = Duration.ofSeconds(20);
    private static final String ATTACKER_MAC = "52:55:55:66:66:66";
    private static final Pattern METRIC = Pattern.compile("(?m)^([a-z0-9_]+)\\{port=\"([^\"]*)\",reason=\"([a-z_]+)\"\\} (\\d+)$");

    private static List<String> args(Path dir, String... extra) {
        List<String> a = new ArrayList<>(List.of("--listen", dir.resolve("net.sock").toString(), "--api",
                dir.resolve("api.sock").toString(), "--host-resolver", "hosts", "--dns-upstream",
                "127.0.0.1:" + SwitchProcess.freeTcpPort()));
        a.addAll(List.of(extra));
        return a;
    }

    /** The sum over all ports of {@code userv2_port_drops_total{reason=REASON}}. */
    private static long drops(Path dir, String reason) {
        Exec.Result r = Exec.run(T, "curl", "-sS", "--max-time", "15", "--unix-socket", dir.resolve("api.sock").toString(),
                "http://localhost/metrics").assertOk();
        long sum = 0;
        Matcher m = METRIC.matcher(r.output());
        while (m.find()) {
            if (m.group(1).equals("userv2_port_drops_total") && m.group(3).equals(reason)) {
                sum += Long.parseLong(m.group(4));
            }
        }
        return sum;
    }

    private static long metric(Path dir, String name) {
        Exec.Result r = Exec.run(T, "curl", "-sS", "--max-time", "15", "--unix-socket", dir.resolve("api.sock").toString(),
                "http://localhost/metrics").assertOk();
        long sum = 0;
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*\\} (\\d+)$").matcher(r.output());
        while (m.find()) {
            sum += Long.parseLong(m.group(1));
        }
        return sum;
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aPortSpoofingTheGatewaysMacDoesNotTakeItsTrafficAway() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            SwitchProcess sw = SwitchProcess.start(args(dir));
            c.add(sw::stop);
            NamespaceGuest guest = c.add(NamespaceGuest.start(
                    NamespaceGuest.Options.connect("unix:" + dir.resolve("net.sock"), "192.168.104.3/24")));
            guest.assertPings(GATEWAY_IP, 1);
            RawPort raw = c.add(RawPort.connect("unix:" + dir.resolve("net.sock"), ATTACKER_MAC, "192.168.104.66"));
            // Gratuitous ARP from the gateway's MAC claiming the gateway's address: the worst a guest can send.
            byte[] spoof = Frames.arpReply(GATEWAY_MAC, GATEWAY_IP, "ff:ff:ff:ff:ff:ff", GATEWAY_IP);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            Thread spoofer = new Thread(() -> {
                long end = System.nanoTime() + 30_000_000_000L; // bounded: 30 s, 300 frames
                for (int i = 0; i < 300 && !stop.get() && System.nanoTime() < end; i++) {
                    raw.send(spoof);
                    sent.incrementAndGet();
                    try {
                        Thread.sleep(100); // the load's rate (10 frames/s), not a wait for a condition
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "spoofer");
            spoofer.start();
            c.add(() -> {
                stop.set(true);
                spoofer.interrupt();
            });
            Guest.PingResult r = guest.ping(GATEWAY_IP, 20);
            stop.set(true);
            spoofer.join(5_000);
            System.out.println("PortSecurityIT: " + sent.get() + " frames with the gateway's MAC sent; " + r);
            assertTrue(sent.get() >= 20, "the spoofer ran during the pings: " + sent.get());
            assertTrue(r.received() >= 19, "lost more than 1 of 20 pings to the gateway: " + r);
            assertTrue(drops(dir, "gateway_mac") >= sent.get() - 1, "spoofed frames counted: " + drops(dir, "gateway_mac"));
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void ipSourceGuardDropsASpoofedSourceAndLetsTheLeasedOneThrough() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            SwitchProcess sw = SwitchProcess.start(args(dir, "--ip-source-guard"));
            c.add(sw::stop);
            NamespaceGuest guest = c.add(NamespaceGuest.start(
                    NamespaceGuest.Options.unconfigured("unix:" + dir.resolve("net.sock"))));
            DhcpLease lease = guest.dhcp("guarded");
            guest.assertPings(GATEWAY_IP, 2);
            assertEquals(0, drops(dir, "ip_source_guard"), "the leased address passes");
            String spoofed = "192.168.104.200";
            guest.exec(T, "ip", "addr", "add", spoofed + "/32", "dev", "tap0").assertOk();
            Guest.PingResult r = guest.ping("-I " + spoofed + " " + GATEWAY_IP, 3);
            long dropped = drops(dir, "ip_source_guard");
            System.out.println("PortSecurityIT: lease " + lease.ip() + "; from " + spoofed + ": " + r + "; dropped " + dropped);
            assertEquals(0, r.received(), "pings from a spoofed source were answered: " + r);
            assertTrue(dropped >= 3, "spoofed frames counted: " + dropped);
            guest.exec(T, "ip", "addr", "del", spoofed + "/32", "dev", "tap0").assertOk();
            guest.assertPings(GATEWAY_IP, 3);
        }
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void aGarbageFloodAtTheGatewaySlowsAnotherGuestsDownloadAtMost4Times() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        Path www = Files.createDirectories(E2e.workdir().resolve("flood-www-" + E2e.randomHex(3)));
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            c.add(() -> E2e.deleteTree(www));
            NatHostServices host = c.add(new NatHostServices());
            String sha = NatIT.writeRandomBlob(www.resolve("down.bin"), 50, 3);
            NatHostServices.Http http = host.http(www);
            String url = "http://" + GATEWAY_IP + ":" + http.port + "/down.bin";
            SwitchProcess sw = SwitchProcess.start(args(dir));
            c.add(sw::stop);
            NamespaceGuest guest = c.add(NamespaceGuest.start(
                    NamespaceGuest.Options.connect("unix:" + dir.resolve("net.sock"), "192.168.104.3/24")));
            guest.assertPings(GATEWAY_IP, 1);
            download(guest, url, sha); // warm-up: the JIT, the host's page cache
            double quiet = download(guest, url, sha);

            RawPort raw = c.add(RawPort.connect("unix:" + dir.resolve("net.sock"), ATTACKER_MAC, "192.168.104.66"));
            ByteBuffer batch = garbageBatch();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong sent = new AtomicLong();
            int perBatch = batch.capacity() / 68;
            Thread flooder = new Thread(() -> {
                long end = System.nanoTime() + 30_000_000_000L; // bounded: 30 s and 300 million frames
                try {
                    while (!stop.get() && System.nanoTime() < end && sent.get() < 300_000_000L) {
                        raw.sendRaw(batch.array());
                        sent.addAndGet(perBatch);
                    }
                } catch (RuntimeException e) {
                    // the socket closed under it: done
                }
            }, "flooder");
            flooder.start();
            c.add(() -> {
                stop.set(true);
                raw.close(); // unblocks a write held up by the switch's backpressure
                flooder.join(5_000);
            });
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (sent.get() < 200_000 && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // until the flood is well under way (and the switch has paused the port)
            }
            assertTrue(sent.get() >= 200_000, "the flood did not get going: " + sent.get());
            long sentBefore = sent.get();
            double flooded = download(guest, url, sha);
            long during = sent.get() - sentBefore;
            stop.set(true);
            long pauses = metric(dir, "userv2_port_budget_pauses_total");
            System.out.printf("PortSecurityIT: 50 MiB NAT download %.2f s alone, %.2f s (%.1fx) while a port flooded the"
                    + " gateway (%d garbage frames written during it, %.0f/s; %d budget pauses)%n", quiet, flooded,
                    flooded / quiet, during, during / flooded, pauses);
            assertTrue(during > 0, "the flood went on during the download");
            assertTrue(pauses > 0, "the flooder's port was held back");
            assertTrue(drops(dir, "storm_control") > 0, "its broadcasts beyond the storm-control rate were dropped");
            assertTrue(flooded <= 4 * quiet, String.format("download took %.2f s with the flood, %.2f s without", flooded, quiet));
        }
    }

    /** Seconds to download {@code url} in {@code guest}, checking the SHA-256. */
    private static double download(NamespaceGuest guest, String url, String sha) {
        long t0 = System.nanoTime();
        Exec.Result r = guest.exec(Duration.ofSeconds(150), "bash", "-o", "pipefail", "-c",
                "curl -sS --fail --max-time 120 " + url + " | sha256sum");
        double secs = (System.nanoTime() - t0) / 1e9;
        r.assertOk();
        assertTrue(r.output().startsWith(sha), "download SHA-256: host " + sha + ", guest " + r.output());
        return secs;
    }

    /**
     * About 64 KiB of length-prefixed 64-byte frames for the gateway: IPv4 headers with a wrong checksum and garbage
     * after them, which the gateway parses and drops; every other one is broadcast, which reaches every port.
     */
    private static ByteBuffer garbageBatch() {
        byte[] gw = Frames.mac(GATEWAY_MAC);
        byte[] all = Frames.BROADCAST;
        byte[] me = Frames.mac(ATTACKER_MAC);
        int n = 64 * 1024 / 68;
        ByteBuffer b = ByteBuffer.allocate(n * 68);
        java.util.Random random = new java.util.Random(7);
        byte[] junk = new byte[64 - 14];
        for (int i = 0; i < n; i++) {
            random.nextBytes(junk);
            junk[0] = 0x45; // IPv4, 20-byte header, so the gateway looks at it
            b.putInt(64).put(i % 2 == 0 ? gw : all).put(me).putShort((short) 0x0800).put(junk);
        }
        return b;
    }
}
