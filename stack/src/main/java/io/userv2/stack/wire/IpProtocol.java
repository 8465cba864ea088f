package io.userv2.stack.wire;

/**
 * An IP protocol number (the IPv4 "Protocol" field and the IPv6 "Next Header" field, IANA "Assigned Internet Protocol
 * Numbers"), as an open type: the numbers this stack knows are constants and {@link #of} returns them without
 * allocating; any other 8-bit value is kept as it is. The IPv6 extension headers (RFC 8200 section 4) share the
 * number space: {@link #isIpv6ExtensionHeader} names the ones {@link Ipv6Packet} walks.
 *
 * <p>The {@code int} constants ({@link #ICMP_NUMBER}, ...) exist for {@code switch} statements.
 */
public record IpProtocol(int number) {
    /** 1 as an int constant for switches. */
    public static final int ICMP_NUMBER = 1;
    /** 6 as an int constant for switches. */
    public static final int TCP_NUMBER = 6;
    /** 17 as an int constant for switches. */
    public static final int UDP_NUMBER = 17;
    /** 0 (IPv6 Hop-by-Hop Options header) as an int constant for switches. */
    public static final int HOPOPT_NUMBER = 0;
    /** 43 (IPv6 Routing header) as an int constant for switches. */
    public static final int IPV6_ROUTE_NUMBER = 43;
    /** 44 (IPv6 Fragment header) as an int constant for switches. */
    public static final int IPV6_FRAG_NUMBER = 44;
    /** 58 (ICMPv6) as an int constant for switches. */
    public static final int ICMPV6_NUMBER = 58;
    /** 59 (IPv6 No Next Header) as an int constant for switches. */
    public static final int IPV6_NONXT_NUMBER = 59;
    /** 60 (IPv6 Destination Options header) as an int constant for switches. */
    public static final int IPV6_OPTS_NUMBER = 60;

    /** Internet Control Message Protocol (RFC 792). */
    public static final IpProtocol ICMP = new IpProtocol(ICMP_NUMBER);
    /** Transmission Control Protocol (RFC 9293). */
    public static final IpProtocol TCP = new IpProtocol(TCP_NUMBER);
    /** User Datagram Protocol (RFC 768). */
    public static final IpProtocol UDP = new IpProtocol(UDP_NUMBER);
    /** IPv6 Hop-by-Hop Options header (RFC 8200 section 4.3). */
    public static final IpProtocol HOPOPT = new IpProtocol(HOPOPT_NUMBER);
    /** IPv6 Routing header (RFC 8200 section 4.4). */
    public static final IpProtocol IPV6_ROUTE = new IpProtocol(IPV6_ROUTE_NUMBER);
    /** IPv6 Fragment header (RFC 8200 section 4.5). */
    public static final IpProtocol IPV6_FRAG = new IpProtocol(IPV6_FRAG_NUMBER);
    /** Internet Control Message Protocol for IPv6 (RFC 4443). */
    public static final IpProtocol ICMPV6 = new IpProtocol(ICMPV6_NUMBER);
    /** No Next Header for IPv6 (RFC 8200 section 4.7): nothing follows the header that names it. */
    public static final IpProtocol IPV6_NONXT = new IpProtocol(IPV6_NONXT_NUMBER);
    /** IPv6 Destination Options header (RFC 8200 section 4.6). */
    public static final IpProtocol IPV6_OPTS = new IpProtocol(IPV6_OPTS_NUMBER);

    /** Requires an 8-bit value. */
    public IpProtocol {
        if ((number & ~0xFF) != 0) {
            throw new IllegalArgumentException("IP protocol number out of range: " + number);
        }
    }

    /** The constant for a known number, otherwise a new instance keeping {@code number} (low 8 bits). */
    public static IpProtocol of(int number) {
        return switch (number & 0xFF) {
            case ICMP_NUMBER -> ICMP;
            case TCP_NUMBER -> TCP;
            case UDP_NUMBER -> UDP;
            case HOPOPT_NUMBER -> HOPOPT;
            case IPV6_ROUTE_NUMBER -> IPV6_ROUTE;
            case IPV6_FRAG_NUMBER -> IPV6_FRAG;
            case ICMPV6_NUMBER -> ICMPV6;
            case IPV6_NONXT_NUMBER -> IPV6_NONXT;
            case IPV6_OPTS_NUMBER -> IPV6_OPTS;
            default -> new IpProtocol(number & 0xFF);
        };
    }

    /**
     * True for the IPv6 extension headers {@link Ipv6Packet} walks: Hop-by-Hop Options (0), Routing (43), Fragment
     * (44) and Destination Options (60). Other extension headers of IANA's registry (AH, ESP, Mobility, HIP, Shim6,
     * experimental) end the walk like an upper-layer protocol: this stack implements none of them.
     */
    public static boolean isIpv6ExtensionHeader(int number) {
        return number == HOPOPT_NUMBER || number == IPV6_ROUTE_NUMBER || number == IPV6_FRAG_NUMBER
                || number == IPV6_OPTS_NUMBER;
    }

    /**
     * {@code ICMP}, {@code TCP}, {@code UDP}, {@code ICMPv6}, IANA's keyword for the IPv6 extension headers
     * ({@code HOPOPT}, {@code IPv6-Route}, ...), or {@code proto-N} (tcpdump's spelling for unknown numbers).
     */
    @Override
    public String toString() {
        return switch (number) {
            case ICMP_NUMBER -> "ICMP";
            case TCP_NUMBER -> "TCP";
            case UDP_NUMBER -> "UDP";
            case HOPOPT_NUMBER -> "HOPOPT";
            case IPV6_ROUTE_NUMBER -> "IPv6-Route";
            case IPV6_FRAG_NUMBER -> "IPv6-Frag";
            case ICMPV6_NUMBER -> "ICMPv6";
            case IPV6_NONXT_NUMBER -> "IPv6-NoNxt";
            case IPV6_OPTS_NUMBER -> "IPv6-Opts";
            default -> "proto-" + number;
        };
    }
}
