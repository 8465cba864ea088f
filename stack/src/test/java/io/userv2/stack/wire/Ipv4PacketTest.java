package io.userv2.stack.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;

class Ipv4PacketTest {
    /** An ICMP echo request whose IPv4 header carries a Router Alert option (IHL 6), inside a 60-byte frame. */
    static final String ECHO_WITH_OPTIONS_FRAME = """
            5a 94 ef e4 0c dd  52 55 55 12 34 56  08 00        # Ethernet: VM -> gateway, IPv4
            46                 # version 4, IHL 6 (24 bytes)
            00                 # TOS
            00 30              # total length 48 = 24 header + 24 ICMP
            ab cd              # identification
            40 00              # flags DF, fragment offset 0
            40                 # TTL 64
            01                 # protocol ICMP
            a8 a4              # header checksum
            c0 a8 68 03        # source 192.168.104.3
            c0 a8 68 02        # destination 192.168.104.2
            94 04 00 00        # option: Router Alert (RFC 2113)
            08 00 2d 0a        # ICMP echo request, code 0, checksum
            12 34 00 01        # identifier 0x1234, sequence 1
            10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f   # 16 bytes of data
            """;

    static final int IP = 14;

    static Ipv4Packet ipv4(byte[] frame) {
        return Ipv4Packet.checked(EthernetFrame.checked(Unpooled.wrappedBuffer(frame)).orNull()).orNull();
    }

    @Test
    void parsesHeaderWithOptions() {
        Ipv4Packet ip = ipv4(HexLiteral.bytes(ECHO_WITH_OPTIONS_FRAME));
        assertEquals(4, ip.version());
        assertEquals(6, ip.ihl());
        assertEquals(24, ip.headerLength());
        assertEquals(4, ip.optionsLength());
        assertEquals(48, ip.totalLength());
        assertEquals(0xabcd, ip.identification());
        assertTrue(ip.dontFragment());
        assertFalse(ip.moreFragments());
        assertFalse(ip.isFragment());
        assertEquals(64, ip.ttl());
        assertEquals(IpProtocol.ICMP, ip.protocol());
        assertTrue(ip.verifyChecksum());
        assertEquals(Ipv4Address.parse("192.168.104.3").bits(), ip.source());
        assertEquals(Ipv4Address.parse("192.168.104.2").bits(), ip.destination());
        assertEquals(IP + 24, ip.payloadOffset(), "payload starts after the options");
        assertEquals(24, ip.payloadLength());
        assertEquals(8, ip.payload().getUnsignedByte(0), "ICMP type at the payload start");
        assertEquals("IP (tos 0x0, ttl 64, id 43981, offset 0, flags [DF], proto ICMP (1), length 48, options 4 bytes)"
                + " 192.168.104.3 > 192.168.104.2", ip.toString());
    }

    @Test
    void ethernetPaddingAfterTotalLengthIsIgnored() {
        byte[] frame = Arrays.copyOf(HexLiteral.bytes(ECHO_WITH_OPTIONS_FRAME), 80); // 18 bytes of padding
        Ipv4Packet ip = ipv4(frame);
        assertEquals(48, ip.length());
        assertEquals(24, ip.payloadLength());
        assertTrue(Ipv4Repr.parse(ip).isOk());
    }

    @Test
    void reprParsesAndDropsOptions() {
        Ipv4Repr repr = Ipv4Repr.parse(ipv4(HexLiteral.bytes(ECHO_WITH_OPTIONS_FRAME))).orNull();
        assertEquals(new Ipv4Repr(Ipv4Address.parse("192.168.104.3"), Ipv4Address.parse("192.168.104.2"),
                IpProtocol.ICMP, 24, 64, 0xabcd, true, 0), repr);
        assertEquals(44, repr.totalLength());
    }

    @Test
    void truncatedAtEveryLength() {
        byte[] packet = Arrays.copyOfRange(HexLiteral.bytes(ECHO_WITH_OPTIONS_FRAME), IP, IP + 48);
        for (int n = 0; n < 48; n++) {
            ParseResult<Ipv4Packet> r = Ipv4Packet.checked(Unpooled.wrappedBuffer(packet), 0, n);
            assertEquals(ParseError.TRUNCATED, r.error(), "length " + n);
        }
        assertTrue(Ipv4Packet.checked(Unpooled.wrappedBuffer(packet), 0, 48).isOk());
    }

    @Test
    void lyingHeaderFields() {
        byte[] packet = Arrays.copyOfRange(HexLiteral.bytes(ECHO_WITH_OPTIONS_FRAME), IP, IP + 48);
        assertEquals(ParseError.MALFORMED, check(packet, 0, 0x44), "IHL 4 < 5");
        assertEquals(ParseError.MALFORMED, check(packet, 0, 0x40), "IHL 0");
        assertEquals(ParseError.MALFORMED, check(packet, 0, 0x66), "version 6");
        assertEquals(ParseError.TRUNCATED, check(packet, 0, 0x4f), "IHL 15 = 60 bytes > 48 available");
        assertEquals(ParseError.MALFORMED, checkShort(packet, 2, 20), "total length < IHL*4");
        assertEquals(ParseError.TRUNCATED, checkShort(packet, 2, 49), "total length > available");
        assertEquals(ParseError.TRUNCATED, checkShort(packet, 2, 0xffff), "total length > available");
        assertTrue(Ipv4Packet.checked(Unpooled.copiedBuffer(packet).setShort(2, 24), 0, 48).isOk(),
                "total length == IHL*4: empty payload");
    }

    @Test
    void badChecksumIsReportedByRepr() {
        byte[] frame = HexLiteral.bytes(ECHO_WITH_OPTIONS_FRAME);
        frame[IP + 8] = 63; // TTL changed, checksum not
        Ipv4Packet ip = ipv4(frame);
        assertFalse(ip.verifyChecksum());
        assertEquals(ParseError.BAD_CHECKSUM, Ipv4Repr.parse(ip).error());
        frame[IP + 8] = 64;
        frame[IP + 22] = 1; // an option byte: the checksum covers the options too
        assertEquals(ParseError.BAD_CHECKSUM, Ipv4Repr.parse(ipv4(frame)).error());
    }

    @Test
    void fragmentsAreRecognised() {
        Ipv4Repr repr = new Ipv4Repr(Ipv4Address.parse("10.0.0.1"), Ipv4Address.parse("10.0.0.2"), IpProtocol.UDP,
                8, 64);
        ByteBuf buf = Unpooled.buffer(28);
        repr.emit(buf, 0);
        buf.writerIndex(28);
        for (int flags : new int[] {Ipv4Packet.FLAG_MF, 185, Ipv4Packet.FLAG_MF | 1}) {
            ByteBuf frag = buf.copy().setShort(6, flags);
            frag.setShort(10, 0).setShort(10, Checksum.compute(frag, 0, 20));
            Ipv4Packet ip = Ipv4Packet.checked(frag, 0, 28).orNull();
            assertTrue(ip.isFragment());
            assertEquals((flags & 0x1fff) * 8, ip.fragmentOffsetBytes());
            assertEquals(ParseError.UNSUPPORTED, Ipv4Repr.parse(ip).error());
        }
        assertFalse(Ipv4Packet.checked(buf.copy().setShort(6, Ipv4Packet.FLAG_DF), 0, 28).orNull().isFragment());
    }

    @Test
    void roundTripAndPcap4jAgrees() throws Exception {
        Ipv4Repr repr = new Ipv4Repr(Ipv4Address.parse("192.168.104.2"), Ipv4Address.parse("203.0.113.8"),
                IpProtocol.of(253), 12, 17, 0x4321, true, 0xb8);
        ByteBuf out = Unpooled.buffer(14 + 32);
        int offset = new EthernetRepr(MacAddress.parse("52:55:55:00:00:09"), MacAddress.parse("5a:94:ef:e4:0c:dd"),
                EtherType.IPV4).emit(out, 0);
        repr.emit(out, offset);
        out.writerIndex(14 + 32);
        Ipv4Packet parsed = Ipv4Packet.checked(out, 14, 32).orNull();
        assertTrue(parsed.verifyChecksum());
        assertEquals(repr, Ipv4Repr.parse(parsed).orNull());
        assertEquals("IP (tos 0xb8, ttl 17, id 17185, offset 0, flags [DF], proto proto-253 (253), length 32)"
                + " 192.168.104.2 > 203.0.113.8", repr.toString());

        byte[] bytes = HexLiteral.toArray(out);
        IpV4Packet.IpV4Header header = EthernetPacket.newPacket(bytes, 0, bytes.length).get(IpV4Packet.class)
                .getHeader();
        assertTrue(header.hasValidChecksum(false));
        assertEquals(5, header.getIhlAsInt());
        assertEquals(32, header.getTotalLengthAsInt());
        assertEquals(0x4321, header.getIdentificationAsInt());
        assertTrue(header.getDontFragmentFlag());
        assertEquals(17, header.getTtlAsInt());
        assertEquals((byte) 253, header.getProtocol().value());
        assertEquals("/192.168.104.2", header.getSrcAddr().toString());
        assertEquals("/203.0.113.8", header.getDstAddr().toString());
    }

    @Test
    void pcap4jAgreesOnTheOptionsLiteral() throws Exception {
        byte[] frame = HexLiteral.bytes(ECHO_WITH_OPTIONS_FRAME);
        IpV4Packet.IpV4Header header = EthernetPacket.newPacket(frame, 0, frame.length).get(IpV4Packet.class)
                .getHeader();
        assertTrue(header.hasValidChecksum(false));
        assertEquals(6, header.getIhlAsInt());
    }

    @Test
    void unknownProtocolIsKept() {
        IpProtocol p = IpProtocol.of(132);
        assertEquals(132, p.number());
        assertEquals("proto-132", p.toString());
        assertTrue(IpProtocol.of(17) == IpProtocol.UDP);
    }

    private static ParseError check(byte[] packet, int index, int value) {
        ByteBuf buf = Unpooled.copiedBuffer(packet).setByte(index, value);
        return Ipv4Packet.checked(buf, 0, packet.length).error();
    }

    private static ParseError checkShort(byte[] packet, int index, int value) {
        ByteBuf buf = Unpooled.copiedBuffer(packet).setShort(index, value);
        return Ipv4Packet.checked(buf, 0, packet.length).error();
    }

    @Test
    void literalBytesUnchangedByParsing() {
        byte[] frame = HexLiteral.bytes(ECHO_WITH_OPTIONS_FRAME);
        byte[] copy = frame.clone();
        Ipv4Repr.parse(ipv4(frame));
        assertArrayEquals(copy, frame);
    }
}
