package io.userv2.stack.wire;

/**
 * An EtherType (IEEE 802.3 type field, IANA "IEEE 802 Numbers"), as an open type: the well-known values are constants
 * and {@link #of} returns them without allocating; any other 16-bit value is kept as it is. Values below 0x0600 are
 * 802.3 lengths, not types; they are kept too and reported by {@link #isLength()}.
 *
 * <p>The {@code int} constants ({@link #IPV4_VALUE}, ...) exist for {@code switch} statements.
 */
public record EtherType(int value) {
    /** 0x0800 as an int constant for switches. */
    public static final int IPV4_VALUE = 0x0800;
    /** 0x0806 as an int constant for switches. */
    public static final int ARP_VALUE = 0x0806;
    /** 0x8100 as an int constant for switches. */
    public static final int VLAN_VALUE = 0x8100;
    /** 0x86DD as an int constant for switches. */
    public static final int IPV6_VALUE = 0x86DD;

    /** Internet Protocol version 4. */
    public static final EtherType IPV4 = new EtherType(IPV4_VALUE);
    /** Address Resolution Protocol. */
    public static final EtherType ARP = new EtherType(ARP_VALUE);
    /** IEEE 802.1Q VLAN tag (the TPID). */
    public static final EtherType VLAN = new EtherType(VLAN_VALUE);
    /** Internet Protocol version 6. */
    public static final EtherType IPV6 = new EtherType(IPV6_VALUE);

    /** Requires a 16-bit value. */
    public EtherType {
        if ((value & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("EtherType out of range: " + value);
        }
    }

    /** The constant for a known value, otherwise a new instance keeping {@code value} (low 16 bits). */
    public static EtherType of(int value) {
        return switch (value & 0xFFFF) {
            case IPV4_VALUE -> IPV4;
            case ARP_VALUE -> ARP;
            case VLAN_VALUE -> VLAN;
            case IPV6_VALUE -> IPV6;
            default -> new EtherType(value & 0xFFFF);
        };
    }

    /** True for values below 0x0600, which IEEE 802.3 defines as a length, not a type. */
    public boolean isLength() {
        return value < 0x0600;
    }

    /** {@code IPv4}, {@code ARP}, ... for known values, {@code 0x88cc} style hex otherwise. */
    @Override
    public String toString() {
        return switch (value) {
            case IPV4_VALUE -> "IPv4";
            case ARP_VALUE -> "ARP";
            case VLAN_VALUE -> "802.1Q";
            case IPV6_VALUE -> "IPv6";
            default -> String.format("0x%04x", value);
        };
    }
}
