package io.userv2.stack.nat;

import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.MacAddress;

/**
 * One guest ICMP or ICMPv6 echo flow through the NAT: a guest's echo identifier towards one destination, and the host ping
 * socket connected to where that destination translates. Replies come back to the guest from the address it pinged,
 * with its own identifier. An opaque handle for the engine's owner, who names it in
 * {@link NatEngine#hostReadable(NatIcmpFlow, long)}.
 */
public final class NatIcmpFlow {
    final IcmpFlowKey key;
    MacAddress guestMac;
    HostPingSocket socket;
    long lastActive;
    boolean closed;
    /** An ICMPv6 echo flow relayed through an IPv4 ping socket (NAT64). */
    boolean nat64;

    NatIcmpFlow(IcmpFlowKey key, MacAddress guestMac, long now) {
        this.key = key;
        this.guestMac = guestMac;
        this.lastActive = now;
    }

    /** The guest's address. */
    public IpAddress guest() {
        return key.guest();
    }

    /** The switch port that owns this flow. */
    public int owner() {
        return key.owner();
    }

    /** True once the engine closed the flow (its socket is closed; late readiness is ignored). */
    public boolean closed() {
        return closed;
    }

    @Override
    public String toString() {
        return key.toString();
    }
}
