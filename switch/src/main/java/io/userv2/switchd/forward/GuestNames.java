package io.userv2.switchd.forward;

import io.userv2.dns.InternalZone;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Subnet;
import java.net.Inet4Address;
import java.net.InetAddress;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/**
 * Where a forward's guest is now. A forward names its guest by IPv4 literal or by a name (gvproxy accepts
 * {@code "remote": "nohost:22"} too, but never looks the name up: v0.6.2 forwards to no address and each connection
 * dies after its 10 s dial timeout, later releases fail the call). Here a name is looked up when a connection or a UDP
 * session starts, among the names the gateway's DNS answers itself ({@link InternalZone}: API zones such as Lima's
 * {@code lima-NAME.internal}, DHCP hostnames, {@code --dns-host}); a bare label is also tried under the DHCP domain,
 * so {@code lima-web} finds {@code lima-web.internal}. Never the host's resolver or an upstream: a forward goes to
 * the LAN. An answer outside the LAN, or the gateway's own address, counts as no answer.
 */
@FunctionalInterface
public interface GuestNames {
    /**
     * The guest's address now, or null when {@code host} is a name with no usable answer.
     *
     * @param host an IPv4 literal or a name, as {@link ForwardSpec#guestHost()}
     */
    Ipv4Address resolve(String host);

    /** Literals only: every name is unknown (tests, and a switch without DNS). */
    GuestNames LITERALS_ONLY = host -> null;

    /** The guest of {@code spec}: its literal, or its name through {@code names}; null when unknown. */
    static Ipv4Address of(ForwardSpec spec, GuestNames names) {
        Ipv4Address literal = spec.guestLiteral();
        return literal != null ? literal : names.resolve(spec.guestHost());
    }

    /** Names from {@code zone}, kept to addresses of {@code subnet} other than {@code gateway}. */
    static GuestNames of(InternalZone zone, Ipv4Subnet subnet, Ipv4Address gateway) {
        return host -> {
            InetAddress a = lookup(zone, host);
            if (!(a instanceof Inet4Address)) {
                return null;
            }
            Ipv4Address ip = Ipv4Address.of(a.getAddress());
            return subnet.contains(ip) && !ip.equals(gateway) ? ip : null;
        };
    }

    private static InetAddress lookup(InternalZone zone, String host) {
        try {
            InetAddress a = zone.lookup(Name.fromString(host, Name.root));
            if (a == null && host.indexOf('.') < 0) {
                Name under = zone.dhcpName(host);
                a = under == null ? null : zone.lookup(under);
            }
            return a;
        } catch (TextParseException e) {
            return null;
        }
    }
}
