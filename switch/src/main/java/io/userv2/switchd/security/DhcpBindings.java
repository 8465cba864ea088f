package io.userv2.switchd.security;

import io.netty.util.collection.IntObjectHashMap;
import io.userv2.stack.dhcp.Lease;
import io.userv2.stack.dhcp.LeaseListener;
import io.userv2.stack.dhcp.StaticLease;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.port.Port;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * The DHCP snooping binding table behind IP source guard: which MAC each IPv4 address was leased to (by our own DHCP
 * server, or as a static lease), kept in step by listening to the lease table. An address is allowed as a source on
 * a port when the MAC it is bound to was learned on that very port, so the binding follows the port a VM is on, and
 * what a VM may send as is what the gateway gave it.
 *
 * <p>Static leases are bound from the start (a guest configured by hand with its static address may send at once).
 * A dynamic lease is bound from its ACK until it is released, declined or expires.
 *
 * <p>Loop thread only. {@link #allows} allocates nothing (a primitive-keyed map).
 */
public final class DhcpBindings implements LeaseListener {
    private final IntObjectHashMap<MacAddress> macOf = new IntObjectHashMap<>();
    private final Map<MacAddress, Integer> ipOf = new HashMap<>();
    private final Set<Integer> staticAddresses = new HashSet<>();
    private final LongFunction<Port> portOfMac;

    /**
     * Bindings that start with {@code staticLeases} and find the port of a MAC with {@code portOfMac} (the switch's
     * table; null when unknown).
     */
    public DhcpBindings(List<StaticLease> staticLeases, LongFunction<Port> portOfMac) {
        this.portOfMac = portOfMac;
        for (StaticLease s : staticLeases) {
            bind(s.ip().bits(), s.mac());
            staticAddresses.add(s.ip().bits());
        }
    }

    /** True when {@code ip} is bound to a MAC that is learned on {@code port}. */
    public boolean allows(int ip, Port port) {
        MacAddress mac = macOf.get(ip);
        return mac != null && portOfMac.apply(mac.bits()) == port;
    }

    /** The MAC {@code ip} is bound to, or null. */
    public MacAddress macOf(int ip) {
        return macOf.get(ip);
    }

    /** Number of bound addresses. */
    public int size() {
        return macOf.size();
    }

    @Override
    public void onLease(Lease lease) {
        bind(lease.ip().bits(), lease.mac());
    }

    @Override
    public void onRelease(Lease lease) {
        unbind(lease);
    }

    @Override
    public void onExpire(Lease lease) {
        unbind(lease);
    }

    private void bind(int ip, MacAddress mac) {
        Integer before = ipOf.put(mac, ip);
        if (before != null && before != ip && !staticAddresses.contains(before)) {
            macOf.remove(before.intValue()); // the client's address changed
        }
        macOf.put(ip, mac);
    }

    private void unbind(Lease lease) {
        int ip = lease.ip().bits();
        if (staticAddresses.contains(ip) || !lease.mac().equals(macOf.get(ip))) {
            return;
        }
        macOf.remove(ip);
        ipOf.remove(lease.mac());
    }
}
