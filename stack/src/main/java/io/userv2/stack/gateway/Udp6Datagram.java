package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import java.util.Objects;

/**
 * One UDP datagram over IPv6 that the gateway ({@link GatewayIpv6}) delivers to a bound {@link Udp6Service}: who sent
 * it, where it was sent (one of the gateway's addresses or a multicast group it joined, such as DHCPv6's
 * {@code ff02::1:2}), and the data. The IPv6 twin of {@link UdpDatagram}.
 *
 * <p>Ownership: {@link #payload()} is an unretained slice of the frame being processed, valid only during the
 * {@link Udp6Service#datagram} call; copy it or {@code retainedSlice()} it to keep it, never release it.
 *
 * @param srcMac    Ethernet source of the frame
 * @param src       IPv6 source
 * @param srcPort   UDP source port
 * @param dst       IPv6 destination: a gateway address or a joined multicast group
 * @param dstPort   UDP destination port, the bound port
 * @param multicast true when {@code dst} is a multicast group (a reply must then come from a gateway address, see
 *                  {@link GatewayIpv6#sourceFor})
 * @param payload   the UDP data (borrowed, see above)
 * @param ingress   the switch port the frame came in on ({@link Ipv4Forwarder#NO_OWNER} if none)
 */
public record Udp6Datagram(MacAddress srcMac, Ipv6Address src, int srcPort, Ipv6Address dst, int dstPort,
                           boolean multicast, ByteBuf payload, int ingress) {
    /** Requires non-null fields. */
    public Udp6Datagram {
        Objects.requireNonNull(srcMac, "srcMac");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(payload, "payload");
    }

    /** tcpdump style: {@code fe80::1.546 > ff02::1:2.547: UDP, length 44}. */
    @Override
    public String toString() {
        return src + "." + srcPort + " > " + dst + "." + dstPort + ": UDP, length " + payload.readableBytes();
    }
}
