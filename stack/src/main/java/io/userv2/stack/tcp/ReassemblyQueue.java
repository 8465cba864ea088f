package io.userv2.stack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpHeader;
import java.util.ArrayList;

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
        /** Raw sequence number of the first byte. */
        int start;
        final ByteBuf data;

        Range(int start, ByteBuf data) {
            this.start = start;
            this.data = data;
        }

        int end() {
            return SeqNumber.add(start, data.readableBytes());
        }
    }

    /** Largest buffer a range grows to by appending; beyond it a new adjacent range starts. */
    private static final int MAX_RANGE_BYTES = 1 << 20;

    private final ByteBufAllocator alloc;
    private final int maxRanges;
    private final ArrayList<Range> ranges = new ArrayList<>();
    /** Raw sequence number of the latest segment added (valid once one was). */
    private int lastReceived;
    private boolean anyReceived;
    private int bytes;

    ReassemblyQueue(ByteBufAllocator alloc, int maxRanges) {
        this.alloc = alloc;
        this.maxRanges = maxRanges;
    }

    boolean isEmpty() {
        return bytes == 0; // every range holds at least one byte, so this is ranges.isEmpty() without reading the list
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
    boolean add(int seq, ByteBuf src, int index, int len) {
        int end = SeqNumber.add(seq, len);
        lastReceived = seq;
        anyReceived = true;
        int i = ranges.size();
        while (i > 0 && SeqNumber.gt(ranges.get(i - 1).end(), seq)) {
            i--;
        }
        // i: first range whose end is after seq
        int cur = seq;
        boolean stored = false;
        while (SeqNumber.lt(cur, end)) {
            if (i < ranges.size() && SeqNumber.le(ranges.get(i).start, cur)) {
                cur = SeqNumber.max(cur, ranges.get(i).end());
                i++;
                continue;
            }
            int gapEnd = i < ranges.size() ? SeqNumber.min(end, ranges.get(i).start) : end;
            int n = SeqNumber.diff(gapEnd, cur);
            int from = index + SeqNumber.diff(cur, seq);
            Range prev = i > 0 ? ranges.get(i - 1) : null;
            if (prev != null && prev.end() == cur && prev.data.readableBytes() + n <= MAX_RANGE_BYTES) {
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
    int drainInto(int rcvNxt, ReceiveBuffer into) {
        while (!ranges.isEmpty() && SeqNumber.le(ranges.get(0).start, rcvNxt)) {
            Range r = ranges.remove(0);
            bytes -= r.data.readableBytes();
            int end = r.end();
            if (SeqNumber.le(end, rcvNxt)) {
                r.data.release();
                continue;
            }
            r.data.skipBytes(SeqNumber.diff(rcvNxt, r.start));
            into.append(r.data);
            rcvNxt = end;
        }
        return rcvNxt;
    }

    /**
     * Adds up to {@code max} SACK blocks to {@code out} (RFC 2018 section 4): adjacent ranges merged; "The first SACK
     * block ... MUST specify the contiguous block of data containing the segment which triggered this ACK"; the others
     * follow from the highest down (the most recently received data is usually the highest). Returns how many.
     */
    int sackBlocks(int max, TcpHeader out) {
        if (ranges.isEmpty() || max <= 0) {
            return 0;
        }
        // The merged block holding the latest segment (the highest block when none does).
        int firstLeft = 0;
        int firstRight = 0;
        boolean found = false;
        for (int i = 0; i < ranges.size() && !found; ) {
            int left = ranges.get(i).start;
            int right = ranges.get(i).end();
            for (i++; i < ranges.size() && ranges.get(i).start == right; i++) {
                right = ranges.get(i).end();
            }
            firstLeft = left;
            firstRight = right;
            found = anyReceived && SeqNumber.inRange(lastReceived, left, right);
        }
        out.addSackBlock(firstLeft, firstRight);
        int n = 1;
        // The others, merged again, from the highest down.
        for (int i = ranges.size() - 1; i >= 0 && n < max; ) {
            int right = ranges.get(i).end();
            int left = ranges.get(i).start;
            for (i--; i >= 0 && ranges.get(i).end() == left; i--) {
                left = ranges.get(i).start;
            }
            if (left != firstLeft) {
                out.addSackBlock(left, right);
                n++;
            }
        }
        return n;
    }

    /** Frees every range. Idempotent. */
    void release() {
        if (bytes == 0) {
            return; // nothing held (see isEmpty): closing a flow that had no gap leaves the list unread
        }
        for (Range r : ranges) {
            r.data.release();
        }
        ranges.clear();
        bytes = 0;
    }
}
