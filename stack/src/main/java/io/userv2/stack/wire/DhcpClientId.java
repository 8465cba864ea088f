package io.userv2.stack.wire;

import java.util.Arrays;

/**
 * The DHCP Client-identifier (option 61, RFC 2132 section 9.14): a type octet followed by an identifier; type 1 with
 * a 6-octet identifier is an Ethernet address, as udhcpc and most clients send. Immutable: the octets are copied in
 * and out. RFC 2131 section 4.2 has a server tell clients apart by it when present; this project's server keys leases
 * by chaddr instead and only echoes the identifier (RFC 6842), see {@code io.userv2.stack.dhcp.LeaseTable}. Type 255
 * is RFC 4361's DUID-based identifier (type, 4-octet IAID, DUID), as systemd-networkd sends.
 */
public final class DhcpClientId {
    private final byte[] octets;

    private DhcpClientId(byte[] octets) {
        this.octets = octets;
    }

    /** The identifier of these octets (type first); at least 2 octets, as RFC 2132 requires. */
    public static DhcpClientId of(byte[] octets) {
        if (octets.length < 2) {
            throw new IllegalArgumentException("client identifier needs at least 2 octets");
        }
        return new DhcpClientId(octets.clone());
    }

    /** Type 1 (Ethernet) with the six octets of {@code mac}. */
    public static DhcpClientId ofMac(MacAddress mac) {
        byte[] b = new byte[7];
        b[0] = 1;
        System.arraycopy(mac.toBytes(), 0, b, 1, 6);
        return new DhcpClientId(b);
    }

    /** The type octet (1 = Ethernet hardware address). */
    public int type() {
        return octets[0] & 0xFF;
    }

    /** A copy of all octets, type first. */
    public byte[] toBytes() {
        return octets.clone();
    }

    /** The number of octets, type included. */
    public int length() {
        return octets.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DhcpClientId c && Arrays.equals(octets, c.octets);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(octets);
    }

    /** Colon-separated hex of all octets, e.g. {@code 01:52:55:55:12:34:56}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(octets.length * 3);
        for (int i = 0; i < octets.length; i++) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(Character.forDigit((octets[i] >>> 4) & 0xF, 16)).append(Character.forDigit(octets[i] & 0xF, 16));
        }
        return sb.toString();
    }
}
