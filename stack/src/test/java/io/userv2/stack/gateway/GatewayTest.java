package io.userv2.stack.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.userv2.stack.FrameSink;
import io.userv2.stack.wire.ArpRepr;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetRepr;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.Icmpv4Repr;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Repr;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.VlanTag;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.namednumber.IcmpV4Type;

class GatewayTest {
    static final MacAddress GW_MAC = MacAddress.parse("5a:94:ef:e4:0c:dd");
    static final Ipv4Address GW_IP = Ipv4Address.parse("192.168.104.2");
    static final Ipv4Subnet SUBNET = Ipv4Subnet.parse("192.168.104.0/24");
    static final MacAddress VM_MAC = MacAddress.parse("52:55:55:12:34:56");
    static final Ipv4Address VM_IP = Ipv4Address.parse("192.168.104.3");
    static final long NOW = 1_000_000_000L;

    /** Keeps the frames the gateway sends; the test releases them (the sink owns them). */
    static final class RecordingSink implements FrameSink {
        final Deque<ByteBuf> frames = new ArrayDeque<>();
        final List<ByteBuf> all = new ArrayList<>();

        @Override
        public void send(ByteBuf frame) {
            frames.add(frame);
            all.add(frame);
        }

        /** The next sent frame's bytes; the frame is released. */
        byte[] take() {
            ByteBuf frame = frames.remove();
            try {
                return HexLiteral.toArray(frame);
            } finally {
                frame.release();
            }
        }
    }

    /** An unpooled direct allocator that remembers every buffer it hands out, for the leak check. */
    static final class RecordingAllocator extends AbstractByteBufAllocator {
        final List<ByteBuf> allocated = new ArrayList<>();

        RecordingAllocator() {
            super(true);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buf = Unpooled.directBuffer(initialCapacity, maxCapacity);
            allocated.add(buf);
            return buf;
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf buf = Unpooled.buffer(initialCapacity, maxCapacity);
            allocated.add(buf);
            return buf;
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    final RecordingSink sink = new RecordingSink();
    final RecordingAllocator alloc = new RecordingAllocator();
    final Gateway gateway = new Gateway(GW_MAC, GW_IP, SUBNET, sink, alloc, new GatewayCounters(), new ArpCache());
    final GatewayCounters counters = gateway.counters();

    @AfterEach
    void everyFrameTakenAndNothingLeaks() {
        assertTrue(sink.frames.isEmpty(), "unexpected output: " + sink.frames.size() + " frames");
        for (ByteBuf buf : alloc.allocated) {
            assertEquals(0, buf.refCnt(), "allocated buffer not released");
        }
        assertEquals(sink.all.size(), alloc.allocated.size(), "every allocation went to the sink");
        assertEquals(counters.framesSent(), sink.all.size());
    }

    /** Feeds {@code frame} from a pooled direct buffer and checks the caller's buffer is left untouched. */
    void receive(byte[] frame) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(frame.length + 3);
        buf.writeZero(3).writeBytes(frame).readerIndex(3);
        try {
            gateway.receive(buf, NOW);
            assertEquals(1, buf.refCnt(), "gateway must not release or retain the caller's frame");
            assertEquals(3, buf.readerIndex());
            assertEquals(frame.length + 3, buf.writerIndex());
        } finally {
            buf.release();
        }
    }

    static byte[] ipv4Frame(MacAddress dstMac, Ipv4Address src, Ipv4Address dst, IpProtocol protocol, byte[] payload) {
        Ipv4Repr ip = new Ipv4Repr(src, dst, protocol, payload.length, 64);
        ByteBuf out = Unpooled.buffer(14 + ip.totalLength());
        int offset = new EthernetRepr(dstMac, VM_MAC, EtherType.IPV4).emit(out, 0);
        offset += ip.emit(out, offset);
        out.setBytes(offset, payload);
        out.writerIndex(14 + ip.totalLength());
        return HexLiteral.toArray(out);
    }

    static byte[] echoRequestFrame(Ipv4Address dst, int id, int seq, byte[] data) {
        Icmpv4Repr echo = new Icmpv4Repr.EchoRequest(id, seq, Unpooled.wrappedBuffer(data));
        ByteBuf icmp = Unpooled.buffer(echo.bufferLength());
        echo.emit(icmp, 0);
        icmp.writerIndex(echo.bufferLength());
        return ipv4Frame(GW_MAC, VM_IP, dst, IpProtocol.ICMP, HexLiteral.toArray(icmp));
    }

    @Nested
    class Arp {
        static final String REQUEST_FOR_GATEWAY = """
                ff ff ff ff ff ff  52 55 55 12 34 56  08 06     # broadcast from the VM, ARP
                00 01 08 00 06 04 00 01                         # Ethernet/IPv4 request
                52 55 55 12 34 56  c0 a8 68 03                  # sender 52:55:55:12:34:56 192.168.104.3
                00 00 00 00 00 00  c0 a8 68 02                  # target ? 192.168.104.2
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # padding to 60 bytes
                """;

        static final String REPLY_FROM_GATEWAY = """
                52 55 55 12 34 56  5a 94 ef e4 0c dd  08 06     # unicast to the requester, ARP
                00 01 08 00 06 04 00 02                         # Ethernet/IPv4 reply
                5a 94 ef e4 0c dd  c0 a8 68 02                  # sender: the gateway
                52 55 55 12 34 56  c0 a8 68 03                  # target: the requester
                """;

        @Test
        void requestForGatewayGetsExactUnicastReply() {
            receive(HexLiteral.bytes(REQUEST_FOR_GATEWAY));
            assertArrayEquals(HexLiteral.bytes(REPLY_FROM_GATEWAY), sink.take());
            assertEquals(1, counters.arpRepliesSent());
            assertEquals(0, counters.droppedTotal());
            assertEquals(VM_MAC.bits(), gateway.arpCache().lookup(VM_IP.bits(), NOW), "requester learned");
        }

        @Test
        void requestForAnotherHostIsNotAnsweredNorLearned() {
            byte[] frame = HexLiteral.bytes(REQUEST_FOR_GATEWAY);
            frame[41] = 9; // target 192.168.104.9
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.ARP_NOT_FOR_GATEWAY));
            assertEquals(ArpCache.NONE, gateway.arpCache().lookup(VM_IP.bits(), NOW));
        }

        @Test
        void requestForAnotherHostRefreshesAKnownSender() {
            long oldMac = MacAddress.parse("52:55:55:99:99:99").bits();
            gateway.arpCache().learn(VM_IP.bits(), oldMac, NOW);
            byte[] frame = HexLiteral.bytes(REQUEST_FOR_GATEWAY);
            frame[41] = 9;
            receive(frame);
            assertEquals(VM_MAC.bits(), gateway.arpCache().lookup(VM_IP.bits(), NOW), "RFC 826 merge");
        }

        @Test
        void probeFromUnconfiguredHostIsAnsweredButNotLearned() {
            byte[] frame = HexLiteral.bytes(REQUEST_FOR_GATEWAY);
            Arrays.fill(frame, 28, 32, (byte) 0); // sender IP 0.0.0.0 (RFC 5227 probe)
            receive(frame);
            byte[] reply = sink.take();
            assertEquals(0, ByteBufs.intAt(reply, 38), "reply target IP 0.0.0.0");
            assertEquals(0, gateway.arpCache().size());
        }

        @Test
        void senderClaimingGatewayAddressIsAConflict() {
            byte[] frame = HexLiteral.bytes(REQUEST_FOR_GATEWAY);
            frame[31] = 2; // sender IP = 192.168.104.2
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.ARP_ADDRESS_CONFLICT));
        }

        @Test
        void gatewayRequestAndTheReplyToIt() {
            gateway.sendArpRequest(VM_IP);
            assertArrayEquals(HexLiteral.bytes("""
                    ff ff ff ff ff ff  5a 94 ef e4 0c dd  08 06     # broadcast from the gateway, ARP
                    00 01 08 00 06 04 00 01                         # request
                    5a 94 ef e4 0c dd  c0 a8 68 02                  # sender: the gateway
                    00 00 00 00 00 00  c0 a8 68 03                  # who has 192.168.104.3?
                    """), sink.take());
            assertEquals(1, counters.arpRequestsSent());

            ArpRepr reply = ArpRepr.replyTo(ArpRepr.request(GW_MAC, GW_IP, VM_IP), VM_MAC);
            ByteBuf out = Unpooled.buffer(42);
            reply.emit(out, new EthernetRepr(GW_MAC, VM_MAC, EtherType.ARP).emit(out, 0));
            out.writerIndex(42);
            receive(HexLiteral.toArray(out));
            assertEquals(VM_MAC, gateway.arpCache().lookup(VM_IP, NOW));
            assertEquals(0, counters.droppedTotal());
            assertEquals(1, counters.arpEntriesLearned());
        }

        @Test
        void wrongHardwareTypeAndUnknownOperation() {
            byte[] frame = HexLiteral.bytes(REQUEST_FOR_GATEWAY);
            frame[15] = 6; // hardware type IEEE 802
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.ARP_UNSUPPORTED));
            frame = HexLiteral.bytes(REQUEST_FOR_GATEWAY);
            frame[21] = 3; // RARP request
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.ARP_UNKNOWN_OPERATION));
        }
    }

    @Nested
    class ExtraAddress {
        final Ipv4Address dns = Ipv4Address.parse("192.168.104.53");

        @Test
        void answersArpAndPingAtAnAddedAddressFromThatAddress() throws Exception {
            gateway.addAddress(dns);
            assertTrue(gateway.owns(dns.bits()) && gateway.owns(GW_IP.bits()));
            byte[] arp = HexLiteral.bytes(Arp.REQUEST_FOR_GATEWAY);
            System.arraycopy(dns.toBytes(), 0, arp, 38, 4); // target protocol address
            receive(arp);
            byte[] reply = sink.take();
            assertEquals(2, ByteBufs.shortAt(reply, 20), "ARP reply");
            assertEquals(dns.bits(), ByteBufs.intAt(reply, 28), "sender protocol address is the added one");
            receive(echoRequestFrame(dns, 7, 1, new byte[8]));
            byte[] pong = sink.take();
            IpV4Packet.IpV4Header ip = EthernetPacket.newPacket(pong, 0, pong.length).get(IpV4Packet.class).getHeader();
            assertEquals("/" + dns, ip.getSrcAddr().toString(), "RFC 1122 3.2.2.6: reply from the address asked");
        }

        @Test
        void anAddressOutsideTheSubnetIsRefused() {
            assertThrows(IllegalArgumentException.class, () -> gateway.addAddress(Ipv4Address.parse("10.0.0.3")));
            assertThrows(IllegalArgumentException.class, () -> gateway.addAddress(SUBNET.broadcast()));
        }
    }

    @Nested
    class Echo {
        final byte[] data = "userv2 ping payload, 33 bytes odd".getBytes(StandardCharsets.US_ASCII);

        @Test
        void echoRequestGetsReplyVerifiedByPcap4j() throws Exception {
            receive(echoRequestFrame(GW_IP, 0xbeef, 42, data));
            byte[] reply = sink.take();
            EthernetPacket packet = EthernetPacket.newPacket(reply, 0, reply.length);
            assertEquals(VM_MAC.toString(), packet.getHeader().getDstAddr().toString());
            assertEquals(GW_MAC.toString(), packet.getHeader().getSrcAddr().toString());
            IpV4Packet.IpV4Header ip = packet.get(IpV4Packet.class).getHeader();
            assertTrue(ip.hasValidChecksum(false));
            assertEquals("/" + GW_IP, ip.getSrcAddr().toString());
            assertEquals("/" + VM_IP, ip.getDstAddr().toString());
            assertEquals(64, ip.getTtlAsInt());
            IcmpV4CommonPacket icmp = packet.get(IcmpV4CommonPacket.class);
            assertEquals(IcmpV4Type.ECHO_REPLY, icmp.getHeader().getType());
            assertTrue(icmp.hasValidChecksum(false));
            IcmpV4EchoReplyPacket echo = packet.get(IcmpV4EchoReplyPacket.class);
            assertEquals(0xbeef, echo.getHeader().getIdentifierAsInt());
            assertEquals(42, echo.getHeader().getSequenceNumberAsInt());
            assertArrayEquals(data, echo.getPayload().getRawData());
            assertEquals(14 + 20 + 8 + data.length, reply.length);
            assertEquals(1, counters.echoRepliesSent());
            assertEquals(VM_MAC, gateway.arpCache().lookup(VM_IP, NOW), "learned from the IPv4 frame");
        }

        @Test
        void echoRequestWithIpOptionsInPaddedFrame() throws Exception {
            String literal = """
                    5a 94 ef e4 0c dd  52 55 55 12 34 56  08 00     # VM -> gateway, IPv4
                    46 00 00 24 00 07 00 00 40 01 XX XX             # IHL 6, total 36, id 7, TTL 64, ICMP
                    c0 a8 68 03  c0 a8 68 02                        # 192.168.104.3 -> 192.168.104.2
                    94 04 00 00                                     # Router Alert option
                    08 00 YY YY  00 01 00 02                        # echo request id 1 seq 2
                    61 62 63 64                                     # data "abcd"
                    00 00 00 00 00 00 00 00 00 00                   # Ethernet padding to 60 bytes
                    """;
            byte[] frame = HexLiteral.bytes(literal.replace("XX XX", "00 00").replace("YY YY", "00 00"));
            ByteBuf fix = Unpooled.wrappedBuffer(frame);
            fix.setShort(38 + 2, Checksum.compute(fix, 38, 12));
            fix.setShort(14 + 10, Checksum.compute(fix, 14, 24));
            assertEquals(60, frame.length);
            receive(frame);
            byte[] reply = sink.take();
            assertEquals(14 + 20 + 12, reply.length, "no padding copied, no options copied");
            EthernetPacket packet = EthernetPacket.newPacket(reply, 0, reply.length);
            assertTrue(packet.get(IpV4Packet.class).getHeader().hasValidChecksum(false));
            assertTrue(packet.get(IcmpV4CommonPacket.class).hasValidChecksum(false));
            assertArrayEquals("abcd".getBytes(StandardCharsets.US_ASCII),
                    packet.get(IcmpV4EchoReplyPacket.class).getPayload().getRawData());
        }

        @Test
        void echoToBroadcastIsDropped() {
            receive(echoRequestFrame(SUBNET.broadcast(), 1, 1, data));
            receive(echoRequestFrame(Ipv4Address.BROADCAST, 1, 1, data));
            assertEquals(2, counters.dropped(DropReason.ICMP_ECHO_TO_BROADCAST));
        }

        @Test
        void echoToAnotherAddressIsNotForTheGateway() {
            receive(echoRequestFrame(Ipv4Address.parse("203.0.113.8"), 1, 1, data));
            assertEquals(1, counters.dropped(DropReason.IPV4_NOT_FOR_GATEWAY));
            assertEquals(VM_MAC, gateway.arpCache().lookup(VM_IP, NOW), "still learned from the frame");
        }

        @Test
        void badChecksumsAreCounted() {
            byte[] frame = echoRequestFrame(GW_IP, 1, 1, data);
            frame[14 + 10] ^= 0x01;
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.IPV4_BAD_CHECKSUM));
            frame = echoRequestFrame(GW_IP, 1, 1, data);
            frame[frame.length - 1] ^= 0x01;
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.ICMP_BAD_CHECKSUM));
        }

        @Test
        void echoReplyToGatewayIsUnhandledType() {
            byte[] frame = echoRequestFrame(GW_IP, 1, 1, data);
            ByteBuf buf = Unpooled.wrappedBuffer(frame);
            buf.setByte(34, 0);
            buf.setShort(36, Checksum.update16(buf.getUnsignedShort(36), 0x0800, 0x0000));
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.ICMP_UNHANDLED_TYPE));
        }

        @Test
        void replyIdentificationAdvances() {
            receive(echoRequestFrame(GW_IP, 1, 1, data));
            receive(echoRequestFrame(GW_IP, 1, 2, data));
            int id1 = ByteBufs.shortAt(sink.take(), 18);
            int id2 = ByteBufs.shortAt(sink.take(), 18);
            assertEquals(id1 + 1, id2);
        }
    }

    @Nested
    class Dispatch {
        @Test
        void withoutServicesOrForwarderUdpTcpAndOtherProtocolsAreDropped() {
            receive(ipv4Frame(GW_MAC, VM_IP, GW_IP, IpProtocol.UDP, new byte[8])); // UDP length 0 (see GatewayUdpTest)
            receive(ipv4Frame(GW_MAC, VM_IP, GW_IP, IpProtocol.TCP, new byte[20]));
            receive(ipv4Frame(GW_MAC, VM_IP, GW_IP, IpProtocol.of(47), new byte[4]));
            assertEquals(1, counters.dropped(DropReason.UDP_MALFORMED));
            assertEquals(1, counters.dropped(DropReason.TCP_UNHANDLED));
            assertEquals(1, counters.dropped(DropReason.IP_PROTOCOL_UNHANDLED));
            assertEquals(VM_MAC, gateway.arpCache().lookup(VM_IP, NOW));
        }

        @Test
        void vlanTaggedFramesAreDropped() {
            ByteBuf out = Unpooled.buffer(60);
            new EthernetRepr(GW_MAC, VM_MAC, new VlanTag(0, false, 7), EtherType.IPV4).emit(out, 0);
            out.writerIndex(60);
            receive(HexLiteral.toArray(out));
            assertEquals(1, counters.dropped(DropReason.VLAN_TAGGED));
        }

        @Test
        void otherMacsGroupSourcesAndEtherTypes() {
            byte[] frame = echoRequestFrame(GW_IP, 1, 1, new byte[4]);
            frame[5] = 0x01; // another unicast MAC
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.NOT_FOR_GATEWAY_MAC));
            frame = echoRequestFrame(GW_IP, 1, 1, new byte[4]);
            frame[6] |= 0x01; // group source MAC
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.SOURCE_MAC_GROUP));
            frame = echoRequestFrame(GW_IP, 1, 1, new byte[4]);
            frame[12] = (byte) 0x86;
            frame[13] = (byte) 0xdd; // IPv6
            receive(frame);
            assertEquals(1, counters.dropped(DropReason.UNSUPPORTED_ETHERTYPE));
        }

        @Test
        void broadcastSourceAddressIsDropped() {
            receive(ipv4Frame(GW_MAC, Ipv4Address.BROADCAST, GW_IP, IpProtocol.UDP, new byte[8]));
            assertEquals(1, counters.dropped(DropReason.IPV4_BAD_SOURCE));
        }
    }

    @Nested
    class Garbage {
        @Test
        void everyTruncationIsCountedWithoutOutput() {
            byte[][] valid = {HexLiteral.bytes(Arp.REQUEST_FOR_GATEWAY),
                echoRequestFrame(GW_IP, 3, 4, new byte[40])};
            long receivedBefore = counters.framesReceived();
            for (byte[] frame : valid) {
                int minimum = frame == valid[0] ? 42 : frame.length;
                for (int n = 0; n < minimum; n++) {
                    receive(Arrays.copyOf(frame, n));
                }
            }
            assertTrue(sink.frames.isEmpty());
            assertEquals(counters.framesReceived() - receivedBefore, counters.droppedTotal());
            assertTrue(counters.dropped(DropReason.ETHERNET_TRUNCATED) == 28, counters.toString());
            assertTrue(counters.dropped(DropReason.ARP_TRUNCATED) > 0);
            assertTrue(counters.dropped(DropReason.IPV4_TRUNCATED) > 0);
        }

        @Test
        void lyingIpv4HeadersAreCounted() {
            byte[] frame = echoRequestFrame(GW_IP, 1, 1, new byte[8]);
            frame[14] = 0x44; // IHL 4
            receive(frame);
            frame = echoRequestFrame(GW_IP, 1, 1, new byte[8]);
            frame[16] = 0x01; // total length 256+ > available
            receive(frame);
            frame = echoRequestFrame(GW_IP, 1, 1, new byte[8]);
            frame[16] = 0;
            frame[17] = 10; // total length 10 < 20
            receive(frame);
            assertEquals(2, counters.dropped(DropReason.IPV4_MALFORMED));
            assertEquals(1, counters.dropped(DropReason.IPV4_TRUNCATED));
        }

        @Test
        void randomFramesNeverThrowNorAnswer() {
            Random random = new Random(826);
            for (int i = 0; i < 10_000; i++) {
                byte[] frame = new byte[random.nextInt(120)];
                random.nextBytes(frame);
                if (frame.length >= 14) {
                    System.arraycopy(GW_MAC.toBytes(), 0, frame, 0, 6);
                    frame[6] &= (byte) 0xFE;
                    frame[12] = 0x08;
                    frame[13] = (byte) (random.nextBoolean() ? 0x00 : 0x06);
                }
                if (frame.length >= 15 && random.nextBoolean()) {
                    frame[14] = 0x45;
                }
                receive(frame);
            }
            assertEquals(0, counters.framesSent());
            assertEquals(10_000, counters.droppedTotal());
        }
    }

    @Test
    void defaultConstructorUsesPooledAllocatorAndSinkOwnsFrames() {
        List<ByteBuf> sent = new ArrayList<>();
        Gateway pooled = new Gateway(GW_MAC, GW_IP, SUBNET, sent::add);
        pooled.sendArpRequest(VM_IP);
        assertEquals(1, sent.size());
        ByteBuf frame = sent.get(0);
        assertEquals(1, frame.refCnt());
        assertTrue(frame.release());
        assertEquals(0, frame.refCnt());
    }

    @Test
    void rejectsAnAddressOutsideTheSubnet() {
        assertFalse(SUBNET.contains(Ipv4Address.parse("10.0.0.1")));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new Gateway(GW_MAC, Ipv4Address.parse("10.0.0.1"), SUBNET, f -> f.release()));
    }

    /** Tiny helpers for reading reply bytes. */
    static final class ByteBufs {
        static int intAt(byte[] b, int i) {
            return Unpooled.wrappedBuffer(b).getInt(i);
        }

        static int shortAt(byte[] b, int i) {
            return Unpooled.wrappedBuffer(b).getUnsignedShort(i);
        }
    }
}
