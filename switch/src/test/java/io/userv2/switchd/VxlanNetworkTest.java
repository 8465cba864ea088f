package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.config.VxlanSettings;
import io.userv2.switchd.port.PortDropReason;
import io.userv2.switchd.vxlan.VxlanDropReason;
import io.userv2.switchd.vxlan.VxlanPort;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VXLAN uplink in-process: the switch's socket on 127.0.0.1, fake remote tunnel endpoints as UDP sockets on
 * 127.0.0.2 and 127.0.0.3 (loopback only), a fake VM on a unix socket.
 */
class VxlanNetworkTest {
    static final long VM = 0x525555000001L;
    static final long FAR = 0x525555000002L;
    static final long BROADCAST = 0xFFFFFFFFFFFFL;
    static final int VNI = 42;
    static final int WAIT = 5_000;

    @TempDir
    Path dir;
    VirtualNetwork net;
    DatagramSocket r1;
    DatagramSocket r2;

    @AfterEach
    void tearDown() {
        if (net != null) {
            net.close();
        }
        if (r1 != null) {
            r1.close();
        }
        if (r2 != null) {
            r2.close();
        }
    }

    Path sock() {
        return dir.resolve("net.sock");
    }

    static DatagramSocket remote(String ip) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ip), 0));
        s.setSoTimeout(WAIT);
        return s;
    }

    VxlanSettings vxlan(int underlayMtu, boolean noGateway) throws IOException {
        r1 = remote("127.0.0.2");
        r2 = remote("127.0.0.3");
        return new VxlanSettings(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0),
                List.of((InetSocketAddress) r1.getLocalSocketAddress(), (InetSocketAddress) r2.getLocalSocketAddress()),
                VNI, false, underlayMtu, noGateway);
    }

    void start(int mtu, VxlanSettings vxlan) throws IOException {
        net = VirtualNetwork.create(new SwitchConfig(List.of(new ListenAddress.Unix(sock())),
                SwitchConfig.DEFAULT_SUBNET, Ipv4Address.parse("192.168.104.2"), SwitchConfig.DEFAULT_GATEWAY_MAC, mtu,
                null).withIpv6(Ipv6Settings.OFF).withVxlan(vxlan));
        net.start();
    }

    InetSocketAddress switchAddress() throws Exception {
        return onLoop(n -> n.vxlan().local());
    }

    <T> T onLoop(Function<VirtualNetwork, T> f) throws Exception {
        CompletableFuture<T> out = new CompletableFuture<>();
        net.loop().execute(() -> out.complete(f.apply(net)));
        return out.get(WAIT, TimeUnit.MILLISECONDS);
    }

    static byte[] frame(long dst, long src, int tag, int length) {
        return VirtualNetworkTest.frame(dst, src, tag, length);
    }

    static byte[] encapsulate(int vni, byte[] frame) {
        return ByteBuffer.allocate(8 + frame.length).putInt(0x08000000).putInt(vni << 8).put(frame).array();
    }

    static byte[] receive(DatagramSocket s) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[65536], 65536);
        s.receive(p);
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    static void send(DatagramSocket s, byte[] datagram, InetSocketAddress to) throws IOException {
        s.send(new DatagramPacket(datagram, datagram.length, to));
    }

    long drops(String remote, VxlanDropReason reason) throws Exception {
        return onLoop(n -> n.vxlan().remotes().stream().filter(p -> p.remote().getAddress().getHostAddress()
                .equals(remote)).findFirst().map(p -> p.vxlanDrops().drops(reason)).orElse(-1L));
    }

    @Test
    void floodsReachEveryRemoteEncapsulatedAndUnicastFollowsTheLearnedRemote() throws Exception {
        start(1450, vxlan(1500, false));
        InetSocketAddress sw = switchAddress();
        try (VmClient vm = VmClient.connect(sock())) {
            byte[] hello = frame(BROADCAST, VM, 1, 60);
            vm.send(hello);
            byte[] expected = encapsulate(VNI, hello);
            assertArrayEquals(expected, receive(r1), "head-end replication to the first remote");
            assertArrayEquals(expected, receive(r2), "and to the second");
            assertEquals(sw, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), sw.getPort()));

            byte[] fromFar = frame(VM, FAR, 2, 80);
            send(r1, encapsulate(VNI, fromFar), sw);
            assertArrayEquals(fromFar, vm.receive(WAIT), "the remote's inner frame reaches the VM");

            byte[] toFar = frame(FAR, VM, 3, 70);
            vm.send(toFar);
            assertArrayEquals(encapsulate(VNI, toFar), receive(r1), "unicast to the remote FAR was learned on");
            byte[] again = frame(BROADCAST, VM, 4, 60);
            vm.send(again);
            assertArrayEquals(encapsulate(VNI, again), receive(r2), "the second remote never got the unicast");
            assertArrayEquals(encapsulate(VNI, again), receive(r1));

            // A broadcast from a remote goes to the VM and the other remote, never back to its sender.
            byte[] farBroadcast = frame(BROADCAST, FAR, 5, 60);
            send(r1, encapsulate(VNI, farBroadcast), sw);
            assertArrayEquals(encapsulate(VNI, farBroadcast), receive(r2));
            assertArrayEquals(farBroadcast, vm.receive(WAIT));
            byte[] marker = frame(BROADCAST, VM, 6, 60);
            vm.send(marker);
            assertArrayEquals(encapsulate(VNI, marker), receive(r1), "r1's next datagram is not its own broadcast");

            Map<String, Object> stats = onLoop(NetworkStats::collect);
            @SuppressWarnings("unchecked")
            Map<String, Object> vx = (Map<String, Object>) stats.get("vxlan");
            assertEquals(VNI, vx.get("vni"));
            assertEquals(2, ((List<?>) vx.get("remotes")).size());
            String metrics = onLoop(NetworkStats::prometheus);
            assertTrue(metrics.contains("userv2_vxlan_drops_total{port=\"vxlan:127.0.0.2:"), metrics);
            assertTrue(metrics.contains("userv2_port_frames_total{port=\"vxlan:127.0.0.2:"), metrics);
        }
    }

    @Test
    void malformedOtherVniUnknownAndSecondGatewayAreDroppedAndCountedWhileTrafficContinues() throws Exception {
        start(1450, vxlan(1500, false));
        InetSocketAddress sw = switchAddress();
        try (VmClient vm = VmClient.connect(sock()); DatagramSocket stranger = remote("127.0.0.4")) {
            vm.send(frame(BROADCAST, VM, 1, 60)); // the VM is learned
            receive(r1);
            send(r1, new byte[] {8, 0, 0}, sw); // shorter than the header
            byte[] toVm = frame(VM, FAR, 2, 60);
            byte[] noIFlag = encapsulate(VNI, toVm);
            noIFlag[0] = 0;
            send(r1, noIFlag, sw);
            send(r1, encapsulate(VNI + 1, toVm), sw);
            send(stranger, encapsulate(VNI, toVm), sw);
            send(r1, encapsulate(VNI, frame(VM, SwitchConfig.DEFAULT_GATEWAY_MAC.bits(), 3, 60)), sw);
            byte[] ok = frame(VM, FAR, 4, 64);
            send(r1, encapsulate(VNI, ok), sw);
            assertArrayEquals(ok, vm.receive(WAIT), "only the valid frame came through, after the bad ones");
            assertEquals(2, drops("127.0.0.2", VxlanDropReason.MALFORMED));
            assertEquals(1, drops("127.0.0.2", VxlanDropReason.OTHER_VNI));
            assertEquals(1, drops("127.0.0.2", VxlanDropReason.SECOND_GATEWAY));
            assertEquals(1L, (long) onLoop(n -> n.vxlan().drops().drops(VxlanDropReason.UNKNOWN_REMOTE)));
            assertEquals(2, (int) onLoop(n -> n.vxlan().remotes().size()), "the stranger did not become a remote");
        }
    }

    @Test
    void framesThatWouldNotFitTheUnderlayAreDroppedNotSent() throws Exception {
        start(1450, vxlan(1500, false));
        try (VmClient vm = VmClient.connect(sock())) {
            // 1450 + 18 (a tagged frame) is a legal LAN frame, but 1468 + 36 > 1500 on the underlay.
            vm.send(frame(BROADCAST, VM, 1, 1468));
            byte[] fits = frame(BROADCAST, VM, 2, 1464); // 1464 + 36 = 1500: just fits
            vm.send(fits);
            assertArrayEquals(encapsulate(VNI, fits), receive(r1));
            assertEquals(1, drops("127.0.0.2", VxlanDropReason.TOO_BIG));
        }
    }

    @Test
    void refusesALanMtuTheUnderlayCannotCarry() throws Exception {
        IOException e = assertThrows(IOException.class, () -> start(1500, vxlan(1500, false)));
        assertTrue(e.getMessage().contains("--mtu 1450 or less"), e.getMessage());
        net = null;
    }

    @Test
    void noGatewayIsAPureSwitch() throws Exception {
        start(1450, vxlan(1500, true));
        InetSocketAddress sw = switchAddress();
        try (VmClient vm = VmClient.connect(sock())) {
            // Another host's gateway, seen from a remote, is an ordinary station here: its frames pass.
            long gw = SwitchConfig.DEFAULT_GATEWAY_MAC.bits();
            byte[] fromGateway = frame(VM, gw, 1, 60);
            vm.send(frame(BROADCAST, VM, 9, 60));
            receive(r1);
            send(r1, encapsulate(VNI, fromGateway), sw);
            assertArrayEquals(fromGateway, vm.receive(WAIT));
            // Unicast to the gateway's MAC goes to the remote it was learned on, not to a gateway of our own.
            byte[] toGateway = frame(gw, VM, 2, 60);
            vm.send(toGateway);
            assertArrayEquals(encapsulate(VNI, toGateway), receive(r1));
            assertEquals(0, drops("127.0.0.2", VxlanDropReason.SECOND_GATEWAY));
            // The gateway's MAC from a second remote while it is behind the first: a second gateway, dropped.
            byte[] impostor = frame(BROADCAST, gw, 3, 60);
            send(r2, encapsulate(VNI, impostor), sw);
            byte[] marker = frame(VM, FAR, 4, 60);
            send(r2, encapsulate(VNI, marker), sw);
            assertArrayEquals(marker, vm.receive(WAIT), "the impostor's broadcast was not switched");
            assertEquals(1, drops("127.0.0.3", VxlanDropReason.SECOND_GATEWAY));
            assertEquals("vxlan:127.0.0.2", onLoop(n -> n.learningSwitch().portOf(gw).name()).substring(0, 15));
            assertEquals(3, (int) onLoop(n -> n.learningSwitch().ports().size()), "the VM and two remotes only");

            // A local VM claiming the gateway's MAC: dropped as a spoof, the MAC stays behind its remote.
            try (VmClient spoofer = VmClient.connect(sock())) {
                spoofer.send(frame(BROADCAST, gw, 5, 60));
                byte[] after = frame(BROADCAST, FAR + 1, 6, 60);
                spoofer.send(after);
                assertArrayEquals(encapsulate(VNI, after), receive(r1), "the spoofed broadcast was not switched");
                assertEquals("vxlan:127.0.0.2", onLoop(n -> n.learningSwitch().portOf(gw).name()).substring(0, 15));
                assertEquals(1L, (long) onLoop(n -> n.learningSwitch().portOf(FAR + 1).counters()
                        .drops(PortDropReason.GATEWAY_MAC_SPOOFED)));
            }
        }
    }

    @Test
    void learnRemotesTakesANewEndpointAsAPortOfItsOwn() throws Exception {
        r1 = remote("127.0.0.2");
        start(1450, new VxlanSettings(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0),
                List.of((InetSocketAddress) r1.getLocalSocketAddress()), VNI, true, 1500, false));
        InetSocketAddress sw = switchAddress();
        try (VmClient vm = VmClient.connect(sock()); DatagramSocket stranger = remote("127.0.0.4")) {
            byte[] fromStranger = frame(BROADCAST, FAR, 1, 60);
            send(stranger, encapsulate(VNI + 1, fromStranger), sw); // another VNI does not make a remote
            send(stranger, encapsulate(VNI, fromStranger), sw);
            assertArrayEquals(fromStranger, vm.receive(WAIT));
            List<VxlanPort> remotes = onLoop(n -> n.vxlan().remotes());
            assertEquals(2, remotes.size());
            assertEquals("127.0.0.4", remotes.get(1).remote().getAddress().getHostAddress());
            assertEquals(false, remotes.get(1).configured());
            assertEquals(1L, (long) onLoop(n -> n.vxlan().drops().drops(VxlanDropReason.UNKNOWN_REMOTE)));
        }
    }

    @Test
    void settingsRefuseWildcardsAndWideVnis() {
        InetSocketAddress any = new InetSocketAddress(4789);
        List<InetSocketAddress> one = List.of(VxlanSettings.parseEndpoint("10.254.0.2", "--vxlan"));
        assertThrows(IllegalArgumentException.class, () -> new VxlanSettings(any, one, 1, false, 0, false));
        InetSocketAddress local = VxlanSettings.parseEndpoint("10.254.0.1:8472", "--vxlan-local");
        assertEquals(8472, local.getPort());
        assertEquals(4789, one.get(0).getPort());
        assertThrows(IllegalArgumentException.class, () -> new VxlanSettings(local, one, 1 << 24, false, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new VxlanSettings(local, List.of(), 1, false, 0, false));
        assertThrows(IllegalArgumentException.class, () -> VxlanSettings.parseEndpoint("example.org", "--vxlan"));
        assertThrows(IllegalArgumentException.class, () -> VxlanSettings.parseEndpoint("10.0.0.1:0", "--vxlan"));
    }
}
