package io.userv2.stack.nat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * The walks over a flow table that {@link UdpNat} and {@link IcmpEchoNat} share: closing the flows idle past their
 * timeout, and closing the flows of a switch port. The flows are collected first and closed after the walk, since
 * closing removes them from the table. Stateless; the caller's thread.
 */
final class IdleSweep {
    /**
     * The next walk is at least this far away and closes every flow due by then: with thousands of flows idling out
     * one after another, the table is walked once a second instead of once per flow.
     */
    static final long SLACK_NANOS = 1_000_000_000L;

    private IdleSweep() {
    }

    /**
     * Closes the flows whose {@code lastActive} is {@code idleTimeout} or more before {@code now}; returns when the
     * next walk is due (Long.MAX_VALUE when no flow is left).
     */
    static <F> long closeIdle(Collection<F> flows, long now, long idleTimeout, ToLongFunction<F> lastActive,
            Consumer<F> close) {
        long next = Long.MAX_VALUE;
        List<F> idle = new ArrayList<>();
        for (F f : flows) {
            long expires = lastActive.applyAsLong(f) + idleTimeout;
            if (now - expires >= 0) {
                idle.add(f);
            } else if (next == Long.MAX_VALUE || expires - next < 0) {
                next = expires;
            }
        }
        idle.forEach(close);
        long soonest = now + SLACK_NANOS;
        return next == Long.MAX_VALUE || next - soonest >= 0 ? next : soonest;
    }

    /** Closes the flows {@code owned} picks; returns how many. */
    static <F> int closeWhere(Collection<F> flows, Predicate<F> owned, Consumer<F> close) {
        List<F> gone = new ArrayList<>();
        for (F f : flows) {
            if (owned.test(f)) {
                gone.add(f);
            }
        }
        gone.forEach(close);
        return gone.size();
    }
}
