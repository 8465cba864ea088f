package io.userv2.stack.dhcp;

import io.userv2.stack.DropCounters;
import java.util.Map;

/**
 * Counters of one {@link DhcpServer}. Plain fields, no synchronisation: the server is single-threaded, and readers
 * on other threads (the stats API) may see slightly stale values, which is acceptable for statistics.
 */
public final class DhcpCounters {
    private final DropCounters<DhcpDropReason> dropped = new DropCounters<>(DhcpDropReason.class);
    private long received;
    private long offers;
    private long acks;
    private long naks;
    private long informs;
    private long releases;
    private long declines;
    private long storeFailures;
    private long optionsLeftOut;
    private long oversizedReplies;

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

    void optionsLeftOut(int n) {
        optionsLeftOut += n;
    }

    void oversizedReply() {
        oversizedReplies++;
    }

    void drop(DhcpDropReason reason) {
        dropped.add(reason);
    }

    /** Datagrams delivered to the server. */
    public long received() {
        return received;
    }

    /** DHCPOFFERs sent. */
    public long offers() {
        return offers;
    }

    /**
     * DHCPACKs sent for REQUESTs (INFORM answers are counted in {@link #informs()}); an ACK held for the lease store
     * is counted when it leaves.
     */
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

    /** Snapshots the {@link LeaseStore} could not write ({@link SaveCompletion#failed}, or {@code save} threw). */
    public long storeFailures() {
        return storeFailures;
    }

    /**
     * Options left out of OFFERs and ACKs so that they fit the size the client takes (576-octet datagrams, or its
     * option 57); see {@link ReplySize}.
     */
    public long optionsLeftOut() {
        return optionsLeftOut;
    }

    /** Replies sent longer than the client said it takes, because nothing more could be left out. */
    public long oversizedReplies() {
        return oversizedReplies;
    }

    /** Messages dropped for {@code reason}. */
    public long dropped(DhcpDropReason reason) {
        return dropped.get(reason);
    }

    /** Messages dropped for any reason. */
    public long droppedTotal() {
        return dropped.total();
    }

    /** The non-zero drop counters, for logs and the stats API. */
    public Map<DhcpDropReason, Long> droppedByReason() {
        return dropped.nonZero();
    }

    @Override
    public String toString() {
        return "DhcpCounters{received=" + received + ", offers=" + offers + ", acks=" + acks + ", naks=" + naks
                + ", informs=" + informs + ", releases=" + releases + ", declines=" + declines + ", storeFailures="
                + storeFailures + ", optionsLeftOut=" + optionsLeftOut + ", oversizedReplies=" + oversizedReplies
                + ", dropped=" + droppedByReason() + "}";
    }
}
