package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A read-only view of an Ethernet II frame (IEEE 802.3 with a type field) in a {@link ByteBuf}, optionally carrying
 * one IEEE 802.1Q VLAN tag. Construct it with {@link #checked}, which validates the length once, so no accessor can
 * fail afterwards.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Destination Address                       |
 * +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               |                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+       Source Address          +
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     EtherType (or TPID)       |  payload ...                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * With an 802.1Q tag (TPID 0x8100) at offset 12:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        TPID = 0x8100          | PCP |D|        VLAN ID        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      inner EtherType          |  payload ...                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The frame check sequence is not part of the view (virtual NICs and capture files do not carry it). Real NICs pad
 * frames to the 60-byte minimum, so {@link #payloadLength()} may exceed the upper-layer packet: upper layers must take
 * their length from their own header (IPv4 total length), never from the frame length.
 *
 * <p>Ownership: the view never retains or releases its buffer; it is valid only while the caller's buffer is, and
 * reads absolute indices without moving the buffer's reader or writer index.
 *
 * <p>On the per-frame path one view is re-pointed at frame after frame ({@link #reusable()}, {@link #wrap}), so that
 * no object is made per frame; whoever owns such a view must not hand it to code that keeps it.
 */
public final class EthernetFrame {
    /** Offset of the destination address. */
    public static final int DESTINATION = 0;
    /** Offset of the source address. */
    public static final int SOURCE = 6;
    /** Offset of the EtherType (or TPID of a VLAN tag). */
    public static final int ETHER_TYPE = 12;
    /** Offset of the TCI of a VLAN tag. */
    public static final int VLAN_TCI = 14;
    /** Offset of the inner EtherType after a VLAN tag. */
    public static final int VLAN_ETHER_TYPE = 16;
    /** Length of the untagged header. */
    public static final int HEADER_LENGTH = 14;
    /** Length of the header with one 802.1Q tag. */
    public static final int TAGGED_HEADER_LENGTH = 18;
    /** Minimum frame length on the wire without FCS (64 bytes minus 4 bytes FCS); shorter frames are padded. */
    public static final int MIN_FRAME_LENGTH = 60;

    private ByteBuf buf;
    private int offset;
    private int length;
    private boolean tagged;
    /** The detail of the last failed {@link #wrap}, a constant string. */
    private String failure;

    private EthernetFrame() {
    }

    /** A view pointing nowhere, to be {@link #wrap wrapped} around frame after frame by its one owner. */
    public static EthernetFrame reusable() {
        return new EthernetFrame();
    }

    /**
     * Checks the readable bytes of {@code buf} as one frame. The caller keeps ownership of {@code buf}; the view does
     * not retain it.
     */
    public static ParseResult<EthernetFrame> checked(ByteBuf buf) {
        return checked(buf, buf.readerIndex(), buf.readableBytes());
    }

    /**
     * Checks {@code length} bytes of {@code buf} starting at absolute index {@code offset} as one frame: fails with
     * {@link ParseError#TRUNCATED} when shorter than 14 bytes, or than 18 bytes with an 802.1Q tag. The caller keeps
     * ownership of {@code buf}; the view does not retain it.
     */
    public static ParseResult<EthernetFrame> checked(ByteBuf buf, int offset, int length) {
        EthernetFrame frame = new EthernetFrame();
        ParseError error = frame.wrap(buf, offset, length);
        return error == null ? ParseResult.ok(frame) : new ParseResult.Failed<>(error, frame.failure);
    }

    /**
     * Points this view at {@code length} bytes of {@code buf} from absolute index {@code offset}, with the checks of
     * {@link #checked(ByteBuf, int, int)}: returns null when they pass, else the kind of failure (then the view must
     * not be read until wrapped again). The caller keeps ownership of {@code buf}; the view does not retain it.
     */
    public ParseError wrap(ByteBuf buf, int offset, int length) {
        if (length < HEADER_LENGTH || offset < 0 || (long) offset + length > buf.capacity()) {
            failure = "ethernet header";
            return ParseError.TRUNCATED;
        }
        boolean tagged = buf.getUnsignedShort(offset + ETHER_TYPE) == EtherType.VLAN_VALUE;
        if (tagged && length < TAGGED_HEADER_LENGTH) {
            failure = "802.1Q tag";
            return ParseError.TRUNCATED;
        }
        this.buf = buf;
        this.offset = offset;
        this.length = length;
        this.tagged = tagged;
        return null;
    }

    /** The underlying buffer (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** Absolute index of the first byte of the frame. */
    public int offset() {
        return offset;
    }

    /** Length of the frame in bytes, including any padding. */
    public int length() {
        return length;
    }

    /** The destination address as 48 bits. */
    public long destination() {
        return MacAddress.read(buf, offset + DESTINATION);
    }

    /** The source address as 48 bits. */
    public long source() {
        return MacAddress.read(buf, offset + SOURCE);
    }

    /** The EtherType field at offset 12 as on the wire: {@link EtherType#VLAN} for a tagged frame. */
    public EtherType etherType() {
        return EtherType.of(buf.getUnsignedShort(offset + ETHER_TYPE));
    }

    /** True when the frame carries an 802.1Q tag (TPID 0x8100). */
    public boolean isVlanTagged() {
        return tagged;
    }

    /** The VLAN tag, or {@code null} when the frame is untagged. */
    public VlanTag vlanTag() {
        return tagged ? VlanTag.ofTci(buf.getUnsignedShort(offset + VLAN_TCI)) : null;
    }

    /** The 12-bit VLAN identifier, or -1 when the frame is untagged. */
    public int vlanId() {
        return tagged ? buf.getUnsignedShort(offset + VLAN_TCI) & 0xFFF : -1;
    }

    /** The 3-bit priority code point, or -1 when the frame is untagged. */
    public int vlanPriority() {
        return tagged ? buf.getUnsignedShort(offset + VLAN_TCI) >>> 13 : -1;
    }

    /** The raw type of the payload: the inner EtherType of a tagged frame, the EtherType of an untagged one. */
    public int payloadEtherTypeValue() {
        return buf.getUnsignedShort(offset + (tagged ? VLAN_ETHER_TYPE : ETHER_TYPE));
    }

    /** The type of the payload: the inner EtherType of a tagged frame, the EtherType of an untagged one. */
    public EtherType payloadEtherType() {
        return EtherType.of(payloadEtherTypeValue());
    }

    /** Length of the header: 14, or 18 with a VLAN tag. */
    public int headerLength() {
        return tagged ? TAGGED_HEADER_LENGTH : HEADER_LENGTH;
    }

    /** Absolute index of the payload (after the VLAN tag, if any). */
    public int payloadOffset() {
        return offset + headerLength();
    }

    /** Bytes after the header up to the end of the frame; may include padding (see the class comment). */
    public int payloadLength() {
        return length - headerLength();
    }

    /** A slice of the payload sharing the buffer's memory; not retained (the caller's buffer must outlive it). */
    public ByteBuf payload() {
        return buf.slice(payloadOffset(), payloadLength());
    }

    /** tcpdump style, via {@link EthernetRepr}. */
    @Override
    public String toString() {
        return EthernetRepr.parse(this) + ", length " + length;
    }
}
