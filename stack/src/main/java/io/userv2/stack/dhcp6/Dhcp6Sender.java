package io.userv2.stack.dhcp6;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.MacAddress;
import java.net.Inet6Address;

/**
 * Where the {@link Dhcp6Server} puts its Advertise and Reply messages: the gateway, which wraps each in UDP (source
 * port {@link Dhcp6Server#SERVER_PORT}, from the gateway's link-local address), IPv6 and Ethernet. Same thread as the
 * server.
 */
@FunctionalInterface
public interface Dhcp6Sender {
    /**
     * Sends the readable bytes of {@code payload} to {@code dst} port {@code dstPort} through Ethernet {@code dstMac}.
     * The server keeps ownership of {@code payload} and releases it after this call returns: copy what is kept.
     */
    void send(MacAddress dstMac, Inet6Address dst, int dstPort, ByteBuf payload);
}
