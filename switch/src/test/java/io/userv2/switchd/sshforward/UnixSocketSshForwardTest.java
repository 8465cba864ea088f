package io.userv2.switchd.sshforward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link UnixSocketSshForward} against an in-process MINA server on 127.0.0.1 ({@link TestSshd}) whose
 * streamlocal channels reach a unix echo server in a temp directory: bytes and half-close both ways, a shared
 * session, an sshd that comes late, dies and comes back, refused channels, a wrong key, the connection limit, the
 * socket file's mode and life. SshForwardIT does the same against Debian's sshd in a namespace guest.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnixSocketSshForwardTest {
    private static final String USER = "core";
    /** Short bounds so that the failure paths finish quickly. */
    private static final ForwardTiming FAST = new ForwardTiming(Duration.ofSeconds(20), Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofSeconds(2), 3, Duration.ofMillis(50), Duration.ZERO, 16);

    static {
        GuestSshSession.quietLibraryLogs();
    }

    private Path dir;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final ExecutorService clients = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-client");
        t.setDaemon(true);
        return t;
    });

    @BeforeEach
    void makeDir() throws IOException {
        // Short: unix socket paths must fit in 108 bytes.
        dir = Files.createTempDirectory(Path.of("/tmp"), "u2ssh-");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
        clients.shutdownNow();
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        cleanup.add(c);
        return c;
    }

    /** A fresh key pair of {@code type} written in OpenSSH's private key format; returns the pair. */
    private KeyPair writeKey(String type, int bits, Path file) throws Exception {
        KeyPair kp = KeyUtils.generateKeyPair(type, bits);
        try (OutputStream out = Files.newOutputStream(file)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, "test", null, out);
        }
        return kp;
    }

    private SshForwardSettings settings(Path socket, Path dest, Path identity) {
        return SshForwardSettings.of(socket.toString(), dest.toString(), USER, identity.toString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Sends {@code data} through {@code socket}, half-closes, and returns everything read until EOF. */
    private static byte[] roundTrip(Path socket, byte[] data) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return exchange(c, data);
        }
    }

    private static byte[] exchange(SocketChannel c, byte[] data) throws IOException {
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) {
                    c.write(b);
                }
                c.shutdownOutput();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        byte[] got = readToEof(c);
        writer.join();
        return got;
    }

    private static byte[] readToEof(SocketChannel c) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        while (c.read(buf.clear()) >= 0) {
            all.write(buf.array(), 0, buf.position());
        }
        return all.toByteArray();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * What a client that cannot be served sees: EOF, a reset, or a broken pipe when the forward closed before our
     * write, and not a hang (the class timeout guards that). Never a reply.
     */
    private static void assertClosedByForward(Path socket) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            try {
                c.write(ByteBuffer.wrap("anyone?".getBytes(StandardCharsets.US_ASCII)));
                assertEquals(-1, c.read(ByteBuffer.allocate(64)), "expected EOF from the forward");
            } catch (IOException closedFirst) {
                // the forward closed with our data unread (reset) or before we wrote (EPIPE): as good as EOF here
            }
        }
    }

    @Test
    void bytesGoBothWaysWithHalfCloseOverOneSharedSession() throws Exception {
        Path key = dir.resolve("id_ed25519");
        KeyPair kp = writeKey("ssh-ed25519", 256, key);
        TestSshd sshd = keep(TestSshd.start(0, USER, kp.getPublic()));
        UnixEchoServer echo = keep(UnixEchoServer.start(dir.resolve("guest.sock")));
        Path host = dir.resolve("host.sock");
        UnixSocketSshForward fwd = keep(UnixSocketSshForward.start(settings(host, dir.resolve("guest.sock"), key),
                sshd.address(), FAST));
        assertFalse(fwd.sessionUp(), "no session before the first client");

        byte[] big = random(1 << 20, 1);
        assertArrayEquals(big, roundTrip(host, big), "1 MiB echoed through the forward");
        assertTrue(fwd.sessionUp());

        List<Future<byte[]>> many = new ArrayList<>();
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] d = random(256 * 1024, 100 + i);
            sent.add(d);
            many.add(clients.submit(() -> roundTrip(host, d)));
        }
        for (int i = 0; i < 8; i++) {
            assertArrayEquals(sent.get(i), many.get(i).get(30, TimeUnit.SECONDS), "concurrent connection " + i);
        }
        assertEquals(1, sshd.sessions.get(), "all connections share one SSH session");
        assertEquals(9, echo.accepted.get(), "each client connection is its own connection in the guest");
        await("relays to end", Duration.ofSeconds(10), () -> fwd.activeConnections() == 0);
    }

    @Test
    void rsaKeysInOpenSshAndPkcs8PemFormatsAuthenticate() throws Exception {
        Path openssh = dir.resolve("id_rsa");
        KeyPair kp = writeKey("ssh-rsa", 2048, openssh);
        Path pem = dir.resolve("id_rsa.pem");
        Files.writeString(pem, "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(kp.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        TestSshd sshd = keep(TestSshd.start(0, USER, kp.getPublic()));
        keep(UnixEchoServer.start(dir.resolve("guest.sock")));
        for (Path key : List.of(openssh, pem)) {
            Path host = dir.resolve("host-" + key.getFileName() + ".sock");
            try (UnixSocketSshForward fwd = UnixSocketSshForward.start(settings(host, dir.resolve("guest.sock"), key),
                    sshd.address(), FAST)) {
                byte[] d = ("via " + key.getFileName()).getBytes(StandardCharsets.US_ASCII);
                assertArrayEquals(d, roundTrip(host, d), key.getFileName() + " authenticates");
            }
        }
    }

    @Test
    void aClientWaitsForAnSshdThatComesLater() throws Exception {
        Path key = dir.resolve("id_ed25519");
        KeyPair kp = writeKey("ssh-ed25519", 256, key);
        keep(UnixEchoServer.start(dir.resolve("guest.sock")));
        int port = freePort();
        Path host = dir.resolve("host.sock");
        UnixSocketSshForward fwd = keep(UnixSocketSshForward.start(settings(host, dir.resolve("guest.sock"), key),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), FAST));
        assertTrue(Files.exists(host), "the host socket exists before sshd does (podman starts us before the VM)");

        byte[] d = random(100_000, 7);
        Future<byte[]> early = clients.submit(() -> roundTrip(host, d));
        await("the early client to be accepted", Duration.ofSeconds(10), () -> fwd.activeConnections() == 1);
        assertFalse(early.isDone(), "nothing to answer it yet");
        assertFalse(fwd.sessionUp());
        keep(TestSshd.start(port, USER, kp.getPublic()));
        assertArrayEquals(d, early.get(30, TimeUnit.SECONDS), "the early client is served once sshd is up");
    }

    @Test
    void aClientIsClosedWhenSshdNeverComesAndTheNextOneIsServedWhenItDoes() throws Exception {
        Path key = dir.resolve("id_ed25519");
        KeyPair kp = writeKey("ssh-ed25519", 256, key);
        keep(UnixEchoServer.start(dir.resolve("guest.sock")));
        int port = freePort();
        Path host = dir.resolve("host.sock");
        ForwardTiming shortBudget = new ForwardTiming(Duration.ofMillis(800), Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(1), 3, Duration.ofMillis(50), Duration.ZERO, 16);
        UnixSocketSshForward fwd = keep(UnixSocketSshForward.start(settings(host, dir.resolve("guest.sock"), key),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), port), shortBudget));
        assertClosedByForward(host);
        await("the failed relay to end", Duration.ofSeconds(10), () -> fwd.activeConnections() == 0);

        keep(TestSshd.start(port, USER, kp.getPublic()));
        byte[] d = "later".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(d, roundTrip(host, d));
    }

    @Test
    void afterSshdRestartsOpenConnectionsEndAndANewOneIsServed() throws Exception {
        Path key = dir.resolve("id_ed25519");
        KeyPair kp = writeKey("ssh-ed25519", 256, key);
        keep(UnixEchoServer.start(dir.resolve("guest.sock")));
        TestSshd first = TestSshd.start(0, USER, kp.getPublic());
        int port = first.port();
        Path host = dir.resolve("host.sock");
        UnixSocketSshForward fwd = keep(UnixSocketSshForward.start(settings(host, dir.resolve("guest.sock"), key),
                first.address(), FAST));
        byte[] d = "before".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(d, roundTrip(host, d));

        // A connection left open across the restart: it must end (EOF or reset), not hang.
        try (SocketChannel open = SocketChannel.open(UnixDomainSocketAddress.of(host))) {
            open.write(ByteBuffer.wrap("x".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer one = ByteBuffer.allocate(1);
            assertEquals(1, open.read(one), "echo while sshd is up");
            first.close();
            try {
                assertEquals(-1, open.read(ByteBuffer.allocate(16)), "EOF once the session died");
            } catch (IOException reset) {
                // as good
            }
        }
        await("the session to be seen down", Duration.ofSeconds(10), () -> !fwd.sessionUp());

        TestSshd second = keep(TestSshd.start(port, USER, kp.getPublic()));
        byte[] after = "after".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(after, roundTrip(host, after), "a new connection after the restart is served");
        assertEquals(1, second.sessions.get(), "one new session");
    }

    @Test
    void aRefusedChannelClosesTheClientButKeepsTheSession() throws Exception {
        Path key = dir.resolve("id_ed25519");
        KeyPair kp = writeKey("ssh-ed25519", 256, key);
        TestSshd sshd = keep(TestSshd.start(0, USER, kp.getPublic()));
        Path guest = dir.resolve("guest.sock");
        Path host = dir.resolve("host.sock");
        UnixSocketSshForward fwd = keep(UnixSocketSshForward.start(settings(host, guest, key), sshd.address(), FAST));
        assertClosedByForward(host); // nothing listens at guest.sock yet: sshd refuses the channel, three times
        assertTrue(fwd.sessionUp(), "a refused channel leaves the (alive) session up");

        keep(UnixEchoServer.start(guest));
        byte[] d = "now".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(d, roundTrip(host, d));
        assertEquals(1, sshd.sessions.get(), "the same session served both");
    }

    @Test
    void aKeySshdDoesNotAcceptClosesTheClient() throws Exception {
        Path key = dir.resolve("id_ed25519");
        writeKey("ssh-ed25519", 256, key);
        KeyPair other = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        TestSshd sshd = keep(TestSshd.start(0, USER, other.getPublic()));
        keep(UnixEchoServer.start(dir.resolve("guest.sock")));
        ForwardTiming shortBudget = new ForwardTiming(Duration.ofMillis(800), Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(1), 3, Duration.ofMillis(50), Duration.ZERO, 16);
        Path host = dir.resolve("host.sock");
        UnixSocketSshForward fwd = keep(UnixSocketSshForward.start(settings(host, dir.resolve("guest.sock"), key),
                sshd.address(), shortBudget));
        assertClosedByForward(host);
        assertFalse(fwd.sessionUp());
        assertTrue(sshd.sessions.get() >= 1, "it did reach sshd");
    }

    @Test
    void connectionsBeyondTheLimitAreClosedAtOnce() throws Exception {
        Path key = dir.resolve("id_ed25519");
        KeyPair kp = writeKey("ssh-ed25519", 256, key);
        TestSshd sshd = keep(TestSshd.start(0, USER, kp.getPublic()));
        keep(UnixEchoServer.start(dir.resolve("guest.sock")));
        ForwardTiming two = new ForwardTiming(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(1), 3, Duration.ofMillis(50), Duration.ZERO, 2);
        Path host = dir.resolve("host.sock");
        UnixSocketSshForward fwd = keep(UnixSocketSshForward.start(settings(host, dir.resolve("guest.sock"), key),
                sshd.address(), two));
        List<SocketChannel> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(host));
                held.add(c);
                c.write(ByteBuffer.wrap(new byte[] {(byte) i}));
                assertEquals(1, c.read(ByteBuffer.allocate(1)), "held connection " + i + " is served");
            }
            assertClosedByForward(host);
            assertEquals(2, fwd.activeConnections());
        } finally {
            for (SocketChannel c : held) {
                c.close();
            }
        }
        await("the held relays to end", Duration.ofSeconds(10), () -> fwd.activeConnections() == 0);
        byte[] d = "room again".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(d, roundTrip(host, d));
    }

    @Test
    void theSocketIsPrivateReplacesAStaleFileRefusesALiveOneAndGoesAtClose() throws Exception {
        Path key = dir.resolve("id_ed25519");
        KeyPair kp = writeKey("ssh-ed25519", 256, key);
        TestSshd sshd = keep(TestSshd.start(0, USER, kp.getPublic()));
        keep(UnixEchoServer.start(dir.resolve("guest.sock")));
        Path host = dir.resolve("host.sock");
        // A stale file, as a killed process leaves it.
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(host));
        }
        assertTrue(Files.exists(host));
        UnixSocketSshForward fwd = UnixSocketSshForward.start(settings(host, dir.resolve("guest.sock"), key),
                sshd.address(), FAST);
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(host)));
            IOException live = assertThrows(IOException.class, () -> UnixSocketSshForward.start(
                    settings(host, dir.resolve("guest.sock"), key), sshd.address(), FAST));
            assertTrue(live.getMessage().contains("in use"), live.getMessage());
            try (var files = Files.list(dir)) {
                assertEquals(List.of(), files.filter(p -> p.getFileName().toString().startsWith(".sshfwd-")).toList(),
                        "no private bind directory left behind");
            }
        } finally {
            // A client still connected when the forward closes is closed too.
            SocketChannel open = SocketChannel.open(UnixDomainSocketAddress.of(host));
            open.write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(1, open.read(ByteBuffer.allocate(1)));
            fwd.close();
            try (open) {
                assertEquals(-1, open.read(ByteBuffer.allocate(4)), "EOF after close");
            } catch (IOException reset) {
                // as good
            }
        }
        assertFalse(Files.exists(host), "the socket file is removed at close");
        assertEquals(0, fwd.activeConnections());
    }

    @Test
    void aKeyFileMinaCannotReadFailsStartWithGvproxysWords() throws Exception {
        Path key = dir.resolve("id_bad");
        Files.writeString(key, "not a key\n");
        Path host = dir.resolve("host.sock");
        IOException e = assertThrows(IOException.class, () -> UnixSocketSshForward.start(
                settings(host, dir.resolve("guest.sock"), key), new InetSocketAddress(InetAddress.getLoopbackAddress(),
                        freePort()), FAST));
        assertTrue(e.getMessage().startsWith("failed to parse identity \"" + key + "\": "), e.getMessage());
        assertFalse(Files.exists(host), "no socket left behind");
    }

    @Test
    void theGuestsHalfCloseReachesTheClientWhileItStillSends() throws Exception {
        Path key = dir.resolve("id_ed25519");
        KeyPair kp = writeKey("ssh-ed25519", 256, key);
        TestSshd sshd = keep(TestSshd.start(0, USER, kp.getPublic()));
        // A guest server that greets, ends its side at once, then reads the client's bytes to the end.
        Path guest = dir.resolve("greeter.sock");
        ServerSocketChannel greeter = keep(ServerSocketChannel.open(StandardProtocolFamily.UNIX));
        greeter.bind(UnixDomainSocketAddress.of(guest));
        CompletableFuture<Integer> received = CompletableFuture.supplyAsync(() -> {
            try (SocketChannel c = greeter.accept()) {
                c.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
                c.shutdownOutput();
                return readToEof(c).length;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, clients);
        Path host = dir.resolve("host.sock");
        keep(UnixSocketSshForward.start(settings(host, guest, key), sshd.address(), FAST));
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(host))) {
            assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), readToEof(c),
                    "the greeting, then EOF while our side is still open");
            byte[] d = random(100_000, 3);
            ByteBuffer b = ByteBuffer.wrap(d);
            while (b.hasRemaining()) {
                c.write(b);
            }
            c.shutdownOutput();
            assertEquals(d.length, received.get(30, TimeUnit.SECONDS), "the guest got all we sent after its EOF");
        }
    }

    @Test
    void closeEndsAClientStillWaitingForSshdAndStopsOurThreads() throws Exception {
        Path key = dir.resolve("id_ed25519");
        writeKey("ssh-ed25519", 256, key);
        Path host = dir.resolve("host.sock");
        UnixSocketSshForward fwd = UnixSocketSshForward.start(settings(host, dir.resolve("guest.sock"), key),
                new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort()), FAST);
        SocketChannel waiting = SocketChannel.open(UnixDomainSocketAddress.of(host));
        await("the client to be accepted", Duration.ofSeconds(10), () -> fwd.activeConnections() == 1);
        long t0 = System.nanoTime();
        fwd.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < FAST.connectBudget().toMillis(), "close waited " + ms + " ms, as long as the connect budget");
        try (waiting) {
            assertEquals(-1, waiting.read(ByteBuffer.allocate(4)), "the waiting client is closed");
        } catch (IOException reset) {
            // as good
        }
        await("our threads to end", Duration.ofSeconds(10), () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("userv2-ssh-forward") && t.isAlive()));
    }
}
