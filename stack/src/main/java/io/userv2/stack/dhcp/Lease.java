package io.userv2.stack.dhcp;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.time.Instant;
import java.util.Objects;

/**
 * A snapshot of one client's binding: the form listeners see and {@link LeaseStore}s persist. Immutable.
 *
 * <p>Expiry is wall-clock time (epoch milliseconds) so that it survives a restart; the server works on a monotonic
 * clock internally and converts with its {@link TimeBase}. A released lease keeps its MAC-to-address association (the
 * client gets the same address back later) with the release time as expiry, so "active" is simply "expires in the
 * future".
 *
 * @param mac                the client's hardware address
 * @param ip                 the address bound to it
 * @param hostname           the client's Host Name (option 12) as last sent, or null
 * @param expiresEpochMillis when the lease ends or ended; 0 for a static lease that was never bound
 * @param staticLease        true for an address from the static lease configuration
 */
public record Lease(MacAddress mac, Ipv4Address ip, String hostname, long expiresEpochMillis, boolean staticLease) {
    /** Requires mac and ip. */
    public Lease {
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(ip, "ip");
    }

    /** True when the lease is in force at {@code epochMillis}. */
    public boolean isActiveAt(long epochMillis) {
        return expiresEpochMillis > epochMillis;
    }

    /** E.g. {@code 192.168.104.3 at 52:55:55:12:34:56 "lima-vm1" until 2026-01-01T10:00:00Z}. */
    @Override
    public String toString() {
        return ip + " at " + mac + (hostname == null ? "" : " \"" + hostname + "\"")
                + (expiresEpochMillis == 0 ? " never bound" : " until " + Instant.ofEpochMilli(expiresEpochMillis))
                + (staticLease ? " (static)" : "");
    }
}
