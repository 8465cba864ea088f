package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * What ICMPv4 ({@link Icmpv4Packet}) and ICMPv6 ({@link Icmpv6Packet}) messages share: the 8-byte header of Type,
 * Code, Checksum and a 4-byte "rest of header" (an echo's Identifier and Sequence Number), then the data (RFC 792,
 * RFC 4443 section 2.1). The subclasses check the length before constructing, so no accessor here can fail.
 *
 * <p>Ownership: the view never retains or releases its buffer; it reads absolute indices without moving indices.
 */
abstract sealed class IcmpMessage permits Icmpv4Packet, Icmpv6Packet {
    /** Offset of Type. */
    static final int TYPE_OFFSET = 0;
    /** Offset of Code. */
    static final int CODE_OFFSET = 1;
    /** Offset of Checksum. */
    static final int CHECKSUM_OFFSET = 2;
    /** Offset of the echo Identifier (the first half of the rest of header). */
    static final int IDENTIFIER_OFFSET = 4;
    /** Offset of the echo Sequence Number. */
    static final int SEQUENCE_OFFSET = 6;
    /** Length of the header. */
    static final int LENGTH = 8;

    final ByteBuf buf;
    final int offset;
    final int length;

    IcmpMessage(ByteBuf buf, int offset, int length) {
        this.buf = buf;
        this.offset = offset;
        this.length = length;
    }

    /** True when {@code length} bytes from {@code offset} hold the 8-byte header and lie inside {@code buf}. */
    static boolean fits(ByteBuf buf, int offset, int length) {
        return length >= LENGTH && offset >= 0 && (long) offset + length <= buf.capacity();
    }

    /** The underlying buffer (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** Absolute index of the Type byte. */
    public int offset() {
        return offset;
    }

    /** Length of the whole message in bytes. */
    public int length() {
        return length;
    }

    /** Type. */
    public int type() {
        return buf.getUnsignedByte(offset + TYPE_OFFSET);
    }

    /** Code. */
    public int code() {
        return buf.getUnsignedByte(offset + CODE_OFFSET);
    }

    /** Checksum as stored. */
    public int checksum() {
        return buf.getUnsignedShort(offset + CHECKSUM_OFFSET);
    }

    /** The 4-byte "rest of header" as 32 bits. */
    public int restOfHeader() {
        return buf.getInt(offset + IDENTIFIER_OFFSET);
    }

    /** Identifier of an echo request or reply. */
    public int echoIdentifier() {
        return buf.getUnsignedShort(offset + IDENTIFIER_OFFSET);
    }

    /** Sequence Number of an echo request or reply. */
    public int echoSequence() {
        return buf.getUnsignedShort(offset + SEQUENCE_OFFSET);
    }

    /** Absolute index of the data after the 8-byte header. */
    public int dataOffset() {
        return offset + LENGTH;
    }

    /** Length of the data after the 8-byte header. */
    public int dataLength() {
        return length - LENGTH;
    }

    /** A slice of the data sharing the buffer's memory; not retained (the caller's buffer must outlive it). */
    public ByteBuf data() {
        return buf.slice(dataOffset(), dataLength());
    }
}
