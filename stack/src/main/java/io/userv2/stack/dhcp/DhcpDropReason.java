package io.userv2.stack.dhcp;

/** Why the {@link DhcpServer} answered nothing to a message; each has its own counter in {@link DhcpCounters}. */
public enum DhcpDropReason {
    /** Not a DHCP message: too short, no magic cookie, bad option encoding, not Ethernet hardware. */
    MALFORMED,
    /** A BOOTREPLY (op 2) sent to the server port. */
    NOT_A_REQUEST,
    /** Plain BOOTP (no option 53): not served. */
    BOOTP,
    /** giaddr set: relayed from another network, which this server does not serve. */
    RELAYED,
    /** A message type a client does not send to a server (OFFER, ACK, ...), or an unknown one. */
    UNEXPECTED_TYPE,
    /** A REQUEST or DECLINE naming another server (the client chose another offer; its held offer is dropped). */
    OTHER_SERVER,
    /** A REQUEST with neither Requested IP Address nor ciaddr, or a SELECTING REQUEST without Requested IP. */
    BAD_REQUEST,
    /** A DISCOVER nothing could be offered to: the pool is exhausted. */
    POOL_EXHAUSTED,
    /** A RELEASE for an address not bound to that client. */
    RELEASE_NOT_BOUND,
    /** A DECLINE without Requested IP Address, or for an address not offered to that client. */
    DECLINE_INVALID,
    /** An INFORM with neither ciaddr nor a source address to answer. */
    INFORM_NO_ADDRESS,
    /**
     * A REQUEST was granted (the lease is bound) but {@link DhcpServer#MAX_HELD_ACKS} ACKs already wait for the
     * {@link LeaseStore}: this ACK is dropped; the client retransmits its REQUEST and is answered then.
     */
    ACK_BACKLOG
}
