package io.userv2.stack.dhcp6;

import java.net.Inet6Address;

/**
 * An IPv6 address as two longs (the /64 prefix and the interface identifier), for pool arithmetic. A stand-in until
 * the wire package's IPv6 address type is in place.
 */
final class Ipv6Bits {
    private Ipv6Bits() {
    }

    /** The upper 64 bits (the prefix of a /64). */
    static long hi(Inet6Address a) {
        return read(a.getAddress(), 0);
    }

    /** The lower 64 bits (the interface identifier). */
    static long lo(Inet6Address a) {
        return read(a.getAddress(), 8);
    }

    /** The address with upper bits {@code hi} and lower bits {@code lo}. */
    static Inet6Address of(long hi, long lo) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return Dhcp6Repr.address(b);
    }

    private static long read(byte[] b, int from) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[from + i] & 0xFF);
        }
        return v;
    }
}
