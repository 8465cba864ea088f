package io.userv2.stack.gateway;

/**
 * A token bucket limiting the ICMP error messages the gateway originates, as RFC 1812 section 4.3.2.8 asks ("A router
 * which generates ICMP error messages MUST be able to limit the rate") and Linux does with {@code icmp_msgs_per_sec}
 * (default 1000) and {@code icmp_msgs_burst} (default 50). Time is passed in; not thread-safe (the gateway's thread).
 */
public final class IcmpRateLimiter {
    /** Linux's default rate, messages per second. */
    public static final int DEFAULT_PER_SECOND = 1000;
    /** Linux's default burst. */
    public static final int DEFAULT_BURST = 50;

    private final long nanosPerToken;
    private final int burst;
    private long tokens;
    private long lastRefill;
    private boolean started;

    /** A bucket with Linux's defaults. */
    public IcmpRateLimiter() {
        this(DEFAULT_PER_SECOND, DEFAULT_BURST);
    }

    /** A bucket refilled at {@code perSecond} tokens a second holding at most {@code burst}. */
    public IcmpRateLimiter(int perSecond, int burst) {
        if (perSecond <= 0 || burst <= 0) {
            throw new IllegalArgumentException("rate and burst must be positive");
        }
        this.nanosPerToken = 1_000_000_000L / perSecond;
        this.burst = burst;
        this.tokens = burst;
    }

    /** Takes a token if one is available at {@code nowNanos}; false means "do not send". */
    public boolean tryAcquire(long nowNanos) {
        if (!started) {
            started = true;
            lastRefill = nowNanos;
        }
        long elapsed = nowNanos - lastRefill;
        if (elapsed >= nanosPerToken) {
            long add = elapsed / nanosPerToken;
            tokens = Math.min(burst, tokens + add);
            lastRefill += add * nanosPerToken;
        } else if (elapsed < 0) {
            lastRefill = nowNanos; // time went backwards (a test's clock): restart the refill
        }
        if (tokens > 0) {
            tokens--;
            return true;
        }
        return false;
    }
}
