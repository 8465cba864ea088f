package io.userv2.stack.dhcp6;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.MacAddress;
import java.net.Inet6Address;
import java.util.Objects;

/**
 * One UDP datagram for the {@link Dhcp6Server} (port 547), as the gateway delivers it: who sent it, whether it was
 * sent to a multicast group (All_DHCP_Relay_Agents_and_Servers, {@code ff02::1:2}) or to the gateway's own address,
 * the payload and the switch port it came in on.
 *
 * <p>Ownership: {@link #payload()} is borrowed from the caller for the duration of {@link Dhcp6Server#datagram}
 * only; the server neither retains nor releases it and does not move its indices.
 *
 * @param srcMac    Ethernet source of the frame (replies go back to it)
 * @param src       IPv6 source (a client on the link sends from its link-local address)
 * @param srcPort   UDP source port
 * @param multicast true when the IPv6 destination was a multicast address (ff02::1:2), false for a unicast one
 * @param payload   the UDP data (borrowed, see above)
 * @param ingress   the switch port the frame came in on (0 when unknown): caps are counted per port
 */
public record Dhcp6Datagram(MacAddress srcMac, Inet6Address src, int srcPort, boolean multicast, ByteBuf payload,
                            int ingress) {
    /** Requires the reference fields. */
    public Dhcp6Datagram {
        Objects.requireNonNull(srcMac, "srcMac");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(payload, "payload");
    }

    /** tcpdump style: {@code fe80::5055:55ff:fe12:3456.546 > ff02::1:2.547: UDP, length 133}. */
    @Override
    public String toString() {
        return Dhcp6Repr.format(src) + "." + srcPort + " > " + (multicast ? "ff02::1:2" : "unicast") + ".547: UDP, length "
                + payload.readableBytes();
    }
}
