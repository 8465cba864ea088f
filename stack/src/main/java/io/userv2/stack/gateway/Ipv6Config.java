package io.userv2.stack.gateway;

import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import io.userv2.stack.wire.NdpDnssl;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the gateway serves IPv6 on its LAN ({@link Gateway#enableIpv6}): the /64 it advertises for SLAAC, its own
 * address in it, and what its Router Advertisements say. Immutable.
 *
 * <p>Defaults ({@link #of}), with the rule each follows:
 * <ul>
 *   <li>Router lifetime 1800 s (RFC 4861 6.2.1 AdvDefaultLifetime: 3 * MaxRtrAdvInterval, at most 9000 s).</li>
 *   <li>MaxRtrAdvInterval 200 s (the RFC allows 4..1800 s, default 600; a shorter one lets a guest that missed every
 *       RA and never solicits find the router sooner), MinRtrAdvInterval 0.33 * Max (the RFC's default).</li>
 *   <li>Prefix valid lifetime 86400 s, preferred 14400 s (RFC 4861 AdvValidLifetime and AdvPreferredLifetime
 *       defaults: 2592000 and 604800 s; radvd uses 86400 and 14400, which lets a changed prefix age out within a
 *       day), with L and A set.</li>
 *   <li>RDNSS and DNSSL lifetime 3 * MaxRtrAdvInterval (RFC 8106 5.1: "SHOULD by default be at least 3 *
 *       MaxRtrAdvInterval").</li>
 *   <li>M and O off: they are set by whoever serves DHCPv6 ({@link #withDhcpv6}).</li>
 * </ul>
 *
 * @param prefix             the LAN's /64, advertised with L and A (SLAAC)
 * @param address            the gateway's own address in {@code prefix} (answered for like its link-local one)
 * @param dnsServers         RDNSS addresses (RFC 8106), usually {@code address}; empty leaves the option out
 * @param searchDomains      DNSSL domains (RFC 8106), as the IPv4 DHCP hands them out; empty leaves the option out
 * @param routerLifetime     seconds, 0..9000
 * @param validLifetime      prefix valid lifetime, seconds
 * @param preferredLifetime  prefix preferred lifetime, seconds, at most {@code validLifetime}
 * @param maxIntervalSeconds MaxRtrAdvInterval, 4..1800
 * @param managed            the M flag: addresses from stateful DHCPv6
 * @param other              the O flag: other configuration (DNS) from DHCPv6
 */
public record Ipv6Config(Ipv6Prefix prefix, Ipv6Address address, List<Ipv6Address> dnsServers,
                         List<String> searchDomains, int routerLifetime, long validLifetime, long preferredLifetime,
                         int maxIntervalSeconds, boolean managed, boolean other) {
    /** RFC 4861 AdvDefaultLifetime as chosen here. */
    public static final int DEFAULT_ROUTER_LIFETIME = 1800;
    /** MaxRtrAdvInterval as chosen here. */
    public static final int DEFAULT_MAX_INTERVAL = 200;
    /** Prefix valid lifetime as chosen here. */
    public static final long DEFAULT_VALID_LIFETIME = 86400;
    /** Prefix preferred lifetime as chosen here. */
    public static final long DEFAULT_PREFERRED_LIFETIME = 14400;

    /** Validates ranges and copies the lists; search domains DNSSL cannot carry are left out. */
    public Ipv6Config {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(address, "address");
        if (prefix.length() != 64) {
            throw new IllegalArgumentException("SLAAC needs a /64 (RFC 4862 5.5.3), got " + prefix);
        }
        if (!prefix.contains(address) || address.interfaceId() == 0 || address.isMulticast()) {
            throw new IllegalArgumentException(address + " is not a host address of " + prefix);
        }
        if (prefix.network().isLinkLocal() || prefix.network().isMulticast() || prefix.network().isUnspecified()) {
            throw new IllegalArgumentException("not a prefix to advertise: " + prefix);
        }
        dnsServers = List.copyOf(dnsServers);
        searchDomains = usable(searchDomains);
        if (routerLifetime < 0 || routerLifetime > 9000) {
            throw new IllegalArgumentException("router lifetime out of 0..9000: " + routerLifetime);
        }
        if (maxIntervalSeconds < 4 || maxIntervalSeconds > 1800) {
            throw new IllegalArgumentException("MaxRtrAdvInterval out of 4..1800: " + maxIntervalSeconds);
        }
        if (validLifetime <= 0 || validLifetime > 0xFFFF_FFFFL || preferredLifetime < 0
                || preferredLifetime > validLifetime) {
            throw new IllegalArgumentException("prefix lifetimes: 0 <= preferred <= valid <= 2^32-1");
        }
    }

    /** The defaults of the class comment: {@code address} in {@code prefix}, RDNSS at {@code address}. */
    public static Ipv6Config of(Ipv6Prefix prefix, Ipv6Address address, List<String> searchDomains) {
        return new Ipv6Config(prefix, address, List.of(address), searchDomains, DEFAULT_ROUTER_LIFETIME,
                DEFAULT_VALID_LIFETIME, DEFAULT_PREFERRED_LIFETIME, DEFAULT_MAX_INTERVAL, false, false);
    }

    /** This configuration with the M and O flags a DHCPv6 server asks for. */
    public Ipv6Config withDhcpv6(boolean newManaged, boolean newOther) {
        return new Ipv6Config(prefix, address, dnsServers, searchDomains, routerLifetime, validLifetime,
                preferredLifetime, maxIntervalSeconds, newManaged, newOther);
    }

    /** This configuration with another MaxRtrAdvInterval (the minimum follows: 0.33 of it). */
    public Ipv6Config withMaxInterval(int seconds) {
        return new Ipv6Config(prefix, address, dnsServers, searchDomains, routerLifetime, validLifetime,
                preferredLifetime, seconds, managed, other);
    }

    /** MinRtrAdvInterval in seconds: RFC 4861 6.2.1's default, 0.33 * MaxRtrAdvInterval (at least 3). */
    public double minIntervalSeconds() {
        return Math.max(3, 0.33 * maxIntervalSeconds);
    }

    /** The lifetime of the RDNSS and DNSSL options: 3 * MaxRtrAdvInterval (RFC 8106 5.1). */
    public long dnsLifetime() {
        return 3L * maxIntervalSeconds;
    }

    /** The domains that NdpDnssl can encode (RFC 1035 labels of printable ASCII), in order. */
    private static List<String> usable(List<String> domains) {
        List<String> out = new ArrayList<>();
        for (String d : domains) {
            try {
                new NdpDnssl(1, List.of(d));
                out.add(d.endsWith(".") ? d.substring(0, d.length() - 1) : d);
            } catch (IllegalArgumentException e) {
                // left out: a name DNSSL cannot carry
            }
        }
        return List.copyOf(out);
    }
}
