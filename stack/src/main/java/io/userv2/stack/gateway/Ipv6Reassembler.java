package io.userv2.stack.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.userv2.stack.wire.EtherType;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.MacAddress;

/**
 * Reassembles IPv6 fragments addressed to the gateway into whole packets (RFC 8200 section 4.5), sans-IO, with the
 * structure and bounds of the {@link Ipv4Reassembler}: time is an argument, buffers come from the allocator it is
 * given, drops are counted in {@link GatewayCounters} under the same {@code FRAGMENT_*} {@link DropReason}s (per
 * fragment: every fragment ends in exactly one place, a drop counter or a reassembled packet).
 *
 * <p>Rules, with where they come from:
 * <ul>
 *   <li>Packets are told apart by "Source Address, Destination Address, and Fragment Identification" (4.5) and by the
 *       ingress owner the fragments came from, so that one VM cannot use up another's share (a per-port quota,
 *       {@link ReassemblyLimits#maxDatagramsPerOwner()}).</li>
 *   <li>Atomic fragments (offset 0, M clear) are whole packets and are returned at once, never mixed with other
 *       fragments of the same identification: RFC 6946 section 4, "A host that receives an IPv6 packet that includes a
 *       Fragment Header with the 'Fragment Offset' equal to 0 and the 'M' flag equal to 0 MUST process such a packet
 *       in isolation from any other packets/fragments".</li>
 *   <li>A fragment with M set must carry a non-empty multiple of 8 bytes ({@link DropReason#FRAGMENT_MALFORMED}; the
 *       {@link Ipv6Packet} walk already refuses the non-multiples with a Parameter Problem).</li>
 *   <li>The last fragment (M clear) fixes the length; another last fragment with another end, or data beyond the
 *       end, drops the packet ({@link DropReason#FRAGMENT_INCONSISTENT}).</li>
 *   <li>Overlap drops the whole packet (RFC 5722 section 4, "the entire datagram (and any constituent fragments,
 *       including those not yet received) MUST be silently discarded"; {@link DropReason#FRAGMENT_OVERLAP}; as for
 *       IPv4 no tombstone is kept, so later fragments start a packet that times out). An exact duplicate is dropped
 *       alone ({@link DropReason#FRAGMENT_DUPLICATE}), as RFC 8200 4.5 allows: "an implementation may choose to detect
 *       this case and drop exact duplicate fragments while keeping the other fragments belonging to the same
 *       packet".</li>
 *   <li>The reassembled packet's Payload Length (the first fragment's Per-Fragment headers after the fixed header,
 *       plus the Fragmentable Part) is at most 65,535 ({@link DropReason#FRAGMENT_TOO_LONG}).</li>
 *   <li>The reassembled packet is the first fragment's Per-Fragment headers (the fixed header and the extension
 *       headers before the Fragment header), with Payload Length recomputed and the Next Header that named the
 *       Fragment header set to the Fragment header's Next Header (4.5, "Reassembly"), followed by the Fragmentable
 *       Parts in order; the Ethernet header is the first fragment's. The caller walks it again as a whole packet.</li>
 *   <li>A packet not complete {@link ReassemblyLimits#timeoutNanos()} after its first-arriving fragment (60 s by
 *       {@link ReassemblyLimits#ipv6Defaults()}, RFC 8200's value) is dropped ({@link DropReason#FRAGMENT_TIMEOUT}).
 *       If its first fragment was in, the {@link ReassemblyTimeout} set with {@link #onTimeout} gets that fragment as
 *       received, Fragment header included, for Time Exceeded code 1 (4.5: "If the first fragment (i.e., the one with
 *       a Fragment Offset of zero) has been received, an ICMP Time Exceeded -- Fragment Reassembly Time Exceeded
 *       message should be sent to the source of that fragment").</li>
 *   <li>Bounded by {@link ReassemblyLimits}: packets per owner and in total, fragments per packet, buffer bytes in
 *       total (a budget of its own, beside IPv4's). A limit refuses the fragment that would exceed it (and, for
 *       fragments and bytes, its packet); nothing held is evicted to make room.</li>
 * </ul>
 *
 * <p>Memory: each packet in reassembly holds one buffer from the allocator, laid out as the frame it will become (room
 * for an Ethernet header and the longest Per-Fragment headers the walk accepts, then the Fragmentable Part at its
 * offset), so completing it copies nothing; it grows by doubling while the length is unknown and its capacity counts
 * against {@link ReassemblyLimits#maxBytes()}. Every buffer is released on completion (handed to the caller), drop,
 * timeout, {@link #releaseOwner} and {@link #close()}.
 *
 * <p>Not thread-safe: owned by the gateway's thread.
 */
public final class Ipv6Reassembler extends Reassembler {
    /** Room before the Fragmentable Part: an Ethernet header and the longest chain the walk accepts (1280). */
    static final int PREFIX = EthernetFrame.HEADER_LENGTH + Ipv6Packet.MAX_CHAIN_LENGTH;
    /** The longest Fragmentable Part: Fragment Offset + length may not exceed 65,535 (4.5). */
    static final int MAX_PAYLOAD = 0xFFFF;
    /** The largest reassembly buffer. */
    static final int MAX_BUFFER = PREFIX + MAX_PAYLOAD;
    /** The Fragment header's length (RFC 8200 4.5). */
    private static final int FRAGMENT_HEADER = 8;

    private final ByteBufAllocator alloc;
    private final GatewayCounters counters;
    private final HeldDatagrams<Key> held;

    /** Source, destination, identification and owner. */
    private record Key(long srcHigh, long srcLow, long dstHigh, long dstLow, long idAndOwner) {
        static Key of(Ipv6Packet packet, int owner) {
            return new Key(packet.sourceHigh(), packet.sourceLow(), packet.destinationHigh(), packet.destinationLow(),
                    ((long) owner << 32) | (packet.fragmentIdentification() & 0xFFFF_FFFFL));
        }
    }

    /**
     * A reassembler taking buffers from {@code alloc}, counting in {@code counters} (shared with the gateway), bounded
     * by {@code limits}.
     *
     * @throws IllegalArgumentException when {@code limits} allow fewer bytes than one full packet needs
     */
    public Ipv6Reassembler(ByteBufAllocator alloc, GatewayCounters counters, ReassemblyLimits limits) {
        this(new HeldDatagrams<>(alloc, counters, limits, PREFIX, MAX_BUFFER), alloc, counters, limits);
    }

    private Ipv6Reassembler(HeldDatagrams<Key> held, ByteBufAllocator alloc, GatewayCounters counters,
            ReassemblyLimits limits) {
        super(held);
        this.held = held;
        this.alloc = alloc;
        this.counters = counters;
        if (limits.maxBytes() < MAX_BUFFER) {
            throw new IllegalArgumentException("byte budget below one full IPv6 packet: " + limits.maxBytes());
        }
    }

    /**
     * Sets who is told of a timed-out packet whose first fragment was received (the gateway, which answers with Time
     * Exceeded); the fragment is rebuilt as received (its Per-Fragment headers naming the Fragment header again, the
     * Fragment header, its Fragmentable Part) in place in the buffer about to be released: a slice valid during the
     * call.
     */
    void onTimeout(ReassemblyTimeout timeout) {
        held.onExpiry(timeout == null ? null : (d, now) -> timeout.timedOut(d.ethSource, d.ethDestination,
                firstFragment(d), now));
    }

    /**
     * The first fragment of {@code d} as received: its Per-Fragment headers moved 8 bytes down (the room before them
     * is at least the Ethernet header's), the Next Header that named the Fragment header restored, the Fragment header
     * (offset 0, M set, the identification) rebuilt between them and the Fragmentable Part it carried.
     */
    private static ByteBuf firstFragment(HeldDatagrams.Datagram d) {
        ByteBuf buf = d.buf;
        int headers = PREFIX - d.headerLength;
        int at = headers - FRAGMENT_HEADER;
        for (int i = 0; i < d.headerLength; i++) { // ascending: the copy moves down, over bytes already copied
            buf.setByte(at + i, buf.getByte(headers + i));
        }
        int fragmentable = buf.getUnsignedByte(at + d.nextHeaderPointer);
        buf.setByte(at + d.nextHeaderPointer, IpProtocol.IPV6_FRAG_NUMBER);
        int fragment = PREFIX - FRAGMENT_HEADER;
        buf.setByte(fragment, fragmentable);
        buf.setByte(fragment + 1, 0);
        buf.setShort(fragment + 2, 1); // offset 0, M set
        buf.setInt(fragment + 4, (int) ((Key) d.key).idAndOwner());
        return buf.slice(at, d.headerLength + FRAGMENT_HEADER + HeldDatagrams.firstFragmentEnd(d));
    }

    /**
     * Takes one fragment ({@code fragment.isFragment()}, its chain walked up to the Fragment header) that came in
     * {@code eth} from ingress {@code owner}. Expires overdue packets first.
     *
     * <p>Ownership: the caller keeps the buffer under {@code eth} and {@code fragment}; the bytes needed are copied.
     *
     * @return null while the packet is incomplete (or when the fragment was dropped and counted); when this fragment
     *     completes it (or is an atomic fragment), a buffer whose readable bytes are the whole packet as an untagged
     *     Ethernet frame without a Fragment header, which the caller owns and must release
     */
    public ByteBuf offer(EthernetFrame eth, Ipv6Packet fragment, int owner, long nowNanos) {
        expire(nowNanos);
        int offset = fragment.fragmentOffsetBytes();
        int length = fragment.payloadLength();
        boolean more = fragment.moreFragments();
        int unfragmentable = fragment.fragmentHeaderOffset() - fragment.offset();
        if (offset == 0 && !more) {
            return atomic(eth, fragment, unfragmentable, length);
        }
        Key key = Key.of(fragment, owner);
        HeldDatagrams.Datagram d = held.get(key);
        int headers = offset == 0 ? unfragmentable : d == null ? 0 : d.headerLength;
        // The Fragmentable Part ends by 65,535 and, once the headers are known, so does the Payload Length.
        int maxEnd = headers == 0 ? MAX_PAYLOAD : Math.min(MAX_PAYLOAD, 0xFFFF - payloadLength(headers, 0));
        d = held.admit(d, key, owner, offset, length, more, maxEnd, fragment.buffer(), fragment.payloadOffset(),
                nowNanos);
        if (d == null) {
            return null;
        }
        if (offset == 0) {
            d.headerLength = unfragmentable;
            d.nextHeaderPointer = fragment.fragmentNextHeaderPointer();
            writeHeaders(d.buf, PREFIX - unfragmentable, fragment, unfragmentable);
            d.ethDestination = eth.destination();
            d.ethSource = eth.source();
        }
        if (!held.record(d, offset, offset + length)) {
            return null;
        }
        counters.reassembled6(d.fragments);
        return finish(d.buf, d.headerLength, d.length, d.ethDestination, d.ethSource);
    }

    /** The reassembled packet's Payload Length: the extension headers before the Fragment header and the data. */
    private static int payloadLength(int unfragmentable, int fragmentable) {
        return unfragmentable - Ipv6Packet.HEADER_LENGTH + fragmentable;
    }

    /** An atomic fragment: its own packet at once, the Fragment header taken out (RFC 6946). */
    private ByteBuf atomic(EthernetFrame eth, Ipv6Packet fragment, int unfragmentable, int length) {
        if (payloadLength(unfragmentable, length) > 0xFFFF) {
            return held.refuse(null, DropReason.FRAGMENT_TOO_LONG); // cannot happen: the packet was shorter
        }
        ByteBuf buf = alloc.buffer(PREFIX + length);
        try {
            buf.setBytes(PREFIX, fragment.buffer(), fragment.payloadOffset(), length);
            writeHeaders(buf, PREFIX - unfragmentable, fragment, unfragmentable);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        counters.atomicFragment6();
        return finish(buf, unfragmentable, length, eth.destination(), eth.source());
    }

    /**
     * Copies the fragment's Per-Fragment headers to {@code at} and names the Fragmentable Part's type where they named
     * the Fragment header.
     */
    private static void writeHeaders(ByteBuf buf, int at, Ipv6Packet fragment, int unfragmentable) {
        buf.setBytes(at, fragment.buffer(), fragment.offset(), unfragmentable);
        buf.setByte(at + fragment.fragmentNextHeaderPointer(), fragment.protocolNumber());
    }

    /** Sets Payload Length and the Ethernet header; the buffer goes to the caller. */
    private static ByteBuf finish(ByteBuf buf, int unfragmentable, int length, long ethDestination, long ethSource) {
        int ip = PREFIX - unfragmentable;
        buf.setShort(ip + Ipv6Packet.PAYLOAD_LENGTH, payloadLength(unfragmentable, length));
        int frame = ip - EthernetFrame.HEADER_LENGTH;
        MacAddress.write(buf, frame + EthernetFrame.DESTINATION, ethDestination);
        MacAddress.write(buf, frame + EthernetFrame.SOURCE, ethSource);
        buf.setShort(frame + EthernetFrame.ETHER_TYPE, EtherType.IPV6_VALUE);
        buf.setIndex(frame, PREFIX + length);
        return buf;
    }
}
