package io.userv2.stack.nat;

import io.userv2.stack.wire.Ipv4Address;

/**
 * One guest UDP flow: the guest's address and port, and the destination it sent to (as the guest sees it).
 * Replies from the host come back from {@code destination:destinationPort}.
 */
record UdpFlowKey(Ipv4Address guest, int guestPort, Ipv4Address destination, int destinationPort) {
    @Override
    public String toString() {
        return "udp " + guest + ":" + guestPort + " > " + destination + ":" + destinationPort;
    }
}
