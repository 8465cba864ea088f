package io.userv2.stack.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UdpPacket;
import org.pcap4j.packet.namednumber.IpNumber;

/** {@link Ipv4Quote}: the fields Linux matches an ICMP error on, checked against pcap4j. */
class Ipv4QuoteTest {
    static final Ipv4Address GUEST = Ipv4Address.parse("192.168.104.3");
    static final Ipv4Address REMOTE = Ipv4Address.parse("198.51.100.7");

    static byte[] bytes(Ipv4Quote quote) {
        ByteBuf buf = quote.toBuffer(UnpooledByteBufAllocator.DEFAULT);
        try {
            assertEquals(Ipv4Quote.LENGTH, buf.readableBytes());
            return HexLiteral.toArray(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void udpQuoteIsTheHeaderAndTheUdpHeaderWithoutChecksum() throws Exception {
        Ipv4Quote quote = Ipv4Quote.udp(GUEST, 40000, REMOTE, 53, 100);
        byte[] b = bytes(quote);
        assertEquals("IP 192.168.104.3.40000 > 198.51.100.7.53: UDP, length 100", quote.toString());
        // The header verifies and the fields are where Linux reads them; Total Length is the original's, so a
        // packet view sees the quote as truncated, as any reader of ICMP quotes must expect.
        ByteBuf buf = Unpooled.wrappedBuffer(b);
        assertEquals(ParseError.TRUNCATED, Ipv4Packet.checked(buf, 0, b.length).error());
        assertEquals(0, Checksum.compute(buf, 0, 20), "header checksum");
        assertEquals(0x45, buf.getUnsignedByte(0));
        assertEquals(20 + 8 + 100, buf.getUnsignedShort(2), "Total Length: the original's");
        assertEquals(IpProtocol.UDP_NUMBER, buf.getUnsignedByte(9));
        assertEquals(0, buf.getUnsignedShort(6) & 0x3FFF, "not a fragment");
        assertEquals(GUEST.bits(), buf.getInt(12));
        assertEquals(REMOTE.bits(), buf.getInt(16));
        assertEquals(40000, buf.getUnsignedShort(20));
        assertEquals(53, buf.getUnsignedShort(22));
        assertEquals(108, buf.getUnsignedShort(24), "UDP Length");
        assertEquals(0, buf.getUnsignedShort(26), "UDP checksum 0: not computed");

        // pcap4j's reading of the same bytes (the payload is cut short, as in every ICMP quote).
        IpV4Packet.IpV4Header header = IpV4Packet.newPacket(b, 0, b.length).getHeader();
        assertTrue(header.hasValidChecksum(false));
        assertEquals("/" + GUEST, header.getSrcAddr().toString());
        assertEquals("/" + REMOTE, header.getDstAddr().toString());
        assertEquals(IpNumber.UDP, header.getProtocol());
        assertFalse(header.getMoreFragmentFlag());
        assertEquals(0, header.getFragmentOffset());
        UdpPacket.UdpHeader udp = UdpPacket.newPacket(b, 20, 8).getHeader();
        assertEquals(40000, udp.getSrcPort().valueAsInt());
        assertEquals(53, udp.getDstPort().valueAsInt());
        assertEquals(108, udp.getLengthAsInt());
    }

    @Test
    void tcpQuoteCarriesPortsAndSequenceNumber() throws Exception {
        SeqNumber isn = SeqNumber.ofUnsigned(0xFEDC_BA98L);
        Ipv4Quote quote = Ipv4Quote.tcp(GUEST, 51000, REMOTE, 443, isn);
        byte[] b = bytes(quote);
        assertEquals("IP 192.168.104.3.51000 > 198.51.100.7.443: TCP, seq 4275878552", quote.toString());
        ByteBuf buf = Unpooled.wrappedBuffer(b);
        assertEquals(0, Checksum.compute(buf, 0, 20));
        assertEquals(IpProtocol.TCP_NUMBER, buf.getUnsignedByte(9));
        assertEquals(0xFEDC_BA98, buf.getInt(24));

        IpV4Packet.IpV4Header header = IpV4Packet.newPacket(b, 0, b.length).getHeader();
        assertTrue(header.hasValidChecksum(false));
        assertEquals(IpNumber.TCP, header.getProtocol());
        assertTrue(header.getDontFragmentFlag());
        assertEquals("/" + GUEST, header.getSrcAddr().toString());
        assertEquals("/" + REMOTE, header.getDstAddr().toString());
        // pcap4j needs a whole TCP header: pad the 8 quoted bytes with a zero data offset to check its reading.
        byte[] tcp = new byte[20];
        System.arraycopy(b, 20, tcp, 0, 8);
        tcp[12] = 0x50;
        TcpPacket.TcpHeader t = TcpPacket.newPacket(tcp, 0, 20).getHeader();
        assertEquals(51000, t.getSrcPort().valueAsInt());
        assertEquals(443, t.getDstPort().valueAsInt());
        assertEquals(0xFEDC_BA98L, t.getSequenceNumberAsLong());
    }

    @Test
    void emitWritesAtAnOffsetWithoutMovingIndices() {
        ByteBuf buf = Unpooled.buffer(40);
        assertEquals(28, Ipv4Quote.udp(GUEST, 1, REMOTE, 2, 0).emit(buf, 5));
        assertEquals(0, buf.writerIndex());
        assertEquals(GUEST.bits(), buf.getInt(5 + 12));
        assertArrayEquals(new byte[] {0, 1, 0, 2, 0, 8, 0, 0}, HexLiteral.toArray(buf.slice(25, 8)));
    }

    @Test
    void rangesAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> Ipv4Quote.udp(GUEST, 65536, REMOTE, 53, 0));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Quote.udp(GUEST, 1, REMOTE, 53, 65508));
        assertEquals(20 + 65535 - 20, Ipv4Quote.udp(GUEST, 1, REMOTE, 53, 65507).header().totalLength());
    }
}
