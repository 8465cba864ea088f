package io.userv2.stack.nat;

import io.userv2.stack.wire.Ipv4Address;

/**
 * One guest ICMP echo flow: the switch port it came in on, the guest's address and echo identifier, and the
 * destination it pinged (as the guest sees it). The port is part of the key so that a guest that borrows another's
 * address still gets flows of its own, accounted to its own port.
 */
record IcmpFlowKey(int owner, Ipv4Address guest, int identifier, Ipv4Address destination) {
    @Override
    public String toString() {
        return "icmp echo " + guest + " id " + identifier + " > " + destination + " (port " + owner + ")";
    }
}
