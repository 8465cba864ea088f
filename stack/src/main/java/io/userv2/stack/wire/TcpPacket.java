package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of a TCP segment (RFC 9293 section 3.1) in a {@link ByteBuf}: {@code length} bytes from an absolute offset.
 * TCP carries no length of its own, so the length is the IP payload length given to {@link #checked}. The view never
 * moves the buffer's indices and never retains or releases it: whoever passed the buffer keeps ownership, and the view
 * must not be used after that owner releases it.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           [Options]                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               :
 * :                             Data                              :
 * :                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>{@link #checked} validates the data offset once; afterwards no accessor can fail. Options are decoded (and can be
 * found malformed) by {@link #options()} / {@link TcpRepr#parse}. On the per-segment path one view is re-pointed at
 * segment after segment ({@link #reusable()}, {@link #wrap}), so that no object is made per segment; whoever owns such
 * a view must not hand it to code that keeps it.
 */
public final class TcpPacket {
    /** Offset of the 16-bit source port. */
    static final int SRC_PORT = 0;
    /** Offset of the 16-bit destination port. */
    static final int DST_PORT = 2;
    /** Offset of the 32-bit sequence number. */
    static final int SEQ_NUM = 4;
    /** Offset of the 32-bit acknowledgment number. */
    static final int ACK_NUM = 8;
    /** Offset of the octet holding Data Offset (high nibble) and reserved bits. */
    static final int DATA_OFFSET = 12;
    /** Offset of the flags octet (CWR ECE URG ACK PSH RST SYN FIN). */
    static final int FLAGS = 13;
    /** Offset of the 16-bit window. */
    static final int WINDOW = 14;
    /** Offset of the 16-bit checksum. */
    static final int CHECKSUM = 16;
    /** Offset of the 16-bit urgent pointer. */
    static final int URGENT = 18;
    /** Size of the fixed header (data offset 5). */
    public static final int HEADER_LENGTH = 20;
    /** Largest header: data offset 15 words. */
    public static final int MAX_HEADER_LENGTH = 60;

    /** FIN: no more data from sender. */
    public static final int FLAG_FIN = 0x01;
    /** SYN: synchronize sequence numbers. */
    public static final int FLAG_SYN = 0x02;
    /** RST: reset the connection. */
    public static final int FLAG_RST = 0x04;
    /** PSH: push function. */
    public static final int FLAG_PSH = 0x08;
    /** ACK: acknowledgment field is significant. */
    public static final int FLAG_ACK = 0x10;
    /** URG: urgent pointer field is significant. */
    public static final int FLAG_URG = 0x20;
    /** ECE: ECN-Echo (RFC 3168). */
    public static final int FLAG_ECE = 0x40;
    /** CWR: congestion window reduced (RFC 3168). */
    public static final int FLAG_CWR = 0x80;

    private ByteBuf buf;
    private int offset;
    private int length;
    /** The detail of the last failed {@link #wrap}, a constant string. */
    private String failure;

    private TcpPacket() {
    }

    /** A view pointing nowhere, to be {@link #wrap wrapped} around segment after segment by its one owner. */
    public static TcpPacket reusable() {
        return new TcpPacket();
    }

    /**
     * Validates the segment of {@code length} bytes (the IP payload length) at absolute {@code offset} of {@code buf}.
     * Fails {@link ParseError#TRUNCATED} when fewer than 20 bytes are there or the Data Offset reaches past
     * {@code length} (the header says it is longer than the bytes we have, as smoltcp's {@code check_len}), and
     * {@link ParseError#MALFORMED} when the Data Offset is below 5 (RFC 9293: "the TCP header (even one including
     * options) is an integer multiple of 32 bits long", and at least the 20 fixed bytes). The caller keeps ownership of
     * {@code buf}; the view does not retain it.
     */
    public static ParseResult<TcpPacket> checked(ByteBuf buf, int offset, int length) {
        TcpPacket packet = new TcpPacket();
        ParseError error = packet.wrap(buf, offset, length);
        return error == null ? ParseResult.ok(packet) : new ParseResult.Failed<>(error, packet.failure);
    }

    /**
     * Points this view at the segment of {@code length} bytes at absolute {@code offset} of {@code buf}, with the
     * checks of {@link #checked(ByteBuf, int, int)}: returns null when they pass, else the kind of failure (then the
     * view must not be read until wrapped again). The caller keeps ownership of {@code buf}; the view does not retain
     * it.
     */
    public ParseError wrap(ByteBuf buf, int offset, int length) {
        if (offset < 0 || length < HEADER_LENGTH || offset > buf.writerIndex() - length) {
            failure = "TCP header needs 20 bytes";
            return ParseError.TRUNCATED;
        }
        int headerLength = (buf.getUnsignedByte(offset + DATA_OFFSET) >>> 4) * 4;
        if (headerLength < HEADER_LENGTH) {
            failure = "TCP data offset below 5";
            return ParseError.MALFORMED;
        }
        if (headerLength > length) {
            failure = "TCP data offset past end of segment";
            return ParseError.TRUNCATED;
        }
        this.buf = buf;
        this.offset = offset;
        this.length = length;
        return null;
    }

    /** {@link #checked(ByteBuf, int, int)} over the readable bytes of {@code buf}; the caller keeps ownership. */
    public static ParseResult<TcpPacket> checked(ByteBuf buf) {
        return checked(buf, buf.readerIndex(), buf.readableBytes());
    }

    /** The buffer this view reads (not retained by the view). */
    public ByteBuf buffer() {
        return buf;
    }

    /** The absolute offset of the TCP header in {@link #buffer()}. */
    public int offset() {
        return offset;
    }

    /** The segment length: header, options and data. */
    public int length() {
        return length;
    }

    /** Source Port. */
    public int srcPort() {
        return buf.getUnsignedShort(offset + SRC_PORT);
    }

    /** Destination Port. */
    public int dstPort() {
        return buf.getUnsignedShort(offset + DST_PORT);
    }

    /** Sequence Number: of the first data octet, or the ISN when SYN is set. */
    public SeqNumber seqNumber() {
        return SeqNumber.of(buf.getInt(offset + SEQ_NUM));
    }

    /** The raw Acknowledgment Number field; meaningful only when {@link #ack()} is set (see {@link TcpRepr}). */
    public SeqNumber ackNumber() {
        return SeqNumber.of(buf.getInt(offset + ACK_NUM));
    }

    /** Data Offset in bytes: 20..60, at most {@link #length()}. */
    public int headerLength() {
        return (buf.getUnsignedByte(offset + DATA_OFFSET) >>> 4) * 4;
    }

    /** The flags octet (CWR ECE URG ACK PSH RST SYN FIN, high to low). */
    public int flags() {
        return buf.getUnsignedByte(offset + FLAGS);
    }

    /** FIN flag. */
    public boolean fin() {
        return (flags() & FLAG_FIN) != 0;
    }

    /** SYN flag. */
    public boolean syn() {
        return (flags() & FLAG_SYN) != 0;
    }

    /** RST flag. */
    public boolean rst() {
        return (flags() & FLAG_RST) != 0;
    }

    /** PSH flag. */
    public boolean psh() {
        return (flags() & FLAG_PSH) != 0;
    }

    /** ACK flag. */
    public boolean ack() {
        return (flags() & FLAG_ACK) != 0;
    }

    /** URG flag. */
    public boolean urg() {
        return (flags() & FLAG_URG) != 0;
    }

    /** Window: the unscaled receive window advertised. */
    public int window() {
        return buf.getUnsignedShort(offset + WINDOW);
    }

    /** Checksum as on the wire. */
    public int checksum() {
        return buf.getUnsignedShort(offset + CHECKSUM);
    }

    /** Urgent Pointer, meaningful only when {@link #urg()} is set. */
    public int urgentPointer() {
        return buf.getUnsignedShort(offset + URGENT);
    }

    /** The options, decoded; fails {@link ParseError#MALFORMED} as described in {@link TcpOptions#parse}. */
    public ParseResult<TcpOptions> options() {
        return TcpOptions.parse(buf, offset + HEADER_LENGTH, headerLength() - HEADER_LENGTH);
    }

    /** The absolute offset of the data in {@link #buffer()}. */
    public int payloadOffset() {
        return offset + headerLength();
    }

    /** The number of data octets. */
    public int payloadLength() {
        return length - headerLength();
    }

    /**
     * The data as a slice sharing {@link #buffer()}'s memory and reference count; not retained, so valid only while
     * the caller owns the underlying buffer.
     */
    public ByteBuf payload() {
        return buf.slice(payloadOffset(), payloadLength());
    }

    /** True when the checksum over the IPv4 pseudo header, header and data verifies (RFC 9293 section 3.1). */
    public boolean verifyChecksum(int srcAddr, int dstAddr) {
        int sum = Checksum.pseudoHeaderIpv4(srcAddr, dstAddr, IpProtocol.TCP_NUMBER, length);
        return Checksum.finish(Checksum.partial(buf, offset, length, sum)) == 0;
    }

    /**
     * True when the checksum over the IPv6 pseudo header (RFC 8200 section 8.1: the addresses, the segment length
     * {@link #length()} and Next Header 6), header and data verifies. Allocates nothing.
     */
    public boolean verifyChecksumIpv6(long srcHigh, long srcLow, long dstHigh, long dstLow) {
        int sum = Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, IpProtocol.TCP_NUMBER, length);
        return Checksum.finish(Checksum.partial(buf, offset, length, sum)) == 0;
    }

    /** Writes the Source Port. */
    public void setSrcPort(int port) {
        buf.setShort(offset + SRC_PORT, port);
    }

    /** Writes the Destination Port. */
    public void setDstPort(int port) {
        buf.setShort(offset + DST_PORT, port);
    }

    /** Writes the Sequence Number. */
    public void setSeqNumber(SeqNumber seq) {
        buf.setInt(offset + SEQ_NUM, seq.value());
    }

    /** Writes the Acknowledgment Number field (set the ACK flag separately). */
    public void setAckNumber(SeqNumber ack) {
        buf.setInt(offset + ACK_NUM, ack.value());
    }

    /** Writes the Data Offset (a header length in bytes, a multiple of 4 in 20..60) and clears the reserved bits. */
    public void setHeaderLength(int headerLength) {
        buf.setByte(offset + DATA_OFFSET, (headerLength / 4) << 4);
    }

    /** Writes the flags octet. */
    public void setFlags(int flags) {
        buf.setByte(offset + FLAGS, flags);
    }

    /** Writes the Window. */
    public void setWindow(int window) {
        buf.setShort(offset + WINDOW, window);
    }

    /** Writes the Checksum field as given. */
    public void setChecksum(int checksum) {
        buf.setShort(offset + CHECKSUM, checksum);
    }

    /** Writes the Urgent Pointer. */
    public void setUrgentPointer(int urgentPointer) {
        buf.setShort(offset + URGENT, urgentPointer);
    }

    /** Computes and writes the checksum over the IPv4 pseudo header and the {@link #length()} bytes of the segment. */
    public void fillChecksum(int srcAddr, int dstAddr) {
        setChecksum(0);
        int sum = Checksum.pseudoHeaderIpv4(srcAddr, dstAddr, IpProtocol.TCP_NUMBER, length);
        setChecksum(Checksum.finish(Checksum.partial(buf, offset, length, sum)));
    }

    /** Computes and writes the checksum over the IPv6 pseudo header and the {@link #length()} bytes of the segment. */
    public void fillChecksumIpv6(long srcHigh, long srcLow, long dstHigh, long dstLow) {
        setChecksum(0);
        int sum = Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, IpProtocol.TCP_NUMBER, length);
        setChecksum(Checksum.finish(Checksum.partial(buf, offset, length, sum)));
    }

    /** Ports, flags and numbers, tcpdump style, without decoding options. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(srcPort()).append(" > ").append(dstPort()).append(": Flags [");
        int f = flags();
        if ((f & FLAG_SYN) != 0) {
            sb.append('S');
        }
        if ((f & FLAG_FIN) != 0) {
            sb.append('F');
        }
        if ((f & FLAG_RST) != 0) {
            sb.append('R');
        }
        if ((f & FLAG_PSH) != 0) {
            sb.append('P');
        }
        if ((f & FLAG_URG) != 0) {
            sb.append('U');
        }
        if ((f & FLAG_ECE) != 0) {
            sb.append('E');
        }
        if ((f & FLAG_CWR) != 0) {
            sb.append('W');
        }
        if ((f & FLAG_ACK) != 0) {
            sb.append('.');
        }
        sb.append("], seq ").append(seqNumber());
        if (ack()) {
            sb.append(", ack ").append(ackNumber());
        }
        return sb.append(", win ").append(window()).append(", length ").append(payloadLength()).toString();
    }
}
