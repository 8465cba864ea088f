package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A read-only view of an IPv4 packet (RFC 791). Construct it with {@link #checked}, which validates version, header
 * length and total length once, so no accessor can fail afterwards. The header checksum is <em>not</em> verified by
 * {@code checked} (as in smoltcp): call {@link #verifyChecksum()} or parse an {@link Ipv4Repr}. On the per-frame path
 * one view is re-pointed at packet after packet ({@link #reusable()}, {@link #wrap}), so that no object is made per
 * packet; whoever owns such a view must not hand it to code that keeps it.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>RFC 791: "Internet Header Length is the length of the internet header in 32 bit words ... the minimum value for a
 * correct header is 5"; "Total Length is the length of the datagram, measured in octets, including internet header and
 * data". Options are skipped: the payload starts at IHL*4. Bytes after Total Length (Ethernet padding) are not part of
 * the packet: {@link #length()} is Total Length.
 *
 * <p>Ownership: the view never retains or releases its buffer; it reads absolute indices without moving indices.
 */
public final class Ipv4Packet {
    /** Offset of version (high nibble) and IHL (low nibble). */
    public static final int VERSION_IHL = 0;
    /** Offset of the type of service byte (DSCP and ECN, RFC 2474 / RFC 3168). */
    public static final int TOS = 1;
    /** Offset of Total Length. */
    public static final int TOTAL_LENGTH = 2;
    /** Offset of Identification. */
    public static final int IDENTIFICATION = 4;
    /** Offset of Flags (high 3 bits) and Fragment Offset (low 13 bits). */
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    /** Offset of Time to Live. */
    public static final int TTL = 8;
    /** Offset of Protocol. */
    public static final int PROTOCOL = 9;
    /** Offset of Header Checksum. */
    public static final int HEADER_CHECKSUM = 10;
    /** Offset of Source Address. */
    public static final int SOURCE = 12;
    /** Offset of Destination Address. */
    public static final int DESTINATION = 16;
    /** Length of a header without options (IHL 5). */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Flag bit "Don't Fragment" in the flags/fragment-offset word. */
    public static final int FLAG_DF = 0x4000;
    /** Flag bit "More Fragments" in the flags/fragment-offset word. */
    public static final int FLAG_MF = 0x2000;
    /** Mask of the fragment offset (in 8-octet units) in the flags/fragment-offset word. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    private ByteBuf buf;
    private int offset;
    private int headerLength;
    private int totalLength;
    /** The detail of the last failed {@link #wrap}, a constant string. */
    private String failure;

    private Ipv4Packet() {
    }

    /** A view pointing nowhere, to be {@link #wrap wrapped} around packet after packet by its one owner. */
    public static Ipv4Packet reusable() {
        return new Ipv4Packet();
    }

    /**
     * Checks {@code length} bytes of {@code buf} from absolute index {@code offset} as an IPv4 packet.
     * {@link ParseError#TRUNCATED} when shorter than 20 bytes, than IHL*4, or than Total Length;
     * {@link ParseError#MALFORMED} when the version is not 4, IHL &lt; 5, or Total Length &lt; IHL*4. Bytes beyond
     * Total Length are ignored (Ethernet padding). The caller keeps ownership of {@code buf}; the view does not retain
     * it.
     */
    public static ParseResult<Ipv4Packet> checked(ByteBuf buf, int offset, int length) {
        Ipv4Packet packet = new Ipv4Packet();
        ParseError error = packet.wrap(buf, offset, length);
        return error == null ? ParseResult.ok(packet) : new ParseResult.Failed<>(error, packet.failure);
    }

    /**
     * Points this view at {@code length} bytes of {@code buf} from absolute index {@code offset}, with the checks of
     * {@link #checked(ByteBuf, int, int)}: returns null when they pass, else the kind of failure (then the view must
     * not be read until wrapped again). The caller keeps ownership of {@code buf}; the view does not retain it.
     */
    public ParseError wrap(ByteBuf buf, int offset, int length) {
        if (length < MIN_HEADER_LENGTH || offset < 0 || (long) offset + length > buf.capacity()) {
            return fail(ParseError.TRUNCATED, "ipv4 header");
        }
        int versionIhl = buf.getUnsignedByte(offset + VERSION_IHL);
        if ((versionIhl >>> 4) != 4) {
            return fail(ParseError.MALFORMED, "ipv4 version not 4");
        }
        int headerLength = (versionIhl & 0xF) * 4;
        if (headerLength < MIN_HEADER_LENGTH) {
            return fail(ParseError.MALFORMED, "ipv4 IHL < 5");
        }
        if (headerLength > length) {
            return fail(ParseError.TRUNCATED, "ipv4 options");
        }
        int totalLength = buf.getUnsignedShort(offset + TOTAL_LENGTH);
        if (totalLength < headerLength) {
            return fail(ParseError.MALFORMED, "ipv4 total length < header length");
        }
        if (totalLength > length) {
            return fail(ParseError.TRUNCATED, "ipv4 payload shorter than total length");
        }
        this.buf = buf;
        this.offset = offset;
        this.headerLength = headerLength;
        this.totalLength = totalLength;
        return null;
    }

    /** Points this view at the payload of {@code frame}; see {@link #wrap(ByteBuf, int, int)}. */
    public ParseError wrap(EthernetFrame frame) {
        return wrap(frame.buffer(), frame.payloadOffset(), frame.payloadLength());
    }

    private ParseError fail(ParseError error, String detail) {
        failure = detail;
        return error;
    }

    /** Checks the payload of an Ethernet frame as IPv4; see {@link #checked(ByteBuf, int, int)}. */
    public static ParseResult<Ipv4Packet> checked(EthernetFrame frame) {
        return checked(frame.buffer(), frame.payloadOffset(), frame.payloadLength());
    }

    /** The underlying buffer (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** Absolute index of the first header byte. */
    public int offset() {
        return offset;
    }

    /** Total Length: header plus payload, excluding any link-layer padding. */
    public int length() {
        return totalLength;
    }

    /** The version field (always 4 for a checked packet). */
    public int version() {
        return buf.getUnsignedByte(offset + VERSION_IHL) >>> 4;
    }

    /** The IHL field in 32-bit words (5..15). */
    public int ihl() {
        return headerLength / 4;
    }

    /** Header length in bytes, IHL*4, options included. */
    public int headerLength() {
        return headerLength;
    }

    /** Length of the options in bytes (IHL*4 - 20). */
    public int optionsLength() {
        return headerLength - MIN_HEADER_LENGTH;
    }

    /** The type of service byte (DSCP in the high six bits, ECN in the low two). */
    public int tos() {
        return buf.getUnsignedByte(offset + TOS);
    }

    /** The DSCP (RFC 2474). */
    public int dscp() {
        return tos() >>> 2;
    }

    /** The ECN field (RFC 3168). */
    public int ecn() {
        return tos() & 0x3;
    }

    /** Total Length (same as {@link #length()}). */
    public int totalLength() {
        return totalLength;
    }

    /** Identification. */
    public int identification() {
        return buf.getUnsignedShort(offset + IDENTIFICATION);
    }

    private int flagsFragmentOffset() {
        return buf.getUnsignedShort(offset + FLAGS_FRAGMENT_OFFSET);
    }

    /** The reserved flag (bit 0), which RFC 791 says "must be zero". */
    public boolean reservedFlag() {
        return (flagsFragmentOffset() & 0x8000) != 0;
    }

    /** DF: "Don't Fragment". */
    public boolean dontFragment() {
        return (flagsFragmentOffset() & FLAG_DF) != 0;
    }

    /** MF: "More Fragments". */
    public boolean moreFragments() {
        return (flagsFragmentOffset() & FLAG_MF) != 0;
    }

    /** Fragment Offset in units of 8 octets, as in the header. */
    public int fragmentOffset() {
        return flagsFragmentOffset() & FRAGMENT_OFFSET_MASK;
    }

    /** Fragment Offset in bytes. */
    public int fragmentOffsetBytes() {
        return fragmentOffset() * 8;
    }

    /** True when this packet is a fragment of a larger datagram: MF is set or the fragment offset is not zero. */
    public boolean isFragment() {
        return (flagsFragmentOffset() & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0;
    }

    /** Time to Live. */
    public int ttl() {
        return buf.getUnsignedByte(offset + TTL);
    }

    /** The Protocol field as a raw number. */
    public int protocolNumber() {
        return buf.getUnsignedByte(offset + PROTOCOL);
    }

    /** The Protocol field as an open type. */
    public IpProtocol protocol() {
        return IpProtocol.of(protocolNumber());
    }

    /** Header Checksum as stored. */
    public int headerChecksum() {
        return buf.getUnsignedShort(offset + HEADER_CHECKSUM);
    }

    /** True when the header checksum verifies (the sum over the whole header, options included, is 0xFFFF). */
    public boolean verifyChecksum() {
        return Checksum.compute(buf, offset, headerLength) == 0;
    }

    /** Source Address as 32 bits. */
    public int source() {
        return buf.getInt(offset + SOURCE);
    }

    /** Destination Address as 32 bits. */
    public int destination() {
        return buf.getInt(offset + DESTINATION);
    }

    /** Absolute index of the first payload byte (after the options). */
    public int payloadOffset() {
        return offset + headerLength;
    }

    /** Payload length: Total Length - IHL*4. */
    public int payloadLength() {
        return totalLength - headerLength;
    }

    /** A slice of the payload sharing the buffer's memory; not retained (the caller's buffer must outlive it). */
    public ByteBuf payload() {
        return buf.slice(payloadOffset(), payloadLength());
    }

    /** tcpdump {@code -v} style header summary. */
    @Override
    public String toString() {
        return Ipv4Repr.format(tos(), ttl(), identification(), fragmentOffsetBytes(), reservedFlag(), dontFragment(),
                moreFragments(), protocol(), totalLength, optionsLength(), source(), destination());
    }
}
