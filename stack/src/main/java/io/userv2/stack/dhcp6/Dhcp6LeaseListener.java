package io.userv2.stack.dhcp6;

/**
 * Observes stateful DHCPv6 bindings (e.g. for the DNS zone or the IPv6 source guard). Register with
 * {@link Dhcp6Server#setLeaseListener}, which first replays every active lease through {@link #onLease}. Called
 * synchronously on the engine's thread; must be quick, must not throw, must not call back into the server's mutating
 * methods.
 */
public interface Dhcp6LeaseListener {
    /**
     * A binding became active (new, or renewed after it expired or was released), or an active binding changed its
     * address or MAC. A renewal that changes nothing but the expiry is not reported.
     */
    default void onLease(Dhcp6Lease lease) {
    }

    /** The client released the address (Release), or declined it (Decline) while it was bound. */
    default void onRelease(Dhcp6Lease lease) {
    }

    /** The valid lifetime ran out without renewal (noticed by {@link Dhcp6Server#expire}). */
    default void onExpire(Dhcp6Lease lease) {
    }
}
