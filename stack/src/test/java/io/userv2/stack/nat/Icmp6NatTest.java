package io.userv2.stack.nat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.gateway.ArpCache;
import io.userv2.stack.gateway.DropReason;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayCounters;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.gateway.Ipv6Config;
import io.userv2.stack.tcp.TrackingAllocator;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.EthernetRepr;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ICMPv6 echo through NAT66 on a virtual clock: the real {@link Gateway} with IPv6 on and the real {@link NatEngine},
 * guest frames written by hand, ping sockets in memory ({@link FakeHost.Ping}: the "kernel" puts in an identifier of
 * its own). The guest's identifier, sequence and data come back from the address it pinged; the gateway answers its
 * own addresses itself; what the policy refuses gets "no route", refused ping sockets "administratively prohibited";
 * fragmented requests are reassembled and large replies fragmented to the MTU.
 */
class Icmp6NatTest {
    private static final long S = 1_000_000_000L;
    private static final MacAddress GW_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    private static final Ipv4Address GW_IP = Ipv4Address.parse("192.168.104.2");
    private static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("192.168.104.0/24");
    private static final Ipv6Prefix PREFIX = Ipv6Prefix.parse("fd6e:3b1c:2a00:1::/64");
    private static final Ipv6Address GW6 = PREFIX.host(2);
    private static final MacAddress VM_MAC = MacAddress.parse("52:55:55:12:34:56");
    private static final Ipv6Address VM6 = PREFIX.host(Ipv6Address.interfaceIdFromMac(VM_MAC.bits()));
    /** A documentation address a --nat rule maps to ::1. */
    private static final Ipv6Address NAT_TARGET = Ipv6Address.parse("2001:db8::10");
    private static final Ipv6Address OUTSIDE = Ipv6Address.parse("2001:db8::80");
    private static final int PORT = 7;

    private final TrackingAllocator alloc = new TrackingAllocator();
    private final ArrayDeque<ByteBuf> sent = new ArrayDeque<>();
    private final FakeHost host = new FakeHost();
    private Gateway gateway;
    private GatewayIpv6 v6;
    private NatEngine engine;
    private long now = 1_000 * S;

    private void start(boolean outside) {
        gateway = new Gateway(GW_MAC, GW_IP, SUBNET, sent::add, alloc, new GatewayCounters(), new ArpCache());
        v6 = gateway.enableIpv6(Ipv6Config.of(PREFIX, GW6, List.of()), new Random(7), now);
        engine = new NatEngine(gateway, new NatPolicy(SUBNET, GW_IP, Map.of(), false), NatConfig.defaults(), alloc,
                host, mac -> 0, NatObserver.NONE, new byte[16]);
        gateway.setIpv4Forwarder(engine);
        engine.enableIpv6(v6, new Nat66Policy(PREFIX, Set.of(v6.address(), v6.linkLocal()),
                Map.of(NAT_TARGET, Ipv6Address.LOOPBACK), outside));
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

    @Test
    void aNatRuleTargetAnswersThroughAnIcmpv6PingSocketWithTheGuestsIdentifier() {
        start(false);
        byte[] data = "u2t-ping6-payload".getBytes();
        ping(NAT_TARGET, 0x1234, 1, data);
        assertEquals(1, host.ping.size(), "one ping socket");
        FakeHost.Ping socket = host.ping.get(0);
        assertEquals(Ipv6Address.LOOPBACK, socket.address, "--nat 2001:db8::10=::1 pings the host's ::1");
        assertTrue(socket.v6);
        assertEquals(Icmpv6Packet.TYPE_ECHO_REQUEST, socket.sent.get(0)[0] & 0xFF);
        host.deliver(now);
        Echo r = onlyEcho();
        assertEquals(VM_MAC.bits(), r.dstMac);
        assertEquals(NAT_TARGET, r.src, "the reply comes from the address the guest pinged (RFC 4443 4.2)");
        assertEquals(VM6, r.dst);
        assertEquals(Icmpv6Packet.TYPE_ECHO_REPLY, r.type);
        assertEquals(0x1234, r.identifier, "the guest's identifier, not the socket's");
        assertEquals(1, r.sequence);
        assertArrayEquals(data, r.data);

        ping(NAT_TARGET, 0x1234, 2, data);
        assertEquals(1, host.ping.size(), "the same flow takes the next request");
        host.deliver(now);
        assertEquals(2, onlyEcho().sequence);
        IcmpEchoNat.Counters c = engine.icmp().counters6();
        assertEquals(2, c.requestsToHost());
        assertEquals(2, c.repliesToGuest());
        assertEquals(1, c.flowsOpened());
        assertEquals(1, engine.icmp().size6());
        assertEquals(0, engine.icmp().counters().requestsToHost(), "the IPv4 counters are apart");
        assertEquals(1, engine.quotas().usage(PORT).icmpEcho());
    }

    @Test
    void theGatewaysOwnAddressesAreAnsweredByTheGatewayNotAPingSocket() {
        start(true);
        ping(GW6, 7, 1, new byte[8]);
        ping(v6.linkLocal(), 7, 2, new byte[8], Ipv6Address.linkLocalFromMac(VM_MAC.bits()));
        assertTrue(host.ping.isEmpty(), "no ping socket for the gateway's own addresses");
        assertEquals(2, gateway.counters().echo6RepliesSent());
        assertEquals(0, host.pingOpenAttempts);
        drain();
    }

    @Test
    void outsideDestinationsArePingedAsThemselves() {
        start(true);
        ping(OUTSIDE, 9, 1, new byte[4]);
        assertEquals(OUTSIDE, host.ping.get(0).address);
        host.deliver(now);
        assertEquals(OUTSIDE, onlyEcho().src);
    }

    @Test
    void withNoOutsideOtherDestinationsGetNoRoute() {
        start(false);
        ping(OUTSIDE, 9, 1, new byte[4]);
        assertTrue(host.ping.isEmpty(), "--no-outside: never dialled");
        Error e = onlyError();
        assertEquals(Icmpv6Packet.CODE_NO_ROUTE, e.code, "left to the gateway, as UDP and TCP over IPv6");
        assertEquals(1, engine.icmp().counters6().dropsPolicy());
    }

    @Test
    void refusedPingSocketsAreAdministrativelyProhibitedAndTriedAgainAfterASecond() {
        start(false);
        host.ping6Unavailable = true;
        ping(NAT_TARGET, 5, 1, new byte[4]);
        Error e = onlyError();
        assertEquals(Icmpv6Packet.CODE_ADMIN_PROHIBITED, e.code);
        assertEquals(GW6, e.src, "from the gateway, as a router whose filter refuses it");
        assertEquals(VM6, e.dst);
        now += S / 2;
        ping(NAT_TARGET, 5, 2, new byte[4]);
        assertEquals(1, host.pingOpenAttempts, "no socket tried again within a second");
        assertEquals(Icmpv6Packet.CODE_ADMIN_PROHIBITED, onlyError().code);
        assertEquals(2, engine.icmp().counters6().dropsUnavailable());
        // IPv4 ping sockets are not held back by IPv6's.
        host.ping6Unavailable = false;
        now += S;
        ping(NAT_TARGET, 5, 3, new byte[4]);
        assertEquals(1, host.ping.size(), "after the retry interval the socket opens");
        host.deliver(now);
        assertEquals(3, onlyEcho().sequence);
    }

    @Test
    void otherIcmpv6AndBadMessagesAreDroppedAndCounted() {
        start(true);
        // An echo reply to the outside, and a request with a bad checksum.
        receive(icmpFrame(VM6, OUTSIDE, new Icmpv6Repr.EchoReply(1, 1, Unpooled.wrappedBuffer(new byte[4])), false));
        receive(icmpFrame(VM6, OUTSIDE, new Icmpv6Repr.EchoRequest(1, 1, Unpooled.wrappedBuffer(new byte[4])), true));
        assertTrue(host.ping.isEmpty());
        assertEquals(1, engine.icmp().counters6().dropsNotEcho());
        assertEquals(2, engine.icmp().counters6().drops());
        assertTrue(sent.isEmpty(), "no error about either");
    }

    @Test
    void theFlowGoesWithItsPortAndItsQuota() {
        start(false);
        ping(NAT_TARGET, 1, 1, new byte[4]);
        assertEquals(1, engine.portClosed(PORT, now));
        assertTrue(host.ping.get(0).closed);
        assertEquals(0, engine.icmp().size6());
        assertEquals(null, engine.quotas().usage(PORT), "the port's quota is forgotten with it");
        drain();
    }

    @Test
    void aFragmentedRequestIsReassembledAndTheLargeReplyFragmentedToTheMtu() {
        start(false);
        byte[] data = new byte[3000];
        new Random(3).nextBytes(data);
        Icmpv6Repr.EchoRequest request = new Icmpv6Repr.EchoRequest(0x4242, 7, Unpooled.wrappedBuffer(data));
        ByteBuf message = Unpooled.buffer(request.bufferLength());
        request.emit(message, 0, VM6, NAT_TARGET);
        int total = request.bufferLength();
        // As Linux fragments it: 1448-byte pieces (1500 - 40 - 8, rounded down to 8), last one first.
        List<ByteBuf> fragments = new ArrayList<>();
        for (int at = 0; at < total; at += 1448) {
            int n = Math.min(1448, total - at);
            Ipv6Repr ip = new Ipv6Repr(VM6, NAT_TARGET, IpProtocol.ICMPV6, n, 64);
            ByteBuf f = Unpooled.buffer(14 + 48 + n);
            int o = new EthernetRepr(GW_MAC, VM_MAC, EtherType.IPV6).emit(f, 0);
            o += ip.emitFragment(f, o, 0x77, at, at + n < total);
            f.setBytes(o, message, at, n);
            f.writerIndex(14 + 48 + n);
            fragments.add(0, f);
        }
        message.release();
        for (ByteBuf f : fragments) {
            receive(f);
        }
        assertEquals(1, gateway.counters().ipv6Reassembled());
        FakeHost.Ping socket = host.ping.get(0);
        assertEquals(total, socket.sent.get(0).length, "one whole message to the ping socket");
        host.deliver(now);
        // The 3008-byte reply goes back in fragments of at most 1500 bytes, which reassemble into it.
        assertTrue(sent.size() >= 3, "fragments: " + sent.size());
        ByteBuf whole = Unpooled.buffer(total);
        int fragmentsSeen = 0;
        ByteBuf f;
        while ((f = sent.poll()) != null) {
            try {
                assertTrue(f.readableBytes() <= 14 + 1500, "within the MTU");
                Ipv6Packet p = Ipv6Packet.checked(EthernetFrame.checked(f).orNull()).orNull();
                assertTrue(p.isFragment());
                assertEquals(NAT_TARGET, p.source());
                whole.setBytes(p.fragmentOffsetBytes(), p.buffer(), p.payloadOffset(), p.payloadLength());
                whole.writerIndex(Math.max(whole.writerIndex(), p.fragmentOffsetBytes() + p.payloadLength()));
                fragmentsSeen++;
            } finally {
                f.release();
            }
        }
        assertEquals(total, whole.writerIndex());
        Icmpv6Packet reply = Icmpv6Packet.checked(whole, 0, total).orNull();
        assertEquals(Icmpv6Packet.TYPE_ECHO_REPLY, reply.type());
        assertTrue(reply.verifyChecksum(NAT_TARGET.high(), NAT_TARGET.low(), VM6.high(), VM6.low()),
                "the checksum covers the whole message");
        assertEquals(0x4242, reply.echoIdentifier());
        byte[] back = new byte[total - 8];
        whole.getBytes(8, back);
        assertArrayEquals(data, back);
        assertEquals(fragmentsSeen, gateway.counters().fragmentsSent());
    }

    @Test
    void neighborDiscoveryInAFragmentIsIgnored() {
        start(false);
        // RFC 6980: an atomic fragment carrying a Neighbor Solicitation for the gateway's address.
        Icmpv6Repr ns = new Icmpv6Repr.NeighborSolicitation(GW6, io.userv2.stack.wire.NdpOptions.sourceLinkLayer(VM_MAC));
        ByteBuf body = Unpooled.buffer(ns.bufferLength());
        ns.emit(body, 0, VM6, GW6);
        Ipv6Repr ip = new Ipv6Repr(VM6, GW6, IpProtocol.ICMPV6, ns.bufferLength(), 255);
        ByteBuf f = Unpooled.buffer(14 + 48 + ns.bufferLength());
        int o = new EthernetRepr(GW_MAC, VM_MAC, EtherType.IPV6).emit(f, 0);
        o += ip.emitFragment(f, o, 1, 0, false);
        f.setBytes(o, body, 0, ns.bufferLength());
        f.writerIndex(14 + 48 + ns.bufferLength());
        body.release();
        receive(f);
        assertTrue(sent.isEmpty(), "no advertisement");
        assertEquals(1, gateway.counters().dropped(DropReason.NDP_INVALID));
        assertEquals(1, gateway.counters().ipv6AtomicFragments());
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private void ping(Ipv6Address dst, int id, int seq, byte[] data) {
        ping(dst, id, seq, data, VM6);
    }

    private void ping(Ipv6Address dst, int id, int seq, byte[] data, Ipv6Address src) {
        receive(icmpFrame(src, dst, new Icmpv6Repr.EchoRequest(id, seq, Unpooled.wrappedBuffer(data)), false));
    }

    private static ByteBuf icmpFrame(Ipv6Address src, Ipv6Address dst, Icmpv6Repr icmp, boolean badChecksum) {
        Ipv6Repr ip = new Ipv6Repr(src, dst, IpProtocol.ICMPV6, icmp.bufferLength(), 64);
        ByteBuf out = Unpooled.buffer(14 + ip.totalLength());
        int offset = new EthernetRepr(GW_MAC, VM_MAC, EtherType.IPV6).emit(out, 0);
        offset += ip.emit(out, offset);
        icmp.emit(out, offset, src, dst);
        if (badChecksum) {
            out.setShort(offset + 2, out.getUnsignedShort(offset + 2) ^ 0x0101);
        }
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

    private record Echo(long dstMac, Ipv6Address src, Ipv6Address dst, int type, int identifier, int sequence,
            byte[] data) {
    }

    private record Error(Ipv6Address src, Ipv6Address dst, int type, int code) {
    }

    /** The one frame the gateway sent: an ICMPv6 message with a correct checksum. */
    private Icmpv6Packet only(ByteBuf out, Ipv6Packet[] ipOut) {
        EthernetFrame eth = EthernetFrame.checked(out).orNull();
        Ipv6Packet ip = Ipv6Packet.checked(eth).orNull();
        assertNotNull(ip);
        assertEquals(IpProtocol.ICMPV6_NUMBER, ip.protocolNumber());
        Icmpv6Packet icmp = Icmpv6Packet.checked(ip).orNull();
        assertTrue(icmp.verifyChecksum(ip), "ICMPv6 checksum");
        ipOut[0] = ip;
        return icmp;
    }

    private Echo onlyEcho() {
        assertEquals(1, sent.size(), "one frame");
        ByteBuf out = sent.poll();
        try {
            Ipv6Packet[] ip = new Ipv6Packet[1];
            Icmpv6Packet icmp = only(out, ip);
            byte[] data = new byte[icmp.length() - 8];
            out.getBytes(icmp.offset() + 8, data);
            return new Echo(EthernetFrame.checked(out).orNull().destination(), ip[0].source(), ip[0].destination(),
                    icmp.type(), icmp.echoIdentifier(), icmp.echoSequence(), data);
        } finally {
            out.release();
        }
    }

    private Error onlyError() {
        assertEquals(1, sent.size(), "one frame");
        ByteBuf out = sent.poll();
        try {
            Ipv6Packet[] ip = new Ipv6Packet[1];
            Icmpv6Packet icmp = only(out, ip);
            assertEquals(Icmpv6Packet.TYPE_DESTINATION_UNREACHABLE, icmp.type());
            return new Error(ip[0].source(), ip[0].destination(), icmp.type(), icmp.code());
        } finally {
            out.release();
        }
    }

    @Test
    void echoRequestsFromSourcesOffTheLanOpenNoFlow() {
        start(true);
        ping(OUTSIDE, 9, 1, new byte[4], Ipv6Address.parse("2001:db8::bad"));
        ping(OUTSIDE, 9, 2, new byte[4], Ipv6Address.parse("::ffff:192.168.104.5"));
        assertTrue(host.ping.isEmpty(), "no ping socket for a source that is no guest's");
        assertEquals(2, engine.icmp().counters6().dropsSource());
        ping(OUTSIDE, 9, 3, new byte[4]);
        assertEquals(1, host.ping.size(), "the guest's own address is relayed");
    }
}
