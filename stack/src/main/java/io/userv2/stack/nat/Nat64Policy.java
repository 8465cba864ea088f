package io.userv2.stack.nat;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import java.util.Objects;

/**
 * Decides where a guest's IPv6 flow to an address of the NAT64 prefix goes (RFC 6146 behaviour, RFC 6052
 * addressing): the IPv4 address embedded in it is taken through the IPv4 {@link NatPolicy} exactly as if the guest had
 * used IPv4 (the host alias, {@code --nat} rules, {@code --no-outside}, never the LAN, the host's loopback only through
 * a rule or the alias), and the flow is relayed through an IPv4 host socket. Also what DNS64 may synthesize: exactly
 * the addresses this would translate. Immutable and thread-safe.
 *
 * <p>RFC 6052 section 3.1: with the Well-Known Prefix, "Address translators MUST NOT translate packets in which an
 * address is composed of the Well-Known Prefix and a non-global IPv4 address; they MUST drop these packets." So with
 * {@code 64:ff9b::/96} a non-global IPv4 address (private, loopback, documentation, the LAN, the host alias) is
 * refused, with one exception: the VIRTUAL address of a {@code --nat} rule, which the operator named as reachable (in
 * tests a documentation address stands for an Internet one). With a network-specific prefix
 * ({@code --nat64-prefix}), which RFC 6052 allows for non-global addresses, everything the IPv4 policy allows is
 * translated, the host alias (its 127.0.0.1) included.
 */
public final class Nat64Policy {
    private final Nat64Prefix prefix;
    private final NatPolicy v4;

    /** A translator for {@code prefix} whose IPv4 side follows {@code v4}. */
    public Nat64Policy(Nat64Prefix prefix, NatPolicy v4) {
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.v4 = Objects.requireNonNull(v4, "v4");
    }

    /** True when {@code destination} is in the NAT64 prefix (translated here, or refused: never NAT66). */
    public boolean covers(Ipv6Address destination) {
        return prefix.contains(destination);
    }

    /**
     * The IPv4 host address to dial for guest destination {@code destination}, or null when it is not in the prefix
     * or the translation is refused.
     */
    public Ipv4Address translate(Ipv6Address destination) {
        Ipv4Address embedded = prefix.extract(destination);
        return embedded == null ? null : translate(embedded);
    }

    /** The IPv4 host address to dial for embedded IPv4 address {@code embedded}, or null when it is refused. */
    public Ipv4Address translate(Ipv4Address embedded) {
        if (prefix.isWellKnown() && !Nat64Prefix.isGlobal(embedded) && !v4.rules().containsKey(embedded)) {
            return null; // RFC 6052 3.1
        }
        return v4.translate(embedded);
    }

    /** The IPv6 address DNS64 answers for {@code v4} (RFC 6147 5.2), or null when the translator would refuse it. */
    public Ipv6Address synthesize(Ipv4Address v4Address) {
        return translate(v4Address) == null ? null : prefix.embed(v4Address);
    }

    /** The prefix. */
    public Nat64Prefix prefix() {
        return prefix;
    }

    /** The IPv4 policy the embedded addresses follow. */
    public NatPolicy ipv4() {
        return v4;
    }
}
