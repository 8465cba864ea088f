package io.userv2.stack.wire;

import java.net.InetAddress;

/**
 * An IPv4 or an IPv6 address, for the few places that hold either (a NAT flow's addresses, a host socket's peer).
 * Hot paths read the raw bits of the concrete types instead; this type is for keys, records and logs.
 */
public sealed interface IpAddress permits Ipv4Address, Ipv6Address {
    /** This address as a JDK address (no lookup). */
    InetAddress toInetAddress();

    /** True for an {@link Ipv6Address}. */
    default boolean isIpv6() {
        return this instanceof Ipv6Address;
    }
}
