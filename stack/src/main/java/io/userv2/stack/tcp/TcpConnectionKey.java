package io.userv2.stack.tcp;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.TcpHeader;
import java.net.InetAddress;

/**
 * The four-tuple of a connection as the gateway's endpoint sees it, over IPv4 or IPv6: {@code remote} is the guest
 * (who sent the SYN), {@code local} the address and port the guest dialled (which the NAT relays to a host socket). A
 * plain value; the NAT's table of flows is keyed by its fields.
 *
 * <p>Both families in one shape, without an object per address: each address is 128 bits in two {@code long}s, an
 * IPv4 address as its IPv4-mapped IPv6 form {@code ::ffff:a.b.c.d} (RFC 4291 2.5.5.2). A key over IPv6 may not have
 * addresses in {@code ::/64} (the gateway never serves those over IPv6), so the family is plain from the bits:
 * {@link #isIpv6()} is {@code remoteHigh != 0}. Lookups from a segment compare the raw fields (see the NAT's flow
 * table); {@link #remoteAddress()} and the like make an address object and are for the rare paths.
 *
 * @param remoteHigh the first 64 bits of the peer's (guest's) address (0 for IPv4)
 * @param remoteLow  the last 64 bits of the peer's address ({@code 0x0000_ffff_aaaa_aaaa} for IPv4)
 * @param remotePort the peer's port, 1..65535
 * @param localHigh  the first 64 bits of our address (the destination of the guest's packets)
 * @param localLow   the last 64 bits of our address
 * @param localPort  our port, 1..65535
 */
public record TcpConnectionKey(long remoteHigh, long remoteLow, int remotePort, long localHigh, long localLow,
        int localPort) {
    /** The upper 32 bits of an IPv4-mapped address's low half: {@code ::ffff:0:0/96}. */
    private static final long MAPPED = 0x0000_FFFFL << 32;

    /** Validates ports and that both addresses are of one family (IPv6 keys outside {@code ::/64}). */
    public TcpConnectionKey {
        if (remotePort <= 0 || remotePort > 0xFFFF || localPort <= 0 || localPort > 0xFFFF) {
            throw new IllegalArgumentException("port out of range: " + remotePort + ", " + localPort);
        }
        boolean v4 = remoteHigh == 0;
        if (v4 != (localHigh == 0) || v4 && ((remoteLow >>> 32) != 0xFFFF || (localLow >>> 32) != 0xFFFF)) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 four-tuple");
        }
    }

    /** The key of an IPv4 connection. */
    public TcpConnectionKey(Ipv4Address remoteAddress, int remotePort, Ipv4Address localAddress, int localPort) {
        this(0, mapped(remoteAddress.bits()), remotePort, 0, mapped(localAddress.bits()), localPort);
    }

    /**
     * The key of an IPv6 connection.
     *
     * @throws IllegalArgumentException when an address is in {@code ::/64} (unspecified, loopback, IPv4-mapped or
     *     -compatible: never a guest's or the gateway's address on the LAN)
     */
    public TcpConnectionKey(Ipv6Address remoteAddress, int remotePort, Ipv6Address localAddress, int localPort) {
        this(nonZero(remoteAddress.high()), remoteAddress.low(), remotePort, nonZero(localAddress.high()),
                localAddress.low(), localPort);
    }

    private static long nonZero(long high) {
        if (high == 0) {
            throw new IllegalArgumentException("an IPv6 key takes no address in ::/64");
        }
        return high;
    }

    /** The low half of the IPv4-mapped form of IPv4 address {@code bits}. */
    public static long mapped(int bits) {
        return MAPPED | (bits & 0xFFFF_FFFFL);
    }

    /** The key of an IPv4 segment that arrived from {@code src} to {@code dst}: the sender is the remote side. */
    public static TcpConnectionKey ofIncoming(Ipv4Address src, Ipv4Address dst, TcpHeader segment) {
        return new TcpConnectionKey(src, segment.srcPort(), dst, segment.dstPort());
    }

    /** True for a connection over IPv6. */
    public boolean isIpv6() {
        return remoteHigh != 0;
    }

    /** The peer's IPv4 address as raw bits (an IPv4 key's). */
    public int remoteIpv4() {
        return (int) remoteLow;
    }

    /** Our IPv4 address as raw bits (an IPv4 key's). */
    public int localIpv4() {
        return (int) localLow;
    }

    /**
     * The peer's (guest's) IPv4 address.
     *
     * @throws IllegalStateException for an IPv6 key
     */
    public Ipv4Address remoteAddress() {
        requireIpv4();
        return new Ipv4Address(remoteIpv4());
    }

    /**
     * Our IPv4 address.
     *
     * @throws IllegalStateException for an IPv6 key
     */
    public Ipv4Address localAddress() {
        requireIpv4();
        return new Ipv4Address(localIpv4());
    }

    /** The peer's address as IPv6 (for an IPv4 key, its IPv4-mapped form). */
    public Ipv6Address remoteIpv6() {
        return new Ipv6Address(remoteHigh, remoteLow);
    }

    /** Our address as IPv6 (for an IPv4 key, its IPv4-mapped form). */
    public Ipv6Address localIpv6() {
        return new Ipv6Address(localHigh, localLow);
    }

    /** The peer's address as a JDK address of its own family. */
    public InetAddress remoteInetAddress() {
        return isIpv6() ? remoteIpv6().toInetAddress() : remoteAddress().toInetAddress();
    }

    /** Our address as a JDK address of its own family. */
    public InetAddress localInetAddress() {
        return isIpv6() ? localIpv6().toInetAddress() : localAddress().toInetAddress();
    }

    private void requireIpv4() {
        if (isIpv6()) {
            throw new IllegalStateException("an IPv6 connection: " + this);
        }
    }

    /**
     * tcpdump style, from the peer's point of view: {@code 192.168.104.3.50024 > 10.0.0.1.80}, or
     * {@code fd00::3.50024 > fd00::1.80}.
     */
    @Override
    public String toString() {
        return isIpv6() ? remoteIpv6() + "." + remotePort + " > " + localIpv6() + "." + localPort
                : remoteAddress() + "." + remotePort + " > " + localAddress() + "." + localPort;
    }
}
