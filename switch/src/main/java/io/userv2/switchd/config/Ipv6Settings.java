package io.userv2.switchd.config;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.MacAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * IPv6 on the LAN ({@code --ipv6}, {@code --ipv6-prefix}): on by default, with a unique local /64 that is the same
 * for the same network after every restart, so SLAAC addresses (and with them the AAAA names) survive restarts.
 *
 * <p>The default prefix ({@link #defaultPrefix}) is a ULA of RFC 4193 section 3: {@code fd} (L set), a 40-bit Global
 * ID, Subnet ID 0. RFC 4193 3.2.2 computes the Global ID as the low 40 bits of a SHA-1 over the time and an EUI-64, so
 * that it is random; here it is the first 40 bits of a SHA-256 over the IPv4 subnet and the gateway's MAC: as unlikely
 * to collide with another network's as the RFC's (the inputs differ from network to network), but stable, which the
 * RFC's is only if stored. Give {@code --ipv6-prefix} for another one.
 *
 * <p>The gateway's address in the prefix mirrors its IPv4 address: the prefix with the IPv4 address's host number as
 * interface identifier, so gateway 192.168.104.2/24 is {@code PREFIX::2} (and gvproxy's 192.168.127.1 is
 * {@code PREFIX::1}).
 *
 * @param enabled whether the gateway serves IPv6 (Router Advertisements, NDP, DNS over IPv6, AAAA names); off, IPv6
 *                frames are switched between guests and ignored by the gateway, as before IPv6 existed
 * @param prefix  the LAN's /64, or null for {@link #defaultPrefix}
 * @param dhcpv6  what DHCPv6 the gateway serves ({@code --dhcpv6}); nothing with IPv6 off
 */
public record Ipv6Settings(boolean enabled, Ipv6Prefix prefix, Dhcpv6Mode dhcpv6) {
    /** On, with the default prefix and stateless DHCPv6. */
    public static final Ipv6Settings DEFAULT = new Ipv6Settings(true, null);
    /** Off: exactly the IPv4-only LAN. */
    public static final Ipv6Settings OFF = new Ipv6Settings(false, null);

    /** What DHCPv6 the gateway serves on UDP 547 ({@code --dhcpv6}). */
    public enum Dhcpv6Mode {
        /**
         * Information-request answered with the DNS server and search list (RFC 8415 6.1), the O flag set in the
         * Router Advertisements: the default, for clients that take DNS from DHCPv6 rather than from RDNSS.
         */
        STATELESS,
        /**
         * Stateless, plus addresses leased from the prefix to IA_NAs (RFC 8415 6.2), kept in a lease file like the
         * IPv4 leases, with M set too; SLAAC stays on (the A flag), so a guest may have both.
         */
        STATEFUL,
        /** No DHCPv6: port 547 is not served, and M and O stay clear. */
        OFF;

        /** {@code stateless}, {@code stateful} or {@code off}, as given on the command line. */
        public static Dhcpv6Mode parse(String text) {
            return switch (text.trim()) {
                case "stateless" -> STATELESS;
                case "stateful" -> STATEFUL;
                case "off" -> OFF;
                default -> throw new IllegalArgumentException("--dhcpv6 must be stateless, stateful or off, got "
                        + text);
            };
        }
    }

    /** Settings with stateless DHCPv6. */
    public Ipv6Settings(boolean enabled, Ipv6Prefix prefix) {
        this(enabled, prefix, Dhcpv6Mode.STATELESS);
    }
    /** RFC 8200 5: the smallest MTU a link carrying IPv6 may have. */
    public static final int MIN_MTU = 1280;

    /** Checks that a given prefix is a /64 SLAAC can use. */
    public Ipv6Settings {
        java.util.Objects.requireNonNull(dhcpv6, "dhcpv6");
        if (prefix != null) {
            Ipv6Address n = prefix.network();
            if (prefix.length() != 64 || n.isLinkLocal() || n.isMulticast() || n.isUnspecified() || n.isLoopback()
                    || n.isIpv4Mapped()) {
                throw new IllegalArgumentException("--ipv6-prefix must be a unicast /64 (e.g. fd12:3456:789a::/64),"
                        + " got " + prefix);
            }
        }
    }

    /** The prefix served: the given one, or {@link #defaultPrefix} of the network. */
    public Ipv6Prefix prefixFor(Ipv4Subnet subnet, MacAddress gatewayMac) {
        return prefix != null ? prefix : defaultPrefix(subnet, gatewayMac);
    }

    /** The gateway's address in {@code prefix}: the IPv4 gateway's host number as interface identifier. */
    public static Ipv6Address gatewayAddress(Ipv6Prefix prefix, Ipv4Subnet subnet, Ipv4Address gatewayIp) {
        return prefix.host(Integer.toUnsignedLong(gatewayIp.bits() & ~subnet.netmask().bits()));
    }

    /** The stable ULA /64 of the network of {@code subnet} and {@code gatewayMac} (see the class comment). */
    public static Ipv6Prefix defaultPrefix(Ipv4Subnet subnet, MacAddress gatewayMac) {
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(("userv2 ULA " + subnet + " " + gatewayMac)
                    .getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
        long high = 0xFDL;
        for (int i = 0; i < 5; i++) {
            high = (high << 8) | (hash[i] & 0xFF);
        }
        return new Ipv6Prefix(new Ipv6Address(high << 16, 0), 64);
    }

    /** This setting turned off (the prefix kept). */
    public Ipv6Settings off() {
        return new Ipv6Settings(false, prefix, dhcpv6);
    }
}
