package io.userv2.switchd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.switchd.config.SwitchConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class UsernetCommandTest {
    private static final String DIR = "/home/u/.lima/_networks/user-v2/";

    /** The argument list Lima's usernet.Start builds. */
    private static final List<String> LIMA_ARGS = List.of("-p", DIR + "usernet_user-v2.pid",
            "-e", DIR + "user-v2_ep.sock", "--listen-qemu", DIR + "user-v2_qemu.sock",
            "--listen", DIR + "user-v2_fd.sock", "--subnet", "192.168.104.0/24",
            "--leases", "192.168.104.5=52:55:55:b3:bc:d9,192.168.104.2=5a:94:ef:e4:0c:dd");

    private static UsernetCommand parse(List<String> args) {
        UsernetCommand cmd = new UsernetCommand();
        new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
        return cmd;
    }

    private static UsernetSettings settings(String... args) {
        return parse(List.of(args)).settings();
    }

    @Test
    void limasArgumentsMapOntoTheConfig() {
        UsernetSettings s = parse(LIMA_ARGS).settings();
        assertEquals(Path.of(DIR + "usernet_user-v2.pid"), s.pidFile());
        assertEquals(Path.of(DIR + "user-v2_ep.sock"), s.apiSocket());
        assertEquals(Path.of(DIR + "user-v2_qemu.sock"), s.qemuSocket());
        assertEquals(Path.of(DIR + "user-v2_fd.sock"), s.fdSocket());
        SwitchConfig c = s.config();
        assertEquals(List.of(new ListenAddress.Unix(Path.of(DIR + "user-v2_qemu.sock")),
                new ListenAddress.FdPassing(Path.of(DIR + "user-v2_fd.sock"))), c.listen());
        assertEquals(Path.of(DIR + "user-v2_ep.sock"), c.apiSocket());
        assertEquals(Ipv4Subnet.parse("192.168.104.0/24"), c.subnet());
        assertEquals(Ipv4Address.parse("192.168.104.2"), c.gatewayIp());
        assertEquals(SwitchConfig.DEFAULT_GATEWAY_MAC, c.gatewayMac());
        assertEquals(1500, c.mtu());
        assertNull(c.pcap());
        assertEquals(NatSettings.DEFAULT, c.nat());
        assertTrue(c.nat().outside());
        assertEquals(Path.of(DIR + "userv2-leases.json"), c.dhcp().leasesFile());
        // the gateway's own entry (Lima saves it in leases.json and passes it back) is dropped, not fatal
        assertEquals(List.of(StaticLease.parse("192.168.104.5=52:55:55:b3:bc:d9")), s.staticLeases());
        assertEquals(1, s.droppedLeases().size());
        assertEquals(List.of(s.apiSocket(), s.qemuSocket(), s.fdSocket()), s.socketFiles());
    }

    @Test
    void longAndAttachedFormsAsPflagAcceptsThem() {
        UsernetSettings s = settings("--pidfile=/r/p.pid", "--endpoint=/r/ep.sock", "--listen-qemu=/r/q.sock",
                "--listen=/r/fd.sock", "--subnet=10.9.0.0/16", "--mtu=9000", "--leases=10.9.0.10=52:55:55:00:00:01");
        assertEquals(Path.of("/r/p.pid"), s.pidFile());
        assertEquals(Path.of("/r/ep.sock"), s.apiSocket());
        assertEquals(Ipv4Address.parse("10.9.0.2"), s.config().gatewayIp());
        assertEquals(9000, s.config().mtu());
        assertEquals(1, s.staticLeases().size());
        UsernetSettings attached = settings("-p/r/p.pid", "-e", "/r/ep.sock", "--listen-qemu", "/r/q.sock");
        assertEquals(Path.of("/r/p.pid"), attached.pidFile());
    }

    @Test
    void defaultsAreLimactlUsernets() {
        UsernetSettings s = settings("--listen-qemu", "/r/q.sock");
        assertEquals(Ipv4Subnet.parse("192.168.5.0/24"), s.config().subnet());
        assertEquals(Ipv4Address.parse("192.168.5.2"), s.config().gatewayIp());
        assertEquals(1500, s.config().mtu());
        assertNull(s.pidFile());
        assertNull(s.apiSocket());
        assertNull(s.fdSocket());
        assertEquals(Path.of("/r/userv2-leases.json"), s.config().dhcp().leasesFile());
        assertEquals(List.of(), s.staticLeases());
    }

    @Test
    void leasesFollowLimasMapRules() {
        UsernetSettings s = settings("--listen-qemu", "/r/q.sock", "--subnet", "192.168.104.0/24",
                "--leases", "192.168.104.10=52:55:55:00:00:01,192.168.105.10=52:55:55:00:00:02",
                "--leases", "192.168.104.11=52:55:55:00:00:03", "--leases", "192.168.104.10=52:55:55:00:00:04",
                "--leases", "192.168.104.12=52:55:55:00:00:03", "--leases", "192.168.104.255=52:55:55:00:00:05",
                "--leases", "");
        assertEquals(List.of(StaticLease.parse("192.168.104.11=52:55:55:00:00:03"),
                StaticLease.parse("192.168.104.10=52:55:55:00:00:04")), s.staticLeases());
        assertEquals(3, s.droppedLeases().size(), s.droppedLeases().toString());
        assertTrue(s.droppedLeases().get(0).contains("outside"), s.droppedLeases().toString());
    }

    @Test
    void vzNeedsOnlyTheFdSocket() {
        UsernetSettings s = settings("-e", "/r/ep.sock", "--listen", "/r/fd.sock");
        assertEquals(List.of(new ListenAddress.FdPassing(Path.of("/r/fd.sock"))), s.config().listen());
        assertEquals(List.of(Path.of("/r/ep.sock"), Path.of("/r/fd.sock")), s.socketFiles());
    }

    @Test
    void badValuesAreOneLineErrors() {
        assertThrows(IllegalArgumentException.class, () -> settings("--listen-qemu", "/q", "--subnet", "nonsense"));
        assertThrows(IllegalArgumentException.class, () -> settings("--listen-qemu", "/q", "--subnet", "10.0.0.0/31"));
        assertThrows(IllegalArgumentException.class, () -> settings("--listen-qemu", "/q", "--mtu", "100"));
        IllegalArgumentException lease = assertThrows(IllegalArgumentException.class,
                () -> settings("--listen-qemu", "/q", "--leases", "192.168.5.9"));
        assertTrue(lease.getMessage().startsWith("--leases"), lease.getMessage());
        assertThrows(IllegalArgumentException.class, () -> settings("--listen-qemu", "/q", "--leases", "192.168.5.9=ff:ff:ff:ff:ff:ff"));
        assertThrows(IllegalArgumentException.class, () -> settings("-e", "/ep.sock"));
        assertThrows(CommandLine.UnmatchedArgumentException.class, () -> settings("--listen-qemu", "/q", "--bogus"));
    }

    private static int run(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new UsernetCommand());
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void badFlagsExitWithTwoAndOneLine() {
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "--listen-qemu", "/q", "--subnet", "bad"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().startsWith("usernet: --subnet"), err.toString());
    }

    @Test
    void aLivePidfileStopsTheStartAndTouchesNothing(@TempDir Path dir) throws Exception {
        Path pid = dir.resolve("u.pid");
        Path qemu = dir.resolve("q.sock");
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(pid, sleeper.pid() + "\n");
            assertEquals(1, run(new StringWriter(), "-p", pid.toString(), "--listen-qemu", qemu.toString()));
            assertEquals(sleeper.pid() + "\n", Files.readString(pid));
            assertFalse(Files.exists(qemu));
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
    }

    @Test
    void aLiveSocketStopsTheStartAndTheOwnPidfileIsRemoved(@TempDir Path dir) throws IOException {
        Path pid = dir.resolve("u.pid");
        Path ep = Path.of("/tmp", "u2u-" + ProcessHandle.current().pid() + "-ep.sock");
        try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(ep));
            assertEquals(1, run(new StringWriter(), "-p", pid.toString(), "-e", ep.toString(),
                    "--listen-qemu", dir.resolve("q.sock").toString()));
            assertFalse(Files.exists(pid), "pidfile removed after a failed start");
            assertTrue(Files.exists(ep), "a live process's socket is left alone");
        } finally {
            Files.deleteIfExists(ep);
        }
    }
}
