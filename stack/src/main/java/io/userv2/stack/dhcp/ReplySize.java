package io.userv2.stack.dhcp;

import io.userv2.stack.wire.DhcpRepr;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Keeps an OFFER or ACK within the size its client can take, by leaving out the least important options first.
 *
 * <p>The limit: RFC 2131 section 2, "A DHCP client must be prepared to receive DHCP messages with an 'options' field
 * of at least length 312 octets" (236 fixed octets + 312 = 548, the DHCP part of a 576-octet IP datagram), unless the
 * client sent a larger Maximum DHCP Message Size (option 57, RFC 2132 section 9.10, "The minimum legal value is 576
 * octets"). Like ISC dhcpd, the option's value is read as the whole IP datagram, so the IPv4 and UDP headers (28
 * octets) come off it; never more than the link's MTU allows when one is configured. The magic cookie counts
 * against the options field, so the DHCP message may be 548 octets in all.
 *
 * <p>What goes first, least important first: Domain Search (119; a convenience, and the only option that can be long
 * besides the identifier), Domain Name (15), Broadcast Address (28; follows from mask and address), Rebinding and
 * Renewal times (59, 58; RFC 2131 section 4.4.5 gives defaults of 0.875 and 0.5 of the lease). Never left out: the
 * message type, Server Identifier and lease time (RFC 2131 Table 3 MUSTs), mask, router, DNS servers, the Interface
 * MTU (a wrong MTU breaks the link) and the Client-identifier (61), which RFC 6842 section 3 says the server "MUST
 * return ... unaltered". A reply still too long after that is sent as it is (a client that sent an identifier that
 * long can be assumed to read it back). Stateless.
 */
final class ReplySize {

    /** The smallest IP datagram every DHCP client must take (RFC 2131 section 2, RFC 2132 section 9.10). */
    static final int MIN_DATAGRAM = 576;
    /** IPv4 header without options plus UDP header. */
    static final int IP_UDP_HEADERS = 28;

    /** The options to leave out, in order, each as a change to the reply's builder. */
    private static final List<UnaryOperator<DhcpRepr.Builder>> DROP_ORDER = List.of(
            b -> b.domainSearch(null),
            b -> b.domainName(null),
            b -> b.broadcastAddress(null),
            b -> b.rebindingTime(null),
            b -> b.renewalTime(null));

    private ReplySize() {
    }

    /**
     * The largest DHCP message (UDP payload) the client of {@code request} takes: from its option 57, else 576, as an
     * IP datagram; capped by {@code linkMtu} when that is not 0.
     */
    static int limit(DhcpRepr request, int linkMtu) {
        Integer max = request.maxMessageSize();
        int datagram = max == null ? MIN_DATAGRAM : Math.max(MIN_DATAGRAM, max);
        if (linkMtu != 0) {
            datagram = Math.min(datagram, Math.max(MIN_DATAGRAM, linkMtu));
        }
        return datagram - IP_UDP_HEADERS;
    }

    /**
     * {@code reply} as it is when it fits {@code limit} octets, else with options left out in {@link #DROP_ORDER}
     * until it does (or none is left to drop).
     *
     * @return the reply to send; {@link Fitted#dropped()} says how many options were left out
     */
    static Fitted fit(DhcpRepr reply, int limit) {
        DhcpRepr r = reply;
        int dropped = 0;
        for (UnaryOperator<DhcpRepr.Builder> drop : DROP_ORDER) {
            if (r.encodedLength() <= limit) {
                break;
            }
            DhcpRepr smaller = drop.apply(r.toBuilder()).build();
            if (smaller.encodedLength() < r.encodedLength()) {
                dropped++;
            }
            r = smaller;
        }
        return new Fitted(r, dropped, r.encodedLength() > limit);
    }

    /**
     * The outcome of {@link #fit}.
     *
     * @param reply the reply to send
     * @param dropped how many options were left out
     * @param stillTooLong true when even the reply without them is longer than the limit
     */
    record Fitted(DhcpRepr reply, int dropped, boolean stillTooLong) {
    }
}
