package io.userv2.switchd.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import io.userv2.switchd.capture.FrameCapture;
import io.userv2.switchd.config.PortSecuritySettings;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortDropReason;
import io.userv2.switchd.port.VirtualPort;
import io.userv2.switchd.security.IngressFilter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Port security for IPv6 (with IPv6 on): the gateway's IPv6 addresses cannot be claimed, guests cannot advertise
 * themselves as routers (RA guard, RFC 6105, with RFC 7113's evasion rules), and the Neighbor Discovery guests need
 * (and multicast in general) is switched and flooded as before. With IPv6 off nothing of it is checked.
 */
class LearningSwitchIpv6SecurityTest {
    static final MacAddress GW_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    static final MacAddress A_MAC = MacAddress.parse("52:55:55:00:00:0a");
    static final MacAddress B_MAC = MacAddress.parse("52:55:55:00:00:0b");
    static final Ipv6Address GW_LL = Ipv6Address.linkLocalFromMac(GW_MAC.bits());
    static final Ipv6Address GW_ULA = Ipv6Address.parse("fd12:3456:789a::2");
    static final Ipv6Address A_LL = Ipv6Address.linkLocalFromMac(A_MAC.bits());
    static final Ipv6Address A_ULA = Ipv6Address.parse("fd12:3456:789a::a");
    static final Ipv6Address B_ULA = Ipv6Address.parse("fd12:3456:789a::b");

    LearningSwitch sw;
    final List<byte[]> atGateway = new ArrayList<>();
    RecordingPort a;
    RecordingPort b;

    void build(boolean ipv6) {
        sw = new LearningSwitch(FrameCapture.NONE, PortSecuritySettings.DEFAULT);
        VirtualPort gw = new VirtualPort("gateway", GW_MAC, (buf, index, length, ingress, t) -> {
            byte[] copy = new byte[length];
            buf.getBytes(index, copy);
            atGateway.add(copy);
        }, () -> 0L);
        sw.attachGateway(gw);
        a = new RecordingPort("a");
        b = new RecordingPort("b");
        sw.attach(a);
        sw.attach(b);
        IngressFilter.Ipv6Owner owner = (h, l) -> (h == GW_LL.high() && l == GW_LL.low())
                || (h == GW_ULA.high() && l == GW_ULA.low());
        sw.setIngressFilter(new IngressFilter(ip -> ip == Ipv4Address.parse("192.168.104.2").bits(), null,
                ipv6 ? owner : null));
    }

    void send(Port from, byte[] frame) {
        ByteBuf buf = Unpooled.wrappedBuffer(frame);
        sw.forward(buf, 0, frame.length, from, 1_000);
    }

    static byte[] packet(MacAddress srcMac, long dstMac, Ipv6Address src, Ipv6Address dst, int hopLimit,
                         int nextHeader, byte[] payload) {
        ByteBuf out = Unpooled.buffer(54 + payload.length);
        int offset = new EthernetRepr(MacAddress.of(dstMac), srcMac, EtherType.IPV6).emit(out, 0);
        Ipv6Repr.writeHeader(out, offset, src.high(), src.low(), dst.high(), dst.low(), nextHeader, payload.length,
                hopLimit, 0, 0);
        out.setBytes(offset + 40, payload);
        out.writerIndex(54 + payload.length);
        byte[] bytes = new byte[out.readableBytes()];
        out.getBytes(0, bytes);
        return bytes;
    }

    static byte[] icmp(MacAddress srcMac, Ipv6Address src, Ipv6Address dst, int hopLimit, Icmpv6Repr icmp) {
        ByteBuf body = Unpooled.buffer(icmp.bufferLength());
        icmp.emit(body, 0, src, dst);
        byte[] payload = new byte[icmp.bufferLength()];
        body.getBytes(0, payload);
        long dstMac = dst.isMulticast() ? dst.multicastMac() : B_MAC.bits();
        return packet(srcMac, dstMac, src, dst, hopLimit, IpProtocol.ICMPV6_NUMBER, payload);
    }

    static byte[] routerAdvertisement() {
        return icmp(A_MAC, A_LL, Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.RouterAdvertisement(64, 0, 1800, 0, 0,
                NdpOptions.sourceLinkLayer(A_MAC)));
    }

    @Test
    void gatewayAddressesCannotBeClaimed() {
        build(true);
        send(a, icmp(A_MAC, GW_ULA, B_ULA, 64, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER)));
        send(a, icmp(A_MAC, GW_LL, Ipv6Address.ALL_NODES, 64, new Icmpv6Repr.EchoRequest(1, 1,
                Unpooled.EMPTY_BUFFER)));
        assertEquals(2, a.counters().drops(PortDropReason.GATEWAY_IP_SPOOFED));
        // The IPv6 ARP spoof: "the gateway's address is at my MAC".
        send(a, icmp(A_MAC, A_LL, Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.NeighborAdvertisement(false, false,
                true, GW_ULA, NdpOptions.targetLinkLayer(A_MAC))));
        assertEquals(1, a.counters().drops(PortDropReason.GATEWAY_NDP_SPOOFED));
        assertEquals(0, b.frames.size());
        assertEquals(0, atGateway.size());
    }

    @Test
    void routerAdvertisementsFromGuestsAreDroppedEvenBehindExtensionHeaders() {
        build(true);
        send(a, routerAdvertisement());
        // Behind a Destination Options header (RFC 7113 2: "IPv6 Extension Headers can be leveraged to evade").
        byte[] ra = routerAdvertisement();
        byte[] inner = java.util.Arrays.copyOfRange(ra, 54, ra.length);
        byte[] options = {58, 0, 1, 4, 0, 0, 0, 0};
        send(a, packet(A_MAC, Ipv6Address.ALL_NODES.multicastMac(), A_LL, Ipv6Address.ALL_NODES, 255,
                IpProtocol.IPV6_OPTS_NUMBER, concat(options, inner)));
        // Behind a fragment header, first fragment.
        byte[] fragment = {58, 0, 0, 1, 0, 0, 0, 7};
        send(a, packet(A_MAC, Ipv6Address.ALL_NODES.multicastMac(), A_LL, Ipv6Address.ALL_NODES, 255,
                IpProtocol.IPV6_FRAG_NUMBER, concat(fragment, java.util.Arrays.copyOf(inner, 16))));
        // Behind a chain too long to walk.
        byte[] chain = new byte[0];
        for (int i = 0; i < 9; i++) {
            chain = concat(chain, new byte[] {(byte) (i < 8 ? 60 : 58), 0, 1, 4, 0, 0, 0, 0});
        }
        send(a, packet(A_MAC, Ipv6Address.ALL_NODES.multicastMac(), A_LL, Ipv6Address.ALL_NODES, 255,
                IpProtocol.IPV6_OPTS_NUMBER, concat(chain, inner)));
        assertEquals(4, a.counters().drops(PortDropReason.ROUTER_ADVERTISEMENT_GUARD));
        assertEquals(0, b.frames.size());
        assertEquals(0, atGateway.size());
    }

    @Test
    void tcpAndUdpOfGuestsPassWhileGatewaySourcesAndHiddenAdvertisementsStillDrop() {
        build(true);
        byte[] segment = new byte[20];
        segment[12] = 0x50; // data offset 5
        send(a, packet(A_MAC, GW_MAC.bits(), A_ULA, Ipv6Address.parse("2001:db8::9"), 64, IpProtocol.TCP_NUMBER,
                segment));
        send(a, packet(A_MAC, GW_MAC.bits(), A_ULA, GW_ULA, 64, IpProtocol.UDP_NUMBER, new byte[8]));
        // From a link-local source with hop limit 255 TCP is walked as before (and passes).
        send(a, packet(A_MAC, GW_MAC.bits(), A_LL, GW_LL, 255, IpProtocol.TCP_NUMBER, segment));
        assertEquals(3, atGateway.size());
        // The checks before the shortcut still hold for TCP: nobody speaks for the gateway's address.
        send(a, packet(A_MAC, B_MAC.bits(), GW_ULA, B_ULA, 64, IpProtocol.TCP_NUMBER, segment));
        assertEquals(1, a.counters().drops(PortDropReason.GATEWAY_IP_SPOOFED));
        // A truncated link-local hop-limit-255 packet cannot be walked: dropped by the guard, as before.
        byte[] cut = packet(A_MAC, Ipv6Address.ALL_NODES.multicastMac(), A_LL, Ipv6Address.ALL_NODES, 255,
                IpProtocol.TCP_NUMBER, segment);
        send(a, java.util.Arrays.copyOf(cut, cut.length - 4));
        assertEquals(1, a.counters().drops(PortDropReason.ROUTER_ADVERTISEMENT_GUARD));
        assertEquals(0, b.frames.size());
    }

    @Test
    void neighborDiscoveryAndMulticastOfGuestsAreFloodedAsBefore() {
        build(true);
        // DAD, router solicitation, a solicitation for b, a's unsolicited advertisement, MLDv2 report, mDNS.
        send(a, icmp(A_MAC, Ipv6Address.UNSPECIFIED, A_ULA.solicitedNodeMulticast(), 255,
                new Icmpv6Repr.NeighborSolicitation(A_ULA, NdpOptions.NONE)));
        send(a, icmp(A_MAC, A_LL, Ipv6Address.ALL_ROUTERS, 255, new Icmpv6Repr.RouterSolicitation(
                NdpOptions.sourceLinkLayer(A_MAC))));
        send(a, icmp(A_MAC, A_ULA, B_ULA.solicitedNodeMulticast(), 255, new Icmpv6Repr.NeighborSolicitation(B_ULA,
                NdpOptions.sourceLinkLayer(A_MAC))));
        send(a, icmp(A_MAC, A_ULA, Ipv6Address.ALL_NODES, 255, new Icmpv6Repr.NeighborAdvertisement(false, false,
                true, A_ULA, NdpOptions.targetLinkLayer(A_MAC))));
        Ipv6Address mldv2 = Ipv6Address.parse("ff02::16");
        send(a, packet(A_MAC, mldv2.multicastMac(), A_LL, mldv2, 1, IpProtocol.HOPOPT_NUMBER,
                new byte[] {58, 0, 5, 2, 0, 0, 1, 0, (byte) 143, 0, 0, 0, 0, 0, 0, 0}));
        Ipv6Address mdns = Ipv6Address.parse("ff02::fb");
        send(a, packet(A_MAC, mdns.multicastMac(), A_LL, mdns, 255, IpProtocol.UDP_NUMBER, new byte[8]));
        assertEquals(6, b.frames.size(), "every one flooded to the other guest");
        assertEquals(6, atGateway.size(), "and to the gateway");
        assertEquals(0, a.counters().dropsTotal());
        // Unicast between guests follows the learned port.
        byte[] toA = icmp(B_MAC, B_ULA, A_ULA, 64, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER));
        System.arraycopy(new byte[] {0x52, 0x55, 0x55, 0, 0, 0x0a}, 0, toA, 0, 6);
        send(b, toA);
        assertEquals(1, a.frames.size());
    }

    @Test
    void withIpv6OffNothingIsChecked() {
        build(false);
        send(a, routerAdvertisement());
        send(a, icmp(A_MAC, GW_ULA, B_ULA, 64, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.EMPTY_BUFFER)));
        assertEquals(0, a.counters().dropsTotal());
        assertEquals(2, b.frames.size());
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
