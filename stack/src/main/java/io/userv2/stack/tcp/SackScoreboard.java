package io.userv2.stack.tcp;

import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpOptions;

/**
 * What the peer told us it holds beyond SND.UNA, from the SACK blocks of its ACKs (RFC 2018): sorted, merged,
 * non-overlapping ranges inside {@code (SND.UNA, SND.MAX]}. The sender uses it during fast recovery to retransmit holes
 * instead of data the peer already has. Bounded to {@value #MAX_RANGES} ranges (the oldest information is dropped
 * first: it is the least useful). Blocks that make no sense (outside what we sent, or empty) are ignored, as RFC 2018
 * leaves the sender free to.
 *
 * <p>RFC 2018 section 8: "After a retransmit timeout the data sender SHOULD turn off all of the SACKed bits", since the
 * receiver may renege; {@link #clear()} is called then. Not thread-safe.
 */
final class SackScoreboard {
    static final int MAX_RANGES = 32;

    /** Left and right edges (raw sequence numbers) of the ranges, sorted; allocated at the first SACK block. */
    private int[] lefts;
    private int[] rights;
    private int size;

    boolean isEmpty() {
        return size == 0;
    }

    /** Merges the SACK blocks of {@code seg} received while {@code [sndUna, sndMax)} is outstanding. */
    void add(TcpHeader seg, int sndUna, int sndMax) {
        for (int b = 0; b < seg.sackBlockCount(); b++) {
            int left = seg.sackLeft(b);
            int l = SeqNumber.max(left, sndUna);
            int r = seg.sackRight(b);
            if (!SeqNumber.lt(l, r) || SeqNumber.gt(r, sndMax)
                    || SeqNumber.lt(left, SeqNumber.add(sndUna, -(1 << 30)))) {
                continue;
            }
            insert(l, r);
        }
        if (size > MAX_RANGES) {
            size = MAX_RANGES;
        }
    }

    private void insert(int l, int r) {
        if (lefts == null) {
            lefts = new int[MAX_RANGES + TcpOptions.MAX_SACK_BLOCKS];
            rights = new int[MAX_RANGES + TcpOptions.MAX_SACK_BLOCKS];
        }
        int i = 0;
        while (i < size && SeqNumber.lt(rights[i], l)) {
            i++;
        }
        // merge every range overlapping or touching [l, r)
        int j = i;
        while (j < size && SeqNumber.le(lefts[j], r)) {
            l = SeqNumber.min(l, lefts[j]);
            r = SeqNumber.max(r, rights[j]);
            j++;
        }
        // ranges [i, j) become the one range [l, r) at i
        int shift = 1 - (j - i);
        if (shift != 0) {
            System.arraycopy(lefts, j, lefts, j + shift, size - j);
            System.arraycopy(rights, j, rights, j + shift, size - j);
            size += shift;
        }
        lefts[i] = l;
        rights[i] = r;
    }

    /** Forgets everything at or below the new cumulative ACK. */
    void ackedTo(int sndUna) {
        int gone = 0;
        while (gone < size && SeqNumber.le(rights[gone], sndUna)) {
            gone++;
        }
        if (gone > 0) {
            size -= gone;
            System.arraycopy(lefts, gone, lefts, 0, size);
            System.arraycopy(rights, gone, rights, 0, size);
        }
        if (size > 0 && SeqNumber.lt(lefts[0], sndUna)) {
            lefts[0] = sndUna;
        }
    }

    /** The first sequence number at or after {@code seq} that the peer has not SACKed. */
    int nextHole(int seq) {
        for (int i = 0; i < size; i++) {
            if (SeqNumber.lt(seq, lefts[i])) {
                return seq;
            }
            if (SeqNumber.lt(seq, rights[i])) {
                seq = rights[i];
            }
        }
        return seq;
    }

    /** The end of the hole starting at {@code seq} (the next SACKed range's left edge), or {@code orElse} if none. */
    int holeEnd(int seq, int orElse) {
        for (int i = 0; i < size; i++) {
            if (SeqNumber.lt(seq, lefts[i])) {
                return lefts[i];
            }
        }
        return orElse;
    }

    /** The highest SACKed sequence number (exclusive); only when not {@link #isEmpty()}. */
    int highest() {
        return rights[size - 1];
    }

    void clear() {
        size = 0;
    }
}
