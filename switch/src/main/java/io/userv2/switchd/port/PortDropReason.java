package io.userv2.switchd.port;

/**
 * Why the switch dropped a frame a port sent (or, for {@link #UNKNOWN_UNICAST}, a frame the gateway sent), for the
 * per-port drop counters in {@link PortCounters}, {@code /stats} and {@code /metrics}.
 */
public enum PortDropReason {
    /** A VM port sent a frame with the gateway's MAC as its source. */
    GATEWAY_MAC_SPOOFED("gateway_mac"),
    /** A VM port sent an IPv4 or IPv6 packet whose source is an address the gateway owns. */
    GATEWAY_IP_SPOOFED("gateway_ip"),
    /** A VM port sent ARP with an address the gateway owns as the sender protocol address. */
    GATEWAY_ARP_SPOOFED("gateway_arp"),
    /** A VM port sent a Neighbor Advertisement for an IPv6 address the gateway owns (the ARP spoof of IPv6). */
    GATEWAY_NDP_SPOOFED("gateway_ndp"),
    /** RA guard (RFC 6105): a VM port sent a Router Advertisement; the gateway is the LAN's only router. */
    ROUTER_ADVERTISEMENT_GUARD("ra_guard"),
    /** IP source guard: an IPv4 source (or ARP sender address) not bound to this port by DHCP or a static lease. */
    IP_SOURCE_GUARD("ip_source_guard"),
    /** The port already has as many learned MAC addresses as it may hold; a frame from a further one was dropped. */
    MAC_LIMIT("mac_limit"),
    /** The forwarding table is full; a frame from an address that could not be learned was dropped. */
    MAC_TABLE_FULL("mac_table_full"),
    /** Storm control: the port's rate of flooded frames (broadcast, multicast, unknown unicast) was exceeded. */
    STORM_CONTROL("storm_control"),
    /** The gateway sent unicast to a MAC no port has: dropped instead of flooded (counted on the gateway's port). */
    UNKNOWN_UNICAST("unknown_unicast"),
    /**
     * The port's work budget for one loop iteration was spent on a socket shared with other VMs (unixgram), where
     * leaving the datagram unread would stall the others too: dropped instead.
     */
    OVER_BUDGET("over_budget");

    private static final PortDropReason[] ALL = values();

    private final String label;

    PortDropReason(String label) {
        this.label = label;
    }

    /** The name used in {@code /stats} and as the {@code reason} label of {@code /metrics}. */
    public String label() {
        return label;
    }

    /** Every reason, in declaration order (a shared array: do not modify). */
    static PortDropReason[] all() {
        return ALL;
    }
}
