package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;

/**
 * Emits UDP datagrams onto the LAN with explicit addressing: the caller chooses the Ethernet destination (DHCP
 * answers a MAC whose IP is not configured yet, or broadcasts), the IPv4 source and port (a NAT answers from a remote
 * address) and the IPv4 destination and port. Implemented by {@link Gateway}, which builds the Ethernet, IPv4 (TTL 64,
 * no options, DF clear) and UDP headers, computes both checksums and hands the frame to its sink.
 *
 * <p>Datagrams whose IP packet exceeds the LAN's MTU are sent as IPv4 fragments (RFC 791), so any size up to the IPv4
 * limit goes: 65,507 data bytes (65,535 - 20 - 8); beyond that, an {@link IllegalArgumentException}. Same thread as
 * the gateway.
 */
public interface UdpSender {
    /**
     * Sends the readable bytes of {@code payload} (copied into the frame). The caller keeps ownership of
     * {@code payload}: it is neither released nor retained, and its indices are not moved.
     */
    void sendUdp(MacAddress dstMac, Ipv4Address srcIp, int srcPort, Ipv4Address dstIp, int dstPort, ByteBuf payload);

    /**
     * Sends a datagram of {@code payloadLength} bytes that {@code writer} writes directly into the frame (no copy).
     */
    void sendUdp(MacAddress dstMac, Ipv4Address srcIp, int srcPort, Ipv4Address dstIp, int dstPort, int payloadLength,
                 UdpPayloadWriter writer);
}
