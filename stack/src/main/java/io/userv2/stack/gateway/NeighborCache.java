package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The gateway's IPv6 Neighbor Cache (RFC 4861 section 5.1, 7.2, 7.3): which MAC each on-link IPv6 address lives at,
 * learned from what the gateway hears, resolved by Neighbor Solicitations when the gateway must send to an address it
 * does not know, and checked by probes so that addresses nobody uses any more go away. Time is passed in (any
 * monotonic nanosecond origin; compared by subtraction). Sans-IO: what must go out (a solicitation, a frame whose
 * neighbour got resolved) goes to the {@link Solicitor} the gateway gives it.
 *
 * <p>States, a simplification of RFC 4861 7.3.2 for a router that is the only one on its link:
 * <ul>
 *   <li>{@link State#INCOMPLETE}: the gateway wants to send to the address and has multicast a solicitation; up to
 *       {@value #MAX_QUEUED_PER_ENTRY} frames wait (7.2.2: "the new arrival SHOULD replace the oldest entry");
 *       after {@value #MAX_MULTICAST_SOLICIT} solicitations {@value #RETRANS_TIMER_MILLIS} ms apart without answer
 *       the entry and its frames go (7.2.2: "If no Neighbor Advertisement is received after MAX_MULTICAST_SOLICIT
 *       solicitations, address resolution has failed").</li>
 *   <li>{@link State#TENTATIVE}: a guest was seen doing duplicate address detection for the address (RFC 4862 5.4: a
 *       solicitation from {@code ::}); the address is not in use yet ("a tentative address is not considered
 *       assigned"). {@value #DAD_WAIT_MILLIS} ms later (RetransTimer after the probe, plus margin) the gateway
 *       asks the guest by unicast solicitation whether it took the address; an advertisement confirms it, no answer
 *       after {@value #MAX_UNICAST_SOLICIT} tries drops it unannounced. Not used for sending.</li>
 *   <li>{@link State#VALID}: the MAC is known and the gateway heard from the address: traffic from it (as the IPv4
 *       gateway learns ARP from traffic), a solicitation carrying its link-layer address (7.2.3 creates or updates
 *       the entry), or an advertisement (7.2.5; RFC 9131 lets a router create entries from unsolicited ones).
 *       RFC 4861's REACHABLE, STALE and DELAY collapse into this state: the gateway never forwards between guests,
 *       so reachability matters only for the names and for the gateway's own replies, which go to the MAC a
 *       request came from.</li>
 *   <li>{@link State#PROBE}: {@link #staleAfterNanos()} passed without news; the gateway sends up to
 *       {@value #MAX_UNICAST_SOLICIT} unicast solicitations {@value #RETRANS_TIMER_MILLIS} ms apart (7.3.3, PROBE),
 *       the entry stays usable meanwhile; an answer or any traffic makes it {@link State#VALID} again, silence
 *       removes it (and the {@link NeighborListener} hears it forgotten).</li>
 * </ul>
 * An advertisement without the Override flag does not move a valid entry to another MAC (7.2.5: "If the Override flag
 * is clear and the supplied link-layer address differs from that in the cache, ... the received advertisement should
 * be ignored"); traffic does, as it does for ARP.
 *
 * <p>Bounds (a guest chooses its own addresses, so every entry is accounted to the switch port, the {@code owner},
 * that made the gateway create it): at most {@code perOwner} entries per owner (a new one pushes that owner's least
 * recently heard entry out, so a port only ever crowds itself) and {@code capacity} in all (beyond, new entries are
 * refused and counted: nothing of another port's is evicted); at most {@value #MAX_QUEUED_PER_ENTRY} frames and
 * {@value #MAX_QUEUED_BYTES} bytes wait for resolution in all. {@link #releaseOwner} forgets a port's entries.
 *
 * <p>Not thread-safe: owned by the gateway's thread.
 */
public final class NeighborCache {
    /** Returned by {@link #lookup} when no MAC is known (not a valid 48-bit address). */
    public static final long NONE = -1L;
    /** RFC 4861 section 10: MAX_MULTICAST_SOLICIT. */
    public static final int MAX_MULTICAST_SOLICIT = 3;
    /** RFC 4861 section 10: MAX_UNICAST_SOLICIT. */
    public static final int MAX_UNICAST_SOLICIT = 3;
    /** RFC 4861 section 10: RETRANS_TIMER. */
    public static final long RETRANS_TIMER_MILLIS = 1000;
    /** How long after a snooped duplicate address detection the gateway first asks for the address. */
    public static final long DAD_WAIT_MILLIS = 1500;
    /** Default time without news after which an entry is probed: 10 minutes, as the ARP cache's lifetime. */
    public static final long DEFAULT_STALE_AFTER_NANOS = 10L * 60 * 1_000_000_000L;
    /** Default most entries. */
    public static final int DEFAULT_CAPACITY = 4096;
    /** Default most entries one switch port may make the gateway hold (SLAAC, privacy and DHCPv6 addresses). */
    public static final int DEFAULT_PER_OWNER = 64;
    /** Most frames waiting for one address to resolve. */
    public static final int MAX_QUEUED_PER_ENTRY = 3;
    /** Most bytes waiting for resolution in all. */
    public static final int MAX_QUEUED_BYTES = 256 * 1024;

    private static final long RETRANS_NANOS = RETRANS_TIMER_MILLIS * 1_000_000L;
    private static final long DAD_WAIT_NANOS = DAD_WAIT_MILLIS * 1_000_000L;

    /** An entry's state (see the class comment). */
    public enum State {
        /** Being resolved: no MAC yet. */
        INCOMPLETE,
        /** Seen in duplicate address detection, not confirmed yet. */
        TENTATIVE,
        /** Known and heard from. */
        VALID,
        /** Known, being checked with unicast solicitations. */
        PROBE
    }

    /** What the cache asks of the gateway. Called synchronously; must not call back into the cache. */
    interface Solicitor {
        /** Send a Neighbor Solicitation for {@code target}: unicast to {@code mac}, or multicast when {@link #NONE}. */
        void solicit(Ipv6Address target, long mac);

        /** Send {@code frame}, which waited for its neighbour, to {@code mac}; takes ownership of the frame. */
        void resolved(ByteBuf frame, long mac);
    }

    private static final class Entry {
        final Ipv6Address address;
        long mac = NONE;
        int owner;
        State state;
        /** When the gateway last heard from the address (or created the entry). */
        long heardAt;
        /** When the next solicitation is due (INCOMPLETE, TENTATIVE, PROBE). */
        long timerAt;
        int solicitations;
        ArrayDeque<ByteBuf> queue;

        Entry(Ipv6Address address) {
            this.address = address;
        }

        boolean confirmed() {
            return state == State.VALID || state == State.PROBE;
        }
    }

    private final Map<Ipv6Address, Entry> entries = new HashMap<>();
    private final Map<Integer, int[]> perOwnerCount = new HashMap<>();
    private final int capacity;
    private final int perOwner;
    private final long staleAfterNanos;
    private final GatewayCounters counters;
    private Solicitor solicitor;
    private NeighborListener listener = NeighborListener.NONE;
    private int queuedBytes;
    /** No timer of any entry is due before this (may be early: then {@link #poll} finds nothing and recomputes). */
    private long earliest = Long.MAX_VALUE;
    /** The entry {@link #heard(long, long, long, int, long)} refreshed last (null after any removal). */
    private Entry lastHeard;
    /** Refreshes of {@link #lastHeard} closer together than this are skipped (the switch does the same for MACs). */
    private static final long REFRESH_NANOS = 1_000_000_000L;

    /** A cache with the defaults, counting into {@code counters}. */
    public NeighborCache(GatewayCounters counters) {
        this(counters, DEFAULT_CAPACITY, DEFAULT_PER_OWNER, DEFAULT_STALE_AFTER_NANOS);
    }

    /**
     * A cache of at most {@code capacity} entries, {@code perOwner} per switch port, probing entries not heard from
     * for {@code staleAfterNanos}.
     */
    public NeighborCache(GatewayCounters counters, int capacity, int perOwner, long staleAfterNanos) {
        if (capacity <= 0 || perOwner <= 0 || staleAfterNanos <= 0) {
            throw new IllegalArgumentException("capacity, per-owner cap and stale time must be positive");
        }
        this.counters = Objects.requireNonNull(counters, "counters");
        this.capacity = capacity;
        this.perOwner = perOwner;
        this.staleAfterNanos = staleAfterNanos;
    }

    void setSolicitor(Solicitor solicitor) {
        this.solicitor = solicitor;
    }

    /** Installs who hears of confirmed and forgotten addresses ({@link NeighborListener#NONE} for nobody). */
    public void setListener(NeighborListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Time without news after which an entry is probed. */
    public long staleAfterNanos() {
        return staleAfterNanos;
    }

    /** The MAC of a confirmed entry for the address, or {@link #NONE}. Allocates the map key. */
    public long lookup(long high, long low) {
        Entry e = entries.get(new Ipv6Address(high, low));
        return e != null && e.confirmed() ? e.mac : NONE;
    }

    /** The MAC of a confirmed entry for {@code address}, or null. */
    public MacAddress lookup(Ipv6Address address) {
        long mac = lookup(address.high(), address.low());
        return mac == NONE ? null : MacAddress.of(mac);
    }

    /** The state of the entry for {@code address}, or null when there is none. */
    public State state(Ipv6Address address) {
        Entry e = entries.get(address);
        return e == null ? null : e.state;
    }

    /** Number of entries in every state. */
    public int size() {
        return entries.size();
    }

    /** Frames waiting for resolution. */
    public int queuedFrames() {
        int n = 0;
        for (Entry e : entries.values()) {
            n += e.queue == null ? 0 : e.queue.size();
        }
        return n;
    }

    /**
     * The gateway heard from {@code address} at {@code mac} (traffic from it, or a solicitation with its link-layer
     * address): creates or refreshes a valid entry, moving it to {@code mac} if it was elsewhere.
     *
     * @return true when the entry is new, newly confirmed or moved
     */
    public boolean heard(Ipv6Address address, long mac, int owner, long nowNanos) {
        Entry e = entries.get(address);
        if (e == null) {
            e = create(address, owner, nowNanos);
            if (e == null) {
                return false;
            }
        }
        return confirm(e, mac, owner, nowNanos);
    }

    /**
     * {@link #heard(Ipv6Address, long, int, long)} for the address of these 128 bits, for the per-packet path: a
     * packet from the same source, MAC and port as the last one within a second costs no lookup and no allocation.
     */
    public boolean heard(long high, long low, long mac, int owner, long nowNanos) {
        Entry e = lastHeard;
        if (e != null && e.address.low() == low && e.address.high() == high && e.mac == mac && e.owner == owner
                && e.state == State.VALID && nowNanos - e.heardAt < REFRESH_NANOS && nowNanos - e.heardAt >= 0) {
            return false;
        }
        return heard(new Ipv6Address(high, low), mac, owner, nowNanos);
    }

    /**
     * A Neighbor Advertisement for {@code target} at {@code mac}: as {@link #heard}, except that without the
     * Override flag a confirmed entry at another MAC is left alone (RFC 4861 7.2.5).
     *
     * @return true when the entry is new, newly confirmed or moved
     */
    public boolean advertised(Ipv6Address target, long mac, boolean override, int owner, long nowNanos) {
        Entry e = entries.get(target);
        if (e != null && e.confirmed() && e.mac != mac && !override) {
            return false;
        }
        return heard(target, mac, owner, nowNanos);
    }

    /**
     * A guest at {@code mac} was seen doing duplicate address detection for {@code target}: unless the address is
     * already known (its owner defends it) or being resolved, a {@link State#TENTATIVE} entry is made and the gateway
     * will ask for the address in {@value #DAD_WAIT_MILLIS} ms.
     */
    public void tentative(Ipv6Address target, long mac, int owner, long nowNanos) {
        Entry e = entries.get(target);
        if (e != null && e.state != State.TENTATIVE) {
            return;
        }
        if (e == null) {
            e = create(target, owner, nowNanos);
            if (e == null) {
                return;
            }
        } else {
            moveOwner(e, owner);
        }
        e.state = State.TENTATIVE;
        e.mac = mac;
        e.heardAt = nowNanos;
        e.solicitations = 0;
        schedule(e, nowNanos + DAD_WAIT_NANOS);
    }

    /**
     * Queues {@code frame} (a whole Ethernet frame whose destination MAC the {@link Solicitor} fills in) until
     * {@code address} resolves, starting resolution if it has not started: a multicast solicitation goes out at once.
     * Takes ownership of {@code frame}: it is either sent later through {@link Solicitor#resolved}, or released and
     * counted ({@link DropReason#NEIGHBOR_QUEUE_FULL}, {@link DropReason#NEIGHBOR_UNRESOLVED}).
     */
    public void enqueue(Ipv6Address address, ByteBuf frame, int owner, long nowNanos) {
        Entry e = entries.get(address);
        if (e != null && e.confirmed()) {
            solicitor.resolved(frame, e.mac);
            return;
        }
        if (e != null && e.state == State.TENTATIVE) {
            // Not assigned yet: the frame waits as for an unresolved address; the DAD probe goes on.
            e.state = State.INCOMPLETE;
            e.mac = NONE;
        }
        if (e == null) {
            e = create(address, owner, nowNanos);
            if (e == null) {
                frame.release();
                counters.drop(DropReason.NEIGHBOR_QUEUE_FULL);
                return;
            }
            e.state = State.INCOMPLETE;
            e.solicitations = 1;
            schedule(e, nowNanos + RETRANS_NANOS);
            solicitor.solicit(address, NONE);
        }
        int length = frame.readableBytes();
        if (queuedBytes + length > MAX_QUEUED_BYTES) {
            frame.release();
            counters.drop(DropReason.NEIGHBOR_QUEUE_FULL);
            return;
        }
        if (e.queue == null) {
            e.queue = new ArrayDeque<>(MAX_QUEUED_PER_ENTRY);
        }
        if (e.queue.size() == MAX_QUEUED_PER_ENTRY) {
            ByteBuf oldest = e.queue.removeFirst();
            queuedBytes -= oldest.readableBytes();
            oldest.release();
            counters.drop(DropReason.NEIGHBOR_QUEUE_FULL);
        }
        e.queue.addLast(frame);
        queuedBytes += length;
    }

    /**
     * Starts resolving {@code address} without a frame to queue (a connection the gateway opens towards a guest: its
     * SYN waits in the connection, which retransmits it): a multicast solicitation goes out at once unless the
     * address is known or already being resolved, as {@link #enqueue} does.
     *
     * @return the MAC when the address is known (confirmed), else {@link #NONE}
     */
    public long resolve(Ipv6Address address, int owner, long nowNanos) {
        Entry e = entries.get(address);
        if (e != null && e.confirmed()) {
            return e.mac;
        }
        if (e != null && e.state == State.INCOMPLETE) {
            return NONE;
        }
        if (e != null) { // TENTATIVE: not assigned yet, ask now rather than after the DAD wait
            e.state = State.INCOMPLETE;
            e.mac = NONE;
        } else if ((e = create(address, owner, nowNanos)) == null) {
            return NONE;
        }
        e.state = State.INCOMPLETE;
        e.solicitations = 1;
        schedule(e, nowNanos + RETRANS_NANOS);
        solicitor.solicit(address, NONE);
        return NONE;
    }

    /** When {@link #poll} next has something to do, {@link Long#MAX_VALUE} if never. */
    public long pollAt() {
        return earliest;
    }

    /** Sends what solicitations are due at {@code nowNanos}, moves stale entries to probing, drops failed ones. */
    public void poll(long nowNanos) {
        if (earliest == Long.MAX_VALUE || nowNanos - earliest < 0) {
            return;
        }
        long next = Long.MAX_VALUE;
        List<Entry> failed = null;
        for (Entry e : entries.values()) {
            long due = dueAt(e);
            if (nowNanos - due >= 0) {
                if (!fire(e, nowNanos)) {
                    if (failed == null) {
                        failed = new ArrayList<>();
                    }
                    failed.add(e);
                    continue;
                }
                due = dueAt(e);
            }
            if (next == Long.MAX_VALUE || due - next < 0) {
                next = due;
            }
        }
        earliest = next;
        if (failed != null) {
            for (Entry e : failed) {
                remove(e, e.state == State.INCOMPLETE ? DropReason.NEIGHBOR_UNRESOLVED : null);
            }
        }
    }

    /** Forgets every entry switch port {@code owner} made the gateway hold (the listener hears of confirmed ones). */
    public void releaseOwner(int owner) {
        List<Entry> gone = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.owner == owner) {
                gone.add(e);
            }
        }
        for (Entry e : gone) {
            remove(e, DropReason.NEIGHBOR_UNRESOLVED);
        }
    }

    /** Forgets {@code address} (the listener hears of it if it was confirmed). */
    public void remove(Ipv6Address address) {
        Entry e = entries.get(address);
        if (e != null) {
            remove(e, DropReason.NEIGHBOR_UNRESOLVED);
        }
    }

    /** Releases every waiting frame and forgets everything (without telling the listener). */
    public void close() {
        for (Entry e : entries.values()) {
            dropQueue(e, DropReason.NEIGHBOR_UNRESOLVED);
        }
        entries.clear();
        perOwnerCount.clear();
        lastHeard = null;
        earliest = Long.MAX_VALUE;
    }

    /** The confirmed entries, ordered by address (allocates; for the API and tests). */
    public Map<Ipv6Address, MacAddress> snapshot() {
        Map<Ipv6Address, MacAddress> out = new TreeMap<>();
        for (Entry e : entries.values()) {
            if (e.confirmed()) {
                out.put(e.address, MacAddress.of(e.mac));
            }
        }
        return out;
    }

    // ---- internals ------------------------------------------------------------------------------------------------

    /** A new entry for {@code address} accounted to {@code owner}, or null (counted) when the cache is full. */
    private Entry create(Ipv6Address address, int owner, long nowNanos) {
        int[] count = perOwnerCount.get(owner);
        if (count != null && count[0] >= perOwner) {
            Entry oldest = null;
            for (Entry e : entries.values()) {
                if (e.owner == owner && (oldest == null || e.heardAt - oldest.heardAt < 0)) {
                    oldest = e;
                }
            }
            if (oldest != null) {
                counters.neighborEvicted();
                remove(oldest, DropReason.NEIGHBOR_QUEUE_FULL);
            }
        } else if (entries.size() >= capacity) {
            counters.neighborRefused();
            return null;
        }
        Entry e = new Entry(address);
        e.owner = owner;
        e.heardAt = nowNanos;
        entries.put(address, e);
        perOwnerCount.computeIfAbsent(owner, o -> new int[1])[0]++;
        return e;
    }

    private boolean confirm(Entry e, long mac, int owner, long nowNanos) {
        lastHeard = e;
        boolean wasConfirmed = e.confirmed();
        long oldMac = e.mac;
        int oldOwner = e.owner;
        boolean changed = !wasConfirmed || oldMac != mac;
        if (wasConfirmed && oldMac != mac) {
            listener.forgotten(e.address, MacAddress.of(oldMac), oldOwner);
        }
        moveOwner(e, owner);
        e.mac = mac;
        e.state = State.VALID;
        e.heardAt = nowNanos;
        e.solicitations = 0;
        schedule(e, nowNanos + staleAfterNanos);
        if (e.queue != null) {
            ArrayDeque<ByteBuf> queue = e.queue;
            e.queue = null;
            for (ByteBuf frame : queue) {
                queuedBytes -= frame.readableBytes();
                solicitor.resolved(frame, mac);
            }
        }
        if (changed) {
            counters.neighborLearned();
            listener.learned(e.address, MacAddress.of(mac), e.owner);
        }
        return changed;
    }

    private void moveOwner(Entry e, int owner) {
        if (e.owner == owner) {
            return;
        }
        decrementOwner(e.owner);
        e.owner = owner;
        perOwnerCount.computeIfAbsent(owner, o -> new int[1])[0]++;
    }

    private void decrementOwner(int owner) {
        int[] c = perOwnerCount.get(owner);
        if (c != null && --c[0] <= 0) {
            perOwnerCount.remove(owner);
        }
    }

    /** When the entry's timer runs: solicitations for the unconfirmed and probed, staleness for the valid. */
    private long dueAt(Entry e) {
        return e.state == State.VALID ? e.heardAt + staleAfterNanos : e.timerAt;
    }

    private void schedule(Entry e, long at) {
        e.timerAt = at;
        if (earliest == Long.MAX_VALUE || at - earliest < 0) {
            earliest = at;
        }
    }

    /** Runs the entry's due timer; false when the entry has failed and must go. */
    private boolean fire(Entry e, long nowNanos) {
        switch (e.state) {
            case INCOMPLETE -> {
                if (e.solicitations >= MAX_MULTICAST_SOLICIT) {
                    return false;
                }
                e.solicitations++;
                e.timerAt = nowNanos + RETRANS_NANOS;
                solicitor.solicit(e.address, NONE);
            }
            case VALID -> {
                // RFC 4861 7.3.3: no news for a while, probe by unicast.
                e.state = State.PROBE;
                e.solicitations = 1;
                e.timerAt = nowNanos + RETRANS_NANOS;
                solicitor.solicit(e.address, e.mac);
            }
            case TENTATIVE, PROBE -> {
                if (e.solicitations >= MAX_UNICAST_SOLICIT) {
                    return false;
                }
                e.solicitations++;
                e.timerAt = nowNanos + RETRANS_NANOS;
                solicitor.solicit(e.address, e.mac);
            }
            default -> throw new AssertionError(e.state);
        }
        return true;
    }

    private void remove(Entry e, DropReason queuedReason) {
        if (entries.remove(e.address) == null) {
            return;
        }
        lastHeard = null;
        decrementOwner(e.owner);
        dropQueue(e, queuedReason);
        if (e.confirmed()) {
            listener.forgotten(e.address, MacAddress.of(e.mac), e.owner);
        }
    }

    private void dropQueue(Entry e, DropReason reason) {
        if (e.queue == null) {
            return;
        }
        for (Iterator<ByteBuf> it = e.queue.iterator(); it.hasNext(); ) {
            ByteBuf frame = it.next();
            queuedBytes -= frame.readableBytes();
            frame.release();
            counters.drop(reason == null ? DropReason.NEIGHBOR_UNRESOLVED : reason);
        }
        e.queue = null;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("NeighborCache{");
        for (Entry e : entries.values()) {
            sb.append(e.address).append(' ').append(e.state);
            if (e.mac != NONE) {
                sb.append(" at ").append(MacAddress.format(e.mac));
            }
            sb.append(", ");
        }
        return sb.append("size=").append(entries.size()).append('}').toString();
    }
}
