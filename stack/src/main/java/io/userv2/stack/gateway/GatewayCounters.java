package io.userv2.stack.gateway;

import io.userv2.stack.DropCounters;
import java.util.Map;

/**
 * Counters of one {@link Gateway}. Plain fields, no synchronisation: the gateway is single-threaded, and readers on
 * other threads (the stats API) may see slightly stale values, which is acceptable for statistics.
 */
public final class GatewayCounters {
    private final DropCounters<DropReason> dropped = new DropCounters<>(DropReason.class);
    private long framesReceived;
    private long framesSent;
    private long arpRepliesSent;
    private long arpRequestsSent;
    private long echoRepliesSent;
    private long arpEntriesLearned;
    private long udpDelivered;
    private long udpSent;
    private long icmpErrorsSent;
    private long icmpErrorsRateLimited;
    private long ipv4Forwarded;
    private long ipv4Reassembled;
    private long fragmentsReassembled;
    private long ipv4Fragmented;
    private long fragmentsSent;
    private long icmpv6ErrorsSent;
    private long echo6RepliesSent;
    private long routerAdvertisementsSent;
    private long neighborAdvertisementsSent;
    private long neighborSolicitationsSent;
    private long dadDefended;
    private long ndpSnooped;
    private long neighborsLearned;
    private long neighborsEvicted;
    private long neighborsRefused;
    private long ipv6Forwarded;
    private long tcpResetsSent;
    private long ipv6Fragmented;
    private long ipv6Reassembled;
    private long ipv6AtomicFragments;

    void received() {
        framesReceived++;
    }

    void sent() {
        framesSent++;
    }

    void arpReplySent() {
        arpRepliesSent++;
    }

    void arpRequestSent() {
        arpRequestsSent++;
    }

    void echoReplySent() {
        echoRepliesSent++;
    }

    void arpLearned() {
        arpEntriesLearned++;
    }

    void udpDeliveredOne() {
        udpDelivered++;
    }

    void udpSentOne() {
        udpSent++;
    }

    void icmpErrorSent() {
        icmpErrorsSent++;
    }

    void icmpErrorRateLimited() {
        icmpErrorsRateLimited++;
    }

    void ipv4ForwardedOne() {
        ipv4Forwarded++;
    }

    void reassembled(int fragments) {
        ipv4Reassembled++;
        fragmentsReassembled += fragments;
    }

    void fragmented(int fragments) {
        ipv4Fragmented++;
        fragmentsSent += fragments;
    }

    void reassembled6(int fragments) {
        ipv6Reassembled++;
        fragmentsReassembled += fragments;
    }

    void atomicFragment6() {
        ipv6AtomicFragments++;
    }

    void fragmented6(int fragments) {
        ipv6Fragmented++;
        fragmentsSent += fragments;
    }

    void icmpv6ErrorSent() {
        icmpv6ErrorsSent++;
    }

    void echo6ReplySent() {
        echo6RepliesSent++;
    }

    void routerAdvertisementSent() {
        routerAdvertisementsSent++;
    }

    void neighborAdvertisementSent() {
        neighborAdvertisementsSent++;
    }

    void neighborSolicitationSent() {
        neighborSolicitationsSent++;
    }

    void dadDefendedOne() {
        dadDefended++;
    }

    void ndpSnoopedOne() {
        ndpSnooped++;
    }

    void neighborLearned() {
        neighborsLearned++;
    }

    void neighborEvicted() {
        neighborsEvicted++;
    }

    void neighborRefused() {
        neighborsRefused++;
    }

    void ipv6ForwardedOne() {
        ipv6Forwarded++;
    }

    void tcpResetSent() {
        tcpResetsSent++;
    }

    void drop(DropReason reason) {
        dropped.add(reason);
    }

    void drop(DropReason reason, int frames) {
        for (int i = 0; i < frames; i++) {
            dropped.add(reason);
        }
    }

    /** Frames passed to {@link Gateway#receive}. */
    public long framesReceived() {
        return framesReceived;
    }

    /** Frames handed to the sink. */
    public long framesSent() {
        return framesSent;
    }

    /** ARP replies sent. */
    public long arpRepliesSent() {
        return arpRepliesSent;
    }

    /** ARP requests sent. */
    public long arpRequestsSent() {
        return arpRequestsSent;
    }

    /** ICMP echo replies sent. */
    public long echoRepliesSent() {
        return echoRepliesSent;
    }

    /** New or changed ARP cache entries (refreshes of an unchanged mapping are not counted). */
    public long arpEntriesLearned() {
        return arpEntriesLearned;
    }

    /** UDP datagrams delivered to a bound {@link UdpService}. */
    public long udpDelivered() {
        return udpDelivered;
    }

    /** UDP datagrams sent through {@link Gateway#sendUdp}. */
    public long udpSent() {
        return udpSent;
    }

    /** ICMP error messages (port unreachable) sent. */
    public long icmpErrorsSent() {
        return icmpErrorsSent;
    }

    /** ICMP error messages suppressed by the rate limit. */
    public long icmpErrorsRateLimited() {
        return icmpErrorsRateLimited;
    }

    /** IPv4 packets an {@link Ipv4Forwarder} took. */
    public long ipv4Forwarded() {
        return ipv4Forwarded;
    }

    /** IPv4 datagrams reassembled from guest fragments. */
    public long ipv4Reassembled() {
        return ipv4Reassembled;
    }

    /** IPv6 packets reassembled from guest fragments (atomic fragments not included). */
    public long ipv6Reassembled() {
        return ipv6Reassembled;
    }

    /** IPv6 atomic fragments (offset 0, M clear) taken as whole packets (RFC 6946). */
    public long ipv6AtomicFragments() {
        return ipv6AtomicFragments;
    }

    /** Fragments that went into {@link #ipv4Reassembled()} and {@link #ipv6Reassembled()} datagrams. */
    public long fragmentsReassembled() {
        return fragmentsReassembled;
    }

    /** IPv4 datagrams the gateway sent as fragments because they exceeded the MTU. */
    public long ipv4Fragmented() {
        return ipv4Fragmented;
    }

    /** Fragments sent for {@link #ipv4Fragmented()} and {@link #ipv6Fragmented()} datagrams. */
    public long fragmentsSent() {
        return fragmentsSent;
    }

    /** ICMPv6 error messages (unreachable, parameter problem) sent. */
    public long icmpv6ErrorsSent() {
        return icmpv6ErrorsSent;
    }

    /** ICMPv6 echo replies sent. */
    public long echo6RepliesSent() {
        return echo6RepliesSent;
    }

    /** Router Advertisements sent (periodic, multicast and unicast solicited). */
    public long routerAdvertisementsSent() {
        return routerAdvertisementsSent;
    }

    /** Neighbor Advertisements sent (answers, and defences of the gateway's addresses). */
    public long neighborAdvertisementsSent() {
        return neighborAdvertisementsSent;
    }

    /** Neighbor Solicitations sent (resolution, probes of stale and tentative entries). */
    public long neighborSolicitationsSent() {
        return neighborSolicitationsSent;
    }

    /** Duplicate address detection probes for a gateway address answered (RFC 4861 7.2.4). */
    public long dadDefended() {
        return dadDefended;
    }

    /** Neighbor Discovery messages between guests the gateway looked at to learn addresses. */
    public long ndpSnooped() {
        return ndpSnooped;
    }

    /** New, newly confirmed or moved IPv6 neighbour entries. */
    public long neighborsLearned() {
        return neighborsLearned;
    }

    /** IPv6 neighbour entries pushed out by a newer one of the same switch port (its per-port cap). */
    public long neighborsEvicted() {
        return neighborsEvicted;
    }

    /** IPv6 neighbour entries not made because the cache was full. */
    public long neighborsRefused() {
        return neighborsRefused;
    }

    /** IPv6 packets an {@link Ipv6Forwarder} took. */
    public long ipv6Forwarded() {
        return ipv6Forwarded;
    }

    /** IPv6 datagrams the gateway sent as fragments because they exceeded the MTU. */
    public long ipv6Fragmented() {
        return ipv6Fragmented;
    }

    /** TCP resets sent for IPv6 segments nobody took. */
    public long tcpResetsSent() {
        return tcpResetsSent;
    }

    /** Frames dropped for {@code reason}. */
    public long dropped(DropReason reason) {
        return dropped.get(reason);
    }

    /** Frames dropped for any reason. */
    public long droppedTotal() {
        return dropped.total();
    }

    /** The non-zero drop counters, for logs and the stats API. */
    public Map<DropReason, Long> droppedByReason() {
        return dropped.nonZero();
    }

    @Override
    public String toString() {
        return "GatewayCounters{received=" + framesReceived + ", sent=" + framesSent + ", arpReplies=" + arpRepliesSent
                + ", arpRequests=" + arpRequestsSent + ", echoReplies=" + echoRepliesSent + ", learned="
                + arpEntriesLearned + ", udpDelivered=" + udpDelivered + ", udpSent=" + udpSent + ", icmpErrors="
                + icmpErrorsSent + ", icmpRateLimited=" + icmpErrorsRateLimited + ", forwarded=" + ipv4Forwarded
                + ", reassembled=" + ipv4Reassembled + ", fragmented=" + ipv4Fragmented
                + (routerAdvertisementsSent + neighborsLearned + echo6RepliesSent == 0 ? "" : ", ra="
                + routerAdvertisementsSent + ", na=" + neighborAdvertisementsSent + ", ns=" + neighborSolicitationsSent
                + ", neighborsLearned=" + neighborsLearned + ", echo6Replies=" + echo6RepliesSent + ", icmpv6Errors="
                + icmpv6ErrorsSent + ", forwarded6=" + ipv6Forwarded)
                + ", dropped=" + droppedByReason() + "}";
    }
}
