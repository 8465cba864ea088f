package io.userv2.stack.wire;

import java.util.Objects;

/**
 * An IPv6 prefix (RFC 4291 section 2.3), such as {@code fd00:1234::/64}. Immutable; the address is normalised to the
 * prefix (bits after {@code length} cleared), as RFC 4861 section 4.6.2 asks a receiver to do with a Prefix
 * Information option: "The bits in the prefix after the prefix length are reserved and MUST be initialized to zero by
 * the sender and ignored by the receiver."
 *
 * @param network the prefix bits, host bits zero
 * @param length  the prefix length, 0..128
 */
public record Ipv6Prefix(Ipv6Address network, int length) {
    /** {@code fe80::/64}, the prefix of link-local unicast addresses SLAAC forms (RFC 4291 section 2.5.6). */
    public static final Ipv6Prefix LINK_LOCAL = new Ipv6Prefix(new Ipv6Address(0xFE80_0000_0000_0000L, 0), 64);

    /** Validates the length and normalises {@code network}. */
    public Ipv6Prefix {
        Objects.requireNonNull(network, "network");
        if (length < 0 || length > 128) {
            throw new IllegalArgumentException("IPv6 prefix length out of range: " + length);
        }
        network = new Ipv6Address(network.high() & highMask(length), network.low() & lowMask(length));
    }

    /** Parses {@code addr/len}, such as {@code 2001:db8::/32}. */
    public static Ipv6Prefix parse(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an IPv6 prefix (addr/len): " + cidr);
        }
        String len = cidr.substring(slash + 1).trim();
        if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not an IPv6 prefix (addr/len): " + cidr);
        }
        return new Ipv6Prefix(Ipv6Address.parse(cidr.substring(0, slash)), Integer.parseInt(len));
    }

    /** The mask of the first 64 bits for a prefix of {@code length}. */
    private static long highMask(int length) {
        return length == 0 ? 0 : length >= 64 ? -1L : -1L << (64 - length);
    }

    /** The mask of the last 64 bits for a prefix of {@code length}. */
    private static long lowMask(int length) {
        return length <= 64 ? 0 : -1L << (128 - length);
    }

    /** True when the address of {@code high}/{@code low} lies in this prefix. */
    public boolean contains(long high, long low) {
        return (high & highMask(length)) == network.high() && (low & lowMask(length)) == network.low();
    }

    /** True when {@code address} lies in this prefix. */
    public boolean contains(Ipv6Address address) {
        return contains(address.high(), address.low());
    }

    /**
     * The address in this prefix whose host bits are those of {@code interfaceId}: for a /64 (the length SLAAC needs,
     * RFC 4862 section 5.5.3) the prefix followed by the interface identifier; for longer prefixes only the
     * identifier's bits after the prefix are taken; for shorter ones the bits between the prefix and bit 64 stay 0.
     */
    public Ipv6Address host(long interfaceId) {
        long lowMask = lowMask(length);
        return new Ipv6Address(network.high(), network.low() | (interfaceId & ~lowMask));
    }

    @Override
    public String toString() {
        return network + "/" + length;
    }
}
