package io.userv2.stack.tcp;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.TcpHeader;
import java.util.Objects;

/**
 * The four-tuple of a connection as the gateway's endpoint sees it: {@code remote} is the guest (who sent the SYN),
 * {@code local} the address and port the guest dialled (which the NAT relays to a host socket). A plain value, used as
 * the {@link TcpDemux} key.
 *
 * @param remoteAddress the peer's (guest's) IPv4 address
 * @param remotePort    the peer's port, 1..65535
 * @param localAddress  our address (the destination of the guest's packets)
 * @param localPort     our port, 1..65535
 */
public record TcpConnectionKey(Ipv4Address remoteAddress, int remotePort, Ipv4Address localAddress, int localPort) {
    /** Validates ports and requires both addresses. */
    public TcpConnectionKey {
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        Objects.requireNonNull(localAddress, "localAddress");
        if (remotePort <= 0 || remotePort > 0xFFFF || localPort <= 0 || localPort > 0xFFFF) {
            throw new IllegalArgumentException("port out of range: " + remotePort + ", " + localPort);
        }
    }

    /** The key of a segment that arrived from {@code src} to {@code dst}: the sender is the remote side. */
    public static TcpConnectionKey ofIncoming(Ipv4Address src, Ipv4Address dst, TcpHeader segment) {
        return new TcpConnectionKey(src, segment.srcPort(), dst, segment.dstPort());
    }

    /** tcpdump style, from the peer's point of view: {@code 192.168.104.3.50024 > 10.0.0.1.80}. */
    @Override
    public String toString() {
        return remoteAddress + "." + remotePort + " > " + localAddress + "." + localPort;
    }
}
