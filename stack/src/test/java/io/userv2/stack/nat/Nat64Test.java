package io.userv2.stack.nat;

import static io.userv2.stack.nat.NatSim.S;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayCounters;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv6Config;
import io.userv2.stack.tcp.TcpCloseCause;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpState;
import io.userv2.stack.tcp.TrackingAllocator;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.Icmpv6Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.UdpPacket;
import io.userv2.stack.wire.UdpRepr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * NAT64 on a virtual clock: an IPv6 guest's TCP, UDP and ping to the NAT64 prefix leave through IPv4 host sockets
 * (in memory) to the embedded IPv4 address as the IPv4 policy translates it ({@code --nat 203.0.113.5=127.0.0.1}),
 * while the guest side stays IPv6 (MSS of the IPv6 header, replies from the address the guest used, ICMPv6 errors).
 */
class Nat64Test {
    private static final long SEED = 20261206L;
    private static final MacAddress GW_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    private static final Ipv4Address GW_IP = Ipv4Address.parse("192.168.104.2");
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("192.168.104.0/24");
    private static final Ipv6Prefix PREFIX = Ipv6Prefix.parse("fd6e:3b1c:2a00:1::/64");
    private static final Ipv6Address GW6 = PREFIX.host(2);
    private static final MacAddress VM_MAC = MacAddress.parse("52:55:55:12:34:56");
    private static final Ipv6Address VM6 = PREFIX.host(Ipv6Address.interfaceIdFromMac(VM_MAC.bits()));
    private static final Ipv4Address DOC = Ipv4Address.parse("203.0.113.5");
    private static final Ipv4Address LOOPBACK = Ipv4Address.parse("127.0.0.1");
    /** {@code 64:ff9b::203.0.113.5}. */
    private static final Ipv6Address DOC64 = Ipv6Address.parse("64:ff9b::cb00:7105");
    private static final int PORT = 7;

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final ArrayDeque<ByteBuf> sent = new ArrayDeque<>();
    private final FakeHost host = new FakeHost();
    private Gateway gateway;
    private NatEngine engine;
    private final long now = 1_000 * S;

    private void start(Nat64Prefix prefix, boolean outside) {
        gateway = new Gateway(GW_MAC, GW_IP, SUBNET, sent::add, alloc, new GatewayCounters(), new ArpCache());
        GatewayIpv6 v6 = gateway.enableIpv6(Ipv6Config.of(PREFIX, GW6, List.of()), new Random(7), now);
        NatPolicy v4 = new NatPolicy(SUBNET, GW_IP, Map.of(DOC, LOOPBACK), outside);
        engine = new NatEngine(gateway, v4, NatConfig.defaults(), alloc, host, mac -> 0, NatObserver.NONE,
                new byte[16]);
        gateway.setIpv4Forwarder(engine);
        Nat66Policy p = new Nat66Policy(PREFIX, Set.of(v6.address(), v6.linkLocal()), outside);
        engine.enableIpv6(v6, prefix == null ? p : p.withNat64(new Nat64Policy(prefix, v4)));
        host.engine = engine;
        drain();
    }

    @AfterEach
    void noLeaks() {
        if (engine != null) {
            engine.closeAll();
            drain();
            gateway.close();
            alloc.assertAllReleased();
        }
    }

    // ---- TCP (NatSim: real endpoints on both sides) ----------------------------------------------------------------

    @Test
    void aGuestSynToTheWellKnownPrefixDialsTheNatRuleTargetOverIpv4() {
        NatSim sim = new NatSim(NatSim.config(), SEED, new NatPolicy(NatSim.SUBNET, NatSim.GATEWAY,
                Map.of(DOC, LOOPBACK), false)).enableIpv6(Nat64Prefix.WELL_KNOWN);
        SimGuest g = sim.guest6(7, "52:55:55:00:00:07", "192.168.104.7");
        TcpConnection c = g.connect(DOC64, 8080);
        sim.runUntil(() -> c.state() == TcpState.ESTABLISHED, 5 * S, "handshake");
        FakeHost.Tcp h = sim.host.lastTcp();
        assertEquals(LOOPBACK, h.address, "64:ff9b::cb00:7105 is 203.0.113.5, which --nat maps to 127.0.0.1");
        assertEquals(8080, h.port);
        assertEquals(1440, c.sendMss(), "the guest side is IPv6: MSS = 1500 - 40 - 20 (no timestamps towards guests)");
        assertEquals(1, sim.engine.tcp().connections64Opened());
        assertEquals(1, sim.engine.tcp().connections6Opened());
        NatEngineTest.assertTransferIntact(sim, g, c);
    }

    @Test
    void nonGlobalAddressesUnderTheWellKnownPrefixAreResetAndNeverDialled() {
        NatSim sim = new NatSim(NatSim.config(), SEED, new NatPolicy(NatSim.SUBNET, NatSim.GATEWAY,
                Map.of(DOC, LOOPBACK), true)).enableIpv6(Nat64Prefix.WELL_KNOWN);
        SimGuest g = sim.guest6(7, "52:55:55:00:00:07", "192.168.104.7");
        for (String dst : List.of("64:ff9b::192.168.104.2", "64:ff9b::127.0.0.1", "64:ff9b::10.1.2.3")) {
            TcpConnection c = g.connect(Ipv6Address.parse(dst), 80);
            sim.runUntil(() -> c.state() == TcpState.CLOSED, 2 * S, "RST for " + dst);
            assertEquals(TcpCloseCause.RESET_BY_PEER, c.closeCause(), dst);
        }
        assertTrue(sim.host.tcp.isEmpty(), "nothing dialled");
        assertEquals(3, sim.engine.tcp().dropsPolicy());
        assertEquals(0, sim.engine.tcp().connections64Opened());
        sim.assertNoLeaks();
    }

    @Test
    void aNetworkSpecificPrefixReachesTheHostAliasAsIpv4Would() {
        NatSim sim = new NatSim(NatSim.config(), SEED).enableIpv6(Nat64Prefix.parse("2001:db8:64::/96"));
        SimGuest g = sim.guest6(7, "52:55:55:00:00:07", "192.168.104.7");
        TcpConnection c = g.connect(Ipv6Address.parse("2001:db8:64::192.168.104.2"), 22);
        sim.runUntil(() -> c.state() == TcpState.ESTABLISHED, 5 * S, "handshake");
        assertEquals(LOOPBACK, sim.host.lastTcp().address, "the host alias is the host's 127.0.0.1");
        sim.assertNoLeaks();
    }

    // ---- UDP and ping (frames by hand) -----------------------------------------------------------------------------

    @Test
    void udpToThePrefixGoesThroughAnIpv4SocketAndTheReplyComesFromTheNat64Address() {
        start(Nat64Prefix.WELL_KNOWN, false);
        guestUdp(DOC64, 53, "query");
        assertEquals(1, host.udp.size());
        FakeHost.Udp s = host.udp.get(0);
        assertEquals(LOOPBACK, s.address);
        assertEquals(53, s.port);
        assertEquals("query", new String(s.fromGuest.get(0), StandardCharsets.US_ASCII));
        host.deliver(now);
        ByteBuf out = sent.poll();
        assertNotNull(out, "the echo back to the guest");
        try {
            EthernetFrame eth = EthernetFrame.checked(out).orNull();
            Ipv6Packet ip = Ipv6Packet.checked(eth).orNull();
            assertNotNull(ip, "over IPv6");
            assertEquals(DOC64, ip.source());
            assertEquals(VM6, ip.destination());
            UdpPacket udp = UdpPacket.checked(out, ip.payloadOffset(), ip.payloadLength()).orNull();
            assertTrue(udp.verifyChecksumIpv6(ip.sourceHigh(), ip.sourceLow(), ip.destinationHigh(),
                    ip.destinationLow()));
            assertEquals(53, udp.srcPort());
            assertEquals(40000, udp.dstPort());
        } finally {
            out.release();
        }
        UdpNat.Counters c = engine.udp().counters64();
        assertEquals(1, c.flowsOpened());
        assertEquals(1, c.datagramsToHost());
        assertEquals(1, c.datagramsToGuest());
        assertEquals(0, engine.udp().counters6().flowsOpened(), "NAT66 counters apart");
        assertEquals(1, engine.udp().size64());
        assertEquals(1, engine.quotas().usage(PORT).udp(), "the same per-VM cap");
        engine.portClosed(PORT, now);
        assertTrue(s.closed, "owned by the guest's port");
        assertEquals(0, engine.udp().size64());
    }

    @Test
    void refusedUdpIsAnsweredNoRouteOverIcmpv6AndCounted() {
        start(Nat64Prefix.WELL_KNOWN, false);
        guestUdp(Ipv6Address.parse("64:ff9b::192.0.1.1"), 53, "outside"); // --no-outside (the fake host: nothing is sent)
        assertTrue(host.udp.isEmpty());
        assertEquals(1, engine.udp().counters64().dropsPolicy());
        assertEquals(0, engine.udp().counters6().dropsPolicy());
        ByteBuf out = sent.poll();
        assertNotNull(out);
        try {
            Ipv6Packet ip = Ipv6Packet.checked(EthernetFrame.checked(out).orNull()).orNull();
            Icmpv6Packet icmp = Icmpv6Packet.checked(ip).orNull();
            assertEquals(Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE, icmp.type());
            assertEquals(Icmpv6Packet.CODE_NO_ROUTE, icmp.code());
        } finally {
            out.release();
        }
    }

    @Test
    void withNat64OffThePrefixIsAnIpv6DestinationLikeAnyOther() {
        start(null, true);
        guestUdp(DOC64, 53, "q");
        // FakeHost has no openUdp6: the IPv6 socket cannot open, so it is counted as a NAT66 host error
        assertTrue(host.udp.isEmpty(), "no IPv4 socket");
        assertEquals(1, engine.udp().counters6().hostErrors());
        assertEquals(0, engine.udp().counters64().flowsOpened());
    }

    @Test
    void pingToThePrefixUsesAnIpv4PingSocketAndAnswersInIcmpv6() {
        start(Nat64Prefix.WELL_KNOWN, false);
        byte[] data = "u2t-ping64".getBytes(StandardCharsets.US_ASCII);
        ByteBuf f = icmpFrame(VM6, DOC64, new Icmpv6Repr.EchoRequest(0x4242, 3, Unpooled.wrappedBuffer(data)));
        receive(f);
        assertEquals(1, host.ping.size());
        FakeHost.Ping socket = host.ping.get(0);
        assertEquals(LOOPBACK, socket.address);
        assertEquals(Icmpv4Packet.TYPE_ECHO_REQUEST, socket.sent.get(0)[0] & 0xFF, "RFC 7915: type 128 becomes 8");
        host.deliver(now);
        ByteBuf out = sent.poll();
        assertNotNull(out);
        try {
            Ipv6Packet ip = Ipv6Packet.checked(EthernetFrame.checked(out).orNull()).orNull();
            Icmpv6Packet icmp = Icmpv6Packet.checked(ip).orNull();
            assertTrue(icmp.verifyChecksum(ip));
            assertEquals(Icmpv6Packet.TYPE_ECHO_REPLY, icmp.type());
            assertEquals(DOC64, ip.source(), "from the address the guest pinged");
            assertEquals(0x4242, icmp.echoIdentifier(), "the guest's identifier");
            assertEquals(3, icmp.echoSequence());
            byte[] got = new byte[icmp.length() - 8];
            out.getBytes(icmp.offset() + 8, got);
            assertArrayEquals(data, got);
        } finally {
            out.release();
        }
        IcmpEchoNat.Counters c = engine.icmp().counters64();
        assertEquals(1, c.requestsToHost());
        assertEquals(1, c.repliesToGuest());
        assertEquals(0, engine.icmp().counters6().requestsToHost());
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private void guestUdp(Ipv6Address dst, int dstPort, String text) {
        byte[] data = text.getBytes(StandardCharsets.US_ASCII);
        UdpRepr udp = new UdpRepr(40000, dstPort, data.length);
        ByteBuf out = Unpooled.buffer(14 + 40 + udp.totalLength());
        int offset = new EthernetRepr(GW_MAC, VM_MAC, EtherType.IPV6).emit(out, 0);
        Ipv6Repr.writeHeader(out, offset, VM6.high(), VM6.low(), dst.high(), dst.low(), IpProtocol.UDP_NUMBER,
                udp.totalLength(), 64, 0, 0);
        out.setBytes(offset + 40 + 8, data);
        udp.emit(out, offset + 40, VM6, dst);
        out.writerIndex(14 + 40 + udp.totalLength());
        receive(out);
    }

    private static ByteBuf icmpFrame(Ipv6Address src, Ipv6Address dst, Icmpv6Repr icmp) {
        Ipv6Repr ip = new Ipv6Repr(src, dst, IpProtocol.ICMPV6, icmp.bufferLength(), 64);
        ByteBuf out = Unpooled.buffer(14 + ip.totalLength());
        int offset = new EthernetRepr(GW_MAC, VM_MAC, EtherType.IPV6).emit(out, 0);
        offset += ip.emit(out, offset);
        icmp.emit(out, offset, src, dst);
        out.writerIndex(14 + ip.totalLength());
        return out;
    }

    private void receive(ByteBuf frame) {
        try {
            gateway.receive(frame, frame.readerIndex(), frame.readableBytes(), PORT, now);
        } finally {
            frame.release();
        }
    }

    private void drain() {
        ByteBuf b;
        while ((b = sent.poll()) != null) {
            b.release();
        }
    }
}
