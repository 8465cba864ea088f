package io.userv2.switchd.services;

import io.userv2.dns.InternalZone;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.dhcp.LeaseListener;

/**
 * Keeps the DNS internal zone in step with DHCP: a VM whose DHCP hostname is {@code lima-NAME} answers as
 * {@code lima-NAME.internal} (any other hostname {@code H} as {@code H.internal}) while its lease is active, so VMs
 * find each other by name with no API call (Lima registers nothing for {@code socket:} networks).
 */
public final class LeaseNames implements LeaseListener {
    private static final System.Logger LOG = System.getLogger(LeaseNames.class.getName());
    private final InternalZone zone;

    /** Publishes lease names into {@code zone}. */
    public LeaseNames(InternalZone zone) {
        this.zone = zone;
    }

    @Override
    public void onLease(Lease lease) {
        // A lease that moved address or changed name: drop whatever pointed at the address before.
        zone.removeAddress(lease.ip().toInetAddress());
        if (lease.hostname() != null) {
            var name = zone.put(lease.hostname(), lease.ip().toInetAddress());
            if (name != null) {
                LOG.log(System.Logger.Level.INFO, "dns: " + name + " -> " + lease.ip() + " (" + lease.mac() + ")");
            }
        }
    }

    @Override
    public void onRelease(Lease lease) {
        zone.removeAddress(lease.ip().toInetAddress());
    }

    @Override
    public void onExpire(Lease lease) {
        zone.removeAddress(lease.ip().toInetAddress());
    }
}
