package io.userv2.switchd.config;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.VxlanHeader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
 * @param gatewayRemote in pure-switch mode, the remote behind which the LAN's gateway lives
 *     ({@code --vxlan-gateway}): one of {@code remotes}, matched by address; null: the first of {@code remotes}
 *     (see {@link #gatewayHost()})
 */
public record VxlanSettings(InetSocketAddress local, List<InetSocketAddress> remotes, int vni, boolean learnRemotes,
        int underlayMtu, boolean noGateway, InetSocketAddress gatewayRemote) {
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
        Map<InetAddress, InetSocketAddress> seen = new HashMap<>();
        for (InetSocketAddress r : remotes) {
            InetSocketAddress before = seen.putIfAbsent(r.getAddress(), r);
            if (before != null) {
                // A remote is one address (the kernel matches datagrams by outer source address only): two ports
                // of one address would silently be one remote.
                throw new IllegalArgumentException("--vxlan " + text(before) + " and --vxlan " + text(r)
                        + ": the same remote address twice; give each remote once (a remote is one IPv4 address,"
                        + " with one UDP port)");
            }
        }
        if (gatewayRemote != null && !noGateway) {
            throw new IllegalArgumentException("--vxlan-gateway is for a switch without a gateway of its own"
                    + " (--no-gateway)");
        }
        if (gatewayRemote != null && !seen.containsKey(gatewayRemote.getAddress())) {
            throw new IllegalArgumentException("--vxlan-gateway " + gatewayRemote.getAddress().getHostAddress()
                    + " is not one of the --vxlan remotes " + remotes.stream().map(VxlanSettings::text).toList());
        }
        if (noGateway && local != null && remotes.isEmpty()) {
            throw new IllegalArgumentException("--no-gateway with VXLAN needs the gateway's host as a --vxlan remote"
                    + " (remotes learned from their datagrams may not carry the LAN's gateway)");
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

    /** As the canonical constructor, the gateway's remote (in pure-switch mode) being the first remote. */
    public VxlanSettings(InetSocketAddress local, List<InetSocketAddress> remotes, int vni, boolean learnRemotes,
            int underlayMtu, boolean noGateway) {
        this(local, remotes, vni, learnRemotes, underlayMtu, noGateway, null);
    }

    /**
     * In pure-switch mode with VXLAN, the address of the remote behind which the LAN's gateway lives: the one given
     * with {@code --vxlan-gateway}, else the first {@code --vxlan} remote. The gateway's MAC is pinned to that
     * remote from the start: no other remote, and no VM, can take it, whoever speaks first and however long the
     * gateway is silent. Null with a gateway of our own or without VXLAN.
     */
    public InetAddress gatewayHost() {
        if (!noGateway || local == null) {
            return null;
        }
        return gatewayRemote != null ? gatewayRemote.getAddress() : remotes.get(0).getAddress();
    }

    private static String text(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** True when a VXLAN socket is configured. */
    public boolean enabled() {
        return local != null;
    }

    /** This configuration in pure-switch mode, or not. */
    public VxlanSettings withNoGateway(boolean on) {
        return new VxlanSettings(local, remotes, vni, learnRemotes, underlayMtu, on, on ? gatewayRemote : null);
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
