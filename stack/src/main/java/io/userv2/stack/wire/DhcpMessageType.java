package io.userv2.stack.wire;

/**
 * The DHCP message type (option 53, RFC 2132 section 9.6) as an open type: the types of RFC 2132 and RFC 3203 are
 * constants, returned by {@link #of} without allocating; any other octet is kept as it is, so a message type this
 * code does not know survives parse and emit unchanged.
 *
 * @param value the option's one octet, 0..255
 */
public record DhcpMessageType(int value) {
    /** DHCPDISCOVER (1): a client looks for servers. */
    public static final DhcpMessageType DISCOVER = new DhcpMessageType(1);
    /** DHCPOFFER (2): a server offers an address. */
    public static final DhcpMessageType OFFER = new DhcpMessageType(2);
    /** DHCPREQUEST (3): a client requests an offered address, or renews. */
    public static final DhcpMessageType REQUEST = new DhcpMessageType(3);
    /** DHCPDECLINE (4): a client says the address is already in use. */
    public static final DhcpMessageType DECLINE = new DhcpMessageType(4);
    /** DHCPACK (5): a server commits the lease. */
    public static final DhcpMessageType ACK = new DhcpMessageType(5);
    /** DHCPNAK (6): a server refuses the request. */
    public static final DhcpMessageType NAK = new DhcpMessageType(6);
    /** DHCPRELEASE (7): a client gives the address back. */
    public static final DhcpMessageType RELEASE = new DhcpMessageType(7);
    /** DHCPINFORM (8): a client with an address asks for configuration only. */
    public static final DhcpMessageType INFORM = new DhcpMessageType(8);
    /** DHCPFORCERENEW (9, RFC 3203): a server asks a client to renew. */
    public static final DhcpMessageType FORCERENEW = new DhcpMessageType(9);

    /** Requires an octet. */
    public DhcpMessageType {
        if ((value & ~0xFF) != 0) {
            throw new IllegalArgumentException("DHCP message type out of range: " + value);
        }
    }

    /** The constant for a known type, otherwise a new instance keeping {@code value}. */
    public static DhcpMessageType of(int value) {
        return switch (value) {
            case 1 -> DISCOVER;
            case 2 -> OFFER;
            case 3 -> REQUEST;
            case 4 -> DECLINE;
            case 5 -> ACK;
            case 6 -> NAK;
            case 7 -> RELEASE;
            case 8 -> INFORM;
            case 9 -> FORCERENEW;
            default -> new DhcpMessageType(value);
        };
    }

    /** True for the types this code names (1..9). */
    public boolean isKnown() {
        return value >= 1 && value <= 9;
    }

    /** tcpdump's spelling: {@code Discover}, {@code Offer}, ..., or {@code unknown-N}. */
    @Override
    public String toString() {
        return switch (value) {
            case 1 -> "Discover";
            case 2 -> "Offer";
            case 3 -> "Request";
            case 4 -> "Decline";
            case 5 -> "ACK";
            case 6 -> "NACK";
            case 7 -> "Release";
            case 8 -> "Inform";
            case 9 -> "ForceRenew";
            default -> "unknown-" + value;
        };
    }
}
