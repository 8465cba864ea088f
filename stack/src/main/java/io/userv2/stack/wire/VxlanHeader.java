package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of a VXLAN header (RFC 7348 section 5) in a {@link ByteBuf}, starting at an absolute offset: the 8 bytes
 * at the start of a VXLAN UDP payload, followed by the inner Ethernet frame. The view never moves the buffer's
 * indices and never retains or releases it: whoever passed the buffer to {@link #checked} keeps ownership, and the
 * view must not be used after that owner releases it.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|R|R|R|I|R|R|R|            Reserved                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                VXLAN Network Identifier (VNI) |   Reserved    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>{@link #checked} validates once (8 bytes present, the I flag set); afterwards no accessor can fail. The
 * reserved bits are not looked at: RFC 7348 section 5, "The other 7 bits (designated "R") are reserved fields and
 * MUST be set to zero on transmission and ignored on receipt" (the Linux kernel, unlike the RFC, drops a datagram
 * with unknown flags set unless an extension such as GBP is configured).
 */
public final class VxlanHeader {
    /** Offset of the 8-bit flags field (I is 0x08, the rest reserved). */
    static final int FLAGS = 0;
    /** Offset of the 24-bit VNI, followed by 8 reserved bits. */
    static final int VNI = 4;
    /** The I flag: "MUST be set to 1 for a valid VXLAN Network ID (VNI)". */
    public static final int FLAG_I = 0x08;
    /** Size of the VXLAN header in bytes. */
    public static final int HEADER_LENGTH = 8;
    /** The IANA-assigned UDP destination port for VXLAN (RFC 7348 section 5). */
    public static final int IANA_PORT = 4789;
    /** Largest VNI: 24 bits. */
    public static final int MAX_VNI = 0xFFFFFF;
    /**
     * What VXLAN over IPv4 costs on the underlay per inner frame's IP MTU: outer Ethernet (14), IPv4 (20), UDP (8) and
     * VXLAN (8) headers, the 50 bytes by which the Linux kernel lowers a vxlan device's MTU below its lower device's.
     */
    public static final int IPV4_OVERHEAD = 50;
    /** Outer IPv4 (20), UDP (8) and VXLAN (8) headers: what an inner frame grows by inside the underlay's IP MTU. */
    public static final int IPV4_ENCAPSULATION = 36;

    private final ByteBuf buf;
    private final int offset;

    private VxlanHeader(ByteBuf buf, int offset) {
        this.buf = buf;
        this.offset = offset;
    }

    /**
     * Validates the header at absolute {@code offset} of {@code buf}, where {@code available} bytes (the UDP payload)
     * belong to it and the inner frame. Fails {@link ParseError#TRUNCATED} when fewer than 8 bytes are available and
     * {@link ParseError#MALFORMED} when the I flag is clear. The inner frame may be empty here; the switch drops
     * frames shorter than an Ethernet header as runts. The caller keeps ownership of {@code buf}.
     */
    public static ParseResult<VxlanHeader> checked(ByteBuf buf, int offset, int available) {
        if (offset < 0 || available < HEADER_LENGTH || offset > buf.writerIndex() - available) {
            return ParseResult.truncated("VXLAN header needs 8 bytes");
        }
        if ((buf.getUnsignedByte(offset + FLAGS) & FLAG_I) == 0) {
            return ParseResult.malformed("VXLAN I flag clear");
        }
        return ParseResult.ok(new VxlanHeader(buf, offset));
    }

    /** {@link #checked(ByteBuf, int, int)} over the readable bytes of {@code buf}; the caller keeps ownership. */
    public static ParseResult<VxlanHeader> checked(ByteBuf buf) {
        return checked(buf, buf.readerIndex(), buf.readableBytes());
    }

    /**
     * True when {@code available} bytes at {@code offset} start with a valid header (the check of {@link #checked}
     * without the view): for the per-datagram path, which then reads {@link #vniAt}. Allocates nothing.
     */
    public static boolean isValid(ByteBuf buf, int offset, int available) {
        return offset >= 0 && available >= HEADER_LENGTH && offset <= buf.writerIndex() - available
                && (buf.getUnsignedByte(offset + FLAGS) & FLAG_I) != 0;
    }

    /** The VNI of a header {@link #isValid} accepted. */
    public static int vniAt(ByteBuf buf, int offset) {
        return buf.getMedium(offset + VNI) & MAX_VNI;
    }

    /**
     * Writes a header carrying {@code vni} at absolute {@code offset} of {@code buf}: the I flag set, every reserved
     * bit zero. The caller keeps ownership; the indices are not moved.
     */
    public static void write(ByteBuf buf, int offset, int vni) {
        buf.setInt(offset + FLAGS, FLAG_I << 24);
        buf.setInt(offset + VNI, (vni & MAX_VNI) << 8);
    }

    /** The buffer this view reads (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** The absolute offset of the header in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /** The 8-bit flags field as on the wire (I plus whatever reserved bits the sender set). */
    public int flags() {
        return buf.getUnsignedByte(offset + FLAGS);
    }

    /** The 24-bit VXLAN Network Identifier. */
    public int vni() {
        return vniAt(buf, offset);
    }

    /** The absolute offset of the inner Ethernet frame. */
    public int innerOffset() {
        return offset + HEADER_LENGTH;
    }

    @Override
    public String toString() {
        return "VXLAN, flags [" + (flags() == FLAG_I ? "I" : String.format("0x%02x", flags())) + "], vni " + vni();
    }
}
