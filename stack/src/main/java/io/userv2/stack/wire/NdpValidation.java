package io.userv2.stack.wire;

/**
 * The validity checks RFC 4861 asks of a received Neighbor Discovery message (sections 6.1.1, 6.1.2, 7.1.1, 7.1.2,
 * 8.1) beyond what {@link Icmpv6Repr#parse} already checks (the checksum, the "ICMP length (derived from the IP
 * length)" of each message, and "All included options have a length that is greater than zero"). A message that
 * fails them MUST be silently discarded; the gateway calls {@link #parse} (or {@link #violation}) on every NDP message
 * before acting on it. No method allocates beyond what parsing does; no buffer is retained.
 *
 * <p>The checks, all quoted from RFC 4861:
 * <ul>
 *   <li>every message: "The IP Hop Limit field has a value of 255, i.e., the packet could not possibly have been
 *       forwarded by a router" and "ICMP Code is 0";</li>
 *   <li>Router Solicitation: "If the IP source address is the unspecified address, there is no source link-layer
 *       address option in the message";</li>
 *   <li>Router Advertisement: "IP Source Address is a link-local address";</li>
 *   <li>Neighbor Solicitation: "Target Address is not a multicast address"; "If the IP source address is the
 *       unspecified address, the IP destination address is a solicited-node multicast address" and "there is no
 *       source link-layer address option in the message";</li>
 *   <li>Neighbor Advertisement: "Target Address is not a multicast address"; "If the IP Destination Address is a
 *       multicast address the Solicited flag is zero";</li>
 *   <li>Redirect: "IP Source Address is a link-local address"; "The ICMP Destination Address field in the redirect
 *       message does not contain a multicast address"; "The ICMP Target Address is either a link-local address (when
 *       redirected to a router) or the same as the ICMP Destination Address (when redirected to the on-link
 *       destination)".</li>
 * </ul>
 * Not checked here, being about the receiver's state: Redirect's "IP source address ... is the same as the current
 * first-hop router", and AH processing (this stack has no IPsec).
 */
public final class NdpValidation {
    private NdpValidation() {
    }

    /** True for the NDP message types 133..137. */
    public static boolean isNdp(int type) {
        return type >= Icmpv6Packet.TYPE_ROUTER_SOLICITATION && type <= Icmpv6Packet.TYPE_REDIRECT;
    }

    /**
     * The first RFC 4861 rule that the message {@code repr}, parsed from {@code icmp} carried by {@code ip}, breaks,
     * as a constant detail for logs and counters; null when it passes or is not an NDP message.
     */
    public static String violation(Ipv6Packet ip, Icmpv6Packet icmp, Icmpv6Repr repr) {
        if (!isNdp(repr.type())) {
            return null;
        }
        if (ip.hopLimit() != 255) {
            return "ndp hop limit not 255";
        }
        if (icmp.code() != 0) {
            return "ndp code not 0";
        }
        Ipv6Address src = ip.source();
        Ipv6Address dst = ip.destination();
        if (repr instanceof Icmpv6Repr.RouterSolicitation rs) {
            return src.isUnspecified() && rs.options().sourceLinkLayerAddress() != null
                    ? "ndp router solicitation from :: with a source link-layer address" : null;
        }
        if (repr instanceof Icmpv6Repr.RouterAdvertisement) {
            return !src.isLinkLocal() ? "ndp router advertisement source not link-local" : null;
        }
        if (repr instanceof Icmpv6Repr.NeighborSolicitation ns) {
            if (ns.target().isMulticast()) {
                return "ndp neighbor solicitation target multicast";
            }
            if (src.isUnspecified() && !dst.isSolicitedNodeMulticast()) {
                return "ndp neighbor solicitation from :: not to a solicited-node address";
            }
            return src.isUnspecified() && ns.options().sourceLinkLayerAddress() != null
                    ? "ndp neighbor solicitation from :: with a source link-layer address" : null;
        }
        if (repr instanceof Icmpv6Repr.NeighborAdvertisement na) {
            if (na.target().isMulticast()) {
                return "ndp neighbor advertisement target multicast";
            }
            return dst.isMulticast() && na.solicited()
                    ? "ndp neighbor advertisement to multicast with the solicited flag" : null;
        }
        Icmpv6Repr.Redirect r = (Icmpv6Repr.Redirect) repr;
        if (!src.isLinkLocal()) {
            return "ndp redirect source not link-local";
        }
        if (r.destination().isMulticast()) {
            return "ndp redirect destination multicast";
        }
        return !r.target().isLinkLocal() && !r.target().equals(r.destination())
                ? "ndp redirect target neither link-local nor the destination" : null;
    }

    /**
     * Parses the ICMPv6 message {@code icmp} carried by {@code ip} ({@link Icmpv6Repr#parse}) and, for NDP
     * messages, applies {@link #violation}: a broken rule is {@link ParseError#MALFORMED} with its detail. Other
     * messages come back as {@link Icmpv6Repr#parse} returns them.
     */
    public static ParseResult<Icmpv6Repr> parse(Ipv6Packet ip, Icmpv6Packet icmp) {
        ParseResult<Icmpv6Repr> parsed = Icmpv6Repr.parse(icmp, ip);
        if (parsed instanceof ParseResult.Ok<Icmpv6Repr> ok) {
            String violation = violation(ip, icmp, ok.value());
            return violation == null ? parsed : ParseResult.malformed(violation);
        }
        return parsed;
    }
}
