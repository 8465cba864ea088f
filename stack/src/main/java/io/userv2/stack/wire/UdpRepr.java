package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * The parsed form of a UDP header (RFC 768): the ports and the number of data octets. The data itself stays in the
 * buffer (see {@link UdpPacket#payload()}), so this record holds no buffer and needs no release.
 *
 * @param srcPort       source port, 0..65535 (0 = "not used")
 * @param dstPort       destination port, 1..65535
 * @param payloadLength number of data octets, 0..65527
 */
public record UdpRepr(int srcPort, int dstPort, int payloadLength) {

    /** Rejects values that cannot go on the wire. */
    public UdpRepr {
        if ((srcPort & ~0xFFFF) != 0 || dstPort <= 0 || dstPort > 0xFFFF) {
            throw new IllegalArgumentException("UDP port out of range: " + srcPort + " > " + dstPort);
        }
        if (payloadLength < 0 || payloadLength > 0xFFFF - UdpPacket.HEADER_LENGTH) {
            throw new IllegalArgumentException("UDP payload length out of range: " + payloadLength);
        }
    }

    /**
     * Parses a checked datagram sent from {@code srcAddr} to {@code dstAddr}. Fails {@link ParseError#BAD_CHECKSUM} when
     * {@code verifyChecksum} is set and a non-zero checksum does not verify (a zero checksum means "not computed" and is
     * accepted), and {@link ParseError#MALFORMED} for destination port 0 (reserved; nothing can listen there).
     * Does not retain the packet's buffer.
     */
    public static ParseResult<UdpRepr> parse(UdpPacket packet, int srcAddr, int dstAddr, boolean verifyChecksum) {
        if (packet.dstPort() == 0) {
            return ParseResult.malformed("UDP destination port 0");
        }
        if (verifyChecksum && !packet.verifyChecksum(srcAddr, dstAddr)) {
            return ParseResult.badChecksum("UDP checksum");
        }
        return ParseResult.ok(new UdpRepr(packet.srcPort(), packet.dstPort(), packet.payloadLength()));
    }

    /**
     * As {@link #parse(UdpPacket, int, int, boolean)} for a datagram carried over IPv6 from {@code src} to
     * {@code dst}, except that a zero checksum is always {@link ParseError#BAD_CHECKSUM} (RFC 8200 section 8.1: "IPv6
     * receivers must discard UDP packets containing a zero checksum"), and the checksum, when verified, covers the
     * IPv6 pseudo header. Does not retain the packet's buffer.
     */
    public static ParseResult<UdpRepr> parse(UdpPacket packet, Ipv6Address src, Ipv6Address dst,
                                             boolean verifyChecksum) {
        if (packet.dstPort() == 0) {
            return ParseResult.malformed("UDP destination port 0");
        }
        if (packet.checksum() == 0) {
            return ParseResult.badChecksum("UDP over IPv6 with checksum 0");
        }
        if (verifyChecksum && !packet.verifyChecksumIpv6(src.high(), src.low(), dst.high(), dst.low())) {
            return ParseResult.badChecksum("UDP checksum");
        }
        return ParseResult.ok(new UdpRepr(packet.srcPort(), packet.dstPort(), packet.payloadLength()));
    }

    /** The size of the header, 8. */
    public int headerLength() {
        return UdpPacket.HEADER_LENGTH;
    }

    /** Header plus data: the value of the Length field. */
    public int totalLength() {
        return UdpPacket.HEADER_LENGTH + payloadLength;
    }

    /**
     * Writes the header at absolute {@code offset} of {@code buf} and fills in the checksum over the IPv4 pseudo header,
     * the header and the {@link #payloadLength()} data octets, which the caller must already have placed at
     * {@code offset + 8}. The buffer needs capacity for {@link #totalLength()} bytes from {@code offset}; its indices are
     * not moved and the caller keeps ownership.
     */
    public void emit(ByteBuf buf, int offset, int srcAddr, int dstAddr) {
        UdpPacket packet = UdpPacket.unchecked(buf, offset);
        packet.setSrcPort(srcPort);
        packet.setDstPort(dstPort);
        packet.setLength(totalLength());
        packet.fillChecksum(srcAddr, dstAddr);
    }

    /**
     * As {@link #emit(ByteBuf, int, int, int)} for a datagram carried over IPv6 from {@code src} to {@code dst}: the
     * checksum covers the IPv6 pseudo header and is never 0 on the wire (RFC 8200 section 8.1).
     */
    public void emit(ByteBuf buf, int offset, Ipv6Address src, Ipv6Address dst) {
        UdpPacket packet = UdpPacket.unchecked(buf, offset);
        packet.setSrcPort(srcPort);
        packet.setDstPort(dstPort);
        packet.setLength(totalLength());
        packet.fillChecksumIpv6(src.high(), src.low(), dst.high(), dst.low());
    }

    /** tcpdump style: {@code 68 > 67: UDP, length 300}. */
    @Override
    public String toString() {
        return srcPort + " > " + dstPort + ": UDP, length " + payloadLength;
    }
}
