package io.userv2.switchd.port;

/**
 * Storm control for one port: a token bucket bounding the frames per second the port may have flooded to every
 * other port (broadcast, multicast, unknown unicast). Each flooded frame lands in every other VM's egress queue, so
 * without a bound one VM sending broadcasts as fast as it can fills the others' queues with junk and their own
 * traffic is dropped; per-iteration budgets do not help there, since an otherwise idle loop turns fast. Managed
 * switches call this storm control and drop beyond the rate; so does this one.
 *
 * <p>Unlimited until {@link #limit}. Time comes in as an argument; allocation-free; loop thread only.
 */
public final class FloodLimit {
    private long perSecond = Long.MAX_VALUE;
    private long burst = Long.MAX_VALUE;
    private long tokens = Long.MAX_VALUE;
    private long refilledAt;
    private boolean started;

    /** At most {@code perSecond} frames a second on average, and {@code burst} at once. */
    public void limit(long perSecond, long burst) {
        if (perSecond < 1 || burst < 1) {
            throw new IllegalArgumentException("flood limits must be positive");
        }
        this.perSecond = perSecond;
        this.burst = burst;
        this.tokens = burst;
        this.started = false;
    }

    /** Takes one token at {@code now} (nanoseconds); false when the bucket is empty (drop the frame). */
    public boolean take(long now) {
        if (perSecond == Long.MAX_VALUE) {
            return true;
        }
        if (!started) {
            started = true;
            refilledAt = now;
        }
        long elapsed = now - refilledAt;
        if (tokens < burst && elapsed > 0) {
            long add = elapsed * perSecond / 1_000_000_000L;
            if (add > 0) {
                tokens = Math.min(burst, tokens + add);
                refilledAt = now;
            }
        } else if (tokens >= burst) {
            refilledAt = now;
        }
        if (tokens <= 0) {
            return false;
        }
        tokens--;
        return true;
    }
}
