package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A read-only view of an ICMPv6 message (RFC 4443, and the Neighbor Discovery messages of RFC 4861). Construct it with
 * {@link #checked}, which validates the length once (the 8-byte header every message this stack reads has), so no
 * accessor can fail afterwards. The checksum is not verified by {@code checked}: it covers the IPv6 pseudo header, so
 * call {@link #verifyChecksum(Ipv6Packet)} or parse an {@link Icmpv6Repr}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Echo: Identifier             |  Echo: Sequence Number        |
 * |  Packet Too Big: MTU; Parameter Problem: Pointer (32 bits)    |
 * |  Unreachable, Time Exceeded, RS, NS, Redirect: unused         |
 * |  NA: R S O flags and reserved; RA: hop limit, flags, lifetime |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data ... (echo data; the invoking packet; NDP fields and options)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>RFC 4443 section 2.3: "The checksum is the 16-bit one's complement of the one's complement sum of the entire
 * ICMPv6 message, starting with the ICMPv6 message type field, and prepended with a "pseudo-header" of IPv6 header
 * fields, as specified in [IPv6, Section 8.1]. The Next Header value used in the pseudo-header is 58." The message
 * extends to the end of the IPv6 payload, so the caller passes the upper-layer length (never the frame length, which
 * may include padding). Section 2.1: "Error messages are identified as such by a zero in the high-order bit of their
 * message Type field values" ({@link #isError()}).
 *
 * <p>Ownership: the view never retains or releases its buffer; it reads absolute indices without moving indices.
 */
public final class Icmpv6Packet extends IcmpMessage {
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
    /** Offset of the 32-bit MTU of Packet Too Big. */
    public static final int MTU = 4;
    /** Offset of the 32-bit Pointer of Parameter Problem. */
    public static final int POINTER = 4;
    /** Length of the header (type, code, checksum and the 4-byte rest of header). */
    public static final int HEADER_LENGTH = 8;

    /** Type 1, Destination Unreachable. */
    public static final int TYPE_DESTINATION_UNREACHABLE = 1;
    /** Type 2, Packet Too Big. */
    public static final int TYPE_PACKET_TOO_BIG = 2;
    /** Type 3, Time Exceeded. */
    public static final int TYPE_TIME_EXCEEDED = 3;
    /** Type 4, Parameter Problem. */
    public static final int TYPE_PARAMETER_PROBLEM = 4;
    /** Type 128, Echo Request. */
    public static final int TYPE_ECHO_REQUEST = 128;
    /** Type 129, Echo Reply. */
    public static final int TYPE_ECHO_REPLY = 129;
    /** Type 133, Router Solicitation (RFC 4861 section 4.1). */
    public static final int TYPE_ROUTER_SOLICITATION = 133;
    /** Type 134, Router Advertisement (RFC 4861 section 4.2). */
    public static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    /** Type 135, Neighbor Solicitation (RFC 4861 section 4.3). */
    public static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    /** Type 136, Neighbor Advertisement (RFC 4861 section 4.4). */
    public static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    /** Type 137, Redirect (RFC 4861 section 4.5). */
    public static final int TYPE_REDIRECT = 137;

    /** Destination Unreachable code 0: no route to destination. */
    public static final int CODE_NO_ROUTE = 0;
    /** Destination Unreachable code 1: communication with destination administratively prohibited. */
    public static final int CODE_ADMIN_PROHIBITED = 1;
    /** Destination Unreachable code 2: beyond scope of source address. */
    public static final int CODE_BEYOND_SCOPE = 2;
    /** Destination Unreachable code 3: address unreachable. */
    public static final int CODE_ADDRESS_UNREACHABLE = 3;
    /** Destination Unreachable code 4: port unreachable. */
    public static final int CODE_PORT_UNREACHABLE = 4;
    /** Destination Unreachable code 5: source address failed ingress/egress policy. */
    public static final int CODE_SOURCE_POLICY = 5;
    /** Destination Unreachable code 6: reject route to destination. */
    public static final int CODE_REJECT_ROUTE = 6;
    /** Time Exceeded code 0: hop limit exceeded in transit. */
    public static final int CODE_HOP_LIMIT_EXCEEDED = 0;
    /** Time Exceeded code 1: fragment reassembly time exceeded. */
    public static final int CODE_REASSEMBLY_TIME_EXCEEDED = 1;

    private Icmpv6Packet(ByteBuf buf, int offset, int length) {
        super(buf, offset, length);
    }

    /**
     * Checks {@code length} bytes of {@code buf} from absolute index {@code offset} as one ICMPv6 message:
     * {@link ParseError#TRUNCATED} when shorter than the 8-byte header (Linux's {@code icmpv6_rcv} also pulls 8). The
     * caller keeps ownership of {@code buf}; the view does not retain it.
     */
    public static ParseResult<Icmpv6Packet> checked(ByteBuf buf, int offset, int length) {
        if (!fits(buf, offset, length)) {
            return ParseResult.truncated("icmpv6 header");
        }
        return ParseResult.ok(new Icmpv6Packet(buf, offset, length));
    }

    /** Checks the upper-layer payload of an IPv6 packet (after its extension headers) as ICMPv6. */
    public static ParseResult<Icmpv6Packet> checked(Ipv6Packet ip) {
        return checked(ip.buffer(), ip.payloadOffset(), ip.payloadLength());
    }

    /** True for an error message (type 0..127), false for an informational one (RFC 4443 section 2.1). */
    public boolean isError() {
        return isErrorType(type());
    }

    /** True for the error message types 0..127. */
    public static boolean isErrorType(int type) {
        return type < 128;
    }

    /**
     * True when the checksum over the pseudo header of the given addresses (Next Header 58, length
     * {@link #length()}) and the whole message verifies. Allocates nothing.
     */
    public boolean verifyChecksum(long srcHigh, long srcLow, long dstHigh, long dstLow) {
        int seed = Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, IpProtocol.ICMPV6_NUMBER, length);
        return Checksum.finish(Checksum.partial(buf, offset, length, seed)) == 0;
    }

    /** {@link #verifyChecksum(long, long, long, long)} with the addresses of {@code ip}, which carries this message. */
    public boolean verifyChecksum(Ipv6Packet ip) {
        return verifyChecksum(ip.sourceHigh(), ip.sourceLow(), ip.destinationHigh(), ip.destinationLow());
    }

    /** MTU of a Packet Too Big message, 32 bits unsigned. */
    public long mtu() {
        return buf.getUnsignedInt(offset + MTU);
    }

    /** Pointer of a Parameter Problem message, 32 bits unsigned. */
    public long pointer() {
        return buf.getUnsignedInt(offset + POINTER);
    }

    /** {@code ICMP6 type 128 code 0, length 64}. */
    @Override
    public String toString() {
        return "ICMP6 type " + type() + " code " + code() + ", length " + length;
    }
}
