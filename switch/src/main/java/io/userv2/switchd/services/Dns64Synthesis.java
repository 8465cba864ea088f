package io.userv2.switchd.services;

import io.userv2.dns.Dns64;
import io.userv2.stack.nat.Nat64Policy;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import java.net.Inet4Address;
import java.net.Inet6Address;

/**
 * The gateway DNS's DNS64 ({@link Dns64}) backed by the NAT64 translator's own {@link Nat64Policy}: an AAAA record is
 * synthesized exactly for the IPv4 addresses the translator will relay (so with the Well-Known Prefix none for
 * private, loopback or documentation addresses unless a {@code --nat} rule names them; nothing outside with
 * {@code --no-outside}), in the translator's prefix. Immutable and thread-safe.
 */
final class Dns64Synthesis implements Dns64 {
    private final Nat64Policy nat64;

    Dns64Synthesis(Nat64Policy nat64) {
        this.nat64 = nat64;
    }

    @Override
    public Inet6Address synthesize(Inet4Address v4) {
        Ipv6Address a = nat64.synthesize(Ipv4Address.of(v4.getAddress()));
        return a == null ? null : a.toInetAddress();
    }

    @Override
    public Inet4Address embedded(Inet6Address v6) {
        Ipv4Address a = nat64.prefix().extract(Ipv6Address.of(v6));
        return a == null ? null : a.toInetAddress();
    }
}
