package io.userv2.stack.nat;

import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.MacAddress;

/**
 * One guest UDP flow through the NAT, over IPv4 or IPv6 (NAT66): the guest's (address, port) talking to one
 * destination (address, port), and the host socket connected to where that destination translates. Replies come
 * back to the guest from the address it talked to. An opaque handle for the engine's owner, who names it in
 * {@link NatEngine#hostReadable(NatUdpFlow, long)}.
 */
public final class NatUdpFlow {
    final UdpFlowKey key;
    final int owner;
    MacAddress guestMac;
    HostUdpSocket socket;
    long lastActive;
    /** Data bytes of the guest's latest datagram, for the UDP header an ICMP (or ICMPv6) error quotes. */
    int lastLength;
    boolean closed;
    /** An IPv6 flow relayed through an IPv4 host socket (NAT64). */
    boolean nat64;

    NatUdpFlow(UdpFlowKey key, int owner, MacAddress guestMac, long now) {
        this.key = key;
        this.owner = owner;
        this.guestMac = guestMac;
        this.lastActive = now;
    }

    /** The guest's address (an IPv6 one for a flow over IPv6). */
    public IpAddress guest() {
        return key.guest();
    }

    /** The switch port that owns this flow. */
    public int owner() {
        return owner;
    }

    @Override
    public String toString() {
        return key.toString();
    }
}
