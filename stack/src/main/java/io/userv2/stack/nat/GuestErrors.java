package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.gateway.GatewayIpv6;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.Icmpv6Packet;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Quote;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.Ipv6Repr;
import io.userv2.stack.wire.MacAddress;

/**
 * Tells guests, with ICMP (or ICMPv6) Destination Unreachable, what the host learned about their flows (RFC 1122
 * 3.2.2.1 and 4.2.3.9, RFC 4443 3.1, as passt does): a UDP destination port that is closed (from the destination, as
 * that host would say it), a host or network a TCP dial could not reach (from the gateway, as a router would). The
 * guest's original packet is long gone when the host reports it, so the quoted header is rebuilt from the flow
 * ({@link Ipv4Quote}, or an IPv6 header): the addresses and protocol, and the first 8 bytes of the transport header
 * (ports, plus the guest's initial sequence number for TCP), which is all a receiving stack matches an error on. The
 * gateway rate-limits them.
 */
final class GuestErrors {
    /** What an IPv6 quote holds: the fixed header and the first 8 bytes of the transport header. */
    private static final int QUOTE6_LENGTH = Ipv6Packet.HEADER_LENGTH + 8;
    private static final int UDP_HEADER = 8;
    private static final int TCP_HEADER = 20;

    private final Gateway gateway;
    private final ByteBufAllocator alloc;
    /** The gateway's IPv6 side once NAT66 is on; null before. */
    private GatewayIpv6 v6;
    private long sent;

    GuestErrors(Gateway gateway, ByteBufAllocator alloc) {
        this.gateway = gateway;
        this.alloc = alloc;
    }

    /** Errors about IPv6 flows go out through {@code v6}. */
    void enableIpv6(GatewayIpv6 v6) {
        this.v6 = v6;
    }

    /**
     * The host answered the guest's datagrams on {@code flow} with an ICMP error: port unreachable ({@code REFUSED}),
     * sent from the destination the guest used, as the destination host itself sends it; host or network
     * unreachable, sent from the gateway, as a router on the path would (RFC 792; RFC 4443 3.1: code 3 address
     * unreachable, code 0 no route to destination).
     */
    void udpUnreachable(NatUdpFlow flow, DialFailure why, long now) {
        UdpFlowKey k = flow.key;
        if (k.guest() instanceof Ipv6Address g) {
            Ipv6Address d = (Ipv6Address) k.destination();
            int udpLength = UDP_HEADER + flow.lastLength;
            int code = why == DialFailure.REFUSED ? Icmpv6Packet.CODE_PORT_UNREACHABLE
                    : why == DialFailure.NET_UNREACHABLE ? Icmpv6Packet.CODE_NO_ROUTE
                    : Icmpv6Packet.CODE_ADDRESS_UNREACHABLE;
            // The UDP header: ports, length and a zero checksum.
            send6(flow.guestMac, g, d, IpProtocol.UDP_NUMBER, udpLength, k.guestPort(), k.destinationPort(),
                    udpLength << 16, why == DialFailure.REFUSED ? d : v6.sourceFor(g), code, now);
            return;
        }
        Ipv4Address d = (Ipv4Address) k.destination();
        Ipv4Quote quote = Ipv4Quote.udp((Ipv4Address) k.guest(), k.guestPort(), d, k.destinationPort(),
                flow.lastLength);
        if (why == DialFailure.REFUSED) {
            send(flow.guestMac, quote, d, Icmpv4Packet.CODE_PORT_UNREACHABLE, now);
        } else {
            send(flow.guestMac, quote, gateway.ip(), why == DialFailure.NET_UNREACHABLE
                    ? Icmpv4Packet.CODE_NET_UNREACHABLE : Icmpv4Packet.CODE_HOST_UNREACHABLE, now);
        }
    }

    /**
     * The host dial for {@code flow} failed with {@code why} (host or network unreachable): the guest's SYN is
     * quoted with its initial sequence number, so a Linux guest's connect fails at once with EHOSTUNREACH or
     * ENETUNREACH (over IPv6: code 3, address unreachable, or code 0, no route, RFC 4443 3.1).
     */
    void tcpUnreachable(NatTcpFlow flow, DialFailure why, long now) {
        if (flow.guestMac == NatTcpFlow.NO_MAC) {
            return;
        }
        MacAddress to = MacAddress.of(flow.guestMac);
        TcpConnectionKey k = flow.conn.key();
        if (k.isIpv6()) {
            Ipv6Address guest = k.remoteIpv6();
            int code = why == DialFailure.NET_UNREACHABLE ? Icmpv6Packet.CODE_NO_ROUTE
                    : Icmpv6Packet.CODE_ADDRESS_UNREACHABLE;
            send6(to, guest, k.localIpv6(), IpProtocol.TCP_NUMBER, TCP_HEADER, k.remotePort(),
                    k.localPort(), flow.conn.irs().value(), v6.sourceFor(guest), code, now);
            return;
        }
        Ipv4Quote quote = Ipv4Quote.tcp(k.remoteAddress(), k.remotePort(), k.localAddress(), k.localPort(),
                flow.conn.irs());
        int code = why == DialFailure.NET_UNREACHABLE ? Icmpv4Packet.CODE_NET_UNREACHABLE
                : Icmpv4Packet.CODE_HOST_UNREACHABLE;
        send(to, quote, gateway.ip(), code, now);
    }

    private void send(MacAddress to, Ipv4Quote quote, Ipv4Address from, int code, long now) {
        ByteBuf quoted = quote.toBuffer(alloc);
        try {
            if (gateway.sendDestinationUnreachable(to, from, code, quoted, now)) {
                sent++;
            }
        } finally {
            quoted.release();
        }
    }

    /**
     * ICMPv6 destination unreachable {@code code} from {@code from}, quoting an IPv6 header from {@code guest} to
     * {@code destination} carrying {@code transportLength} bytes of {@code protocol}, and the transport header's first
     * 8 bytes: the two ports and {@code secondWord}.
     */
    private void send6(MacAddress to, Ipv6Address guest, Ipv6Address destination, int protocol, int transportLength,
            int guestPort, int destinationPort, int secondWord, Ipv6Address from, int code, long now) {
        ByteBuf quote = alloc.buffer(QUOTE6_LENGTH);
        try {
            Ipv6Repr.writeHeader(quote, 0, guest.high(), guest.low(), destination.high(), destination.low(), protocol,
                    transportLength, GatewayIpv6.HOP_LIMIT, 0, 0);
            quote.setShort(Ipv6Packet.HEADER_LENGTH, guestPort);
            quote.setShort(Ipv6Packet.HEADER_LENGTH + 2, destinationPort);
            quote.setInt(Ipv6Packet.HEADER_LENGTH + 4, secondWord);
            quote.writerIndex(QUOTE6_LENGTH);
            if (v6.sendDestinationUnreachable(to, from, code, quote, now)) {
                sent++;
            }
        } finally {
            quote.release();
        }
    }

    /** ICMP and ICMPv6 errors sent to guests. */
    long sent() {
        return sent;
    }
}
