package io.userv2.stack.dhcp6;

/** Why the {@link Dhcp6Server} answered nothing to a message; each has its own counter in {@link Dhcp6Counters}. */
public enum Dhcp6DropReason {
    /** Not a DHCPv6 message: too short, options past the end, a known option with a wrong length, bad nesting. */
    MALFORMED,
    /** A Relay-forward or Relay-reply: relay agents are not served (the virtual LAN is one link). */
    RELAYED,
    /** A type a client does not send to a server (Advertise, Reply, Reconfigure) or an unknown one. */
    UNEXPECTED_TYPE,
    /** The source is not a unicast address the server could answer (e.g. ::). */
    BAD_SOURCE,
    /** A message that must carry a Client Identifier came without one (RFC 8415 section 16). */
    NO_CLIENT_ID,
    /** A Solicit, Confirm or Rebind carrying a Server Identifier (RFC 8415 section 16: discard). */
    SERVER_ID_NOT_ALLOWED,
    /**
     * Not for this server: a Request, Renew, Release or Decline without Server Identifier or with another server's
     * (the client chose another server: its held offers are withdrawn), or an Information-request naming another.
     */
    NOT_FOR_US,
    /** A Solicit, Confirm, Rebind or Information-request sent to a unicast address (RFC 8415 section 16). */
    UNICAST,
    /** An Information-request with an IA option (RFC 8415 section 16.12: discard). */
    IA_IN_INFORMATION_REQUEST,
    /**
     * A Confirm the server cannot judge: stateful DHCPv6 is off (no prefix known), or it names no address (RFC 8415
     * section 18.3.3: "the server MUST NOT send a reply").
     */
    CONFIRM_UNDECIDABLE,
    /** A Reply that reports a change waited for the store, and {@link Dhcp6Server#MAX_HELD_REPLIES} already did. */
    REPLY_BACKLOG
}
