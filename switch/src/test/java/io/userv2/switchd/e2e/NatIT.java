package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * NAT of guest TCP and UDP to the host, with namespace guests (the host kernel's TCP stack in the guest; see
 * {@link NatQemuIT} for a real VM). The gateway's address 192.168.104.2 is the host alias: TCP/UDP to
 * 192.168.104.2:PORT reaches the host's 127.0.0.1:PORT, where the test runs its own servers
 * ({@link NatHostServices}). The guest side uses curl and testtools/natprobe.c.
 *
 * <p>Checked: 100 MiB down and up with SHA-256 at both ends (MTU 1500, and 65520 with a 65000-byte datagram); a
 * UDP echo; a closed host port refused at once (curl exit 7, ECONNREFUSED in well under the 10 s dial timeout); 500
 * connections open at once all echo; a guest's half-close still gets the reply the host sends after EOF; a
 * {@code --nat} rule reaches the host while {@code --no-outside} refuses an address without one.
 *
 * <p>Network safety: every server listens on 127.0.0.1 only; guests only ever address the gateway (the shared
 * guest has no default route at all) or, with {@code --no-outside}, the documentation addresses 203.0.113.10/11;
 * the switch's DNS never reaches the machine's resolver ({@code --host-resolver hosts}, upstream a closed loopback
 * port).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NatIT {
    private static final int BLOB_MIB = 100;
    private static final String GUEST_CIDR = "192.168.104.3/24";

    private final Closer closer = new Closer();
    private Path dir;
    private NatHostServices host;
    private SwitchProcess sw;
    private NamespaceGuest guest;
    private String natprobe;

    @BeforeAll
    void startSwitchAndGuest() {
        E2e.requireRoot();
        dir = E2e.socketDir();
        closer.add(() -> E2e.deleteTree(dir));
        host = closer.add(new NatHostServices());
        natprobe = NatTools.natprobe().toString();
        sw = SwitchProcess.start(switchArgs(dir.resolve("net.sock"), List.of()));
        closer.add(sw::stop);
        guest = closer.add(NamespaceGuest.start(NamespaceGuest.Options.connect("unix:" + dir.resolve("net.sock"), GUEST_CIDR)));
        guest.assertPings(GATEWAY_IP, 1);
    }

    @AfterAll
    void stopAll() {
        closer.close();
    }

    /** The switch's arguments: one unix listener, DNS kept off the machine's resolver, plus {@code extra}. */
    static List<String> switchArgs(Path socket, List<String> extra) {
        List<String> args = new ArrayList<>(List.of("--listen", socket.toString(), "--host-resolver", "hosts",
                "--dns-upstream", "127.0.0.1:" + SwitchProcess.freeTcpPort()));
        args.addAll(extra);
        return args;
    }

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void downloadAndUpload100MiBThroughTheHostAlias() throws Exception {
        transfer(guest, "MTU 1500");
    }

    /** The same at the largest MTU (64 KiB frames through the tap bridge and the switch), plus a 65000-byte datagram. */
    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void downloadUploadAndBigDatagramAtMtu65520() throws Exception {
        Path d = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(d));
            SwitchProcess big = SwitchProcess.start(switchArgs(d.resolve("net.sock"),
                    List.of("--mtu", "65520", "--api", d.resolve("api.sock").toString())));
            c.add(big::stop);
            NamespaceGuest g = c.add(NamespaceGuest.start(
                    NamespaceGuest.Options.connect("unix:" + d.resolve("net.sock"), "192.168.104.5/24").mtu(65520)));
            transfer(g, "MTU 65520");
            // The guest's large segments went to the host socket from the frames they came in (no receive buffer).
            com.fasterxml.jackson.databind.JsonNode nat = Ipv6LanIT.stats(d).path("nat");
            long in = nat.path("tcpBytesIn").asLong();
            long direct = nat.path("tcpBytesInDirect").asLong();
            System.out.printf("NatIT: MTU 65520: %d of %d bytes from the guest written to the host as they came%n",
                    direct, in);
            assertTrue(in >= BLOB_MIB * (1L << 20) && direct > 0 && direct <= in, nat.toString());
            NatHostServices.UdpEcho echo = host.udpEcho();
            String payload = "J".repeat(65000);
            Map<String, String> r = probe(g, Duration.ofSeconds(20), "udp", GATEWAY_IP, Integer.toString(echo.port), payload, "2000", "3");
            assertEquals("reply", r.get("result"), "no echo of a 65000-byte datagram at MTU 65520: " + r.get("result") + " " + r.get("error"));
            assertEquals("65000", r.get("bytes"), "echoed size");
        }
    }

    /** 100 MiB host -> guest and 100 MiB guest -> host over HTTP through the host alias, SHA-256 checked at both ends. */
    private void transfer(NamespaceGuest g, String what) throws Exception {
        transfer100MiB(host, g, GATEWAY_IP, what);
    }

    /**
     * 100 MiB host -> guest and 100 MiB guest -> host over HTTP (curl in the guest, {@link NatHostServices.Http} on
     * the host), SHA-256 checked at both ends. {@code via} is the address the guest dials: an IPv4 one reaches an
     * HTTP server on the host's 127.0.0.1, an IPv6 one (NAT66: the gateway's IPv6 address) one on {@code [::1]}.
     */
    static void transfer100MiB(NatHostServices host, NamespaceGuest g, String via, String what) throws Exception {
        Path www = Files.createDirectories(E2e.workdir().resolve("nat-www-" + E2e.randomHex(3)));
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(www));
            String down = writeRandomBlob(www.resolve("down.bin"), BLOB_MIB, 1);
            String up = writeRandomBlob(www.resolve("up.bin"), BLOB_MIB, 2);
            boolean v6 = via.contains(":");
            NatHostServices.Http http = v6 ? host.http6(www) : host.http(www);
            String base = "http://" + (v6 ? "[" + via + "]" : via) + ":" + http.port + "/";

            long t0 = System.nanoTime();
            Exec.Result get = g.exec(Duration.ofSeconds(150), "bash", "-o", "pipefail", "-c",
                    "curl -sS --fail --max-time 120 " + base + "down.bin | sha256sum");
            double getSecs = (System.nanoTime() - t0) / 1e9;
            get.assertOk();
            assertTrue(get.output().startsWith(down), what + ": download SHA-256: host " + down + ", guest " + get.output());

            Exec.Result guestSha = g.exec(Duration.ofSeconds(60), "sha256sum", www.resolve("up.bin").toString()).assertOk();
            assertTrue(guestSha.output().startsWith(up), "the guest sees a different upload file: " + guestSha);
            t0 = System.nanoTime();
            Exec.Result put = g.exec(Duration.ofSeconds(150), "curl", "-sS", "--fail", "--max-time", "120",
                    "-T", www.resolve("up.bin").toString(), base + "upload/up1");
            double putSecs = (System.nanoTime() - t0) / 1e9;
            put.assertOk();
            NatHostServices.Upload got = http.uploads.get("up1");
            assertTrue(got != null, what + ": the host never saw the upload: " + put);
            assertEquals(BLOB_MIB * (1L << 20), got.bytes(), what + ": upload size");
            assertEquals(up, got.sha256(), what + ": upload SHA-256 (host end vs guest end)");
            assertTrue(put.output().contains("sha256=" + up), what + ": the guest got a different answer: " + put);
            System.out.printf("NatIT: %s via %s: %d MiB down in %.1f s (%.0f Mbit/s), up in %.1f s (%.0f Mbit/s)%n", what,
                    via, BLOB_MIB, getSecs, BLOB_MIB * 8.388608 / getSecs, putSecs, BLOB_MIB * 8.388608 / putSecs);
        }
    }

    /** A 60 KiB datagram at MTU 1500: the guest's fragments are reassembled, the echo fragmented back to it. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void a60KiBDatagramEchoesBothWaysAtMtu1500() {
        NatHostServices.UdpEcho echo = host.udpEcho();
        String payload = "F".repeat(60 * 1024);
        Map<String, String> r = probe(Duration.ofSeconds(20), "udp", GATEWAY_IP, Integer.toString(echo.port), payload, "2000", "3");
        assertEquals("reply", r.get("result"), "no echo of a 60 KiB datagram at MTU 1500: " + r.get("result") + " " + r.get("error"));
        assertEquals(Integer.toString(60 * 1024), r.get("bytes"), "echoed size");
        assertEquals(60 * 1024, echo.largest.get(), "the host received the datagram whole");
    }

    /** The host's ICMP port unreachable reaches the guest: its connected UDP socket's recv fails with ECONNREFUSED. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aClosedHostUdpPortIsRefusedInTheGuest() throws Exception {
        int closed;
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Map<String, String> r = probe(Duration.ofSeconds(20), "udp", GATEWAY_IP, Integer.toString(closed), "anyone", "2000", "2");
        assertEquals("error", r.get("result"), "expected ECONNREFUSED from the guest's recv: " + r);
        assertEquals("111", r.get("errno"), "ECONNREFUSED: " + r);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void udpEchoRoundTrip() {
        NatHostServices.UdpEcho echo = host.udpEcho();
        String payload = "u2t-udp-" + E2e.randomHex(8);
        Map<String, String> r = probe(Duration.ofSeconds(20), "udp", GATEWAY_IP, Integer.toString(echo.port), payload, "2000", "3");
        assertEquals("reply", r.get("result"), "no UDP echo through the host alias: " + r);
        assertEquals(payload, r.get("reply"), "echoed payload");
        assertTrue(echo.datagrams.get() >= 1, "the host echo saw nothing");

        // A datagram as large as the MTU allows (1500 - 20 - 8) goes through whole, both ways.
        String big = "B".repeat(1472);
        r = probe(Duration.ofSeconds(20), "udp", GATEWAY_IP, Integer.toString(echo.port), big, "2000", "3");
        assertEquals("reply", r.get("result"), "no echo of a 1472-byte datagram: " + r);
        assertEquals("1472", r.get("bytes"), "echoed size of the 1472-byte datagram");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void closedHostPortIsRefusedAtOnce() {
        int closed = SwitchProcess.freeTcpPort();
        long t0 = System.nanoTime();
        Exec.Result curl = guest.exec(Duration.ofSeconds(30), "curl", "-sS", "--max-time", "15", "http://" + GATEWAY_IP + ":" + closed + "/");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(7, curl.exitCode(), "curl should fail to connect (exit 7): " + curl);
        assertTrue(curl.output().contains("Connection refused") || curl.output().contains("Couldn't connect"), curl.toString());
        // The switch dials for up to 10 s; a refusal must come back long before that (and before the guest's first SYN retransmit).
        assertTrue(ms < 2000, "refusal took " + ms + " ms: " + curl);

        Map<String, String> r = probe(Duration.ofSeconds(30), "connect", GATEWAY_IP, Integer.toString(closed), "15000");
        assertEquals("111", r.get("errno"), "connect to a closed port: expected ECONNREFUSED: " + r);
        assertTrue(Long.parseLong(r.get("ms")) < 1000, "ECONNREFUSED after " + r.get("ms") + " ms");
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void fiveHundredConcurrentConnectionsAllComplete() {
        NatHostServices.TcpEcho echo = host.tcpEcho();
        Map<String, String> r = probe(Duration.ofSeconds(120), "many", GATEWAY_IP, Integer.toString(echo.port), "500", "90");
        System.out.println("NatIT: 500 connections: " + r);
        assertEquals("500", r.get("completed"), "connections that sent and got their echo back: " + r + "\nswitch log tail:\n" + sw.process().tail(20));
        assertEquals("0", r.get("failed"), r.toString());
        assertEquals(500, echo.accepted.get(), "host-side connections accepted");
        assertTrue(echo.maxOpen.get() >= 500, "the host saw at most " + echo.maxOpen.get() + " connections open at once");
        // The switch lets them all go again: the host side closes once the guest closes.
        awaitTrue(() -> echo.open.get() == 0, Duration.ofSeconds(30), () -> "host connections still open: " + echo.open.get());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void halfCloseFromTheGuestStillGetsTheReply() throws Exception {
        int extra = 256 * 1024;
        NatHostServices.ReplyAfterEof server = host.replyAfterEof(extra);
        long sent = 300_000;
        Map<String, String> r = probe(Duration.ofSeconds(40), "halfclose", GATEWAY_IP, Integer.toString(server.port), Long.toString(sent), "20");
        assertEquals("ok", r.get("result"), "half-close: " + r);
        MessageDigest sha = NatHostServices.sha256();
        for (long i = 0; i < sent; i++) {
            sha.update((byte) ('a' + i % 26));
        }
        String firstLine = "EOF-AFTER " + sent + " SHA256 " + HexFormat.of().formatHex(sha.digest());
        assertEquals(firstLine, r.get("first_line"), "the host's reply after it saw the guest's EOF");
        assertEquals(firstLine.length() + 1 + extra, Long.parseLong(r.get("received")), "reply bytes after the guest's FIN");
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void natRuleReachesTheHostAndNoOutsideRefusesTheRest() {
        Path d = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(d));
            SwitchProcess hostMode = SwitchProcess.start(switchArgs(d.resolve("net.sock"),
                    List.of("--no-outside", "--nat", "203.0.113.10=127.0.0.1")));
            c.add(hostMode::stop);
            NamespaceGuest g = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect("unix:" + d.resolve("net.sock"), "192.168.104.4/24")));
            g.exec(Duration.ofSeconds(10), "ip", "route", "add", "default", "via", GATEWAY_IP).assertOk();
            NatHostServices.TcpEcho tcp = host.tcpEcho();
            NatHostServices.UdpEcho udp = host.udpEcho();
            NatHostServices.ReplyAfterEof eof = host.replyAfterEof(0);

            // The rule: 203.0.113.10 is the host's 127.0.0.1, for TCP and UDP.
            Map<String, String> r = probe(g, Duration.ofSeconds(30), "halfclose", "203.0.113.10", Integer.toString(eof.port), "1000", "10");
            assertEquals("ok", r.get("result"), "TCP via the --nat rule: " + r);
            assertTrue(r.get("first_line").startsWith("EOF-AFTER 1000 "), r.toString());
            r = probe(g, Duration.ofSeconds(20), "udp", "203.0.113.10", Integer.toString(udp.port), "via-rule", "2000", "3");
            assertEquals("via-rule", r.get("reply"), "UDP via the --nat rule: " + r);

            // The host alias still works with --no-outside.
            r = probe(g, Duration.ofSeconds(20), "udp", GATEWAY_IP, Integer.toString(udp.port), "via-alias", "2000", "3");
            assertEquals("via-alias", r.get("reply"), "UDP via the host alias: " + r);
            r = probe(g, Duration.ofSeconds(30), "halfclose", GATEWAY_IP, Integer.toString(eof.port), "10", "10");
            assertEquals("ok", r.get("result"), "TCP via the host alias: " + r);

            // 203.0.113.11 has no rule: TCP is refused at once, UDP goes nowhere (and never reaches the host).
            int acceptedBefore = tcp.accepted.get();
            int datagramsBefore = udp.datagrams.get();
            r = probe(g, Duration.ofSeconds(30), "connect", "203.0.113.11", Integer.toString(tcp.port), "15000");
            assertEquals("error", r.get("result"), "TCP to 203.0.113.11 (no rule, --no-outside) must fail: " + r);
            assertTrue(Long.parseLong(r.get("ms")) < 2000, "refusal of 203.0.113.11 took " + r.get("ms") + " ms: " + r);
            String tcpOutcome = r.get("error") + " after " + r.get("ms") + " ms";
            r = probe(g, Duration.ofSeconds(20), "udp", "203.0.113.11", Integer.toString(udp.port), "nowhere", "1000", "2");
            assertTrue(!"reply".equals(r.get("result")), "UDP to 203.0.113.11 got an answer: " + r);
            assertEquals(acceptedBefore, tcp.accepted.get(), "a connection to 203.0.113.11 reached the host");
            assertEquals(datagramsBefore, udp.datagrams.get(), "a datagram to 203.0.113.11 reached the host");
            System.out.println("NatIT: 203.0.113.11 with --no-outside: TCP " + tcpOutcome + "; UDP " + r.get("result"));
        }
    }

    private Map<String, String> probe(Duration timeout, String... args) {
        return probe(guest, timeout, args);
    }

    private Map<String, String> probe(NamespaceGuest g, Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(natprobe));
        cmd.addAll(List.of(args));
        Exec.Result r = g.exec(timeout, cmd.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new AssertionError("natprobe failed: " + r);
        }
        return NatTools.result(r);
    }

    static String writeRandomBlob(Path file, int mib, long seed) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                random.nextBytes(chunk);
                sha.update(chunk);
                out.write(chunk);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static void awaitTrue(java.util.function.BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> message) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(message.get());
            }
            try {
                Thread.sleep(50); // poll interval
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }
}
