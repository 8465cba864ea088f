package io.userv2.stack.tcp;

import io.userv2.stack.wire.SeqNumber;

/**
 * The congestion window in bytes: slow start and congestion avoidance (RFC 5681 section 3.1), fast retransmit on the
 * third duplicate ACK and NewReno fast recovery (RFC 6582 section 3.2), collapse to one segment on timeout.
 *
 * <p>Slow start counts acknowledged bytes (RFC 3465, L = 2*SMSS) so that a receiver acknowledging every second segment
 * still doubles the window per round trip: the peer is a VM on a virtual link, where the window should open fast.
 * The state machine calls in, and this class answers whether a segment must be retransmitted; it sends nothing.
 */
final class CongestionControl {
    private final int mss;
    private final int cap;
    private int cwnd;
    private int ssthresh = Integer.MAX_VALUE;
    private int bytesAcked;
    private int dupAcks;
    private boolean inRecovery;
    /** RFC 6582's "recover", a raw sequence number. */
    private int recover;

    /**
     * @param mss           SMSS in bytes
     * @param initialWindow IW in segments (RFC 6928)
     * @param iss           initial send sequence number ("recover" starts there, RFC 6582 section 3.2 step 1)
     * @param cap           largest window worth having (e.g. twice the send buffer); keeps arithmetic in range
     */
    CongestionControl(int mss, int initialWindow, int iss, int cap) {
        this.mss = mss;
        this.cap = Math.max(cap, 2 * mss);
        this.cwnd = (int) Math.min((long) initialWindow * mss, this.cap);
        this.recover = iss;
    }

    int cwnd() {
        return cwnd;
    }

    int ssthresh() {
        return ssthresh;
    }

    boolean inRecovery() {
        return inRecovery;
    }

    int dupAcks() {
        return dupAcks;
    }

    /**
     * An ACK advanced SND.UNA by {@code acked} bytes to {@code ack}; {@code flight} is what was outstanding after it.
     * Returns true for a NewReno partial acknowledgment, after which the first unacknowledged segment must be
     * retransmitted (RFC 6582 section 3.2 step 5).
     */
    boolean onNewAck(int acked, int ack, int flight) {
        dupAcks = 0;
        if (inRecovery) {
            if (SeqNumber.ge(ack, recover)) {
                // Step 5, full acknowledgment: "Set cwnd to either (1) min (ssthresh, max(FlightSize, SMSS) + SMSS)
                // or (2) ssthresh"; (1) avoids a burst.
                cwnd = Math.min(ssthresh, Math.max(flight, mss) + mss);
                inRecovery = false;
                return false;
            }
            // Partial acknowledgment: "deflate the congestion window by the amount of new data acknowledged ...
            // If the partial ACK acknowledges at least one SMSS of new data, then add back SMSS bytes".
            cwnd = Math.max(cwnd - acked + (acked >= mss ? mss : 0), mss);
            return true;
        }
        if (cwnd < ssthresh) {
            // RFC 5681 (2) and RFC 3465: cwnd += min(N, L*SMSS), L = 2.
            cwnd += Math.min(acked, 2 * mss);
        } else {
            // RFC 5681 (3): about one SMSS per RTT, by byte counting.
            bytesAcked += acked;
            if (bytesAcked >= cwnd) {
                bytesAcked -= cwnd;
                cwnd += mss;
            }
        }
        cwnd = Math.min(cwnd, cap);
        return false;
    }

    /**
     * A duplicate ACK (RFC 5681 section 2 definition) arrived while {@code flight} bytes are outstanding and
     * {@code sndMax} is the highest sequence number sent. Returns true when the first unacknowledged segment must be
     * fast-retransmitted now.
     */
    boolean onDuplicateAck(int sndUna, int flight, int sndMax) {
        dupAcks++;
        if (inRecovery) {
            // RFC 6582 step 4: "For each additional duplicate ACK received ... increment cwnd by SMSS."
            cwnd = Math.min(cwnd + mss, cap);
            return false;
        }
        // RFC 6582 step 2: enter fast retransmit only if "the Cumulative Acknowledgment field covers more than
        // recover", which keeps a stale run of duplicates after a timeout from triggering it again.
        if (dupAcks == 3 && SeqNumber.gt(sndUna, recover)) {
            recover = sndMax;
            ssthresh = Math.max(flight / 2, 2 * mss);
            cwnd = ssthresh + 3 * mss; // step 3: "set cwnd to ssthresh + 3*SMSS"
            inRecovery = true;
            return true;
        }
        return false;
    }

    /**
     * The retransmission timer expired with {@code flight} bytes outstanding (RFC 5681 eq. 4: ssthresh =
     * max(FlightSize / 2, 2*SMSS); cwnd = LW = 1 SMSS); RFC 6582 step 4 of section 3.2 in the timeout case: record
     * the highest sequence number sent in "recover".
     */
    void onTimeout(int flight, int sndMax) {
        ssthresh = Math.max(flight / 2, 2 * mss);
        cwnd = mss;
        bytesAcked = 0;
        dupAcks = 0;
        inRecovery = false;
        recover = sndMax;
    }
}
