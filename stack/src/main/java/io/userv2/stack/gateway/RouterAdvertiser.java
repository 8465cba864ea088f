package io.userv2.stack.gateway;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * When the gateway sends Router Advertisements (RFC 4861 section 6.2.4 to 6.2.6): the schedule only, sans-IO; the
 * gateway asks {@link #multicastDue}, sends, and reports back with {@link #multicastSent}. Time is passed in; randomness
 * comes from the injected generator (a seeded one in tests).
 *
 * <ul>
 *   <li>Periodic (6.2.4): the first one as soon as the gateway serves IPv6, then at a random interval between
 *       MinRtrAdvInterval and MaxRtrAdvInterval ({@link Ipv6Config}); "For the first few advertisements (up to
 *       MAX_INITIAL_RTR_ADVERTISEMENTS) sent from an interface ... if the randomly chosen interval is greater than
 *       MAX_INITIAL_RTR_ADVERT_INTERVAL, the timer SHOULD be set to MAX_INITIAL_RTR_ADVERT_INTERVAL instead."</li>
 *   <li>Solicited from {@code ::} (a host without an address; 6.2.6): multicast, after a random delay of up to
 *       MAX_RA_DELAY_TIME, and never within MIN_DELAY_BETWEEN_RAS of the previous multicast one ("consecutive
 *       Router Advertisements sent to the all-nodes multicast address MUST be rate limited to no more than one
 *       advertisement every MIN_DELAY_BETWEEN_RAS seconds"); an already scheduled earlier one serves.</li>
 *   <li>Solicited from an address: answered by unicast at once (6.2.6: "A router MAY choose to unicast the response
 *       directly to the soliciting host's address"; RFC 7772 recommends it), within a token bucket of
 *       {@value #UNICAST_PER_SECOND} a second (burst {@value #UNICAST_BURST}). Deliberate deviation: 6.2.6 delays
 *       every solicited advertisement by up to MAX_RA_DELAY_TIME so that the routers of a link do not answer in
 *       step; this gateway is the only router of its link, and a unicast answer reaches only the asker.</li>
 * </ul>
 *
 * <p>Not thread-safe: the gateway's thread.
 */
final class RouterAdvertiser {
    /** RFC 4861 section 10. */
    static final int MAX_INITIAL_RTR_ADVERTISEMENTS = 3;
    /** RFC 4861 section 10: 16 seconds. */
    static final long MAX_INITIAL_RTR_ADVERT_INTERVAL_NANOS = 16_000_000_000L;
    /** RFC 4861 section 10: 3 seconds. */
    static final long MIN_DELAY_BETWEEN_RAS_NANOS = 3_000_000_000L;
    /** RFC 4861 section 10: 0.5 seconds. */
    static final long MAX_RA_DELAY_TIME_NANOS = 500_000_000L;
    /** Unicast answers to solicitations, per second. */
    static final int UNICAST_PER_SECOND = 20;
    /** Unicast answers to solicitations in a burst. */
    static final int UNICAST_BURST = 20;

    private final RandomGenerator random;
    private final long minIntervalNanos;
    private final long maxIntervalNanos;
    private final IcmpRateLimiter unicast = new IcmpRateLimiter(UNICAST_PER_SECOND, UNICAST_BURST);
    private long nextMulticastAt;
    private long lastMulticastAt;
    private boolean sentAny;
    private int sent;

    /** A schedule for {@code config} whose first multicast advertisement is due at {@code nowNanos}. */
    RouterAdvertiser(Ipv6Config config, RandomGenerator random, long nowNanos) {
        this.random = Objects.requireNonNull(random, "random");
        this.maxIntervalNanos = config.maxIntervalSeconds() * 1_000_000_000L;
        this.minIntervalNanos = (long) (config.minIntervalSeconds() * 1_000_000_000L);
        this.nextMulticastAt = nowNanos;
    }

    /** When the next multicast advertisement is due. */
    long pollAt() {
        return nextMulticastAt;
    }

    /** True when a multicast advertisement is due at {@code nowNanos}. */
    boolean multicastDue(long nowNanos) {
        return nowNanos - nextMulticastAt >= 0;
    }

    /** A multicast advertisement went out at {@code nowNanos}: the next one is scheduled (6.2.4). */
    void multicastSent(long nowNanos) {
        sent++;
        sentAny = true;
        lastMulticastAt = nowNanos;
        long interval = minIntervalNanos + (long) (random.nextDouble() * (maxIntervalNanos - minIntervalNanos));
        if (sent <= MAX_INITIAL_RTR_ADVERTISEMENTS) {
            interval = Math.min(interval, MAX_INITIAL_RTR_ADVERT_INTERVAL_NANOS);
        }
        nextMulticastAt = nowNanos + interval;
    }

    /** A solicitation from {@code ::} arrived: bring the next multicast advertisement forward as 6.2.6 allows. */
    void solicitedByUnspecified(long nowNanos) {
        long at = nowNanos + (long) (random.nextDouble() * MAX_RA_DELAY_TIME_NANOS);
        if (sentAny && at - (lastMulticastAt + MIN_DELAY_BETWEEN_RAS_NANOS) < 0) {
            at = lastMulticastAt + MIN_DELAY_BETWEEN_RAS_NANOS;
        }
        if (at - nextMulticastAt < 0) {
            nextMulticastAt = at;
        }
    }

    /** True when a unicast answer to a solicitation may go out at {@code nowNanos} (takes a token). */
    boolean tryUnicast(long nowNanos) {
        return unicast.tryAcquire(nowNanos);
    }

    /** Multicast advertisements sent so far. */
    int multicastSent() {
        return sent;
    }
}
