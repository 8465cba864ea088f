package io.userv2.stack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.wire.SackBlock;
import io.userv2.stack.wire.SeqNumber;
import java.util.ArrayList;
import java.util.List;

/**
 * Received data beyond RCV.NXT (out of order), kept as sorted, non-overlapping ranges until the hole before them is
 * filled (RFC 9293 section 3.10.7.4: segments "with higher beginning sequence numbers ... SHOULD be held for later
 * processing"). Only the bytes not already held are copied, so duplicates and overlaps cost nothing; data arriving
 * right after a range is appended to that range's buffer, so a long run after one loss stays one range.
 *
 * <p>Bounded: at most {@code maxRanges} ranges (bytes are bounded by the caller, which only offers data inside its
 * advertised window). It is also where SACK blocks come from (RFC 2018 section 4).
 *
 * <p>Owns the range buffers; {@link #drainInto} passes them on, {@link #release()} frees them. Not thread-safe.
 */
final class ReassemblyQueue {
    /** One range; {@code data} holds exactly the bytes {@code [start, start + data.readableBytes())}. */
    private static final class Range {
        SeqNumber start;
        final ByteBuf data;

        Range(SeqNumber start, ByteBuf data) {
            this.start = start;
            this.data = data;
        }

        SeqNumber end() {
            return start.plus(data.readableBytes());
        }
    }

    /** Largest buffer a range grows to by appending; beyond it a new adjacent range starts. */
    private static final int MAX_RANGE_BYTES = 1 << 20;

    private final ByteBufAllocator alloc;
    private final int maxRanges;
    private final ArrayList<Range> ranges = new ArrayList<>();
    private SeqNumber lastReceived;
    private int bytes;

    ReassemblyQueue(ByteBufAllocator alloc, int maxRanges) {
        this.alloc = alloc;
        this.maxRanges = maxRanges;
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** Bytes held. */
    int bytes() {
        return bytes;
    }

    /** Number of ranges (adjacent ranges count separately). */
    int ranges() {
        return ranges.size();
    }

    /**
     * Stores the bytes of {@code [seq, seq + len)} not held yet, copied from {@code src} at absolute {@code index}
     * (the caller keeps {@code src}). Returns false when nothing could be stored because the range limit is reached.
     */
    boolean add(SeqNumber seq, ByteBuf src, int index, int len) {
        SeqNumber end = seq.plus(len);
        lastReceived = seq;
        int i = ranges.size();
        while (i > 0 && ranges.get(i - 1).end().gt(seq)) {
            i--;
        }
        // i: first range whose end is after seq
        SeqNumber cur = seq;
        boolean stored = false;
        while (cur.lt(end)) {
            if (i < ranges.size() && ranges.get(i).start.le(cur)) {
                cur = SeqNumber.max(cur, ranges.get(i).end());
                i++;
                continue;
            }
            SeqNumber gapEnd = i < ranges.size() ? SeqNumber.min(end, ranges.get(i).start) : end;
            int n = gapEnd.minus(cur);
            int from = index + cur.minus(seq);
            Range prev = i > 0 ? ranges.get(i - 1) : null;
            if (prev != null && prev.end().equals(cur) && prev.data.readableBytes() + n <= MAX_RANGE_BYTES) {
                prev.data.writeBytes(src, from, n);
            } else {
                if (ranges.size() >= maxRanges) {
                    return stored;
                }
                ByteBuf b = alloc.buffer(n);
                b.writeBytes(src, from, n);
                ranges.add(i, new Range(cur, b));
                i++;
            }
            bytes += n;
            stored = true;
            cur = gapEnd;
        }
        return true;
    }

    /**
     * Moves every range that starts at or before {@code rcvNxt} into {@code into} (trimming what lies before
     * {@code rcvNxt}) and returns the new RCV.NXT.
     */
    SeqNumber drainInto(SeqNumber rcvNxt, ReceiveBuffer into) {
        while (!ranges.isEmpty() && ranges.get(0).start.le(rcvNxt)) {
            Range r = ranges.remove(0);
            bytes -= r.data.readableBytes();
            SeqNumber end = r.end();
            if (end.le(rcvNxt)) {
                r.data.release();
                continue;
            }
            r.data.skipBytes(rcvNxt.minus(r.start));
            into.append(r.data);
            rcvNxt = end;
        }
        return rcvNxt;
    }

    /**
     * Up to {@code max} SACK blocks (RFC 2018 section 4): adjacent ranges merged; "The first SACK block ... MUST
     * specify the contiguous block of data containing the segment which triggered this ACK"; the others follow from
     * the highest down (the most recently received data is usually the highest).
     */
    List<SackBlock> sackBlocks(int max) {
        if (ranges.isEmpty() || max <= 0) {
            return List.of();
        }
        ArrayList<SackBlock> merged = new ArrayList<>();
        SeqNumber s = ranges.get(0).start;
        SeqNumber e = ranges.get(0).end();
        for (int i = 1; i < ranges.size(); i++) {
            Range r = ranges.get(i);
            if (r.start.equals(e)) {
                e = r.end();
            } else {
                merged.add(new SackBlock(s, e));
                s = r.start;
                e = r.end();
            }
        }
        merged.add(new SackBlock(s, e));
        int first = merged.size() - 1;
        if (lastReceived != null) {
            for (int i = 0; i < merged.size(); i++) {
                SackBlock b = merged.get(i);
                if (lastReceived.inRange(b.left(), b.right())) {
                    first = i;
                    break;
                }
            }
        }
        List<SackBlock> out = new ArrayList<>(Math.min(max, merged.size()));
        out.add(merged.get(first));
        for (int i = merged.size() - 1; i >= 0 && out.size() < max; i--) {
            if (i != first) {
                out.add(merged.get(i));
            }
        }
        return out;
    }

    /** Frees every range. Idempotent. */
    void release() {
        for (Range r : ranges) {
            r.data.release();
        }
        ranges.clear();
        bytes = 0;
    }
}
