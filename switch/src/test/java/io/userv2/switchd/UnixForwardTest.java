package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.dns.DnsZone;
import io.userv2.dns.DnsZoneRecord;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.switchd.api.ApiException;
import io.userv2.switchd.api.Forward;
import io.userv2.switchd.config.DhcpSettings;
import io.userv2.switchd.config.DnsSettings;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.NatSettings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.forward.ForwardSpec;
import io.userv2.switchd.forward.PortForwards;
import io.userv2.switchd.state.ForwardsFile;
import io.userv2.switchd.state.StateWriter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unix forwards (a host unix socket relayed to a guest's TCP port, gvproxy's {@code "protocol": "unix"}) and forwards
 * to a guest given by name, in-process: a fake VM on the switch sees the gateway look for the guest (ARP) and, once
 * answered, its SYN to the right address and port; the socket file's life (stale replaced, live and non-sockets
 * refused, removed at unexpose and at close); kept in the state file.
 */
class UnixForwardTest {
    private static final long VM_MAC = 0x525555000007L;
    private static final long WAIT = 5_000;

    @TempDir
    Path dir;
    VirtualNetwork net;
    Path state;

    @BeforeEach
    void start() throws IOException {
        start(Ipv6Settings.OFF);
    }

    private void start(Ipv6Settings ipv6) throws IOException {
        state = dir.resolve("state/forwards.json");
        if (!Files.exists(dir.resolve("resolv.conf"))) {
            Files.writeString(dir.resolve("resolv.conf"), ""); // hermetic: no upstream, no host resolver
        }
        net = VirtualNetwork.create(new SwitchConfig(List.of(new ListenAddress.Unix(dir.resolve("net.sock"))),
                SwitchConfig.DEFAULT_SUBNET, Ipv4Address.parse("192.168.104.2"), SwitchConfig.DEFAULT_GATEWAY_MAC,
                1500, null, DhcpSettings.EPHEMERAL,
                new DnsSettings(Map.of(), List.of(), false,
                        List.of(new InetSocketAddress(Ipv4Address.parse("127.0.0.1").toInetAddress(), 1)),
                        dir.resolve("resolv.conf"), null, List.of()),
                NatSettings.DEFAULT, new ForwardSettings(List.of(), state), null).withIpv6(ipv6));
        net.start();
    }

    @AfterEach
    void stop() {
        if (net != null) {
            net.close();
        }
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> task) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        net.loop().execute(() -> {
            try {
                f.complete(task.call());
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get(WAIT, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private void expose(ForwardSpec spec) throws Exception {
        onLoop(() -> {
            net.forwards().expose(spec);
            return null;
        });
    }

    private boolean unexpose(String protocol, String local) throws Exception {
        return onLoop(() -> net.forwards().unexpose(protocol, local));
    }

    private static boolean isSocket(Path p) throws IOException {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS)
                && ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000) == 0140000;
    }

    private static SocketChannel connect(Path socket) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socket));
        return c;
    }

    @Test
    void forwardsAreCappedSoNoClientCanTakeAllTheHostsDescriptors() throws Exception {
        Path socks = Files.createDirectories(dir.resolve("many"));
        for (int i = 0; i < PortForwards.MAX_FORWARDS; i++) {
            expose(ForwardSpec.parse("unix:" + socks.resolve(i + ".sock") + "=192.168.104.3:80"));
        }
        IOException refused = assertThrows(IOException.class,
                () -> expose(ForwardSpec.parse("unix:" + socks.resolve("one-more.sock") + "=192.168.104.3:80")));
        assertTrue(refused.getMessage().contains("too many forwards"), refused.getMessage());
        assertFalse(Files.exists(socks.resolve("one-more.sock")), "nothing bound for the refused one");
        assertTrue(unexpose("unix", socks.resolve("0.sock").toString()));
        expose(ForwardSpec.parse("unix:" + socks.resolve("one-more.sock") + "=192.168.104.3:80"));
    }

    @Test
    void ipv6GuestLiteralsAreRefusedUnlessLinkLocalOrInThePrefix() throws Exception {
        stop();
        start(Ipv6Settings.DEFAULT);
        String prefixHost = net.gateway().ipv6().config().prefix().host(5).toString();
        for (String off : List.of("2001:db8::5", "fe80:0:0:1::5", "fd00:dead:beef::5")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> expose(ForwardSpec.parse("tcp:127.0.0.1:0=[" + off + "]:80")), off);
            assertTrue(e.getMessage().contains("not on this network"), e.getMessage());
        }
        expose(ForwardSpec.parse("udp:127.0.0.1:0=[fe80::5]:53"));
        expose(ForwardSpec.parse("tcp:127.0.0.1:0=[" + prefixHost + "]:80"));
    }

    @Test
    void ipv4GuestLiteralsAreRefusedUnlessAHostOfTheSubnetOtherThanTheGateway() throws Exception {
        for (String off : List.of("10.9.9.9", "192.168.105.3", "192.168.104.2", "192.168.104.0", "192.168.104.255")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> expose(ForwardSpec.parse("tcp:127.0.0.1:0=" + off + ":80")), off);
            assertTrue(e.getMessage().contains("not on this network"), e.getMessage());
            ApiException api = assertThrows(ApiException.class, () -> new NetworkControlPlane(net)
                    .expose(new Forward("127.0.0.1:0", off + ":80", "udp")), off);
            assertEquals(400, api.status(), off);
            assertTrue(api.getMessage().contains(off + " is not on this network"), api.getMessage());
        }
        assertTrue(onLoop(() -> net.forwards().list()).isEmpty(), "nothing started for the refused ones");
        expose(ForwardSpec.parse("tcp:127.0.0.1:0=192.168.104.3:80"));
        new NetworkControlPlane(net).expose(new Forward("127.0.0.1:0", "192.168.104.200:53", "udp"));
        assertEquals(2, onLoop(() -> net.forwards().list()).size());
    }

    @Test
    void anOffSubnetForwardOnTheCommandLineIsNotStarted() throws Exception {
        onLoop(() -> {
            net.forwards().restore(List.of(ForwardSpec.parse("tcp:127.0.0.1:0=10.9.9.9:80"),
                    ForwardSpec.parse("tcp:127.0.0.1:0=192.168.104.3:80")));
            return null;
        });
        List<ForwardSpec> started = onLoop(() -> net.forwards().list());
        assertEquals(1, started.size(), started.toString());
        assertEquals("192.168.104.3:80", started.get(0).remoteText());
    }

    /** The next ARP request the VM sees, skipping anything else; returns the address it asks for. */
    private static Ipv4Address nextArpRequest(VmClient vm) throws Exception {
        long deadline = System.nanoTime() + WAIT * 1_000_000;
        while (System.nanoTime() < deadline) {
            ByteBuffer f = ByteBuffer.wrap(vm.receive(WAIT));
            if (f.getShort(12) == 0x0806 && f.getShort(20) == 1) {
                return new Ipv4Address(f.getInt(38));
            }
        }
        throw new AssertionError("no ARP request");
    }

    /** The VM answers the gateway's ARP for {@code ip} with its MAC. */
    private static void arpReply(VmClient vm, Ipv4Address ip) throws IOException {
        ByteBuffer f = ByteBuffer.allocate(60);
        long gw = SwitchConfig.DEFAULT_GATEWAY_MAC.bits();
        f.putShort((short) (gw >>> 32)).putInt((int) gw).putShort((short) (VM_MAC >>> 32)).putInt((int) VM_MAC);
        f.putShort((short) 0x0806).putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4)
                .putShort((short) 2);
        f.putShort((short) (VM_MAC >>> 32)).putInt((int) VM_MAC).putInt(ip.bits());
        f.putShort((short) (gw >>> 32)).putInt((int) gw).putInt(Ipv4Address.parse("192.168.104.2").bits());
        vm.send(f.array());
    }

    /** The next TCP SYN the VM sees: "IP:PORT" of its destination. */
    private static String nextSyn(VmClient vm) throws Exception {
        long deadline = System.nanoTime() + WAIT * 1_000_000;
        while (System.nanoTime() < deadline) {
            ByteBuffer f = ByteBuffer.wrap(vm.receive(WAIT));
            if (f.getShort(12) == 0x0800 && f.get(14 + 9) == 6) {
                int tcp = 14 + (f.get(14) & 0x0f) * 4;
                if ((f.get(tcp + 13) & 0x12) == 0x02) {
                    return new Ipv4Address(f.getInt(14 + 16)) + ":" + (f.getShort(tcp + 2) & 0xffff);
                }
            }
        }
        throw new AssertionError("no SYN");
    }

    @Test
    void aConnectionToTheUnixSocketBecomesAConnectionToTheGuestsTcpPort() throws Exception {
        Path sock = dir.resolve("fwd.sock");
        expose(ForwardSpec.of("unix", sock.toString(), "tcp://192.168.104.9:8080"));
        assertTrue(isSocket(sock), "the socket file is there once expose returns");
        assertEquals("unix:" + sock + "=192.168.104.9:8080", onLoop(() -> net.forwards().list()).get(0).toString());
        try (VmClient vm = VmClient.connect(dir.resolve("net.sock")); SocketChannel client = connect(sock)) {
            assertEquals(Ipv4Address.parse("192.168.104.9"), nextArpRequest(vm));
            arpReply(vm, Ipv4Address.parse("192.168.104.9"));
            assertEquals("192.168.104.9:8080", nextSyn(vm));
        }
        assertTrue(unexpose("unix", sock.toString()));
        assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "unexpose removes the socket file");
        assertFalse(unexpose("unix", sock.toString()));
    }

    @Test
    void aStaleSocketFileIsReplacedALiveOneAndOtherFilesAreRefused() throws Exception {
        Path stale = dir.resolve("stale.sock");
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(stale));
        dead.close(); // the file stays, nobody answers on it
        expose(ForwardSpec.of("unix", stale.toString(), "192.168.104.9:22"));
        assertTrue(isSocket(stale));

        Path live = dir.resolve("live.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(live));
            IOException e = assertThrows(IOException.class,
                    () -> expose(ForwardSpec.of("unix", live.toString(), "192.168.104.9:22")));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertTrue(isSocket(live), "left alone");
        }
        Path plain = Files.writeString(dir.resolve("plain.sock"), "data");
        IOException e = assertThrows(IOException.class,
                () -> expose(ForwardSpec.of("unix", plain.toString(), "192.168.104.9:22")));
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertEquals("data", Files.readString(plain));
        assertThrows(IllegalStateException.class,
                () -> expose(ForwardSpec.of("unix", stale.toString(), "192.168.104.9:23")), "already forwarded");
        assertEquals(1, onLoop(() -> net.forwards().list()).size());
    }

    @Test
    void unixForwardsAreKeptAcrossRestartsAndTheirFilesGoAtClose() throws Exception {
        Path sock = dir.resolve("kept.sock");
        ForwardSpec spec = ForwardSpec.of("unix", sock.toString(), "tcp://lima-web:80");
        expose(spec);
        net.close();
        net = null;
        assertFalse(Files.exists(sock, LinkOption.NOFOLLOW_LINKS), "removed at exit");
        assertEquals(List.of(spec), new ForwardsFile(state, new StateWriter(Runnable::run, 1_000)).load());
        assertTrue(Files.readString(state).contains("\"tcp://lima-web:80\""), Files.readString(state));
        start();
        assertTrue(isSocket(sock), "restored from the state file");
        assertEquals(List.of(spec), onLoop(() -> net.forwards().list()));
    }

    @Test
    void aGuestGivenByNameIsLookedUpAtEachConnection() throws Exception {
        Path sock = dir.resolve("named.sock");
        expose(ForwardSpec.of("unix", sock.toString(), "lima-web:8080"));
        try (SocketChannel client = connect(sock)) {
            assertEquals(-1, client.read(ByteBuffer.allocate(1)), "no such name yet: the client is closed");
        }
        net.services().dns().zone().addZone(new DnsZone("internal.",
                List.of(new DnsZoneRecord("lima-web", Ipv4Address.parse("192.168.104.7").toInetAddress())), null));
        try (VmClient vm = VmClient.connect(dir.resolve("net.sock")); SocketChannel client = connect(sock)) {
            assertEquals(Ipv4Address.parse("192.168.104.7"), nextArpRequest(vm), "lima-web is lima-web.internal");
            arpReply(vm, Ipv4Address.parse("192.168.104.7"));
            assertEquals("192.168.104.7:8080", nextSyn(vm));
        }
    }

    @Test
    void aUdpForwardFindsItsNamedGuestWhenASessionStarts() throws Exception {
        int port;
        try (DatagramChannel probe = DatagramChannel.open()) {
            probe.bind(new InetSocketAddress(Ipv4Address.parse("127.0.0.1").toInetAddress(), 0));
            port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        expose(ForwardSpec.of("udp", "127.0.0.1:" + port, "lima-dns:53"));
        net.services().dns().zone().addZone(new DnsZone("internal.",
                List.of(new DnsZoneRecord("lima-dns", Ipv4Address.parse("192.168.104.8").toInetAddress())), null));
        try (VmClient vm = VmClient.connect(dir.resolve("net.sock"));
                DatagramChannel client = DatagramChannel.open()) {
            client.connect(new InetSocketAddress(Ipv4Address.parse("127.0.0.1").toInetAddress(), port));
            client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertEquals(Ipv4Address.parse("192.168.104.8"), nextArpRequest(vm));
        }
    }

    @Test
    void aNameOutsideTheLanOrTheGatewayItselfIsNoGuest() throws Exception {
        net.services().dns().zone().addZone(new DnsZone("corp.",
                List.of(new DnsZoneRecord("far", Ipv4Address.parse("203.0.113.5").toInetAddress())), null));
        Path far = dir.resolve("far.sock");
        Path gw = dir.resolve("gw.sock");
        expose(ForwardSpec.of("unix", far.toString(), "far.corp:80"));
        expose(ForwardSpec.of("unix", gw.toString(), "host.lima.internal:80"));
        for (Path p : List.of(far, gw)) {
            try (SocketChannel client = connect(p)) {
                assertEquals(-1, client.read(ByteBuffer.allocate(1)), p + ": closed");
            }
        }
    }
}
