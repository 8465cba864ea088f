package io.userv2.switchd.switching;

import io.userv2.switchd.port.Port;

/**
 * The learning switch's forwarding table: 48-bit MAC address to port, with the time each entry was last refreshed.
 * Open addressing with linear probing on primitive {@code long} keys so lookups on the per-frame path allocate
 * nothing. Not thread-safe: owned by the event-loop thread.
 *
 * <p>Bounded twice, because the port is the unit of ownership: at most {@code maxEntries} addresses in all, and at
 * most {@code maxPerPort} learned on any one port (counted on the port itself, {@link Port#macEntries()}). A port at
 * its cap learns nothing new and a full table learns nothing new: neither ever evicts an entry, so a MAC-flooding
 * port cannot push other ports' addresses out. Moving an address to another port counts against the new port's
 * cap like a new one.
 *
 * <p>Pinned entries ({@link #pin}: the gateway's own MAC) never age, never move and are never refused.
 */
final class MacTable {
    /** {@link #learn} result: a new entry. */
    static final int LEARNED = 0;
    /** {@link #learn} result: the entry was already on this port; its time was refreshed. */
    static final int REFRESHED = 1;
    /** {@link #learn} result: the entry moved here from another port. */
    static final int MOVED = 2;
    /** {@link #learn} result, refused: the address is pinned to another port. */
    static final int REFUSED_PINNED = 3;
    /** {@link #learn} result, refused: the port already holds its cap of addresses. */
    static final int REFUSED_PORT_FULL = 4;
    /** {@link #learn} result, refused: the table is full. */
    static final int REFUSED_TABLE_FULL = 5;

    private static final long EMPTY = -1L;

    private final int capacity;
    private final int maxEntries;
    private final int maxPerPort;
    private final long[] keys;
    private final Port[] ports;
    private final long[] seenAt;
    private final boolean[] pinned;
    private int size;

    /** Calls {@code action} with each learned address (not the pinned ones) and its port. */
    void forEachLearned(java.util.function.ObjLongConsumer<Port> action) {
        for (int i = 0; i < capacity; i++) {
            if (keys[i] != EMPTY && !pinned[i]) {
                action.accept(ports[i], keys[i]);
            }
        }
    }

    /** A table of at most {@code maxEntries} addresses, {@code maxPerPort} of them on any one port. */
    MacTable(int maxEntries, int maxPerPort) {
        if (maxEntries < 1 || maxPerPort < 1) {
            throw new IllegalArgumentException("MAC table bounds must be positive");
        }
        this.maxEntries = maxEntries;
        this.maxPerPort = maxPerPort;
        int cap = Integer.highestOneBit(Math.max(16, maxEntries * 2 - 1)) << 1;
        this.capacity = cap;
        this.keys = new long[cap];
        this.ports = new Port[cap];
        this.seenAt = new long[cap];
        this.pinned = new boolean[cap];
        java.util.Arrays.fill(keys, EMPTY);
    }

    private int slot(long mac) {
        long h = mac * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & (capacity - 1);
    }

    /** The port that {@code mac} was last seen on, or null. */
    Port lookup(long mac) {
        int i = slot(mac);
        while (true) {
            long k = keys[i];
            if (k == mac) {
                return ports[i];
            }
            if (k == EMPTY) {
                return null;
            }
            i = (i + 1) & (capacity - 1);
        }
    }

    /**
     * Pins {@code mac} to {@code port} for good: learning never moves it, aging never removes it (only
     * {@link #forget} of that port does), and it is not counted against the port's cap.
     */
    void pin(long mac, Port port) {
        int i = slot(mac);
        while (keys[i] != EMPTY && keys[i] != mac) {
            i = (i + 1) & (capacity - 1);
        }
        if (keys[i] == EMPTY) {
            keys[i] = mac;
            size++;
        } else if (!pinned[i]) {
            ports[i].adjustMacEntries(-1);
        }
        ports[i] = port;
        pinned[i] = true;
    }

    /**
     * Records that {@code mac} was seen on {@code port} at {@code now}, within the bounds.
     *
     * @return {@link #LEARNED}, {@link #REFRESHED} or {@link #MOVED}; or, when nothing changed,
     *     {@link #REFUSED_PINNED}, {@link #REFUSED_PORT_FULL} or {@link #REFUSED_TABLE_FULL}
     */
    int learn(long mac, Port port, long now) {
        int i = slot(mac);
        while (true) {
            long k = keys[i];
            if (k == mac) {
                Port before = ports[i];
                if (before == port) {
                    seenAt[i] = now;
                    return REFRESHED;
                }
                if (pinned[i]) {
                    return REFUSED_PINNED;
                }
                if (port.macEntries() >= maxPerPort) {
                    return REFUSED_PORT_FULL;
                }
                before.adjustMacEntries(-1);
                before.learned(-1, 0); // its relearn shortcut must not keep it from taking the address back
                port.adjustMacEntries(1);
                ports[i] = port;
                seenAt[i] = now;
                return MOVED;
            }
            if (k == EMPTY) {
                if (port.macEntries() >= maxPerPort) {
                    return REFUSED_PORT_FULL;
                }
                if (size >= maxEntries) {
                    return REFUSED_TABLE_FULL;
                }
                keys[i] = mac;
                ports[i] = port;
                seenAt[i] = now;
                size++;
                port.adjustMacEntries(1);
                return LEARNED;
            }
            i = (i + 1) & (capacity - 1);
        }
    }

    /**
     * Removes every unpinned entry last refreshed before {@code olderThan}, and every entry pointing at a closed
     * port; returns how many.
     */
    int expire(long olderThan) {
        int removed = 0;
        for (int i = 0; i < capacity; i++) {
            if (keys[i] != EMPTY && (!pinned[i] && seenAt[i] - olderThan < 0 || ports[i].isClosed())) {
                removeAt(i);
                removed++;
                i--; // backward shift may have moved another entry into slot i
            }
        }
        return removed;
    }

    /** Removes every entry that points at {@code port}, pinned ones too. */
    void forget(Port port) {
        for (int i = 0; i < capacity; i++) {
            if (keys[i] != EMPTY && ports[i] == port) {
                removeAt(i);
                i--;
            }
        }
    }

    /** Number of addresses in the table, pinned ones included. */
    int size() {
        return size;
    }

    /** The most addresses one port may have learned. */
    int maxPerPort() {
        return maxPerPort;
    }

    /** Deletes slot {@code i} and shifts later entries of the probe chain back (no tombstones). */
    private void removeAt(int i) {
        if (!pinned[i]) {
            ports[i].adjustMacEntries(-1);
        }
        int mask = capacity - 1;
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            if (keys[j] == EMPTY) {
                break;
            }
            int home = slot(keys[j]);
            // Move entry j into the hole if its home slot is not cyclically within (hole, j].
            boolean homeInRange = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!homeInRange) {
                keys[hole] = keys[j];
                ports[hole] = ports[j];
                seenAt[hole] = seenAt[j];
                pinned[hole] = pinned[j];
                hole = j;
            }
        }
        keys[hole] = EMPTY;
        ports[hole] = null;
        pinned[hole] = false;
        size--;
    }
}
