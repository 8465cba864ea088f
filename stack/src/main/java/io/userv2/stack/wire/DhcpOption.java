package io.userv2.stack.wire;

/**
 * DHCP option codes (RFC 2132 and the RFCs named below) that this stack reads or writes, as {@code int} constants
 * for switches, with tcpdump-like names for logs. Codes not listed are skipped by {@link DhcpRepr#parse}.
 *
 * <p>Wire format (RFC 2132 section 2): Pad (0) and End (255) are single octets; every other option is
 * {@code code, len, len octets of data}. RFC 3396: an option whose data exceeds 255 octets is sent as several
 * instances of the same code, which the receiver concatenates in order.
 */
public final class DhcpOption {
    /** Pad, a single octet used for alignment. */
    public static final int PAD = 0;
    /** Subnet Mask, 4 octets. */
    public static final int SUBNET_MASK = 1;
    /** Router, a list of addresses (n * 4 octets). */
    public static final int ROUTER = 3;
    /** Domain Name Server, a list of addresses. */
    public static final int DNS_SERVERS = 6;
    /** Host Name, at least 1 octet. */
    public static final int HOSTNAME = 12;
    /** Domain Name, at least 1 octet. */
    public static final int DOMAIN_NAME = 15;
    /** Interface MTU, 2 octets, at least 68. */
    public static final int INTERFACE_MTU = 26;
    /** Broadcast Address, 4 octets. */
    public static final int BROADCAST_ADDRESS = 28;
    /** Requested IP Address, 4 octets. */
    public static final int REQUESTED_IP = 50;
    /** IP Address Lease Time in seconds, 4 octets (0xffffffff = infinity). */
    public static final int LEASE_TIME = 51;
    /** Option Overload, 1 octet: 1 = file, 2 = sname, 3 = both hold options. */
    public static final int OVERLOAD = 52;
    /** DHCP Message Type, 1 octet. */
    public static final int MESSAGE_TYPE = 53;
    /** Server Identifier, 4 octets. */
    public static final int SERVER_IDENTIFIER = 54;
    /** Parameter Request List, at least 1 octet of option codes. */
    public static final int PARAMETER_REQUEST_LIST = 55;
    /** Message, at least 1 octet of text. */
    public static final int MESSAGE = 56;
    /** Maximum DHCP Message Size, 2 octets, at least 576. */
    public static final int MAX_MESSAGE_SIZE = 57;
    /** Renewal (T1) Time Value in seconds, 4 octets. */
    public static final int RENEWAL_TIME = 58;
    /** Rebinding (T2) Time Value in seconds, 4 octets. */
    public static final int REBINDING_TIME = 59;
    /** Client-identifier, at least 2 octets (type, then identifier). */
    public static final int CLIENT_IDENTIFIER = 61;
    /** Domain Search (RFC 3397), a sequence of DNS names in RFC 1035 encoding, compression allowed. */
    public static final int DOMAIN_SEARCH = 119;
    /** End, a single octet ending the options. */
    public static final int END = 255;

    private DhcpOption() {
    }

    /** A short name for {@code code} as tcpdump prints it, or {@code option-N}. */
    public static String name(int code) {
        return switch (code) {
            case PAD -> "Pad";
            case SUBNET_MASK -> "Subnet-Mask";
            case ROUTER -> "Default-Gateway";
            case DNS_SERVERS -> "Domain-Name-Server";
            case HOSTNAME -> "Hostname";
            case DOMAIN_NAME -> "Domain-Name";
            case INTERFACE_MTU -> "MTU";
            case BROADCAST_ADDRESS -> "BR";
            case 42 -> "NTP";
            case REQUESTED_IP -> "Requested-IP";
            case LEASE_TIME -> "Lease-Time";
            case OVERLOAD -> "Option-Overload";
            case MESSAGE_TYPE -> "DHCP-Message";
            case SERVER_IDENTIFIER -> "Server-ID";
            case PARAMETER_REQUEST_LIST -> "Parameter-Request";
            case MESSAGE -> "DHCP-Message-Text";
            case MAX_MESSAGE_SIZE -> "MSZ";
            case RENEWAL_TIME -> "RN";
            case REBINDING_TIME -> "RB";
            case 60 -> "Vendor-Class";
            case CLIENT_IDENTIFIER -> "Client-ID";
            case DOMAIN_SEARCH -> "Domain-Search";
            case END -> "End";
            default -> "option-" + code;
        };
    }
}
