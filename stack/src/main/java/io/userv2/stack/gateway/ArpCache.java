package io.userv2.stack.gateway;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
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

    /** Keyed by the address's 32 bits, unboxed: looked up and refreshed for every frame the gateway receives. */
    private final IntObjectHashMap<Entry> entries = new IntObjectHashMap<>();
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
        var it = entries.entries().iterator();
        while (it.hasNext()) {
            if (expired(it.next().value(), nowNanos)) {
                it.remove();
            }
        }
    }

    /** Number of entries, including expired ones not yet purged. */
    public int size() {
        return entries.size();
    }

    /** The live entries, ordered by address (allocates; for the API and tests). */
    public Map<Ipv4Address, MacAddress> snapshot(long nowNanos) {
        Map<Ipv4Address, MacAddress> map = new TreeMap<>();
        for (IntObjectMap.PrimitiveEntry<Entry> me : entries.entries()) {
            if (!expired(me.value(), nowNanos)) {
                map.put(new Ipv4Address(me.key()), MacAddress.of(me.value().mac));
            }
        }
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
        int oldest = 0;
        long oldestAge = Long.MIN_VALUE;
        for (IntObjectMap.PrimitiveEntry<Entry> me : entries.entries()) {
            long age = nowNanos - me.value().refreshedAt;
            if (age > oldestAge) {
                oldestAge = age;
                oldest = me.key();
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
