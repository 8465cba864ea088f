package io.userv2.stack.nat;

import io.userv2.stack.wire.Ipv6Address;

/**
 * One guest UDP flow over IPv6: the guest's address and port, and the destination it sent to (as the guest sees it).
 * Replies from the host come back from {@code destination:destinationPort}.
 */
record Udp6FlowKey(Ipv6Address guest, int guestPort, Ipv6Address destination, int destinationPort) {
    @Override
    public String toString() {
        return "udp [" + guest + "]:" + guestPort + " > [" + destination + "]:" + destinationPort;
    }
}
