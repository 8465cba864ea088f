package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of a UDP datagram (RFC 768) in a {@link ByteBuf}, starting at an absolute offset. The view never moves the
 * buffer's indices and never retains or releases it: whoever passed the buffer to {@link #checked} keeps ownership,
 * and the view must not be used after that owner releases it.
 *
 * <pre>
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |     Source      |   Destination   |
 * |      Port       |      Port       |
 * +--------+--------+--------+--------+
 * |                 |                 |
 * |     Length      |    Checksum     |
 * +--------+--------+--------+--------+
 * |
 * |          data octets ...
 * +---------------- ...
 * </pre>
 *
 * <p>{@link #checked} validates the lengths once; afterwards no accessor can fail. Bytes after {@link #length()}
 * (Ethernet padding, or an IP packet longer than the UDP length) are ignored.
 */
public final class UdpPacket {
    /** Offset of the 16-bit source port. */
    static final int SRC_PORT = 0;
    /** Offset of the 16-bit destination port. */
    static final int DST_PORT = 2;
    /** Offset of the 16-bit length (header plus data). */
    static final int LENGTH = 4;
    /** Offset of the 16-bit checksum. */
    static final int CHECKSUM = 6;
    /** Size of the UDP header in bytes. */
    public static final int HEADER_LENGTH = 8;

    private final ByteBuf buf;
    private final int offset;

    private UdpPacket(ByteBuf buf, int offset) {
        this.buf = buf;
        this.offset = offset;
    }

    /**
     * Validates the datagram at absolute {@code offset} of {@code buf}, where {@code available} bytes belong to it
     * (normally the IPv4 payload length, so that Ethernet padding is not mistaken for data).
     * Fails {@link ParseError#TRUNCATED} when fewer than 8 bytes are available or the Length field claims more bytes
     * than are available, and {@link ParseError#MALFORMED} when the Length field is below 8 (RFC 768: "the minimum
     * value of the length is eight"). The caller keeps ownership of {@code buf}; the view does not retain it.
     */
    public static ParseResult<UdpPacket> checked(ByteBuf buf, int offset, int available) {
        if (offset < 0 || available < HEADER_LENGTH || offset > buf.writerIndex() - available) {
            return ParseResult.truncated("UDP header needs 8 bytes");
        }
        int length = buf.getUnsignedShort(offset + LENGTH);
        if (length > available) {
            return ParseResult.truncated("UDP length past end of IP payload");
        }
        if (length < HEADER_LENGTH) {
            return ParseResult.malformed("UDP length below 8");
        }
        return ParseResult.ok(new UdpPacket(buf, offset));
    }

    /** {@link #checked(ByteBuf, int, int)} over the readable bytes of {@code buf}; the caller keeps ownership. */
    public static ParseResult<UdpPacket> checked(ByteBuf buf) {
        return checked(buf, buf.readerIndex(), buf.readableBytes());
    }

    /**
     * A view for writing a datagram at {@code offset} of {@code buf} without any check; used by emitters that have
     * made room for the header. The caller keeps ownership of {@code buf}.
     */
    static UdpPacket unchecked(ByteBuf buf, int offset) {
        return new UdpPacket(buf, offset);
    }

    /** The buffer this view reads (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** The absolute offset of the UDP header in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /** Source Port: the sender's port, or 0 when "not used" (RFC 768). */
    public int srcPort() {
        return buf.getUnsignedShort(offset + SRC_PORT);
    }

    /** Destination Port. */
    public int dstPort() {
        return buf.getUnsignedShort(offset + DST_PORT);
    }

    /** Length: header plus data, 8..available. */
    public int length() {
        return buf.getUnsignedShort(offset + LENGTH);
    }

    /** Checksum as on the wire; 0 means the sender did not compute one. */
    public int checksum() {
        return buf.getUnsignedShort(offset + CHECKSUM);
    }

    /** The absolute offset of the data in {@link #buffer()}. */
    public int payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    /** The number of data octets: {@code length() - 8}. */
    public int payloadLength() {
        return length() - HEADER_LENGTH;
    }

    /**
     * The data as a slice sharing {@link #buffer()}'s memory and reference count; the slice is not retained, so it is
     * valid only while the caller owns the underlying buffer (retain it, or copy, to keep it longer).
     */
    public ByteBuf payload() {
        return buf.slice(payloadOffset(), payloadLength());
    }

    /**
     * True when the checksum verifies against the IPv4 pseudo header of {@code srcAddr}/{@code dstAddr}, or when it is 0:
     * RFC 768, "An all zero transmitted checksum value means that the transmitter generated no checksum".
     */
    public boolean verifyChecksum(int srcAddr, int dstAddr) {
        if (checksum() == 0) {
            return true;
        }
        int len = length();
        int sum = Checksum.pseudoHeaderIpv4(srcAddr, dstAddr, IpProtocol.UDP_NUMBER, len);
        return Checksum.finish(Checksum.partial(buf, offset, len, sum)) == 0;
    }

    /**
     * True when the checksum verifies against the IPv6 pseudo header of the given addresses (RFC 8200 section 8.1,
     * with the Length field as the upper-layer length). A zero checksum does not verify: "Unlike IPv4, the default
     * behavior when UDP packets are originated by an IPv6 node is that the UDP checksum is not optional ... IPv6
     * receivers must discard UDP packets containing a zero checksum". Allocates nothing.
     */
    public boolean verifyChecksumIpv6(long srcHigh, long srcLow, long dstHigh, long dstLow) {
        if (checksum() == 0) {
            return false;
        }
        int len = length();
        int sum = Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, IpProtocol.UDP_NUMBER, len);
        return Checksum.finish(Checksum.partial(buf, offset, len, sum)) == 0;
    }

    /** Writes the Source Port. */
    public void setSrcPort(int port) {
        buf.setShort(offset + SRC_PORT, port);
    }

    /** Writes the Destination Port. */
    public void setDstPort(int port) {
        buf.setShort(offset + DST_PORT, port);
    }

    /** Writes the Length field (header plus data). */
    public void setLength(int length) {
        buf.setShort(offset + LENGTH, length);
    }

    /** Writes the Checksum field as given (0 = "not computed"). */
    public void setChecksum(int checksum) {
        buf.setShort(offset + CHECKSUM, checksum);
    }

    /**
     * Computes and writes the checksum over the pseudo header, the header and {@link #length()} bytes. A computed 0 is
     * sent as 0xFFFF (RFC 768: "If the computed checksum is zero, it is transmitted as all ones").
     */
    public void fillChecksum(int srcAddr, int dstAddr) {
        setChecksum(0);
        int len = length();
        int sum = Checksum.pseudoHeaderIpv4(srcAddr, dstAddr, IpProtocol.UDP_NUMBER, len);
        int checksum = Checksum.finish(Checksum.partial(buf, offset, len, sum));
        setChecksum(checksum == 0 ? 0xFFFF : checksum);
    }

    /**
     * Computes and writes the checksum over the IPv6 pseudo header, the header and {@link #length()} bytes; a computed
     * 0 is sent as 0xFFFF (RFC 8200 section 8.1: "that checksum must be changed to hex FFFF for placement in the UDP
     * header"), so the checksum on the wire is never 0.
     */
    public void fillChecksumIpv6(long srcHigh, long srcLow, long dstHigh, long dstLow) {
        setChecksum(0);
        int len = length();
        int sum = Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, IpProtocol.UDP_NUMBER, len);
        int checksum = Checksum.finish(Checksum.partial(buf, offset, len, sum));
        setChecksum(checksum == 0 ? 0xFFFF : checksum);
    }

    @Override
    public String toString() {
        return srcPort() + " > " + dstPort() + ": UDP, length " + payloadLength();
    }
}
