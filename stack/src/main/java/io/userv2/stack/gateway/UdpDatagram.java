package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.Objects;

/**
 * One UDP datagram the {@link Gateway} delivers to a bound {@link UdpService}: who sent it (Ethernet source, IPv4 source
 * and port), where it was sent (the gateway's address or a broadcast address, and the port), and the data.
 *
 * <p>Ownership: {@link #payload()} is an unretained slice of the frame the gateway is processing. It is valid only
 * during the {@link UdpService#datagram} call that received this record; a service that keeps the data longer must
 * copy it ({@code ByteBufUtil.getBytes}, {@code alloc.buffer().writeBytes(...)}) or {@code retainedSlice()} it and
 * release that later. The service must not release the slice itself nor move the frame's indices through it (reading
 * the slice's own reader index is fine: the slice has independent indices).
 *
 * @param srcMac    Ethernet source of the frame
 * @param srcIp     IPv4 source (0.0.0.0 for a DHCP client without an address)
 * @param srcPort   UDP source port (0 = "not used", RFC 768)
 * @param dstIp     IPv4 destination: the gateway's address, 255.255.255.255 or the subnet's broadcast address
 * @param dstPort   UDP destination port, the bound port
 * @param broadcast true when {@code dstIp} is a broadcast address (a reply must then come from the gateway's own IP)
 * @param payload   the UDP data (borrowed, see above)
 * @param ingress   the switch port the frame came in on ({@link Ipv4Forwarder#NO_OWNER} if none): who the work the
 *                  datagram asks for is accounted to
 */
public record UdpDatagram(MacAddress srcMac, Ipv4Address srcIp, int srcPort, Ipv4Address dstIp, int dstPort,
                          boolean broadcast, ByteBuf payload, int ingress) {
    /** Requires non-null fields. */
    public UdpDatagram {
        Objects.requireNonNull(srcMac, "srcMac");
        Objects.requireNonNull(srcIp, "srcIp");
        Objects.requireNonNull(dstIp, "dstIp");
        Objects.requireNonNull(payload, "payload");
    }

    /** tcpdump style: {@code 0.0.0.0.68 > 255.255.255.255.67: UDP, length 300}. */
    @Override
    public String toString() {
        return srcIp + "." + srcPort + " > " + dstIp + "." + dstPort + ": UDP, length " + payload.readableBytes();
    }
}
