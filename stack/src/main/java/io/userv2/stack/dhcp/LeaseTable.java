package io.userv2.stack.dhcp;

import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The DHCP server's bindings and its allocation policy. One association per MAC and at most one MAC per address.
 * Clients are told apart by their hardware address (chaddr) in every message type, whether or not they send a
 * Client-identifier (61): a deliberate deviation from RFC 2131 section 4.2 ("the server MUST use that identifier to
 * identify the client"), because Lima, gvproxy and the static leases ({@code --lease IP=MAC}) all name a VM by its
 * MAC, and because one VM sends different identifiers over its life (udhcpc or dhclient in an initramfs: type 1 with
 * the MAC; systemd-networkd: a DUID-based type 255, RFC 4361), which would otherwise cost it its address. The
 * identifier is only echoed in replies (RFC 6842; see {@link DhcpServer}). An association outlives its lease: a client whose lease expired or that released its address gets the
 * same address back, and another client gets it only when no never-used address is left.
 *
 * <p>Allocation for a DISCOVER follows RFC 2131 4.3.1: "The client's current address as recorded in the client's
 * current binding, ELSE The client's previous address as recorded in the client's (now expired or released) binding,
 * if that address is in the server's pool of available addresses and not already allocated, ELSE The address requested
 * in the 'Requested IP Address' option, if that address is valid and not already allocated, ELSE A new address
 * allocated from the server's pool of available addresses". A static lease comes before all of them; "a new address"
 * is the lowest never-used one; when there is none, the inactive association unused longest is taken over (offers
 * never followed by a REQUEST first).
 *
 * <p>Side effects of changes: the {@link LeaseListener} hears about leases beginning, changing, ending; the
 * {@link LeaseStore} gets the whole table after every change that matters (see there), numbered by
 * {@link #savedGeneration()}, and reports back to the {@link SaveCompletion} given at construction. Time is passed
 * in as monotonic nanoseconds and converted to wall-clock expiry with the {@link TimeBase}.
 *
 * <p>Not thread-safe: owned by the {@link DhcpServer}'s thread.
 */
public final class LeaseTable {
    /** One MAC's association; mutable, never handed out (snapshots are {@link Lease}s). */
    private static final class Binding {
        final MacAddress mac;
        final boolean isStatic;
        /** A static lease's own address (0 for a dynamic association); {@link #ip} leaves it while it is declined. */
        final int staticIp;
        /** The address in use: a static lease's own, or a pool address while that one is declined. */
        int ip;
        String hostname;
        /** A lease is in force until {@link #leaseEnd} (false after expiry or release). */
        boolean bound;
        /** The client has had a lease on this association (so it is persisted and listed). */
        boolean everBound;
        /** End of the lease, or when it was released; meaningful when {@link #everBound}. */
        long leaseEnd;
        /** While an offer is outstanding, when it lapses; 0 otherwise. */
        long offerEnd;

        Binding(MacAddress mac, int ip, boolean isStatic) {
            this.mac = mac;
            this.ip = ip;
            this.isStatic = isStatic;
            this.staticIp = isStatic ? ip : 0;
        }
    }

    /** The answer to a REQUEST: the lease to ACK, or why to NAK. */
    record Decision(Lease lease, String nakReason) {
        static Decision ack(Lease lease) {
            return new Decision(lease, null);
        }

        static Decision nak(String reason) {
            return new Decision(null, reason);
        }
    }

    private final DhcpConfig config;
    private final AddressPool pool;
    private final TimeBase time;
    private final LeaseStore store;
    private final SaveCompletion completion;
    private final long leaseNanos;
    private final long offerHoldNanos;
    private final long declineHoldNanos;
    private final Map<MacAddress, Binding> byMac = new LinkedHashMap<>();
    private final Map<Integer, Binding> byIp = new HashMap<>();
    private final Map<Integer, Long> declinedUntil = new HashMap<>();
    private LeaseListener listener = new LeaseListener() { };
    private DhcpEventListener events = new DhcpEventListener() { };
    /** The generation of the latest snapshot handed to the store (0: none yet). */
    private long savedGeneration;

    /**
     * A table for {@code config} holding its static leases, persisting to {@code store} (not loaded here: see
     * {@link #restore}), which reports each snapshot's fate to {@code completion}.
     */
    LeaseTable(DhcpConfig config, TimeBase time, LeaseStore store, SaveCompletion completion) {
        this.config = config;
        this.pool = new AddressPool(config);
        this.time = time;
        this.store = store;
        this.completion = completion;
        this.leaseNanos = config.leaseSeconds() * 1_000_000_000L;
        this.offerHoldNanos = config.offerHoldSeconds() * 1_000_000_000L;
        this.declineHoldNanos = config.declineHoldSeconds() * 1_000_000_000L;
        for (StaticLease s : config.staticLeases()) {
            Binding b = new Binding(s.mac(), s.ip().bits(), true);
            byMac.put(b.mac, b);
            byIp.put(b.ip, b);
        }
    }

    void setEventListener(DhcpEventListener events) {
        this.events = Objects.requireNonNull(events, "events");
    }

    /** Installs {@code listener} and tells it about every lease active at {@code nowNanos}. */
    void setLeaseListener(LeaseListener listener, long nowNanos) {
        this.listener = Objects.requireNonNull(listener, "listener");
        for (Binding b : byMac.values()) {
            if (isActive(b, nowNanos)) {
                listener.onLease(snapshot(b));
            }
        }
    }

    /**
     * Restores persisted leases: each becomes the association of its MAC again, bound if it has not expired yet.
     * A lease is discarded (and reported) when its address is not dynamic or clashes with a static lease or an
     * association restored before it; a static lease's MAC keeps only the host name and expiry, and only if the
     * address still matches. Does not save and does not notify the lease listener.
     */
    void restore(List<Lease> leases, long nowNanos) {
        for (Lease l : leases) {
            Binding existing = byMac.get(l.mac());
            int ip = l.ip().bits();
            if (existing != null && existing.isStatic) {
                if (existing.ip != ip) {
                    events.leaseDiscarded(l, "MAC has a static lease for " + Ipv4Address.format(existing.ip));
                    continue;
                }
                load(existing, l, nowNanos);
                continue;
            }
            String problem = existing != null ? "MAC listed twice"
                    : byIp.containsKey(ip) ? "address already taken by " + byIp.get(ip).mac
                    : !pool.isDynamic(ip) ? "address outside the dynamic pool"
                    : null;
            if (problem != null) {
                events.leaseDiscarded(l, problem);
                continue;
            }
            Binding b = new Binding(l.mac(), ip, false);
            load(b, l, nowNanos);
            byMac.put(b.mac, b);
            byIp.put(ip, b);
        }
    }

    private void load(Binding b, Lease l, long nowNanos) {
        b.hostname = l.hostname();
        b.everBound = true;
        long end = time.nanos(l.expiresEpochMillis());
        if (end - (nowNanos + leaseNanos) > 0) {
            end = nowNanos + leaseNanos; // no lease outlasts one lease time from now (a clock jump, a hand edit)
        }
        b.leaseEnd = end;
        b.bound = end - nowNanos > 0;
    }

    /**
     * Chooses the address to offer {@code mac} (RFC 2131 4.3.1, see the class comment) and holds it for the offer
     * time. Returns 0 when the pool is exhausted.
     */
    int offer(MacAddress mac, Ipv4Address requested, long nowNanos) {
        Binding b = byMac.get(mac);
        if (b != null && b.isStatic) {
            return offerStatic(b, requested, nowNanos);
        }
        if (b != null && !isDeclined(b.ip, nowNanos)) {
            hold(b, nowNanos);
            return b.ip;
        }
        int ip = newAddress(requested, nowNanos);
        if (ip == 0) {
            return 0;
        }
        hold(associate(mac, ip), nowNanos);
        return ip;
    }

    /**
     * A static lease's own address, unless a client declined it (found it in use: RFC 2131 4.3.3 "The server MUST
     * mark the network address as not available"): then, while it rests, a pool address, so that the client is not
     * offered the conflicting address again and again; the static address comes back once its rest is over.
     */
    private int offerStatic(Binding b, Ipv4Address requested, long nowNanos) {
        if (!isDeclined(b.staticIp, nowNanos)) {
            if (b.ip != b.staticIp) {
                moveTo(b, b.staticIp, nowNanos);
            }
        } else if (b.ip == b.staticIp || isDeclined(b.ip, nowNanos)) {
            int ip = newAddress(requested, nowNanos);
            if (ip == 0) {
                return 0;
            }
            moveTo(b, ip, nowNanos);
        }
        hold(b, nowNanos);
        return b.ip;
    }

    /**
     * Moves a static lease's binding to {@code ip} (its own, or a pool address standing in): a lease on the old
     * address ends; the static address stays reserved for it throughout.
     */
    private void moveTo(Binding b, int ip, long nowNanos) {
        if (isActive(b, nowNanos)) {
            listener.onRelease(snapshot(b));
        }
        b.bound = false;
        b.leaseEnd = nowNanos;
        if (b.ip != b.staticIp) {
            byIp.remove(b.ip);
        }
        b.ip = ip;
        byIp.put(ip, b);
    }

    /** A never-used or reclaimed address for a new association, the requested one if it is free; 0 if none. */
    private int newAddress(Ipv4Address requested, long nowNanos) {
        if (requested != null && isFree(requested.bits(), nowNanos)) {
            return requested.bits();
        }
        int ip = firstNeverUsed(nowNanos);
        return ip != 0 ? ip : reclaim(nowNanos);
    }

    private void hold(Binding b, long nowNanos) {
        if (!isActive(b, nowNanos)) {
            b.offerEnd = nowNanos + offerHoldNanos;
            if (b.offerEnd == 0) {
                b.offerEnd = 1;
            }
        }
    }

    /** The client chose another server: an offer held for it is withdrawn (a never-bound association is dropped). */
    void withdrawOffer(MacAddress mac) {
        Binding b = byMac.get(mac);
        if (b == null || b.offerEnd == 0) {
            return;
        }
        b.offerEnd = 0;
        if (!b.everBound && !b.isStatic) {
            forget(b);
        }
    }

    /**
     * Binds {@code ip} to {@code mac} for one lease time from {@code nowNanos} (a REQUEST in any state), or says why
     * not. {@code hostname} (option 12) replaces the remembered one when not null.
     */
    Decision bind(MacAddress mac, int ip, String hostname, long nowNanos) {
        if (!config.subnet().contains(ip)) {
            return Decision.nak("address not on this network");
        }
        Binding b = byMac.get(mac);
        if (b != null) {
            if (b.ip != ip) {
                return Decision.nak((b.isStatic && b.ip == b.staticIp ? "client has the static address "
                        : "client's address is ") + Ipv4Address.format(b.ip));
            }
            if (isDeclined(ip, nowNanos)) {
                return Decision.nak("address was declined"); // a static one too: else the conflict goes on
            }
        } else {
            Binding owner = byIp.get(ip);
            if (owner != null) {
                return Decision.nak("address belongs to another client");
            }
            if (!pool.isDynamic(ip) || isDeclined(ip, nowNanos)) {
                return Decision.nak("address not available");
            }
            b = associate(mac, ip);
        }
        boolean wasActive = isActive(b, nowNanos);
        String oldHostname = b.hostname;
        b.bound = true;
        b.everBound = true;
        b.leaseEnd = nowNanos + leaseNanos;
        b.offerEnd = 0;
        if (hostname != null) {
            b.hostname = hostname;
        }
        Lease lease = snapshot(b);
        if (!wasActive || !Objects.equals(oldHostname, b.hostname)) {
            listener.onLease(lease);
        }
        persist();
        return Decision.ack(lease);
    }

    /** Ends {@code mac}'s lease on {@code ip} (DHCPRELEASE), keeping the association; false if it had none. */
    boolean release(MacAddress mac, int ip, long nowNanos) {
        Binding b = byMac.get(mac);
        if (b == null || b.ip != ip || !b.bound) {
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
     * Marks {@code ip}, offered or bound to {@code mac}, as in use by someone else for the decline hold time (RFC
     * 2131 4.3.3: "The server MUST mark the network address as not available"); the client loses the association,
     * or, when it has a static lease, is offered a pool address until the static one has rested. False when
     * {@code ip} is not {@code mac}'s.
     */
    boolean decline(MacAddress mac, int ip, long nowNanos) {
        Binding b = byMac.get(mac);
        if (b == null || b.ip != ip) {
            return false;
        }
        declinedUntil.put(ip, nowNanos + declineHoldNanos);
        boolean wasActive = b.bound && isActive(b, nowNanos);
        boolean persisted = b.everBound;
        b.offerEnd = 0;
        if (b.bound) {
            b.bound = false;
            b.leaseEnd = nowNanos;
        }
        if (!b.isStatic) {
            forget(b);
        }
        if (wasActive) {
            listener.onRelease(snapshot(b));
        }
        if (persisted) {
            persist();
        }
        return true;
    }

    /** Ends leases whose time is up (telling the listener), lapses offers and forgets old declines. */
    void expire(long nowNanos) {
        for (Binding b : byMac.values()) {
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

    /** Every lease (bound at least once, or static), ordered by address. */
    public List<Lease> leases() {
        List<Lease> list = new ArrayList<>();
        for (Binding b : byMac.values()) {
            if (b.everBound || b.isStatic) {
                list.add(snapshot(b));
            }
        }
        list.sort(Comparator.comparing(Lease::ip));
        return List.copyOf(list);
    }

    /** {@code mac}'s lease (bound at least once, or static), or null. */
    public Lease lease(MacAddress mac) {
        Binding b = byMac.get(mac);
        return b == null || !(b.everBound || b.isStatic) ? null : snapshot(b);
    }

    /** True when {@code ip} is held by a declined-address mark at {@code nowNanos}. */
    boolean isDeclined(int ip, long nowNanos) {
        Long until = declinedUntil.get(ip);
        return until != null && until - nowNanos > 0;
    }

    private boolean isActive(Binding b, long nowNanos) {
        return b.bound && b.leaseEnd - nowNanos > 0;
    }

    private boolean isFree(int ip, long nowNanos) {
        return pool.isDynamic(ip) && !byIp.containsKey(ip) && !isDeclined(ip, nowNanos);
    }

    private int firstNeverUsed(long nowNanos) {
        int ip = pool.first();
        for (long i = 0; i < pool.span(); i++, ip++) {
            if (isFree(ip, nowNanos)) {
                return ip;
            }
        }
        return 0;
    }

    /** Takes over the inactive association unused longest: never-bound offers first, then the oldest lease end. */
    private int reclaim(long nowNanos) {
        Binding victim = null;
        for (Binding b : byMac.values()) {
            if (b.isStatic || isActive(b, nowNanos) || (b.offerEnd != 0 && b.offerEnd - nowNanos > 0)
                    || isDeclined(b.ip, nowNanos)) {
                continue;
            }
            if (victim == null || (victim.everBound && !b.everBound)
                    || (victim.everBound == b.everBound && b.leaseEnd - victim.leaseEnd < 0)) {
                victim = b;
            }
        }
        if (victim == null) {
            return 0;
        }
        int ip = victim.ip;
        forget(victim);
        return ip;
    }

    /** Makes {@code ip} {@code mac}'s address (moving a non-static association if it had one). */
    private Binding associate(MacAddress mac, int ip) {
        Binding b = byMac.get(mac);
        if (b != null) {
            forget(b);
        }
        Binding n = new Binding(mac, ip, false);
        if (b != null) {
            n.hostname = b.hostname;
        }
        byMac.put(mac, n);
        byIp.put(ip, n);
        return n;
    }

    private void forget(Binding b) {
        byMac.remove(b.mac, b);
        byIp.remove(b.ip, b);
    }

    private Lease snapshot(Binding b) {
        long expires = b.everBound ? time.wallMillis(b.leaseEnd) : 0;
        return new Lease(b.mac, new Ipv4Address(b.ip), b.hostname, expires, b.isStatic);
    }

    private void persist() {
        List<Lease> list = new ArrayList<>();
        for (Binding b : byMac.values()) {
            if (b.everBound) {
                list.add(snapshot(b));
            }
        }
        list.sort(Comparator.comparing(Lease::ip));
        long generation = ++savedGeneration;
        try {
            store.save(generation, List.copyOf(list), completion);
        } catch (RuntimeException e) {
            completion.failed(generation, e);
        }
    }

    /**
     * The generation of the latest snapshot handed to the store (0 before the first): a lease bound now is durable
     * once this generation is reported to the {@link SaveCompletion}.
     */
    long savedGeneration() {
        return savedGeneration;
    }

    @Override
    public String toString() {
        return "LeaseTable{" + byMac.size() + " associations, " + declinedUntil.size() + " declined}";
    }
}
