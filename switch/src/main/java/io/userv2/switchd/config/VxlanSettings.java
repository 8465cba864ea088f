package io.userv2.switchd.config;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.VxlanHeader;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The VXLAN uplink (RFC 7348) and the pure-switch mode that goes with it on a second host.
 *
 * @param local the address and UDP port the VXLAN socket binds ({@code --vxlan-local}), or null: no VXLAN. Never a
 *     wildcard: VXLAN has no authentication, so it listens only where the user says
 * @param remotes the remote tunnel endpoints ({@code --vxlan}); each is a port of the switch
 * @param vni the 24-bit VXLAN Network Identifier ({@code --vni})
 * @param learnRemotes accept datagrams from endpoints not in {@code remotes}, each becoming a port of its own that
 *     ages out like a MAC address ({@code --vxlan-learn-remotes}); off: such datagrams are dropped and counted
 * @param underlayMtu the underlay's IP MTU ({@code --vxlan-underlay-mtu}), or 0: read it from the interface that
 *     holds {@code local} (1500 when that cannot be read)
 * @param noGateway a pure switch ({@code --no-gateway}): no gateway port, no ARP, DHCP, DNS or NAT of its own, so the
 *     guests use another host's gateway over the tunnel
 */
public record VxlanSettings(InetSocketAddress local, List<InetSocketAddress> remotes, int vni, boolean learnRemotes,
        int underlayMtu, boolean noGateway) {
    /** No VXLAN, a gateway of our own. */
    public static final VxlanSettings NONE = new VxlanSettings(null, List.of(), 0, false, 0, false);
    /** The underlay MTU assumed when the interface's cannot be read. */
    public static final int DEFAULT_UNDERLAY_MTU = 1500;

    /** Validates the combination; throws IllegalArgumentException with a user-facing message. */
    public VxlanSettings {
        remotes = List.copyOf(remotes);
        if (local == null && (!remotes.isEmpty() || learnRemotes)) {
            throw new IllegalArgumentException("--vxlan and --vxlan-learn-remotes need --vxlan-local ADDR[:PORT]");
        }
        if (local != null && local.getAddress().isAnyLocalAddress()) {
            throw new IllegalArgumentException("--vxlan-local must be one address of this host, not a wildcard"
                    + " (VXLAN has no authentication: bind it to a private underlay)");
        }
        if (local != null && remotes.isEmpty() && !learnRemotes) {
            throw new IllegalArgumentException("--vxlan-local needs at least one --vxlan REMOTE (or"
                    + " --vxlan-learn-remotes)");
        }
        if ((vni & ~VxlanHeader.MAX_VNI) != 0) {
            throw new IllegalArgumentException("--vni must be between 0 and " + VxlanHeader.MAX_VNI + " (24 bits),"
                    + " got " + vni);
        }
        if (underlayMtu != 0 && (underlayMtu < 576 || underlayMtu > 65535)) {
            throw new IllegalArgumentException("--vxlan-underlay-mtu must be between 576 and 65535, got "
                    + underlayMtu);
        }
    }

    /** True when a VXLAN socket is configured. */
    public boolean enabled() {
        return local != null;
    }

    /** This configuration in pure-switch mode, or not. */
    public VxlanSettings withNoGateway(boolean on) {
        return new VxlanSettings(local, remotes, vni, learnRemotes, underlayMtu, on);
    }

    /**
     * Parses {@code IPV4[:PORT]} (port 4789, the IANA VXLAN port, when absent). Only IPv4 literals: names are never
     * resolved, and the 50-byte encapsulation (and so the MTU rule) is IPv4's.
     */
    public static InetSocketAddress parseEndpoint(String text, String option) {
        String t = text.trim();
        int colon = t.lastIndexOf(':');
        String host = colon < 0 ? t : t.substring(0, colon);
        int port = VxlanHeader.IANA_PORT;
        if (colon >= 0) {
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException(option + ": bad port in '" + text + "'");
            }
        }
        Ipv4Address ip;
        try {
            ip = Ipv4Address.parse(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " takes IPV4[:PORT] (an IPv4 literal), got '" + text + "'");
        }
        return new InetSocketAddress(ip.toInetAddress(), port);
    }
}
