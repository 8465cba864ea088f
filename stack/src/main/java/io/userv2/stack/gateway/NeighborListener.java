package io.userv2.stack.gateway;

import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;

/**
 * Hears which IPv6 addresses the gateway's {@link NeighborCache} knows to be in use on the LAN, and by which MAC: the
 * source of the AAAA names of the VMs. Called on the gateway's thread, synchronously; must not block or throw.
 *
 * <p>An address is {@link #learned} when its entry becomes confirmed (the gateway heard from it: traffic, a
 * solicitation with a link-layer address, an advertisement, or the answer to the probe that follows a snooped
 * duplicate address detection), and {@link #forgotten} when that entry goes (no answer to the probes after
 * {@link NeighborCache#staleAfterNanos()} without news, its switch port closed, or another MAC took the address). Every
 * scope is reported, link-local included: the listener picks what it wants.
 */
public interface NeighborListener {
    /** No-op listener. */
    NeighborListener NONE = new NeighborListener() {
        @Override
        public void learned(Ipv6Address address, MacAddress mac, int owner) {
        }

        @Override
        public void forgotten(Ipv6Address address, MacAddress mac, int owner) {
        }
    };

    /**
     * {@code address} is in use at {@code mac}, which came in on switch port {@code owner}
     * ({@link Ipv4Forwarder#NO_OWNER} when unknown).
     */
    void learned(Ipv6Address address, MacAddress mac, int owner);

    /** {@code address} is no longer known at {@code mac} (it was {@link #learned} before). */
    void forgotten(Ipv6Address address, MacAddress mac, int owner);
}
