package io.userv2.stack.wire;

/**
 * An IP protocol number (the IPv4 "Protocol" field, IANA "Assigned Internet Protocol Numbers"), as an open type: the
 * numbers this stack knows are constants and {@link #of} returns them without allocating; any other 8-bit value is
 * kept as it is.
 *
 * <p>The {@code int} constants ({@link #ICMP_NUMBER}, ...) exist for {@code switch} statements.
 */
public record IpProtocol(int number) {
    /** 1 as an int constant for switches. */
    public static final int ICMP_NUMBER = 1;
    /** 6 as an int constant for switches. */
    public static final int TCP_NUMBER = 6;
    /** 17 as an int constant for switches. */
    public static final int UDP_NUMBER = 17;

    /** Internet Control Message Protocol (RFC 792). */
    public static final IpProtocol ICMP = new IpProtocol(ICMP_NUMBER);
    /** Transmission Control Protocol (RFC 9293). */
    public static final IpProtocol TCP = new IpProtocol(TCP_NUMBER);
    /** User Datagram Protocol (RFC 768). */
    public static final IpProtocol UDP = new IpProtocol(UDP_NUMBER);

    /** Requires an 8-bit value. */
    public IpProtocol {
        if ((number & ~0xFF) != 0) {
            throw new IllegalArgumentException("IP protocol number out of range: " + number);
        }
    }

    /** The constant for a known number, otherwise a new instance keeping {@code number} (low 8 bits). */
    public static IpProtocol of(int number) {
        return switch (number & 0xFF) {
            case ICMP_NUMBER -> ICMP;
            case TCP_NUMBER -> TCP;
            case UDP_NUMBER -> UDP;
            default -> new IpProtocol(number & 0xFF);
        };
    }

    /** {@code ICMP}, {@code TCP}, {@code UDP}, or {@code proto-N} (tcpdump's spelling for unknown numbers). */
    @Override
    public String toString() {
        return switch (number) {
            case ICMP_NUMBER -> "ICMP";
            case TCP_NUMBER -> "TCP";
            case UDP_NUMBER -> "UDP";
            default -> "proto-" + number;
        };
    }
}
