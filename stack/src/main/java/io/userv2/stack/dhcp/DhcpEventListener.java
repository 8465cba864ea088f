package io.userv2.stack.dhcp;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;

/**
 * Things an administrator should hear about, reported by the {@link DhcpServer} (which has no logging of its own;
 * the daemon turns these into log lines). Every method has an empty default. Called synchronously on the engine's
 * thread; must be quick and must not throw.
 */
public interface DhcpEventListener {
    /** A client asked for an address and none was left. */
    default void poolExhausted(MacAddress client) {
    }

    /**
     * A client declined {@code address} because something else on the LAN uses it (RFC 2131 4.3.3: the server "SHOULD
     * notify the local system administrator of a possible configuration problem").
     */
    default void declined(MacAddress client, Ipv4Address address) {
    }

    /** The server refused a client's REQUEST for {@code requested} (it sent a DHCPNAK) for {@code reason}. */
    default void nak(MacAddress client, Ipv4Address requested, String reason) {
    }

    /** A lease loaded from the {@link LeaseStore} was not restored (e.g. outside the pool, or clashing). */
    default void leaseDiscarded(Lease lease, String reason) {
    }

    /**
     * The {@link LeaseStore} could not write a snapshot (it reported {@link SaveCompletion#failed}, or {@code save}
     * threw); the lease table in memory is intact and the ACKs waiting for it were sent anyway. Reported once per
     * run of failures: not again until a snapshot has been stored.
     */
    default void storeFailed(RuntimeException error) {
    }
}
