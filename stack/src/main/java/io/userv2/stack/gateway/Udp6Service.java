package io.userv2.stack.gateway;

/**
 * A service listening on a UDP port of the gateway over IPv6 (DNS on 53, DHCPv6 on 547), registered with
 * {@link GatewayIpv6#bindUdp}. It receives datagrams to the gateway's IPv6 addresses (link-local and the LAN prefix)
 * and to the multicast groups the gateway joined (all-nodes, all-routers, {@code ff02::1:2}); answers go out through
 * {@link GatewayIpv6#sendUdp}.
 *
 * <p>Called on the gateway's thread, synchronously from {@link Gateway#receive}; must not block, and must not throw
 * for bad input (drop and count it instead).
 */
@FunctionalInterface
public interface Udp6Service {
    /**
     * Handles one datagram, its checksum verified. The payload is borrowed for this call (see {@link Udp6Datagram}).
     */
    void datagram(Udp6Datagram datagram, long nowNanos);
}
