package io.userv2.switchd.services;

import io.userv2.dns.InternalZone;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.dhcp.LeaseListener;
import io.userv2.stack.dhcp6.Dhcp6Lease;
import io.userv2.stack.dhcp6.Dhcp6LeaseListener;
import io.userv2.stack.gateway.NeighborListener;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Gives each VM's DHCP name ({@code lima-NAME.internal}) the IPv6 addresses the VM uses, as AAAA records: it joins
 * what three sources say about one MAC, the DHCP lease (the hostname, option 12), the gateway's neighbour cache (the
 * addresses heard from that MAC: traffic, Neighbor Discovery, confirmed duplicate address detection) and the DHCPv6
 * leases (addresses bound to a client whose messages came from that MAC), and publishes the result with
 * {@link InternalZone#putIpv6}. Link-local addresses are left out (they mean nothing without an interface). An address
 * goes when both sources that may know it let go of it: the neighbour cache forgets it (its switch port closed, or it
 * stopped answering probes) and its DHCPv6 lease ended; all go when the IPv4 lease ends. A VM without a hostname gets
 * no AAAA name, as it gets no A name.
 *
 * <p>Loop thread only (both sources call from it); the zone itself is thread-safe.
 */
public final class Ipv6Names implements LeaseListener, NeighborListener, Dhcp6LeaseListener {
    private static final System.Logger LOG = System.getLogger(Ipv6Names.class.getName());
    private final InternalZone zone;
    private final Map<MacAddress, String> hostnames = new HashMap<>();
    private final Map<MacAddress, Set<Ipv6Address>> heard = new HashMap<>();
    private final Map<MacAddress, Set<Ipv6Address>> leased = new HashMap<>();

    /** Publishes into {@code zone}. */
    public Ipv6Names(InternalZone zone) {
        this.zone = zone;
    }

    @Override
    public void onLease(Lease lease) {
        String before = hostnames.get(lease.mac());
        String after = lease.hostname();
        if (before != null && !before.equals(after)) {
            zone.putIpv6(before, List.of()); // renamed or name dropped: the old name loses its AAAA
        }
        if (after == null) {
            hostnames.remove(lease.mac());
        } else {
            hostnames.put(lease.mac(), after);
        }
        publish(lease.mac());
    }

    @Override
    public void onRelease(Lease lease) {
        forgetName(lease.mac());
    }

    @Override
    public void onExpire(Lease lease) {
        forgetName(lease.mac());
    }

    private void forgetName(MacAddress mac) {
        String name = hostnames.remove(mac);
        if (name != null) {
            zone.putIpv6(name, List.of());
        }
    }

    @Override
    public void learned(Ipv6Address address, MacAddress mac, int owner) {
        add(heard, mac, address);
    }

    @Override
    public void forgotten(Ipv6Address address, MacAddress mac, int owner) {
        remove(heard, mac, address);
    }

    @Override
    public void onLease(Dhcp6Lease lease) {
        add(leased, lease.mac(), Ipv6Address.of(lease.address()));
    }

    @Override
    public void onRelease(Dhcp6Lease lease) {
        remove(leased, lease.mac(), Ipv6Address.of(lease.address()));
    }

    @Override
    public void onExpire(Dhcp6Lease lease) {
        remove(leased, lease.mac(), Ipv6Address.of(lease.address()));
    }

    private void add(Map<MacAddress, Set<Ipv6Address>> source, MacAddress mac, Ipv6Address address) {
        if (!address.isLinkLocal() && source.computeIfAbsent(mac, m -> new LinkedHashSet<>()).add(address)) {
            publish(mac);
        }
    }

    private void remove(Map<MacAddress, Set<Ipv6Address>> source, MacAddress mac, Ipv6Address address) {
        Set<Ipv6Address> set = source.get(mac);
        if (set == null || !set.remove(address)) {
            return;
        }
        if (set.isEmpty()) {
            source.remove(mac);
        }
        publish(mac);
    }

    /** The IPv6 addresses known for {@code mac}, heard ones first (for tests and diagnostics). */
    public List<Ipv6Address> addressesOf(MacAddress mac) {
        Set<Ipv6Address> all = new LinkedHashSet<>(heard.getOrDefault(mac, Set.of()));
        all.addAll(leased.getOrDefault(mac, Set.of()));
        return List.copyOf(all);
    }

    private void publish(MacAddress mac) {
        String name = hostnames.get(mac);
        if (name == null) {
            return;
        }
        List<Inet6Address> list = new ArrayList<>();
        for (Ipv6Address a : addressesOf(mac)) {
            list.add(a.toInetAddress());
        }
        var published = zone.putIpv6(name, list);
        if (published != null && !list.isEmpty()) {
            LOG.log(System.Logger.Level.DEBUG, () -> "dns: " + published + " -> " + list + " (" + mac + ")");
        }
    }
}
