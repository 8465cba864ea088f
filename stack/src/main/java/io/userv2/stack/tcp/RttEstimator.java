package io.userv2.stack.tcp;

/**
 * The retransmission timeout of RFC 6298, in nanoseconds: SRTT and RTTVAR from RTT samples, clamped to
 * {@code [minRto, maxRto]}, doubled per timeout ("back off the timer", section 5.5).
 *
 * <p>Samples come either from the Timestamps option (RFC 7323 section 4: every ACK that advances SND.UNA echoes the
 * TSval of the segment that made the receiver send it, so retransmissions are not ambiguous) or, without timestamps,
 * from timing one segment at a time and discarding the sample if it was retransmitted (Karn's rule, RFC 6298 section
 * 3). The caller decides which; this class only does the arithmetic.
 */
final class RttEstimator {
    /** Clock granularity G of RFC 6298: our timestamps tick in milliseconds. */
    private static final long GRANULARITY = 1_000_000L;

    private final long minRto;
    private final long maxRto;
    private long srtt = -1;
    private long rttvar;
    private long rto;
    private int backoff;

    RttEstimator(long initialRto, long minRto, long maxRto) {
        this.minRto = minRto;
        this.maxRto = maxRto;
        this.rto = Math.min(Math.max(initialRto, minRto), maxRto);
    }

    /**
     * Takes one RTT measurement R (nanoseconds, negative ones ignored). RFC 6298 section 2.2 for the first sample:
     * "SRTT <- R, RTTVAR <- R/2"; section 2.3 afterwards: "RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|,
     * SRTT <- (1 - alpha) * SRTT + alpha * R'" with alpha = 1/8, beta = 1/4; then
     * "RTO <- SRTT + max (G, K*RTTVAR)" with K = 4, clamped.
     */
    void sample(long r) {
        if (r < 0) {
            return;
        }
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            rttvar = rttvar - (rttvar >> 2) + (Math.abs(srtt - r) >> 2);
            srtt = srtt - (srtt >> 3) + (r >> 3);
        }
        rto = Math.min(Math.max(srtt + Math.max(GRANULARITY, 4 * rttvar), minRto), maxRto);
    }

    /** The current timeout including backoff: {@code min(maxRto, rto * 2^backoff)}. */
    long rto() {
        long r = rto;
        for (int i = 0; i < backoff && r < maxRto; i++) {
            r <<= 1;
        }
        return Math.min(r, maxRto);
    }

    /** RFC 6298 5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")". */
    void backoff() {
        if (backoff < 30) {
            backoff++;
        }
    }

    /** Forgets the backoff once the connection makes progress again. */
    void clearBackoff() {
        backoff = 0;
    }

    /** Smoothed RTT in nanoseconds, or -1 before the first sample. */
    long srtt() {
        return srtt;
    }

    int backoffCount() {
        return backoff;
    }
}
