package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The held-fragment bookkeeping shared by {@link Ipv4Reassembler} and {@link Ipv6Reassembler}: the datagrams in
 * reassembly keyed by a family's {@code K} (which includes the ingress owner), the payload ranges each holds, the
 * limits of {@link ReassemblyLimits} (datagrams in total and per owner, fragments per datagram, buffer bytes), the
 * rules both families share (M/MF fragments carry a non-empty multiple of 8 bytes, the last fragment fixes the length,
 * an exact duplicate is dropped alone, any other overlap drops the whole datagram, the reassembled length bound),
 * and expiry in deadline order. Header parsing, the family's RFC rules and the frame built on completion stay with the
 * family.
 *
 * <p>Memory: each held datagram owns one buffer from the allocator, the payload at {@code prefix + offset} (the room
 * before it is the family's, for the headers); its capacity counts against {@link ReassemblyLimits#maxBytes()}. A
 * buffer is released here on every drop and on {@link #close()}; on completion it goes to the family, which hands it
 * to its caller.
 *
 * <p>Not thread-safe: owned by the gateway's thread, through its reassembler.
 */
final class HeldDatagrams<K> {
    /** One datagram in reassembly. The family reads it and sets the fields of the first fragment. */
    static final class Datagram {
        final Object key;
        final int owner;
        final long deadline;
        ByteBuf buf;
        /** Sorted, non-overlapping payload ranges held: [starts[i], ends[i]). */
        int[] starts = new int[8];
        int[] ends = new int[8];
        int fragments;
        int receivedBytes;
        int highestEnd;
        /** Payload length once the last fragment is in, else -1. */
        int length = -1;
        /**
         * The first fragment's headers' length once it is in (set by the family), else 0: IPv4's header, IPv6's
         * Per-Fragment headers.
         */
        int headerLength;
        long ethDestination;
        long ethSource;
        /**
         * IPv6 only: where in the first fragment's Per-Fragment headers the Next Header naming the Fragment header is
         * (relative to the IPv6 header), for quoting the fragment as received.
         */
        int nextHeaderPointer;

        Datagram(Object key, int owner, long deadline) {
            this.key = key;
            this.owner = owner;
            this.deadline = deadline;
        }

        int capacity() {
            return buf == null ? 0 : buf.capacity();
        }
    }

    private final ByteBufAllocator alloc;
    private final GatewayCounters counters;
    private final ReassemblyLimits limits;
    /** Room before the payload in each buffer. */
    private final int prefix;
    /** The largest buffer. */
    private final int maxBuffer;
    /** In arrival order of the first fragment, which is deadline order (the timeout is the same for all). */
    private final LinkedHashMap<K, Datagram> datagrams = new LinkedHashMap<>();
    private final Map<Integer, int[]> perOwner = new HashMap<>();
    private long bytes;
    /** Told of timed-out datagrams whose first fragment is in; null: nobody. */
    private Expired onExpiry;

    /** What a family does with a timed-out datagram whose first fragment is in, before its buffer is released. */
    interface Expired {
        /** {@code d} timed out; its buffer is valid during the call only. */
        void expired(Datagram d, long nowNanos);
    }

    HeldDatagrams(ByteBufAllocator alloc, GatewayCounters counters, ReassemblyLimits limits, int prefix,
            int maxBuffer) {
        this.alloc = Objects.requireNonNull(alloc, "alloc");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.prefix = prefix;
        this.maxBuffer = maxBuffer;
    }

    /** Sets who hears of timed-out datagrams whose first fragment is in. */
    void onExpiry(Expired onExpiry) {
        this.onExpiry = onExpiry;
    }

    /**
     * The end of the first fragment's payload (its length) when the fragment at offset 0 is held, else -1. Ranges are
     * never merged, so the range that starts at 0 is that fragment's.
     */
    static int firstFragmentEnd(Datagram d) {
        return d.headerLength != 0 && d.fragments > 0 && d.starts[0] == 0 ? d.ends[0] : -1;
    }

    ReassemblyLimits limits() {
        return limits;
    }

    int size() {
        return datagrams.size();
    }

    int size(int owner) {
        int[] n = perOwner.get(owner);
        return n == null ? 0 : n[0];
    }

    long bytes() {
        return bytes;
    }

    /** The datagram held under {@code key}, or null. */
    Datagram get(K key) {
        return datagrams.get(key);
    }

    /**
     * Checks the fragment [offset, offset + length) of the datagram {@code d} (held under {@code key}, or null for a
     * new one) against the shared rules and limits and copies its payload from {@code src} at {@code srcIndex} into
     * the datagram's buffer. {@code maxEnd} is the family's bound on the payload end given the headers known so far.
     *
     * @return the datagram, now holding the payload (the caller records the range with {@link #record} after writing
     *     the first fragment's headers), or null when the fragment was dropped and counted
     */
    Datagram admit(Datagram d, K key, int owner, int offset, int length, boolean more, int maxEnd, ByteBuf src,
            int srcIndex, long nowNanos) {
        int end = offset + length;
        if (more && (length == 0 || (length & 7) != 0)) {
            return refuse(d, DropReason.FRAGMENT_MALFORMED);
        }
        if (end > maxEnd) {
            return refuse(d, DropReason.FRAGMENT_TOO_LONG);
        }
        if (d == null) {
            if (datagrams.size() >= limits.maxDatagrams()) {
                return refuse(null, DropReason.FRAGMENT_TOTAL_LIMIT);
            }
            if (size(owner) >= limits.maxDatagramsPerOwner()) {
                return refuse(null, DropReason.FRAGMENT_OWNER_LIMIT);
            }
            d = new Datagram(key, owner, nowNanos + limits.timeoutNanos());
        } else {
            // RFC 791 / Linux ip_frag_queue: fragments must agree on where the datagram ends.
            if (d.length >= 0 ? end > d.length || (!more && end != d.length) : !more && end < d.highestEnd) {
                return refuse(d, DropReason.FRAGMENT_INCONSISTENT);
            }
            // The first fragment's headers, now known, may leave no room for what is held.
            if (offset == 0 && d.headerLength == 0 && d.highestEnd > maxEnd) {
                return refuse(d, DropReason.FRAGMENT_TOO_LONG);
            }
            int i = findOverlap(d, offset, end);
            if (i >= 0) {
                if (d.starts[i] == offset && d.ends[i] == end) {
                    counters.drop(DropReason.FRAGMENT_DUPLICATE);
                    return null;
                }
                return refuse(d, DropReason.FRAGMENT_OVERLAP);
            }
            if (d.fragments >= limits.maxFragments()) {
                return refuse(d, DropReason.FRAGMENT_TOO_MANY);
            }
        }
        int datagramLength = more ? d.length : end;
        int needed = prefix + Math.max(end, d.highestEnd);
        int capacity = d.capacity();
        if (capacity < needed) {
            int newCapacity = datagramLength >= 0 ? prefix + datagramLength
                    : Math.max(needed, Math.min(maxBuffer, capacity * 2));
            if (bytes + newCapacity - capacity > limits.maxBytes()) {
                return refuse(d.buf == null ? null : d, DropReason.FRAGMENT_MEMORY_LIMIT);
            }
            if (d.buf == null) {
                d.buf = alloc.buffer(newCapacity, maxBuffer);
                datagrams.put(key, d);
                perOwner.computeIfAbsent(owner, o -> new int[1])[0]++;
            } else {
                d.buf.capacity(newCapacity);
            }
            bytes += newCapacity - capacity;
        }
        if (!more) {
            d.length = end;
        }
        d.buf.setBytes(prefix + offset, src, srcIndex, length);
        return d;
    }

    /**
     * Records the admitted range [start, end) in {@code d}.
     *
     * @return true when {@code d} is now complete (all of its length and the first fragment's headers are in): it is
     *     then no longer held and its buffer is the caller's
     */
    boolean record(Datagram d, int start, int end) {
        insert(d, start, end);
        d.fragments++;
        d.receivedBytes += end - start;
        d.highestEnd = Math.max(d.highestEnd, end);
        if (d.length < 0 || d.headerLength == 0 || d.receivedBytes != d.length) {
            return false;
        }
        forget(d);
        return true;
    }

    /**
     * Index of a held range that [start, end) duplicates or overlaps, else -1. (An empty range, which only a last
     * fragment can be, never gets here inside a held one: it ends before data already held, which is inconsistent.)
     */
    private static int findOverlap(Datagram d, int start, int end) {
        for (int i = 0; i < d.fragments; i++) {
            if ((d.starts[i] == start && d.ends[i] == end) || (d.starts[i] < end && start < d.ends[i])) {
                return i;
            }
        }
        return -1;
    }

    private static void insert(Datagram d, int start, int end) {
        int n = d.fragments;
        if (n == d.starts.length) {
            d.starts = Arrays.copyOf(d.starts, n * 2);
            d.ends = Arrays.copyOf(d.ends, n * 2);
        }
        int i = n;
        while (i > 0 && d.starts[i - 1] > start) {
            d.starts[i] = d.starts[i - 1];
            d.ends[i] = d.ends[i - 1];
            i--;
        }
        d.starts[i] = start;
        d.ends[i] = end;
    }

    /**
     * Drops the fragment being offered for {@code reason} and, when {@code d} is held, the datagram with all its
     * fragments (each counted under {@code reason}).
     *
     * @return null, for the caller to return
     */
    <T> T refuse(Datagram d, DropReason reason) {
        counters.drop(reason);
        if (d != null && d.buf != null) {
            discard(d, reason);
        }
        return null;
    }

    private void discard(Datagram d, DropReason reason) {
        forget(d);
        counters.drop(reason, d.fragments);
        d.buf.release();
    }

    /** Removes {@code d} from the tables and the accounting; its buffer is the caller's to release or hand on. */
    private void forget(Datagram d) {
        datagrams.remove(d.key);
        bytes -= d.capacity();
        int[] n = perOwner.get(d.owner);
        if (--n[0] == 0) {
            perOwner.remove(d.owner);
        }
    }

    /**
     * Drops (and counts as {@link DropReason#FRAGMENT_TIMEOUT}) every datagram overdue at {@code nowNanos}, first
     * telling {@link #onExpiry} of each whose first fragment is in.
     */
    void expire(long nowNanos) {
        while (!datagrams.isEmpty()) {
            Datagram d = datagrams.values().iterator().next();
            if (nowNanos - d.deadline < 0) {
                return;
            }
            try {
                if (onExpiry != null && firstFragmentEnd(d) >= 0) {
                    onExpiry.expired(d, nowNanos);
                }
            } finally {
                discard(d, DropReason.FRAGMENT_TIMEOUT);
            }
        }
    }

    /** The earliest deadline, or {@link Long#MAX_VALUE} if nothing is held. */
    long pollAt() {
        Iterator<Datagram> it = datagrams.values().iterator();
        return it.hasNext() ? it.next().deadline : Long.MAX_VALUE;
    }

    /** Drops everything held for ingress {@code owner}, counted as {@link DropReason#FRAGMENT_ABORTED}. */
    void releaseOwner(int owner) {
        if (!perOwner.containsKey(owner)) {
            return;
        }
        for (Datagram d : datagrams.values().toArray(new Datagram[0])) {
            if (d.owner == owner) {
                discard(d, DropReason.FRAGMENT_ABORTED);
            }
        }
    }

    /** Drops everything held, counted as {@link DropReason#FRAGMENT_ABORTED}, releasing every buffer. */
    void close() {
        for (Datagram d : datagrams.values().toArray(new Datagram[0])) {
            discard(d, DropReason.FRAGMENT_ABORTED);
        }
    }
}
