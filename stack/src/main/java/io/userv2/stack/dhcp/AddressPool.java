package io.userv2.stack.dhcp;

import java.util.Set;

/**
 * The dynamic address range of a {@link DhcpConfig}: {@code [poolStart, poolEnd]} minus the server, router, DNS,
 * reserved and static addresses. Addresses are compared unsigned (192.168.x.x is negative as an {@code int}).
 * Immutable.
 */
final class AddressPool {
    private final long start;
    private final long end;
    private final Set<Integer> excluded;

    AddressPool(DhcpConfig config) {
        this.start = Integer.toUnsignedLong(config.poolStart().bits());
        this.end = Integer.toUnsignedLong(config.poolEnd().bits());
        this.excluded = Set.copyOf(config.excludedAddresses());
    }

    /** True when {@code ip} may be handed out dynamically. */
    boolean isDynamic(int ip) {
        long u = Integer.toUnsignedLong(ip);
        return u >= start && u <= end && !excluded.contains(ip);
    }

    /** The first address of the range (as bits). */
    int first() {
        return (int) start;
    }

    /** The number of addresses in the range, excluded ones included. */
    long span() {
        return end - start + 1;
    }
}
