package io.userv2.stack.nat;

/**
 * Why a host connect failed, which decides what the guest hears (RFC 1122 4.2.3.9, as passt does): a refusal is
 * answered with RST, an unreachable host or network with the matching ICMP Destination Unreachable quoting the
 * guest's SYN (a Linux guest's {@code connect} then fails with EHOSTUNREACH / ENETUNREACH at once), anything else
 * with silence (the guest's SYN times out as it would on a real network).
 */
public enum DialFailure {
    /** The host answered RST (ECONNREFUSED). */
    REFUSED,
    /** No route to the host, or ARP for it failed (EHOSTUNREACH). */
    HOST_UNREACHABLE,
    /** No route to the network (ENETUNREACH). */
    NET_UNREACHABLE,
    /** The connect did not complete in time, or failed in some other way. */
    OTHER
}
