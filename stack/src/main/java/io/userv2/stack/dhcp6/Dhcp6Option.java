package io.userv2.stack.dhcp6;

/**
 * DHCPv6 option codes (RFC 8415 section 21 and the IANA registry) that this package reads or writes, and their names
 * for {@code toString}. Every option is {@code option-code (2) | option-len (2) | option-data (option-len)}; codes
 * not listed here are skipped when parsing (RFC 8415 section 16: a recipient ignores options it does not know).
 */
public final class Dhcp6Option {
    /** Client Identifier (RFC 8415 21.2): the client's DUID. */
    public static final int CLIENTID = 1;
    /** Server Identifier (21.3): the server's DUID. */
    public static final int SERVERID = 2;
    /** Identity Association for Non-temporary Addresses (21.4). */
    public static final int IA_NA = 3;
    /** Identity Association for Temporary Addresses (21.5): not served, skipped. */
    public static final int IA_TA = 4;
    /** IA Address (21.6), nested in IA_NA. */
    public static final int IAADDR = 5;
    /** Option Request (21.7): the option codes the client wants. */
    public static final int ORO = 6;
    /** Preference (21.8): one octet, 255 = "choose me now". */
    public static final int PREFERENCE = 7;
    /** Elapsed Time (21.9): hundredths of a second since the client began this exchange. */
    public static final int ELAPSED_TIME = 8;
    /** Relay Message (21.10), only in relay messages. */
    public static final int RELAY_MSG = 9;
    /** Server Unicast (21.12): never sent by this server, so clients keep to multicast. */
    public static final int UNICAST = 12;
    /** Status Code (21.13). */
    public static final int STATUS_CODE = 13;
    /** Rapid Commit (21.14): empty. */
    public static final int RAPID_COMMIT = 14;
    /** Vendor Class (21.16), sent by dhcpcd; skipped. */
    public static final int VENDOR_CLASS = 16;
    /** Recursive DNS servers (RFC 3646 section 3): a list of IPv6 addresses. */
    public static final int DNS_SERVERS = 23;
    /** Domain Search List (RFC 3646 section 4): uncompressed RFC 1035 names. */
    public static final int DOMAIN_LIST = 24;
    /** Identity Association for Prefix Delegation (21.21): answered NoPrefixAvail. */
    public static final int IA_PD = 25;
    /** Information Refresh Time (21.23), in Replies to Information-request only. */
    public static final int INFORMATION_REFRESH_TIME = 32;
    /** Client FQDN (RFC 4704): skipped. */
    public static final int CLIENT_FQDN = 39;
    /** SOL_MAX_RT (21.24): overrides the client's maximum Solicit timeout. */
    public static final int SOL_MAX_RT = 82;
    /** INF_MAX_RT (21.25): asked for by dhcpcd, not sent. */
    public static final int INF_MAX_RT = 83;

    private Dhcp6Option() {
    }

    /** A short name for {@code code}, e.g. {@code IA_NA}, or {@code opt_N} for codes not listed here. */
    public static String name(int code) {
        return switch (code) {
            case CLIENTID -> "CLIENTID";
            case SERVERID -> "SERVERID";
            case IA_NA -> "IA_NA";
            case IA_TA -> "IA_TA";
            case IAADDR -> "IAADDR";
            case ORO -> "ORO";
            case PREFERENCE -> "PREFERENCE";
            case ELAPSED_TIME -> "ELAPSED_TIME";
            case RELAY_MSG -> "RELAY_MSG";
            case UNICAST -> "UNICAST";
            case STATUS_CODE -> "STATUS_CODE";
            case RAPID_COMMIT -> "RAPID_COMMIT";
            case VENDOR_CLASS -> "VENDOR_CLASS";
            case DNS_SERVERS -> "DNS_SERVERS";
            case DOMAIN_LIST -> "DOMAIN_LIST";
            case IA_PD -> "IA_PD";
            case INFORMATION_REFRESH_TIME -> "INFORMATION_REFRESH_TIME";
            case CLIENT_FQDN -> "CLIENT_FQDN";
            case SOL_MAX_RT -> "SOL_MAX_RT";
            case INF_MAX_RT -> "INF_MAX_RT";
            default -> "opt_" + code;
        };
    }
}
