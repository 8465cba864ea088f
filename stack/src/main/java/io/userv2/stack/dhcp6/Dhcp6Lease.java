package io.userv2.stack.dhcp6;

import io.userv2.stack.wire.MacAddress;
import java.net.Inet6Address;
import java.time.Instant;
import java.util.Objects;

/**
 * A snapshot of one stateful DHCPv6 binding: an address for one IA_NA of one client, the form listeners see and
 * {@link Dhcp6LeaseStore}s persist. Immutable.
 *
 * <p>A binding is identified by (DUID, IAID) (RFC 8415 section 4.2: "binding ... indexed by the tuple &lt;DUID,
 * IA-type, IAID&gt;"; only IA_NA is served here). As with the IPv4 leases, expiry is wall-clock time so that it survives
 * a restart, and a released lease keeps its association (the client gets the same address back) with the release
 * time as expiry, so "active" is simply "expires in the future".
 *
 * @param duid               the client's DUID (Client Identifier)
 * @param iaid               the IA_NA's IAID
 * @param address            the address bound to it
 * @param mac                the Ethernet source of the client's last message that bound or renewed it
 * @param expiresEpochMillis when the valid lifetime ends or ended
 */
public record Dhcp6Lease(Duid duid, int iaid, Inet6Address address, MacAddress mac, long expiresEpochMillis) {
    /** Requires every reference field. */
    public Dhcp6Lease {
        Objects.requireNonNull(duid, "duid");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(mac, "mac");
    }

    /** True when the lease is in force at {@code epochMillis}. */
    public boolean isActiveAt(long epochMillis) {
        return expiresEpochMillis > epochMillis;
    }

    /** E.g. {@code fd00::1234 for 00:01:00:01:32:a5:f5:ab:52:55:55:12:34:56 IAID 1 at 52:55:55:12:34:56 until ...}. */
    @Override
    public String toString() {
        return Dhcp6Repr.format(address) + " for " + duid + " IAID " + Integer.toUnsignedString(iaid) + " at " + mac
                + " until " + Instant.ofEpochMilli(expiresEpochMillis);
    }
}
