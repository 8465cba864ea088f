package io.userv2.switchd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.NdpOptions;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.config.VxlanSettings;
import io.userv2.switchd.e2e.Frames;
import io.userv2.switchd.forward.ForwardSpec;
import io.userv2.switchd.config.ForwardSettings;
import io.userv2.switchd.switching.LearningSwitch;
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
        start(mtu, vxlan, Ipv6Settings.OFF);
    }

    void start(int mtu, VxlanSettings vxlan, Ipv6Settings ipv6) throws IOException {
        net = VirtualNetwork.create(config(mtu).withIpv6(ipv6).withVxlan(vxlan));
        net.start();
    }

    SwitchConfig config(int mtu) {
        return new SwitchConfig(List.of(new ListenAddress.Unix(sock())), SwitchConfig.DEFAULT_SUBNET,
                Ipv4Address.parse("192.168.104.2"), SwitchConfig.DEFAULT_GATEWAY_MAC, mtu, null);
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

    // ---- a pure switch (--no-gateway): port security, the gateway's MAC, what it refuses ----

    static final MacAddress GW = SwitchConfig.DEFAULT_GATEWAY_MAC;
    static final String VM_MAC = MacAddress.of(VM).toString();
    static final String GW_IP = "192.168.104.2";

    /** An ICMPv6 message from {@code srcMac}/{@code src} to {@code dst} (multicast MAC of a multicast {@code dst}). */
    static byte[] icmp6(long srcMac, long dstMac, Ipv6Address src, Ipv6Address dst, int hopLimit, Icmpv6Repr icmp) {
        int len = icmp.bufferLength();
        ByteBuf out = Unpooled.buffer(54 + len);
        int at = new EthernetRepr(MacAddress.of(dstMac), MacAddress.of(srcMac), EtherType.IPV6).emit(out, 0);
        Ipv6Repr.writeHeader(out, at, src.high(), src.low(), dst.high(), dst.low(), IpProtocol.ICMPV6_NUMBER, len,
                hopLimit, 0, 0);
        ByteBuf body = Unpooled.buffer(len);
        icmp.emit(body, 0, src, dst);
        out.setBytes(at + 40, body, 0, len);
        byte[] bytes = new byte[54 + len];
        out.getBytes(0, bytes);
        return bytes;
    }

    static byte[] routerAdvertisement(long srcMac) {
        return icmp6(srcMac, Ipv6Address.ALL_NODES.multicastMac(), Ipv6Address.linkLocalFromMac(srcMac),
                Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.RouterAdvertisement(64, 0, 1800, 0, 0,
                        NdpOptions.sourceLinkLayer(MacAddress.of(srcMac))));
    }

    long vmDrops(PortDropReason reason) throws Exception {
        return onLoop(n -> n.learningSwitch().portOf(VM).counters().drops(reason));
    }

    @Test
    void pureSwitchKeepsVmsFromSpeakingForTheGatewayButLetsTheRealOneThrough() throws Exception {
        start(1450, vxlan(1500, true), Ipv6Settings.DEFAULT);
        InetSocketAddress sw = switchAddress();
        Ipv6Address gwLinkLocal = Ipv6Address.linkLocalFromMac(GW.bits());
        Ipv6Address gwAddress = net.config().gatewayIpv6();
        Ipv6Address vmLinkLocal = Ipv6Address.linkLocalFromMac(VM);
        try (VmClient vm = VmClient.connect(sock())) {
            vm.send(frame(BROADCAST, VM, 1, 60));
            receive(r1);
            receive(r2);
            // A VM taking the gateway's addresses over in the other guests' caches, or using them as its source,
            // or advertising itself as the LAN's router: none of it leaves this switch.
            vm.send(Frames.arpRequest(VM_MAC, GW_IP, "192.168.104.7"));
            vm.send(Frames.ipv4(VM_MAC, "ff:ff:ff:ff:ff:ff", GW_IP, "192.168.104.255", 17, new byte[8]));
            vm.send(routerAdvertisement(VM));
            vm.send(icmp6(VM, Ipv6Address.ALL_NODES.multicastMac(), gwAddress, Ipv6Address.ALL_NODES, 64,
                    new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER)));
            vm.send(icmp6(VM, Ipv6Address.ALL_NODES.multicastMac(), vmLinkLocal, Ipv6Address.ALL_NODES, 255,
                    new Icmpv6Repr.NeighborAdvertisement(false, false, true, gwLinkLocal,
                            NdpOptions.targetLinkLayer(MacAddress.of(VM)))));
            byte[] marker = frame(BROADCAST, VM, 2, 60);
            vm.send(marker);
            assertArrayEquals(encapsulate(VNI, marker), receive(r1), "no spoof reached the gateway's remote");
            assertArrayEquals(encapsulate(VNI, marker), receive(r2), "nor the other remote");
            assertEquals(1, vmDrops(PortDropReason.GATEWAY_ARP_SPOOFED));
            assertEquals(2, vmDrops(PortDropReason.GATEWAY_IP_SPOOFED), "IPv4 and IPv6 sources");
            assertEquals(1, vmDrops(PortDropReason.ROUTER_ADVERTISEMENT_GUARD));
            assertEquals(1, vmDrops(PortDropReason.GATEWAY_NDP_SPOOFED));
            assertEquals(0, vmDrops(PortDropReason.IP_SOURCE_GUARD), "no leases here: no source guard");

            // The real gateway, behind the uplink, speaks for its addresses: its ARP and its RA reach the VM.
            byte[] gatewayArp = Frames.arpRequest(GW.toString(), GW_IP, "192.168.104.7");
            send(r1, encapsulate(VNI, gatewayArp), sw);
            assertArrayEquals(gatewayArp, vm.receive(WAIT));
            byte[] gatewayRa = routerAdvertisement(GW.bits());
            send(r1, encapsulate(VNI, gatewayRa), sw);
            assertArrayEquals(gatewayRa, vm.receive(WAIT));
            long uplinkDrops = onLoop(n -> n.vxlan().remotes().get(0).counters().dropsTotal());
            assertEquals(0, uplinkDrops);
        }
    }

    @Test
    void theGatewaysMacIsPinnedToItsRemoteWhoeverSpeaksFirstAndHoweverLongItIsSilent() throws Exception {
        start(1450, vxlan(1500, true));
        InetSocketAddress sw = switchAddress();
        long gw = GW.bits();
        try (VmClient vm = VmClient.connect(sock())) {
            vm.send(frame(BROADCAST, VM, 1, 60));
            receive(r1);
            receive(r2);
            // Before the gateway has said a word, the second remote claims its MAC: a second gateway.
            send(r2, encapsulate(VNI, frame(BROADCAST, gw, 2, 60)), sw);
            byte[] marker = frame(VM, FAR, 3, 60);
            send(r2, encapsulate(VNI, marker), sw);
            assertArrayEquals(marker, vm.receive(WAIT), "the claim was not switched");
            assertEquals(1, drops("127.0.0.3", VxlanDropReason.SECOND_GATEWAY));
            // Frames to the gateway go to the gateway's remote (the first --vxlan) alone, not flooded.
            byte[] toGateway = frame(gw, VM, 4, 60);
            vm.send(toGateway);
            assertArrayEquals(encapsulate(VNI, toGateway), receive(r1));
            byte[] after = frame(BROADCAST, VM, 5, 60);
            vm.send(after);
            assertArrayEquals(encapsulate(VNI, after), receive(r2), "r2 never got the frame to the gateway");
            receive(r1);
            // Long silence: the pin does not age.
            long far = System.nanoTime() + 3 * LearningSwitch.AGING_NANOS;
            onLoop(n -> n.learningSwitch().expire(far));
            assertEquals("vxlan:127.0.0.2", onLoop(n -> n.learningSwitch().portOf(gw).name()).substring(0, 15));
            send(r2, encapsulate(VNI, frame(BROADCAST, gw, 6, 60)), sw);
            byte[] marker2 = frame(VM, FAR, 7, 60);
            send(r2, encapsulate(VNI, marker2), sw);
            assertArrayEquals(marker2, vm.receive(WAIT), "the claim after the silence was not switched either");
            assertEquals(2, drops("127.0.0.3", VxlanDropReason.SECOND_GATEWAY));
            assertEquals("vxlan:127.0.0.2", onLoop(n -> n.learningSwitch().portOf(gw).name()).substring(0, 15));
        }
    }

    @Test
    void vxlanGatewayNamesTheRemoteTheGatewayIsBehind() throws Exception {
        VxlanSettings two = vxlan(1500, true);
        start(1450, new VxlanSettings(two.local(), two.remotes(), VNI, false, 1500, true, two.remotes().get(1)));
        InetSocketAddress sw = switchAddress();
        long gw = GW.bits();
        assertEquals("vxlan:127.0.0.3", onLoop(n -> n.learningSwitch().portOf(gw).name()).substring(0, 15));
        try (VmClient vm = VmClient.connect(sock())) {
            send(r1, encapsulate(VNI, frame(BROADCAST, gw, 1, 60)), sw);
            byte[] fromGateway = frame(BROADCAST, gw, 2, 60);
            send(r2, encapsulate(VNI, fromGateway), sw);
            assertArrayEquals(fromGateway, vm.receive(WAIT), "only the named remote speaks for the gateway");
            assertEquals(1, drops("127.0.0.2", VxlanDropReason.SECOND_GATEWAY));
            assertEquals(0, drops("127.0.0.3", VxlanDropReason.SECOND_GATEWAY));
        }
    }

    @Test
    void aPureSwitchRefusesForwardsAndSaysItHasNoGateway() throws Exception {
        VxlanSettings pure = vxlan(1500, true);
        SwitchConfig withForward = config(1450).withIpv6(Ipv6Settings.OFF);
        SwitchConfig forwarding = new SwitchConfig(withForward.listen(), withForward.subnet(), withForward.gatewayIp(),
                withForward.gatewayMac(), 1450, null, withForward.dhcp(), withForward.dns(), withForward.nat(),
                new ForwardSettings(List.of(ForwardSpec.parse("tcp:127.0.0.1:0=192.168.104.5:22")), null), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> forwarding.withVxlan(pure));
        assertTrue(e.getMessage().contains("no gateway (--no-gateway)"), e.getMessage());

        start(1450, pure);
        assertEquals(false, new NetworkControlPlane(net).hasGateway());
    }

    @Test
    void settingsRefuseDuplicateRemotesAndAGatewayRemoteThatIsNone() {
        InetSocketAddress local = VxlanSettings.parseEndpoint("10.254.0.1", "--vxlan-local");
        InetSocketAddress b = VxlanSettings.parseEndpoint("10.254.0.2", "--vxlan");
        InetSocketAddress bOtherPort = VxlanSettings.parseEndpoint("10.254.0.2:8472", "--vxlan");
        InetSocketAddress c = VxlanSettings.parseEndpoint("10.254.0.3", "--vxlan");
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class,
                () -> new VxlanSettings(local, List.of(b, c, bOtherPort), 1, false, 0, false));
        assertTrue(dup.getMessage().contains("10.254.0.2:4789") && dup.getMessage().contains("10.254.0.2:8472")
                && dup.getMessage().contains("the same remote address twice"), dup.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VxlanSettings(local, List.of(b, b), 1, false, 0, false));
        IllegalArgumentException notRemote = assertThrows(IllegalArgumentException.class,
                () -> new VxlanSettings(local, List.of(b), 1, false, 0, true, c));
        assertTrue(notRemote.getMessage().contains("not one of the --vxlan remotes"), notRemote.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VxlanSettings(local, List.of(b, c), 1, false, 0,
                false, c), "--vxlan-gateway without --no-gateway");
        assertThrows(IllegalArgumentException.class, () -> new VxlanSettings(local, List.of(), 1, true, 0, true),
                "a pure switch with learned remotes only has no remote for its gateway");
        assertEquals(c.getAddress(), new VxlanSettings(local, List.of(b, c), 1, false, 0, true, c).gatewayHost());
        assertEquals(b.getAddress(), new VxlanSettings(local, List.of(b, c), 1, false, 0, true).gatewayHost());
        assertEquals(null, new VxlanSettings(local, List.of(b, c), 1, false, 0, false).gatewayHost());
    }
}
