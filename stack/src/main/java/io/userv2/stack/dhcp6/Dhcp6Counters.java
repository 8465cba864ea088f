package io.userv2.stack.dhcp6;

import io.userv2.stack.DropCounters;
import java.util.Map;

/**
 * Counters of one {@link Dhcp6Server}. Plain fields, no synchronisation: the server is single-threaded, and readers on
 * other threads (the stats API) may see slightly stale values, which is acceptable for statistics.
 */
public final class Dhcp6Counters {
    private final DropCounters<Dhcp6DropReason> dropped = new DropCounters<>(Dhcp6DropReason.class);
    private long received;
    private long advertises;
    private long replies;
    private long informationReplies;
    private long releases;
    private long declines;
    private long capRefusals;
    private long storeFailures;

    void receivedOne() {
        received++;
    }

    void advertiseSent() {
        advertises++;
    }

    void replySent() {
        replies++;
    }

    void informationAnswered() {
        informationReplies++;
    }

    void released() {
        releases++;
    }

    void declined() {
        declines++;
    }

    void capRefused() {
        capRefusals++;
    }

    void storeFailed() {
        storeFailures++;
    }

    void drop(Dhcp6DropReason reason) {
        dropped.add(reason);
    }

    /** Datagrams delivered to the server. */
    public long received() {
        return received;
    }

    /** Advertise messages sent. */
    public long advertises() {
        return advertises;
    }

    /** Reply messages sent, of every kind (a Reply held for the store is counted when it leaves). */
    public long replies() {
        return replies;
    }

    /** Information-requests answered (also counted in {@link #replies()}). */
    public long informationReplies() {
        return informationReplies;
    }

    /** Addresses released by their clients. */
    public long releases() {
        return releases;
    }

    /** Addresses declined by their clients (marked unusable for a while). */
    public long declines() {
        return declines;
    }

    /** IAs answered NoAddrsAvail because their switch port reached its cap. */
    public long capRefusals() {
        return capRefusals;
    }

    /** Snapshots the {@link Dhcp6LeaseStore} could not write. */
    public long storeFailures() {
        return storeFailures;
    }

    /** Messages dropped for {@code reason}. */
    public long dropped(Dhcp6DropReason reason) {
        return dropped.get(reason);
    }

    /** Messages dropped for any reason. */
    public long droppedTotal() {
        return dropped.total();
    }

    /** The non-zero drop counters, for logs and the stats API. */
    public Map<Dhcp6DropReason, Long> droppedByReason() {
        return dropped.nonZero();
    }

    @Override
    public String toString() {
        return "Dhcp6Counters{received=" + received + ", advertises=" + advertises + ", replies=" + replies
                + ", informationReplies=" + informationReplies + ", releases=" + releases + ", declines=" + declines
                + ", capRefusals=" + capRefusals + ", storeFailures=" + storeFailures + ", dropped="
                + droppedByReason() + "}";
    }
}
