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
    /** An EtherType the gateway does not speak (IPv6, LLDP, ...). */
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
     * Reassembly (Ipv4Reassembler). Counted per fragment: when a whole datagram is discarded, each fragment it held
     * counts once under the reason it died of, so every fragment received ends in exactly one place (a drop counter
     * or a reassembled datagram).
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
    /** Any other IP protocol to the gateway. */
    IP_PROTOCOL_UNHANDLED
}
