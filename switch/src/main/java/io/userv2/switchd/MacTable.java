package io.userv2.switchd;

import io.userv2.switchd.port.Port;

/**
 * The learning switch's forwarding table: 48-bit MAC address to port, with the time each entry was last refreshed.
 * Open addressing with linear probing on primitive {@code long} keys so lookups on the per-frame path allocate
 * nothing. The table is bounded: when it is full, new addresses are not learned (their frames are flooded), which
 * keeps a MAC-flooding guest from exhausting memory. Not thread-safe: owned by the event-loop thread.
 */
final class MacTable {
    private static final long EMPTY = -1L;

    private final int capacity;
    private final int maxEntries;
    private final long[] keys;
    private final Port[] ports;
    private final long[] seenAt;
    private int size;

    /** A table that holds at most {@code maxEntries} addresses. */
    MacTable(int maxEntries) {
        this.maxEntries = maxEntries;
        int cap = Integer.highestOneBit(Math.max(16, maxEntries * 2 - 1)) << 1;
        this.capacity = cap;
        this.keys = new long[cap];
        this.ports = new Port[cap];
        this.seenAt = new long[cap];
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
     * Records that {@code mac} was seen on {@code port} at {@code now}.
     *
     * @return the port the address was on before, if it moved; null otherwise
     */
    Port learn(long mac, Port port, long now) {
        int i = slot(mac);
        while (true) {
            long k = keys[i];
            if (k == mac) {
                Port before = ports[i];
                ports[i] = port;
                seenAt[i] = now;
                return before == port ? null : before;
            }
            if (k == EMPTY) {
                if (size >= maxEntries) {
                    return null;
                }
                keys[i] = mac;
                ports[i] = port;
                seenAt[i] = now;
                size++;
                return null;
            }
            i = (i + 1) & (capacity - 1);
        }
    }

    /** Removes every entry last refreshed before {@code olderThan} or pointing at a closed port; returns how many. */
    int expire(long olderThan) {
        int removed = 0;
        for (int i = 0; i < capacity; i++) {
            if (keys[i] != EMPTY && (seenAt[i] - olderThan < 0 || ports[i].isClosed())) {
                removeAt(i);
                removed++;
                i--; // backward shift may have moved another entry into slot i
            }
        }
        return removed;
    }

    /** Removes every entry that points at {@code port}. */
    void forget(Port port) {
        for (int i = 0; i < capacity; i++) {
            if (keys[i] != EMPTY && ports[i] == port) {
                removeAt(i);
                i--;
            }
        }
    }

    /** Number of learned addresses. */
    int size() {
        return size;
    }

    /** Deletes slot {@code i} and shifts later entries of the probe chain back (no tombstones). */
    private void removeAt(int i) {
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
                hole = j;
            }
        }
        keys[hole] = EMPTY;
        ports[hole] = null;
        size--;
    }
}
