package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.switchd.sshforward.SshForwardSettings;
import io.userv2.switchd.sshforward.UnixSocketSshForward;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * gvproxy's {@code -forward-sock} as podman machine uses it, against Debian's real OpenSSH server: a namespace guest
 * on the switch runs {@code /usr/sbin/sshd} (its own config, host key and authorized keys in the test's directory,
 * listening on the guest's LAN address only); the host reaches its port 22 through the switch
 * ({@code --forward tcp:127.0.0.1:PORT=GUEST:22}); {@link UnixSocketSshForward}, driven in-process, listens on a
 * host socket and carries each connection over SSH ({@code direct-streamlocal@openssh.com}) to a unix socket server
 * in the guest's filesystem.
 *
 * <p>Checked: the host socket exists (mode 0600) before the guest's sshd does, and a client that connects then is
 * served once sshd starts (podman starts the network before the VM); 4 MiB round-trip intact; sshd's own log shows
 * the streamlocal channel to that path and the login coming from the gateway (so the bytes went through sshd and
 * the switch); after every sshd process in the guest is killed, an open connection ends and, sshd started again, a
 * new connection is served; an RSA key made by ssh-keygen works as well as ed25519; close removes the socket file.
 *
 * <p>Network safety: sshd listens on the guest's address inside the test's namespace; the host side is 127.0.0.1.
 */
class SshForwardIT {
    private static final String GUEST_IP = "192.168.104.7";
    private static final Duration T = Duration.ofSeconds(30);
    private static final Pattern SSHD_LISTENING = Pattern.compile("Server listening on [0-9.]+ port 22");

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void aHostSocketReachesAGuestSocketOverSshdThroughTheSwitchAcrossSshdRestarts() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            Path ed25519 = keygen(dir, "id_ed25519", "ed25519");
            Path rsa = keygen(dir, "id_rsa", "rsa");
            Path hostKey = keygen(dir, "host_ed25519", "ed25519");
            Files.writeString(dir.resolve("authorized_keys"), Files.readString(dir.resolve("id_ed25519.pub"))
                    + Files.readString(dir.resolve("id_rsa.pub")));
            Path config = sshdConfig(dir, GUEST_IP, hostKey);

            int sshPort = SwitchProcess.freeTcpPort();
            Path net = dir.resolve("net.sock");
            SwitchProcess sw = SwitchProcess.start(NatIT.switchArgs(net,
                    List.of("--forward", "tcp:127.0.0.1:" + sshPort + "=" + GUEST_IP + ":22")));
            c.add(sw::stop);
            NamespaceGuest guest = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect("unix:" + net,
                    GUEST_IP + "/24")));
            guest.assertPings(SwitchProcess.GATEWAY_IP, 1);

            Path guestSocket = dir.resolve("guest.sock");
            Echo echo = c.add(Echo.start(guestSocket));
            InetSocketAddress sshd = new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}),
                    sshPort);

            // The forward first, as podman starts gvproxy before the VM boots: no sshd in the guest yet.
            Path host = dir.resolve("podman.sock");
            UnixSocketSshForward forward = UnixSocketSshForward.start(SshForwardSettings.of(host.toString(),
                    guestSocket.toString(), "root", ed25519.toString()), sshd);
            c.add(forward);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(host)));

            byte[] early = "served once sshd is up".getBytes(StandardCharsets.US_ASCII);
            CompletableFuture<byte[]> earlyClient = CompletableFuture.supplyAsync(() -> roundTrip(host, early));
            awaitCondition("the early client to be accepted", () -> forward.activeConnections() == 1);
            assertFalse(earlyClient.isDone(), "answered without sshd? " + earlyClient);

            LoggedProcess first = startSshd(guest, config);
            assertArrayEquals(early, earlyClient.get(40, TimeUnit.SECONDS), "the early client, after sshd came");

            byte[] big = new byte[4 << 20];
            new Random(11).nextBytes(big);
            assertArrayEquals(big, roundTrip(host, big), "4 MiB through the host socket, sshd and the guest socket");
            first.requireLineIndex(Pattern.compile("Accepted publickey for root from "
                    + Pattern.quote(SwitchProcess.GATEWAY_IP) + " "), 0, T);
            first.requireLineIndex(Pattern.compile("server_request_direct_streamlocal: .*"
                    + Pattern.quote(guestSocket.toString())), 0, T);
            assertTrue(echo.accepted.get() >= 2, "the guest's socket server saw the connections");

            // The guest's sshd goes away altogether (as when the VM reboots): an open connection ends.
            try (SocketChannel open = SocketChannel.open(UnixDomainSocketAddress.of(host))) {
                open.write(ByteBuffer.wrap(new byte[] {42}));
                ByteBuffer one = ByteBuffer.allocate(1);
                assertEquals(1, open.read(one), "echo before the restart");
                killAll(first);
                CompletableFuture<Integer> end = CompletableFuture.supplyAsync(() -> {
                    try {
                        return open.read(ByteBuffer.allocate(16));
                    } catch (IOException reset) {
                        return -1;
                    }
                });
                assertEquals(-1, end.get(40, TimeUnit.SECONDS), "the open connection ends with sshd");
            }
            awaitCondition("the session to be seen down", () -> !forward.sessionUp());

            LoggedProcess second = startSshd(guest, config);
            byte[] after = "after the restart".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(after, roundTrip(host, after), "a new connection after sshd restarted");
            second.requireLineIndex(Pattern.compile("Accepted publickey for root"), 0, T);

            // An RSA key made by ssh-keygen (OpenSSH format), on a second forward.
            Path hostRsa = dir.resolve("rsa.sock");
            try (UnixSocketSshForward rsaForward = UnixSocketSshForward.start(SshForwardSettings.of(
                    hostRsa.toString(), guestSocket.toString(), "root", rsa.toString()), sshd)) {
                byte[] viaRsa = "rsa".getBytes(StandardCharsets.US_ASCII);
                assertArrayEquals(viaRsa, roundTrip(hostRsa, viaRsa), "through the RSA-keyed forward");
            }
            assertFalse(Files.exists(hostRsa), "its socket file removed at close");
            second.requireLineIndex(Pattern.compile("Accepted publickey for root .*RSA"), 0, T);

            forward.close();
            assertFalse(Files.exists(host), "the socket file removed at close");
        }
    }

    /**
     * The same through {@code userv2-switch gvproxy} as podman machine starts it: {@code -forward-sock/-dest/-user/
     * -identity} reach the VM at gvproxy's device address 192.168.127.2 (here a namespace guest with gvproxy's VM MAC)
     * and its sshd; {@code -ssh-port} reaches the same sshd from the host's loopback.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void gvproxysForwardSockFlagsReachAGuestSocketOverTheVmsSshd() throws Exception {
        E2e.requireRoot();
        Path dir = E2e.socketDir();
        try (Closer c = new Closer()) {
            c.add(() -> E2e.deleteTree(dir));
            String vmIp = "192.168.127.2";
            Path key = keygen(dir, "machine", "ed25519");
            Path hostKey = keygen(dir, "host_ed25519", "ed25519");
            Files.writeString(dir.resolve("authorized_keys"), Files.readString(dir.resolve("machine.pub")));
            Path config = sshdConfig(dir, vmIp, hostKey);
            Path guestSocket = dir.resolve("podman.sock");
            Echo echo = c.add(Echo.start(guestSocket));

            int sshPort = SwitchProcess.freeTcpPort();
            Path qemu = dir.resolve("podman-machine-default-gvproxy.sock");
            Path host = dir.resolve("podman-machine-default-api.sock");
            SwitchProcess sw = SwitchProcess.start(List.of("gvproxy", "-mtu", "1500", "-ssh-port",
                    Integer.toString(sshPort), "-listen-qemu", "unix://" + qemu, "-forward-sock", host.toString(),
                    "-forward-dest", guestSocket.toString(), "-forward-user", "root", "-forward-identity",
                    key.toString(), "-pid-file", dir.resolve("gvproxy.pid").toString()));
            c.add(sw::stop);
            assertTrue(Files.exists(host), "the forward's host socket exists before the VM is up");
            NamespaceGuest vm = c.add(NamespaceGuest.start(NamespaceGuest.Options.connect("unix:" + qemu,
                    vmIp + "/24").mac("5a:94:ef:e4:0c:ee")));
            vm.assertPings("192.168.127.1", 1);
            LoggedProcess sshd = startSshd(vm, config);

            byte[] data = new byte[1 << 20];
            new Random(7).nextBytes(data);
            assertArrayEquals(data, roundTrip(host, data), "1 MiB through -forward-sock, the VM's sshd and its socket");
            sshd.requireLineIndex(Pattern.compile("server_request_direct_streamlocal: .*"
                    + Pattern.quote(guestSocket.toString())), 0, T);
            assertTrue(echo.accepted.get() >= 1, "the guest's socket server saw the connection");

            try (java.net.Socket ssh = new java.net.Socket(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}),
                    sshPort)) {
                ssh.setSoTimeout((int) T.toMillis());
                byte[] banner = new byte[8];
                int n = ssh.getInputStream().readNBytes(banner, 0, banner.length);
                assertEquals("SSH-2.0-", new String(banner, 0, n, StandardCharsets.US_ASCII),
                        "-ssh-port reaches the VM's sshd");
            }
            sw.stop();
            assertFalse(Files.exists(host), "the forward's socket file removed at exit");
        }
    }

    /**
     * An sshd configuration in {@code dir} for a guest at {@code guestIp}: only key logins of the test's keys
     * ({@code dir/authorized_keys}), streamlocal forwarding allowed, channel requests logged.
     */
    private static Path sshdConfig(Path dir, String guestIp, Path hostKey) throws IOException {
        // sshd's privilege separation directory (Debian's service unit creates it at boot; no unit runs here).
        Files.createDirectories(Path.of("/run/sshd"));
        return Files.writeString(dir.resolve("sshd_config"), String.join("\n",
                "ListenAddress " + guestIp + ":22",
                "HostKey " + hostKey,
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "PidFile none",
                "UsePAM no",
                // The test's directory is under /tmp (world-writable): StrictModes would refuse the keys there.
                "StrictModes no",
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "AllowStreamLocalForwarding yes",
                // Not "no": sshd 9.2 refuses streamlocal channels too then (session.c: "XXX - streamlocal?").
                "AllowTcpForwarding yes",
                "X11Forwarding no",
                "PrintMotd no",
                // DEBUG1 shows each streamlocal channel ("server_request_direct_streamlocal: ... path ...").
                "LogLevel DEBUG1",
                ""));
    }

    /** {@code ssh-keygen -t TYPE} without passphrase; returns the private key's path. */
    private static Path keygen(Path dir, String name, String type) {
        Path key = dir.resolve(name);
        Exec.run(T, "ssh-keygen", "-q", "-t", type, "-N", "", "-C", "u2t-" + name, "-f", key.toString()).assertOk();
        return key;
    }

    /** Debian's sshd in the guest, in the foreground with its log on stderr; waits until it listens. */
    private static LoggedProcess startSshd(NamespaceGuest guest, Path config) {
        Exec.run(T, "/usr/sbin/sshd", "-t", "-f", config.toString()).assertOk();
        LoggedProcess sshd = guest.spawn("sshd", "/usr/sbin/sshd", "-D", "-e", "-f", config.toString());
        sshd.requireLineIndex(SSHD_LISTENING, 0, T);
        return sshd;
    }

    /** Kills sshd and every per-connection sshd it forked (only these processes, which the test started). */
    private static void killAll(LoggedProcess sshd) {
        sshd.process().descendants().forEach(ProcessHandle::destroyForcibly);
        sshd.kill();
    }

    private static void awaitCondition(String what, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /** Sends {@code data}, half-closes, and returns all that comes back until EOF. */
    private static byte[] roundTrip(Path socket, byte[] data) {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    ByteBuffer b = ByteBuffer.wrap(data);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                    ch.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            while (ch.read(buf.clear()) >= 0) {
                got.write(buf.array(), 0, buf.position());
            }
            writer.join();
            return got.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The unix socket server "in the guest": the filesystem is shared with the namespace, and sshd (which runs in
     * it) is what connects to it. Echoes as it reads; at the peer's EOF ends its own side.
     */
    private static final class Echo implements AutoCloseable {
        private final ServerSocketChannel server;
        final AtomicInteger accepted = new AtomicInteger();

        private Echo(ServerSocketChannel server) {
            this.server = server;
        }

        static Echo start(Path path) throws IOException {
            ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            s.bind(UnixDomainSocketAddress.of(path));
            Echo echo = new Echo(s);
            Thread t = new Thread(echo::acceptLoop, "it-echo-accept");
            t.setDaemon(true);
            t.start();
            return echo;
        }

        private void acceptLoop() {
            while (true) {
                SocketChannel ch;
                try {
                    ch = server.accept();
                } catch (IOException closed) {
                    return;
                }
                accepted.incrementAndGet();
                Thread t = new Thread(() -> echo(ch), "it-echo");
                t.setDaemon(true);
                t.start();
            }
        }

        private static void echo(SocketChannel ch) {
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            try (ch) {
                while (ch.read(buf.clear()) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                }
                ch.shutdownOutput();
            } catch (IOException ignored) {
                // the peer went away
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
