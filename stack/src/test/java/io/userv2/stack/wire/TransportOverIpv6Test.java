package io.userv2.stack.wire;

import static io.userv2.stack.wire.Ipv6TestPackets.GATEWAY;
import static io.userv2.stack.wire.Ipv6TestPackets.GUEST;
import static io.userv2.stack.wire.Ipv6TestPackets.ipv6;
import static io.userv2.stack.wire.Ipv6TestPackets.ok;
import static io.userv2.stack.wire.Ipv6TestPackets.referenceChecksum;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.IpV6SimpleFlowLabel;
import org.pcap4j.packet.IpV6SimpleTrafficClass;
import org.pcap4j.packet.TcpMaximumSegmentSizeOption;
import org.pcap4j.packet.UnknownPacket;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;
import org.pcap4j.packet.namednumber.TcpPort;
import org.pcap4j.packet.namednumber.UdpPort;

/** UDP and TCP over IPv6: the checksum over the IPv6 pseudo header (RFC 8200 section 8.1). */
class TransportOverIpv6Test {
    private static final Ipv6Address REMOTE = Ipv6Address.parse("2001:db8:ffff::53");

    /** The readable bytes of {@code buf} as an array (not released). */
    private static byte[] bytes(ByteBuf buf) {
        return HexLiteral.toArray(buf);
    }

    private static byte[] udp(UdpRepr repr, byte[] payload, Ipv6Address src, Ipv6Address dst) {
        ByteBuf out = Unpooled.buffer(repr.totalLength());
        out.setBytes(8, payload);
        repr.emit(out, 0, src, dst);
        out.writerIndex(repr.totalLength());
        return bytes(out);
    }

    @Test
    void udpRoundTripReferenceChecksumAndPcap4j() throws Exception {
        byte[] payload = "hello, v6 gateway".getBytes(StandardCharsets.US_ASCII); // odd length, 17
        UdpRepr repr = new UdpRepr(40000, 53, payload.length);
        byte[] datagram = udp(repr, payload, GUEST, REMOTE);
        assertEquals(0, referenceChecksum(GUEST, REMOTE, 17, datagram), "the plain loop verifies our checksum");

        UdpPacket packet = ok(UdpPacket.checked(Unpooled.wrappedBuffer(datagram)));
        assertTrue(packet.verifyChecksumIpv6(GUEST.high(), GUEST.low(), REMOTE.high(), REMOTE.low()));
        assertEquals(repr, ok(UdpRepr.parse(packet, GUEST, REMOTE, true)));
        assertEquals(ParseError.BAD_CHECKSUM, UdpRepr.parse(packet, GUEST, GATEWAY, true).error(),
                "the pseudo header is covered");
        assertFalse(packet.verifyChecksum(0x0a000002, 0x0a000001), "not the IPv4 pseudo header");

        byte[] frame = Ipv6TestPackets.frame(ipv6(17, 64, GUEST, REMOTE, datagram));
        EthernetPacket eth = EthernetPacket.newPacket(frame, 0, frame.length);
        org.pcap4j.packet.UdpPacket theirs = eth.get(org.pcap4j.packet.UdpPacket.class);
        assertTrue(theirs.hasValidChecksum(GUEST.toInetAddress(), REMOTE.toInetAddress(), false));
        assertEquals(40000, theirs.getHeader().getSrcPort().valueAsInt());
        assertArrayEquals(payload, theirs.getPayload().getRawData());
        // The view over the IPv6 packet hands UDP its upper-layer length and pseudo header.
        Ipv6Packet ip = Ipv6PacketTest.ipv6Of(frame);
        UdpPacket viaIp = ok(UdpPacket.checked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
        assertEquals(0, Checksum.finish(Checksum.partial(ip.buffer(), ip.payloadOffset(), viaIp.length(),
                ip.pseudoHeaderSum())));
    }

    @Test
    void udpComputedZeroIsSentAsAllOnesAndZeroOnTheWireIsRefused() {
        UdpRepr repr = new UdpRepr(1000, 2000, 2);
        ByteBuf out = Unpooled.buffer(10);
        repr.emit(out, 0, GUEST, GATEWAY);
        int checksum = out.getUnsignedShort(6);
        // The checksum value as payload word makes the sum 0xFFFF, i.e. the computed checksum 0.
        out.setShort(8, checksum == 0xFFFF ? 0 : checksum);
        repr.emit(out, 0, GUEST, GATEWAY);
        out.writerIndex(10);
        assertEquals(0xFFFF, out.getUnsignedShort(6), "RFC 8200 8.1: changed to hex FFFF");
        UdpPacket packet = ok(UdpPacket.checked(out));
        assertTrue(packet.verifyChecksumIpv6(GUEST.high(), GUEST.low(), GATEWAY.high(), GATEWAY.low()));
        assertEquals(0, referenceChecksum(GUEST, GATEWAY, 17, bytes(out)));

        out.setShort(6, 0); // "the transmitter generated no checksum": not allowed over IPv6
        assertFalse(packet.verifyChecksumIpv6(GUEST.high(), GUEST.low(), GATEWAY.high(), GATEWAY.low()));
        ParseResult<UdpRepr> r = UdpRepr.parse(packet, GUEST, GATEWAY, false);
        assertEquals(ParseError.BAD_CHECKSUM, r.error(), "refused even when checksums are not verified");
        assertEquals("UDP over IPv6 with checksum 0", ((ParseResult.Failed<UdpRepr>) r).detail());
        assertTrue(packet.verifyChecksum(1, 2), "while over IPv4 zero still means not computed");
    }

    @Test
    void udpFillChecksumOnAView() {
        byte[] datagram = HexLiteral.bytes("9c 40 00 35 00 0c 00 00 61 62 63 64");
        UdpPacket packet = ok(UdpPacket.checked(Unpooled.wrappedBuffer(datagram)));
        packet.fillChecksumIpv6(GUEST.high(), GUEST.low(), REMOTE.high(), REMOTE.low());
        assertEquals(0, referenceChecksum(GUEST, REMOTE, 17, datagram));
    }

    @Test
    void parsesUdpBuiltByPcap4j() throws Exception {
        byte[] payload = {1, 2, 3, 4, 5};
        org.pcap4j.packet.UdpPacket.Builder udp = new org.pcap4j.packet.UdpPacket.Builder()
                .srcPort(UdpPort.getInstance((short) 5353)).dstPort(UdpPort.getInstance((short) 53))
                .srcAddr(GUEST.toInetAddress()).dstAddr(REMOTE.toInetAddress())
                .payloadBuilder(new UnknownPacket.Builder().rawData(payload))
                .correctChecksumAtBuild(true).correctLengthAtBuild(true);
        byte[] packet = ipv6Builder(IpNumber.UDP, REMOTE, udp).build().getRawData();
        Ipv6Packet ip = ok(Ipv6Packet.checked(Unpooled.wrappedBuffer(packet), 0, packet.length));
        UdpPacket view = ok(UdpPacket.checked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
        assertEquals(new UdpRepr(5353, 53, 5), ok(UdpRepr.parse(view, ip.source(), ip.destination(), true)));
    }

    @Test
    void tcpRoundTripReferenceChecksumAndPcap4j() throws Exception {
        TcpOptions options = new TcpOptions(1440, 7, true, List.of(), new TcpTimestamps(1, 0));
        TcpRepr syn = new TcpRepr(50024, 443, TcpControl.SYN, SeqNumber.of(0x12345678), null, 64800, options, 0);
        ByteBuf out = Unpooled.buffer(syn.totalLength());
        syn.emit(out, 0, GUEST, REMOTE);
        out.writerIndex(syn.totalLength());
        byte[] segment = bytes(out);
        assertEquals(0, referenceChecksum(GUEST, REMOTE, 6, segment));
        TcpPacket packet = ok(TcpPacket.checked(out));
        assertTrue(packet.verifyChecksumIpv6(GUEST.high(), GUEST.low(), REMOTE.high(), REMOTE.low()));
        assertFalse(packet.verifyChecksumIpv6(GUEST.high(), GUEST.low(), GATEWAY.high(), GATEWAY.low()));
        assertEquals(syn, ok(TcpRepr.parse(packet, GUEST, REMOTE, true)));
        assertEquals(ParseError.BAD_CHECKSUM, TcpRepr.parse(packet, GUEST, GATEWAY, true).error());
        assertTrue(TcpRepr.parse(packet, GUEST, GATEWAY, false).isOk(), "checksum check can be skipped");

        byte[] frame = Ipv6TestPackets.frame(ipv6(6, 64, GUEST, REMOTE, segment));
        org.pcap4j.packet.TcpPacket theirs = EthernetPacket.newPacket(frame, 0, frame.length)
                .get(org.pcap4j.packet.TcpPacket.class);
        assertTrue(theirs.hasValidChecksum(GUEST.toInetAddress(), REMOTE.toInetAddress(), false));
        assertTrue(theirs.getHeader().getSyn());
        assertEquals(0x12345678, theirs.getHeader().getSequenceNumber());
        assertEquals(1440, ((TcpMaximumSegmentSizeOption) theirs.getHeader().getOptions().get(0)).getMaxSegSize());

        // A data segment with an odd length, the reusable header's IPv6 paths, and fillChecksumIpv6 on a view.
        byte[] data = "GET / HTTP/1.1\r\n\r".getBytes(StandardCharsets.US_ASCII);
        TcpHeader h = new TcpHeader().start(443, 50024, TcpControl.PSH, 99).setAck(0x12345679).setWindow(1000)
                .setPayloadLength(data.length);
        ByteBuf seg = Unpooled.buffer(h.totalLength());
        seg.setBytes(h.headerLength(), data);
        h.emitIpv6(seg, 0, REMOTE.high(), REMOTE.low(), GUEST.high(), GUEST.low());
        seg.writerIndex(h.totalLength());
        assertEquals(0, referenceChecksum(REMOTE, GUEST, 6, bytes(seg)));
        TcpHeader parsed = new TcpHeader();
        TcpPacket view = ok(TcpPacket.checked(seg));
        assertNull(parsed.parseIpv6(view, REMOTE.high(), REMOTE.low(), GUEST.high(), GUEST.low(), true));
        assertEquals(h.toRepr(), parsed.toRepr());
        assertEquals(ParseError.BAD_CHECKSUM,
                parsed.parseIpv6(view, GUEST.high(), GUEST.low(), REMOTE.high(), REMOTE.low() + 1, true));
        view.setChecksum(0);
        view.fillChecksumIpv6(REMOTE.high(), REMOTE.low(), GUEST.high(), GUEST.low());
        assertEquals(0, referenceChecksum(REMOTE, GUEST, 6, bytes(seg)));
        seg.setShort(0, 0);
        assertEquals(ParseError.MALFORMED,
                parsed.parseIpv6(view, REMOTE.high(), REMOTE.low(), GUEST.high(), GUEST.low(), true));
        assertEquals("TCP port 0", parsed.failure());
    }

    @Test
    void parsesTcpBuiltByPcap4j() throws Exception {
        org.pcap4j.packet.TcpPacket.Builder tcp = new org.pcap4j.packet.TcpPacket.Builder()
                .srcPort(TcpPort.getInstance((short) 40000)).dstPort(TcpPort.getInstance((short) 22))
                .sequenceNumber(1000).acknowledgmentNumber(2000).dataOffset((byte) 5).ack(true).psh(true)
                .window((short) 512).srcAddr(GUEST.toInetAddress()).dstAddr(REMOTE.toInetAddress())
                .payloadBuilder(new UnknownPacket.Builder().rawData(new byte[] {9, 8, 7}))
                .correctChecksumAtBuild(true).correctLengthAtBuild(true);
        byte[] packet = ipv6Builder(IpNumber.TCP, REMOTE, tcp).build().getRawData();
        Ipv6Packet ip = ok(Ipv6Packet.checked(Unpooled.wrappedBuffer(packet), 0, packet.length));
        TcpPacket view = ok(TcpPacket.checked(ip.buffer(), ip.payloadOffset(), ip.payloadLength()));
        TcpRepr repr = ok(TcpRepr.parse(view, ip.source(), ip.destination(), true));
        assertEquals(new TcpRepr(40000, 22, TcpControl.PSH, SeqNumber.of(1000), SeqNumber.of(2000), 512,
                TcpOptions.NONE, 3), repr);
    }

    private static IpV6Packet.Builder ipv6Builder(IpNumber next, Ipv6Address dst,
                                                  org.pcap4j.packet.Packet.Builder payload) {
        return new IpV6Packet.Builder().version(IpVersion.IPV6)
                .trafficClass(IpV6SimpleTrafficClass.newInstance((byte) 0))
                .flowLabel(IpV6SimpleFlowLabel.newInstance(0)).nextHeader(next).hopLimit((byte) 64)
                .srcAddr(GUEST.toInetAddress()).dstAddr(dst.toInetAddress()).correctLengthAtBuild(true)
                .payloadBuilder(payload);
    }
}
