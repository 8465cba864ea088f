package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * A view of a DHCP message (RFC 2131 section 2, on the BOOTP format of RFC 951) in a {@link ByteBuf}: {@code length}
 * bytes (the UDP payload) from an absolute offset. The view never moves the buffer's indices and never retains or
 * releases it: whoever passed the buffer keeps ownership, and the view must not be used after that owner releases it.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 * +---------------+---------------+---------------+---------------+
 * |                            xid (4)                            |
 * +-------------------------------+-------------------------------+
 * |           secs (2)            |           flags (2)           |
 * +-------------------------------+-------------------------------+
 * |                          ciaddr  (4)                          |
 * +---------------------------------------------------------------+
 * |                          yiaddr  (4)                          |
 * +---------------------------------------------------------------+
 * |                          siaddr  (4)                          |
 * +---------------------------------------------------------------+
 * |                          giaddr  (4)                          |
 * +---------------------------------------------------------------+
 * |                          chaddr  (16)                         |
 * +---------------------------------------------------------------+
 * |                          sname   (64)                         |
 * +---------------------------------------------------------------+
 * |                          file    (128)                        |
 * +---------------------------------------------------------------+
 * |                          options (variable)                   |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>RFC 2131 section 3: "The first four octets of the 'options' field of the DHCP message contain the (decimal)
 * values 99, 130, 83 and 99, respectively (this is the same magic cookie as is defined in RFC 1497)." {@link #checked}
 * requires them, so a view is always of a DHCP (not plain BOOTP) message; afterwards no accessor can fail.
 */
public final class DhcpPacket {
    /** Offset of op: 1 = BOOTREQUEST, 2 = BOOTREPLY. */
    static final int OP = 0;
    /** Offset of htype: hardware address type, 1 = 10 Mb Ethernet. */
    static final int HTYPE = 1;
    /** Offset of hlen: hardware address length, 6 for Ethernet. */
    static final int HLEN = 2;
    /** Offset of hops: incremented by relay agents. */
    static final int HOPS = 3;
    /** Offset of xid: transaction ID chosen by the client. */
    static final int XID = 4;
    /** Offset of secs: seconds since the client began acquisition or renewal. */
    static final int SECS = 8;
    /** Offset of flags: the broadcast bit is the most significant bit. */
    static final int FLAGS = 10;
    /** Offset of ciaddr: client IP address, only when the client is BOUND, RENEW or REBINDING. */
    static final int CIADDR = 12;
    /** Offset of yiaddr: "your" (client) IP address. */
    static final int YIADDR = 16;
    /** Offset of siaddr: IP address of the next server to use in bootstrap. */
    static final int SIADDR = 20;
    /** Offset of giaddr: relay agent IP address. */
    static final int GIADDR = 24;
    /** Offset of chaddr: client hardware address, 16 octets. */
    static final int CHADDR = 28;
    /** Offset of sname: optional server host name, null-terminated, 64 octets. */
    static final int SNAME = 44;
    /** Size of sname. */
    static final int SNAME_LENGTH = 64;
    /** Offset of file: boot file name, null-terminated, 128 octets. */
    static final int FILE = 108;
    /** Size of file. */
    static final int FILE_LENGTH = 128;
    /** Offset of the magic cookie, the first four octets of the options field. */
    static final int MAGIC_COOKIE = 236;
    /** Offset of the first option after the cookie. */
    static final int OPTIONS = 240;

    /** The magic cookie 99.130.83.99. */
    public static final int MAGIC = 0x63825363;
    /** The fixed part plus the cookie: the shortest DHCP message. */
    public static final int MIN_LENGTH = OPTIONS;
    /** The flags bit asking the server to broadcast its reply (RFC 2131 section 2, figure 2). */
    public static final int FLAG_BROADCAST = 0x8000;
    /** op BOOTREQUEST. */
    public static final int BOOTREQUEST = 1;
    /** op BOOTREPLY. */
    public static final int BOOTREPLY = 2;
    /** htype for Ethernet. */
    public static final int HTYPE_ETHERNET = 1;

    private final ByteBuf buf;
    private final int offset;
    private final int length;

    private DhcpPacket(ByteBuf buf, int offset, int length) {
        this.buf = buf;
        this.offset = offset;
        this.length = length;
    }

    /**
     * Validates the message of {@code length} bytes (the UDP payload) at absolute {@code offset} of {@code buf}. Fails
     * {@link ParseError#TRUNCATED} when fewer than 240 bytes (fixed fields plus magic cookie) are there, and
     * {@link ParseError#MALFORMED} when the magic cookie is missing. The caller keeps ownership of {@code buf}; the
     * view does not retain it.
     */
    public static ParseResult<DhcpPacket> checked(ByteBuf buf, int offset, int length) {
        if (offset < 0 || length < MIN_LENGTH || offset > buf.writerIndex() - length) {
            return ParseResult.truncated("DHCP message needs 240 bytes");
        }
        if (buf.getInt(offset + MAGIC_COOKIE) != MAGIC) {
            return ParseResult.malformed("DHCP magic cookie missing");
        }
        return ParseResult.ok(new DhcpPacket(buf, offset, length));
    }

    /** {@link #checked(ByteBuf, int, int)} over the readable bytes of {@code buf}; the caller keeps ownership. */
    public static ParseResult<DhcpPacket> checked(ByteBuf buf) {
        return checked(buf, buf.readerIndex(), buf.readableBytes());
    }

    /** The buffer this view reads (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** The absolute offset of the message in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /** The message length, options and trailing padding included. */
    public int length() {
        return length;
    }

    /** op: 1 = BOOTREQUEST, 2 = BOOTREPLY. */
    public int op() {
        return buf.getUnsignedByte(offset + OP);
    }

    /** htype: hardware address type (1 = Ethernet). */
    public int htype() {
        return buf.getUnsignedByte(offset + HTYPE);
    }

    /** hlen: hardware address length. */
    public int hlen() {
        return buf.getUnsignedByte(offset + HLEN);
    }

    /** hops: relay agent hop count. */
    public int hops() {
        return buf.getUnsignedByte(offset + HOPS);
    }

    /** xid: transaction ID. */
    public int xid() {
        return buf.getInt(offset + XID);
    }

    /** secs: seconds elapsed since the client began. */
    public int secs() {
        return buf.getUnsignedShort(offset + SECS);
    }

    /** flags: 16 bits, only {@link #FLAG_BROADCAST} is defined. */
    public int flags() {
        return buf.getUnsignedShort(offset + FLAGS);
    }

    /** The BROADCAST flag. */
    public boolean broadcast() {
        return (flags() & FLAG_BROADCAST) != 0;
    }

    /** ciaddr as address bits. */
    public int ciaddr() {
        return buf.getInt(offset + CIADDR);
    }

    /** yiaddr as address bits. */
    public int yiaddr() {
        return buf.getInt(offset + YIADDR);
    }

    /** siaddr as address bits. */
    public int siaddr() {
        return buf.getInt(offset + SIADDR);
    }

    /** giaddr as address bits. */
    public int giaddr() {
        return buf.getInt(offset + GIADDR);
    }

    /** The first six octets of chaddr as a 48-bit MAC (meaningful when htype is 1 and hlen is 6). */
    public long chaddrMac() {
        return MacAddress.read(buf, offset + CHADDR);
    }

    /** sname up to its first NUL (ISO-8859-1, so every octet maps to one char). */
    public String sname() {
        return cString(offset + SNAME, SNAME_LENGTH);
    }

    /** file up to its first NUL (ISO-8859-1). */
    public String file() {
        return cString(offset + FILE, FILE_LENGTH);
    }

    /** The absolute offset of the first option after the magic cookie. */
    public int optionsOffset() {
        return offset + OPTIONS;
    }

    /** The bytes from the first option to the end of the message. */
    public int optionsLength() {
        return length - OPTIONS;
    }

    /** The absolute offset of the sname field (holds options when overloaded). */
    int snameOffset() {
        return offset + SNAME;
    }

    /** The absolute offset of the file field (holds options when overloaded). */
    int fileOffset() {
        return offset + FILE;
    }

    private String cString(int index, int max) {
        int end = buf.indexOf(index, index + max, (byte) 0);
        int len = end < 0 ? max : end - index;
        return buf.toString(index, len, StandardCharsets.ISO_8859_1);
    }

    /** A short summary: op, client hardware address, xid. */
    @Override
    public String toString() {
        return "BOOTP/DHCP, " + (op() == BOOTREQUEST ? "Request" : op() == BOOTREPLY ? "Reply" : "op " + op())
                + " from " + MacAddress.format(chaddrMac()) + ", length " + length + ", xid 0x"
                + Integer.toHexString(xid());
    }
}
