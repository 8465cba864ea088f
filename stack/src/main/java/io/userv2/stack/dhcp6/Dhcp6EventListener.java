package io.userv2.stack.dhcp6;

import java.net.Inet6Address;

/**
 * Things an administrator should hear about, reported by the {@link Dhcp6Server} (which does no logging; the daemon
 * turns these into log lines). Every method has an empty default. Called synchronously on the engine's thread; must
 * be quick and must not throw.
 */
public interface Dhcp6EventListener {
    /** A client wanted an address and the pool (or the table's total cap) had none left. */
    default void poolExhausted(Duid client) {
    }

    /**
     * Switch port {@code port} already holds {@link Dhcp6Config#maxLeasesPerPort()} bindings and offers, none of them
     * reusable, so {@code client} (a new DUID/IAID on that port) got NoAddrsAvail.
     */
    default void portCapReached(int port, Duid client) {
    }

    /** A client declined {@code address}: something else on the LAN uses it (RFC 8415 section 18.3.8). */
    default void declined(Duid client, Inet6Address address) {
    }

    /** A lease loaded from the {@link Dhcp6LeaseStore} was not restored (e.g. outside the pool, or clashing). */
    default void leaseDiscarded(Dhcp6Lease lease, String reason) {
    }

    /**
     * The {@link Dhcp6LeaseStore} could not write a snapshot; the table in memory is intact and the Replies waiting
     * for it were sent anyway. Reported once per run of failures.
     */
    default void storeFailed(RuntimeException error) {
    }
}
