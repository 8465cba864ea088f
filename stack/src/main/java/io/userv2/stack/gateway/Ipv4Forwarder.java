package io.userv2.stack.gateway;

import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Ipv4Packet;

/**
 * The hook for IPv4 traffic the gateway does not serve itself, installed with {@link Gateway#setIpv4Forwarder}: the
 * place where NAT (and the host alias at the gateway's own address) plugs in. The gateway offers it:
 * <ul>
 *   <li>every valid IPv4 packet (header checksum verified, source not broadcast/multicast) whose destination is not the
 *       gateway's address nor a broadcast address;</li>
 *   <li>UDP to the gateway's address on a port no {@link UdpService} is bound to (before answering ICMP port
 *       unreachable), with its UDP checksum verified;</li>
 *   <li>TCP to the gateway's address (DNS over TCP, the host alias).</li>
 * </ul>
 * Fragments are never offered: the gateway reassembles them first (see {@link Ipv4Reassembler}) and offers the whole
 * datagram, as a frame with the first fragment's Ethernet header and a packet with MF and offset clear, Total Length
 * and header checksum rewritten; its buffer is the reassembler's, released after the call like any other (retain it
 * to keep it). The {@code ingress} of a reassembled datagram is the one all its fragments came in on.
 * The destination address tells the cases apart. Without a forwarder, or when it returns false, the gateway does what
 * it would do alone (drop and count, or answer port unreachable).
 *
 * <p>Ownership: {@code frame} and {@code packet} are views of a buffer the gateway's caller owns; they are valid only
 * during the call (the gateway points the same two views at every frame, so never keep them). To keep the bytes, copy
 * them or {@code retain()} {@code packet.buffer()} (and release it later).
 * Called on the gateway's thread; must not block or throw.
 */
@FunctionalInterface
public interface Ipv4Forwarder {
    /** The owner of frames that came from no switch port (a test, a frame the gateway made itself). */
    int NO_OWNER = 0;

    /**
     * Offers one packet.
     *
     * @param frame    the Ethernet frame (its {@link EthernetFrame#source()} is the sender's MAC)
     * @param packet   the IPv4 packet inside it, header validated
     * @param ingress  the switch port the frame came in on: everything the packet makes the forwarder hold (flows,
     *                 sockets) belongs to that port and goes when it does; {@link #NO_OWNER} when unknown
     * @param nowNanos the current time on the engine's monotonic clock
     * @return true when the forwarder took care of the packet, false to let the gateway drop it and count it
     */
    boolean forward(EthernetFrame frame, Ipv4Packet packet, int ingress, long nowNanos);
}
