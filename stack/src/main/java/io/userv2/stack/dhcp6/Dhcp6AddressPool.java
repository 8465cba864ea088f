package io.userv2.stack.dhcp6;

import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.Set;

/**
 * The stateful pool of a {@link Dhcp6Config}: interface identifiers {@code [poolStart, poolEnd]} of one /64, minus
 * excluded addresses (see the config), and the stable place of each IA in it.
 *
 * <p>Stable addresses: an IA's first choice is the SHA-256 of its DUID octets followed by its IAID (4 octets, network
 * order), the first 8 octets read as an unsigned number, modulo the pool size, from the pool start. A collision moves
 * on to the next identifier (linear probing, wrapping). So a client gets the same address after a restart that lost
 * the lease file, unless another client took that place first; the {@link Dhcp6LeaseStore} keeps it exact. SHA-256 is
 * fixed by the JDK, so the places do not change between versions. Immutable.
 */
final class Dhcp6AddressPool {
    /** RFC 2526: the reserved subnet anycast interface identifiers of a /64 are the top 128 of fdff:ffff:ffff:ff80. */
    static final long ANYCAST_FIRST = 0xFDFF_FFFF_FFFF_FF80L;
    /** Last of the reserved subnet anycast identifiers. */
    static final long ANYCAST_LAST = 0xFDFF_FFFF_FFFF_FFFFL;

    private final long prefixHi;
    private final long start;
    private final long end;
    private final Set<Long> excluded = new HashSet<>();

    Dhcp6AddressPool(Dhcp6Config config) {
        this.prefixHi = config.prefix() == null ? 0 : Ipv6Bits.hi(config.prefix());
        this.start = config.poolStart();
        this.end = config.poolEnd();
        for (Inet6Address a : config.reserved()) {
            exclude(a);
        }
        for (Inet6Address a : config.dnsServers()) {
            exclude(a);
        }
    }

    private void exclude(Inet6Address a) {
        if (Ipv6Bits.hi(a) == prefixHi) {
            excluded.add(Ipv6Bits.lo(a));
        }
    }

    /** True when {@code a} is inside the /64 ("appropriate for the link", RFC 8415 section 18.3.3). */
    boolean onLink(Inet6Address a) {
        return Ipv6Bits.hi(a) == prefixHi;
    }

    /** True when interface identifier {@code iid} may be leased. */
    boolean isDynamic(long iid) {
        return Long.compareUnsigned(iid, start) >= 0 && Long.compareUnsigned(iid, end) <= 0 && iid != 0
                && !(Long.compareUnsigned(iid, ANYCAST_FIRST) >= 0 && Long.compareUnsigned(iid, ANYCAST_LAST) <= 0)
                && !excluded.contains(iid);
    }

    /** How many addresses of the range are excluded at most (reserved, DNS, anycast): bounds a probe. */
    long excludedCount() {
        return excluded.size() + (ANYCAST_LAST - ANYCAST_FIRST + 1);
    }

    /** The address of interface identifier {@code iid}. */
    Inet6Address address(long iid) {
        return Ipv6Bits.of(prefixHi, iid);
    }

    /** The number of identifiers in the range (excluded ones included), at least 1; unsigned, saturating. */
    long span() {
        long s = end - start + 1;
        return s == 0 ? -1L : s; // the whole 2^64 cannot be configured (start >= 1), kept safe anyway
    }

    /** The {@code i}-th identifier after {@code from} (in the range), wrapping inside the range; {@code i < span}. */
    long next(long from, long i) {
        long offset = from - start;
        long room = span() - offset; // identifiers from 'from' to the end of the range, 'from' included
        return Long.compareUnsigned(i, room) < 0 ? from + i : start + (i - room);
    }

    /** The first place of the IA (DUID, IAID) in the pool (see the class comment). */
    long stablePlace(Duid duid, int iaid) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        sha.update(duid.toByteArray());
        sha.update(ByteBuffer.allocate(4).putInt(iaid).array());
        long h = ByteBuffer.wrap(sha.digest()).getLong();
        return start + Long.remainderUnsigned(h, span());
    }
}
