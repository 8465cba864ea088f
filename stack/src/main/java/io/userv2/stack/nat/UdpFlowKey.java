package io.userv2.stack.nat;

import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv6Address;

/**
 * One guest UDP flow, over IPv4 or IPv6 (both addresses of one family): the guest's address and port, and the
 * destination it sent to (as the guest sees it). Replies from the host come back from
 * {@code destination:destinationPort}.
 */
record UdpFlowKey(IpAddress guest, int guestPort, IpAddress destination, int destinationPort) {
    /** True for a flow over IPv6 (NAT66). */
    boolean ipv6() {
        return guest instanceof Ipv6Address;
    }

    @Override
    public String toString() {
        return ipv6() ? "udp [" + guest + "]:" + guestPort + " > [" + destination + "]:" + destinationPort
                : "udp " + guest + ":" + guestPort + " > " + destination + ":" + destinationPort;
    }
}
