package io.userv2.stack.nat;

import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import java.util.Objects;
import java.util.Set;

/**
 * Decides where on the host a guest's IPv6 flow goes (NAT66): the gateway's own IPv6 addresses stand for the host's
 * {@code ::1} (the IPv6 host alias), and any other destination is reached as itself unless the network is kept local
 * ({@code --no-outside}). Immutable and thread-safe.
 *
 * <p>Never dialled, whatever the guest asks: {@code ::/64} (the unspecified address, the host's own loopback
 * {@code ::1} other than through the alias, and the IPv4-mapped {@code ::ffff:0:0/96} and IPv4-compatible forms, which
 * would reach the host's IPv4 loopback through a dual-stack socket), multicast {@code ff00::/8}, link-local
 * {@code fe80::/10} (the host's own links), and the LAN's own prefix (other VMs, reached at layer 2, never through the
 * gateway).
 */
public final class Nat66Policy {
    private final Ipv6Prefix lan;
    private final Set<Ipv6Address> hostAliases;
    private final boolean outside;

    /**
     * A policy for the LAN {@code lan} whose {@code hostAliases} (the gateway's IPv6 addresses) reach the host's
     * {@code ::1}.
     *
     * @param outside whether other destinations are reached as themselves (false: the host alias only)
     */
    public Nat66Policy(Ipv6Prefix lan, Set<Ipv6Address> hostAliases, boolean outside) {
        this.lan = Objects.requireNonNull(lan, "lan");
        this.hostAliases = Set.copyOf(hostAliases);
        this.outside = outside;
    }

    /** The host address to send to for guest destination {@code destination}, or null when it may not be reached. */
    public Ipv6Address translate(Ipv6Address destination) {
        if (hostAliases.contains(destination)) {
            return Ipv6Address.LOOPBACK;
        }
        if (!outside || destination.high() == 0 || destination.isMulticast() || destination.isLinkLocal()
                || lan.contains(destination)) {
            return null;
        }
        return destination;
    }

    /** The addresses that stand for the host's {@code ::1}. */
    public Set<Ipv6Address> hostAliases() {
        return hostAliases;
    }

    /** Whether destinations other than the host alias are reachable. */
    public boolean outside() {
        return outside;
    }
}
