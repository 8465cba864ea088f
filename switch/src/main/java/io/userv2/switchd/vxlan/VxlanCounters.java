package io.userv2.switchd.vxlan;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Drops of the VXLAN uplink by {@link VxlanDropReason}, per remote or for the socket as a whole (datagrams from no
 * known remote). Written by the event-loop thread only; read by anyone (plain longs: a reader elsewhere may see
 * slightly stale values, fine for statistics).
 */
public final class VxlanCounters {
    private final long[] drops = new long[VxlanDropReason.all().length];

    /** Counts one drop; returns how many for that reason so far. */
    long count(VxlanDropReason reason) {
        return ++drops[reason.ordinal()];
    }

    /** Drops for {@code reason}. */
    public long drops(VxlanDropReason reason) {
        return drops[reason.ordinal()];
    }

    /** Every reason with its count, in declaration order, by {@link VxlanDropReason#label()}. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (VxlanDropReason r : VxlanDropReason.all()) {
            m.put(r.label(), drops[r.ordinal()]);
        }
        return m;
    }
}
