package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.GatewayTest.GW_IP;
import static io.userv2.stack.gateway.GatewayTest.GW_MAC;
import static io.userv2.stack.gateway.GatewayTest.SUBNET;
import static io.userv2.stack.gateway.GatewayTest.VM_IP;
import static io.userv2.stack.gateway.GatewayTest.VM_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.UdpRepr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.UdpPacket;
import org.pcap4j.packet.namednumber.IcmpV4Code;
import org.pcap4j.packet.namednumber.IcmpV4Type;

/** The gateway's UDP service API: bound ports, port unreachable, the forwarder hook and {@code sendUdp}. */
class GatewayUdpTest {
    static final long NOW = GatewayTest.NOW;
    static final byte[] DATA = "hello, udp".getBytes(StandardCharsets.US_ASCII);

    final GatewayTest.RecordingSink sink = new GatewayTest.RecordingSink();
    final GatewayTest.RecordingAllocator alloc = new GatewayTest.RecordingAllocator();
    final Gateway gateway = new Gateway(GW_MAC, GW_IP, SUBNET, sink, alloc, new GatewayCounters(), new ArpCache());
    final GatewayCounters counters = gateway.counters();

    /** What a test service saw; the payload is copied during the call, as the API asks. */
    record Seen(UdpDatagram datagram, byte[] payload, long now) {
    }

    final List<Seen> seen = new ArrayList<>();
    final UdpService recorder = (d, now) -> seen.add(new Seen(d, ByteBufUtil.getBytes(d.payload()), now));

    @AfterEach
    void everyFrameTakenAndNothingLeaks() {
        assertTrue(sink.frames.isEmpty(), "unexpected output: " + sink.frames.size() + " frames");
        for (ByteBuf buf : alloc.allocated) {
            assertEquals(0, buf.refCnt(), "allocated buffer not released");
        }
    }

    /** An Ethernet/IPv4/UDP frame from the VM; {@code checksum} false sends UDP checksum 0. */
    static byte[] udpFrame(MacAddress dstMac, Ipv4Address src, int srcPort, Ipv4Address dst, int dstPort,
                           byte[] payload, boolean checksum) {
        UdpRepr udp = new UdpRepr(srcPort, dstPort, payload.length);
        Ipv4Repr ip = new Ipv4Repr(src, dst, IpProtocol.UDP, udp.totalLength(), 64);
        ByteBuf out = Unpooled.buffer(14 + ip.totalLength());
        int offset = new EthernetRepr(dstMac, VM_MAC, EtherType.IPV4).emit(out, 0);
        offset += ip.emit(out, offset);
        out.setBytes(offset + 8, payload);
        udp.emit(out, offset, src.bits(), dst.bits());
        if (!checksum) {
            out.setShort(offset + 6, 0);
        }
        out.writerIndex(14 + ip.totalLength());
        return HexLiteral.toArray(out);
    }

    static byte[] toGateway(int dstPort) {
        return udpFrame(GW_MAC, VM_IP, 40000, GW_IP, dstPort, DATA, true);
    }

    void receive(byte[] frame, long now) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(frame.length);
        buf.writeBytes(frame);
        try {
            gateway.receive(buf, now);
            assertEquals(1, buf.refCnt(), "gateway must not release or retain the caller's frame");
        } finally {
            buf.release();
        }
    }

    void receive(byte[] frame) {
        receive(frame, NOW);
    }

    @Nested
    class BoundPorts {
        @Test
        void boundPortReceivesTheDatagramWithItsAddressing() {
            gateway.bindUdp(53, recorder);
            receive(toGateway(53), NOW + 7);
            assertEquals(1, seen.size());
            Seen s = seen.get(0);
            assertEquals(VM_MAC, s.datagram().srcMac());
            assertEquals(VM_IP, s.datagram().srcIp());
            assertEquals(40000, s.datagram().srcPort());
            assertEquals(GW_IP, s.datagram().dstIp());
            assertEquals(53, s.datagram().dstPort());
            assertFalse(s.datagram().broadcast());
            assertArrayEquals(DATA, s.payload());
            assertEquals(NOW + 7, s.now());
            assertEquals(1, counters.udpDelivered());
            assertEquals(0, counters.droppedTotal());
        }

        @Test
        void broadcastsReachABoundPort() {
            gateway.bindUdp(67, recorder);
            receive(udpFrame(MacAddress.BROADCAST, Ipv4Address.ANY, 68, Ipv4Address.BROADCAST, 67, DATA, true));
            receive(udpFrame(MacAddress.BROADCAST, VM_IP, 68, SUBNET.broadcast(), 67, DATA, true));
            assertEquals(2, seen.size());
            assertTrue(seen.get(0).datagram().broadcast());
            assertEquals(Ipv4Address.ANY, seen.get(0).datagram().srcIp());
            assertTrue(seen.get(1).datagram().broadcast());
        }

        @Test
        void zeroChecksumMeansNoneAndIsAccepted() {
            gateway.bindUdp(53, recorder);
            receive(udpFrame(GW_MAC, VM_IP, 1, GW_IP, 53, DATA, false));
            assertEquals(1, seen.size());
        }

        @Test
        void badChecksumIsDroppedBeforeTheService() {
            gateway.bindUdp(53, recorder);
            byte[] frame = toGateway(53);
            frame[frame.length - 1] ^= 0x40;
            receive(frame);
            assertTrue(seen.isEmpty());
            assertEquals(1, counters.dropped(DropReason.UDP_BAD_CHECKSUM));
        }

        @Test
        void ethernetPaddingIsNotPayload() {
            gateway.bindUdp(53, recorder);
            byte[] frame = udpFrame(GW_MAC, VM_IP, 1, GW_IP, 53, new byte[] {1, 2}, true);
            receive(Arrays.copyOf(frame, 60));
            assertArrayEquals(new byte[] {1, 2}, seen.get(0).payload());
        }

        @Test
        void lyingLengthsAreCounted() {
            byte[] frame = toGateway(53);
            frame[14 + 20 + 4] = 0x7f; // UDP length past the IP payload
            receive(frame);
            frame = toGateway(53);
            frame[14 + 20 + 4] = 0;
            frame[14 + 20 + 5] = 4; // UDP length below 8
            receive(frame);
            receive(Arrays.copyOf(toGateway(53), 14 + 20)); // IP says 18 more bytes, the frame has none
            receive(udpFrame(GW_MAC, VM_IP, 1, GW_IP, 53, DATA, false).clone());
            assertEquals(1, counters.dropped(DropReason.UDP_TRUNCATED));
            assertEquals(1, counters.dropped(DropReason.UDP_MALFORMED));
            assertEquals(1, counters.dropped(DropReason.IPV4_TRUNCATED));
            sink.take(); // the last one was valid but unbound: port unreachable
        }

        @Test
        void bindingTwiceIsRefusedAndUnbindFreesThePort() {
            gateway.bindUdp(53, recorder);
            assertThrows(IllegalStateException.class, () -> gateway.bindUdp(53, recorder));
            assertThrows(IllegalArgumentException.class, () -> gateway.bindUdp(0, recorder));
            assertThrows(IllegalArgumentException.class, () -> gateway.bindUdp(65536, recorder));
            gateway.unbindUdp(53);
            gateway.bindUdp(53, recorder);
        }
    }

    @Nested
    class PortUnreachable {
        @Test
        void unboundPortGetsIcmpPortUnreachableQuotingTheDatagram() throws Exception {
            byte[] request = toGateway(9999);
            receive(request);
            byte[] reply = sink.take();
            EthernetPacket packet = EthernetPacket.newPacket(reply, 0, reply.length);
            assertEquals(VM_MAC.toString(), packet.getHeader().getDstAddr().toString());
            IpV4Packet.IpV4Header ip = packet.get(IpV4Packet.class).getHeader();
            assertTrue(ip.hasValidChecksum(false));
            assertEquals("/" + GW_IP, ip.getSrcAddr().toString());
            assertEquals("/" + VM_IP, ip.getDstAddr().toString());
            IcmpV4CommonPacket icmp = packet.get(IcmpV4CommonPacket.class);
            assertTrue(icmp.hasValidChecksum(false));
            assertEquals(IcmpV4Type.DESTINATION_UNREACHABLE, icmp.getHeader().getType());
            assertEquals(IcmpV4Code.PORT_UNREACHABLE, icmp.getHeader().getCode());
            // RFC 792: "Internet Header + 64 bits of Original Data Datagram"
            byte[] quoted = Arrays.copyOfRange(reply, 14 + 20 + 8, reply.length);
            assertArrayEquals(Arrays.copyOfRange(request, 14, 14 + 20 + 8), quoted);
            assertEquals(1, counters.dropped(DropReason.UDP_PORT_UNREACHABLE));
            assertEquals(1, counters.icmpErrorsSent());
        }

        @Test
        void noIcmpErrorForBroadcastsOrForUnspecifiedSources() {
            receive(udpFrame(MacAddress.BROADCAST, VM_IP, 1, Ipv4Address.BROADCAST, 9999, DATA, true));
            receive(udpFrame(GW_MAC, VM_IP, 1, SUBNET.broadcast(), 9999, DATA, true));
            assertEquals(2, counters.dropped(DropReason.UDP_BROADCAST_UNBOUND));
            receive(udpFrame(GW_MAC, Ipv4Address.ANY, 1, GW_IP, 9999, DATA, true));
            receive(udpFrame(MacAddress.BROADCAST, VM_IP, 1, GW_IP, 9999, DATA, true)); // link-layer broadcast
            assertEquals(2, counters.dropped(DropReason.UDP_PORT_UNREACHABLE));
            assertEquals(0, counters.icmpErrorsSent());
        }

        @Test
        void errorsAreRateLimitedWithLinuxDefaults() {
            for (int i = 0; i < 60; i++) {
                receive(toGateway(9999), NOW);
            }
            assertEquals(IcmpRateLimiter.DEFAULT_BURST, sink.frames.size());
            assertEquals(10, counters.icmpErrorsRateLimited());
            receive(toGateway(9999), NOW + 1_000_000L); // 1 ms later: one token back
            assertEquals(IcmpRateLimiter.DEFAULT_BURST + 1, sink.frames.size());
            while (!sink.frames.isEmpty()) {
                assertEquals(Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE, sink.take()[14 + 20] & 0xFF);
            }
        }
    }

    @Nested
    class Forwarder {
        final List<String> offered = new ArrayList<>();

        Ipv4Forwarder taking(boolean take) {
            return (frame, packet, ingress, now) -> {
                offered.add(MacAddress.format(frame.source()) + " " + Ipv4Address.format(packet.destination()) + " "
                        + packet.protocol());
                return take;
            };
        }

        @Test
        void trafficForOtherHostsGoesToTheForwarder() {
            gateway.setIpv4Forwarder(taking(true));
            receive(udpFrame(GW_MAC, VM_IP, 1, Ipv4Address.parse("203.0.113.8"), 53, DATA, true));
            assertEquals(List.of(VM_MAC + " 203.0.113.8 UDP"), offered);
            assertEquals(1, counters.ipv4Forwarded());
            assertEquals(0, counters.droppedTotal());
        }

        @Test
        void refusedOrWithoutForwarderIsNotForGateway() {
            receive(udpFrame(GW_MAC, VM_IP, 1, Ipv4Address.parse("203.0.113.8"), 53, DATA, true));
            gateway.setIpv4Forwarder(taking(false));
            receive(udpFrame(GW_MAC, VM_IP, 1, Ipv4Address.parse("203.0.113.8"), 53, DATA, true));
            assertEquals(2, counters.dropped(DropReason.IPV4_NOT_FOR_GATEWAY));
            assertEquals(1, offered.size());
        }

        @Test
        void unboundUdpAndTcpToTheGatewayAreOfferedBeforeBeingRefused() {
            gateway.bindUdp(53, recorder);
            gateway.setIpv4Forwarder(taking(true));
            receive(toGateway(53));
            receive(toGateway(2222));
            receive(GatewayTest.ipv4Frame(GW_MAC, VM_IP, GW_IP, IpProtocol.TCP, new byte[20]));
            assertEquals(1, seen.size(), "a bound port wins");
            assertEquals(List.of(VM_MAC + " " + GW_IP + " UDP", VM_MAC + " " + GW_IP + " TCP"), offered);
            assertEquals(0, counters.droppedTotal());
            gateway.setIpv4Forwarder(null);
            receive(GatewayTest.ipv4Frame(GW_MAC, VM_IP, GW_IP, IpProtocol.TCP, new byte[20]));
            assertEquals(1, counters.dropped(DropReason.TCP_UNHANDLED));
        }

        @Test
        void forwarderCanRetainTheFrame() {
            List<ByteBuf> kept = new ArrayList<>();
            gateway.setIpv4Forwarder((frame, packet, ingress, now) -> kept.add(packet.buffer().retainedSlice(
                    packet.offset(), packet.totalLength())));
            ByteBuf buf = Unpooled.wrappedBuffer(udpFrame(GW_MAC, VM_IP, 1, Ipv4Address.parse("198.51.100.1"), 9, DATA,
                    true));
            gateway.receive(buf, NOW);
            buf.release();
            assertEquals(1, buf.refCnt(), "the forwarder's retain keeps it alive");
            assertEquals(Ipv4Address.parse("198.51.100.1").bits(), kept.get(0).getInt(Ipv4Packet.DESTINATION));
            kept.get(0).release();
            assertEquals(0, buf.refCnt());
        }
    }

    @Nested
    class Send {
        static final Ipv4Address REMOTE = Ipv4Address.parse("93.184.216.34");

        void assertUdp(byte[] frame, MacAddress dstMac, Ipv4Address src, int srcPort, Ipv4Address dst, int dstPort,
                       byte[] payload) throws Exception {
            EthernetPacket packet = EthernetPacket.newPacket(frame, 0, frame.length);
            assertEquals(dstMac.toString(), packet.getHeader().getDstAddr().toString());
            assertEquals(GW_MAC.toString(), packet.getHeader().getSrcAddr().toString());
            IpV4Packet ip = packet.get(IpV4Packet.class);
            assertTrue(ip.getHeader().hasValidChecksum(false));
            assertEquals("/" + src, ip.getHeader().getSrcAddr().toString());
            assertEquals("/" + dst, ip.getHeader().getDstAddr().toString());
            UdpPacket udp = packet.get(UdpPacket.class);
            assertEquals(srcPort, udp.getHeader().getSrcPort().valueAsInt());
            assertEquals(dstPort, udp.getHeader().getDstPort().valueAsInt());
            assertTrue(udp.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false));
            assertArrayEquals(payload, udp.getPayload().getRawData());
            assertEquals(14 + 20 + 8 + payload.length, frame.length);
        }

        @Test
        void copiesThePayloadAndLeavesTheCallersBufferAlone() throws Exception {
            ByteBuf payload = Unpooled.buffer().writeZero(3).writeBytes(DATA);
            payload.readerIndex(3);
            gateway.sendUdp(VM_MAC, REMOTE, 443, VM_IP, 50000, payload);
            assertEquals(1, payload.refCnt());
            assertEquals(3, payload.readerIndex());
            payload.release();
            assertUdp(sink.take(), VM_MAC, REMOTE, 443, VM_IP, 50000, DATA);
            assertEquals(1, counters.udpSent());
        }

        @Test
        void writerFillsThePayloadInPlace() throws Exception {
            gateway.sendUdp(MacAddress.BROADCAST, GW_IP, 67, Ipv4Address.BROADCAST, 68, DATA.length,
                    (frame, offset) -> frame.setBytes(offset, DATA));
            assertUdp(sink.take(), MacAddress.BROADCAST, GW_IP, 67, Ipv4Address.BROADCAST, 68, DATA);
        }

        @Test
        void aFailingWriterLeaksNothingAndSendsNothing() {
            assertThrows(IllegalStateException.class, () -> gateway.sendUdp(VM_MAC, GW_IP, 1, VM_IP, 2, 4,
                    (frame, offset) -> {
                        throw new IllegalStateException("boom");
                    }));
            assertThrows(IllegalArgumentException.class, () -> gateway.sendUdp(VM_MAC, GW_IP, 1, VM_IP, 2, 70_000,
                    (frame, offset) -> { }));
            assertEquals(0, counters.udpSent());
        }

        @Test
        void aBoundServiceCanAnswerWithTheBorrowedPayload() throws Exception {
            gateway.bindUdp(7, (d, now) -> gateway.sendUdp(d.srcMac(), GW_IP, d.dstPort(), d.srcIp(), d.srcPort(),
                    d.payload()));
            receive(toGateway(7));
            assertUdp(sink.take(), VM_MAC, GW_IP, 7, VM_IP, 40000, DATA);
        }
    }

    @Test
    void rateLimiterRefillsAndCapsAtTheBurst() {
        IcmpRateLimiter limiter = new IcmpRateLimiter(10, 2);
        assertTrue(limiter.tryAcquire(0));
        assertTrue(limiter.tryAcquire(0));
        assertFalse(limiter.tryAcquire(0));
        assertFalse(limiter.tryAcquire(99_999_999L));
        assertTrue(limiter.tryAcquire(100_000_000L));
        assertTrue(limiter.tryAcquire(10_000_000_000L));
        assertTrue(limiter.tryAcquire(10_000_000_000L));
        assertFalse(limiter.tryAcquire(10_000_000_000L), "burst caps the refill");
    }
}
