package io.userv2.stack.gateway;

/** Why the {@link Gateway} dropped a frame; each has its own counter in {@link GatewayCounters}. */
public enum DropReason {
    /** Shorter than an Ethernet header (or a VLAN-tagged header). */
    ETHERNET_TRUNCATED,
    /** Destination MAC neither the gateway's nor broadcast (e.g. multicast); the switch should not deliver these. */
    NOT_FOR_GATEWAY_MAC,
    /** Source MAC is a group (multicast/broadcast) address, which no station may send from. */
    SOURCE_MAC_GROUP,
    /** Carries an 802.1Q tag: the gateway serves the untagged LAN only. */
    VLAN_TAGGED,
    /** An EtherType the gateway does not speak (LLDP, ..., and IPv6 when it does not serve IPv6). */
    UNSUPPORTED_ETHERTYPE,

    /** ARP packet shorter than 28 bytes. */
    ARP_TRUNCATED,
    /** ARP with inconsistent address lengths. */
    ARP_MALFORMED,
    /** ARP for a hardware/protocol pair other than Ethernet/IPv4. */
    ARP_UNSUPPORTED,
    /** ARP operation neither request nor reply. */
    ARP_UNKNOWN_OPERATION,
    /** ARP whose sender claims the gateway's own IP address. */
    ARP_ADDRESS_CONFLICT,
    /** ARP request for an address other than the gateway's, or a reply not addressed to it (learned from, no answer). */
    ARP_NOT_FOR_GATEWAY,

    /** IPv4 packet shorter than its header or Total Length. */
    IPV4_TRUNCATED,
    /** IPv4 version, IHL or Total Length inconsistent. */
    IPV4_MALFORMED,
    /** IPv4 header checksum does not verify. */
    IPV4_BAD_CHECKSUM,
    /** IPv4 source address is a broadcast or multicast address (RFC 1122 3.2.1.3). */
    IPV4_BAD_SOURCE,
    /** IPv4 destination is not the gateway, and no {@link Ipv4Forwarder} took the packet. */
    IPV4_NOT_FOR_GATEWAY,

    /*
     * Reassembly (Ipv4Reassembler and Ipv6Reassembler, which share these reasons). Counted per fragment: when a
     * whole datagram is discarded, each fragment it held counts once under the reason it died of, so every fragment
     * received ends in exactly one place (a drop counter or a reassembled datagram).
     */
    /** A fragment with More Fragments set whose payload is empty or not a multiple of 8 bytes (RFC 791). */
    FRAGMENT_MALFORMED,
    /** An exact duplicate (same offset and length) of a fragment already held: dropped alone, reassembly goes on. */
    FRAGMENT_DUPLICATE,
    /** Fragments overlapping without being duplicates: the whole datagram is dropped (as RFC 5722 asks for IPv6). */
    FRAGMENT_OVERLAP,
    /** Fragments disagreeing on where the datagram ends (two last fragments, or data beyond the last one). */
    FRAGMENT_INCONSISTENT,
    /** The reassembled datagram would exceed 65,535 bytes (RFC 791 Total Length; "ping of death"). */
    FRAGMENT_TOO_LONG,
    /** A datagram needing more fragments than {@link ReassemblyLimits#maxFragments()}. */
    FRAGMENT_TOO_MANY,
    /** A new datagram from an ingress owner already at {@link ReassemblyLimits#maxDatagramsPerOwner()}. */
    FRAGMENT_OWNER_LIMIT,
    /** A new datagram while {@link ReassemblyLimits#maxDatagrams()} are in reassembly. */
    FRAGMENT_TOTAL_LIMIT,
    /** The reassembly buffers would exceed {@link ReassemblyLimits#maxBytes()}. */
    FRAGMENT_MEMORY_LIMIT,
    /** Not complete within {@link ReassemblyLimits#timeoutNanos()} of its first fragment. */
    FRAGMENT_TIMEOUT,
    /** Held when reassembly was abandoned: the gateway closed, or the ingress owner went away. */
    FRAGMENT_ABORTED,

    /** ICMP message shorter than 8 bytes. */
    ICMP_TRUNCATED,
    /** ICMP checksum does not verify. */
    ICMP_BAD_CHECKSUM,
    /** ICMP type the gateway does not act on. */
    ICMP_UNHANDLED_TYPE,
    /** ICMP echo request sent to a broadcast address ("MAY be silently discarded", RFC 1122 3.2.2.6). */
    ICMP_ECHO_TO_BROADCAST,

    /** UDP datagram shorter than its header, or its Length field runs past the IP payload. */
    UDP_TRUNCATED,
    /** UDP Length field below 8, or destination port 0. */
    UDP_MALFORMED,
    /** UDP checksum present (non-zero) and does not verify. */
    UDP_BAD_CHECKSUM,
    /**
     * UDP to the gateway's address on a port nothing is bound to (nor taken by the forwarder); answered with ICMP port
     * unreachable when RFC 1122 3.2.2 and the rate limit allow.
     */
    UDP_PORT_UNREACHABLE,
    /** UDP to a broadcast address on a port nothing is bound to (no ICMP error for broadcasts, RFC 1122 3.2.2). */
    UDP_BROADCAST_UNBOUND,
    /** TCP to the gateway's address that no {@link Ipv4Forwarder} took. */
    TCP_UNHANDLED,
    /** Any other IP protocol to the gateway (over IPv6: answered with Parameter Problem code 1, RFC 8200 4). */
    IP_PROTOCOL_UNHANDLED,

    /* IPv6 (GatewayIpv6). */
    /** IPv6 packet shorter than its header, Payload Length or an extension header. */
    IPV6_TRUNCATED,
    /** IPv6 version, extension-header chain or options break a rule (Ipv6Packet's checks). */
    IPV6_MALFORMED,
    /**
     * IPv6 the gateway may not process: an unrecognized option whose type says discard, a Routing header with
     * segments left, a jumbogram (RFC 8200 4.2, 4.4; RFC 2675).
     */
    IPV6_UNSUPPORTED,
    /** IPv6 source multicast, loopback or one of the gateway's own addresses (RFC 4291 2.7, 2.5.3). */
    IPV6_BAD_SOURCE,
    /** IPv6 destination unspecified, loopback, IPv4-mapped, or a unicast address in a link-layer multicast frame. */
    IPV6_BAD_DESTINATION,
    /**
     * An IPv6 fragment the gateway does not reassemble: to a multicast group or another host of the LAN, or a second
     * Fragment header in a reassembled packet. Fragments to the gateway and beyond go to its {@link Ipv6Reassembler}
     * and are counted under the {@code FRAGMENT_*} reasons.
     */
    IPV6_FRAGMENT,
    /** IPv6 to an address on the LAN (link-local or in the prefix) that is not the gateway's. */
    IPV6_NOT_FOR_GATEWAY,
    /** IPv6 to a multicast group the gateway has not joined (it still snoops duplicate address detection). */
    IPV6_MULTICAST_NOT_JOINED,
    /** IPv6 "No Next Header" (59) to the gateway: nothing to deliver. */
    IPV6_NO_NEXT_HEADER,
    /**
     * IPv6 to a destination beyond the LAN that no {@link Ipv6Forwarder} took: answered with a TCP reset or ICMPv6
     * destination unreachable, no route (RFC 4443 3.1 code 0), so guests fall back to IPv4 at once.
     */
    IPV6_NO_ROUTE,
    /** ICMPv6 message shorter than 8 bytes. */
    ICMPV6_TRUNCATED,
    /** ICMPv6 checksum does not verify (RFC 4443 2.3). */
    ICMPV6_BAD_CHECKSUM,
    /** An ICMPv6 type the gateway does not act on (echo replies, errors, MLD, ...). */
    ICMPV6_UNHANDLED_TYPE,
    /**
     * A Neighbor Discovery message that fails RFC 4861's validity checks or whose options are malformed (zero-length,
     * overlong): "silently discarded" (NdpValidation).
     */
    NDP_INVALID,
    /** A Neighbor Advertisement from a guest for one of the gateway's own addresses: it claims the gateway's address. */
    NDP_ADDRESS_CONFLICT,
    /** A Neighbor Solicitation or Advertisement for an address the gateway neither owns nor keeps (not on the LAN). */
    NDP_TARGET_NOT_OURS,
    /** A Router Advertisement from a guest: the gateway is the LAN's router and takes none. */
    NDP_ROUTER_ADVERTISEMENT_IGNORED,
    /** A Redirect (RFC 4861 8): the gateway is the LAN's only router and follows none. */
    NDP_REDIRECT_IGNORED,
    /** A Router Solicitation answered by nobody: the unicast answers' rate limit held it back. */
    NDP_SOLICITATION_RATE_LIMITED,
    /** UDP over IPv6 to a joined multicast group on a port nothing is bound to (no error to multicast, RFC 4443). */
    UDP_MULTICAST_UNBOUND,
    /** A TCP segment over IPv6 shorter than its header or whose checksum does not verify (no reset is sent). */
    TCP_MALFORMED,

    /* Frames the gateway meant to send to a neighbour (NeighborCache). */
    /** A frame that waited for its neighbour's address, which did not resolve (or whose port went away). */
    NEIGHBOR_UNRESOLVED,
    /** A frame that could not wait for its neighbour: the queue was full, or the neighbour cache was. */
    NEIGHBOR_QUEUE_FULL
}
