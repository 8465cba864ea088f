package io.userv2.stack.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.Dot1qVlanTagPacket;
import org.pcap4j.packet.EthernetPacket;

class EthernetFrameTest {
    static final String UNTAGGED = """
            5a 94 ef e4 0c dd          # destination: the gateway
            52 55 55 12 34 56          # source: a Lima VM
            08 00                      # EtherType IPv4
            45 00 00 14 00 00 40 00 40 ff 00 00 c0 a8 68 03 c0 a8 68 02   # 20-byte IPv4 header (unchecked here)
            """;

    static final String TAGGED = """
            ff ff ff ff ff ff          # destination: broadcast
            52 55 55 12 34 56          # source
            81 00                      # TPID 802.1Q
            a0 05                      # PCP 5, DEI 0, VID 5
            08 06                      # inner EtherType ARP
            00 01 08 00 06 04 00 01    # ARP payload start (truncated, fine for the Ethernet view)
            """;

    @Test
    void parsesUntaggedFrame() {
        ByteBuf buf = HexLiteral.buffer(UNTAGGED);
        EthernetFrame frame = EthernetFrame.checked(buf).orNull();
        assertEquals(MacAddress.parse("5a:94:ef:e4:0c:dd").bits(), frame.destination());
        assertEquals(MacAddress.parse("52:55:55:12:34:56").bits(), frame.source());
        assertEquals(EtherType.IPV4, frame.etherType());
        assertEquals(EtherType.IPV4, frame.payloadEtherType());
        assertFalse(frame.isVlanTagged());
        assertNull(frame.vlanTag());
        assertEquals(-1, frame.vlanId());
        assertEquals(14, frame.payloadOffset());
        assertEquals(20, frame.payloadLength());
        assertEquals("52:55:55:12:34:56 > 5a:94:ef:e4:0c:dd, ethertype IPv4 (0x0800)",
                EthernetRepr.parse(frame).toString());
    }

    @Test
    void parsesVlanTaggedFrame() {
        ByteBuf buf = HexLiteral.buffer(TAGGED);
        EthernetFrame frame = EthernetFrame.checked(buf).orNull();
        assertTrue(frame.isVlanTagged());
        assertEquals(EtherType.VLAN, frame.etherType());
        assertEquals(EtherType.ARP, frame.payloadEtherType());
        assertEquals(5, frame.vlanId());
        assertEquals(5, frame.vlanPriority());
        assertEquals(new VlanTag(5, false, 5), frame.vlanTag());
        assertEquals(18, frame.payloadOffset());
        assertEquals(8, frame.payloadLength());
    }

    @Test
    void viewHonoursReaderIndexAndOffset() {
        byte[] frame = HexLiteral.bytes(UNTAGGED);
        ByteBuf buf = Unpooled.buffer().writeZero(7).writeBytes(frame);
        buf.readerIndex(7);
        EthernetFrame view = EthernetFrame.checked(buf).orNull();
        assertEquals(7, view.offset());
        assertEquals(21, view.payloadOffset());
        assertEquals(EtherType.IPV4, view.payloadEtherType());
        assertEquals(7, buf.readerIndex(), "view must not move indices");
    }

    @Test
    void truncatedAtEveryLength() {
        byte[] untagged = HexLiteral.bytes(UNTAGGED);
        for (int n = 0; n < 14; n++) {
            assertEquals(ParseError.TRUNCATED, EthernetFrame.checked(Unpooled.wrappedBuffer(untagged, 0, n)).error());
        }
        byte[] tagged = HexLiteral.bytes(TAGGED);
        for (int n = 0; n < 18; n++) {
            assertEquals(ParseError.TRUNCATED, EthernetFrame.checked(Unpooled.wrappedBuffer(tagged, 0, n)).error(),
                    "length " + n);
        }
        assertTrue(EthernetFrame.checked(Unpooled.wrappedBuffer(tagged, 0, 18)).isOk());
    }

    @Test
    void unknownEtherTypeIsKept() {
        EtherType lldp = EtherType.of(0x88cc);
        assertEquals(0x88cc, lldp.value());
        assertEquals("0x88cc", lldp.toString());
        assertEquals(lldp, EtherType.of(0x88cc));
        assertTrue(EtherType.of(0x0800) == EtherType.IPV4);
        assertTrue(EtherType.of(0x05dc).isLength());
    }

    @Test
    void roundTripUntaggedAndTagged() throws Exception {
        for (String literal : new String[] {UNTAGGED, TAGGED}) {
            byte[] original = HexLiteral.bytes(literal);
            EthernetRepr repr = EthernetRepr.parse(EthernetFrame.checked(Unpooled.wrappedBuffer(original)).orNull());
            ByteBuf out = Unpooled.buffer(original.length);
            int header = repr.emit(out, 0);
            out.writerIndex(original.length);
            out.setBytes(header, original, header, original.length - header);
            assertArrayEquals(original, HexLiteral.toArray(out));
            assertEquals(repr, EthernetRepr.parse(EthernetFrame.checked(out).orNull()));
        }
    }

    @Test
    void pcap4jDecodesWhatWeEmit() throws Exception {
        EthernetRepr repr = new EthernetRepr(MacAddress.BROADCAST, MacAddress.parse("52:55:55:00:00:01"),
                new VlanTag(3, true, 100), EtherType.of(0x88b5));
        ByteBuf out = Unpooled.buffer(60);
        repr.emit(out, 0);
        out.writerIndex(60);
        byte[] bytes = HexLiteral.toArray(out);
        EthernetPacket packet = EthernetPacket.newPacket(bytes, 0, bytes.length);
        assertEquals("ff:ff:ff:ff:ff:ff", packet.getHeader().getDstAddr().toString());
        assertEquals("52:55:55:00:00:01", packet.getHeader().getSrcAddr().toString());
        assertEquals((short) 0x8100, packet.getHeader().getType().value());
        Dot1qVlanTagPacket vlan = packet.get(Dot1qVlanTagPacket.class);
        assertEquals(100, vlan.getHeader().getVidAsInt());
        assertEquals(3, vlan.getHeader().getPriority());
        assertTrue(vlan.getHeader().getCfi());
        assertEquals((short) 0x88b5, vlan.getHeader().getType().value());
    }
}
