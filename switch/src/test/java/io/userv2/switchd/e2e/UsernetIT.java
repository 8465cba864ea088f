package io.userv2.switchd.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code userv2-switch usernet}, started exactly as Lima starts {@code limactl usernet}
 * ({@code pkg/networks/usernet/recoincile.go}): the pidfile holds the daemon's pid, a QEMU-framing client on the
 * {@code --listen-qemu} socket reaches the gateway at subnet + 2 and gets its {@code --leases} address by DHCP, and a
 * signal stops it within Lima's 5 s, removing the pidfile and every socket file. Stale files from a killed run are
 * replaced; a pidfile naming a live process is refused.
 *
 * <p>Needs the {@code usernet} subcommand wired into {@code Main} ({@code subcommands = UsernetCommand.class}),
 * and curl for the API call. Needs no root: only unix sockets.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UsernetIT {
    private static final String GATEWAY_IP = "192.168.104.2";
    private static final String GATEWAY_MAC = "5a:94:ef:e4:0c:dd";
    private static final String VM_MAC = "52:55:55:12:34:56";
    private static final String VM_IP = "192.168.104.50";

    private Path dir;
    private Path pidFile;
    private Path ep;
    private Path qemu;
    private Path fd;

    @BeforeEach
    void setUp() {
        // Lima's layout: <LIMA_HOME>/_networks/user-v2/{usernet_user-v2.pid,user-v2_ep.sock,user-v2_qemu.sock,user-v2_fd.sock}
        dir = E2e.socketDir();
        pidFile = dir.resolve("usernet_user-v2.pid");
        ep = dir.resolve("user-v2_ep.sock");
        qemu = dir.resolve("user-v2_qemu.sock");
        fd = dir.resolve("user-v2_fd.sock");
    }

    @AfterEach
    void tearDown() {
        E2e.deleteTree(dir);
    }

    private List<String> limaArgs() {
        return List.of("usernet", "-p", pidFile.toString(), "-e", ep.toString(), "--listen-qemu", qemu.toString(),
                "--listen", fd.toString(), "--subnet", "192.168.104.0/24",
                "--leases", VM_IP + "=" + VM_MAC + ",192.168.104.2=5a:94:ef:e4:0c:dd,192.168.5.9=52:55:55:00:00:09");
    }

    private SwitchProcess start() {
        return SwitchProcess.start(limaArgs());
    }

    /** SIGINT, as the brief for Lima says; Lima itself sends SIGTERM (pkill -F) and gives 5 s before SIGKILL. */
    private static void interruptAndAwaitExit(SwitchProcess sw) {
        Exec.run(Duration.ofSeconds(5), "kill", "-INT", Long.toString(sw.process().pid())).assertOk();
        Optional<Integer> code = sw.process().awaitExit(Duration.ofSeconds(5));
        assertTrue(code.isPresent(), "usernet still running 5 s after SIGINT (Lima would SIGKILL it):\n" + sw.output());
    }

    @Test
    void servesTheQemuSocketWritesThePidfileAndCleansUpOnSigint() {
        SwitchProcess sw = start();
        try {
            assertEquals(sw.process().pid() + "\n", read(pidFile), "pidfile holds the daemon's pid, as Lima's");
            assertTrue(Files.exists(qemu), "no QEMU socket");
            try (RawPort vm = RawPort.connect("unix:" + qemu, VM_MAC, VM_IP)) {
                vm.send(Frames.arpRequest(VM_MAC, VM_IP, GATEWAY_IP));
                byte[] reply = vm.await(f -> Frames.isArp(f, 2) && Frames.ipString(f, 28).equals(GATEWAY_IP),
                        Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("no ARP reply from the gateway\n"
                                + sw.output()));
                assertEquals(GATEWAY_MAC, Frames.macString(reply, 22));

                // the static lease Lima passed comes back by DHCP (the gateway's own entry did not stop the start)
                vm.send(Frames.udp(VM_MAC, "ff:ff:ff:ff:ff:ff", "0.0.0.0", "255.255.255.255", 68, 67,
                        discover(0x5a5a, VM_MAC)));
                byte[] offer = vm.await(f -> isDhcpReply(f, 0x5a5a), Duration.ofSeconds(10))
                        .orElseThrow(() -> new AssertionError("no DHCP OFFER\n" + sw.output()));
                assertEquals(VM_IP, Frames.ipString(offer, 14 + 20 + 8 + 16), "offered address");
            }
            interruptAndAwaitExit(sw);
        } finally {
            sw.close();
        }
        assertGone();
    }

    @Test
    void theApiAnswersAsSoonAsTheFdSocketExists() throws Exception {
        // Lima's usernet.Start returns once the fd socket exists, and the host agent calls the API on -e right after.
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", E2e.jar().toString()));
        cmd.addAll(limaArgs());
        try (LoggedProcess p = LoggedProcess.start("usernet", cmd)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(fd)) {
                assertTrue(p.isAlive() && System.nanoTime() < deadline, "no fd socket:\n" + p.tail(20));
                Thread.onSpinWait();
            }
            assertTrue(Files.exists(ep), "the fd socket exists but the API socket does not yet");
            Exec.Result leases = Exec.run(Duration.ofSeconds(30), "curl", "-sf", "--unix-socket", ep.toString(),
                    "http://lima/services/dhcp/leases");
            leases.assertOk();
            assertTrue(leases.output().contains(VM_IP), leases.output());
        }
    }

    @Test
    void servesTheEndpointAndFdSocketsLimaWaitsFor() throws Exception {
        SwitchProcess sw = start();
        try {
            // Lima's usernet.Start polls until the fd socket exists; the hostagent then calls the API on -e.
            assertTrue(Files.exists(fd), "no fd socket: Lima would wait for it forever");
            Exec.Result leases = Exec.run(Duration.ofSeconds(10), "curl", "-sf", "--unix-socket", ep.toString(),
                    "http://lima/services/dhcp/leases");
            leases.assertOk();
            assertTrue(leases.output().contains(VM_IP), leases.output());
            interruptAndAwaitExit(sw);
        } finally {
            sw.close();
        }
        assertGone();
    }

    @Test
    void staleFilesFromAKilledRunAreReplaced() throws IOException {
        SwitchProcess first = start();
        first.kill();
        first.process().awaitExit(Duration.ofSeconds(10));
        assertTrue(Files.exists(pidFile) && Files.exists(qemu), "SIGKILL should leave the files behind");
        SwitchProcess second = start();
        try {
            assertEquals(second.process().pid() + "\n", read(pidFile));
            try (RawPort vm = RawPort.connect("unix:" + qemu, VM_MAC, VM_IP)) {
                vm.send(Frames.arpRequest(VM_MAC, VM_IP, GATEWAY_IP));
                assertTrue(vm.await(f -> Frames.isArp(f, 2), Duration.ofSeconds(10)).isPresent(),
                        "no ARP reply after replacing stale files\n" + second.output());
            }
            second.stop();
        } finally {
            second.close();
        }
        assertGone();
    }

    @Test
    void aPidfileNamingALiveProcessIsRefused() throws Exception {
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(pidFile, other.pid() + "\n");
            Exec.Result r = SwitchProcess.runExpectingExit(limaArgs());
            assertNotEquals(0, r.exitCode(), r.toString());
            assertTrue(r.output().contains("pidfile") && r.output().contains(Long.toString(other.pid())), r.output());
            assertEquals(other.pid() + "\n", read(pidFile), "the other process's pidfile is left alone");
            assertFalse(Files.exists(qemu), "nothing was bound");
        } finally {
            other.destroyForcibly().waitFor();
        }
    }

    @Test
    void aSocketAnotherProcessServesIsRefused() throws Exception {
        try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(qemu));
            Exec.Result r = SwitchProcess.runExpectingExit(limaArgs());
            assertEquals(1, r.exitCode(), r.toString());
            assertTrue(r.output().contains("in use"), r.output());
            assertFalse(Files.exists(pidFile), "pidfile removed after the failed start");
            assertTrue(Files.exists(qemu), "the other process's socket is left alone");
        }
    }

    @Test
    void badFlagsExitWithTwo() {
        Exec.Result r = SwitchProcess.runExpectingExit(List.of("usernet", "--listen-qemu", qemu.toString(),
                "--subnet", "192.168.104.0/33"));
        assertEquals(2, r.exitCode(), r.toString());
    }

    private void assertGone() {
        List<Path> left = new ArrayList<>();
        for (Path p : List.of(pidFile, ep, qemu, fd)) {
            if (Files.exists(p)) {
                left.add(p);
            }
        }
        assertEquals(List.of(), left, "files left behind after exit");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new AssertionError("cannot read " + p, e);
        }
    }

    /** A minimal DHCPDISCOVER (RFC 2131: BOOTREQUEST, broadcast flag, option 53 = 1). */
    private static byte[] discover(int xid, String mac) {
        ByteBuffer b = ByteBuffer.allocate(240 + 4);
        b.put((byte) 1).put((byte) 1).put((byte) 6).put((byte) 0).putInt(xid).putShort((short) 0)
                .putShort((short) 0x8000).put(new byte[16]).put(Frames.mac(mac)).put(new byte[10 + 64 + 128])
                .putInt(0x63825363).put(new byte[] {53, 1, 1, (byte) 255});
        return b.array();
    }

    private static boolean isDhcpReply(byte[] f, int xid) {
        int udp = 14 + 20;
        return Frames.isIpv4(f, 17) && f.length >= udp + 8 + 240
                && ((f[udp + 2] & 0xff) << 8 | (f[udp + 3] & 0xff)) == 68 && f[udp + 8] == 2
                && ByteBuffer.wrap(f, udp + 8 + 4, 4).getInt() == xid;
    }
}
