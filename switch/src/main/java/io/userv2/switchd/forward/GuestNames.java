package io.userv2.switchd.forward;

import io.userv2.dns.InternalZone;
import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Predicate;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Where a forward's guest is now. A forward names its guest by literal or by a name (gvproxy accepts
 * {@code "remote": "nohost:22"} too, but never looks the name up: v0.6.2 forwards to no address and each connection
 * dies after its 10 s dial timeout, later releases fail the call). Here a name is looked up when a connection or a UDP
 * session starts, among the names the gateway's DNS answers itself ({@link InternalZone}: API zones such as Lima's
 * {@code lima-NAME.internal}, DHCP hostnames, {@code --dns-host}); a bare label is also tried under the DHCP domain,
 * so {@code lima-web} finds {@code lima-web.internal}. Never the host's resolver or an upstream: a forward goes to
 * the LAN. An answer outside the LAN, or the gateway's own address, counts as no answer.
 *
 * <p>A name means its IPv4 address (A) unless the forward asks for IPv6 ({@link ForwardSpec#ipv6()}: the name was
 * written in brackets); then the first of its IPv6 addresses (AAAA: what the gateway heard the VM use, its DHCPv6
 * lease) in the LAN's IPv6 prefix.
 */
public interface GuestNames {
    /**
     * The guest's IPv4 address now, or null when {@code host} is a name with no usable answer.
     *
     * @param host a name, as {@link ForwardSpec#guestHost()}
     */
    Ipv4Address resolve(String host);

    /** The guest's IPv6 address now, or null when {@code host} has none on the LAN (or IPv6 is off). */
    default Ipv6Address resolveIpv6(String host) {
        return null;
    }

    /** Literals only: every name is unknown (tests, and a switch without DNS). */
    GuestNames LITERALS_ONLY = host -> null;

    /** The guest of {@code spec}: its literal, or its name through {@code names} (A, or AAAA if asked); null when unknown. */
    static IpAddress of(ForwardSpec spec, GuestNames names) {
        IpAddress literal = spec.guestLiteral();
        if (literal != null) {
            return literal;
        }
        return spec.ipv6() ? names.resolveIpv6(spec.guestHost()) : names.resolve(spec.guestHost());
    }

    /** Names from {@code zone}, kept to addresses of {@code subnet} other than {@code gateway}; IPv4 only. */
    static GuestNames of(InternalZone zone, Ipv4Subnet subnet, Ipv4Address gateway) {
        return of(zone, subnet, gateway, null, a -> false);
    }

    /**
     * Names from {@code zone}: IPv4 answers kept to {@code subnet} other than {@code gateway}, IPv6 ones to
     * {@code prefix6} (null: no IPv6) other than the addresses {@code gateway6} owns.
     */
    static GuestNames of(InternalZone zone, Ipv4Subnet subnet, Ipv4Address gateway, Ipv6Prefix prefix6,
            Predicate<Ipv6Address> gateway6) {
        return new GuestNames() {
            @Override
            public Ipv4Address resolve(String host) {
                for (InetAddress a : lookup(zone, host)) {
                    if (a instanceof Inet4Address) {
                        Ipv4Address ip = Ipv4Address.of(a.getAddress());
                        return subnet.contains(ip) && !ip.equals(gateway) ? ip : null;
                    }
                }
                return null;
            }

            @Override
            public Ipv6Address resolveIpv6(String host) {
                if (prefix6 == null) {
                    return null;
                }
                for (InetAddress a : lookup(zone, host)) {
                    if (a instanceof Inet6Address a6) {
                        Ipv6Address ip = Ipv6Address.of(a6);
                        if (prefix6.contains(ip) && !gateway6.test(ip)) {
                            return ip;
                        }
                    }
                }
                return null;
            }
        };
    }

    private static List<InetAddress> lookup(InternalZone zone, String host) {
        try {
            List<InetAddress> all = zone.lookupAll(Name.fromString(host, Name.root));
            if (all.isEmpty() && host.indexOf('.') < 0) {
                Name under = zone.dhcpName(host);
                all = under == null ? List.of() : zone.lookupAll(under);
            }
            return all;
        } catch (TextParseException e) {
            return List.of();
        }
    }
}
