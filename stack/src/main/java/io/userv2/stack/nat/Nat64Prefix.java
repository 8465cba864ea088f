package io.userv2.stack.nat;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import java.util.List;
import java.util.Objects;

/**
 * The IPv6 prefix that stands for the IPv4 Internet in NAT64 and DNS64, with RFC 6052's way of putting an IPv4 address
 * into it and taking it out again. Immutable.
 *
 * <p>RFC 6052 section 2.2: the prefix is 32, 40, 48, 56, 64 or 96 bits long; the 32 bits of the IPv4 address follow
 * it, except that "Bits 64 to 71 of the address are reserved for compatibility with the host identifier format
 * defined in the IPv6 addressing architecture" and must be zero, so for prefixes shorter than 64 the IPv4 address is
 * split around them; the rest (the "suffix") is zero. For a /96, "the IPv4 address is embedded in the last 32 bits".
 * The Well-Known Prefix is {@code 64:ff9b::/96} (section 2.1).
 *
 * <p>RFC 6052 section 3.1: "The Well-Known Prefix MUST NOT be used to represent non-global IPv4 addresses, such as
 * those defined in [RFC1918] or listed in Section 3 of [RFC5735]." {@link #isGlobal} says which are global.
 */
public final class Nat64Prefix {
    /** RFC 6052 2.1: {@code 64:ff9b::/96}. */
    public static final Nat64Prefix WELL_KNOWN = new Nat64Prefix(Ipv6Prefix.parse("64:ff9b::/96"));

    /** RFC 6890 (which obsoletes RFC 5735) section 2.2.2: the IPv4 special-purpose blocks not globally reachable. */
    private static final List<Ipv4Subnet> NOT_GLOBAL = List.of(
            Ipv4Subnet.parse("0.0.0.0/8"), Ipv4Subnet.parse("10.0.0.0/8"), Ipv4Subnet.parse("100.64.0.0/10"),
            Ipv4Subnet.parse("127.0.0.0/8"), Ipv4Subnet.parse("169.254.0.0/16"), Ipv4Subnet.parse("172.16.0.0/12"),
            Ipv4Subnet.parse("192.0.0.0/24"), Ipv4Subnet.parse("192.0.2.0/24"), Ipv4Subnet.parse("192.168.0.0/16"),
            Ipv4Subnet.parse("198.18.0.0/15"), Ipv4Subnet.parse("198.51.100.0/24"),
            Ipv4Subnet.parse("203.0.113.0/24"), Ipv4Subnet.parse("224.0.0.0/4"), Ipv4Subnet.parse("240.0.0.0/4"));

    private final Ipv6Prefix prefix;

    /**
     * A NAT64 prefix.
     *
     * @throws IllegalArgumentException when its length is not one RFC 6052 allows, or bits 64 to 71 are set
     */
    public Nat64Prefix(Ipv6Prefix prefix) {
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        int len = prefix.length();
        if (len != 32 && len != 40 && len != 48 && len != 56 && len != 64 && len != 96) {
            throw new IllegalArgumentException("a NAT64 prefix is /32, /40, /48, /56, /64 or /96 (RFC 6052), got "
                    + prefix);
        }
        if ((prefix.network().low() >>> 56) != 0) {
            throw new IllegalArgumentException("bits 64 to 71 of a NAT64 prefix must be zero (RFC 6052 2.2), got "
                    + prefix);
        }
        Ipv6Address n = prefix.network();
        if (n.isLinkLocal() || n.isMulticast() || n.high() == 0) {
            throw new IllegalArgumentException("a NAT64 prefix must be unicast and outside ::/64, got " + prefix);
        }
    }

    /**
     * Parses {@code addr/len} ({@code 64:ff9b::/96}); the address must have no bits set beyond the length.
     *
     * @throws IllegalArgumentException when it is no NAT64 prefix
     */
    public static Nat64Prefix parse(String text) {
        Ipv6Prefix p = Ipv6Prefix.parse(text.trim());
        String given = text.trim().substring(0, text.trim().indexOf('/'));
        if (!Ipv6Address.parse(given).equals(p.network())) {
            throw new IllegalArgumentException("a NAT64 prefix has no bits set beyond its length, got " + text);
        }
        return new Nat64Prefix(p);
    }

    /** The IPv6 prefix. */
    public Ipv6Prefix prefix() {
        return prefix;
    }

    /** Whether this is the Well-Known Prefix {@code 64:ff9b::/96}. */
    public boolean isWellKnown() {
        return prefix.equals(WELL_KNOWN.prefix);
    }

    /** The IPv6 address standing for {@code v4} (RFC 6052 2.2). */
    public Ipv6Address embed(Ipv4Address v4) {
        long high = prefix.network().high();
        long low = prefix.network().low();
        int pos = prefix.length();
        for (int i = 31; i >= 0; i--, pos++) {
            if (pos == 64) {
                pos = 72; // skip the reserved octet "u"
            }
            long bit = (v4.bits() >>> i) & 1;
            if (pos < 64) {
                high |= bit << (63 - pos);
            } else {
                low |= bit << (127 - pos);
            }
        }
        return new Ipv6Address(high, low);
    }

    /** True when {@code a} lies in the prefix with bits 64 to 71 zero (an address {@link #extract} takes). */
    public boolean contains(long high, long low) {
        return prefix.contains(high, low) && (low >>> 56) == 0;
    }

    /** True when {@code a} lies in the prefix with bits 64 to 71 zero. */
    public boolean contains(Ipv6Address a) {
        return contains(a.high(), a.low());
    }

    /**
     * The IPv4 address embedded in {@code a} (RFC 6052 2.2; the suffix is ignored), or null when {@code a} is not in
     * the prefix or its bits 64 to 71 are not zero.
     */
    public Ipv4Address extract(Ipv6Address a) {
        if (!contains(a)) {
            return null;
        }
        int bits = 0;
        int pos = prefix.length();
        for (int i = 0; i < 32; i++, pos++) {
            if (pos == 64) {
                pos = 72;
            }
            long bit = pos < 64 ? (a.high() >>> (63 - pos)) & 1 : (a.low() >>> (127 - pos)) & 1;
            bits = (bits << 1) | (int) bit;
        }
        return new Ipv4Address(bits);
    }

    /**
     * Whether {@code v4} is globally reachable: in none of RFC 6890's blocks marked "Global: False" (private,
     * loopback, link-local, shared, documentation, benchmarking, IETF protocol assignments, reserved), nor multicast.
     */
    public static boolean isGlobal(Ipv4Address v4) {
        for (Ipv4Subnet s : NOT_GLOBAL) {
            if (s.contains(v4)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Nat64Prefix p && p.prefix.equals(prefix);
    }

    @Override
    public int hashCode() {
        return prefix.hashCode();
    }

    /** {@code 64:ff9b::/96}. */
    @Override
    public String toString() {
        return prefix.toString();
    }
}
