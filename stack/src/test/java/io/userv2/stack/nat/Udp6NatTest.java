package io.userv2.stack.nat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayCounters;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv6Config;
import io.userv2.stack.tcp.TrackingAllocator;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpOptions;
import io.userv2.stack.wire.TcpPacket;
import io.userv2.stack.wire.TcpRepr;
import io.userv2.stack.wire.UdpPacket;
import io.userv2.stack.wire.UdpRepr;
import java.io.IOException;
import java.net.PortUnreachableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * UDP NAT66 on a virtual clock: the real {@link Gateway} with IPv6 on and the real {@link NatEngine}, guest frames
 * written by hand, host sockets in memory.
 */
class Udp6NatTest {
    private static final long S = 1_000_000_000L;
    private static final MacAddress GW_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    private static final Ipv4Address GW_IP = Ipv4Address.parse("192.168.104.2");
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("192.168.104.0/24");
    private static final Ipv6Prefix PREFIX = Ipv6Prefix.parse("fd6e:3b1c:2a00:1::/64");
    private static final Ipv6Address GW6 = PREFIX.host(2);
    private static final MacAddress VM_MAC = MacAddress.parse("52:55:55:12:34:56");
    private static final MacAddress VM2_MAC = MacAddress.parse("52:55:55:ab:cd:ef");
    private static final Ipv6Address VM6 = PREFIX.host(Ipv6Address.interfaceIdFromMac(VM_MAC.bits()));
    private static final Ipv6Address VM2_6 = PREFIX.host(Ipv6Address.interfaceIdFromMac(VM2_MAC.bits()));
    private static final Ipv4Address VM_IP = Ipv4Address.parse("192.168.104.5");
    private static final Ipv4Address REMOTE4 = Ipv4Address.parse("203.0.113.10");
    private static final Ipv6Address REMOTE6 = Ipv6Address.parse("2001:db8::80");
    private static final int PORT = 7;
    private static final int PORT2 = 8;

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final ArrayDeque<ByteBuf> sent = new ArrayDeque<>();
    private final Host host = new Host();
    private Gateway gateway;
    private GatewayIpv6 v6;
    private NatEngine engine;
    private long now = 1_000 * S;

    private void start(NatConfig config, boolean outside) {
        gateway = new Gateway(GW_MAC, GW_IP, SUBNET, sent::add, alloc, new GatewayCounters(), new ArpCache());
        v6 = gateway.enableIpv6(Ipv6Config.of(PREFIX, GW6, List.of()), new Random(7), now);
        engine = new NatEngine(gateway, new NatPolicy(SUBNET, GW_IP, Map.of(REMOTE4, Ipv4Address.parse("127.0.0.1")),
                false), config, alloc, host, mac -> 0, NatObserver.NONE, new byte[16]);
        gateway.setIpv4Forwarder(engine);
        engine.enableIpv6(v6, new Nat66Policy(PREFIX, Set.of(v6.address(), v6.linkLocal()), outside));
        host.engine = engine;
        drain();
    }

    private void start() {
        start(NatConfig.defaults(), true);
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

    // ---- tests --------------------------------------------------------------------------------------------------

    @Test
    void theGatewayAddressReachesTheHostLoopbackAndTheEchoComesBackFromIt() {
        start();
        guestUdp(PORT, VM_MAC, VM6, 5353, GW6, 9, "ping");
        assertEquals(1, host.udp.size());
        Host.Udp s = host.udp.get(0);
        assertEquals(Ipv6Address.LOOPBACK, s.address);
        assertEquals(9, s.port);
        assertEquals("ping", new String(s.fromGuest.get(0), StandardCharsets.US_ASCII));
        assertEquals(1, engine.quotas().usage(PORT).udp());
        host.deliver(now);
        Reply r = onlyUdp();
        assertEquals(VM_MAC.bits(), r.dstMac);
        assertEquals(GW6, r.src);
        assertEquals(9, r.srcPort);
        assertEquals(VM6, r.dst);
        assertEquals(5353, r.dstPort);
        assertEquals("ping", r.text());
        assertEquals(1, engine.udp().counters6().datagramsToGuest());

        guestUdp(PORT, VM_MAC, VM6, 5353, GW6, 9, "again");
        assertEquals(1, host.udp.size(), "the same flow takes the second datagram");
        assertEquals(2, s.fromGuest.size());
    }

    @Test
    void theLinkLocalGatewayAddressIsTheHostAliasToo() {
        start();
        Ipv6Address vmLl = Ipv6Address.linkLocalFromMac(VM_MAC.bits());
        guestUdp(PORT, VM_MAC, vmLl, 5353, v6.linkLocal(), 9, "ll");
        assertEquals(Ipv6Address.LOOPBACK, host.udp.get(0).address);
        host.deliver(now);
        Reply r = onlyUdp();
        assertEquals(v6.linkLocal(), r.src);
        assertEquals(vmLl, r.dst);
    }

    @Test
    void otherDestinationsAreReachedAsThemselvesAndLargeRepliesAreFragmented() {
        start();
        guestUdp(PORT, VM_MAC, VM6, 40000, REMOTE6, 53, "q");
        Host.Udp s = host.udp.get(0);
        assertEquals(REMOTE6, s.address);
        assertEquals(53, s.port);
        byte[] big = new byte[4000];
        new Random(1).nextBytes(big);
        s.echo = false;
        s.toGuest.add(big);
        host.deliver(now);
        assertTrue(sent.size() >= 4, "a 4000-byte reply in fragments of at most 1500: " + sent.size());
        for (ByteBuf f : sent) {
            assertTrue(f.readableBytes() <= 14 + 1500);
        }
        drain();
    }

    @Test
    void noOutsideLeavesOnlyTheHostAliasAndTheGatewaySaysNoRoute() {
        start(NatConfig.defaults(), false);
        guestUdp(PORT, VM_MAC, VM6, 40000, REMOTE6, 53, "q");
        assertTrue(host.udp.isEmpty());
        assertEquals(1, engine.udp().counters6().dropsPolicy());
        Icmp e = onlyIcmp();
        assertEquals(Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE, e.type);
        assertEquals(Icmpv6Packet.CODE_NO_ROUTE, e.code);
        guestUdp(PORT, VM_MAC, VM6, 40000, GW6, 53000, "alias");
        assertEquals(1, host.udp.size(), "the alias still works");
    }

    @Test
    void aClosedHostPortComesBackAsIcmpv6PortUnreachableFromTheDestination() {
        start();
        host.closedPorts.add(9);
        guestUdp(PORT, VM_MAC, VM6, 5353, GW6, 9, "anyone?");
        host.deliver(now);
        Icmp e = onlyIcmp();
        assertEquals(VM_MAC.bits(), e.dstMac);
        assertEquals(Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE, e.type);
        assertEquals(Icmpv6Packet.CODE_PORT_UNREACHABLE, e.code);
        assertEquals(GW6, e.src, "from the address the guest sent to");
        assertEquals(VM6, e.dst);
        // The quote: the guest's IPv6 header and UDP ports, which its stack matches the error on.
        ByteBuf q = Unpooled.wrappedBuffer(e.body, 8, e.body.length - 8);
        assertEquals(6, q.getUnsignedByte(0) >>> 4);
        assertEquals(IpProtocol.UDP_NUMBER, q.getUnsignedByte(Ipv6Packet.NEXT_HEADER));
        assertEquals(VM6, Ipv6Address.read(q, Ipv6Packet.SOURCE));
        assertEquals(GW6, Ipv6Address.read(q, Ipv6Packet.DESTINATION));
        assertEquals(5353, q.getUnsignedShort(40));
        assertEquals(9, q.getUnsignedShort(42));
        assertEquals(8 + 7, q.getUnsignedShort(44));
        assertEquals(1, engine.udp().counters6().portUnreachable());
        assertEquals(1, engine.icmpErrorsSent());
    }

    @Test
    void anUnreachableHostOrNetworkIsToldToTheGuestFromTheGateway() {
        start();
        guestUdp(PORT, VM_MAC, VM6, 5353, REMOTE6, 9, "first");
        Host.Udp s = host.udp.get(0);
        s.toGuest.clear();
        s.unreachable = true;
        s.unreachableCode = HostUdpSocket.HOST_UNREACHABLE;
        host.deliver(now);
        Icmp e = onlyIcmp();
        assertEquals(Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE, e.type);
        assertEquals(Icmpv6Packet.CODE_ADDRESS_UNREACHABLE, e.code);
        assertEquals(GW6, e.src, "from the gateway, as a router on the path would send it");
        ByteBuf q = Unpooled.wrappedBuffer(e.body, 8, e.body.length - 8);
        assertEquals(REMOTE6, Ipv6Address.read(q, Ipv6Packet.DESTINATION), "the quote names the destination");
        assertEquals(9, q.getUnsignedShort(42));
        assertEquals(1, engine.udp().counters6().hostUnreachable());
        assertEquals(0, engine.udp().counters6().portUnreachable());

        s.unreachable = true;
        s.unreachableCode = HostUdpSocket.NET_UNREACHABLE;
        host.deliver(now);
        assertEquals(Icmpv6Packet.CODE_NO_ROUTE, onlyIcmp().code);
        assertEquals(2, engine.udp().counters6().hostUnreachable());
    }

    @Test
    void aPortUnreachableReportedOnSendIsAnsweredToo() {
        start();
        host.refuseOnSend = true;
        guestUdp(PORT, VM_MAC, VM6, 5353, REMOTE6, 9, "x");
        Icmp e = onlyIcmp();
        assertEquals(Icmpv6Packet.CODE_PORT_UNREACHABLE, e.code);
        assertEquals(REMOTE6, e.src);
    }

    @Test
    void flowsIdleForTheTimeoutAreClosedAndTheirQuotaGivenBack() {
        start(NatConfig.defaults().withUdp(60 * S, 100, 100), true);
        guestUdp(PORT, VM_MAC, VM6, 5353, GW6, 9, "a");
        host.deliver(now);
        drain();
        Host.Udp s = host.udp.get(0);
        assertEquals(now + 60 * S, engine.pollAt());
        now += 59 * S;
        guestUdp(PORT, VM_MAC, VM6, 5353, GW6, 9, "b"); // traffic keeps it open
        now += 30 * S;
        engine.poll(now);
        assertFalse(s.closed, "active 30 s ago");
        now += 31 * S;
        engine.poll(now);
        assertTrue(s.closed);
        assertEquals(0, engine.udp().size6());
        assertEquals(0, engine.quotas().usage(PORT).udp());
        assertEquals(Long.MAX_VALUE, engine.pollAt());
    }

    @Test
    void aClosingPortEndsItsFlowsOnly() {
        start();
        guestUdp(PORT, VM_MAC, VM6, 5353, GW6, 9, "a");
        guestUdp(PORT2, VM2_MAC, VM2_6, 5353, GW6, 9, "b");
        assertEquals(2, engine.udp().size6());
        assertEquals(1, engine.portClosed(PORT, now));
        assertTrue(host.udp.get(0).closed);
        assertFalse(host.udp.get(1).closed);
        assertEquals(1, engine.udp().size6());
        assertNull(engine.quotas().usage(PORT));
        host.deliver(now); // the closed flow's socket says nothing more
        assertEquals(VM2_MAC.bits(), onlyUdp().dstMac);
    }

    @Test
    void ipv6AndIpv4FlowsShareTheUdpCapOfAPort() {
        start(NatConfig.defaults().withUdp(60 * S, 100, 2), true);
        guestUdp4(PORT, 6000, "v4");
        guestUdp(PORT, VM_MAC, VM6, 6001, GW6, 9, "v6");
        guestUdp(PORT, VM_MAC, VM6, 6002, GW6, 9, "refused");
        assertEquals(2, host.udp.size() + host.udp4);
        assertEquals(2, engine.quotas().usage(PORT).udp());
        assertEquals(1, engine.udp().counters6().drops());
        guestUdp(PORT2, VM2_MAC, VM2_6, 6002, GW6, 9, "other port");
        assertEquals(1, engine.quotas().usage(PORT2).udp(), "another port is not affected");
    }

    @Test
    void ipv6AndIpv4FlowsShareTheTotal() {
        start(NatConfig.defaults().withUdp(60 * S, 2, 100), true);
        guestUdp(PORT, VM_MAC, VM6, 6001, GW6, 9, "v6");
        guestUdp(PORT2, VM2_MAC, VM2_6, 6001, GW6, 9, "v6");
        guestUdp4(PORT, 6000, "v4 refused");
        assertEquals(0, host.udp4);
        assertEquals(1, engine.udp().counters().drops());
        engine.portClosed(PORT2, now);
        guestUdp4(PORT, 6000, "v4 now");
        assertEquals(1, host.udp4);
        guestUdp(PORT2, VM2_MAC, VM2_6, 6002, GW6, 9, "v6 refused");
        assertEquals(1, engine.udp().size6());
    }

    @Test
    void badChecksumsAreDroppedWithoutAFlow() {
        start();
        ByteBuf f = udpFrame(VM_MAC, VM6, 5353, REMOTE6, 9, "x".getBytes(StandardCharsets.US_ASCII));
        int udpAt = 14 + 40;
        f.setShort(udpAt + 6, f.getUnsignedShort(udpAt + 6) ^ 0x0101);
        receive(f, PORT);
        assertTrue(host.udp.isEmpty());
        assertEquals(1, engine.udp().counters6().drops());
        assertTrue(sent.isEmpty(), "no answer to a corrupt datagram");
    }

    @Test
    void aHostSocketThatCannotOpenDropsTheDatagramAndGivesTheQuotaBack() {
        start();
        host.failOpen = true;
        guestUdp(PORT, VM_MAC, VM6, 5353, GW6, 9, "x");
        assertEquals(0, engine.udp().size6());
        assertEquals(1, engine.udp().counters6().hostErrors());
        assertEquals(0, engine.quotas().usage(PORT).udp());
    }

    @Test
    void tcpOverIpv6IsRefusedWhereTheHostHasNoIpv6Sockets() {
        start();
        TcpRepr syn = new TcpRepr(40000, 22, TcpControl.SYN, SeqNumber.of(100), null, 64240, TcpOptions.NONE, 0);
        ByteBuf body = Unpooled.buffer(syn.totalLength());
        syn.emit(body, 0, VM6, GW6);
        body.writerIndex(syn.totalLength());
        byte[] b = new byte[body.readableBytes()];
        body.readBytes(b);
        receive(frame(VM_MAC, VM6, GW6, IpProtocol.TCP_NUMBER, b), PORT);
        engine.flush(now); // the dial could not start (this host has no dialTcp6): RST to the SYN
        assertEquals(0, engine.tcp().faults(), "faults");
        assertEquals(1, engine.tcp().dialFailures(), "dial failures");
        ByteBuf out = sent.poll();
        assertNotNull(out, "a reset");
        try {
            EthernetFrame eth = EthernetFrame.checked(out).orNull();
            Ipv6Packet ip = Ipv6Packet.checked(eth).orNull();
            assertEquals(IpProtocol.TCP_NUMBER, ip.protocolNumber());
            TcpPacket tcp = TcpPacket.checked(out, ip.payloadOffset(), ip.payloadLength()).orNull();
            assertTrue(tcp.rst());
            assertEquals(GW6, ip.source());
        } finally {
            out.release();
        }
        assertTrue(host.udp.isEmpty());
    }

    @Test
    void policyNeverDialsTheHostsOwnOrTheLansAddresses() {
        Nat66Policy p = new Nat66Policy(PREFIX, Set.of(GW6), true);
        assertEquals(Ipv6Address.LOOPBACK, p.translate(GW6));
        assertEquals(REMOTE6, p.translate(REMOTE6));
        for (String a : List.of("::1", "::", "::ffff:127.0.0.1", "::127.0.0.1", "fe80::1", "ff02::1", "ff0e::1",
                PREFIX.host(77).toString())) {
            assertNull(p.translate(Ipv6Address.parse(a)), a);
        }
        Nat66Policy local = new Nat66Policy(PREFIX, Set.of(GW6), false);
        assertEquals(Ipv6Address.LOOPBACK, local.translate(GW6));
        assertNull(local.translate(REMOTE6));
        assertEquals(Ipv6Address.parse("fd00:1::5"), p.translate(Ipv6Address.parse("fd00:1::5")),
                "another ULA prefix is outside");
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private void guestUdp(int port, MacAddress mac, Ipv6Address src, int srcPort, Ipv6Address dst, int dstPort,
            String text) {
        receive(udpFrame(mac, src, srcPort, dst, dstPort, text.getBytes(StandardCharsets.US_ASCII)), port);
    }

    private void guestUdp4(int port, int srcPort, String text) {
        byte[] data = text.getBytes(StandardCharsets.US_ASCII);
        UdpRepr udp = new UdpRepr(srcPort, 9, data.length);
        Ipv4Repr ip = new Ipv4Repr(VM_IP, REMOTE4, IpProtocol.UDP, udp.totalLength(), 64);
        ByteBuf out = Unpooled.buffer(14 + ip.totalLength());
        int offset = new EthernetRepr(GW_MAC, VM_MAC, EtherType.IPV4).emit(out, 0);
        offset += ip.emit(out, offset);
        out.setBytes(offset + 8, data);
        udp.emit(out, offset, VM_IP.bits(), REMOTE4.bits());
        out.writerIndex(14 + ip.totalLength());
        receive(out, port);
    }

    private static ByteBuf udpFrame(MacAddress mac, Ipv6Address src, int srcPort, Ipv6Address dst, int dstPort,
            byte[] data) {
        UdpRepr udp = new UdpRepr(srcPort, dstPort, data.length);
        ByteBuf body = Unpooled.buffer(udp.totalLength());
        body.setBytes(8, data);
        udp.emit(body, 0, src, dst);
        body.writerIndex(udp.totalLength());
        byte[] b = new byte[udp.totalLength()];
        body.readBytes(b);
        return frame(mac, src, dst, IpProtocol.UDP_NUMBER, b);
    }

    private static ByteBuf frame(MacAddress mac, Ipv6Address src, Ipv6Address dst, int nextHeader, byte[] payload) {
        ByteBuf out = Unpooled.buffer(14 + 40 + payload.length);
        int offset = new EthernetRepr(GW_MAC, mac, EtherType.IPV6).emit(out, 0);
        Ipv6Repr.writeHeader(out, offset, src.high(), src.low(), dst.high(), dst.low(), nextHeader, payload.length,
                64, 0, 0);
        out.setBytes(offset + 40, payload);
        out.writerIndex(14 + 40 + payload.length);
        return out;
    }

    private void receive(ByteBuf frame, int port) {
        try {
            gateway.receive(frame, frame.readerIndex(), frame.readableBytes(), port, now);
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

    private record Reply(long dstMac, Ipv6Address src, int srcPort, Ipv6Address dst, int dstPort, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.US_ASCII);
        }
    }

    private record Icmp(long dstMac, Ipv6Address src, Ipv6Address dst, int type, int code, byte[] body) {
    }

    /** The one frame the gateway sent, a UDP datagram with a correct checksum. */
    private Reply onlyUdp() {
        assertEquals(1, sent.size(), "one frame");
        ByteBuf out = sent.poll();
        try {
            EthernetFrame eth = EthernetFrame.checked(out).orNull();
            Ipv6Packet ip = Ipv6Packet.checked(eth).orNull();
            assertNotNull(ip);
            assertEquals(IpProtocol.UDP_NUMBER, ip.protocolNumber());
            UdpPacket udp = UdpPacket.checked(out, ip.payloadOffset(), ip.payloadLength()).orNull();
            assertTrue(udp.verifyChecksumIpv6(ip.sourceHigh(), ip.sourceLow(), ip.destinationHigh(),
                    ip.destinationLow()), "UDP checksum");
            byte[] data = new byte[udp.payload().readableBytes()];
            udp.payload().getBytes(udp.payload().readerIndex(), data);
            return new Reply(eth.destination(), ip.source(), udp.srcPort(), ip.destination(), udp.dstPort(), data);
        } finally {
            out.release();
        }
    }

    /** The one frame the gateway sent, an ICMPv6 message with a correct checksum. */
    private Icmp onlyIcmp() {
        assertEquals(1, sent.size(), "one frame");
        ByteBuf out = sent.poll();
        try {
            EthernetFrame eth = EthernetFrame.checked(out).orNull();
            Ipv6Packet ip = Ipv6Packet.checked(eth).orNull();
            assertNotNull(ip);
            assertEquals(IpProtocol.ICMPV6_NUMBER, ip.protocolNumber());
            Icmpv6Packet icmp = Icmpv6Packet.checked(ip).orNull();
            assertTrue(icmp.verifyChecksum(ip), "ICMPv6 checksum");
            byte[] body = new byte[ip.payloadLength()];
            out.getBytes(ip.payloadOffset(), body);
            return new Icmp(eth.destination(), ip.source(), ip.destination(), icmp.type(), icmp.code(), body);
        } finally {
            out.release();
        }
    }

    /** Host sockets in memory: IPv6 UDP sockets that echo (or report their port closed); IPv4 ones only counted. */
    private static final class Host implements HostSockets {
        final List<Udp> udp = new ArrayList<>();
        final Set<Integer> closedPorts = new HashSet<>();
        int udp4;
        boolean failOpen;
        boolean refuseOnSend;
        NatEngine engine;

        @Override
        public HostTcpSocket dialTcp(NatTcpFlow flow, Ipv4Address address, int port) throws IOException {
            throw new IOException("no TCP here");
        }

        @Override
        public HostUdpSocket openUdp(NatUdpFlow flow, Ipv4Address address, int port) {
            udp4++;
            return new HostUdpSocket() {
                @Override
                public boolean send(ByteBuf payload) {
                    return true;
                }

                @Override
                public int receive(ByteBuf dst) {
                    return NONE;
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public HostUdpSocket openUdp6(NatUdpFlow flow, Ipv6Address address, int port) throws IOException {
            if (failOpen) {
                throw new IOException("Too many open files");
            }
            Udp s = new Udp(flow, address, port);
            udp.add(s);
            return s;
        }

        void deliver(long now) {
            for (Udp s : List.copyOf(udp)) {
                if (!s.closed && (!s.toGuest.isEmpty() || s.unreachable)) {
                    engine.hostReadable(s.flow, now);
                }
            }
        }

        final class Udp implements HostUdpSocket {
            final NatUdpFlow flow;
            final Ipv6Address address;
            final int port;
            final List<byte[]> fromGuest = new ArrayList<>();
            final ArrayDeque<byte[]> toGuest = new ArrayDeque<>();
            boolean echo = true;
            boolean unreachable;
            int unreachableCode = PORT_UNREACHABLE;
            boolean closed;

            Udp(NatUdpFlow flow, Ipv6Address address, int port) {
                this.flow = flow;
                this.address = address;
                this.port = port;
            }

            @Override
            public boolean send(ByteBuf payload) throws IOException {
                if (refuseOnSend) {
                    throw new PortUnreachableException();
                }
                if (closedPorts.contains(port)) {
                    unreachable = true;
                    return true;
                }
                byte[] b = new byte[payload.readableBytes()];
                payload.getBytes(payload.readerIndex(), b);
                fromGuest.add(b);
                if (echo) {
                    toGuest.add(b);
                }
                return true;
            }

            @Override
            public int receive(ByteBuf dst) {
                if (unreachable) {
                    unreachable = false;
                    return unreachableCode;
                }
                byte[] b = toGuest.poll();
                if (b == null) {
                    return NONE;
                }
                dst.writeBytes(b);
                return b.length;
            }

            @Override
            public void close() {
                closed = true;
            }
        }
    }

    @Test
    void datagramsFromSourcesOffTheLanOpenNoFlow() {
        start();
        long before = 0;
        for (Ipv6Address spoofed : List.of(Ipv6Address.parse("2001:db8::bad"), Ipv6Address.parse("::ffff:192.168.104.5"),
                Ipv6Address.parse("::"), Ipv6Address.parse("fe80:0:0:1::5"))) {
            guestUdp(PORT, VM_MAC, spoofed, 5353, GW6, 9, "spoofed");
            assertTrue(host.udp.isEmpty(), "no host socket for " + spoofed);
            assertEquals(++before, engine.udp().counters6().dropsSource(), spoofed + " counted");
        }
        assertEquals(4, engine.sourceRefused6());
        guestUdp(PORT, VM_MAC, Ipv6Address.linkLocalFromMac(VM_MAC.bits()), 5353, GW6, 9, "link-local");
        assertEquals(1, host.udp.size(), "a link-local guest is relayed");
    }
}
