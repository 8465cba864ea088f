package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.GatewayTest.GW_IP;
import static io.userv2.stack.gateway.GatewayTest.GW_MAC;
import static io.userv2.stack.gateway.GatewayTest.SUBNET;
import static io.userv2.stack.gateway.GatewayTest.VM_IP;
import static io.userv2.stack.gateway.GatewayTest.VM_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.Ipv4Quote;
import io.userv2.stack.wire.MacAddress;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpOptions;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpRepr;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.UdpPacket;
import org.pcap4j.packet.namednumber.IcmpV4Code;
import org.pcap4j.packet.namednumber.IcmpV4Type;
import org.pcap4j.util.IpV4Helper;

/** The gateway with fragments: reassembly on input, fragmentation of UDP output, ICMP errors for the NAT. */
class GatewayFragmentTest {
    static final long NOW = GatewayTest.NOW;
    static final Ipv4Address REMOTE = Ipv4Address.parse("198.51.100.7");
    static final int INGRESS = 7;

    final GatewayTest.RecordingSink sink = new GatewayTest.RecordingSink();
    final GatewayTest.RecordingAllocator alloc = new GatewayTest.RecordingAllocator();
    Gateway gateway = gateway(1500);
    GatewayCounters counters = gateway.counters();

    Gateway gateway(int mtu) {
        return new Gateway(GW_MAC, GW_IP, SUBNET, sink, alloc, new GatewayCounters(), new ArpCache(), mtu,
                ReassemblyLimits.defaults());
    }

    void use(int mtu) {
        gateway = gateway(mtu);
        counters = gateway.counters();
    }

    @AfterEach
    void everyFrameTakenAndNothingLeaks() {
        gateway.close();
        assertTrue(sink.frames.isEmpty(), "unexpected output: " + sink.frames.size() + " frames");
        for (ByteBuf buf : alloc.allocated) {
            assertEquals(0, buf.refCnt(), "allocated buffer not released");
        }
    }

    /** Feeds one frame from a pooled buffer holding other bytes around it, as the switch does. */
    void receive(byte[] frame, long now) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(frame.length + 10);
        buf.writeZero(4).writeBytes(frame).writeZero(6);
        try {
            gateway.receive(buf, 4, frame.length, INGRESS, now);
            assertEquals(1, buf.refCnt(), "gateway must not release or retain the caller's frame");
        } finally {
            buf.release();
        }
    }

    void receiveAll(List<byte[]> frames) {
        frames.forEach(f -> receive(f, NOW));
    }

    /** The sink's frames, taken and released. */
    List<byte[]> takeAll() {
        List<byte[]> out = new ArrayList<>();
        while (!sink.frames.isEmpty()) {
            out.add(sink.take());
        }
        return out;
    }

    static byte[] udpData(byte[] frame) {
        int hl = Fragments.headerLength(frame);
        return Arrays.copyOfRange(frame, 14 + hl + 8, frame.length);
    }

    @Nested
    class Reassembly {
        final List<byte[]> delivered = new ArrayList<>();

        @Test
        void aBoundServiceGetsTheReassembledDatagram() {
            gateway.bindUdp(7, (d, now) -> delivered.add(ByteBufUtil.getBytes(d.payload())));
            byte[] whole = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, GW_IP, 7, 60 * 1024, 1, 1);
            List<byte[]> fragments = Fragments.fragment(whole, 1500);
            Collections.shuffle(fragments, new Random(7));
            receiveAll(fragments);
            assertEquals(1, delivered.size());
            assertArrayEquals(udpData(whole), delivered.get(0));
            assertEquals(1, counters.udpDelivered());
            assertEquals(1, counters.ipv4Reassembled());
            assertEquals(fragments.size(), counters.fragmentsReassembled());
            assertEquals(0, counters.droppedTotal());
            assertEquals(0, gateway.reassembler().datagrams());
        }

        @Test
        void sixtyKibEchoBothWays() throws Exception {
            // The acceptance check in miniature: a 60 KiB datagram in fragments, echoed back in fragments at MTU 1500.
            gateway.bindUdp(7, (d, now) -> gateway.sendUdp(d.srcMac(), d.dstIp(), d.dstPort(), d.srcIp(),
                    d.srcPort(), d.payload()));
            byte[] whole = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, GW_IP, 7, 60 * 1024, 2, 2);
            receiveAll(Fragments.fragment(whole, 1500));
            List<byte[]> echoed = takeAll();
            assertEquals(42, echoed.size());
            for (byte[] f : echoed) {
                assertTrue(f.length - 14 <= 1500);
            }
            UdpPacket udp = defragment(echoed);
            assertEquals(40000, udp.getHeader().getDstPort().valueAsInt());
            assertArrayEquals(udpData(whole), udp.getPayload().getRawData());
        }

        @Test
        void theForwarderGetsTheWholeDatagramWithAValidFrame() {
            List<ByteBuf> kept = new ArrayList<>();
            List<Integer> ingresses = new ArrayList<>();
            gateway.setIpv4Forwarder((frame, packet, ingress, now) -> {
                assertEquals(VM_MAC.bits(), frame.source());
                assertEquals(GW_MAC.bits(), frame.destination());
                assertEquals(EthernetFrame.HEADER_LENGTH + packet.totalLength(), frame.length());
                assertEquals(frame.payloadOffset(), packet.offset());
                assertFalse(packet.isFragment());
                assertTrue(packet.verifyChecksum());
                assertEquals(REMOTE.bits(), packet.destination());
                ingresses.add(ingress);
                kept.add(packet.buffer().retainedSlice(packet.offset(), packet.totalLength()));
                return true;
            });
            byte[] whole = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, REMOTE, 53, 5000, 3, 3);
            List<byte[]> fragments = Fragments.fragment(whole, 1500);
            Collections.reverse(fragments);
            receiveAll(fragments);
            assertEquals(List.of(INGRESS), ingresses);
            assertEquals(1, counters.ipv4Forwarded());
            assertArrayEquals(Arrays.copyOfRange(whole, 14, whole.length), HexLiteral.toArray(kept.get(0)),
                    "the forwarder's retained view outlives the call");
            kept.get(0).release();
        }

        @Test
        void withoutAForwarderTheWholeDatagramIsCountedOnce() {
            byte[] whole = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, REMOTE, 53, 5000, 4, 4);
            receiveAll(Fragments.fragment(whole, 1500));
            assertEquals(1, counters.dropped(DropReason.IPV4_NOT_FOR_GATEWAY));
            assertEquals(1, counters.droppedTotal());
        }

        @Test
        void anUnboundPortAnswersPortUnreachableQuotingTheReassembledHeader() throws Exception {
            byte[] whole = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, GW_IP, 9999, 3000, 5, 5);
            receiveAll(Fragments.fragment(whole, 1500));
            byte[] reply = sink.take();
            EthernetPacket packet = EthernetPacket.newPacket(reply, 0, reply.length);
            IcmpV4CommonPacket icmp = packet.get(IcmpV4CommonPacket.class);
            assertEquals(IcmpV4Code.PORT_UNREACHABLE, icmp.getHeader().getCode());
            assertArrayEquals(Arrays.copyOfRange(whole, 14, 14 + 28), Arrays.copyOfRange(reply, 14 + 28, 14 + 56),
                    "quotes the whole datagram's header (MF clear, offset 0) and UDP header");
        }

        @Test
        void aMissingFragmentTimesOutOnPollAndOnLaterFrames() {
            byte[] whole = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, REMOTE, 53, 5000, 6, 6);
            List<byte[]> fragments = Fragments.fragment(whole, 1500);
            receiveAll(fragments.subList(1, fragments.size()));
            long deadline = NOW + ReassemblyLimits.DEFAULT_TIMEOUT_NANOS;
            assertEquals(deadline, gateway.pollAt());
            gateway.poll(deadline - 1);
            assertEquals(1, gateway.reassembler().datagrams());
            gateway.poll(deadline);
            assertEquals(fragments.size() - 1, counters.dropped(DropReason.FRAGMENT_TIMEOUT));
            assertEquals(Long.MAX_VALUE, gateway.pollAt());

            receiveAll(fragments.subList(1, 2));
            receive(GatewayUdpTest.toGateway(9), deadline + ReassemblyLimits.DEFAULT_TIMEOUT_NANOS);
            assertEquals(fragments.size(), counters.dropped(DropReason.FRAGMENT_TIMEOUT), "any frame expires");
            takeAll(); // the port unreachable for the datagram to port 9
        }

        @Test
        void aTimedOutDatagramWhoseFirstFragmentCameIsAnsweredWithTimeExceededQuotingIt() throws Exception {
            byte[] whole = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, REMOTE, 53, 5000, 8, 8);
            List<byte[]> fragments = Fragments.fragment(whole, 1500);
            receiveAll(fragments.subList(0, 2));
            byte[] other = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, GW_IP, 53, 5000, 9, 9);
            receiveAll(Fragments.fragment(other, 1500).subList(1, 3)); // its first fragment never comes: no answer
            byte[] broadcast = Fragments.udpFrame(MacAddress.BROADCAST, VM_MAC, VM_IP, GW_IP, 53, 5000, 10, 10);
            receiveAll(Fragments.fragment(broadcast, 1500).subList(0, 1)); // sent as a link-layer broadcast: none
            assertEquals(3, gateway.reassembler().datagrams(), "all three held until the timeout");
            gateway.poll(NOW + ReassemblyLimits.DEFAULT_TIMEOUT_NANOS);
            List<byte[]> sent = takeAll();
            assertEquals(1, sent.size(), "one Time Exceeded, for the datagram whose first fragment came");
            EthernetPacket eth = EthernetPacket.newPacket(sent.get(0), 0, sent.get(0).length);
            assertEquals(VM_MAC.toString(), eth.getHeader().getDstAddr().toString());
            IpV4Packet ip = eth.get(IpV4Packet.class);
            assertTrue(ip.getHeader().hasValidChecksum(false));
            assertEquals(GW_IP.toInetAddress(), ip.getHeader().getSrcAddr(), "from the gateway: REMOTE is not its own");
            assertEquals(VM_IP.toInetAddress(), ip.getHeader().getDstAddr());
            byte[] icmp = ip.getPayload().getRawData();
            assertEquals(Icmpv4Packet.TYPE_TIME_EXCEEDED, icmp[0]);
            assertEquals(Icmpv4Packet.CODE_REASSEMBLY_TIME_EXCEEDED, icmp[1]);
            assertEquals(0, Checksum.compute(Unpooled.wrappedBuffer(icmp), 0, icmp.length), "ICMP checksum");
            byte[] first = fragments.get(0);
            assertArrayEquals(Arrays.copyOfRange(first, 14, 14 + 548), Arrays.copyOfRange(icmp, 8, icmp.length),
                    "the first fragment as received, cut to fit 576 bytes");
            assertEquals(1, counters.icmpErrorsSent());
        }

        @Test
        void timeExceededIsRateLimitedWithTheOtherErrors() throws Exception {
            for (int i = 0; i <= IcmpRateLimiter.DEFAULT_BURST; i++) {
                byte[] whole = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, GW_IP, 53, 3000, 100 + i, i);
                byte[] first = Fragments.fragment(whole, 1500).get(0);
                ByteBuf buf = Unpooled.wrappedBuffer(first);
                gateway.receive(buf, 0, first.length, 100 + i / 10, NOW); // ten per port: below its own cap
                buf.release();
            }
            gateway.poll(NOW + ReassemblyLimits.DEFAULT_TIMEOUT_NANOS);
            List<byte[]> sent = takeAll();
            assertEquals(IcmpRateLimiter.DEFAULT_BURST, sent.size());
            assertEquals(1, counters.icmpErrorsRateLimited());
            IpV4Packet ip = EthernetPacket.newPacket(sent.get(0), 0, sent.get(0).length).get(IpV4Packet.class);
            assertEquals(GW_IP.toInetAddress(), ip.getHeader().getSrcAddr(), "from the address it was sent to");
        }

        @Test
        void releaseOwnerForgetsAPortsFragments() {
            byte[] whole = Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, REMOTE, 53, 5000, 8, 8);
            receiveAll(Fragments.fragment(whole, 1500).subList(0, 2));
            gateway.releaseOwner(INGRESS + 1);
            assertEquals(1, gateway.reassembler().datagrams());
            gateway.releaseOwner(INGRESS);
            assertEquals(2, counters.dropped(DropReason.FRAGMENT_ABORTED));
            assertEquals(0, gateway.reassembler().bytes());
        }
    }

    /** pcap4j's own reassembly of our fragments, as an independent oracle; checks every fragment on the way. */
    static UdpPacket defragment(List<byte[]> frames) throws Exception {
        List<IpV4Packet> packets = new ArrayList<>();
        for (byte[] f : frames) {
            packets.add(EthernetPacket.newPacket(f, 0, f.length).get(IpV4Packet.class));
        }
        Packet whole = IpV4Helper.defragment(packets);
        IpV4Packet ip = whole.get(IpV4Packet.class);
        UdpPacket udp = IpV4Packet.newPacket(whole.getRawData(), 0, whole.length()).get(UdpPacket.class);
        assertNotNull(udp, "pcap4j reads the reassembled datagram as UDP");
        assertTrue(udp.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false),
                "one UDP checksum over the whole datagram");
        return udp;
    }

    @Nested
    class Fragmentation {
        @ParameterizedTest(name = "MTU {0}, {1} data bytes: {2} frames")
        @CsvSource({
            "1500, 1472, 1", "1500, 1473, 2", "1500, 2952, 2", "1500, 2953, 3", "1500, 61440, 42",
            "1500, 65507, 45", "576, 548, 1", "576, 549, 2", "576, 65507, 119", "68, 40, 1", "68, 41, 2",
            "68, 1000, 21", "1280, 5000, 4", "9000, 65507, 8"})
        void roundTripsAroundTheMtuEdges(int mtu, int dataLength, int frames) throws Exception {
            use(mtu);
            byte[] data = new byte[dataLength];
            new Random(dataLength).nextBytes(data);
            gateway.sendUdp(VM_MAC, REMOTE, 53, VM_IP, 40000, Unpooled.wrappedBuffer(data));
            List<byte[]> sent = takeAll();
            assertEquals(frames, sent.size());
            assertEquals(1, counters.udpSent());
            assertEquals(frames > 1 ? 1 : 0, counters.ipv4Fragmented());
            assertEquals(frames > 1 ? frames : 0, counters.fragmentsSent());

            int expectedOffset = 0;
            int id = -1;
            for (int i = 0; i < sent.size(); i++) {
                byte[] f = sent.get(i);
                IpV4Packet.IpV4Header h = EthernetPacket.newPacket(f, 0, f.length).get(IpV4Packet.class).getHeader();
                assertTrue(h.hasValidChecksum(false), "each fragment has its own header checksum");
                assertTrue(h.getTotalLengthAsInt() <= mtu);
                assertEquals(f.length - 14, h.getTotalLengthAsInt());
                assertFalse(h.getDontFragmentFlag());
                assertEquals(i < sent.size() - 1, h.getMoreFragmentFlag());
                assertEquals(expectedOffset, h.getFragmentOffset() * 8);
                int data2 = h.getTotalLengthAsInt() - 20;
                if (i < sent.size() - 1) {
                    assertEquals(0, data2 % 8, "all but the last carry a multiple of 8");
                }
                expectedOffset += data2;
                if (id < 0) {
                    id = h.getIdentificationAsInt();
                }
                assertEquals(id, h.getIdentificationAsInt(), "one identification");
            }
            assertEquals(8 + dataLength, expectedOffset);

            UdpPacket udp = frames == 1 ? EthernetPacket.newPacket(sent.get(0), 0, sent.get(0).length)
                    .get(UdpPacket.class) : defragment(sent);
            assertArrayEquals(data, udp.getPayload().getRawData());

            // And through our reassembler: the same bytes a gateway with a large MTU sends in one frame.
            Ipv4Reassembler reassembler = new Ipv4Reassembler(alloc, new GatewayCounters(),
                    ReassemblyLimits.defaults());
            byte[] whole = null;
            for (byte[] f : frames == 1 ? List.<byte[]>of() : sent) {
                ByteBuf buf = Unpooled.wrappedBuffer(f);
                EthernetFrame eth = EthernetFrame.checked(buf).orNull();
                ByteBuf out = reassembler.offer(eth, Ipv4Packet.checked(eth).orNull(), 1, NOW);
                if (out != null) {
                    whole = HexLiteral.toArray(out);
                    out.release();
                }
            }
            Gateway big = new Gateway(GW_MAC, GW_IP, SUBNET, sink, alloc, new GatewayCounters(), new ArpCache(),
                    0xFFFF, ReassemblyLimits.defaults());
            big.sendUdp(VM_MAC, REMOTE, 53, VM_IP, 40000, Unpooled.wrappedBuffer(data));
            byte[] unfragmented = sink.take();
            assertArrayEquals(unfragmented, frames == 1 ? sent.get(0) : whole);
        }

        @Test
        void echoRepliesForTheNatAreFragmentedWithOneValidChecksum() throws Exception {
            byte[] data = new byte[4000];
            new Random(4000).nextBytes(data);
            gateway.sendEchoReply(VM_MAC, REMOTE, VM_IP, 0x1234, 7, Unpooled.wrappedBuffer(data));
            List<byte[]> sent = takeAll();
            assertEquals(3, sent.size());
            List<IpV4Packet> packets = new ArrayList<>();
            for (byte[] f : sent) {
                assertTrue(f.length - 14 <= 1500);
                packets.add(EthernetPacket.newPacket(f, 0, f.length).get(IpV4Packet.class));
            }
            Packet whole = IpV4Helper.defragment(packets);
            IpV4Packet ip = IpV4Packet.newPacket(whole.getRawData(), 0, whole.length());
            assertEquals(REMOTE.toInetAddress(), ip.getHeader().getSrcAddr(), "from the address the guest pinged");
            assertEquals(VM_IP.toInetAddress(), ip.getHeader().getDstAddr());
            IcmpV4CommonPacket icmp = ip.get(IcmpV4CommonPacket.class);
            assertEquals(IcmpV4Type.ECHO_REPLY, icmp.getHeader().getType());
            assertTrue(icmp.hasValidChecksum(false), "one ICMP checksum over the whole message");
            IcmpV4EchoReplyPacket echo = ip.get(IcmpV4EchoReplyPacket.class);
            assertEquals(0x1234, echo.getHeader().getIdentifierAsInt());
            assertEquals(7, echo.getHeader().getSequenceNumberAsInt());
            assertArrayEquals(data, echo.getPayload().getRawData());
            assertEquals(1, counters.ipv4Fragmented());
        }

        @Test
        void theGatewaysOwnEchoReplyToALargePingIsFragmented() {
            byte[] data = new byte[3000];
            new Random(3000).nextBytes(data);
            io.userv2.stack.wire.Ipv4Repr ip = new io.userv2.stack.wire.Ipv4Repr(VM_IP, GW_IP,
                    io.userv2.stack.wire.IpProtocol.ICMP, 8 + data.length, 64, 3, false, 0);
            ByteBuf frame = Unpooled.buffer(14 + ip.totalLength());
            int offset = new io.userv2.stack.wire.EthernetRepr(GW_MAC, VM_MAC, io.userv2.stack.wire.EtherType.IPV4)
                    .emit(frame, 0);
            offset += ip.emit(frame, offset);
            new io.userv2.stack.wire.Icmpv4Repr.EchoRequest(9, 1, Unpooled.wrappedBuffer(data)).emit(frame, offset);
            receiveAll(Fragments.fragment(ByteBufUtil.getBytes(frame, 0, 14 + ip.totalLength()), 1500));
            List<byte[]> sent = takeAll();
            assertEquals(3, sent.size(), "3008 bytes of ICMP at MTU 1500");
            assertEquals(1, counters.echoRepliesSent());
        }

        @Test
        void theWriterOverloadFragmentsAndAFailingWriterLeaksNothing() throws Exception {
            byte[] data = new byte[4000];
            Arrays.fill(data, (byte) 0x5A);
            gateway.sendUdp(VM_MAC, GW_IP, 7, VM_IP, 7, data.length, (frame, offset) -> frame.setBytes(offset, data));
            assertArrayEquals(data, defragment(takeAll()).getPayload().getRawData());
            assertThrows(IllegalStateException.class, () -> gateway.sendUdp(VM_MAC, GW_IP, 7, VM_IP, 7, 4000,
                    (frame, offset) -> {
                        throw new IllegalStateException("boom");
                    }));
            assertEquals(1, counters.udpSent());
        }

        @Test
        void whatCouldNeverFitIpv4IsRefused() {
            int before = alloc.allocated.size();
            assertThrows(IllegalArgumentException.class, () -> gateway.sendUdp(VM_MAC, GW_IP, 7, VM_IP, 7,
                    Unpooled.wrappedBuffer(new byte[65508])));
            assertEquals(before, alloc.allocated.size());
            assertEquals(0, counters.udpSent());
        }

        @Test
        void tcpKeepsDfAndIsNeverFragmented() {
            use(576);
            TcpRepr tcp = new TcpRepr(80, 40000, TcpControl.NONE, SeqNumber.of(1), SeqNumber.of(1), 65535,
                    TcpOptions.NONE, 1000);
            gateway.sendTcp(VM_MAC, REMOTE, VM_IP, TcpHeader.of(tcp), Unpooled.wrappedBuffer(new byte[1000]));
            List<byte[]> sent = takeAll();
            assertEquals(1, sent.size());
            assertEquals(Ipv4Packet.FLAG_DF, ((sent.get(0)[20] & 0xFF) << 8) | (sent.get(0)[21] & 0xFF));
        }

        @Test
        void theMtuIsValidated() {
            assertThrows(IllegalArgumentException.class, () -> gateway(67));
            assertThrows(IllegalArgumentException.class, () -> gateway(65536));
            assertEquals(1500, new Gateway(GW_MAC, GW_IP, SUBNET, f -> f.release()).mtu());
            assertEquals(9000, new Gateway(GW_MAC, GW_IP, SUBNET, f -> f.release(), 9000).mtu());
        }
    }

    @Nested
    class DestinationUnreachable {
        ByteBuf quote = Ipv4Quote.udp(VM_IP, 40000, REMOTE, 53, 100).toBuffer(UnpooledByteBufAllocator.DEFAULT);

        @AfterEach
        void callerKeepsTheQuote() {
            assertEquals(1, quote.refCnt());
            assertEquals(0, quote.readerIndex());
            quote.release();
        }

        @Test
        void portUnreachableFromTheRemoteQuotingTheGuestsDatagram() throws Exception {
            assertTrue(gateway.sendDestinationUnreachable(VM_MAC, REMOTE, Icmpv4Packet.CODE_PORT_UNREACHABLE, quote,
                    NOW));
            byte[] reply = sink.take();
            EthernetPacket packet = EthernetPacket.newPacket(reply, 0, reply.length);
            assertEquals(VM_MAC.toString(), packet.getHeader().getDstAddr().toString());
            assertEquals(GW_MAC.toString(), packet.getHeader().getSrcAddr().toString());
            IpV4Packet.IpV4Header ip = packet.get(IpV4Packet.class).getHeader();
            assertTrue(ip.hasValidChecksum(false));
            assertEquals("/" + REMOTE, ip.getSrcAddr().toString());
            assertEquals("/" + VM_IP, ip.getDstAddr().toString());
            IcmpV4CommonPacket icmp = packet.get(IcmpV4CommonPacket.class);
            assertTrue(icmp.hasValidChecksum(false));
            assertEquals(IcmpV4Type.DESTINATION_UNREACHABLE, icmp.getHeader().getType());
            assertEquals(IcmpV4Code.PORT_UNREACHABLE, icmp.getHeader().getCode());
            assertArrayEquals(HexLiteral.toArray(quote), Arrays.copyOfRange(reply, 14 + 28, reply.length));
            assertEquals(1, counters.icmpErrorsSent());
        }

        @Test
        void hostUnreachableForAFailedDial() throws Exception {
            ByteBuf tcp = Ipv4Quote.tcp(VM_IP, 51000, REMOTE, 443, SeqNumber.of(12345)).toBuffer(alloc);
            try {
                assertTrue(gateway.sendDestinationUnreachable(VM_MAC, GW_IP, Icmpv4Packet.CODE_HOST_UNREACHABLE, tcp,
                        NOW));
            } finally {
                tcp.release();
            }
            byte[] reply = sink.take();
            IcmpV4CommonPacket icmp = EthernetPacket.newPacket(reply, 0, reply.length).get(IcmpV4CommonPacket.class);
            assertEquals(IcmpV4Code.HOST_UNREACHABLE, icmp.getHeader().getCode());
            assertEquals(12345, GatewayTest.ByteBufs.intAt(reply, 14 + 28 + 24));
        }

        /** {@link #quote} with the 32 bits at {@code offset} replaced and the header checksum fixed. */
        ByteBuf quoteWith(int offset, int value) {
            ByteBuf q = quote.copy();
            q.setInt(offset, value);
            q.setShort(10, 0).setShort(10, Checksum.compute(q, 0, 20));
            return q;
        }

        @Test
        void rfc1122Rule3_2_2NeverAnswersWhatDoesNotDefineASingleHostOrMustNotBeAnswered() {
            List<ByteBuf> refused = new ArrayList<>();
            for (String source : List.of("0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255", "192.168.104.255",
                    "240.0.0.1")) {
                refused.add(quoteWith(12, Ipv4Address.parse(source).bits()));
            }
            refused.add(quoteWith(16, -1)); // to the broadcast address
            refused.add(quoteWith(16, Ipv4Address.parse("239.1.2.3").bits())); // to a multicast group
            refused.add(quoteWith(4, 0x0000_0001)); // a non-initial fragment (offset 8)
            ByteBuf icmpError = quoteWith(8, 0x4001_0000); // protocol ICMP ...
            icmpError.setByte(20, Icmpv4Packet.TYPE_DESTINATION_UNREACHABLE); // ... quoting an ICMP error
            refused.add(icmpError);
            for (ByteBuf q : refused) {
                assertFalse(gateway.sendDestinationUnreachable(VM_MAC, REMOTE, 3, q, NOW), q.toString());
                q.release();
            }
            assertFalse(gateway.sendDestinationUnreachable(MacAddress.BROADCAST, REMOTE, 3, quote, NOW));
            ByteBuf echo = quoteWith(8, 0x4001_0000);
            echo.setByte(20, Icmpv4Packet.TYPE_ECHO_REQUEST);
            assertTrue(gateway.sendDestinationUnreachable(VM_MAC, REMOTE, 3, echo, NOW), "a query may be answered");
            echo.release();
            assertEquals(1, takeAll().size());
        }

        @Test
        void rateLimitedWithThePortUnreachablesOfTheGateway() {
            for (int i = 0; i < IcmpRateLimiter.DEFAULT_BURST; i++) {
                assertTrue(gateway.sendDestinationUnreachable(VM_MAC, REMOTE, 3, quote, NOW));
            }
            assertFalse(gateway.sendDestinationUnreachable(VM_MAC, REMOTE, 3, quote, NOW));
            assertEquals(1, counters.icmpErrorsRateLimited());
            assertEquals(IcmpRateLimiter.DEFAULT_BURST, takeAll().size());
        }

        @Test
        void aLongQuoteIsCutToFitIn576Bytes() {
            ByteBuf longQuote = Unpooled.buffer().writeBytes(quote, 0, 28).writeZero(1000);
            assertTrue(gateway.sendDestinationUnreachable(VM_MAC, REMOTE, 3, longQuote, NOW));
            longQuote.release();
            assertEquals(14 + 576, sink.take().length);
        }

        @Test
        void aQuoteThatIsNoIpv4HeaderIsACallersBug() {
            ByteBuf shortQuote = quote.copy(0, 27);
            ByteBuf ipv6 = quote.copy().setByte(0, 0x65);
            try {
                assertThrows(IllegalArgumentException.class,
                        () -> gateway.sendDestinationUnreachable(VM_MAC, REMOTE, 3, shortQuote, NOW));
                assertThrows(IllegalArgumentException.class,
                        () -> gateway.sendDestinationUnreachable(VM_MAC, REMOTE, 3, ipv6, NOW));
                assertThrows(IllegalArgumentException.class,
                        () -> gateway.sendDestinationUnreachable(VM_MAC, REMOTE, 256, quote, NOW));
            } finally {
                shortQuote.release();
                ipv6.release();
            }
        }
    }
}
