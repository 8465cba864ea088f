package io.userv2.stack.wire;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 address as an immutable value wrapping its 32 bits in network order (first octet in the high byte).
 * Hot paths read and compare the raw {@code int}; this type is for configuration, records and logs.
 */
public record Ipv4Address(int bits) implements IpAddress, Comparable<Ipv4Address> {
    /** 0.0.0.0. */
    public static final Ipv4Address ANY = new Ipv4Address(0);
    /** 255.255.255.255, the limited broadcast address. */
    public static final Ipv4Address BROADCAST = new Ipv4Address(-1);

    /** Parses dotted-quad text such as {@code 192.168.104.2}; rejects anything else (never does a name lookup). */
    public static Ipv4Address parse(String text) {
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            int octet = Integer.parseInt(p);
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            v = (v << 8) | octet;
        }
        return new Ipv4Address(v);
    }

    /** The address of four octets in network order. */
    public static Ipv4Address of(byte[] octets) {
        if (octets.length != 4) {
            throw new IllegalArgumentException("IPv4 address needs 4 octets, got " + octets.length);
        }
        return new Ipv4Address(((octets[0] & 0xFF) << 24) | ((octets[1] & 0xFF) << 16)
                | ((octets[2] & 0xFF) << 8) | (octets[3] & 0xFF));
    }

    /** The four octets in network order. */
    public byte[] toBytes() {
        return new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
    }

    /** This address as a JDK address (no lookup). */
    public Inet4Address toInetAddress() {
        try {
            return (Inet4Address) InetAddress.getByAddress(toBytes());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The address {@code n} above this one (wrapping). */
    public Ipv4Address plus(int n) {
        return new Ipv4Address(bits + n);
    }

    @Override
    public int compareTo(Ipv4Address o) {
        return Integer.compareUnsigned(bits, o.bits);
    }

    /** Dotted quad. */
    @Override
    public String toString() {
        return format(bits);
    }

    /** Formats 32 bits as a dotted quad. */
    public static String format(int bits) {
        return (bits >>> 24) + "." + ((bits >>> 16) & 0xFF) + "." + ((bits >>> 8) & 0xFF) + "." + (bits & 0xFF);
    }
}
