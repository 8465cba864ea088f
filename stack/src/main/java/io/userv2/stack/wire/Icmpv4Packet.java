package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A read-only view of an ICMPv4 message (RFC 792). Construct it with {@link #checked}, which validates the length once
 * (the 8-byte header), so no accessor can fail afterwards. The checksum is not verified by {@code checked}: call
 * {@link #verifyChecksum()} or parse an {@link Icmpv4Repr}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Echo: Identifier             |  Echo: Sequence Number        |
 * |  Unreachable: unused          |  code 4: Next-Hop MTU (1191)  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Data ... (echo data; or original IP header + 64 bits)     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>RFC 792: "The checksum is the 16-bit ones's complement of the one's complement sum of the ICMP message starting
 * with the ICMP Type." The message extends to the end of the IP payload, so the caller passes the IP payload length
 * (never the frame length, which may include padding).
 *
 * <p>Ownership: the view never retains or releases its buffer; it reads absolute indices without moving indices.
 */
public final class Icmpv4Packet extends IcmpMessage {
    /** Offset of Type. */
    public static final int TYPE = 0;
    /** Offset of Code. */
    public static final int CODE = 1;
    /** Offset of Checksum. */
    public static final int CHECKSUM = 2;
    /** Offset of the echo Identifier. */
    public static final int ECHO_IDENTIFIER = 4;
    /** Offset of the echo Sequence Number. */
    public static final int ECHO_SEQUENCE = 6;
    /** Offset of the Next-Hop MTU of "fragmentation needed" (RFC 1191). */
    public static final int NEXT_HOP_MTU = 6;
    /** Length of the header (type, code, checksum and the 4-byte rest of header). */
    public static final int HEADER_LENGTH = 8;

    /** Type 0, Echo Reply. */
    public static final int TYPE_ECHO_REPLY = 0;
    /** Type 3, Destination Unreachable. */
    public static final int TYPE_DESTINATION_UNREACHABLE = 3;
    /** Type 8, Echo. */
    public static final int TYPE_ECHO_REQUEST = 8;
    /** Type 11, Time Exceeded. */
    public static final int TYPE_TIME_EXCEEDED = 11;

    /** Destination Unreachable code 0: net unreachable. */
    public static final int CODE_NET_UNREACHABLE = 0;
    /** Destination Unreachable code 1: host unreachable. */
    public static final int CODE_HOST_UNREACHABLE = 1;
    /** Destination Unreachable code 2: protocol unreachable. */
    public static final int CODE_PROTOCOL_UNREACHABLE = 2;
    /** Destination Unreachable code 3: port unreachable. */
    public static final int CODE_PORT_UNREACHABLE = 3;
    /** Destination Unreachable code 4: fragmentation needed and DF set. */
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    /** Destination Unreachable code 13: communication administratively prohibited (RFC 1812). */
    public static final int CODE_ADMIN_PROHIBITED = 13;
    /** Time Exceeded code 0: time to live exceeded in transit. */
    public static final int CODE_TTL_EXCEEDED = 0;
    /** Time Exceeded code 1: fragment reassembly time exceeded. */
    public static final int CODE_REASSEMBLY_TIME_EXCEEDED = 1;

    private Icmpv4Packet(ByteBuf buf, int offset, int length) {
        super(buf, offset, length);
    }

    /**
     * Checks {@code length} bytes of {@code buf} from absolute index {@code offset} as one ICMP message:
     * {@link ParseError#TRUNCATED} when shorter than the 8-byte header. The caller keeps ownership of {@code buf}; the
     * view does not retain it.
     */
    public static ParseResult<Icmpv4Packet> checked(ByteBuf buf, int offset, int length) {
        if (!fits(buf, offset, length)) {
            return ParseResult.truncated("icmp header");
        }
        return ParseResult.ok(new Icmpv4Packet(buf, offset, length));
    }

    /** Checks the payload of an IPv4 packet (its Total Length, not the frame) as ICMP. */
    public static ParseResult<Icmpv4Packet> checked(Ipv4Packet ip) {
        return checked(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
    }

    /** True when the checksum over the whole message verifies. */
    public boolean verifyChecksum() {
        return Checksum.compute(buf, offset, length) == 0;
    }

    /** Next-Hop MTU of a "fragmentation needed" message (RFC 1191); 0 from old routers. */
    public int nextHopMtu() {
        return buf.getUnsignedShort(offset + NEXT_HOP_MTU);
    }

    /** {@code ICMP type 8 code 0, length 64}. */
    @Override
    public String toString() {
        return "ICMP type " + type() + " code " + code() + ", length " + length;
    }
}
