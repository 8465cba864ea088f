package io.userv2.stack.wire;

import static io.userv2.stack.wire.TcpUdpTestFrames.buf;
import static io.userv2.stack.wire.TcpUdpTestFrames.bytes;
import static io.userv2.stack.wire.TcpUdpTestFrames.hex;
import static io.userv2.stack.wire.TcpUdpTestFrames.inet;
import static io.userv2.stack.wire.TcpUdpTestFrames.ipv4Frame;
import static io.userv2.stack.wire.TcpUdpTestFrames.ok;
import static io.userv2.stack.wire.TcpUdpTestFrames.zeros;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.UdpPacket.UdpHeader;

class UdpPacketTest {
    private static final int SRC = Ipv4Address.parse("192.168.104.3").bits();
    private static final int DST = Ipv4Address.parse("192.168.104.2").bits();

    /** The UDP part of a real busybox 1.35 udhcpc DISCOVER (see DhcpPacketTest): 0.0.0.0 > 255.255.255.255. */
    static final String UDHCPC_UDP = """
            00 44 00 43 01 34 cd 69   # 68 > 67, length 308, checksum 0xcd69
            """;

    @Test
    void parsesRealUdhcpcDatagramAndVerifiesItsChecksum() {
        byte[] dhcp = DhcpPacketTest.udhcpcDiscover();
        byte[] udp = concat(hex(UDHCPC_UDP), dhcp);
        UdpPacket packet = ok(UdpPacket.checked(buf(udp)));
        assertEquals(68, packet.srcPort());
        assertEquals(67, packet.dstPort());
        assertEquals(308, packet.length());
        assertEquals(300, packet.payloadLength());
        assertEquals(0xcd69, packet.checksum());
        assertTrue(packet.verifyChecksum(0, -1));
        UdpRepr repr = ok(UdpRepr.parse(packet, 0, -1, true));
        assertEquals(new UdpRepr(68, 67, 300), repr);
        assertEquals("68 > 67: UDP, length 300", repr.toString());
    }

    @Test
    void emitRoundTripsAndPcap4jAgrees() throws IllegalRawDataException {
        byte[] payload = "hello, gateway".getBytes(StandardCharsets.US_ASCII);
        UdpRepr repr = new UdpRepr(40000, 53, payload.length);
        ByteBuf out = Unpooled.buffer(repr.totalLength());
        out.setBytes(repr.headerLength(), payload);
        repr.emit(out, 0, SRC, DST);
        out.writerIndex(repr.totalLength());

        UdpPacket packet = ok(UdpPacket.checked(out));
        assertEquals(repr, ok(UdpRepr.parse(packet, SRC, DST, true)));
        assertArrayEquals(payload, bytes(packet.payload()));

        byte[] frame = ipv4Frame(SRC, DST, 17, bytes(out));
        EthernetPacket eth = EthernetPacket.newPacket(frame, 0, frame.length);
        org.pcap4j.packet.UdpPacket udp = eth.get(org.pcap4j.packet.UdpPacket.class);
        UdpHeader h = udp.getHeader();
        assertEquals(40000, h.getSrcPort().valueAsInt());
        assertEquals(53, h.getDstPort().valueAsInt());
        assertEquals(8 + payload.length, h.getLengthAsInt());
        assertTrue(udp.hasValidChecksum(inet(SRC), inet(DST), false));
        assertEquals(inet(SRC), eth.get(IpV4Packet.class).getHeader().getSrcAddr());
        assertArrayEquals(payload, udp.getPayload().getRawData());
    }

    @Test
    void computedZeroChecksumIsSentAsAllOnes() {
        // Find a payload whose checksum computes to 0 by choosing its last word; RFC 768 then sends 0xFFFF.
        UdpRepr repr = new UdpRepr(1000, 2000, 2);
        ByteBuf out = Unpooled.buffer(10);
        repr.emit(out, 0, SRC, DST);
        int checksum = out.getUnsignedShort(6);
        // Adding the checksum value as payload word makes the sum 0xFFFF, i.e. the computed checksum 0.
        out.setShort(8, checksum == 0xFFFF ? 0 : checksum);
        repr.emit(out, 0, SRC, DST);
        out.writerIndex(10);
        assertEquals(0xFFFF, out.getUnsignedShort(6));
        UdpPacket packet = ok(UdpPacket.checked(out));
        assertTrue(packet.verifyChecksum(SRC, DST));
        byte[] udp = bytes(out);
        assertTrue(assertDoesNotThrow(() -> org.pcap4j.packet.UdpPacket.newPacket(udp, 0, udp.length))
                .hasValidChecksum(inet(SRC), inet(DST), false), "pcap4j accepts 0xFFFF as the checksum");
    }

    @Test
    void zeroChecksumMeansNotComputed() {
        byte[] udp = hex("1f 40 00 35 00 0a 00 00 ab cd");
        UdpPacket packet = ok(UdpPacket.checked(buf(udp)));
        assertTrue(packet.verifyChecksum(SRC, DST));
        assertEquals(new UdpRepr(8000, 53, 2), ok(UdpRepr.parse(packet, SRC, DST, true)));
    }

    @Test
    void badChecksumIsReportedAsSuch() {
        UdpRepr repr = new UdpRepr(1234, 53, 4);
        ByteBuf out = Unpooled.buffer(12);
        out.setInt(8, 0xdeadbeef);
        repr.emit(out, 0, SRC, DST);
        out.writerIndex(12);
        assertEquals(ParseError.BAD_CHECKSUM, UdpRepr.parse(ok(UdpPacket.checked(out)), SRC, DST ^ 0x100, true).error(),
                "the pseudo header is covered");
        out.setByte(11, 0xee);
        UdpPacket packet = ok(UdpPacket.checked(out));
        assertEquals(ParseError.BAD_CHECKSUM, UdpRepr.parse(packet, SRC, DST, true).error());
        assertTrue(UdpRepr.parse(packet, SRC, DST, false).isOk(), "checksum check can be skipped");
    }

    @Test
    void trailingBytesAfterLengthAreIgnored() {
        byte[] udp = hex("1f 40 00 35 00 0a 00 00 ab cd" + zeros(6)); // Ethernet padding
        UdpPacket packet = ok(UdpPacket.checked(buf(udp)));
        assertEquals(2, packet.payloadLength());
    }

    @Test
    void truncatedAtEveryLength() {
        byte[] udp = hex("1f 40 00 35 00 0c 00 00 01 02 03 04");
        for (int n = 0; n < udp.length; n++) {
            ParseResult<UdpPacket> r = UdpPacket.checked(buf(udp), 0, n);
            assertEquals(ParseError.TRUNCATED, r.error(), "length " + n);
        }
        assertTrue(UdpPacket.checked(buf(udp)).isOk());
    }

    @Test
    void lyingLengths() {
        assertEquals(ParseError.TRUNCATED, UdpPacket.checked(buf(hex("1f 40 00 35 00 0d 00 00 01 02 03 04"))).error(),
                "length one past the end");
        assertEquals(ParseError.MALFORMED, UdpPacket.checked(buf(hex("1f 40 00 35 00 07 00 00 01 02 03 04"))).error(),
                "length below the header");
        assertEquals(ParseError.MALFORMED, UdpRepr.parse(ok(UdpPacket.checked(buf(hex("1f 40 00 00 00 08 00 00")))),
                SRC, DST, false).error(), "destination port 0");
        assertEquals(ParseError.TRUNCATED, UdpPacket.checked(buf(hex("1f 40 00 35 00 08 00 00")), 4, 8).error(),
                "caller's length past the buffer");
    }

    @Test
    void fuzzNeverThrows() {
        Random random = new Random(768);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[random.nextInt(40)];
            random.nextBytes(b);
            if (b.length >= 6 && random.nextBoolean()) {
                b[4] = 0;
                b[5] = (byte) random.nextInt(b.length + 4);
            }
            ParseResult<UdpPacket> r = UdpPacket.checked(buf(b));
            if (r instanceof ParseResult.Ok<UdpPacket> ok) {
                UdpPacket p = ok.value();
                UdpRepr.parse(p, SRC, DST, true);
                p.toString();
                bytes(p.payload());
            }
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
