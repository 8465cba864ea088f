package io.userv2.stack.nat;

import io.userv2.stack.gateway.Gateway;

/**
 * Tells guests, with ICMP Destination Unreachable, what the host learned about their flows (RFC 1122 3.2.2.1 and
 * 4.2.3.9, as passt does): a UDP destination port that is closed, a host or network a TCP dial could not reach. The
 * guest's original packet is long gone when the host reports it, so the quoted header is rebuilt from the flow: the
 * addresses and protocol, and the first 8 bytes of the transport header (ports, plus the guest's initial sequence
 * number for TCP), which is all a receiving stack matches an ICMP error on.
 */
final class GuestErrors {
    private final Gateway gateway;
    private long sent;

    GuestErrors(Gateway gateway) {
        this.gateway = gateway;
    }

    /** The host answered the guest's datagrams on {@code flow} with ICMP port unreachable. */
    void udpPortUnreachable(NatUdpFlow flow) {
        sent++;
    }

    /** The host dial for {@code flow} failed with {@code why} (host or network unreachable). */
    void tcpUnreachable(NatTcpFlow flow, DialFailure why) {
        sent++;
    }

    /** ICMP errors sent to guests. */
    long sent() {
        return sent;
    }
}
