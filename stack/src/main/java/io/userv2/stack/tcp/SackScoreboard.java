package io.userv2.stack.tcp;

import io.userv2.stack.wire.SackBlock;
import io.userv2.stack.wire.SeqNumber;
import java.util.ArrayList;
import java.util.List;

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

    private final ArrayList<SeqNumber> lefts = new ArrayList<>();
    private final ArrayList<SeqNumber> rights = new ArrayList<>();

    boolean isEmpty() {
        return lefts.isEmpty();
    }

    /** Merges {@code blocks} received while {@code [sndUna, sndMax)} is outstanding. */
    void add(List<SackBlock> blocks, SeqNumber sndUna, SeqNumber sndMax) {
        for (SackBlock b : blocks) {
            SeqNumber l = SeqNumber.max(b.left(), sndUna);
            SeqNumber r = b.right();
            if (!l.lt(r) || r.gt(sndMax) || b.left().lt(sndUna.plus(-(1 << 30)))) {
                continue;
            }
            insert(l, r);
        }
        while (lefts.size() > MAX_RANGES) {
            lefts.remove(lefts.size() - 1);
            rights.remove(rights.size() - 1);
        }
    }

    private void insert(SeqNumber l, SeqNumber r) {
        int i = 0;
        while (i < lefts.size() && rights.get(i).lt(l)) {
            i++;
        }
        // merge every range overlapping or touching [l, r)
        while (i < lefts.size() && lefts.get(i).le(r)) {
            l = SeqNumber.min(l, lefts.get(i));
            r = SeqNumber.max(r, rights.get(i));
            lefts.remove(i);
            rights.remove(i);
        }
        lefts.add(i, l);
        rights.add(i, r);
    }

    /** Forgets everything at or below the new cumulative ACK. */
    void ackedTo(SeqNumber sndUna) {
        while (!lefts.isEmpty() && rights.get(0).le(sndUna)) {
            lefts.remove(0);
            rights.remove(0);
        }
        if (!lefts.isEmpty() && lefts.get(0).lt(sndUna)) {
            lefts.set(0, sndUna);
        }
    }

    /** The first sequence number at or after {@code seq} that the peer has not SACKed. */
    SeqNumber nextHole(SeqNumber seq) {
        for (int i = 0; i < lefts.size(); i++) {
            if (seq.lt(lefts.get(i))) {
                return seq;
            }
            if (seq.lt(rights.get(i))) {
                seq = rights.get(i);
            }
        }
        return seq;
    }

    /** The end of the hole starting at {@code seq} (the next SACKed range's left edge), or null if none follows. */
    SeqNumber holeEnd(SeqNumber seq) {
        for (SeqNumber l : lefts) {
            if (seq.lt(l)) {
                return l;
            }
        }
        return null;
    }

    /** The highest SACKed sequence number (exclusive), or null. */
    SeqNumber highest() {
        return rights.isEmpty() ? null : rights.get(rights.size() - 1);
    }

    void clear() {
        lefts.clear();
        rights.clear();
    }
}
