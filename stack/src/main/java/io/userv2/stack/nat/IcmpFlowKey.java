package io.userv2.stack.nat;

import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv6Address;

/**
 * One guest ICMP or ICMPv6 echo flow (both addresses of one family): the switch port it came in on, the guest's
 * address and echo identifier, and the destination it pinged (as the guest sees it). The port is part of the key so
 * that a guest that borrows another's address still gets flows of its own, accounted to its own port.
 */
record IcmpFlowKey(int owner, IpAddress guest, int identifier, IpAddress destination) {
    /** True for an ICMPv6 flow (NAT66). */
    boolean ipv6() {
        return guest instanceof Ipv6Address;
    }

    @Override
    public String toString() {
        return (ipv6() ? "icmp6 echo " : "icmp echo ") + guest + " id " + identifier + " > " + destination + " (port "
                + owner + ")";
    }
}
