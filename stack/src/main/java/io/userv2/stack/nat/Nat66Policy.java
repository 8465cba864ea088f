package io.userv2.stack.nat;

import io.userv2.stack.wire.IpAddress;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Prefix;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides where on the host a guest's IPv6 flow goes (NAT66): the gateway's own IPv6 addresses stand for the host's
 * {@code ::1} (the IPv6 host alias), {@code --nat VIRTUAL=REAL} rules with IPv6 addresses map further ones (as
 * {@link NatPolicy}'s do for IPv4), and any other destination is reached as itself unless the network is kept local
 * ({@code --no-outside}). Immutable and thread-safe.
 *
 * <p>Never dialled, whatever the guest asks: {@code ::/64} (the unspecified address, the host's own loopback
 * {@code ::1} other than through the alias, and the IPv4-mapped {@code ::ffff:0:0/96} and IPv4-compatible forms, which
 * would reach the host's IPv4 loopback through a dual-stack socket), multicast {@code ff00::/8}, link-local
 * {@code fe80::/10} (the host's own links), and the LAN's own prefix (other VMs, reached at layer 2, never through the
 * gateway). A rule's REAL address may be {@code ::1} (as an IPv4 rule's may be 127.0.0.1) but nothing else of those.
 *
 * <p>With a {@link Nat64Policy} ({@link #withNat64}), destinations in the NAT64 prefix are not NAT66'd: {@link #route}
 * gives the IPv4 address they translate to (NAT64), or null when the IPv4 side refuses it.
 */
public final class Nat66Policy {
    private final Ipv6Prefix lan;
    private final Set<Ipv6Address> hostAliases;
    private final Map<Ipv6Address, Ipv6Address> rules;
    private final boolean outside;
    private final Nat64Policy nat64;

    /**
     * A policy for the LAN {@code lan} whose {@code hostAliases} (the gateway's IPv6 addresses) reach the host's
     * {@code ::1}.
     *
     * @param outside whether other destinations are reached as themselves (false: the host alias only)
     */
    public Nat66Policy(Ipv6Prefix lan, Set<Ipv6Address> hostAliases, boolean outside) {
        this(lan, hostAliases, Map.of(), outside);
    }

    /**
     * As {@link #Nat66Policy(Ipv6Prefix, Set, boolean)}, with {@code rules} mapping further VIRTUAL -> REAL addresses
     * ({@code --nat}); they are followed whatever {@code outside} says.
     */
    public Nat66Policy(Ipv6Prefix lan, Set<Ipv6Address> hostAliases, Map<Ipv6Address, Ipv6Address> rules,
            boolean outside) {
        this(lan, hostAliases, rules, outside, null);
    }

    private Nat66Policy(Ipv6Prefix lan, Set<Ipv6Address> hostAliases, Map<Ipv6Address, Ipv6Address> rules,
            boolean outside, Nat64Policy nat64) {
        this.lan = Objects.requireNonNull(lan, "lan");
        this.hostAliases = Set.copyOf(hostAliases);
        this.rules = Map.copyOf(rules);
        this.outside = outside;
        this.nat64 = nat64;
    }

    /**
     * This policy with NAT64 on: destinations in {@code nat64}'s prefix go to the IPv4 address it translates them to
     * ({@link #route}). A {@code --nat} rule for an IPv6 address inside the prefix still wins.
     */
    public Nat66Policy withNat64(Nat64Policy nat64) {
        return new Nat66Policy(lan, hostAliases, rules, outside, Objects.requireNonNull(nat64, "nat64"));
    }

    /**
     * Where a guest flow to {@code destination} goes: an {@link Ipv6Address} (NAT66, as {@link #translate}), an
     * {@link io.userv2.stack.wire.Ipv4Address} (NAT64: an IPv4 host socket), or null when it may not be reached.
     */
    public IpAddress route(Ipv6Address destination) {
        return isNat64(destination) ? nat64.translate(destination) : translate(destination);
    }

    /** True when {@code destination} is handled by NAT64 ({@link #route} gives an IPv4 address or null). */
    public boolean isNat64(Ipv6Address destination) {
        return nat64 != null && nat64.covers(destination) && !hostAliases.contains(destination)
                && !rules.containsKey(destination);
    }

    /** The NAT64 translator, or null when NAT64 is off. */
    public Nat64Policy nat64() {
        return nat64;
    }

    /** The host address to send to for guest destination {@code destination}, or null when it may not be reached. */
    public Ipv6Address translate(Ipv6Address destination) {
        if (hostAliases.contains(destination)) {
            return Ipv6Address.LOOPBACK;
        }
        Ipv6Address real = rules.get(destination);
        if (real != null) {
            return real.isLoopback() || dialable(real) ? real : null;
        }
        if (!outside || !dialable(destination) || lan.contains(destination)) {
            return null;
        }
        return destination;
    }

    /** Not in {@code ::/64}, not multicast, not link-local. */
    private static boolean dialable(Ipv6Address a) {
        return a.high() != 0 && !a.isMulticast() && !a.isLinkLocal();
    }

    /** The addresses that stand for the host's {@code ::1}. */
    public Set<Ipv6Address> hostAliases() {
        return hostAliases;
    }

    /** The {@code --nat} rules with IPv6 addresses, VIRTUAL -> REAL. */
    public Map<Ipv6Address, Ipv6Address> rules() {
        return rules;
    }

    /** Whether destinations other than the host alias and the rules are reachable. */
    public boolean outside() {
        return outside;
    }
}
