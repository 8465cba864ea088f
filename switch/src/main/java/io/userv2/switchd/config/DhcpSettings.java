package io.userv2.switchd.config;

import io.userv2.stack.dhcp.DhcpConfig;
import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.Ipv4Address;
import java.nio.file.Path;
import java.util.List;

/**
 * How the gateway's DHCP server hands out addresses.
 *
 * @param leasesFile where the lease table is kept across restarts (written atomically), or null to keep it in
 *     memory only
 * @param staticLeases fixed address for a MAC ({@code --lease IP=MAC}, {@code --leases ip=mac,...})
 * @param poolStart the first address handed out, or null for the first host address after the gateway
 * @param leaseSeconds the lease time ({@code --dhcp-lease-time}), {@link #MIN_LEASE_SECONDS} to
 *     {@link #MAX_LEASE_SECONDS}; T1 and T2 are 1/2 and 7/8 of it
 */
public record DhcpSettings(Path leasesFile, List<StaticLease> staticLeases, Ipv4Address poolStart,
                           long leaseSeconds) {
    /**
     * The shortest lease time: short enough that a test sees a client renew (T1 = 5 s) and rebind (T2 = 8 s), long
     * enough that the server's expiry sweep (every 10 s) and a busy guest keep up.
     */
    public static final long MIN_LEASE_SECONDS = 10;
    /** The longest lease time: 2^31 - 1 s, so that clients reading it as a signed 32-bit number see it right. */
    public static final long MAX_LEASE_SECONDS = Integer.MAX_VALUE;
    /** No persistence, no static leases. */
    public static final DhcpSettings EPHEMERAL = new DhcpSettings(null, List.of(), null);

    /** Settings with the default pool and lease time. */
    public DhcpSettings(Path leasesFile, List<StaticLease> staticLeases) {
        this(leasesFile, staticLeases, null);
    }

    /** Settings with the default lease time ({@link DhcpConfig#DEFAULT_LEASE_SECONDS}, one hour as gvproxy). */
    public DhcpSettings(Path leasesFile, List<StaticLease> staticLeases, Ipv4Address poolStart) {
        this(leasesFile, staticLeases, poolStart, DhcpConfig.DEFAULT_LEASE_SECONDS);
    }

    /** Copies the list; checks the lease time (the message names {@code --dhcp-lease-time}, where it comes from). */
    public DhcpSettings {
        staticLeases = List.copyOf(staticLeases);
        if (leaseSeconds < MIN_LEASE_SECONDS || leaseSeconds > MAX_LEASE_SECONDS) {
            throw new IllegalArgumentException("--dhcp-lease-time must be " + MIN_LEASE_SECONDS + " to "
                    + MAX_LEASE_SECONDS + " seconds, got " + leaseSeconds);
        }
    }

    /** These settings with another lease time (checked as by the constructor). */
    public DhcpSettings withLeaseSeconds(long seconds) {
        return new DhcpSettings(leasesFile, staticLeases, poolStart, seconds);
    }
}
