package io.userv2.stack.gateway;

import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Ipv6Packet;

/**
 * The hook for IPv6 traffic the gateway does not serve itself, installed with {@link GatewayIpv6#setForwarder}: where
 * NAT66 (guest TCP and UDP to the host's {@code ::1} through the gateway's address, and to other IPv6 destinations
 * through host sockets) plugs in. The gateway offers it:
 * <ul>
 *   <li>every valid, unfragmented IPv6 packet (extension headers walked and accepted, source neither multicast nor
 *       loopback nor a gateway address) whose destination is not on the LAN: not link-local, not in the LAN's prefix,
 *       not multicast;</li>
 *   <li>UDP to a gateway address on a port no {@link Udp6Service} is bound to (before answering port unreachable),
 *       its checksum verified;</li>
 *   <li>TCP to a gateway address (DNS over TCP, the host alias), before answering with a reset.</li>
 * </ul>
 * The upper-layer header is at {@link Ipv6Packet#payloadOffset()} and its type is {@link Ipv6Packet#protocolNumber()}.
 * Fragments are never offered (the gateway drops them, see {@link GatewayIpv6}). Without a forwarder, or when it
 * returns false, the gateway answers as a router without a route would: a TCP reset, or ICMPv6 destination
 * unreachable (code 0, no route, for other destinations; code 4, port unreachable, for UDP to its own address).
 *
 * <p>Ownership: {@code frame} and {@code packet} are views the gateway re-points at every frame; they are valid only
 * during the call. To keep the bytes, copy them or retain {@code packet.buffer()}. Called on the gateway's thread;
 * must not block or throw.
 */
@FunctionalInterface
public interface Ipv6Forwarder {
    /**
     * Offers one packet.
     *
     * @param frame    the Ethernet frame (its {@link EthernetFrame#source()} is the guest's MAC)
     * @param packet   the IPv6 packet inside it, validated as described above
     * @param ingress  the switch port the frame came in on, who owns what the packet makes the forwarder hold
     * @param nowNanos the current time on the engine's monotonic clock
     * @return true when the forwarder took care of the packet
     */
    boolean forward(EthernetFrame frame, Ipv6Packet packet, int ingress, long nowNanos);
}
