package io.userv2.stack.gateway;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The gateway's IPv4-to-MAC translation table (RFC 826), with aging: an entry is forgotten {@code timeoutNanos} after
 * it was last learned or refreshed. Time is passed in ({@code nowNanos}, any monotonic origin such as
 * {@link System#nanoTime()}; compared by subtraction, so wrap-around is harmless). Bounded: when full, expired entries
 * are purged and then the least recently refreshed entry is evicted.
 *
 * <p>Not thread-safe: owned by the gateway's thread.
 */
public final class ArpCache {
    /** Returned by {@link #lookup} when there is no live entry (not a valid 48-bit address). */
    public static final long NONE = -1L;
    /** Default entry lifetime: 10 minutes. Active hosts are refreshed by every frame they send to the gateway. */
    public static final long DEFAULT_TIMEOUT_NANOS = 10L * 60 * 1_000_000_000L;
    /** Default maximum number of entries. */
    public static final int DEFAULT_CAPACITY = 4096;

    private static final class Entry {
        long mac;
        long refreshedAt;

        Entry(long mac, long refreshedAt) {
            this.mac = mac;
            this.refreshedAt = refreshedAt;
        }
    }

    private final Map<Integer, Entry> entries = new HashMap<>();
    private final long timeoutNanos;
    private final int capacity;

    /** A cache with {@link #DEFAULT_TIMEOUT_NANOS} and {@link #DEFAULT_CAPACITY}. */
    public ArpCache() {
        this(DEFAULT_TIMEOUT_NANOS, DEFAULT_CAPACITY);
    }

    /** A cache whose entries live {@code timeoutNanos} after their last refresh, holding at most {@code capacity}. */
    public ArpCache(long timeoutNanos, int capacity) {
        if (timeoutNanos <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("timeout and capacity must be positive");
        }
        this.timeoutNanos = timeoutNanos;
        this.capacity = capacity;
    }

    /** The MAC (48 bits) of {@code ip}, or {@link #NONE} when unknown or expired (an expired entry is removed). */
    public long lookup(int ip, long nowNanos) {
        Entry e = entries.get(ip);
        if (e == null) {
            return NONE;
        }
        if (expired(e, nowNanos)) {
            entries.remove(ip);
            return NONE;
        }
        return e.mac;
    }

    /** The MAC of {@code ip}, or {@code null} when unknown or expired. */
    public MacAddress lookup(Ipv4Address ip, long nowNanos) {
        long mac = lookup(ip.bits(), nowNanos);
        return mac == NONE ? null : MacAddress.of(mac);
    }

    /**
     * Adds or refreshes {@code ip -> mac} (the RFC 826 "add the triplet" step, for packets addressed to us).
     *
     * @return true when the mapping is new or changed, false when an identical live entry was only refreshed
     */
    public boolean learn(int ip, long mac, long nowNanos) {
        Entry e = entries.get(ip);
        if (e != null) {
            boolean changed = e.mac != mac || expired(e, nowNanos);
            e.mac = mac;
            e.refreshedAt = nowNanos;
            return changed;
        }
        if (entries.size() >= capacity) {
            makeRoom(nowNanos);
        }
        entries.put(ip, new Entry(mac, nowNanos));
        return true;
    }

    /**
     * Refreshes {@code ip -> mac} only if {@code ip} already has a live entry (the RFC 826 "merge" step, for packets
     * not addressed to us: "If the pair is already in my translation table, update the sender hardware address field").
     *
     * @return true when the mapping changed
     */
    public boolean update(int ip, long mac, long nowNanos) {
        Entry e = entries.get(ip);
        if (e == null || expired(e, nowNanos)) {
            return false;
        }
        boolean changed = e.mac != mac;
        e.mac = mac;
        e.refreshedAt = nowNanos;
        return changed;
    }

    /** Forgets {@code ip}. */
    public void remove(int ip) {
        entries.remove(ip);
    }

    /** Removes every expired entry. */
    public void expire(long nowNanos) {
        entries.values().removeIf(e -> expired(e, nowNanos));
    }

    /** Number of entries, including expired ones not yet purged. */
    public int size() {
        return entries.size();
    }

    /** The live entries, ordered by address (allocates; for the API and tests). */
    public Map<Ipv4Address, MacAddress> snapshot(long nowNanos) {
        Map<Ipv4Address, MacAddress> map = new TreeMap<>();
        entries.forEach((ip, e) -> {
            if (!expired(e, nowNanos)) {
                map.put(new Ipv4Address(ip), MacAddress.of(e.mac));
            }
        });
        return map;
    }

    private boolean expired(Entry e, long nowNanos) {
        return nowNanos - e.refreshedAt >= timeoutNanos;
    }

    private void makeRoom(long nowNanos) {
        expire(nowNanos);
        if (entries.size() < capacity) {
            return;
        }
        Integer oldest = null;
        long oldestAge = Long.MIN_VALUE;
        for (Map.Entry<Integer, Entry> me : entries.entrySet()) {
            long age = nowNanos - me.getValue().refreshedAt;
            if (age > oldestAge) {
                oldestAge = age;
                oldest = me.getKey();
            }
        }
        entries.remove(oldest);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ArpCache{");
        entries.forEach((ip, e) -> sb.append(Ipv4Address.format(ip)).append(" at ").append(MacAddress.format(e.mac))
                .append(", "));
        return sb.append("size=").append(entries.size()).append('}').toString();
    }
}
