package io.userv2.stack.dhcp;

/**
 * Converts between the engine's monotonic clock (nanoseconds, any origin, such as {@link System#nanoTime()}) and
 * wall-clock epoch milliseconds, from one pair of readings taken together by the caller. The engine never reads a
 * clock; whoever creates it passes {@code TimeBase.of(System.nanoTime(), System.currentTimeMillis())}. Over a long run
 * the two clocks drift apart a little (NTP slewing, suspend); that only shifts persisted expiry times, which matter
 * only across a restart. Immutable.
 *
 * @param anchorNanos      a monotonic reading
 * @param anchorWallMillis the wall-clock reading taken at the same moment
 */
public record TimeBase(long anchorNanos, long anchorWallMillis) {
    private static final long MAX_DELTA_MILLIS = Long.MAX_VALUE / 4 / 1_000_000L;

    /** The pair {@code (nanos, wallMillis)}. */
    public static TimeBase of(long nanos, long wallMillis) {
        return new TimeBase(nanos, wallMillis);
    }

    /** The wall-clock time of monotonic instant {@code nanos}. */
    public long wallMillis(long nanos) {
        return anchorWallMillis + Math.floorDiv(nanos - anchorNanos, 1_000_000L);
    }

    /** The monotonic instant of wall-clock {@code wallMillis}, saturated to about +-73 years around the anchor. */
    public long nanos(long wallMillis) {
        long delta;
        try {
            delta = Math.subtractExact(wallMillis, anchorWallMillis);
        } catch (ArithmeticException overflow) {
            delta = wallMillis > anchorWallMillis ? MAX_DELTA_MILLIS : -MAX_DELTA_MILLIS;
        }
        delta = Math.max(-MAX_DELTA_MILLIS, Math.min(MAX_DELTA_MILLIS, delta));
        return anchorNanos + delta * 1_000_000L;
    }
}
