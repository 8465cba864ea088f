package io.userv2.stack.dhcp6;

import io.userv2.stack.dhcp.SaveCompletion;
import io.userv2.stack.dhcp.TimeBase;
import io.userv2.stack.wire.MacAddress;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The stateful DHCPv6 bindings and their allocation policy, after the IPv4 {@link io.userv2.stack.dhcp.LeaseTable}:
 * one association per IA (DUID, IAID), one address each, at most one IA per address. An association outlives its
 * lease: an IA whose lease expired or that released its address gets the same address back.
 *
 * <p>Choosing an address for a new association: a hint from the client (an IA Address in its IA_NA, RFC 8415 section
 * 18.3.9: "the server uses those addresses as hints") when it is in the pool and free; otherwise the IA's stable place
 * ({@link Dhcp6AddressPool}) or the first free one after it; when the pool is full, the inactive association unused
 * longest (never-bound offers first) is taken over.
 *
 * <p>Caps: every association is owned by the switch port its last message came in on. A port holds at most
 * {@link Dhcp6Config#maxLeasesPerPort()} associations: beyond that, a new IA from it takes over that port's own
 * inactive association unused longest, or is refused; so a VM making up DUIDs only starves itself. The table holds at
 * most {@link Dhcp6Config#maxLeases()} in total. Port {@code 0} (unknown, e.g. restored from the store) has no cap of
 * its own. An existing association is never refused, whatever its port holds.
 *
 * <p>Side effects: the {@link Dhcp6LeaseListener} hears about leases beginning, changing and ending; the
 * {@link Dhcp6LeaseStore} gets the whole table after every change that matters, numbered by
 * {@link #savedGeneration()}. Time is monotonic nanoseconds, converted to wall-clock expiry with the
 * {@link TimeBase}. Not thread-safe: owned by the {@link Dhcp6Server}'s thread.
 */
final class Dhcp6LeaseTable {
    /** Port number meaning "no switch port known". */
    static final int NO_OWNER = 0;

    /** A binding's identity: RFC 8415 section 4.2, "indexed by the tuple &lt;DUID, IA-type, IAID&gt;" (IA_NA only). */
    record IaKey(Duid duid, int iaid) {
    }

    /** Why no address could be given. */
    enum Refusal {
        /** The pool or the table's total cap is exhausted. */
        EXHAUSTED,
        /** The client's switch port holds its cap of associations. */
        PORT_CAP
    }

    /** An address for an IA, or why there is none. */
    record Outcome(Dhcp6Lease lease, Refusal refusal) {
    }

    private static final class Binding {
        final IaKey key;
        final long iid;
        MacAddress mac;
        int owner;
        boolean bound;
        boolean everBound;
        long leaseEnd;
        long offerEnd;

        Binding(IaKey key, long iid, MacAddress mac, int owner) {
            this.key = key;
            this.iid = iid;
            this.mac = mac;
            this.owner = owner;
        }
    }

    private final Dhcp6Config config;
    private final Dhcp6AddressPool pool;
    private final TimeBase time;
    private final Dhcp6LeaseStore store;
    private final SaveCompletion completion;
    private final long leaseNanos;
    private final long offerHoldNanos;
    private final long declineHoldNanos;
    private final Map<IaKey, Binding> byKey = new LinkedHashMap<>();
    private final Map<Long, Binding> byIid = new HashMap<>();
    private final Map<Long, Long> declinedUntil = new HashMap<>();
    private final Map<Integer, Integer> perPort = new HashMap<>();
    private Dhcp6LeaseListener listener = new Dhcp6LeaseListener() { };
    private Dhcp6EventListener events = new Dhcp6EventListener() { };
    /** Leases {@link #restore} discarded before an event listener was installed, reported to the first one. */
    private final List<Map.Entry<Dhcp6Lease, String>> unreported = new ArrayList<>();
    private boolean hasEventListener;
    private long savedGeneration;

    Dhcp6LeaseTable(Dhcp6Config config, TimeBase time, Dhcp6LeaseStore store, SaveCompletion completion) {
        this.config = config;
        this.pool = new Dhcp6AddressPool(config);
        this.time = time;
        this.store = store;
        this.completion = completion;
        this.leaseNanos = config.leaseSeconds() * 1_000_000_000L;
        this.offerHoldNanos = config.offerHoldSeconds() * 1_000_000_000L;
        this.declineHoldNanos = config.declineHoldSeconds() * 1_000_000_000L;
    }

    /** Installs {@code events}, first telling it of the leases discarded at start-up, if no listener heard them. */
    void setEventListener(Dhcp6EventListener events) {
        this.events = Objects.requireNonNull(events, "events");
        hasEventListener = true;
        unreported.forEach(e -> events.leaseDiscarded(e.getKey(), e.getValue()));
        unreported.clear();
    }

    void setLeaseListener(Dhcp6LeaseListener listener, long nowNanos) {
        this.listener = Objects.requireNonNull(listener, "listener");
        for (Binding b : byKey.values()) {
            if (isActive(b, nowNanos)) {
                listener.onLease(snapshot(b));
            }
        }
    }

    /** True when {@code a} is in the pool's /64 (meaningless, and false, when stateful DHCPv6 is off). */
    boolean onLink(Inet6Address a) {
        return config.stateful() && pool.onLink(a);
    }

    /**
     * Restores persisted leases, each the association of its IA again, bound if not expired, owned by no port. A
     * lease is discarded (and reported, when there is no event listener yet to the first one installed) when stateful DHCPv6 is off, its address is not in the pool, or it clashes
     * with one restored before it, or the table is full. Does not save and does not notify the lease listener.
     */
    void restore(List<Dhcp6Lease> leases, long nowNanos) {
        for (Dhcp6Lease l : leases) {
            IaKey key = new IaKey(l.duid(), l.iaid());
            long iid = Ipv6Bits.lo(l.address());
            String problem = !config.stateful() ? "stateful DHCPv6 is off"
                    : byKey.containsKey(key) ? "IA listed twice"
                    : !pool.onLink(l.address()) || !pool.isDynamic(iid) ? "address outside the pool"
                    : byIid.containsKey(iid) ? "address already taken by " + byIid.get(iid).key.duid()
                    : byKey.size() >= config.maxLeases() ? "table full"
                    : null;
            if (problem != null) {
                if (hasEventListener) {
                    events.leaseDiscarded(l, problem);
                } else {
                    unreported.add(Map.entry(l, problem));
                }
                continue;
            }
            Binding b = new Binding(key, iid, l.mac(), NO_OWNER);
            long end = time.nanos(l.expiresEpochMillis());
            if (end - (nowNanos + leaseNanos) > 0) {
                end = nowNanos + leaseNanos; // no lease outlasts one lease time from now (a clock jump, a hand edit)
            }
            b.leaseEnd = end;
            b.bound = end - nowNanos > 0;
            b.everBound = true;
            byKey.put(key, b);
            byIid.put(iid, b);
        }
    }

    /** The address to advertise to {@code key} (held for the offer time), or why there is none. */
    Outcome advertise(IaKey key, MacAddress mac, int port, List<Inet6Address> hints, long nowNanos) {
        Refusal[] refusal = new Refusal[1];
        Binding b = obtain(key, mac, port, hints, nowNanos, refusal);
        if (b == null) {
            return new Outcome(null, refusal[0]);
        }
        if (!isActive(b, nowNanos)) {
            b.offerEnd = nowNanos + offerHoldNanos;
            if (b.offerEnd == 0) {
                b.offerEnd = 1;
            }
        }
        return new Outcome(snapshotAt(b, nowNanos + leaseNanos), null);
    }

    /** Binds an address to {@code key} for one lease time (a Request, or a Solicit with Rapid Commit). */
    Outcome request(IaKey key, MacAddress mac, int port, List<Inet6Address> hints, long nowNanos) {
        Refusal[] refusal = new Refusal[1];
        Binding b = obtain(key, mac, port, hints, nowNanos, refusal);
        if (b == null) {
            return new Outcome(null, refusal[0]);
        }
        return new Outcome(bind(b, mac, port, nowNanos), null);
    }

    /**
     * Extends {@code key}'s binding (Renew, Rebind); without one, binds the first of the client's {@code addresses}
     * that is in the pool and free (RFC 8415 18.3.4 lets a server create a binding for a Renew it has none for),
     * which keeps a client's address across a restart without a lease file. Null when there is nothing to extend or
     * take (NoBinding); a new association is also refused when the port is at its cap.
     */
    Dhcp6Lease renew(IaKey key, MacAddress mac, int port, List<Inet6Address> addresses, long nowNanos) {
        Binding b = byKey.get(key);
        if (b != null && (b.everBound || addresses.contains(pool.address(b.iid)))) {
            return bind(b, mac, port, nowNanos);
        }
        for (Inet6Address a : addresses) {
            long iid = Ipv6Bits.lo(a);
            if (pool.onLink(a) && isFree(iid, nowNanos)) {
                if (b != null) {
                    forget(b); // a never-bound offer of another address gives way to the address the client holds
                } else if (!roomFor(port, nowNanos, new Refusal[1])) {
                    return null;
                }
                return bind(associate(key, iid, mac, port), mac, port, nowNanos);
            }
        }
        return null;
    }

    /** The address bound or held for {@code key}, or null. */
    Inet6Address addressOf(IaKey key) {
        Binding b = byKey.get(key);
        return b == null ? null : pool.address(b.iid);
    }

    /** True when {@code key} has a lease that is (or was) bound, which Release and Decline need. */
    boolean hasBinding(IaKey key) {
        Binding b = byKey.get(key);
        return b != null && b.everBound;
    }

    /** Ends {@code key}'s lease on {@code address} (Release), keeping the association; false if it had none. */
    boolean release(IaKey key, Inet6Address address, long nowNanos) {
        Binding b = byKey.get(key);
        if (b == null || !b.bound || !pool.onLink(address) || b.iid != Ipv6Bits.lo(address)) {
            return false;
        }
        b.bound = false;
        b.offerEnd = 0;
        b.leaseEnd = nowNanos;
        listener.onRelease(snapshot(b));
        persist();
        return true;
    }

    /**
     * Marks {@code address}, bound to {@code key}, as used by someone else for the decline hold time (RFC 8415 18.3.8:
     * "the server SHOULD mark the addresses declined by the client so that those addresses are not assigned to other
     * clients"); the IA loses its association, so it is given another address next time. False when the address is
     * not {@code key}'s.
     */
    boolean decline(IaKey key, Inet6Address address, long nowNanos) {
        Binding b = byKey.get(key);
        if (b == null || !pool.onLink(address) || b.iid != Ipv6Bits.lo(address)) {
            return false;
        }
        declinedUntil.put(b.iid, nowNanos + declineHoldNanos);
        boolean wasActive = isActive(b, nowNanos);
        boolean persisted = b.everBound;
        b.bound = false;
        b.leaseEnd = nowNanos;
        forget(b);
        if (wasActive) {
            listener.onRelease(snapshot(b));
        }
        if (persisted) {
            persist();
        }
        return true;
    }

    /** The client chose another server: offers held for its IAs are withdrawn (never-bound ones dropped). */
    void withdrawOffers(Duid duid) {
        Iterator<Binding> it = byKey.values().iterator();
        while (it.hasNext()) {
            Binding b = it.next();
            if (b.key.duid().equals(duid) && b.offerEnd != 0) {
                b.offerEnd = 0;
                if (!b.everBound) {
                    it.remove();
                    byIid.remove(b.iid, b);
                    count(b.owner, -1);
                }
            }
        }
    }

    /** Ends leases whose time is up (telling the listener), lapses offers and forgets old declines. */
    void expire(long nowNanos) {
        for (Binding b : byKey.values()) {
            if (b.bound && b.leaseEnd - nowNanos <= 0) {
                b.bound = false;
                listener.onExpire(snapshot(b));
            }
            if (b.offerEnd != 0 && b.offerEnd - nowNanos <= 0) {
                b.offerEnd = 0;
            }
        }
        declinedUntil.values().removeIf(until -> until - nowNanos <= 0);
    }

    /**
     * Switch port {@code port} is gone: its never-bound offers are dropped; its leases stay (the VM may come back on
     * another port and renew) but no longer count against any port.
     */
    void portClosed(int port) {
        if (port == NO_OWNER) {
            return;
        }
        Iterator<Binding> it = byKey.values().iterator();
        while (it.hasNext()) {
            Binding b = it.next();
            if (b.owner == port) {
                b.owner = NO_OWNER;
                if (!b.everBound) {
                    it.remove();
                    byIid.remove(b.iid, b);
                }
            }
        }
        perPort.remove(port);
    }

    /** Every lease bound at least once, ordered by address. */
    List<Dhcp6Lease> leases() {
        List<Dhcp6Lease> list = new ArrayList<>();
        for (Binding b : byKey.values()) {
            if (b.everBound) {
                list.add(snapshot(b));
            }
        }
        list.sort(BY_ADDRESS);
        return List.copyOf(list);
    }

    /** {@code key}'s lease (bound at least once), or null. */
    Dhcp6Lease lease(IaKey key) {
        Binding b = byKey.get(key);
        return b == null || !b.everBound ? null : snapshot(b);
    }

    /** Associations (offers included) owned by {@code port}. */
    int owned(int port) {
        return perPort.getOrDefault(port, 0);
    }

    /** The generation of the latest snapshot handed to the store (0 before the first). */
    long savedGeneration() {
        return savedGeneration;
    }

    private static final Comparator<Dhcp6Lease> BY_ADDRESS =
            (x, y) -> Long.compareUnsigned(Ipv6Bits.lo(x.address()), Ipv6Bits.lo(y.address()));

    /** {@code key}'s association, or a new one (see the class comment); null with the refusal set. */
    private Binding obtain(IaKey key, MacAddress mac, int port, List<Inet6Address> hints, long nowNanos,
                           Refusal[] refusal) {
        Binding b = byKey.get(key);
        if (b != null) {
            claim(b, port);
            return b;
        }
        if (!roomFor(port, nowNanos, refusal)) {
            return null;
        }
        long iid = 0;
        for (Inet6Address h : hints) {
            if (pool.onLink(h) && isFree(Ipv6Bits.lo(h), nowNanos)) {
                iid = Ipv6Bits.lo(h);
                break;
            }
        }
        if (iid == 0) {
            iid = probe(key, nowNanos);
        }
        if (iid == 0 && reclaim(nowNanos, NO_OWNER, false)) {
            iid = probe(key, nowNanos);
        }
        if (iid == 0) {
            refusal[0] = Refusal.EXHAUSTED;
            return null;
        }
        return associate(key, iid, mac, port);
    }

    /** Makes room for one more association of {@code port}: its cap, then the table's; false with the refusal set. */
    private boolean roomFor(int port, long nowNanos, Refusal[] refusal) {
        if (port != NO_OWNER && owned(port) >= config.maxLeasesPerPort() && !reclaim(nowNanos, port, true)) {
            refusal[0] = Refusal.PORT_CAP;
            return false;
        }
        if (byKey.size() >= config.maxLeases() && !reclaim(nowNanos, NO_OWNER, false)) {
            refusal[0] = Refusal.EXHAUSTED;
            return false;
        }
        return true;
    }

    /** The first free identifier from the IA's stable place on, or 0 when a bounded probe finds none. */
    private long probe(IaKey key, long nowNanos) {
        long first = pool.stablePlace(key.duid(), key.iaid());
        // At most this many identifiers can be taken, so a free one (if any) lies within this many steps.
        long limit = byIid.size() + declinedUntil.size() + pool.excludedCount() + 1;
        if (Long.compareUnsigned(limit, pool.span()) > 0) {
            limit = pool.span();
        }
        for (long i = 0; Long.compareUnsigned(i, limit) < 0; i++) {
            long iid = pool.next(first, i);
            if (isFree(iid, nowNanos)) {
                return iid;
            }
        }
        return 0;
    }

    /**
     * Forgets the inactive association unused longest (never-bound offers first), among {@code port}'s when
     * {@code onlyPort}; false when there is none.
     */
    private boolean reclaim(long nowNanos, int port, boolean onlyPort) {
        Binding victim = null;
        for (Binding b : byKey.values()) {
            if ((onlyPort && b.owner != port) || isActive(b, nowNanos)
                    || (b.offerEnd != 0 && b.offerEnd - nowNanos > 0)) {
                continue;
            }
            if (victim == null || (victim.everBound && !b.everBound)
                    || (victim.everBound == b.everBound && b.leaseEnd - victim.leaseEnd < 0)) {
                victim = b;
            }
        }
        if (victim == null) {
            return false;
        }
        forget(victim);
        if (victim.everBound) {
            persist();
        }
        return true;
    }

    private Dhcp6Lease bind(Binding b, MacAddress mac, int port, long nowNanos) {
        boolean wasActive = isActive(b, nowNanos);
        MacAddress oldMac = b.mac;
        b.bound = true;
        b.everBound = true;
        b.leaseEnd = nowNanos + leaseNanos;
        b.offerEnd = 0;
        b.mac = mac;
        claim(b, port);
        Dhcp6Lease lease = snapshot(b);
        if (!wasActive || !oldMac.equals(mac)) {
            listener.onLease(lease);
        }
        persist();
        return lease;
    }

    private Binding associate(IaKey key, long iid, MacAddress mac, int port) {
        Binding b = new Binding(key, iid, mac, port);
        byKey.put(key, b);
        byIid.put(iid, b);
        count(port, 1);
        return b;
    }

    /** Moves {@code b} to {@code port} when its message came in on another one. */
    private void claim(Binding b, int port) {
        if (port != NO_OWNER && b.owner != port) {
            count(b.owner, -1);
            b.owner = port;
            count(port, 1);
        }
    }

    private void forget(Binding b) {
        if (byKey.remove(b.key, b)) {
            byIid.remove(b.iid, b);
            count(b.owner, -1);
        }
    }

    private void count(int port, int delta) {
        if (port != NO_OWNER) {
            perPort.merge(port, delta, (x, y) -> x + y == 0 ? null : x + y);
        }
    }

    private boolean isDeclined(long iid, long nowNanos) {
        Long until = declinedUntil.get(iid);
        return until != null && until - nowNanos > 0;
    }

    private boolean isActive(Binding b, long nowNanos) {
        return b.bound && b.leaseEnd - nowNanos > 0;
    }

    private boolean isFree(long iid, long nowNanos) {
        return pool.isDynamic(iid) && !byIid.containsKey(iid) && !isDeclined(iid, nowNanos);
    }

    private Dhcp6Lease snapshot(Binding b) {
        return snapshotAt(b, b.leaseEnd);
    }

    private Dhcp6Lease snapshotAt(Binding b, long endNanos) {
        return new Dhcp6Lease(b.key.duid(), b.key.iaid(), pool.address(b.iid), b.mac, time.wallMillis(endNanos));
    }

    private void persist() {
        long generation = ++savedGeneration;
        try {
            store.save(generation, leases(), completion);
        } catch (RuntimeException e) {
            completion.failed(generation, e);
        }
    }

    @Override
    public String toString() {
        return "Dhcp6LeaseTable{" + byKey.size() + " associations, " + declinedUntil.size() + " declined}";
    }
}
