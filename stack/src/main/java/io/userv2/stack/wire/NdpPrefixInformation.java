package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * The Prefix Information option of a Router Advertisement (RFC 4861 section 4.6.2): a prefix, whether it is on-link
 * and whether hosts may form addresses in it by SLAAC (RFC 4862), and for how long. Immutable.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type 3    |   Length 4    | Prefix Length |L|A| Reserved1 |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Valid Lifetime                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Preferred Lifetime                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           Reserved2                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      Prefix (128 bits)                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @param prefix            the prefix (host bits cleared, as the RFC asks the receiver to ignore them)
 * @param flags             the flags octet: {@link #FLAG_ON_LINK}, {@link #FLAG_AUTONOMOUS}, and any others as
 *                          received (e.g. RFC 6275's R), 0..255
 * @param validLifetime     seconds, 32 bits unsigned; {@link #INFINITE} is "infinity"
 * @param preferredLifetime seconds, 32 bits unsigned; {@link #INFINITE} is "infinity"
 */
public record NdpPrefixInformation(Ipv6Prefix prefix, int flags, long validLifetime, long preferredLifetime) {
    /** Option type 3. */
    public static final int TYPE = 3;
    /** The option's length in bytes (Length 4). */
    public static final int LENGTH = 32;
    /** L: "on-link flag. When set, indicates that this prefix can be used for on-link determination." */
    public static final int FLAG_ON_LINK = 0x80;
    /** A: "autonomous address-configuration flag", SLAAC allowed. */
    public static final int FLAG_AUTONOMOUS = 0x40;
    /** A lifetime of all ones: "infinity". */
    public static final long INFINITE = 0xFFFF_FFFFL;

    /** Validates ranges. */
    public NdpPrefixInformation {
        Objects.requireNonNull(prefix, "prefix");
        if ((flags & ~0xFF) != 0 || (validLifetime & ~INFINITE) != 0 || (preferredLifetime & ~INFINITE) != 0) {
            throw new IllegalArgumentException("flags/lifetimes out of range");
        }
    }

    /** An on-link prefix for SLAAC (L and A set), what a router advertises for a /64 on its link. */
    public static NdpPrefixInformation slaac(Ipv6Prefix prefix, long validLifetime, long preferredLifetime) {
        return new NdpPrefixInformation(prefix, FLAG_ON_LINK | FLAG_AUTONOMOUS, validLifetime, preferredLifetime);
    }

    /** The L flag. */
    public boolean onLink() {
        return (flags & FLAG_ON_LINK) != 0;
    }

    /** The A flag. */
    public boolean autonomous() {
        return (flags & FLAG_AUTONOMOUS) != 0;
    }

    /**
     * Reads the option at absolute {@code index}, whose Length the caller has checked to be 4; null when the Prefix
     * Length is over 128. The caller keeps ownership of {@code buf}.
     */
    static NdpPrefixInformation read(ByteBuf buf, int index) {
        int length = buf.getUnsignedByte(index + 2);
        if (length > 128) {
            return null;
        }
        return new NdpPrefixInformation(new Ipv6Prefix(Ipv6Address.read(buf, index + 16), length),
                buf.getUnsignedByte(index + 3), buf.getUnsignedInt(index + 4), buf.getUnsignedInt(index + 8));
    }

    /** Writes the 32-byte option at absolute {@code index}; returns 32. Indices are not moved. */
    int emit(ByteBuf buf, int index) {
        buf.setByte(index, TYPE);
        buf.setByte(index + 1, LENGTH / 8);
        buf.setByte(index + 2, prefix.length());
        buf.setByte(index + 3, flags);
        buf.setInt(index + 4, (int) validLifetime);
        buf.setInt(index + 8, (int) preferredLifetime);
        buf.setInt(index + 12, 0);
        prefix.network().write(buf, index + 16);
        return LENGTH;
    }

    /** tcpdump style: {@code prefix info: LA valid time 86400s, pref. time 14400s, prefix 2001:db8::/64}. */
    @Override
    public String toString() {
        return "prefix info: " + (onLink() ? "L" : "") + (autonomous() ? "A" : "") + " valid time "
                + lifetime(validLifetime) + ", pref. time " + lifetime(preferredLifetime) + ", prefix " + prefix;
    }

    static String lifetime(long seconds) {
        return seconds == INFINITE ? "infinity" : seconds + "s";
    }
}
