package io.userv2.stack.dhcp;

/**
 * Observes the lease lifecycle, e.g. to keep the DNS zone {@code lima-NAME.internal} in step with the addresses
 * handed out. Register with {@link DhcpServer#setLeaseListener}, which first replays every lease active at that
 * moment through {@link #onLease}.
 *
 * <p>Called synchronously on the engine's thread while the server handles a message; implementations must be quick,
 * must not throw, and must not call back into the server's mutating methods.
 */
public interface LeaseListener {
    /**
     * A binding became active (new lease, or renewal of a lease that had expired or been released), or an active
     * binding changed its address or host name. A renewal that changes nothing but the expiry is not reported.
     */
    default void onLease(Lease lease) {
    }

    /** The client released its address (DHCPRELEASE), or declined it (DHCPDECLINE) while it was bound. */
    default void onRelease(Lease lease) {
    }

    /** The lease ran out without renewal (noticed by {@link DhcpServer#expire}). */
    default void onExpire(Lease lease) {
    }
}
