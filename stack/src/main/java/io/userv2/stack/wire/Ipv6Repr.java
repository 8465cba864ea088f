package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The parsed form of an unfragmented IPv6 packet's header (RFC 8200 section 3) as the upper layer sees it. Immutable.
 *
 * <p>Extension headers are not represented, by design: {@link #parse} describes the packet after its chain
 * ({@link #nextHeader()} is the upper-layer protocol, {@link #payloadLength()} the upper-layer length) and
 * {@link #emit} writes none, so the two round-trip for packets without extension headers. Fragments are refused by
 * {@link #parse} with {@link ParseError#UNSUPPORTED} (they go to a reassembler); a sender that fragments writes each
 * fragment's header and Fragment header with {@link #emitFragment}, the record describing that fragment.
 *
 * @param source        source address
 * @param destination   destination address
 * @param nextHeader    the upper-layer protocol
 * @param payloadLength upper-layer bytes after the header, 0..65535
 * @param hopLimit      hop limit, 0..255
 * @param trafficClass  traffic class (DSCP and ECN), 0..255
 * @param flowLabel     flow label, 0..0xFFFFF
 */
public record Ipv6Repr(Ipv6Address source, Ipv6Address destination, IpProtocol nextHeader, int payloadLength,
                       int hopLimit, int trafficClass, int flowLabel) {
    /** The default hop limit for packets this stack originates (Linux's default). */
    public static final int DEFAULT_HOP_LIMIT = 64;

    /** Validates ranges. */
    public Ipv6Repr {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(nextHeader, "nextHeader");
        if (payloadLength < 0 || payloadLength > 0xFFFF) {
            throw new IllegalArgumentException("payload length out of range: " + payloadLength);
        }
        if ((hopLimit & ~0xFF) != 0 || (trafficClass & ~0xFF) != 0 || (flowLabel & ~0xF_FFFF) != 0) {
            throw new IllegalArgumentException("hop limit/traffic class/flow label out of range");
        }
    }

    /** A header with traffic class 0 and flow label 0. */
    public Ipv6Repr(Ipv6Address source, Ipv6Address destination, IpProtocol nextHeader, int payloadLength,
                    int hopLimit) {
        this(source, destination, nextHeader, payloadLength, hopLimit, 0, 0);
    }

    /**
     * Parses a checked packet: {@link ParseError#UNSUPPORTED} for a fragment. Extension headers are skipped (see the
     * class comment). Does not retain the packet's buffer.
     */
    public static ParseResult<Ipv6Repr> parse(Ipv6Packet packet) {
        if (packet.isFragment()) {
            return ParseResult.unsupported("ipv6 fragment");
        }
        return ParseResult.ok(new Ipv6Repr(packet.source(), packet.destination(), packet.protocol(),
                packet.payloadLength(), packet.hopLimit(), packet.trafficClass(), packet.flowLabel()));
    }

    /** Always 40: this record emits no extension headers. */
    public int headerLength() {
        return Ipv6Packet.HEADER_LENGTH;
    }

    /** Header plus payload: the packet length {@link #emit} describes. */
    public int totalLength() {
        return Ipv6Packet.HEADER_LENGTH + payloadLength;
    }

    /**
     * Writes the 40-byte header at absolute index {@code offset} of {@code buf} (which must have the capacity); the
     * payload is the caller's to write after it. Does not move indices. The caller keeps ownership of {@code buf}.
     *
     * @return the header length written (40)
     */
    public int emit(ByteBuf buf, int offset) {
        writeHeader(buf, offset, source.high(), source.low(), destination.high(), destination.low(),
                nextHeader.number(), payloadLength, hopLimit, trafficClass, flowLabel);
        return Ipv6Packet.HEADER_LENGTH;
    }

    /**
     * As {@link #emit}, for one fragment of a larger packet (RFC 8200 section 4.5): writes the 40-byte header with
     * Next Header 44 and then the 8-byte Fragment header, whose Next Header is {@link #nextHeader()}. This record
     * describes the fragment: {@link #payloadLength()} is the fragment's data (the Payload Length written is 8 more),
     * {@code fragmentOffsetBytes} is where its data starts in the fragmentable part, {@code moreFragments} is set on
     * all fragments but the last, and all fragments of a packet share {@code identification}. RFC 8200: "The lengths
     * of the fragments must be chosen such that the resulting fragment packets fit within the MTU ... each complete
     * fragment, except possibly the last ("rightmost") one, being an integer multiple of 8 octets long."
     *
     * @return the bytes written (48)
     * @throws IllegalArgumentException when the offset is not a multiple of 8 in 0..65528, when a fragment with M set
     *                                  carries no data or data not a multiple of 8 bytes, or when the Payload
     *                                  Length would exceed 65535
     */
    public int emitFragment(ByteBuf buf, int offset, int identification, int fragmentOffsetBytes,
                            boolean moreFragments) {
        if ((fragmentOffsetBytes & 7) != 0 || fragmentOffsetBytes < 0 || fragmentOffsetBytes > 0xFFF8) {
            throw new IllegalArgumentException("fragment offset not a multiple of 8 in range: " + fragmentOffsetBytes);
        }
        if (moreFragments && (payloadLength == 0 || (payloadLength & 7) != 0)) {
            throw new IllegalArgumentException("a fragment followed by more must carry a multiple of 8 bytes: "
                    + payloadLength);
        }
        if (payloadLength + Ipv6Packet.FRAGMENT_HEADER_LENGTH > 0xFFFF) {
            throw new IllegalArgumentException("fragment too long for one packet: " + payloadLength);
        }
        writeHeader(buf, offset, source.high(), source.low(), destination.high(), destination.low(),
                IpProtocol.IPV6_FRAG_NUMBER, payloadLength + Ipv6Packet.FRAGMENT_HEADER_LENGTH, hopLimit,
                trafficClass, flowLabel);
        int at = offset + Ipv6Packet.HEADER_LENGTH;
        buf.setByte(at, nextHeader.number());
        buf.setByte(at + 1, 0);
        buf.setShort(at + 2, fragmentOffsetBytes | (moreFragments ? Ipv6Packet.FRAGMENT_FLAG_M : 0));
        buf.setInt(at + 4, identification);
        return Ipv6Packet.HEADER_LENGTH + Ipv6Packet.FRAGMENT_HEADER_LENGTH;
    }

    /**
     * Writes a 40-byte header at {@code offset} from primitives: what {@link #emit} writes, for the per-packet path
     * that builds no record. Does not move indices; the caller keeps {@code buf}.
     */
    public static void writeHeader(ByteBuf buf, int offset, long srcHigh, long srcLow, long dstHigh, long dstLow,
                                   int nextHeader, int payloadLength, int hopLimit, int trafficClass,
                                   int flowLabel) {
        buf.setInt(offset + Ipv6Packet.VERSION_CLASS_FLOW,
                (6 << 28) | ((trafficClass & 0xFF) << 20) | (flowLabel & 0xF_FFFF));
        buf.setShort(offset + Ipv6Packet.PAYLOAD_LENGTH, payloadLength);
        buf.setByte(offset + Ipv6Packet.NEXT_HEADER, nextHeader);
        buf.setByte(offset + Ipv6Packet.HOP_LIMIT, hopLimit);
        buf.setLong(offset + Ipv6Packet.SOURCE, srcHigh);
        buf.setLong(offset + Ipv6Packet.SOURCE + 8, srcLow);
        buf.setLong(offset + Ipv6Packet.DESTINATION, dstHigh);
        buf.setLong(offset + Ipv6Packet.DESTINATION + 8, dstLow);
    }

    /**
     * tcpdump {@code -v} style: {@code IP6 (hlim 64, next-header ICMPv6 (58) payload length: 64) fe80::1 > ff02::1}.
     */
    @Override
    public String toString() {
        return format(trafficClass, flowLabel, hopLimit, nextHeader.number(), payloadLength, source.high(),
                source.low(), destination.high(), destination.low());
    }

    static String format(int trafficClass, int flowLabel, int hopLimit, int nextHeader, int payloadLength,
                         long srcHigh, long srcLow, long dstHigh, long dstLow) {
        return "IP6 (" + (trafficClass != 0 ? "class 0x" + Integer.toHexString(trafficClass) + ", " : "")
                + (flowLabel != 0 ? String.format("flowlabel 0x%05x, ", flowLabel) : "")
                + "hlim " + hopLimit + ", next-header " + IpProtocol.of(nextHeader) + " (" + nextHeader
                + ") payload length: " + payloadLength + ") " + Ipv6Address.format(srcHigh, srcLow) + " > "
                + Ipv6Address.format(dstHigh, dstLow);
    }
}
