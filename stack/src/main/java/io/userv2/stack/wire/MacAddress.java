package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * A 48-bit IEEE 802 MAC address held in the low 48 bits of a {@code long}, so that the switch can learn and look up
 * addresses without allocating. Immutable value type.
 */
public final class MacAddress implements Comparable<MacAddress> {
    /** ff:ff:ff:ff:ff:ff. */
    public static final MacAddress BROADCAST = new MacAddress(0xFFFF_FFFF_FFFFL);
    /** 00:00:00:00:00:00. */
    public static final MacAddress ZERO = new MacAddress(0L);

    private static final long MASK = 0xFFFF_FFFF_FFFFL;
    private final long bits;

    private MacAddress(long bits) {
        this.bits = bits & MASK;
    }

    /** The address whose 48 bits are the low 48 bits of {@code bits}. */
    public static MacAddress of(long bits) {
        return new MacAddress(bits);
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff} (also accepts {@code -} as separator, any case). */
    public static MacAddress parse(String text) {
        String[] parts = text.trim().split("[:-]");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 2) {
                throw new IllegalArgumentException("not a MAC address: " + text);
            }
            v = (v << 8) | Integer.parseInt(p, 16);
        }
        return new MacAddress(v);
    }

    /** Reads six bytes at absolute {@code index} of {@code buf} without moving its indices; does not retain it. */
    public static long read(ByteBuf buf, int index) {
        return ((long) buf.getUnsignedShort(index) << 32) | buf.getUnsignedInt(index + 2);
    }

    /** Writes the 48 bits of {@code bits} at absolute {@code index} of {@code buf}. */
    public static void write(ByteBuf buf, int index, long bits) {
        buf.setShort(index, (int) (bits >>> 32));
        buf.setInt(index + 2, (int) bits);
    }

    /** The address as a {@code long}, high 16 bits zero. */
    public long bits() {
        return bits;
    }

    /** True for the broadcast address. */
    public boolean isBroadcast() {
        return bits == MASK;
    }

    /** True when the I/G bit (least significant bit of the first octet) is set: broadcast or multicast. */
    public boolean isMulticast() {
        return isGroup(bits);
    }

    /** True when the I/G bit of the 48-bit address {@code bits} is set. */
    public static boolean isGroup(long bits) {
        return (bits & 0x0100_0000_0000L) != 0;
    }

    /** The six octets in transmission order. */
    public byte[] toBytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (bits >>> (40 - 8 * i));
        }
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MacAddress m && m.bits == bits;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bits);
    }

    @Override
    public int compareTo(MacAddress o) {
        return Long.compare(bits, o.bits);
    }

    /** {@code aa:bb:cc:dd:ee:ff}, lower case. */
    @Override
    public String toString() {
        return format(bits);
    }

    /** Formats 48 bits as {@code aa:bb:cc:dd:ee:ff}. */
    public static String format(long bits) {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                sb.append(':');
            }
            int octet = (int) (bits >>> (40 - 8 * i)) & 0xFF;
            sb.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xF, 16));
        }
        return sb.toString();
    }
}
