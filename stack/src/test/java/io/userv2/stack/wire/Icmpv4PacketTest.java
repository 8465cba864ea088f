package io.userv2.stack.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4DestinationUnreachablePacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.UdpPacket;
import org.pcap4j.packet.namednumber.IcmpV4Code;
import org.pcap4j.packet.namednumber.IcmpV4Type;

class Icmpv4PacketTest {
    static Icmpv4Packet icmpOfLiteral() {
        Ipv4Packet ip = Ipv4PacketTest.ipv4(HexLiteral.bytes(Ipv4PacketTest.ECHO_WITH_OPTIONS_FRAME));
        return Icmpv4Packet.checked(ip).orNull();
    }

    @Test
    void parsesEchoRequestBehindIpOptions() {
        Icmpv4Packet icmp = icmpOfLiteral();
        assertEquals(Icmpv4Packet.TYPE_ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0x2d0a, icmp.checksum());
        assertTrue(icmp.verifyChecksum());
        assertEquals(0x1234, icmp.echoIdentifier());
        assertEquals(1, icmp.echoSequence());
        assertEquals(16, icmp.dataLength());
        Icmpv4Repr repr = Icmpv4Repr.parse(icmp).orNull();
        Icmpv4Repr.EchoRequest echo = assertInstanceOf(Icmpv4Repr.EchoRequest.class, repr);
        assertEquals(0x10, echo.data().getByte(0));
        assertEquals("ICMP echo request, id 4660, seq 1, length 24", echo.toString());
    }

    @Test
    void truncatedAndBadChecksum() {
        byte[] message = Arrays.copyOfRange(HexLiteral.bytes(Ipv4PacketTest.ECHO_WITH_OPTIONS_FRAME), 38, 62);
        for (int n = 0; n < 8; n++) {
            assertEquals(ParseError.TRUNCATED, Icmpv4Packet.checked(Unpooled.wrappedBuffer(message), 0, n).error());
        }
        for (int n = 8; n < 24; n++) {
            // Shorter than the IP packet says: the checksum over the shorter message cannot verify.
            assertEquals(ParseError.BAD_CHECKSUM,
                    Icmpv4Repr.parse(Icmpv4Packet.checked(Unpooled.wrappedBuffer(message), 0, n).orNull()).error());
        }
        message[23] ^= 1; // flip a data bit
        assertEquals(ParseError.BAD_CHECKSUM,
                Icmpv4Repr.parse(Icmpv4Packet.checked(Unpooled.wrappedBuffer(message), 0, 24).orNull()).error());
    }

    @Test
    void unsupportedTypes() {
        ByteBuf timeExceeded = Unpooled.buffer(8).writeByte(11).writeByte(0).writeShort(0).writeInt(0);
        timeExceeded.setShort(2, Checksum.compute(timeExceeded, 0, 8));
        assertEquals(ParseError.UNSUPPORTED,
                Icmpv4Repr.parse(Icmpv4Packet.checked(timeExceeded, 0, 8).orNull()).error());
    }

    @Test
    void roundTripEchoRequestAndReply() {
        ByteBuf data = Unpooled.copiedBuffer("abcdefghijklmnopqrstuvwxyz", StandardCharsets.US_ASCII); // odd? 26
        for (Icmpv4Repr repr : new Icmpv4Repr[] {
                new Icmpv4Repr.EchoRequest(7, 65535, data), new Icmpv4Repr.EchoReply(65535, 0, data.slice(0, 25)),
                new Icmpv4Repr.EchoReply(1, 2, Unpooled.EMPTY_BUFFER)}) {
            ByteBuf out = Unpooled.buffer(repr.bufferLength());
            int n = repr.emit(out, 0);
            out.writerIndex(n);
            assertEquals(repr.bufferLength(), n);
            Icmpv4Packet parsed = Icmpv4Packet.checked(out, 0, n).orNull();
            assertTrue(parsed.verifyChecksum());
            assertEquals(repr, Icmpv4Repr.parse(parsed).orNull());
        }
        assertEquals(0, data.readerIndex(), "emit must not consume the data buffer");
    }

    @Test
    void echoReplyInFullFrameVerifiedByPcap4j() throws Exception {
        Icmpv4Packet request = icmpOfLiteral();
        Icmpv4Repr.EchoReply reply = ((Icmpv4Repr.EchoRequest) Icmpv4Repr.parse(request).orNull()).reply();
        byte[] frame = frame(Ipv4Address.parse("192.168.104.2"), Ipv4Address.parse("192.168.104.3"), reply);
        EthernetPacket packet = EthernetPacket.newPacket(frame, 0, frame.length);
        assertTrue(packet.get(IpV4Packet.class).getHeader().hasValidChecksum(false));
        IcmpV4CommonPacket icmp = packet.get(IcmpV4CommonPacket.class);
        assertEquals(IcmpV4Type.ECHO_REPLY, icmp.getHeader().getType());
        assertTrue(icmp.hasValidChecksum(false));
        IcmpV4EchoReplyPacket echo = packet.get(IcmpV4EchoReplyPacket.class);
        assertEquals(0x1234, echo.getHeader().getIdentifierAsInt());
        assertEquals(1, echo.getHeader().getSequenceNumberAsInt());
        assertArrayEquals(HexLiteral.toArray(request.data()), echo.getPayload().getRawData());
    }

    @Test
    void destinationUnreachableQuotesHeaderPlus8BytesAndPcap4jAgrees() throws Exception {
        // The offending datagram: UDP 192.168.104.3:5353 -> 192.168.104.2:9 with 12 bytes of data.
        Ipv4Repr offendingHeader = new Ipv4Repr(Ipv4Address.parse("192.168.104.3"), Ipv4Address.parse("192.168.104.2"),
                IpProtocol.UDP, 20, 64);
        ByteBuf offending = Unpooled.buffer(40);
        offendingHeader.emit(offending, 0);
        offending.setShort(20, 5353).setShort(22, 9).setShort(24, 20).setShort(26, 0);
        offending.writerIndex(40);
        Ipv4Packet offendingView = Ipv4Packet.checked(offending, 0, 40).orNull();

        Icmpv4Repr.DestinationUnreachable unreachable = Icmpv4Repr.DestinationUnreachable.quoting(
                Icmpv4Packet.CODE_PORT_UNREACHABLE, 0, offendingView);
        assertEquals(8 + 20 + 8, unreachable.bufferLength());
        assertEquals("ICMP port unreachable, length 36", unreachable.toString());

        byte[] frame = frame(Ipv4Address.parse("192.168.104.2"), Ipv4Address.parse("192.168.104.3"), unreachable);
        Icmpv4Repr reparsed = Icmpv4Repr.parse(Icmpv4Packet.checked(Unpooled.wrappedBuffer(frame), 34, 36).orNull())
                .orNull();
        assertEquals(unreachable, reparsed);

        EthernetPacket packet = EthernetPacket.newPacket(frame, 0, frame.length);
        IcmpV4CommonPacket icmp = packet.get(IcmpV4CommonPacket.class);
        assertTrue(icmp.hasValidChecksum(false));
        assertEquals(IcmpV4Type.DESTINATION_UNREACHABLE, icmp.getHeader().getType());
        assertEquals(IcmpV4Code.PORT_UNREACHABLE, icmp.getHeader().getCode());
        IcmpV4DestinationUnreachablePacket du = packet.get(IcmpV4DestinationUnreachablePacket.class);
        IpV4Packet quoted = du.getPayload().get(IpV4Packet.class);
        assertEquals("/192.168.104.3", quoted.getHeader().getSrcAddr().toString());
        assertEquals(5353, quoted.get(UdpPacket.class).getHeader().getSrcPort().valueAsInt());
    }

    @Test
    void fragmentationNeededCarriesNextHopMtu() {
        ByteBuf offending = Unpooled.buffer(20);
        new Ipv4Repr(Ipv4Address.parse("10.0.0.1"), Ipv4Address.parse("10.0.0.2"), IpProtocol.TCP, 0, 64)
                .emit(offending, 0);
        offending.writerIndex(20);
        Icmpv4Repr.DestinationUnreachable du = Icmpv4Repr.DestinationUnreachable.quoting(
                Icmpv4Packet.CODE_FRAGMENTATION_NEEDED, 1400, Ipv4Packet.checked(offending, 0, 20).orNull());
        assertEquals(28, du.bufferLength(), "payload shorter than 8 bytes: quote what there is");
        ByteBuf out = Unpooled.buffer(28);
        du.emit(out, 0);
        out.writerIndex(28);
        Icmpv4Packet view = Icmpv4Packet.checked(out, 0, 28).orNull();
        assertEquals(1400, view.nextHopMtu());
        assertEquals(du, Icmpv4Repr.parse(view).orNull());
    }

    static byte[] frame(Ipv4Address src, Ipv4Address dst, Icmpv4Repr icmp) {
        Ipv4Repr ip = new Ipv4Repr(src, dst, IpProtocol.ICMP, icmp.bufferLength(), 64);
        ByteBuf out = Unpooled.buffer(14 + ip.totalLength());
        int offset = new EthernetRepr(MacAddress.parse("52:55:55:12:34:56"), MacAddress.parse("5a:94:ef:e4:0c:dd"),
                EtherType.IPV4).emit(out, 0);
        offset += ip.emit(out, offset);
        icmp.emit(out, offset);
        out.writerIndex(14 + ip.totalLength());
        return HexLiteral.toArray(out);
    }
}
