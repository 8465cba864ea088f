package io.userv2.dns;

import java.net.Inet4Address;
import java.net.Inet6Address;

/**
 * DNS64 (RFC 6147) as the {@link DnsServer} applies it: when set ({@link DnsConfig.Builder#dns64}), an AAAA query
 * for a name that has A records but no AAAA records is answered with AAAA records synthesized from the A records
 * ({@link #synthesize}), which the NAT64 translator behind the gateway relays to those IPv4 addresses. Names with
 * AAAA records keep them. A PTR query for an address in the prefix (its {@code ip6.arpa} name) is answered with
 * a CNAME to the IPv4 address's {@code in-addr.arpa} name and, when at hand, its PTR records (RFC 6147 5.3.1;
 * {@link #embedded}). The owner (the switch) implements it with the translator's own prefix and policy, so the
 * server synthesizes exactly the addresses the translator will take. Implementations must be thread-safe and fast
 * (called on the server's worker threads, never blocking).
 */
public interface Dns64 {
    /**
     * The IPv6 address to answer for IPv4 address {@code v4} (RFC 6052 embedding in the NAT64 prefix), or null when
     * {@code v4} is one the translator would refuse (then no AAAA is synthesized from it; RFC 6147 5.1.4 lets a
     * DNS64 exclude A records).
     */
    Inet6Address synthesize(Inet4Address v4);

    /**
     * The IPv4 address {@code v6} embeds when it lies in the NAT64 prefix, else null; used to answer PTR queries for
     * synthesized addresses (RFC 6147 5.3.1).
     */
    Inet4Address embedded(Inet6Address v6);
}
