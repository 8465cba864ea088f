package io.userv2.stack.tcp;

import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The table of TCP connections of one gateway: four-tuple to {@link TcpConnection}, with admission caps so that one
 * guest (or all of them) cannot exhaust memory with SYNs. New connections get RFC 6528 initial sequence numbers from
 * an {@link IsnGenerator} and share one {@link TcpStats}.
 *
 * <p>How the NAT layer uses it, per incoming segment {@code seg} from {@code key}:
 * <pre>{@code
 * TcpConnection c = demux.get(key);
 * if (c != null && !(seg is a SYN && c.acceptsNewSyn(seg))) {
 *     c.process(seg, payload, now);                       // then dispatch when c.pollAt() <= now
 * } else if (seg.control() == SYN && !seg.hasAck()) {
 *     c = demux.admitSyn(key, seg, now);                  // SYN_PENDING; null when refused by a cap
 *     if (c == null && TcpConnection.resetFor(seg, rst)) emit(rst);   // counted in refused...()
 *     else dial the host, then c.accept(now) or c.refuse(now)
 * } else if (TcpConnection.resetFor(seg, rst)) {
 *     emit(rst);                                          // RFC 9293 3.10.7.1: no connection
 * }
 * }</pre>
 * The owner removes connections with {@link #remove} (which releases them) once they are terminated, or when a dial
 * times out.
 *
 * <p>Owns the connections it holds: {@link #remove}, {@link #removeIf} and {@link #releaseAll} release them. Not
 * thread-safe.
 */
public final class TcpDemux {
    private final HashMap<TcpConnectionKey, TcpConnection> table = new HashMap<>();
    /** Connections per remote address, the address in 128 bits (IPv4 mapped, as in the key). */
    private final HashMap<Ipv6Address, Integer> perSource = new HashMap<>();
    /**
     * Whether {@link #perSource} is kept: not when its cap cannot refuse anything (at least the total's, as the NAT
     * sets it, whose caps are per switch port), which saves two map updates and their boxes on every open and close.
     */
    private final boolean countPerSource;
    private final TcpConfig config;
    /** {@link #config} for connections over IPv6: the MSS 20 bytes smaller ({@link TcpConfig#forIpv6()}). */
    private final TcpConfig config6;
    private final ByteBufAllocator alloc;
    private final IsnGenerator isn;
    private final TcpStats stats;
    private final int maxConnections;
    private final int maxPerSource;
    private long refusedTotalLimit;
    private long refusedSourceLimit;

    /**
     * @param maxConnections most connections in the table
     * @param maxPerSource   most connections from one remote (guest) address
     * @param stats          counters shared by all connections (null: a new instance)
     */
    public TcpDemux(TcpConfig config, ByteBufAllocator alloc, IsnGenerator isn, TcpStats stats, int maxConnections,
                    int maxPerSource) {
        this.config = Objects.requireNonNull(config, "config");
        this.config6 = config.forIpv6();
        this.alloc = Objects.requireNonNull(alloc, "alloc");
        this.isn = Objects.requireNonNull(isn, "isn");
        this.stats = stats != null ? stats : new TcpStats();
        if (maxConnections < 1 || maxPerSource < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
        this.maxConnections = maxConnections;
        this.maxPerSource = maxPerSource;
        this.countPerSource = maxPerSource < maxConnections;
    }

    /** The connection of {@code key}, or null. */
    public TcpConnection get(TcpConnectionKey key) {
        return table.get(key);
    }

    /**
     * Admits the guest's {@code syn} (a SYN without ACK) for {@code key}: a new connection in
     * {@link TcpState#SYN_PENDING}, or null when a cap refuses it (counted; the caller answers
     * {@link TcpConnection#resetFor}{@code (syn, rst)}). A connection already there is replaced (and released) only
     * if it {@link TcpConnection#acceptsNewSyn accepts a new SYN} (TIME-WAIT reuse).
     *
     * @throws IllegalStateException when a live connection holds {@code key}
     * @throws IllegalArgumentException when {@code syn} is not a SYN without ACK
     */
    public TcpConnection admitSyn(TcpConnectionKey key, TcpHeader syn, long now) {
        if (syn.control() != TcpControl.SYN || syn.hasAck()) {
            throw new IllegalArgumentException("not a SYN: " + syn);
        }
        TcpConnection old = table.get(key);
        if (old != null) {
            if (!old.acceptsNewSyn(syn)) {
                throw new IllegalStateException("connection exists: " + old);
            }
            remove(key);
        }
        if (table.size() >= maxConnections) {
            refusedTotalLimit++;
            return null;
        }
        if (sourceFull(key)) {
            return null;
        }
        TcpConnection c = TcpConnection.acceptSyn(key, syn, configFor(key), alloc, stats, isn.next(key, now), now);
        table.put(key, c);
        countSource(key);
        return c;
    }

    /** An active open to {@code key} (e.g. a port forward into a guest), subject to the same caps; null if refused. */
    public TcpConnection connect(TcpConnectionKey key, long now) {
        if (table.containsKey(key)) {
            throw new IllegalStateException("connection exists: " + key);
        }
        if (table.size() >= maxConnections) {
            refusedTotalLimit++;
            return null;
        }
        if (sourceFull(key)) {
            return null;
        }
        TcpConnection c = TcpConnection.connect(key, configFor(key), alloc, stats, isn.next(key, now), now);
        table.put(key, c);
        countSource(key);
        return c;
    }

    /** Removes and releases the connection of {@code key}; false when there was none. */
    public boolean remove(TcpConnectionKey key) {
        TcpConnection c = table.remove(key);
        if (c == null) {
            return false;
        }
        forget(c);
        return true;
    }

    /** Removes and releases every connection matching {@code filter} (e.g. {@link TcpConnection#isTerminated}). */
    public int removeIf(Predicate<TcpConnection> filter) {
        int removed = 0;
        for (Iterator<TcpConnection> it = table.values().iterator(); it.hasNext(); ) {
            TcpConnection c = it.next();
            if (filter.test(c)) {
                it.remove();
                forget(c);
                removed++;
            }
        }
        return removed;
    }

    /** Releases every connection and empties the table (shutdown). */
    public void releaseAll() {
        removeIf(c -> true);
    }

    /** True (and the refusal counted) when {@code key}'s remote address is at its cap. */
    private boolean sourceFull(TcpConnectionKey key) {
        if (countPerSource && perSource.getOrDefault(key.remoteIpv6(), 0) >= maxPerSource) {
            refusedSourceLimit++;
            return true;
        }
        return false;
    }

    /** Counts one more connection from {@code key}'s remote address. */
    private void countSource(TcpConnectionKey key) {
        if (countPerSource) {
            perSource.merge(key.remoteIpv6(), 1, Integer::sum);
        }
    }

    private void forget(TcpConnection c) {
        c.release();
        if (countPerSource) {
            perSource.computeIfPresent(c.key().remoteIpv6(), (k, v) -> v > 1 ? v - 1 : null);
        }
    }

    /** The configuration of a connection with {@code key}: the MSS follows its IP header's size. */
    private TcpConfig configFor(TcpConnectionKey key) {
        return key.isIpv6() ? config6 : config;
    }

    /** The connections, unmodifiable (for timers: the earliest {@link TcpConnection#pollAt()}). */
    public Collection<TcpConnection> connections() {
        return Collections.unmodifiableCollection(table.values());
    }

    /** Number of connections. */
    public int size() {
        return table.size();
    }

    /** Number of connections from {@code remote}. */
    public int countFrom(Ipv4Address remote) {
        Ipv6Address src = new Ipv6Address(0, TcpConnectionKey.mapped(remote.bits()));
        if (countPerSource) {
            return perSource.getOrDefault(src, 0);
        }
        int n = 0; // not kept: counted from the table (a rare question)
        for (TcpConnectionKey k : table.keySet()) {
            n += k.remoteIpv6().equals(src) ? 1 : 0;
        }
        return n;
    }

    /** SYNs refused because the table was full. */
    public long refusedTotalLimit() {
        return refusedTotalLimit;
    }

    /** SYNs refused because their source had too many connections. */
    public long refusedSourceLimit() {
        return refusedSourceLimit;
    }

    /** The shared counters. */
    public TcpStats stats() {
        return stats;
    }
}
