package io.userv2.stack;

import java.util.EnumMap;
import java.util.Map;

/**
 * One counter per drop reason of an engine (bad input is dropped and counted, never thrown). Written by the engine's
 * thread only; readers on other threads may see slightly stale values.
 *
 * @param <E> the engine's enum of reasons
 */
public final class DropCounters<E extends Enum<E>> {
    private final Class<E> type;
    private final long[] counts;

    /** Counters for every constant of {@code type}. */
    public DropCounters(Class<E> type) {
        this.type = type;
        this.counts = new long[type.getEnumConstants().length];
    }

    /** Counts one drop for {@code reason}. */
    public void add(E reason) {
        counts[reason.ordinal()]++;
    }

    /** Drops counted for {@code reason}. */
    public long get(E reason) {
        return counts[reason.ordinal()];
    }

    /** Drops for any reason. */
    public long total() {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }

    /** The non-zero counters, for logs and statistics. */
    public Map<E, Long> nonZero() {
        Map<E, Long> map = new EnumMap<>(type);
        for (E r : type.getEnumConstants()) {
            if (counts[r.ordinal()] != 0) {
                map.put(r, counts[r.ordinal()]);
            }
        }
        return map;
    }
}
