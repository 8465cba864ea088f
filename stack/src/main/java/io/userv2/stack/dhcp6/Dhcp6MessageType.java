package io.userv2.stack.dhcp6;

/**
 * The DHCPv6 {@code msg-type} (RFC 8415 section 7.3) as an open type: the types of RFC 8415 are constants, returned
 * by {@link #of} without allocating; any other octet is kept as it is, so a type this code does not know survives
 * parse and emit unchanged.
 *
 * @param value the octet, 0..255
 */
public record Dhcp6MessageType(int value) {
    /** SOLICIT (1): a client looks for servers. */
    public static final Dhcp6MessageType SOLICIT = new Dhcp6MessageType(1);
    /** ADVERTISE (2): a server says it is available. */
    public static final Dhcp6MessageType ADVERTISE = new Dhcp6MessageType(2);
    /** REQUEST (3): a client asks a chosen server for addresses and configuration. */
    public static final Dhcp6MessageType REQUEST = new Dhcp6MessageType(3);
    /** CONFIRM (4): a client asks whether its addresses are still on link. */
    public static final Dhcp6MessageType CONFIRM = new Dhcp6MessageType(4);
    /** RENEW (5): a client extends its lease with the server that gave it. */
    public static final Dhcp6MessageType RENEW = new Dhcp6MessageType(5);
    /** REBIND (6): a client extends its lease with any server. */
    public static final Dhcp6MessageType REBIND = new Dhcp6MessageType(6);
    /** REPLY (7): a server's answer to everything but SOLICIT (and to SOLICIT with Rapid Commit). */
    public static final Dhcp6MessageType REPLY = new Dhcp6MessageType(7);
    /** RELEASE (8): a client gives addresses back. */
    public static final Dhcp6MessageType RELEASE = new Dhcp6MessageType(8);
    /** DECLINE (9): a client found addresses already in use on the link. */
    public static final Dhcp6MessageType DECLINE = new Dhcp6MessageType(9);
    /** RECONFIGURE (10): a server asks a client to renew (not used here). */
    public static final Dhcp6MessageType RECONFIGURE = new Dhcp6MessageType(10);
    /** INFORMATION-REQUEST (11): a client asks for configuration without addresses (stateless DHCPv6). */
    public static final Dhcp6MessageType INFORMATION_REQUEST = new Dhcp6MessageType(11);
    /** RELAY-FORW (12): a relay agent forwards a client's message (relay format, not served here). */
    public static final Dhcp6MessageType RELAY_FORW = new Dhcp6MessageType(12);
    /** RELAY-REPL (13): a server's answer through a relay (relay format, not served here). */
    public static final Dhcp6MessageType RELAY_REPL = new Dhcp6MessageType(13);

    /** Requires an octet. */
    public Dhcp6MessageType {
        if ((value & ~0xFF) != 0) {
            throw new IllegalArgumentException("DHCPv6 message type out of range: " + value);
        }
    }

    /** The constant for a known type, otherwise a new instance keeping {@code value}. */
    public static Dhcp6MessageType of(int value) {
        return switch (value) {
            case 1 -> SOLICIT;
            case 2 -> ADVERTISE;
            case 3 -> REQUEST;
            case 4 -> CONFIRM;
            case 5 -> RENEW;
            case 6 -> REBIND;
            case 7 -> REPLY;
            case 8 -> RELEASE;
            case 9 -> DECLINE;
            case 10 -> RECONFIGURE;
            case 11 -> INFORMATION_REQUEST;
            case 12 -> RELAY_FORW;
            case 13 -> RELAY_REPL;
            default -> new Dhcp6MessageType(value);
        };
    }

    /** True for the relay-agent message format (RFC 8415 section 9), which {@link Dhcp6Packet} does not read. */
    public boolean isRelay() {
        return value == 12 || value == 13;
    }

    /** True for the types a client sends to a server: SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, RELEASE, DECLINE, INFORMATION-REQUEST. */
    public boolean isClientToServer() {
        return value == 1 || value == 3 || value == 4 || value == 5 || value == 6 || value == 8 || value == 9
                || value == 11;
    }

    /** tcpdump's spelling: {@code solicit}, {@code advertise}, ..., {@code inf-req}, or {@code unknown-N}. */
    @Override
    public String toString() {
        return switch (value) {
            case 1 -> "solicit";
            case 2 -> "advertise";
            case 3 -> "request";
            case 4 -> "confirm";
            case 5 -> "renew";
            case 6 -> "rebind";
            case 7 -> "reply";
            case 8 -> "release";
            case 9 -> "decline";
            case 10 -> "reconfigure";
            case 11 -> "inf-req";
            case 12 -> "relay-fwd";
            case 13 -> "relay-reply";
            default -> "unknown-" + value;
        };
    }
}
