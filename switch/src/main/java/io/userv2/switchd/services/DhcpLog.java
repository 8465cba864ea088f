package io.userv2.switchd.services;

import io.userv2.stack.dhcp.DhcpEventListener;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;

/** Turns the DHCP server's events into log lines for the administrator. */
public final class DhcpLog implements DhcpEventListener {
    private static final System.Logger LOG = System.getLogger(DhcpLog.class.getName());

    @Override
    public void poolExhausted(MacAddress client) {
        LOG.log(System.Logger.Level.WARNING, "dhcp: no free address left for " + client);
    }

    @Override
    public void declined(MacAddress client, Ipv4Address address) {
        LOG.log(System.Logger.Level.WARNING, "dhcp: address conflict: " + client + " declined " + address
                + " (something else on the LAN uses it); it is not handed out for a while (a static lease's client"
                + " gets a pool address meanwhile)");
    }

    @Override
    public void nak(MacAddress client, Ipv4Address requested, String reason) {
        LOG.log(System.Logger.Level.INFO, "dhcp: NAK to " + client + " for " + requested + ": " + reason);
    }

    @Override
    public void leaseDiscarded(Lease lease, String reason) {
        LOG.log(System.Logger.Level.WARNING, "dhcp: stored lease " + lease + " not restored: " + reason);
    }

    @Override
    public void storeFailed(RuntimeException error) {
        LOG.log(System.Logger.Level.ERROR, "dhcp: saving the lease table failed: " + error);
    }
}
