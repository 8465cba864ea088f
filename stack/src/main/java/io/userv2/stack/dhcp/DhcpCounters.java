package io.userv2.stack.dhcp;

import java.util.EnumMap;
import java.util.Map;

/**
 * Counters of one {@link DhcpServer}. Plain fields, no synchronisation: the server is single-threaded, and readers
 * on other threads (the stats API) may see slightly stale values, which is acceptable for statistics.
 */
public final class DhcpCounters {
    private final long[] dropped = new long[DhcpDropReason.values().length];
    private long received;
    private long offers;
    private long acks;
    private long naks;
    private long informs;
    private long releases;
    private long declines;
    private long storeFailures;

    void receivedOne() {
        received++;
    }

    void offerSent() {
        offers++;
    }

    void ackSent() {
        acks++;
    }

    void nakSent() {
        naks++;
    }

    void informAnswered() {
        informs++;
    }

    void released() {
        releases++;
    }

    void declined() {
        declines++;
    }

    void storeFailed() {
        storeFailures++;
    }

    void drop(DhcpDropReason reason) {
        dropped[reason.ordinal()]++;
    }

    /** Datagrams delivered to the server. */
    public long received() {
        return received;
    }

    /** DHCPOFFERs sent. */
    public long offers() {
        return offers;
    }

    /** DHCPACKs sent for REQUESTs (INFORM answers are counted in {@link #informs()}). */
    public long acks() {
        return acks;
    }

    /** DHCPNAKs sent. */
    public long naks() {
        return naks;
    }

    /** DHCPINFORMs answered with an ACK. */
    public long informs() {
        return informs;
    }

    /** DHCPRELEASEs that ended a binding. */
    public long releases() {
        return releases;
    }

    /** DHCPDECLINEs that marked an address unusable. */
    public long declines() {
        return declines;
    }

    /** {@link LeaseStore#save} calls that threw. */
    public long storeFailures() {
        return storeFailures;
    }

    /** Messages dropped for {@code reason}. */
    public long dropped(DhcpDropReason reason) {
        return dropped[reason.ordinal()];
    }

    /** Messages dropped for any reason. */
    public long droppedTotal() {
        long total = 0;
        for (long d : dropped) {
            total += d;
        }
        return total;
    }

    /** The non-zero drop counters, for logs and the stats API. */
    public Map<DhcpDropReason, Long> droppedByReason() {
        Map<DhcpDropReason, Long> map = new EnumMap<>(DhcpDropReason.class);
        for (DhcpDropReason r : DhcpDropReason.values()) {
            if (dropped[r.ordinal()] != 0) {
                map.put(r, dropped[r.ordinal()]);
            }
        }
        return map;
    }

    @Override
    public String toString() {
        return "DhcpCounters{received=" + received + ", offers=" + offers + ", acks=" + acks + ", naks=" + naks
                + ", informs=" + informs + ", releases=" + releases + ", declines=" + declines + ", storeFailures="
                + storeFailures + ", dropped=" + droppedByReason() + "}";
    }
}
