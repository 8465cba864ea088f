package io.userv2.switchd.e2e;

import static io.userv2.switchd.e2e.SwitchProcess.GATEWAY_IP;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A misbehaving client is cut off (its socket gets EOF) while the other guests keep talking: an absurd length
 * prefix, a length of 0, garbage; and neither a runt frame, a half-sent frame nor a client that never reads
 * disturbs the others.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadClientIT {
    private static Path dir;
    private static SwitchProcess sw;
    private static String sock;
    private static NamespaceGuest a;
    private static NamespaceGuest b;

    @BeforeAll
    static void start() {
        E2e.requireRoot();
        dir = E2e.socketDir();
        sock = "unix:" + dir.resolve("net.sock");
        sw = SwitchProcess.start("--listen", dir.resolve("net.sock").toString());
        a = NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.10/24"));
        b = NamespaceGuest.start(NamespaceGuest.Options.connect(sock, "192.168.104.11/24"));
    }

    @AfterAll
    static void stop() {
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            if (sw != null) {
                c.add(sw::stop);
            }
            if (a != null) {
                c.add(a);
            }
            if (b != null) {
                c.add(b);
            }
        }
    }

    private static void othersStillTalk() {
        a.assertPings(b.ip(), 2);
        b.assertPings(GATEWAY_IP, 2);
        assertTrue(sw.isAlive(), "switch died:\n" + sw.output());
    }

    private static void assertCutOff(String what, byte[] bytes) {
        othersStillTalk();
        try (RawPort bad = RawPort.connect(sock, E2e.randomMac(), "192.168.104.240")) {
            bad.sendRaw(bytes);
            assertTrue(bad.awaitEof(Duration.ofSeconds(10)), what + " (" + HexFormat.of().formatHex(bytes, 0, Math.min(16, bytes.length))
                    + "...): the switch did not close the connection");
        }
        othersStillTalk();
    }

    @Test
    void absurdLengthPrefixClosesOnlyThatClient() {
        byte[] junk = new byte[64];
        new java.util.Random(1).nextBytes(junk);
        ByteBuffer b = ByteBuffer.allocate(4 + junk.length).putInt(0x7fffffff).put(junk);
        assertCutOff("length 0x7fffffff", b.array());
    }

    @Test
    void zeroLengthPrefixClosesOnlyThatClient() {
        assertCutOff("length 0", new byte[] {0, 0, 0, 0, 1, 2, 3});
    }

    @Test
    void garbageClosesOnlyThatClient() {
        // Text where a length should be: "GET / HTTP/1.1" reads as length 0x47455420, far above any frame size.
        assertCutOff("garbage", "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Test
    void oversizedLengthPrefixClosesOnlyThatClient() {
        // 1 MiB is above any sane maximum frame (gvproxy caps at 128 KiB, socket_vmnet at 64 KiB).
        ByteBuffer b = ByteBuffer.allocate(4 + 100).putInt(1 << 20).put(new byte[100]);
        assertCutOff("length 1 MiB", b.array());
    }

    @Test
    void runtAndHalfSentFramesDoNotDisturbOthers() {
        try (RawPort runt = RawPort.connect(sock, E2e.randomMac(), "192.168.104.241")) {
            runt.sendRaw(new byte[] {0, 0, 0, 5, 1, 2, 3, 4, 5}); // shorter than an Ethernet header
            othersStillTalk();
        }
        try (RawPort half = RawPort.connect(sock, E2e.randomMac(), "192.168.104.242")) {
            half.sendRaw(new byte[] {0, 0, 0, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}); // then hang up mid-frame
        }
        othersStillTalk();
    }

    @Test
    void aClientThatNeverReadsDoesNotBlockOthers() throws IOException {
        try (SocketChannel stuck = SocketChannel.open(StandardProtocolFamily.UNIX);
                RawPort flooder = RawPort.connect(sock, E2e.randomMac(), "192.168.104.243")) {
            stuck.connect(UnixDomainSocketAddress.of(sock.substring(5)));
            // 20000 broadcast frames of ~1400 bytes (28 MB): far more than the socket buffers of the stuck client hold.
            byte[] payload = new byte[1372];
            byte[] frame = Frames.udp(flooder.mac(), "ff:ff:ff:ff:ff:ff", flooder.ip(), "192.168.104.255", 9, 9, payload);
            for (int i = 0; i < 20000; i++) {
                flooder.send(frame);
            }
            othersStillTalk();
        }
        othersStillTalk();
    }
}
