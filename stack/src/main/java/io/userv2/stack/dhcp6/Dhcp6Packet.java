package io.userv2.stack.dhcp6;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.ParseError;
import io.userv2.stack.wire.ParseResult;

/**
 * A view of a DHCPv6 client/server message (RFC 8415 section 8) in a {@link ByteBuf}: {@code length} bytes (the UDP
 * payload) from an absolute offset. The view never moves the buffer's indices and never retains or releases it:
 * whoever passed the buffer keeps ownership, and the view must not be used after that owner releases it.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |    msg-type   |               transaction-id                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * .                            options                            .
 * .                 (variable number and length)                  .
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * each option (section 21.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          option-code          |           option-len          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          option-data                          |
 * |                      (option-len octets)                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>{@link #checked} requires the four header octets and a top-level option list that tiles the rest exactly (every
 * option header complete, no option-len past the end), and refuses the relay-agent format (msg-type 12 and 13, section
 * 9) as {@link ParseError#UNSUPPORTED}; afterwards no accessor can fail. Option contents are checked by
 * {@link Dhcp6Repr#parse}.
 */
public final class Dhcp6Packet {
    /** Offset of msg-type. */
    static final int MSG_TYPE = 0;
    /** Offset of the 3-octet transaction-id. */
    static final int TRANSACTION_ID = 1;
    /** Offset of the first option. */
    static final int OPTIONS = 4;
    /** The header: the shortest message. */
    public static final int MIN_LENGTH = OPTIONS;
    /** An option's code and length. */
    public static final int OPTION_HEADER = 4;

    private final ByteBuf buf;
    private final int offset;
    private final int length;

    private Dhcp6Packet(ByteBuf buf, int offset, int length) {
        this.buf = buf;
        this.offset = offset;
        this.length = length;
    }

    /**
     * Validates the message of {@code length} bytes at absolute {@code offset} of {@code buf} (see the class comment).
     * The caller keeps ownership of {@code buf}; the view does not retain it.
     */
    public static ParseResult<Dhcp6Packet> checked(ByteBuf buf, int offset, int length) {
        if (offset < 0 || length < MIN_LENGTH || offset > buf.writerIndex() - length) {
            return ParseResult.truncated("DHCPv6 message needs 4 bytes");
        }
        if (Dhcp6MessageType.of(buf.getUnsignedByte(offset + MSG_TYPE)).isRelay()) {
            return ParseResult.unsupported("DHCPv6 relay message");
        }
        if (!tiles(buf, offset + OPTIONS, length - OPTIONS)) {
            return ParseResult.truncated("DHCPv6 option runs past the end of the message");
        }
        return ParseResult.ok(new Dhcp6Packet(buf, offset, length));
    }

    /** {@link #checked(ByteBuf, int, int)} over the readable bytes of {@code buf}; the caller keeps ownership. */
    public static ParseResult<Dhcp6Packet> checked(ByteBuf buf) {
        return checked(buf, buf.readerIndex(), buf.readableBytes());
    }

    /** True when options laid end to end fill {@code [index, index + length)} exactly. */
    static boolean tiles(ByteBuf buf, int index, int length) {
        int end = index + length;
        while (index < end) {
            if (end - index < OPTION_HEADER) {
                return false;
            }
            int len = buf.getUnsignedShort(index + 2);
            if (end - index - OPTION_HEADER < len) {
                return false;
            }
            index += OPTION_HEADER + len;
        }
        return true;
    }

    /** The buffer this view reads (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** The absolute offset of the message in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /** The message length. */
    public int length() {
        return length;
    }

    /** msg-type. */
    public Dhcp6MessageType msgType() {
        return Dhcp6MessageType.of(buf.getUnsignedByte(offset + MSG_TYPE));
    }

    /** transaction-id, 24 bits. */
    public int transactionId() {
        return buf.getUnsignedMedium(offset + TRANSACTION_ID);
    }

    /** The absolute offset of the first option. */
    public int optionsOffset() {
        return offset + OPTIONS;
    }

    /** The bytes of the option list. */
    public int optionsLength() {
        return length - OPTIONS;
    }

    /** tcpdump style: {@code dhcp6 solicit (xid=40b2b7), length 133}. */
    @Override
    public String toString() {
        return "dhcp6 " + msgType() + " (xid=" + Integer.toHexString(transactionId()) + "), length " + length;
    }
}
