package io.userv2.switchd.services;

import io.userv2.stack.dhcp6.Dhcp6EventListener;
import io.userv2.stack.dhcp6.Dhcp6Lease;
import io.userv2.stack.dhcp6.Duid;
import java.net.Inet6Address;

/** Turns the DHCPv6 server's events into log lines for the administrator. */
final class Dhcp6Log implements Dhcp6EventListener {
    private static final System.Logger LOG = System.getLogger(Dhcp6Log.class.getName());

    @Override
    public void poolExhausted(Duid client) {
        LOG.log(System.Logger.Level.WARNING, "dhcp6: no free address left for " + client);
    }

    @Override
    public void portCapReached(int port, Duid client) {
        LOG.log(System.Logger.Level.WARNING, "dhcp6: port #" + port + " holds as many bindings as it may; " + client
                + " got none");
    }

    @Override
    public void declined(Duid client, Inet6Address address) {
        LOG.log(System.Logger.Level.WARNING, "dhcp6: address conflict: " + client + " declined "
                + address.getHostAddress() + "; it rests for a while");
    }

    @Override
    public void leaseDiscarded(Dhcp6Lease lease, String reason) {
        LOG.log(System.Logger.Level.WARNING, "dhcp6: stored lease " + lease + " not restored: " + reason);
    }

    @Override
    public void storeFailed(RuntimeException error) {
        LOG.log(System.Logger.Level.ERROR, "dhcp6: saving the lease table failed: " + error);
    }
}
