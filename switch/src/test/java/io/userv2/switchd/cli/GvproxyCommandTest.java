package io.userv2.switchd.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.dns.DnsZone;
import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.forward.ForwardSpec;
import io.userv2.switchd.sshforward.SshForwardSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GvproxyCommandTest {
    @TempDir
    Path dir;

    private static GvproxySettings settings(String... args) throws IOException {
        GvproxyCommand cmd = new GvproxyCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.settings();
    }

    private static Ipv4Address ip(String s) {
        return Ipv4Address.parse(s);
    }

    /** What podman machine's QEMU provider passes (gvisor-tap-vsock's GvproxyCommand.ToCmdline order). */
    private List<String> podmanArgs() throws IOException {
        Path key = Files.writeString(dir.resolve("machine"), "key");
        return List.of("-mtu", "1500", "-ssh-port", "41285",
                "-listen-qemu", "unix://" + dir.resolve("qemu_podman-machine-default.sock"),
                "-forward-sock", dir.resolve("podman-machine-default-api.sock").toString(),
                "-forward-dest", "/run/user/1000/podman/podman.sock", "-forward-user", "core",
                "-forward-identity", key.toString(),
                "-pid-file", dir.resolve("podman-machine-default-gvproxy.pid").toString());
    }

    @Test
    void podmansCommandLineGivesGvproxysLayout() throws IOException {
        GvproxySettings s = settings(podmanArgs().toArray(String[]::new));
        SwitchConfig c = s.config();
        assertEquals(Ipv4Subnet.parse("192.168.127.0/24"), c.subnet());
        assertEquals(ip("192.168.127.1"), c.gatewayIp(), "gateway: the subnet's first address");
        assertEquals(ip("192.168.127.2"), s.deviceIp());
        assertEquals(ip("192.168.127.254"), c.nat().hostAlias(), "host alias: the last usable address");
        assertTrue(c.nat().rules().isEmpty(), "the host alias needs no rule of its own: " + c.nat().rules());
        assertEquals(SwitchConfig.DEFAULT_GATEWAY_MAC, c.gatewayMac());
        assertEquals(1500, c.mtu());
        assertEquals(List.of(new ListenAddress.Unix(dir.resolve("qemu_podman-machine-default.sock"))), c.listen());
        assertEquals(List.of(new StaticLease(ip("192.168.127.2"), GvproxyCommand.DEVICE_MAC)),
                c.dhcp().staticLeases());
        assertNull(c.dhcp().leasesFile(), "gvproxy keeps no lease file");
        assertEquals(List.of(ForwardSpec.of("tcp", "127.0.0.1:41285", "192.168.127.2:22")),
                c.forwards().forwards(), "-ssh-port forwards to the VM's sshd");
        List<String> zones = c.dns().zones().stream().map(DnsZone::name).toList();
        assertEquals(List.of("containers.internal.", "docker.internal."), zones);
        DnsZone z = c.dns().zones().get(0);
        assertEquals(Map.of("gateway", "192.168.127.1", "host", "192.168.127.254"),
                Map.of(z.records().get(0).name(), z.records().get(0).ip().getHostAddress(),
                        z.records().get(1).name(), z.records().get(1).ip().getHostAddress()));
        assertEquals(1, s.sshForwards().size());
        SshForwardSettings f = s.sshForwards().get(0);
        assertEquals(dir.resolve("podman-machine-default-api.sock"), f.socket());
        assertEquals("/run/user/1000/podman/podman.sock", f.dest());
        assertEquals("core", f.user());
        assertEquals(dir.resolve("podman-machine-default-gvproxy.pid"), s.pidFile());
        assertEquals("info", s.logLevel());
        assertFalse(c.nat().linkLocal());
    }

    @Test
    void goFlagSpellingsAllWork() throws IOException {
        GvproxySettings a = settings("--listen-qemu=unix:///tmp/q.sock", "-debug", "-mtu=9000", "--ssh-port", "-1",
                "-listen", "unix:///tmp/api.sock", "-services", "unix:///tmp/svc.sock", "-ec2-metadata-access");
        assertEquals("debug", a.logLevel());
        assertEquals(9000, a.config().mtu());
        assertTrue(a.config().forwards().forwards().isEmpty(), "-ssh-port -1: no ssh forward");
        assertEquals(List.of(Path.of("/tmp/api.sock"), Path.of("/tmp/svc.sock")), a.apiSockets());
        assertTrue(a.config().nat().linkLocal(), "-ec2-metadata-access lets 169.254.0.0/16 through");
        GvproxySettings b = settings("-listen-qemu", "/tmp/q.sock", "-debug=false");
        assertEquals("info", b.logLevel());
    }

    @Test
    void addressesFollowTheSubnetAndTheFlags() throws IOException {
        GvproxySettings s = settings("-listen-vfkit", "unixgram:///tmp/v.sock", "-subnet", "10.0.9.0/24",
                "-gatewayIP", "10.0.9.10", "-hostIP", "10.0.9.20");
        assertEquals(ip("10.0.9.10"), s.config().gatewayIp());
        assertEquals(ip("10.0.9.2"), s.deviceIp());
        assertEquals(ip("10.0.9.20"), s.config().nat().hostAlias());
        assertEquals(List.of(new ListenAddress.Unixgram(Path.of("/tmp/v.sock"))), s.config().listen());
    }

    @Test
    void gvproxysValidationMessages() {
        assertEquals("ssh-port value must be between 1024 and 65535",
                failure("-listen-qemu", "unix:///tmp/q", "-ssh-port", "22"));
        assertEquals("failed to validate configuration IPs: IP (10.1.1.1) not in subnet (192.168.127.0/24)",
                failure("-listen-qemu", "unix:///tmp/q", "-gatewayIP", "10.1.1.1"));
        assertEquals("failed to validate configuration IPs: IP addresses need to be distinct",
                failure("-listen-qemu", "unix:///tmp/q", "-deviceIP", "192.168.127.1"));
        assertEquals("failed to validate configuration IPs: IP must not be broadcast address: 192.168.127.255",
                failure("-listen-qemu", "unix:///tmp/q", "-hostIP", "192.168.127.255"));
        assertEquals("notification listen address must be unix:// address",
                failure("-listen-qemu", "unix:///tmp/q", "-notification", "/tmp/n.sock"));
        assertEquals("bess listen address must be unixpacket:// address", failure("-listen-bess", "/tmp/b"));
        assertEquals("vfkit listen address must be unixgram:// address", failure("-listen-vfkit", "unix:///tmp/v"));
        assertTrue(failure("-listen-vpnkit", "unix:///tmp/vpnkit").contains("not supported"));
        assertTrue(failure("-listen-qemu", "unix:///tmp/q", "-listen", "tcp://127.0.0.1:7777")
                .contains("only unix:// endpoints"));
        assertEquals("--forward-sock, --forward-dest, --forward-user, and --forward-identity must all be specified"
                + " together, the same number of times, or not at all",
                failure("-listen-qemu", "unix:///tmp/q", "-forward-sock", "/tmp/s"));
        assertTrue(failure("-listen-qemu", "unix:///tmp/q", "-forward-sock", "/tmp/s", "-forward-dest", "/d",
                "-forward-user", "core", "-forward-identity", "/nonexistent/key")
                .startsWith("identity file \"/nonexistent/key\" can't be loaded"));
        assertTrue(failure("-subnet", "192.168.127.0/30", "-listen-qemu", "unix:///tmp/q").contains("subnet too small"));
    }

    @Test
    void versionPrintsOneLineAndExitsZero() {
        CommandLine cl = new CommandLine(new GvproxyCommand());
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("-version"));
        assertTrue(out.toString().startsWith("gvproxy version "), out.toString());
    }

    @Test
    void unknownFlagsAreRefusedAsGoRefusesThem() {
        CommandLine cl = new CommandLine(new GvproxyCommand());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("-listen-qemu", "unix:///tmp/q", "-no-such-flag"));
        assertTrue(err.toString().contains("-no-such-flag"), err.toString());
    }

    @Test
    void aConfigFileReplacesTheDefaultsAndFlagsOverrideIt() throws IOException {
        Path yaml = dir.resolve("gvproxy.yaml");
        Files.writeString(yaml, """
                log-level: debug
                listen:
                  - unix:///tmp/from-file.sock
                stack:
                  mtu: 4000
                  subnet: 10.7.0.0/24
                  dns:
                    - name: example.internal.
                      records:
                        - name: db
                          ip: 10.7.0.9
                  forwards:
                    127.0.0.1:2223: 10.7.0.2:22
                  nat:
                    10.7.0.254: 127.0.0.1
                    203.0.113.5: 127.0.0.1
                  dhcpStaticLeases:
                    10.7.0.2: 52:55:55:00:00:01
                  unknown-key: ignored, as gvproxy's decoder does
                interfaces:
                  qemu: unix:///tmp/file-qemu.sock
                """);
        GvproxySettings s = settings("-config", yaml.toString(), "-mtu", "1500");
        SwitchConfig c = s.config();
        assertEquals(1500, c.mtu(), "the flag wins over the file");
        assertEquals("debug", s.logLevel());
        assertEquals(List.of(Path.of("/tmp/from-file.sock")), s.apiSockets());
        assertEquals(ip("10.7.0.1"), c.gatewayIp());
        assertEquals(ip("10.7.0.254"), c.nat().hostAlias());
        assertEquals(Map.of(ip("203.0.113.5"), ip("127.0.0.1")), c.nat().rules());
        assertEquals(List.of("example.internal."), c.dns().zones().stream().map(DnsZone::name).toList(),
                "with a file, gvproxy's default zones do not apply");
        assertEquals(List.of(ForwardSpec.of("tcp", "127.0.0.1:2223", "10.7.0.2:22")), c.forwards().forwards());
        assertEquals(List.of(new ListenAddress.Unix(Path.of("/tmp/file-qemu.sock"))), c.listen());
        assertEquals(ip("10.7.0.2"), c.dhcp().staticLeases().get(0).ip());
    }

    @Test
    void aBrokenConfigFileIsAOneLineError() throws IOException {
        Path yaml = Files.writeString(dir.resolve("bad.yaml"), "stack: [unclosed\n");
        String message = assertThrows(IllegalArgumentException.class,
                () -> settings("-config", yaml.toString())).getMessage();
        assertTrue(message.startsWith("failed to parse configuration:"), message);
        assertFalse(message.contains("\n"), message);
        Path wrongType = Files.writeString(dir.resolve("type.yaml"), "stack:\n  mtu: lots\n");
        assertEquals("stack.mtu: expected a number, got lots",
                assertThrows(IllegalArgumentException.class, () -> settings("-config", wrongType.toString()))
                        .getMessage());
    }

    private static String failure(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        return assertThrows(IllegalArgumentException.class, () -> settings(all.toArray(String[]::new)))
                .getMessage();
    }
}
