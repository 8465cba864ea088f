package io.userv2.switchd.nat;

import io.userv2.stack.gateway.Ipv4Forwarder;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv4Packet;

/**
 * The gateway's hook for traffic it does not serve itself: TCP goes to {@link TcpNat}, UDP to {@link UdpNat}.
 * ICMP echo to destinations other than the gateway is not forwarded: the JDK has no ICMP ("ping") sockets, so it is
 * dropped and counted; everything else is left to the gateway to drop and count.
 */
public final class NatForwarder implements Ipv4Forwarder {
    private final TcpNat tcp;
    private final UdpNat udp;
    private long icmpNotForwarded;

    /** Dispatches to {@code tcp} and {@code udp}. */
    public NatForwarder(TcpNat tcp, UdpNat udp) {
        this.tcp = tcp;
        this.udp = udp;
    }

    @Override
    public boolean forward(EthernetFrame frame, Ipv4Packet packet, int ingress, long nowNanos) {
        return switch (packet.protocolNumber()) {
            case IpProtocol.TCP_NUMBER -> tcp.forward(frame, packet, nowNanos);
            case IpProtocol.UDP_NUMBER -> udp.forward(frame, packet, nowNanos);
            case IpProtocol.ICMP_NUMBER -> {
                icmpNotForwarded++;
                yield true;
            }
            default -> false;
        };
    }

    /** ICMP messages to other destinations, dropped (no ICMP sockets in the JDK). */
    public long icmpNotForwarded() {
        return icmpNotForwarded;
    }

    /** TCP NAT. */
    public TcpNat tcp() {
        return tcp;
    }

    /** UDP NAT. */
    public UdpNat udp() {
        return udp;
    }
}
