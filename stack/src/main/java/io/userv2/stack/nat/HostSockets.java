package io.userv2.stack.nat;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import java.io.IOException;

/**
 * Opens the host sockets the NAT engine needs; implemented by the engine's owner. Calls never block: a TCP dial
 * starts a non-blocking connect whose outcome comes back as {@link NatEngine#hostConnected},
 * {@link NatEngine#hostDialFailed}, and readiness as {@link NatEngine#hostReadable} / {@link NatEngine#hostWritable},
 * each naming the {@code flow} given here.
 */
public interface HostSockets {
    /**
     * Starts connecting to {@code address:port} for {@code flow}.
     *
     * @return the socket, still connecting (or connected already: the owner reports
     *         {@link NatEngine#hostConnected} later either way, never from inside this call)
     * @throws IOException when no connect could be started at all (the engine answers the guest with RST)
     */
    HostTcpSocket dialTcp(NatTcpFlow flow, Ipv4Address address, int port) throws IOException;

    /**
     * Starts connecting to IPv6 {@code address:port} for {@code flow} (NAT66), as {@link #dialTcp}. Hosts without
     * IPv6 keep this default (the engine answers the guest's SYN with RST).
     *
     * @throws IOException when no connect could be started at all
     */
    default HostTcpSocket dialTcp6(NatTcpFlow flow, Ipv6Address address, int port) throws IOException {
        throw new IOException("no IPv6 host sockets here");
    }

    /**
     * Opens a datagram socket connected to {@code address:port} for {@code flow}; datagrams that arrive are reported
     * with {@link NatEngine#hostReadable(NatUdpFlow, long)}.
     *
     * @throws IOException when the socket cannot be opened (the guest's datagram is dropped and counted)
     */
    HostUdpSocket openUdp(NatUdpFlow flow, Ipv4Address address, int port) throws IOException;

    /**
     * Opens an IPv6 datagram socket connected to {@code address:port} for {@code flow} (NAT66); datagrams that arrive
     * are reported with {@link NatEngine#hostReadable(NatUdpFlow, long)}. Hosts without IPv6 keep this default.
     *
     * @throws IOException when the socket cannot be opened (the guest's datagram is dropped and counted)
     */
    default HostUdpSocket openUdp6(NatUdpFlow flow, Ipv6Address address, int port) throws IOException {
        throw new IOException("no IPv6 host sockets here");
    }

    /**
     * Opens a ping socket connected to {@code address} for {@code flow}; echo replies that arrive are reported with
     * {@link NatEngine#hostReadable(NatIcmpFlow, long)}. Hosts without ping sockets keep this default.
     *
     * @throws PingSocketsUnavailable when this host does not let the process open ping sockets at all
     * @throws IOException when this one socket cannot be opened (out of descriptors, say)
     */
    default HostPingSocket openPing(NatIcmpFlow flow, Ipv4Address address) throws IOException {
        throw new PingSocketsUnavailable("no ping sockets here");
    }

    /**
     * Opens an ICMPv6 ping socket ({@code socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6)}, allowed by the same
     * {@code net.ipv4.ping_group_range}) connected to {@code address} for {@code flow} (NAT66); echo replies that
     * arrive are reported with {@link NatEngine#hostReadable(NatIcmpFlow, long)}. Hosts without them keep this default.
     *
     * @throws PingSocketsUnavailable when this host does not let the process open ICMPv6 ping sockets at all
     * @throws IOException when this one socket cannot be opened
     */
    default HostPingSocket openPing6(NatIcmpFlow flow, Ipv6Address address) throws IOException {
        throw new PingSocketsUnavailable("no ICMPv6 ping sockets here");
    }
}
