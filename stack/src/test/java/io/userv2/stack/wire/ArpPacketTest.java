package io.userv2.stack.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.ArpPacket.ArpHeader;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.namednumber.ArpHardwareType;

class ArpPacketTest {
    /** A real ARP request as a NIC delivers it: 42 bytes padded with zeros to the 60-byte minimum. */
    static final String PADDED_REQUEST = """
            ff ff ff ff ff ff          # destination: broadcast
            52 55 55 12 34 56          # source: the VM
            08 06                      # EtherType ARP
            00 01                      # hardware type: Ethernet
            08 00                      # protocol type: IPv4
            06 04                      # hlen 6, plen 4
            00 01                      # operation: request
            52 55 55 12 34 56          # sender hardware address
            c0 a8 68 03                # sender protocol address 192.168.104.3
            00 00 00 00 00 00          # target hardware address (unknown)
            c0 a8 68 02                # target protocol address 192.168.104.2
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # 18 bytes of Ethernet padding
            """;

    static ArpPacket arp(ByteBuf frame) {
        return ArpPacket.checked(EthernetFrame.checked(frame).orNull()).orNull();
    }

    @Test
    void parsesPaddedRequest() {
        ByteBuf buf = HexLiteral.buffer(PADDED_REQUEST);
        assertEquals(60, buf.readableBytes());
        ArpPacket arp = arp(buf);
        assertEquals(ArpOperation.REQUEST, arp.operation());
        assertEquals(28, arp.length());
        ArpRepr repr = ArpRepr.parse(arp);
        assertEquals(new ArpRepr(ArpOperation.REQUEST, MacAddress.parse("52:55:55:12:34:56"),
                Ipv4Address.parse("192.168.104.3"), MacAddress.ZERO, Ipv4Address.parse("192.168.104.2")), repr);
        assertEquals("ARP, Request who-has 192.168.104.2 tell 192.168.104.3 (52:55:55:12:34:56)", repr.toString());
    }

    @Test
    void replyToSwapsFieldsPerRfc826() {
        ArpRepr request = ArpRepr.parse(arp(HexLiteral.buffer(PADDED_REQUEST)));
        ArpRepr reply = ArpRepr.replyTo(request, MacAddress.parse("5a:94:ef:e4:0c:dd"));
        assertEquals(ArpOperation.REPLY, reply.operation());
        assertEquals("5a:94:ef:e4:0c:dd", reply.senderHardwareAddress().toString());
        assertEquals("192.168.104.2", reply.senderProtocolAddress().toString());
        assertEquals("52:55:55:12:34:56", reply.targetHardwareAddress().toString());
        assertEquals("192.168.104.3", reply.targetProtocolAddress().toString());
        assertEquals("ARP, Reply 192.168.104.2 is-at 5a:94:ef:e4:0c:dd (to 192.168.104.3 52:55:55:12:34:56)",
                reply.toString());
    }

    @Test
    void roundTrip() {
        byte[] original = HexLiteral.bytes(PADDED_REQUEST);
        ArpRepr repr = ArpRepr.parse(arp(Unpooled.wrappedBuffer(original)));
        ByteBuf out = Unpooled.buffer(28);
        assertEquals(28, repr.emit(out, 0));
        out.writerIndex(28);
        assertArrayEquals(java.util.Arrays.copyOfRange(original, 14, 42), HexLiteral.toArray(out));
        assertEquals(repr, ArpRepr.parse(ArpPacket.checked(out, 0, 28).orNull()));
    }

    @Test
    void truncatedAtEveryLength() {
        byte[] payload = java.util.Arrays.copyOfRange(HexLiteral.bytes(PADDED_REQUEST), 14, 42);
        for (int n = 0; n < 28; n++) {
            assertEquals(ParseError.TRUNCATED, ArpPacket.checked(Unpooled.wrappedBuffer(payload), 0, n).error(),
                    "length " + n);
        }
        assertTrue(ArpPacket.checked(Unpooled.wrappedBuffer(payload), 0, 28).isOk());
    }

    @Test
    void otherHardwareOrProtocolIsUnsupported() {
        byte[] payload = java.util.Arrays.copyOfRange(HexLiteral.bytes(PADDED_REQUEST), 14, 42);
        ByteBuf ieee802 = Unpooled.copiedBuffer(payload).setShort(0, 6);  // hardware type 6: IEEE 802
        assertEquals(ParseError.UNSUPPORTED, ArpPacket.checked(ieee802, 0, 28).error());
        ByteBuf ipv6 = Unpooled.copiedBuffer(payload).setShort(2, 0x86dd);
        assertEquals(ParseError.UNSUPPORTED, ArpPacket.checked(ipv6, 0, 28).error());
        ByteBuf badLength = Unpooled.copiedBuffer(payload).setByte(4, 8);
        assertEquals(ParseError.MALFORMED, ArpPacket.checked(badLength, 0, 28).error());
    }

    @Test
    void unknownOperationIsKept() {
        byte[] payload = java.util.Arrays.copyOfRange(HexLiteral.bytes(PADDED_REQUEST), 14, 42);
        ByteBuf rarp = Unpooled.copiedBuffer(payload).setShort(6, 3);
        ArpOperation op = ArpPacket.checked(rarp, 0, 28).orNull().operation();
        assertEquals(3, op.code());
        assertEquals("op-3", op.toString());
    }

    @Test
    void pcap4jDecodesWhatWeEmit() throws Exception {
        ArpRepr repr = ArpRepr.request(MacAddress.parse("5a:94:ef:e4:0c:dd"), Ipv4Address.parse("192.168.104.2"),
                Ipv4Address.parse("192.168.104.7"));
        EthernetRepr eth = new EthernetRepr(MacAddress.BROADCAST, repr.senderHardwareAddress(), EtherType.ARP);
        ByteBuf out = Unpooled.buffer(42);
        repr.emit(out, eth.emit(out, 0));
        out.writerIndex(42);
        byte[] bytes = HexLiteral.toArray(out);
        EthernetPacket packet = EthernetPacket.newPacket(bytes, 0, bytes.length);
        ArpHeader header = packet.get(org.pcap4j.packet.ArpPacket.class).getHeader();
        assertEquals(ArpHardwareType.ETHERNET, header.getHardwareType());
        assertEquals(org.pcap4j.packet.namednumber.ArpOperation.REQUEST, header.getOperation());
        assertEquals("5a:94:ef:e4:0c:dd", header.getSrcHardwareAddr().toString());
        assertEquals("/192.168.104.2", header.getSrcProtocolAddr().toString());
        assertEquals("00:00:00:00:00:00", header.getDstHardwareAddr().toString());
        assertEquals("/192.168.104.7", header.getDstProtocolAddr().toString());
    }
}
