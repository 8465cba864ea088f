package io.userv2.stack.wire;

import static io.userv2.stack.wire.Ipv6TestPackets.GATEWAY;
import static io.userv2.stack.wire.Ipv6TestPackets.GUEST;
import static io.userv2.stack.wire.Ipv6TestPackets.concat;
import static io.userv2.stack.wire.Ipv6TestPackets.ipv6;
import static io.userv2.stack.wire.Ipv6TestPackets.ok;
import static io.userv2.stack.wire.Ipv6TestPackets.optionsHeader;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6EchoReplyPacket;
import org.pcap4j.packet.IcmpV6EchoRequestPacket;
import org.pcap4j.packet.IcmpV6PacketTooBigPacket;
import org.pcap4j.packet.IcmpV6ParameterProblemPacket;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.IpV6SimpleFlowLabel;
import org.pcap4j.packet.IpV6SimpleTrafficClass;
import org.pcap4j.packet.UnknownPacket;
import org.pcap4j.packet.namednumber.IcmpV6Code;
import org.pcap4j.packet.namednumber.IcmpV6Type;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;

class Icmpv6PacketTest {
    /** An IPv6 packet (no extension headers) carrying {@code repr} from {@code src} to {@code dst}. */
    static byte[] packetOf(Icmpv6Repr repr, Ipv6Address src, Ipv6Address dst, int hopLimit) {
        Ipv6Repr ip = new Ipv6Repr(src, dst, IpProtocol.ICMPV6, repr.bufferLength(), hopLimit);
        ByteBuf out = Unpooled.buffer(ip.totalLength());
        int n = ip.emit(out, 0);
        assertEquals(repr.bufferLength(), repr.emit(out, n, src, dst));
        out.writerIndex(ip.totalLength());
        return HexLiteral.toArray(out);
    }

    /** Emits {@code repr}, checks the checksum with the reference loop, and parses it back. */
    static Icmpv6Repr roundTrip(Icmpv6Repr repr, Ipv6Address src, Ipv6Address dst) {
        byte[] packet = packetOf(repr, src, dst, 255);
        byte[] message = Arrays.copyOfRange(packet, 40, packet.length);
        assertEquals(0, Ipv6TestPackets.referenceChecksum(src, dst, 58, message), repr.toString());
        Ipv6Packet ip = ok(Ipv6Packet.checked(Unpooled.wrappedBuffer(packet), 0, packet.length));
        Icmpv6Packet icmp = ok(Icmpv6Packet.checked(ip));
        assertEquals(repr.type(), icmp.type());
        assertTrue(icmp.verifyChecksum(ip));
        return ok(Icmpv6Repr.parse(icmp, ip));
    }

    @Test
    void parsesEchoRequestBehindExtensionHeadersAndRepliesAsPcap4jExpects() throws Exception {
        Ipv6Packet ip = Ipv6PacketTest.ipv6Of(HexLiteral.bytes(Ipv6PacketTest.ECHO_WITH_EXTENSIONS_FRAME));
        Icmpv6Packet icmp = ok(Icmpv6Packet.checked(ip));
        assertEquals(Icmpv6Packet.TYPE_ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0xc5ba, icmp.checksum());
        assertEquals(false, icmp.isError());
        assertEquals(0x1234, icmp.echoIdentifier());
        assertEquals(1, icmp.echoSequence());
        assertEquals(8, icmp.dataLength());
        assertEquals("ICMP6 type 128 code 0, length 16", icmp.toString());
        Icmpv6Repr.EchoRequest echo = assertInstanceOf(Icmpv6Repr.EchoRequest.class, ok(Icmpv6Repr.parse(icmp, ip)));
        assertEquals("ICMP6, echo request, id 4660, seq 1, length 16", echo.toString());
        assertEquals(echo, ok(Icmpv6Repr.parse(icmp, GUEST, GATEWAY)));
        assertEquals(ParseError.BAD_CHECKSUM, Icmpv6Repr.parse(icmp, GUEST, Ipv6Address.parse("2001:db8::3")).error(),
                "the pseudo header's addresses are part of the sum");

        byte[] reply = packetOf(echo.reply(), GATEWAY, GUEST, 64);
        byte[] frame = Ipv6TestPackets.frame(reply);
        EthernetPacket eth = EthernetPacket.newPacket(frame, 0, frame.length);
        IcmpV6CommonPacket common = eth.get(IcmpV6CommonPacket.class);
        assertEquals(IcmpV6Type.ECHO_REPLY, common.getHeader().getType());
        assertTrue(common.hasValidChecksum(GATEWAY.toInetAddress(), GUEST.toInetAddress(), false));
        IcmpV6EchoReplyPacket.IcmpV6EchoReplyHeader h = eth.get(IcmpV6EchoReplyPacket.class).getHeader();
        assertEquals(0x1234, h.getIdentifierAsInt());
        assertEquals(1, h.getSequenceNumberAsInt());
        assertArrayEquals(HexLiteral.bytes("10 11 12 13 14 15 16 17"),
                eth.get(IcmpV6EchoReplyPacket.class).getPayload().getRawData());
    }

    @Test
    void parsesAnEchoRequestPcap4jBuilt() throws Exception {
        byte[] data = "ping6 payload".getBytes(StandardCharsets.US_ASCII);
        IcmpV6EchoRequestPacket.Builder echo = new IcmpV6EchoRequestPacket.Builder()
                .identifier((short) 0xbeef).sequenceNumber((short) 7)
                .payloadBuilder(new UnknownPacket.Builder().rawData(data));
        IcmpV6CommonPacket.Builder icmp = new IcmpV6CommonPacket.Builder()
                .srcAddr(GUEST.toInetAddress()).dstAddr(GATEWAY.toInetAddress())
                .type(IcmpV6Type.ECHO_REQUEST).code(IcmpV6Code.NO_CODE)
                .payloadBuilder(echo).correctChecksumAtBuild(true);
        byte[] packet = new IpV6Packet.Builder().version(IpVersion.IPV6)
                .trafficClass(IpV6SimpleTrafficClass.newInstance((byte) 0))
                .flowLabel(IpV6SimpleFlowLabel.newInstance(0)).nextHeader(IpNumber.ICMPV6).hopLimit((byte) 64)
                .srcAddr(GUEST.toInetAddress()).dstAddr(GATEWAY.toInetAddress()).correctLengthAtBuild(true)
                .payloadBuilder(icmp).build().getRawData();
        Ipv6Packet ip = ok(Ipv6Packet.checked(Unpooled.wrappedBuffer(packet), 0, packet.length));
        Icmpv6Repr.EchoRequest parsed = assertInstanceOf(Icmpv6Repr.EchoRequest.class,
                ok(Icmpv6Repr.parse(ok(Icmpv6Packet.checked(ip)), ip)));
        assertEquals(0xbeef, parsed.identifier());
        assertEquals(7, parsed.sequence());
        assertArrayEquals(data, HexLiteral.toArray(parsed.data()));
    }

    @Test
    void everyMessageRoundTrips() {
        ByteBuf data = Unpooled.copiedBuffer("abcdefghijklmnopqrstuvwxy", StandardCharsets.US_ASCII); // odd, 25
        Ipv6Address ll = Ipv6Address.parse("fe80::1");
        NdpOptions all = new NdpOptions(MacAddress.parse("52:55:55:12:34:56"), MacAddress.parse("02:00:00:00:00:01"),
                1500, List.of(NdpPrefixInformation.slaac(Ipv6Prefix.parse("fd00:1::/64"), 86400, 14400),
                new NdpPrefixInformation(Ipv6Prefix.parse("2001:db8::/48"), 0x80, NdpPrefixInformation.INFINITE, 0)),
                List.of(new NdpRdnss(3600, List.of(Ipv6Address.parse("fd00:1::1"), Ipv6Address.parse("fd00:1::2")))),
                List.of(new NdpDnssl(3600, List.of("lan", "office.test")), new NdpDnssl(0, List.of("x"))));
        Icmpv6Repr[] reprs = {
            new Icmpv6Repr.EchoRequest(7, 65535, data),
            new Icmpv6Repr.EchoReply(65535, 0, data.slice(0, 24)),
            new Icmpv6Repr.EchoReply(1, 2, Unpooled.EMPTY_BUFFER),
            new Icmpv6Repr.DestinationUnreachable(Icmpv6Packet.CODE_PORT_UNREACHABLE, data),
            new Icmpv6Repr.PacketTooBig(0xFFFF_FFFFL, data),
            new Icmpv6Repr.TimeExceeded(Icmpv6Packet.CODE_REASSEMBLY_TIME_EXCEEDED, data),
            new Icmpv6Repr.ParameterProblem(Ipv6Packet.PROBLEM_UNRECOGNIZED_NEXT_HEADER, 0x8000_0000L, data),
            new Icmpv6Repr.RouterSolicitation(NdpOptions.NONE),
            new Icmpv6Repr.RouterSolicitation(NdpOptions.sourceLinkLayer(MacAddress.parse("52:54:00:12:34:56"))),
            new Icmpv6Repr.RouterAdvertisement(64, 0xc0, 1800, 30000, 1000, all),
            new Icmpv6Repr.RouterAdvertisement(0, 0, 0, 0, 0, NdpOptions.NONE),
            new Icmpv6Repr.NeighborSolicitation(ll, NdpOptions.sourceLinkLayer(MacAddress.parse("52:54:00:12:34:56"))),
            new Icmpv6Repr.NeighborAdvertisement(true, true, true, ll,
                    NdpOptions.targetLinkLayer(MacAddress.parse("52:55:55:12:34:56"))),
            new Icmpv6Repr.NeighborAdvertisement(false, false, true, GUEST, NdpOptions.NONE),
            new Icmpv6Repr.NeighborAdvertisement(false, true, false, GUEST, NdpOptions.NONE),
            new Icmpv6Repr.Redirect(ll, GUEST, NdpOptions.targetLinkLayer(MacAddress.parse("52:55:55:12:34:56"))),
        };
        for (Icmpv6Repr repr : reprs) {
            assertEquals(repr, roundTrip(repr, ll, Ipv6Address.ALL_NODES), repr.toString());
        }
        assertEquals(0, data.readerIndex(), "emit must not consume the data buffer");
    }

    @Test
    void errorsQuoteTheInvokingPacketUpToTheMinimumMtu() throws Exception {
        byte[] big = ipv6(17, 64, GUEST, GATEWAY, new byte[1460]);
        Ipv6Packet offending = ok(Ipv6Packet.checked(Unpooled.wrappedBuffer(big), 0, big.length));
        Icmpv6Repr.PacketTooBig tooBig = Icmpv6Repr.PacketTooBig.quoting(1280, offending);
        assertEquals(1232, tooBig.original().readableBytes());
        assertEquals(1240, tooBig.bufferLength());
        byte[] packet = packetOf(tooBig, GATEWAY, GUEST, 64);
        assertEquals(1280, packet.length, "the error fills the minimum MTU exactly");
        byte[] frame = Ipv6TestPackets.frame(packet);
        EthernetPacket eth = EthernetPacket.newPacket(frame, 0, frame.length);
        assertTrue(eth.get(IcmpV6CommonPacket.class).hasValidChecksum(GATEWAY.toInetAddress(),
                GUEST.toInetAddress(), false));
        assertEquals(1280, eth.get(IcmpV6PacketTooBigPacket.class).getHeader().getMtu());
        assertEquals("ICMP6, packet too big, mtu 1280, length 1240", tooBig.toString());

        byte[] small = ipv6(17, 64, GUEST, GATEWAY, HexLiteral.bytes("d9 03 00 09 00 08 00 00"));
        Ipv6Packet smallView = ok(Ipv6Packet.checked(Unpooled.wrappedBuffer(small), 0, small.length));
        Icmpv6Repr.DestinationUnreachable unreachable = Icmpv6Repr.DestinationUnreachable.quoting(
                Icmpv6Packet.CODE_PORT_UNREACHABLE, smallView);
        assertArrayEquals(small, HexLiteral.toArray(unreachable.original()), "a short packet is quoted whole");
        assertEquals("ICMP6, destination unreachable, unreachable port, length 56", unreachable.toString());
        Icmpv6Repr.TimeExceeded hop = Icmpv6Repr.TimeExceeded.quoting(Icmpv6Packet.CODE_HOP_LIMIT_EXCEEDED, smallView);
        assertEquals("ICMP6, time exceeded in-transit, length 56", hop.toString());
    }

    @Test
    void parameterProblemQuotesWhatTheWalkerFound() throws Exception {
        byte[] bad = ipv6(60, 64, GUEST, GATEWAY,
                concat(optionsHeader(58, "be 04 00 00 00 00"), HexLiteral.bytes("80 00 00 00 00 01 00 01")));
        Ipv6Packet view = Ipv6Packet.reusable();
        assertEquals(ParseError.UNSUPPORTED, view.wrap(Unpooled.wrappedBuffer(bad), 0, bad.length));
        assertTrue(view.answerParameterProblem());
        Icmpv6Repr.ParameterProblem problem = Icmpv6Repr.ParameterProblem.quoting(view);
        assertEquals(2, problem.code());
        assertEquals(42, problem.pointer());
        assertArrayEquals(bad, HexLiteral.toArray(problem.original()));
        assertEquals("ICMP6, parameter problem, code 2, pointer 42, length 64", problem.toString());

        byte[] frame = Ipv6TestPackets.frame(packetOf(problem, GATEWAY, GUEST, 64));
        EthernetPacket eth = EthernetPacket.newPacket(frame, 0, frame.length);
        IcmpV6CommonPacket common = eth.get(IcmpV6CommonPacket.class);
        assertEquals(IcmpV6Code.UNRECOGNIZED_IP_V6_OPT, common.getHeader().getCode());
        assertTrue(common.hasValidChecksum(GATEWAY.toInetAddress(), GUEST.toInetAddress(), false));
        assertEquals(42, eth.get(IcmpV6ParameterProblemPacket.class).getHeader().getPointer());

        byte[] good = ipv6(58, 64, GUEST, GATEWAY, HexLiteral.bytes("80 00 00 00 00 01 00 01"));
        assertEquals(null, view.wrap(Unpooled.wrappedBuffer(good), 0, good.length));
        assertThrows(IllegalStateException.class, () -> Icmpv6Repr.ParameterProblem.quoting(view));
    }

    @Test
    void truncatedBadChecksumAndUnsupported() {
        byte[] packet = packetOf(new Icmpv6Repr.EchoRequest(1, 2, Unpooled.wrappedBuffer(new byte[9])), GUEST,
                GATEWAY, 64);
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        for (int n = 0; n < 8; n++) {
            assertEquals(ParseError.TRUNCATED, Icmpv6Packet.checked(buf, 40, n).error());
        }
        for (int n = 8; n < 17; n++) {
            // Shorter than the IP packet says: the checksum over the shorter message cannot verify.
            assertEquals(ParseError.BAD_CHECKSUM,
                    Icmpv6Repr.parse(ok(Icmpv6Packet.checked(buf, 40, n)), GUEST, GATEWAY).error(), "length " + n);
        }
        assertTrue(ok(Icmpv6Repr.parse(ok(Icmpv6Packet.checked(buf, 40, 17)), GUEST, GATEWAY)) != null);
        packet[56] ^= 1; // a data bit
        assertEquals(ParseError.BAD_CHECKSUM,
                Icmpv6Repr.parse(ok(Icmpv6Packet.checked(buf, 40, 17)), GUEST, GATEWAY).error());

        // MLD (type 130) is well formed but not handled.
        byte[] mld = new byte[24];
        mld[0] = (byte) 130;
        ByteBuf mldBuf = Unpooled.wrappedBuffer(mld);
        int sum = Checksum.pseudoHeaderIpv6(GUEST.high(), GUEST.low(), GATEWAY.high(), GATEWAY.low(), 58, 24);
        mldBuf.setShort(2, Checksum.finish(Checksum.partial(mldBuf, 0, 24, sum)));
        assertEquals(ParseError.UNSUPPORTED,
                Icmpv6Repr.parse(ok(Icmpv6Packet.checked(mldBuf, 0, 24)), GUEST, GATEWAY).error());
        assertTrue(Icmpv6Packet.isErrorType(4));
        assertTrue(!Icmpv6Packet.isErrorType(128));
    }
}
