package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.MacAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Reassembles IPv4 fragments into whole datagrams (RFC 791 section 3.2, "Fragmentation and Reassembly"), sans-IO:
 * time is an argument, buffers come from the allocator it is given, drops are counted in {@link GatewayCounters}.
 *
 * <p>Rules, with where they come from:
 * <ul>
 *   <li>Datagrams are told apart by RFC 791's "source, destination, protocol, and identifier" and, so that one VM
 *       cannot use up another's share, by the ingress owner the fragments came from: fragments of one datagram that
 *       come in on two ports are two datagrams (that never complete).</li>
 *   <li>A fragment with More Fragments set must carry a non-empty payload that is a multiple of 8 bytes (RFC 791:
 *       "the fragment offset ... is measured in units of 8 octets"), else it and its datagram are dropped
 *       ({@link DropReason#FRAGMENT_MALFORMED}; Linux drops the queue for an empty one).</li>
 *   <li>The last fragment (MF clear) fixes the length; a second last fragment with another end, or data beyond the
 *       end, drops the datagram ({@link DropReason#FRAGMENT_INCONSISTENT}, as Linux's {@code ip_frag_queue}).</li>
 *   <li>An exact duplicate (same offset and length) is dropped alone ({@link DropReason#FRAGMENT_DUPLICATE}); any
 *       other overlap drops the whole datagram ({@link DropReason#FRAGMENT_OVERLAP}), RFC 5722's rule for IPv6
 *       ("the entire datagram ... MUST be silently discarded"), which Linux applies to IPv4 too. Unlike RFC 5722's
 *       "including those not yet received", no tombstone is kept: later fragments start a new datagram, which times
 *       out.</li>
 *   <li>The reassembled datagram is at most 65,535 bytes, header included ({@link DropReason#FRAGMENT_TOO_LONG}).</li>
 *   <li>The reassembled header is the first fragment's (RFC 791: "the header of the first fragment"), options
 *       included, with Total Length set, MF and the offset cleared (DF as the first fragment had it) and a new header
 *       checksum. The Ethernet header is the first fragment's too.</li>
 *   <li>A datagram not complete {@link ReassemblyLimits#timeoutNanos()} after its first fragment arrived is dropped
 *       ({@link DropReason#FRAGMENT_TIMEOUT}); no ICMP Time Exceeded is sent (RFC 792: it "may send"). The timer is
 *       not restarted by later fragments (as Linux; RFC 791 would raise it to the fragment's TTL).</li>
 *   <li>Bounded by {@link ReassemblyLimits}: datagrams per owner and in total, fragments per datagram, buffer bytes
 *       in total. A limit refuses the fragment that would exceed it (and, for fragments and bytes, its datagram,
 *       which can no longer complete); nothing already held is evicted to make room.</li>
 * </ul>
 *
 * <p>Memory: each datagram in reassembly holds one buffer from the allocator, laid out as the frame it will become
 * (room for an Ethernet header and the longest IPv4 header, then the payload at its offset), so completing it copies
 * nothing. The buffer grows by doubling while the length is unknown and is sized exactly once the last fragment is
 * in; its capacity is what counts against {@link ReassemblyLimits#maxBytes()}. Every buffer is released on
 * completion (handed to the caller), drop, timeout, {@link #releaseOwner} and {@link #close()}.
 *
 * <p>Time: {@code now} is the engine's monotonic clock; expiry assumes it does not go backwards.
 *
 * <p>Not thread-safe: owned by the gateway's thread.
 */
public final class Ipv4Reassembler {
    /** Room reserved before the payload: an Ethernet header (14) and the longest IPv4 header (60). */
    static final int PREFIX = EthernetFrame.HEADER_LENGTH + 60;
    /** The most payload an IPv4 datagram can carry: 65,535 - 20. */
    static final int MAX_PAYLOAD = 0xFFFF - Ipv4Packet.MIN_HEADER_LENGTH;
    /** The largest reassembly buffer. */
    static final int MAX_BUFFER = PREFIX + MAX_PAYLOAD;

    private final ByteBufAllocator alloc;
    private final GatewayCounters counters;
    private final ReassemblyLimits limits;
    /** In arrival order of the first fragment, which is deadline order (the timeout is the same for all). */
    private final LinkedHashMap<Key, Datagram> datagrams = new LinkedHashMap<>();
    private final Map<Integer, int[]> perOwner = new HashMap<>();
    private long bytes;

    /** Source and destination; owner, protocol and identification. */
    private record Key(long addresses, long rest) {
        static Key of(Ipv4Packet packet, int owner) {
            return new Key(((long) packet.source() << 32) | (packet.destination() & 0xFFFF_FFFFL),
                    ((long) owner << 32) | ((long) packet.protocolNumber() << 16) | packet.identification());
        }
    }

    private static final class Datagram {
        final Key key;
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
        /** The first fragment's header length once it is in, else 0. */
        int headerLength;
        long ethDestination;
        long ethSource;

        Datagram(Key key, int owner, long deadline) {
            this.key = key;
            this.owner = owner;
            this.deadline = deadline;
        }

        int capacity() {
            return buf == null ? 0 : buf.capacity();
        }
    }

    /**
     * A reassembler taking buffers from {@code alloc}, counting in {@code counters} (shared with the gateway), bounded
     * by {@code limits}.
     */
    public Ipv4Reassembler(ByteBufAllocator alloc, GatewayCounters counters, ReassemblyLimits limits) {
        this.alloc = Objects.requireNonNull(alloc, "alloc");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** The limits in force. */
    public ReassemblyLimits limits() {
        return limits;
    }

    /** Datagrams in reassembly now. */
    public int datagrams() {
        return datagrams.size();
    }

    /** Datagrams in reassembly now for ingress {@code owner}. */
    public int datagrams(int owner) {
        int[] n = perOwner.get(owner);
        return n == null ? 0 : n[0];
    }

    /** Bytes of reassembly buffers held now (their capacity). */
    public long bytes() {
        return bytes;
    }

    /**
     * Takes one fragment ({@code fragment.isFragment()}, header checksum already verified) that came in {@code eth}
     * from ingress {@code owner}. Expires overdue datagrams first.
     *
     * <p>Ownership: the caller keeps ownership of the buffer under {@code eth} and {@code fragment}; the bytes needed
     * are copied, nothing is retained.
     *
     * @return null while the datagram is incomplete (or when the fragment was dropped and counted); when this fragment
     *     completes it, a buffer whose readable bytes are the whole datagram as an untagged Ethernet frame (the first
     *     fragment's Ethernet and IPv4 headers, the latter with MF and offset clear, Total Length and checksum
     *     rewritten) which the caller owns and must release
     */
    public ByteBuf offer(EthernetFrame eth, Ipv4Packet fragment, int owner, long nowNanos) {
        expire(nowNanos);
        int offset = fragment.fragmentOffsetBytes();
        int length = fragment.payloadLength();
        int end = offset + length;
        boolean more = fragment.moreFragments();
        Key key = Key.of(fragment, owner);
        Datagram d = datagrams.get(key);

        if (more && (length == 0 || (length & 7) != 0)) {
            return refuse(d, DropReason.FRAGMENT_MALFORMED);
        }
        int headerLength = offset == 0 ? fragment.headerLength() : d == null ? 0 : d.headerLength;
        if (end > 0xFFFF - Math.max(headerLength, Ipv4Packet.MIN_HEADER_LENGTH)) {
            return refuse(d, DropReason.FRAGMENT_TOO_LONG);
        }
        if (d == null) {
            if (datagrams.size() >= limits.maxDatagrams()) {
                return refuse(null, DropReason.FRAGMENT_TOTAL_LIMIT);
            }
            if (datagrams(owner) >= limits.maxDatagramsPerOwner()) {
                return refuse(null, DropReason.FRAGMENT_OWNER_LIMIT);
            }
            d = new Datagram(key, owner, nowNanos + limits.timeoutNanos());
        } else {
            // RFC 791 / Linux ip_frag_queue: fragments must agree on where the datagram ends.
            if (d.length >= 0 ? end > d.length || (!more && end != d.length) : !more && end < d.highestEnd) {
                return refuse(d, DropReason.FRAGMENT_INCONSISTENT);
            }
            if (offset == 0 && d.headerLength == 0 && d.highestEnd > 0xFFFF - headerLength) {
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
        int needed = PREFIX + Math.max(end, d.highestEnd);
        int capacity = d.capacity();
        if (capacity < needed) {
            int newCapacity = datagramLength >= 0 ? PREFIX + datagramLength
                    : Math.max(needed, Math.min(MAX_BUFFER, capacity * 2));
            if (bytes + newCapacity - capacity > limits.maxBytes()) {
                return refuse(d.buf == null ? null : d, DropReason.FRAGMENT_MEMORY_LIMIT);
            }
            if (d.buf == null) {
                d.buf = alloc.buffer(newCapacity, MAX_BUFFER);
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
        ByteBuf buf = d.buf;
        buf.setBytes(PREFIX + offset, fragment.buffer(), fragment.payloadOffset(), length);
        if (offset == 0) {
            d.headerLength = headerLength;
            buf.setBytes(PREFIX - headerLength, fragment.buffer(), fragment.offset(), headerLength);
            d.ethDestination = eth.destination();
            d.ethSource = eth.source();
        }
        insert(d, offset, end);
        d.fragments++;
        d.receivedBytes += length;
        d.highestEnd = Math.max(d.highestEnd, end);
        if (d.length < 0 || d.headerLength == 0 || d.receivedBytes != d.length) {
            return null;
        }
        forget(d);
        counters.reassembled(d.fragments);
        return finish(d);
    }

    /** Rewrites the first fragment's headers into those of the whole datagram; the buffer goes to the caller. */
    private static ByteBuf finish(Datagram d) {
        ByteBuf buf = d.buf;
        int ip = PREFIX - d.headerLength;
        buf.setShort(ip + Ipv4Packet.TOTAL_LENGTH, d.headerLength + d.length);
        buf.setShort(ip + Ipv4Packet.FLAGS_FRAGMENT_OFFSET,
                buf.getUnsignedShort(ip + Ipv4Packet.FLAGS_FRAGMENT_OFFSET)
                        & ~(Ipv4Packet.FLAG_MF | Ipv4Packet.FRAGMENT_OFFSET_MASK));
        buf.setShort(ip + Ipv4Packet.HEADER_CHECKSUM, 0);
        buf.setShort(ip + Ipv4Packet.HEADER_CHECKSUM, Checksum.compute(buf, ip, d.headerLength));
        int frame = ip - EthernetFrame.HEADER_LENGTH;
        MacAddress.write(buf, frame + EthernetFrame.DESTINATION, d.ethDestination);
        MacAddress.write(buf, frame + EthernetFrame.SOURCE, d.ethSource);
        buf.setShort(frame + EthernetFrame.ETHER_TYPE, EtherType.IPV4_VALUE);
        buf.setIndex(frame, PREFIX + d.length);
        return buf;
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
     */
    private ByteBuf refuse(Datagram d, DropReason reason) {
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

    /** Drops (and counts as {@link DropReason#FRAGMENT_TIMEOUT}) every datagram overdue at {@code nowNanos}. */
    public void expire(long nowNanos) {
        while (!datagrams.isEmpty()) {
            Datagram d = datagrams.values().iterator().next();
            if (nowNanos - d.deadline < 0) {
                return;
            }
            discard(d, DropReason.FRAGMENT_TIMEOUT);
        }
    }

    /** When {@link #expire} next has something to do: the earliest deadline, or {@link Long#MAX_VALUE} if none. */
    public long pollAt() {
        Iterator<Datagram> it = datagrams.values().iterator();
        return it.hasNext() ? it.next().deadline : Long.MAX_VALUE;
    }

    /**
     * Drops everything held for ingress {@code owner} (its port went away), counted as
     * {@link DropReason#FRAGMENT_ABORTED}.
     */
    public void releaseOwner(int owner) {
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
    public void close() {
        for (Datagram d : datagrams.values().toArray(new Datagram[0])) {
            discard(d, DropReason.FRAGMENT_ABORTED);
        }
    }

    @Override
    public String toString() {
        return "Ipv4Reassembler{" + datagrams.size() + " datagrams, " + bytes + " bytes}";
    }
}
