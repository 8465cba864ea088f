package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
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
        TcpHeader h = new TcpHeader();
        ParseError error = h.parseOptions(buf, index, length);
        return error == null ? ParseResult.ok(h.options()) : new ParseResult.Failed<>(error, h.failure());
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
        return TcpHeader.optionsLength(mss != null, wscale != null, sackOk, sackBlocks, ts != null);
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
        return new TcpHeader().setOptions(this).emitOptions(buf, index);
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
