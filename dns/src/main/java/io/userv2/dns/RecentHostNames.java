package io.userv2.dns;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The names the host resolver recently found (with an address of either family), so that an upstream NXDOMAIN for
 * another type of such a name can be turned into NODATA without a second, blocking host lookup. Filled by the A/AAAA
 * path, read after forwarding. Bounded: at most {@code capacity} names, least recently added or seen first out, each
 * forgotten {@code maxAgeNanos} after it was last found. Names compare case-insensitively, trailing dot ignored.
 * Holds only strings; thread-safe (one lock, constant-time operations).
 */
final class RecentHostNames {

    /** How many names {@link DnsServer} keeps. */
    static final int DEFAULT_CAPACITY = 4096;
    /** How long a name is remembered after its last host answer (five minutes). */
    static final long DEFAULT_MAX_AGE_NANOS = 5L * 60 * 1_000_000_000L;

    private final int capacity;
    private final long maxAgeNanos;
    private final LongSupplier clock;
    private final LinkedHashMap<String, Long> expiries;

    RecentHostNames(int capacity, long maxAgeNanos, LongSupplier clock) {
        if (capacity < 1 || maxAgeNanos < 1) {
            throw new IllegalArgumentException("capacity and age must be positive");
        }
        this.capacity = capacity;
        this.maxAgeNanos = maxAgeNanos;
        this.clock = clock;
        this.expiries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > RecentHostNames.this.capacity;
            }
        };
    }

    /** Remembers that the host resolver found {@code name} just now. */
    synchronized void add(String name) {
        expiries.put(key(name), clock.getAsLong() + maxAgeNanos);
    }

    /** True when the host resolver found {@code name} within the maximum age (and it was not pushed out since). */
    synchronized boolean contains(String name) {
        String k = key(name);
        Long expiry = expiries.get(k);
        if (expiry == null) {
            return false;
        }
        if (clock.getAsLong() - expiry >= 0) {
            expiries.remove(k);
            return false;
        }
        return true;
    }

    /** How many names it holds now (expired ones included until they are looked at or pushed out). */
    synchronized int size() {
        return expiries.size();
    }

    /** The form names are compared in: lower case, no trailing dot. */
    static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
