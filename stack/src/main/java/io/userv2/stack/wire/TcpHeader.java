package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * A TCP header (RFC 9293 section 3.1) and the options this stack understands, as mutable primitive fields: the
 * hot-path twin of {@link TcpRepr} + {@link TcpOptions} + {@link TcpTimestamps}. One instance is filled again for
 * every segment (parsed into from a frame by {@link #parse}, or built by an emitting connection) and read at once, so
 * that no object is made per segment; whoever receives one must not keep it past the call that handed it over (copy
 * it with {@link #copyFrom} or {@link #toRepr()} to keep it). It holds no buffer.
 *
 * <p>The same rules as the records, kept by the setters' callers rather than by types: the ACK number is meaningful
 * only when {@link #hasAck()}; an absent MSS or window scale is {@link #ABSENT} (never a made-up default); the
 * timestamps are meaningful only when {@link #hasTimestamps()}; at most {@value TcpOptions#MAX_SACK_BLOCKS} SACK
 * blocks. Sequence numbers are raw 32-bit values compared with {@link SeqNumber}'s static methods.
 *
 * <p>Wire layout: see {@link TcpPacket} for the header and {@link TcpOptions} for the options (the layout
 * {@link #emit} writes is the one {@link TcpOptions#emit} documents; both are this class's code).
 *
 * <p>Not thread-safe; owned by one engine thread.
 */
public final class TcpHeader {
    /** The value of {@link #maxSegmentSize()} and {@link #windowScale()} when the option is absent. */
    public static final int ABSENT = -1;

    private int srcPort;
    private int dstPort;
    private TcpControl control = TcpControl.NONE;
    private int seq;
    private boolean hasAck;
    private int ack;
    private int window;
    private int mss = ABSENT;
    private int windowScale = ABSENT;
    private boolean sackPermitted;
    /** Left and right edges of the SACK blocks, pairwise: block i is {@code [sack[2i], sack[2i+1])}. */
    private final int[] sack = new int[2 * TcpOptions.MAX_SACK_BLOCKS];
    private int sackCount;
    private boolean hasTimestamps;
    private int tsVal;
    private int tsEcr;
    private int payloadLength;
    /** The detail of the last failed {@link #parse}, a constant string. */
    private String failure;

    /** An empty header (ports 0, no ACK, no options): fill it with {@link #start} or {@link #parse}. */
    public TcpHeader() {
    }

    /** A header holding the fields of {@code repr} (for tests and non-hot callers). */
    public static TcpHeader of(TcpRepr repr) {
        return new TcpHeader().set(repr);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Filling in

    /**
     * Clears every field and sets the four every segment has; the rest starts out as no ACK, window 0, no options and
     * no data. Returns this header.
     */
    public TcpHeader start(int srcPort, int dstPort, TcpControl control, int seq) {
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        this.control = control;
        this.seq = seq;
        this.hasAck = false;
        this.ack = 0;
        this.window = 0;
        this.mss = ABSENT;
        this.windowScale = ABSENT;
        this.sackPermitted = false;
        this.sackCount = 0;
        this.hasTimestamps = false;
        this.tsVal = 0;
        this.tsEcr = 0;
        this.payloadLength = 0;
        return this;
    }

    /** Sets the ACK flag and the Acknowledgment Number. */
    public TcpHeader setAck(int ack) {
        this.hasAck = true;
        this.ack = ack;
        return this;
    }

    /** Sets the (unscaled) Window, 0..65535. */
    public TcpHeader setWindow(int window) {
        this.window = window;
        return this;
    }

    /** Sets the MSS option (0..65535), or removes it with {@link #ABSENT}. */
    public TcpHeader setMaxSegmentSize(int mss) {
        this.mss = mss;
        return this;
    }

    /** Sets the Window Scale option (0..14), or removes it with {@link #ABSENT}. */
    public TcpHeader setWindowScale(int shift) {
        this.windowScale = shift;
        return this;
    }

    /** Sets or removes the SACK-Permitted option. */
    public TcpHeader setSackPermitted(boolean permitted) {
        this.sackPermitted = permitted;
        return this;
    }

    /** Sets the Timestamps option. */
    public TcpHeader setTimestamps(int tsVal, int tsEcr) {
        this.hasTimestamps = true;
        this.tsVal = tsVal;
        this.tsEcr = tsEcr;
        return this;
    }

    /**
     * Appends a SACK block {@code [left, right)}.
     *
     * @throws IllegalStateException when the header already has {@value TcpOptions#MAX_SACK_BLOCKS} blocks
     */
    public TcpHeader addSackBlock(int left, int right) {
        if (sackCount == TcpOptions.MAX_SACK_BLOCKS) {
            throw new IllegalStateException("at most 4 SACK blocks");
        }
        sack[2 * sackCount] = left;
        sack[2 * sackCount + 1] = right;
        sackCount++;
        return this;
    }

    /** Sets the number of data octets. */
    public TcpHeader setPayloadLength(int length) {
        this.payloadLength = length;
        return this;
    }

    /** Makes this header a copy of {@code repr}; returns this header. */
    public TcpHeader set(TcpRepr repr) {
        start(repr.srcPort(), repr.dstPort(), repr.control(), repr.seqNumber().value());
        if (repr.hasAck()) {
            setAck(repr.ackNumber().value());
        }
        setWindow(repr.window());
        setOptions(repr.options());
        return setPayloadLength(repr.payloadLength());
    }

    /** Replaces the options with {@code o}; returns this header. */
    public TcpHeader setOptions(TcpOptions o) {
        mss = o.maxSegmentSize() != null ? o.maxSegmentSize() : ABSENT;
        windowScale = o.windowScale() != null ? o.windowScale() : ABSENT;
        sackPermitted = o.sackPermitted();
        sackCount = 0;
        for (SackBlock b : o.sackBlocks()) {
            addSackBlock(b.left().value(), b.right().value());
        }
        hasTimestamps = o.timestamps() != null;
        tsVal = hasTimestamps ? o.timestamps().tsVal() : 0;
        tsEcr = hasTimestamps ? o.timestamps().tsEcr() : 0;
        return this;
    }

    /** Makes this header a copy of {@code other}; returns this header. */
    public TcpHeader copyFrom(TcpHeader other) {
        srcPort = other.srcPort;
        dstPort = other.dstPort;
        control = other.control;
        seq = other.seq;
        hasAck = other.hasAck;
        ack = other.ack;
        window = other.window;
        mss = other.mss;
        windowScale = other.windowScale;
        sackPermitted = other.sackPermitted;
        System.arraycopy(other.sack, 0, sack, 0, sack.length);
        sackCount = other.sackCount;
        hasTimestamps = other.hasTimestamps;
        tsVal = other.tsVal;
        tsEcr = other.tsEcr;
        payloadLength = other.payloadLength;
        return this;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Reading

    /** Source Port. */
    public int srcPort() {
        return srcPort;
    }

    /** Destination Port. */
    public int dstPort() {
        return dstPort;
    }

    /** The segment's control function. */
    public TcpControl control() {
        return control;
    }

    /** Sequence Number (raw 32 bits). */
    public int seq() {
        return seq;
    }

    /** True when the ACK flag is set. */
    public boolean hasAck() {
        return hasAck;
    }

    /** Acknowledgment Number (raw 32 bits); meaningful only when {@link #hasAck()}. */
    public int ack() {
        return ack;
    }

    /** Window as on the wire (unscaled). */
    public int window() {
        return window;
    }

    /** The MSS option's value, or {@link #ABSENT}. */
    public int maxSegmentSize() {
        return mss;
    }

    /** The Window Scale option's shift count, or {@link #ABSENT}. */
    public int windowScale() {
        return windowScale;
    }

    /** True when SACK-Permitted is present. */
    public boolean sackPermitted() {
        return sackPermitted;
    }

    /** The number of SACK blocks, 0..4. */
    public int sackBlockCount() {
        return sackCount;
    }

    /** The left edge (first sequence number) of SACK block {@code i}. */
    public int sackLeft(int i) {
        return sack[2 * i];
    }

    /** The right edge (the sequence number after the block) of SACK block {@code i}. */
    public int sackRight(int i) {
        return sack[2 * i + 1];
    }

    /** True when the Timestamps option is present. */
    public boolean hasTimestamps() {
        return hasTimestamps;
    }

    /** TSval; meaningful only when {@link #hasTimestamps()}. */
    public int tsVal() {
        return tsVal;
    }

    /** TSecr; meaningful only when {@link #hasTimestamps()}. */
    public int tsEcr() {
        return tsEcr;
    }

    /** The number of data octets. */
    public int payloadLength() {
        return payloadLength;
    }

    /** The sequence space the segment occupies: data octets plus one for SYN or FIN (RFC 9293 SEG.LEN). */
    public int segmentLength() {
        return payloadLength + control.sequenceLength();
    }

    /** Header plus options in bytes. */
    public int headerLength() {
        return TcpPacket.HEADER_LENGTH + optionsLength();
    }

    /** Header, options and data in bytes. */
    public int totalLength() {
        return headerLength() + payloadLength;
    }

    /**
     * The bytes the options take on the wire: a multiple of 4, at most 40 for every combination {@link TcpOptions}
     * accepts (this header does not check that its options fit; what the engine builds always does).
     */
    public int optionsLength() {
        return optionsLength(mss != ABSENT, windowScale != ABSENT, sackPermitted, sackCount, hasTimestamps);
    }

    /** The options as a record (allocates; for tests, logs and the parsed form). */
    public TcpOptions options() {
        if (mss == ABSENT && windowScale == ABSENT && !sackPermitted && sackCount == 0 && !hasTimestamps) {
            return TcpOptions.NONE;
        }
        SackBlock[] blocks = new SackBlock[sackCount];
        for (int i = 0; i < sackCount; i++) {
            blocks[i] = new SackBlock(SeqNumber.of(sackLeft(i)), SeqNumber.of(sackRight(i)));
        }
        return new TcpOptions(mss != ABSENT ? mss : null, windowScale != ABSENT ? windowScale : null, sackPermitted,
                List.of(blocks), hasTimestamps ? new TcpTimestamps(tsVal, tsEcr) : null);
    }

    /**
     * The header as a record (allocates; for tests, logs and whoever keeps it).
     *
     * @throws IllegalArgumentException when a field is out of the range {@link TcpRepr} accepts
     */
    public TcpRepr toRepr() {
        return new TcpRepr(srcPort, dstPort, control, SeqNumber.of(seq), hasAck ? SeqNumber.of(ack) : null, window,
                options(), payloadLength);
    }

    /** tcpdump style, as {@link TcpRepr#toString()}. */
    @Override
    public String toString() {
        return toRepr().toString();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Parsing

    /**
     * Fills this header from the checked segment {@code packet} sent from {@code srcAddr} to {@code dstAddr}, with the
     * rules of {@link TcpRepr#parse}; returns null on success, else the kind of failure (then {@link #failure()} says
     * which rule, and the fields are undefined). Does not retain the packet's buffer.
     */
    public ParseError parse(TcpPacket packet, int srcAddr, int dstAddr, boolean verifyChecksum) {
        TcpControl ctl = controlOf(packet);
        if (ctl == null) {
            return ParseError.MALFORMED;
        }
        if (verifyChecksum && !packet.verifyChecksum(srcAddr, dstAddr)) {
            return fail(ParseError.BAD_CHECKSUM, "TCP checksum");
        }
        return fill(packet, ctl);
    }

    /**
     * As {@link #parse(TcpPacket, int, int, boolean)} for a segment carried over IPv6 from {@code srcHigh/srcLow} to
     * {@code dstHigh/dstLow}: the checksum is verified over the IPv6 pseudo header (RFC 8200 section 8.1). Allocates
     * nothing; does not retain the packet's buffer.
     */
    public ParseError parseIpv6(TcpPacket packet, long srcHigh, long srcLow, long dstHigh, long dstLow,
                                boolean verifyChecksum) {
        TcpControl ctl = controlOf(packet);
        if (ctl == null) {
            return ParseError.MALFORMED;
        }
        if (verifyChecksum && !packet.verifyChecksumIpv6(srcHigh, srcLow, dstHigh, dstLow)) {
            return fail(ParseError.BAD_CHECKSUM, "TCP checksum");
        }
        return fill(packet, ctl);
    }

    /** The control function of {@code packet}, or null (with {@link #failure()} set) for port 0 or bad flags. */
    private TcpControl controlOf(TcpPacket packet) {
        if (packet.srcPort() == 0 || packet.dstPort() == 0) {
            fail(ParseError.MALFORMED, "TCP port 0");
            return null;
        }
        int flags = packet.flags();
        return switch (flags & (TcpPacket.FLAG_SYN | TcpPacket.FLAG_FIN | TcpPacket.FLAG_RST)) {
            case 0 -> (flags & TcpPacket.FLAG_PSH) != 0 ? TcpControl.PSH : TcpControl.NONE;
            case TcpPacket.FLAG_SYN -> TcpControl.SYN;
            case TcpPacket.FLAG_FIN -> TcpControl.FIN;
            case TcpPacket.FLAG_RST -> TcpControl.RST;
            default -> {
                fail(ParseError.MALFORMED, "TCP SYN/FIN/RST combined");
                yield null;
            }
        };
    }

    /** Fills the fields from {@code packet}, whose control function is {@code ctl}, and parses its options. */
    private ParseError fill(TcpPacket packet, TcpControl ctl) {
        ByteBuf buf = packet.buffer();
        int offset = packet.offset();
        start(packet.srcPort(), packet.dstPort(), ctl, buf.getInt(offset + TcpPacket.SEQ_NUM));
        if ((packet.flags() & TcpPacket.FLAG_ACK) != 0) {
            setAck(buf.getInt(offset + TcpPacket.ACK_NUM));
        }
        setWindow(packet.window());
        setPayloadLength(packet.payloadLength());
        return parseOptions(buf, offset + TcpPacket.HEADER_LENGTH, packet.headerLength() - TcpPacket.HEADER_LENGTH);
    }

    /** The detail of the last failed parse (a constant string), or null. */
    public String failure() {
        return failure;
    }

    private ParseError fail(ParseError error, String detail) {
        failure = detail;
        return error;
    }

    /**
     * Replaces the options with those in {@code [index, index + length)} of {@code buf}, with the rules of
     * {@link TcpOptions#parse}; returns null on success, else {@link ParseError#MALFORMED} ({@link #failure()} says
     * why). The caller keeps ownership of {@code buf}.
     */
    ParseError parseOptions(ByteBuf buf, int index, int length) {
        mss = ABSENT;
        windowScale = ABSENT;
        sackPermitted = false;
        sackCount = 0;
        hasTimestamps = false;
        int i = index;
        int end = index + length;
        while (i < end) {
            int kind = buf.getUnsignedByte(i);
            if (kind == TcpOptions.KIND_EOL) {
                break;
            }
            if (kind == TcpOptions.KIND_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return fail(ParseError.MALFORMED, "TCP option length octet missing");
            }
            int len = buf.getUnsignedByte(i + 1);
            if (len < 2) {
                return fail(ParseError.MALFORMED, "TCP option length below 2");
            }
            if (len > end - i) {
                return fail(ParseError.MALFORMED, "TCP option runs past header");
            }
            switch (kind) {
                case TcpOptions.KIND_MSS -> {
                    if (len != 4) {
                        return fail(ParseError.MALFORMED, "TCP MSS option length not 4");
                    }
                    mss = buf.getUnsignedShort(i + 2);
                }
                case TcpOptions.KIND_WINDOW_SCALE -> {
                    if (len != 3) {
                        return fail(ParseError.MALFORMED, "TCP window scale option length not 3");
                    }
                    windowScale = Math.min(buf.getUnsignedByte(i + 2), TcpOptions.MAX_WINDOW_SCALE);
                }
                case TcpOptions.KIND_SACK_PERMITTED -> {
                    if (len != 2) {
                        return fail(ParseError.MALFORMED, "TCP SACK-permitted option length not 2");
                    }
                    sackPermitted = true;
                }
                case TcpOptions.KIND_SACK -> {
                    // RFC 2018 section 3: "Length: Variable", 2 + 8 * n with at least one block.
                    if (len < 10 || (len - 2) % 8 != 0) {
                        return fail(ParseError.MALFORMED, "TCP SACK option length not 2 + 8n");
                    }
                    int n = (len - 2) / 8; // at most 4: 2 + 5 * 8 = 42 cannot fit in 40 bytes of options
                    sackCount = 0; // a repeated option replaces the earlier one
                    for (int b = 0; b < n; b++) {
                        addSackBlock(buf.getInt(i + 2 + 8 * b), buf.getInt(i + 6 + 8 * b));
                    }
                }
                case TcpOptions.KIND_TIMESTAMPS -> {
                    if (len != 10) {
                        return fail(ParseError.MALFORMED, "TCP timestamps option length not 10");
                    }
                    setTimestamps(buf.getInt(i + 2), buf.getInt(i + 6));
                }
                default -> {
                    // Unknown option: RFC 9293 section 3.2, "A TCP implementation MUST be able to receive a TCP
                    // option in any segment" and MUST ignore those it does not implement (MUST-64).
                }
            }
            i += len;
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Emitting

    /**
     * Writes header and options at absolute {@code offset} of {@code buf} and fills in the checksum over the IPv4
     * pseudo header, the header and the {@link #payloadLength()} data octets, which the caller must already have placed
     * at {@code offset + headerLength()}; as {@link TcpRepr#emit}. The buffer needs capacity for {@link #totalLength()}
     * bytes from {@code offset}; its indices are not moved and the caller keeps ownership. The urgent pointer is
     * written as 0, and the acknowledgment field as 0 when there is no ACK.
     */
    public void emit(ByteBuf buf, int offset, int srcAddr, int dstAddr) {
        int length = emitUnchecked(buf, offset);
        int sum = Checksum.pseudoHeaderIpv4(srcAddr, dstAddr, IpProtocol.TCP_NUMBER, length);
        buf.setShort(offset + TcpPacket.CHECKSUM, Checksum.finish(Checksum.partial(buf, offset, length, sum)));
    }

    /**
     * As {@link #emit(ByteBuf, int, int, int)} for a segment carried over IPv6 from {@code srcHigh/srcLow} to
     * {@code dstHigh/dstLow}: the checksum covers the IPv6 pseudo header (RFC 8200 section 8.1). Allocates nothing.
     */
    public void emitIpv6(ByteBuf buf, int offset, long srcHigh, long srcLow, long dstHigh, long dstLow) {
        int length = emitUnchecked(buf, offset);
        int sum = Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, IpProtocol.TCP_NUMBER, length);
        buf.setShort(offset + TcpPacket.CHECKSUM, Checksum.finish(Checksum.partial(buf, offset, length, sum)));
    }

    /**
     * As {@link #emit(ByteBuf, int, int, int)} for data placed by {@link Checksum#copyAndPartial}, whose partial sum
     * {@code dataSum} it returned: only the header is read for the checksum, not the data again. The data must start
     * at {@code offset + headerLength()}, an even distance from the header (it is a multiple of four), so the two sums
     * add up as the sum over the whole segment would.
     */
    public void emitWithDataSum(ByteBuf buf, int offset, int srcAddr, int dstAddr, int dataSum) {
        int length = emitUnchecked(buf, offset);
        int sum = Checksum.pseudoHeaderIpv4(srcAddr, dstAddr, IpProtocol.TCP_NUMBER, length) + dataSum;
        buf.setShort(offset + TcpPacket.CHECKSUM, Checksum.finish(Checksum.partial(buf, offset, headerLength(), sum)));
    }

    /** {@link #emitWithDataSum} for a segment carried over IPv6 (the checksum over its pseudo header). */
    public void emitIpv6WithDataSum(ByteBuf buf, int offset, long srcHigh, long srcLow, long dstHigh, long dstLow,
                                    int dataSum) {
        int length = emitUnchecked(buf, offset);
        int sum = Checksum.pseudoHeaderIpv6(srcHigh, srcLow, dstHigh, dstLow, IpProtocol.TCP_NUMBER, length) + dataSum;
        buf.setShort(offset + TcpPacket.CHECKSUM, Checksum.finish(Checksum.partial(buf, offset, headerLength(), sum)));
    }

    /** Writes header and options with a zero checksum; returns the segment length (header, options and data). */
    private int emitUnchecked(ByteBuf buf, int offset) {
        int headerLength = headerLength();
        int length = headerLength + payloadLength;
        buf.setShort(offset + TcpPacket.SRC_PORT, srcPort);
        buf.setShort(offset + TcpPacket.DST_PORT, dstPort);
        buf.setInt(offset + TcpPacket.SEQ_NUM, seq);
        buf.setInt(offset + TcpPacket.ACK_NUM, hasAck ? ack : 0);
        buf.setByte(offset + TcpPacket.DATA_OFFSET, (headerLength / 4) << 4);
        buf.setByte(offset + TcpPacket.FLAGS, control.flagBits() | (hasAck ? TcpPacket.FLAG_ACK : 0));
        buf.setShort(offset + TcpPacket.WINDOW, window);
        buf.setShort(offset + TcpPacket.CHECKSUM, 0);
        buf.setShort(offset + TcpPacket.URGENT, 0);
        emitOptions(buf, offset + TcpPacket.HEADER_LENGTH);
        return length;
    }

    /**
     * Writes the options at absolute {@code index} of {@code buf} in the layout {@link TcpOptions#emit} describes and
     * returns the number of bytes written ({@link #optionsLength()}). Indices are not moved; the caller keeps
     * ownership of {@code buf}.
     */
    int emitOptions(ByteBuf buf, int index) {
        if (alignedLength(mss != ABSENT, windowScale != ABSENT, sackPermitted, sackCount, hasTimestamps)
                > TcpOptions.MAX_LENGTH) {
            return emitCompact(buf, index);
        }
        int i = index;
        if (mss != ABSENT) {
            buf.setByte(i, TcpOptions.KIND_MSS);
            buf.setByte(i + 1, 4);
            buf.setShort(i + 2, mss);
            i += 4;
        }
        if (hasTimestamps) {
            if (sackPermitted) {
                buf.setByte(i, TcpOptions.KIND_SACK_PERMITTED);
                buf.setByte(i + 1, 2);
            } else {
                buf.setByte(i, TcpOptions.KIND_NOP);
                buf.setByte(i + 1, TcpOptions.KIND_NOP);
            }
            buf.setByte(i + 2, TcpOptions.KIND_TIMESTAMPS);
            buf.setByte(i + 3, 10);
            buf.setInt(i + 4, tsVal);
            buf.setInt(i + 8, tsEcr);
            i += 12;
        } else if (sackPermitted) {
            buf.setByte(i, TcpOptions.KIND_NOP);
            buf.setByte(i + 1, TcpOptions.KIND_NOP);
            buf.setByte(i + 2, TcpOptions.KIND_SACK_PERMITTED);
            buf.setByte(i + 3, 2);
            i += 4;
        }
        if (windowScale != ABSENT) {
            buf.setByte(i, TcpOptions.KIND_NOP);
            buf.setByte(i + 1, TcpOptions.KIND_WINDOW_SCALE);
            buf.setByte(i + 2, 3);
            buf.setByte(i + 3, windowScale);
            i += 4;
        }
        if (sackCount > 0) {
            buf.setByte(i, TcpOptions.KIND_NOP);
            buf.setByte(i + 1, TcpOptions.KIND_NOP);
            i += 2 + emitSack(buf, i + 2);
        }
        return i - index;
    }

    private int emitCompact(ByteBuf buf, int index) {
        int i = index;
        if (mss != ABSENT) {
            buf.setByte(i++, TcpOptions.KIND_MSS);
            buf.setByte(i++, 4);
            buf.setShort(i, mss);
            i += 2;
        }
        if (windowScale != ABSENT) {
            buf.setByte(i++, TcpOptions.KIND_WINDOW_SCALE);
            buf.setByte(i++, 3);
            buf.setByte(i++, windowScale);
        }
        if (sackPermitted) {
            buf.setByte(i++, TcpOptions.KIND_SACK_PERMITTED);
            buf.setByte(i++, 2);
        }
        if (hasTimestamps) {
            buf.setByte(i++, TcpOptions.KIND_TIMESTAMPS);
            buf.setByte(i++, 10);
            buf.setInt(i, tsVal);
            buf.setInt(i + 4, tsEcr);
            i += 8;
        }
        if (sackCount > 0) {
            i += emitSack(buf, i);
        }
        while (((i - index) & 3) != 0) {
            buf.setByte(i++, TcpOptions.KIND_NOP);
        }
        return i - index;
    }

    /** The SACK option itself (kind, length, blocks) at {@code i}; returns its length. */
    private int emitSack(ByteBuf buf, int i) {
        int len = 2 + 8 * sackCount;
        buf.setByte(i, TcpOptions.KIND_SACK);
        buf.setByte(i + 1, len);
        for (int b = 0; b < sackCount; b++) {
            buf.setInt(i + 2 + 8 * b, sackLeft(b));
            buf.setInt(i + 6 + 8 * b, sackRight(b));
        }
        return len;
    }

    /** The bytes the options take: the aligned layout, or the compact one padded to 4 when that does not fit. */
    static int optionsLength(boolean mss, boolean wscale, boolean sackOk, int sackBlocks, boolean ts) {
        int aligned = alignedLength(mss, wscale, sackOk, sackBlocks, ts);
        return aligned <= TcpOptions.MAX_LENGTH ? aligned
                : (compactLength(mss, wscale, sackOk, sackBlocks, ts) + 3) & ~3;
    }

    /** The length of the Linux-like layout, every option on a 4-byte boundary. */
    private static int alignedLength(boolean mss, boolean wscale, boolean sackOk, int sackBlocks, boolean ts) {
        int n = 0;
        if (mss) {
            n += 4;
        }
        if (ts) {
            n += 12; // SACK-permitted (or NOP NOP) + timestamps
        } else if (sackOk) {
            n += 4; // NOP NOP SACK-permitted
        }
        if (wscale) {
            n += 4; // NOP + window scale
        }
        if (sackBlocks > 0) {
            n += 4 + 8 * sackBlocks; // NOP NOP + SACK
        }
        return n;
    }

    /** The sum of the options' own lengths, without padding. */
    private static int compactLength(boolean mss, boolean wscale, boolean sackOk, int sackBlocks, boolean ts) {
        return (mss ? 4 : 0) + (wscale ? 3 : 0) + (sackOk ? 2 : 0) + (ts ? 10 : 0)
                + (sackBlocks > 0 ? 2 + 8 * sackBlocks : 0);
    }
}
