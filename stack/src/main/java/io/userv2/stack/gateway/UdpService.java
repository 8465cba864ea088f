package io.userv2.stack.gateway;

/**
 * A service listening on a UDP port of the {@link Gateway} (DHCP on 67, DNS on 53), registered with
 * {@link Gateway#bindUdp}. It receives datagrams addressed to the gateway's IP and, for the same port, to the limited
 * (255.255.255.255) and the subnet's directed broadcast address. Answers go out through {@link UdpSender} (the gateway).
 *
 * <p>Called on the gateway's thread, synchronously from {@link Gateway#receive}; an implementation must not block and
 * must not throw for bad input (drop and count it instead, as the gateway does).
 */
@FunctionalInterface
public interface UdpService {
    /**
     * Handles one datagram. The payload is borrowed and valid only during this call (see {@link UdpDatagram}).
     *
     * @param datagram the datagram, its checksum already verified
     * @param nowNanos the current time on the engine's monotonic clock
     */
    void datagram(UdpDatagram datagram, long nowNanos);
}
