package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.Ipv4Packet;
import io.userv2.stack.wire.MacAddress;
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
 *       ({@link DropReason#FRAGMENT_TIMEOUT}). If its first fragment (offset 0) was in, the {@link ReassemblyTimeout}
 *       set with {@link #onTimeout} gets that fragment as received, for ICMP Time Exceeded code 1 (RFC 792: "If a
 *       host reassembling a fragmented datagram cannot complete the reassembly due to missing fragments within its
 *       time limit it discards the datagram, and it may send a time exceeded message"; RFC 1122 3.3.2: "if fragment
 *       zero is not available then no time-exceeded need be sent at all"). The timer is not restarted by later
 *       fragments (as Linux; RFC 791 would raise it to the fragment's TTL).</li>
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
public final class Ipv4Reassembler extends Reassembler {
    /** Room reserved before the payload: an Ethernet header (14) and the longest IPv4 header (60). */
    static final int PREFIX = EthernetFrame.HEADER_LENGTH + 60;
    /** The most payload an IPv4 datagram can carry: 65,535 - 20. */
    static final int MAX_PAYLOAD = 0xFFFF - Ipv4Packet.MIN_HEADER_LENGTH;
    /** The largest reassembly buffer. */
    static final int MAX_BUFFER = PREFIX + MAX_PAYLOAD;

    private final GatewayCounters counters;
    private final HeldDatagrams<Key> held;

    /** Source and destination; owner, protocol and identification. */
    private record Key(long addresses, long rest) {
        static Key of(Ipv4Packet packet, int owner) {
            return new Key(((long) packet.source() << 32) | (packet.destination() & 0xFFFF_FFFFL),
                    ((long) owner << 32) | ((long) packet.protocolNumber() << 16) | packet.identification());
        }
    }

    /**
     * A reassembler taking buffers from {@code alloc}, counting in {@code counters} (shared with the gateway), bounded
     * by {@code limits}.
     */
    public Ipv4Reassembler(ByteBufAllocator alloc, GatewayCounters counters, ReassemblyLimits limits) {
        this(new HeldDatagrams<>(alloc, counters, limits, PREFIX, MAX_BUFFER), counters);
    }

    private Ipv4Reassembler(HeldDatagrams<Key> held, GatewayCounters counters) {
        super(held);
        this.held = held;
        this.counters = Objects.requireNonNull(counters, "counters");
    }

    /**
     * Sets who is told of a timed-out datagram whose first fragment was received (the gateway, which answers with
     * Time Exceeded); the fragment is the header as received and its payload, a slice valid during the call.
     */
    void onTimeout(ReassemblyTimeout timeout) {
        held.onExpiry(timeout == null ? null : (d, now) -> timeout.timedOut(d.ethSource, d.ethDestination,
                d.buf.slice(PREFIX - d.headerLength, d.headerLength + HeldDatagrams.firstFragmentEnd(d)), now));
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
        Key key = Key.of(fragment, owner);
        HeldDatagrams.Datagram d = held.get(key);
        int headerLength = offset == 0 ? fragment.headerLength() : d == null ? 0 : d.headerLength;
        // Total Length, header included, is at most 65,535 (a header not yet seen counts as the shortest).
        int maxEnd = 0xFFFF - Math.max(headerLength, Ipv4Packet.MIN_HEADER_LENGTH);
        d = held.admit(d, key, owner, offset, length, fragment.moreFragments(), maxEnd, fragment.buffer(),
                fragment.payloadOffset(), nowNanos);
        if (d == null) {
            return null;
        }
        if (offset == 0) {
            d.headerLength = headerLength;
            d.buf.setBytes(PREFIX - headerLength, fragment.buffer(), fragment.offset(), headerLength);
            d.ethDestination = eth.destination();
            d.ethSource = eth.source();
        }
        if (!held.record(d, offset, offset + length)) {
            return null;
        }
        counters.reassembled(d.fragments);
        return finish(d);
    }

    /** Rewrites the first fragment's headers into those of the whole datagram; the buffer goes to the caller. */
    private static ByteBuf finish(HeldDatagrams.Datagram d) {
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
}
