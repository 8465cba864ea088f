package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.gateway.Gateway;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.stack.wire.Icmpv4Packet;
import io.userv2.stack.wire.Ipv4Quote;

/**
 * Tells guests, with ICMP Destination Unreachable, what the host learned about their flows (RFC 1122 3.2.2.1 and
 * 4.2.3.9, as passt does): a UDP destination port that is closed (from the destination, as that host would say it),
 * a host or network a TCP dial could not reach (from the gateway, as a router would). The guest's original packet is
 * long gone when the host reports it, so the quoted header is rebuilt from the flow ({@link Ipv4Quote}): the
 * addresses and protocol, and the first 8 bytes of the transport header (ports, plus the guest's initial sequence
 * number for TCP), which is all a receiving stack matches an ICMP error on. The gateway rate-limits them.
 */
final class GuestErrors {
    private final Gateway gateway;
    private final ByteBufAllocator alloc;
    private long sent;

    GuestErrors(Gateway gateway, ByteBufAllocator alloc) {
        this.gateway = gateway;
        this.alloc = alloc;
    }

    /** The host answered the guest's datagrams on {@code flow} with ICMP port unreachable. */
    void udpPortUnreachable(NatUdpFlow flow, long now) {
        UdpFlowKey k = flow.key;
        Ipv4Quote quote = Ipv4Quote.udp(k.guest(), k.guestPort(), k.destination(), k.destinationPort(),
                flow.lastLength);
        send(flow.guestMac, quote, k.destination(), Icmpv4Packet.CODE_PORT_UNREACHABLE, now);
    }

    /**
     * The host dial for {@code flow} failed with {@code why} (host or network unreachable): the guest's SYN is
     * quoted with its initial sequence number, so a Linux guest's connect fails at once with EHOSTUNREACH or
     * ENETUNREACH.
     */
    void tcpUnreachable(NatTcpFlow flow, DialFailure why, long now) {
        if (flow.guestMac == null) {
            return;
        }
        TcpConnectionKey k = flow.conn.key();
        Ipv4Quote quote = Ipv4Quote.tcp(k.remoteAddress(), k.remotePort(), k.localAddress(), k.localPort(),
                flow.conn.irs());
        int code = why == DialFailure.NET_UNREACHABLE ? Icmpv4Packet.CODE_NET_UNREACHABLE
                : Icmpv4Packet.CODE_HOST_UNREACHABLE;
        send(flow.guestMac, quote, gateway.ip(), code, now);
    }

    private void send(io.userv2.stack.wire.MacAddress to, Ipv4Quote quote, io.userv2.stack.wire.Ipv4Address from,
            int code, long now) {
        ByteBuf quoted = quote.toBuffer(alloc);
        try {
            if (gateway.sendDestinationUnreachable(to, from, code, quoted, now)) {
                sent++;
            }
        } finally {
            quoted.release();
        }
    }

    /** ICMP errors sent to guests. */
    long sent() {
        return sent;
    }
}
