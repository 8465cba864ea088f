package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * The TCP options of one segment that this stack understands (RFC 9293 section 3.2 and the RFCs named below); other
 * options are skipped by their length when parsing. Absent options are absent: {@code null}, {@code false} or an empty
 * list, never a made-up default.
 *
 * <p>Wire format: an option is either a single octet of kind (End of Option List, 0; No-Operation, 1) or
 * {@code kind, length, data...} where length counts the kind and length octets too (RFC 9293 section 3.1):
 * <pre>
 *  +--------+--------+---------...
 *  |  Kind  | Length |  data ...
 *  +--------+--------+---------...
 * </pre>
 *
 * @param maxSegmentSize Maximum Segment Size (kind 2, RFC 9293 section 3.7.1), 0..65535, or null
 * @param windowScale    Window Scale shift count (kind 3, RFC 7323 section 2), 0..14, or null
 * @param sackPermitted  SACK-Permitted (kind 4, RFC 2018 section 2)
 * @param sackBlocks     the blocks of a SACK option (kind 5, RFC 2018 section 3), 0..4 of them; empty when absent
 * @param timestamps     Timestamps (kind 8, RFC 7323 section 3), or null
 */
public record TcpOptions(Integer maxSegmentSize, Integer windowScale, boolean sackPermitted,
                         List<SackBlock> sackBlocks, TcpTimestamps timestamps) {

    /** No options at all. */
    public static final TcpOptions NONE = new TcpOptions(null, null, false, List.of(), null);

    /** End of Option List. */
    public static final int KIND_EOL = 0;
    /** No-Operation (padding between options). */
    public static final int KIND_NOP = 1;
    /** Maximum Segment Size, length 4. */
    public static final int KIND_MSS = 2;
    /** Window Scale, length 3. */
    public static final int KIND_WINDOW_SCALE = 3;
    /** SACK-Permitted, length 2. */
    public static final int KIND_SACK_PERMITTED = 4;
    /** SACK, length 2 + 8n. */
    public static final int KIND_SACK = 5;
    /** Timestamps, length 10. */
    public static final int KIND_TIMESTAMPS = 8;

    /** The most option bytes a TCP header can carry: data offset 15 words minus the 20-byte fixed header. */
    public static final int MAX_LENGTH = 40;
    /** The largest shift count, RFC 7323 section 2.3. */
    public static final int MAX_WINDOW_SCALE = 14;
    /** The most SACK blocks that fit in the option space (2 + 4 * 8 = 34 bytes). */
    public static final int MAX_SACK_BLOCKS = 4;

    /** Validates ranges and that the options fit in 40 bytes; copies {@code sackBlocks}. */
    public TcpOptions {
        if (maxSegmentSize != null && (maxSegmentSize & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("MSS out of range: " + maxSegmentSize);
        }
        if (windowScale != null && (windowScale < 0 || windowScale > MAX_WINDOW_SCALE)) {
            throw new IllegalArgumentException("window scale out of range: " + windowScale);
        }
        sackBlocks = List.copyOf(Objects.requireNonNull(sackBlocks, "sackBlocks"));
        if (sackBlocks.size() > MAX_SACK_BLOCKS) {
            throw new IllegalArgumentException("at most 4 SACK blocks, got " + sackBlocks.size());
        }
        int length = encodedLength(maxSegmentSize, windowScale, sackPermitted, sackBlocks.size(), timestamps);
        if (length > MAX_LENGTH) {
            throw new IllegalArgumentException("TCP options need " + length + " bytes, at most 40 fit");
        }
    }

    /**
     * Parses the options in {@code [index, index + length)} of {@code buf}. Fails {@link ParseError#MALFORMED} when an
     * option's length octet is missing, below 2, runs past the end of the header, or does not fit the option's kind
     * (e.g. an MSS option whose length is not 4). A window scale above 14 is read as 14 (RFC 7323 section 2.3:
     * "If a Window Scale option is received with a shift.cnt value larger than 14, the TCP SHOULD log the error but
     * MUST use 14 instead of the specified value"). Unknown kinds are skipped by their length; repeated options keep
     * the last instance. Parsing stops at End of Option List. The caller keeps ownership of {@code buf}.
     */
    public static ParseResult<TcpOptions> parse(ByteBuf buf, int index, int length) {
        if (length == 0) {
            return ParseResult.ok(NONE);
        }
        Integer mss = null;
        Integer wscale = null;
        boolean sackOk = false;
        List<SackBlock> blocks = List.of();
        TcpTimestamps ts = null;
        int i = index;
        int end = index + length;
        while (i < end) {
            int kind = buf.getUnsignedByte(i);
            if (kind == KIND_EOL) {
                break;
            }
            if (kind == KIND_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return ParseResult.malformed("TCP option length octet missing");
            }
            int len = buf.getUnsignedByte(i + 1);
            if (len < 2) {
                return ParseResult.malformed("TCP option length below 2");
            }
            if (len > end - i) {
                return ParseResult.malformed("TCP option runs past header");
            }
            switch (kind) {
                case KIND_MSS -> {
                    if (len != 4) {
                        return ParseResult.malformed("TCP MSS option length not 4");
                    }
                    mss = buf.getUnsignedShort(i + 2);
                }
                case KIND_WINDOW_SCALE -> {
                    if (len != 3) {
                        return ParseResult.malformed("TCP window scale option length not 3");
                    }
                    wscale = Math.min(buf.getUnsignedByte(i + 2), MAX_WINDOW_SCALE);
                }
                case KIND_SACK_PERMITTED -> {
                    if (len != 2) {
                        return ParseResult.malformed("TCP SACK-permitted option length not 2");
                    }
                    sackOk = true;
                }
                case KIND_SACK -> {
                    // RFC 2018 section 3: "Length: Variable", 2 + 8 * n with at least one block.
                    if (len < 10 || (len - 2) % 8 != 0) {
                        return ParseResult.malformed("TCP SACK option length not 2 + 8n");
                    }
                    int n = (len - 2) / 8; // at most 4: 2 + 5 * 8 = 42 cannot fit in 40 bytes of options
                    List<SackBlock> list = new ArrayList<>(n);
                    for (int b = 0; b < n; b++) {
                        int at = i + 2 + 8 * b;
                        list.add(new SackBlock(SeqNumber.of(buf.getInt(at)), SeqNumber.of(buf.getInt(at + 4))));
                    }
                    blocks = list;
                }
                case KIND_TIMESTAMPS -> {
                    if (len != 10) {
                        return ParseResult.malformed("TCP timestamps option length not 10");
                    }
                    ts = new TcpTimestamps(buf.getInt(i + 2), buf.getInt(i + 6));
                }
                default -> {
                    // Unknown option: RFC 9293 section 3.2, "A TCP implementation MUST be able to receive a TCP
                    // option in any segment" and MUST ignore those it does not implement (MUST-64).
                }
            }
            i += len;
        }
        if (mss == null && wscale == null && !sackOk && blocks.isEmpty() && ts == null) {
            return ParseResult.ok(NONE);
        }
        return ParseResult.ok(new TcpOptions(mss, wscale, sackOk, blocks, ts));
    }

    /** True when no option is present. */
    public boolean isEmpty() {
        return maxSegmentSize == null && windowScale == null && !sackPermitted && sackBlocks.isEmpty()
                && timestamps == null;
    }

    /** This set with the SACK blocks replaced (for building ACKs). */
    public TcpOptions withSackBlocks(List<SackBlock> blocks) {
        return new TcpOptions(maxSegmentSize, windowScale, sackPermitted, blocks, timestamps);
    }

    /** This set with the timestamps replaced ({@code null} removes them). */
    public TcpOptions withTimestamps(TcpTimestamps ts) {
        return new TcpOptions(maxSegmentSize, windowScale, sackPermitted, sackBlocks, ts);
    }

    /** The number of bytes {@link #emit} writes: a multiple of 4, at most 40. */
    public int encodedLength() {
        return encodedLength(maxSegmentSize, windowScale, sackPermitted, sackBlocks.size(), timestamps);
    }

    private static int encodedLength(Integer mss, Integer wscale, boolean sackOk, int sackBlocks, TcpTimestamps ts) {
        int aligned = alignedLength(mss, wscale, sackOk, sackBlocks, ts);
        return aligned <= MAX_LENGTH ? aligned : (compactLength(mss, wscale, sackOk, sackBlocks, ts) + 3) & ~3;
    }

    /** The length of the Linux-like layout, every option on a 4-byte boundary. */
    private static int alignedLength(Integer mss, Integer wscale, boolean sackOk, int sackBlocks, TcpTimestamps ts) {
        int n = 0;
        if (mss != null) {
            n += 4;
        }
        if (ts != null) {
            n += 12; // SACK-permitted (or NOP NOP) + timestamps
        } else if (sackOk) {
            n += 4; // NOP NOP SACK-permitted
        }
        if (wscale != null) {
            n += 4; // NOP + window scale
        }
        if (sackBlocks > 0) {
            n += 4 + 8 * sackBlocks; // NOP NOP + SACK
        }
        return n;
    }

    /** The sum of the options' own lengths, without padding. */
    private static int compactLength(Integer mss, Integer wscale, boolean sackOk, int sackBlocks, TcpTimestamps ts) {
        return (mss != null ? 4 : 0) + (wscale != null ? 3 : 0) + (sackOk ? 2 : 0) + (ts != null ? 10 : 0)
                + (sackBlocks > 0 ? 2 + 8 * sackBlocks : 0);
    }

    /**
     * Writes the options at absolute {@code index} of {@code buf} and returns the number of bytes written
     * ({@link #encodedLength()}). Options are laid out on 4-byte boundaries with NOP padding, in the order Linux
     * uses, so a Linux SYN's options re-encode byte for byte:
     * {@code MSS, SACK-permitted + Timestamps (or NOP NOP + Timestamps, or NOP NOP + SACK-permitted),
     * NOP + Window Scale, NOP NOP + SACK}. A combination no real stack sends (say window scale, SACK-permitted and
     * four SACK blocks) that does not fit in 40 bytes that way is written without padding between options, then NOPs
     * up to the next 4-byte boundary. Indices are not moved; the caller keeps ownership of {@code buf}.
     */
    public int emit(ByteBuf buf, int index) {
        if (alignedLength(maxSegmentSize, windowScale, sackPermitted, sackBlocks.size(), timestamps) > MAX_LENGTH) {
            return emitCompact(buf, index);
        }
        int i = index;
        if (maxSegmentSize != null) {
            buf.setByte(i, KIND_MSS);
            buf.setByte(i + 1, 4);
            buf.setShort(i + 2, maxSegmentSize);
            i += 4;
        }
        if (timestamps != null) {
            if (sackPermitted) {
                buf.setByte(i, KIND_SACK_PERMITTED);
                buf.setByte(i + 1, 2);
            } else {
                buf.setByte(i, KIND_NOP);
                buf.setByte(i + 1, KIND_NOP);
            }
            buf.setByte(i + 2, KIND_TIMESTAMPS);
            buf.setByte(i + 3, 10);
            buf.setInt(i + 4, timestamps.tsVal());
            buf.setInt(i + 8, timestamps.tsEcr());
            i += 12;
        } else if (sackPermitted) {
            buf.setByte(i, KIND_NOP);
            buf.setByte(i + 1, KIND_NOP);
            buf.setByte(i + 2, KIND_SACK_PERMITTED);
            buf.setByte(i + 3, 2);
            i += 4;
        }
        if (windowScale != null) {
            buf.setByte(i, KIND_NOP);
            buf.setByte(i + 1, KIND_WINDOW_SCALE);
            buf.setByte(i + 2, 3);
            buf.setByte(i + 3, windowScale);
            i += 4;
        }
        if (!sackBlocks.isEmpty()) {
            buf.setByte(i, KIND_NOP);
            buf.setByte(i + 1, KIND_NOP);
            buf.setByte(i + 2, KIND_SACK);
            buf.setByte(i + 3, 2 + 8 * sackBlocks.size());
            i += 4;
            for (SackBlock b : sackBlocks) {
                buf.setInt(i, b.left().value());
                buf.setInt(i + 4, b.right().value());
                i += 8;
            }
        }
        return i - index;
    }

    private int emitCompact(ByteBuf buf, int index) {
        int i = index;
        if (maxSegmentSize != null) {
            buf.setByte(i++, KIND_MSS);
            buf.setByte(i++, 4);
            buf.setShort(i, maxSegmentSize);
            i += 2;
        }
        if (windowScale != null) {
            buf.setByte(i++, KIND_WINDOW_SCALE);
            buf.setByte(i++, 3);
            buf.setByte(i++, windowScale);
        }
        if (sackPermitted) {
            buf.setByte(i++, KIND_SACK_PERMITTED);
            buf.setByte(i++, 2);
        }
        if (timestamps != null) {
            buf.setByte(i++, KIND_TIMESTAMPS);
            buf.setByte(i++, 10);
            buf.setInt(i, timestamps.tsVal());
            buf.setInt(i + 4, timestamps.tsEcr());
            i += 8;
        }
        if (!sackBlocks.isEmpty()) {
            buf.setByte(i++, KIND_SACK);
            buf.setByte(i++, 2 + 8 * sackBlocks.size());
            for (SackBlock b : sackBlocks) {
                buf.setInt(i, b.left().value());
                buf.setInt(i + 4, b.right().value());
                i += 8;
            }
        }
        while (((i - index) & 3) != 0) {
            buf.setByte(i++, KIND_NOP);
        }
        return i - index;
    }

    /** tcpdump style, without the brackets: {@code mss 1460,sackOK,TS val 1 ecr 0,wscale 7,sack 1 {10:20}}. */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(",");
        if (maxSegmentSize != null) {
            j.add("mss " + maxSegmentSize);
        }
        if (sackPermitted) {
            j.add("sackOK");
        }
        if (timestamps != null) {
            j.add(timestamps.toString());
        }
        if (windowScale != null) {
            j.add("wscale " + windowScale);
        }
        if (!sackBlocks.isEmpty()) {
            StringBuilder sb = new StringBuilder("sack ").append(sackBlocks.size()).append(' ');
            sackBlocks.forEach(sb::append);
            j.add(sb);
        }
        return j.toString();
    }
}
