package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import java.net.Inet6Address;
import java.net.UnknownHostException;

/**
 * An IPv6 address (RFC 4291) as an immutable value holding its 128 bits in two {@code long}s, network order: the first
 * eight octets in {@code high} (first octet in its high byte), the last eight in {@code low}, so that no byte array is
 * made per address. Hot paths read and compare the raw longs ({@link #read}, {@link Ipv6Packet#sourceHigh()}, ...);
 * this type is for configuration, records and logs.
 *
 * <p>Text: {@link #parse} takes every form of RFC 4291 section 2.2 (with {@code ::} and a trailing dotted quad);
 * {@link #toString()} writes the canonical form of RFC 5952 section 4: lower case, no leading zeros, {@code ::} for the
 * longest run of two or more zero fields (the first of equally long runs), and for IPv4-mapped addresses the mixed
 * notation of section 5 ({@code ::ffff:192.0.2.1}).
 *
 * @param high the first 64 bits (octets 0..7)
 * @param low  the last 64 bits (octets 8..15): for unicast addresses the interface identifier
 */
public record Ipv6Address(long high, long low) implements IpAddress, Comparable<Ipv6Address> {
    /** {@code ::}, the unspecified address (RFC 4291 section 2.5.2). */
    public static final Ipv6Address UNSPECIFIED = new Ipv6Address(0, 0);
    /** {@code ::1}, the loopback address (RFC 4291 section 2.5.3). */
    public static final Ipv6Address LOOPBACK = new Ipv6Address(0, 1);
    /** {@code ff02::1}, the link-local all-nodes multicast address (RFC 4291 section 2.7.1). */
    public static final Ipv6Address ALL_NODES = new Ipv6Address(0xFF02_0000_0000_0000L, 1);
    /** {@code ff02::2}, the link-local all-routers multicast address (RFC 4291 section 2.7.1). */
    public static final Ipv6Address ALL_ROUTERS = new Ipv6Address(0xFF02_0000_0000_0000L, 2);
    /** Length of an address in octets. */
    public static final int LENGTH = 16;

    /** The first 64 bits of {@code fe80::/64}, the link-local prefix (RFC 4291 section 2.5.6). */
    private static final long LINK_LOCAL_HIGH = 0xFE80_0000_0000_0000L;
    /** The first 64 bits of {@code ff02::1:ff00:0/104}, solicited-node multicast (RFC 4291 section 2.7.1). */
    private static final long SOLICITED_NODE_HIGH = 0xFF02_0000_0000_0000L;
    /** The last 64 bits of {@code ff02::1:ff00:0/104} without the 24 bits taken from the unicast address. */
    private static final long SOLICITED_NODE_LOW = 0x0000_0001_FF00_0000L;

    /**
     * Parses the text forms of RFC 4291 section 2.2 ({@code 2001:db8::1}, {@code ::}, {@code ::ffff:192.0.2.1},
     * upper or lower case); rejects anything else, including zone indices ({@code %eth0}) and brackets. Never does a
     * name lookup.
     *
     * @throws IllegalArgumentException when {@code text} is not an IPv6 address
     */
    public static Ipv6Address parse(String text) {
        Ipv6Address a = parseOrNull(text);
        if (a == null) {
            throw new IllegalArgumentException("not an IPv6 address: " + text);
        }
        return a;
    }

    /** As {@link #parse}, but returns null instead of throwing. */
    public static Ipv6Address parseOrNull(String text) {
        if (text == null) {
            return null;
        }
        String s = text.trim();
        int len = s.length();
        int[] groups = new int[8];
        int n = 0;
        int gap = -1; // index in groups where "::" stands
        int i = 0;
        if (s.startsWith("::")) {
            gap = 0;
            i = 2;
        } else if (s.startsWith(":")) {
            return null;
        }
        while (i < len) {
            int start = i;
            int value = 0;
            while (i < len && i - start < 5 && hexValue(s.charAt(i)) >= 0) {
                value = (value << 4) | hexValue(s.charAt(i));
                i++;
            }
            if (i < len && s.charAt(i) == '.') {
                // RFC 4291 2.2 form 3: "x:x:x:x:x:x:d.d.d.d", the dotted quad as the last 32 bits.
                if (n > 6 || !s.substring(start).chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
                    return null;
                }
                int v4;
                try {
                    v4 = Ipv4Address.parse(s.substring(start)).bits();
                } catch (IllegalArgumentException e) {
                    return null;
                }
                groups[n++] = v4 >>> 16;
                groups[n++] = v4 & 0xFFFF;
                i = len;
                break;
            }
            if (i == start || i - start > 4 || n == 8) {
                return null;
            }
            groups[n++] = value;
            if (i == len) {
                break;
            }
            if (s.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < len && s.charAt(i) == ':') {
                if (gap >= 0) {
                    return null; // "::" at most once
                }
                gap = n;
                i++;
            } else if (i == len) {
                return null; // a single trailing colon
            }
        }
        if (gap < 0 ? n != 8 : n > 7) {
            return null; // "::" stands for one or more zero fields
        }
        int[] full = new int[8];
        if (gap < 0) {
            full = groups;
        } else {
            System.arraycopy(groups, 0, full, 0, gap);
            System.arraycopy(groups, gap, full, 8 - (n - gap), n - gap);
        }
        long high = 0;
        long low = 0;
        for (int g = 0; g < 4; g++) {
            high = (high << 16) | full[g];
            low = (low << 16) | full[g + 4];
        }
        return new Ipv6Address(high, low);
    }

    /** The value of an ASCII hex digit, or -1 (no other Unicode digits). */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** The address of sixteen octets in network order. */
    public static Ipv6Address of(byte[] octets) {
        if (octets.length != LENGTH) {
            throw new IllegalArgumentException("IPv6 address needs 16 octets, got " + octets.length);
        }
        long high = 0;
        long low = 0;
        for (int i = 0; i < 8; i++) {
            high = (high << 8) | (octets[i] & 0xFF);
            low = (low << 8) | (octets[i + 8] & 0xFF);
        }
        return new Ipv6Address(high, low);
    }

    /** The address of a JDK address (its scope id, if any, is dropped). */
    public static Ipv6Address of(Inet6Address address) {
        return of(address.getAddress());
    }

    /**
     * Reads sixteen octets at absolute {@code index} of {@code buf} without moving its indices; does not retain it.
     * Allocates the record; hot paths read {@code buf.getLong(index)} and {@code buf.getLong(index + 8)} instead.
     */
    public static Ipv6Address read(ByteBuf buf, int index) {
        return new Ipv6Address(buf.getLong(index), buf.getLong(index + 8));
    }

    /** Writes the sixteen octets at absolute {@code index} of {@code buf} without moving its indices. */
    public void write(ByteBuf buf, int index) {
        buf.setLong(index, high);
        buf.setLong(index + 8, low);
    }

    /** The sixteen octets in network order. */
    public byte[] toBytes() {
        byte[] b = new byte[LENGTH];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (high >>> (56 - 8 * i));
            b[i + 8] = (byte) (low >>> (56 - 8 * i));
        }
        return b;
    }

    /** This address as a JDK address (no lookup, no scope). */
    public Inet6Address toInetAddress() {
        try {
            return Inet6Address.getByAddress(null, toBytes(), -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Kinds (RFC 4291 section 2.4)

    /** True for {@code ::}. */
    public boolean isUnspecified() {
        return high == 0 && low == 0;
    }

    /** True for {@code ::1}. */
    public boolean isLoopback() {
        return high == 0 && low == 1;
    }

    /** True for {@code ff00::/8}. */
    public boolean isMulticast() {
        return isMulticast(high);
    }

    /** True when the first 64 bits {@code high} are those of a multicast address ({@code ff00::/8}). */
    public static boolean isMulticast(long high) {
        return (high >>> 56) == 0xFF;
    }

    /** True for link-local unicast, {@code fe80::/10}. */
    public boolean isLinkLocal() {
        return (high >>> 54) == (0xFE80L >>> 6);
    }

    /** True for unique local unicast (RFC 4193), {@code fc00::/7}. */
    public boolean isUniqueLocal() {
        return (high >>> 57) == (0xFC00L >>> 9);
    }

    /** True for IPv4-mapped addresses (RFC 4291 section 2.5.5.2), {@code ::ffff:0:0/96}. */
    public boolean isIpv4Mapped() {
        return high == 0 && (low >>> 32) == 0xFFFFL;
    }

    /** The scope of a multicast address (RFC 4291 section 2.7: 1 interface-local, 2 link-local, ...), else -1. */
    public int multicastScope() {
        return isMulticast() ? (int) (high >>> 48) & 0xF : -1;
    }

    /** True for a solicited-node multicast address, {@code ff02::1:ff00:0/104}. */
    public boolean isSolicitedNodeMulticast() {
        return high == SOLICITED_NODE_HIGH && (low & ~0xFF_FFFFL) == SOLICITED_NODE_LOW;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Derived addresses

    /**
     * The solicited-node multicast address of this (unicast or anycast) address, RFC 4291 section 2.7.1: "formed by
     * taking the low-order 24 bits of an address (unicast or anycast) and appending those bits to the prefix
     * FF02:0:0:0:0:1:FF00::/104".
     */
    public Ipv6Address solicitedNodeMulticast() {
        return new Ipv6Address(SOLICITED_NODE_HIGH, SOLICITED_NODE_LOW | (low & 0xFF_FFFFL));
    }

    /**
     * The Ethernet destination of a packet to this multicast address, RFC 2464 section 7: "the two octets 3333
     * hexadecimal followed by the last four octets of the IPv6 multicast address" (48 bits in a long, as
     * {@link MacAddress#bits()}).
     */
    public long multicastMac() {
        return 0x3333_0000_0000L | (low & 0xFFFF_FFFFL);
    }

    /** The interface identifier, the last 64 bits (RFC 4291 section 2.5.1). */
    public long interfaceId() {
        return low;
    }

    /**
     * The modified EUI-64 interface identifier of a 48-bit MAC address (RFC 4291 appendix A, RFC 2464 section 4): the
     * octets {@code FF FE} inserted between the third and fourth octets of the MAC, and the universal/local bit (0x02
     * of the first octet) inverted. {@code 52:54:00:12:34:56} gives {@code 5054:ff:fe12:3456}.
     */
    public static long interfaceIdFromMac(long mac) {
        long eui64 = ((mac >>> 24) & 0xFF_FFFFL) << 40 | 0xFF_FEL << 24 | (mac & 0xFF_FFFFL);
        return eui64 ^ 0x0200_0000_0000_0000L;
    }

    /** The link-local address {@code fe80::/64} with {@code interfaceId} (RFC 4291 section 2.5.6). */
    public static Ipv6Address linkLocal(long interfaceId) {
        return new Ipv6Address(LINK_LOCAL_HIGH, interfaceId);
    }

    /** The link-local address a host with this MAC forms by SLAAC with a modified EUI-64 (RFC 4862, RFC 2464). */
    public static Ipv6Address linkLocalFromMac(long mac) {
        return linkLocal(interfaceIdFromMac(mac));
    }

    @Override
    public int compareTo(Ipv6Address o) {
        int c = Long.compareUnsigned(high, o.high);
        return c != 0 ? c : Long.compareUnsigned(low, o.low);
    }

    /** The canonical text of RFC 5952 (see the class comment). */
    @Override
    public String toString() {
        return format(high, low);
    }

    /** Formats 128 bits as the canonical text of RFC 5952. */
    public static String format(long high, long low) {
        if (high == 0 && (low >>> 32) == 0xFFFFL) {
            // RFC 5952 section 5: mixed notation for IPv4-mapped addresses, "::ffff:192.0.2.1".
            return "::ffff:" + Ipv4Address.format((int) low);
        }
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) (high >>> (48 - 16 * i)) & 0xFFFF;
            g[i + 4] = (int) (low >>> (48 - 16 * i)) & 0xFFFF;
        }
        // RFC 5952 4.2: "::" shortens the longest run of consecutive zero fields (4.2.3: the first if runs tie),
        // and "MUST NOT be used to shorten just one 16-bit 0 field" (4.2.2).
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLength) {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i])); // RFC 5952 4.1 no leading zeros, 4.3 lower case
        }
        return sb.toString();
    }
}
