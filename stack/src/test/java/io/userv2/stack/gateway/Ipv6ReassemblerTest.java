package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.Ipv6Frames.GW_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.GW_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.VM2_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.VM2_ULA;
import static io.userv2.stack.gateway.Ipv6Frames.VM_MAC;
import static io.userv2.stack.gateway.Ipv6Frames.VM_ULA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.IpProtocol;
import io.userv2.stack.wire.Ipv6Address;
import io.userv2.stack.wire.Ipv6Packet;
import io.userv2.stack.wire.MacAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Ipv6Reassembler}: RFC 8200 4.5 reassembly (in and out of order, Per-Fragment headers kept, Next Header
 * rewritten), RFC 5722 overlaps, RFC 6946 atomic fragments, the 60 s timeout, the caps per owner and in total, and a
 * flood from one owner that leaves another's reassembly alone. Every buffer is released.
 */
class Ipv6ReassemblerTest {
    static final long S = 1_000_000_000L;
    static final long NOW = 5_000 * S;
    static final int OWNER = 3;
    static final int OTHER = 4;

    final GatewayTest.RecordingAllocator alloc = new GatewayTest.RecordingAllocator();
    final GatewayCounters counters = new GatewayCounters();
    Ipv6Reassembler reassembler = new Ipv6Reassembler(alloc, counters, ReassemblyLimits.ipv6Defaults());
    final List<ByteBuf> completed = new ArrayList<>();

    @AfterEach
    void everyBufferReleased() {
        completed.forEach(ByteBuf::release);
        reassembler.close();
        assertEquals(0, reassembler.bytes());
        assertEquals(0, reassembler.datagrams());
        for (ByteBuf buf : alloc.allocated) {
            assertEquals(0, buf.refCnt(), "reassembly buffer not released");
        }
    }

    /** The Fragmentable Part of a test packet: {@code length} bytes of a UDP-ish payload, seeded. */
    static byte[] data(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * One fragment frame from {@code mac}/{@code src} to the gateway: the fixed header, {@code before} (extension
     * headers before the Fragment header, their chain ending in 44), the Fragment header and
     * {@code part[offset, offset+length)}.
     */
    static byte[] fragment(MacAddress mac, Ipv6Address src, int id, byte[] part, int offset, int length, boolean more,
            byte[] before) {
        int firstNext = before.length == 0 ? IpProtocol.IPV6_FRAG_NUMBER : IpProtocol.IPV6_OPTS_NUMBER;
        byte[] payload = new byte[before.length + 8 + length];
        System.arraycopy(before, 0, payload, 0, before.length);
        ByteBuf f = Unpooled.wrappedBuffer(payload);
        f.setByte(before.length, IpProtocol.UDP_NUMBER);
        f.setShort(before.length + 2, offset | (more ? 1 : 0));
        f.setInt(before.length + 4, id);
        System.arraycopy(part, offset, payload, before.length + 8, length);
        return Ipv6Frames.ipv6(GW_MAC.bits(), mac, src, GW_ULA, firstNext, 64, payload);
    }

    static byte[] fragment(int id, byte[] part, int offset, int length, boolean more) {
        return fragment(VM_MAC, VM_ULA, id, part, offset, length, more, new byte[0]);
    }

    /** Offers one fragment frame (from a caller-owned buffer, released here); returns the completed frame's bytes. */
    byte[] offer(byte[] frame, int owner, long now) {
        ByteBuf buf = Unpooled.directBuffer(frame.length + 3).writeZero(3).writeBytes(frame);
        try {
            EthernetFrame eth = EthernetFrame.checked(buf, 3, frame.length).orNull();
            Ipv6Packet packet = Ipv6Packet.checked(eth).orNull();
            assertNotNull(packet, "a valid fragment");
            assertTrue(packet.isFragment(), "test feeds fragments only");
            ByteBuf whole = reassembler.offer(eth, packet, owner, now);
            assertEquals(1, buf.refCnt(), "the caller's buffer is neither released nor retained");
            if (whole == null) {
                return null;
            }
            completed.add(whole);
            return HexLiteral.toArray(whole);
        } finally {
            buf.release();
        }
    }

    /** Parses a completed frame and checks it is the unfragmented packet carrying {@code part}. */
    static Ipv6Packet assertWhole(byte[] frame, byte[] part) {
        assertNotNull(frame, "complete");
        EthernetFrame eth = EthernetFrame.checked(Unpooled.wrappedBuffer(frame)).orNull();
        assertEquals(GW_MAC.bits(), eth.destination());
        assertEquals(VM_MAC.bits(), eth.source());
        Ipv6Packet p = Ipv6Packet.checked(eth).orNull();
        assertNotNull(p, "the whole packet walks");
        assertTrue(!p.isFragment(), "no Fragment header left");
        assertEquals(IpProtocol.UDP_NUMBER, p.protocolNumber());
        assertEquals(VM_ULA, p.source());
        assertEquals(GW_ULA, p.destination());
        byte[] got = new byte[p.payloadLength()];
        p.buffer().getBytes(p.payloadOffset(), got);
        assertArrayEquals(part, got);
        assertEquals(14 + p.length(), frame.length, "nothing after the packet");
        return p;
    }

    @Test
    void fragmentsInOrderMakeThePacket() {
        byte[] part = data(3000, 1);
        assertNull(offer(fragment(7, part, 0, 1448, true), OWNER, NOW));
        assertNull(offer(fragment(7, part, 1448, 1448, true), OWNER, NOW));
        assertEquals(1, reassembler.datagrams(OWNER));
        assertWhole(offer(fragment(7, part, 2896, 104, false), OWNER, NOW), part);
        assertEquals(1, counters.ipv6Reassembled());
        assertEquals(3, counters.fragmentsReassembled());
        assertEquals(0, reassembler.datagrams());
        assertEquals(0, counters.droppedTotal());
    }

    @Test
    void fragmentsOutOfOrderLastFirstMakeThePacket() {
        byte[] part = data(2000, 2);
        assertNull(offer(fragment(9, part, 1600, 400, false), OWNER, NOW));
        assertNull(offer(fragment(9, part, 800, 800, true), OWNER, NOW));
        assertWhole(offer(fragment(9, part, 0, 800, true), OWNER, NOW), part);
    }

    @Test
    void extensionHeadersBeforeTheFragmentHeaderAreKeptAndNameTheUpperLayer() {
        byte[] part = data(1000, 3);
        byte[] dest = HexLiteral.bytes("2c 00 01 04 00 00 00 00"); // Destination Options, PadN, next: Fragment
        assertNull(offer(fragment(VM_MAC, VM_ULA, 11, part, 0, 496, true, dest), OWNER, NOW));
        byte[] whole = offer(fragment(VM_MAC, VM_ULA, 11, part, 496, 504, false, dest), OWNER, NOW);
        Ipv6Packet p = assertWhole(whole, part);
        assertEquals(1, p.extensionHeaderCount(), "the Destination Options header stays");
        assertEquals(IpProtocol.IPV6_OPTS_NUMBER, p.nextHeader());
        assertEquals(IpProtocol.UDP_NUMBER, p.buffer().getUnsignedByte(p.offset() + 40),
                "its Next Header now names the upper layer");
        assertEquals(8 + 1000, p.payloadLengthField());
    }

    @Test
    void anAtomicFragmentIsAPacketAtOnceAndStaysApartFromOthersOfItsIdentification() {
        byte[] part = data(1200, 4);
        assertNull(offer(fragment(21, part, 0, 600, true), OWNER, NOW));
        byte[] small = data(40, 5);
        // RFC 6946: offset 0 and M clear, same identification as a packet in reassembly.
        assertWhole(offer(fragment(21, small, 0, 40, false), OWNER, NOW), small);
        assertEquals(1, counters.ipv6AtomicFragments());
        assertEquals(1, reassembler.datagrams(), "the packet in reassembly is untouched");
        assertWhole(offer(fragment(21, part, 600, 600, false), OWNER, NOW), part);
        assertEquals(0, counters.droppedTotal());
    }

    @Test
    void overlappingFragmentsDropThePacketAndAnExactDuplicateOnlyItself() {
        byte[] part = data(2400, 6);
        assertNull(offer(fragment(31, part, 0, 800, true), OWNER, NOW));
        assertNull(offer(fragment(31, part, 0, 800, true), OWNER, NOW));
        assertEquals(1, counters.dropped(DropReason.FRAGMENT_DUPLICATE));
        assertEquals(1, reassembler.datagrams(), "a duplicate keeps the packet (RFC 8200 4.5)");
        assertNull(offer(fragment(31, part, 400, 800, true), OWNER, NOW)); // overlaps [0, 800)
        assertEquals(2, counters.dropped(DropReason.FRAGMENT_OVERLAP), "the overlapping one and the one held");
        assertEquals(0, reassembler.datagrams(), "RFC 5722: the whole packet goes");
        // What comes later starts afresh and never completes by itself: no packet from mixed data.
        assertNull(offer(fragment(31, part, 1600, 800, false), OWNER, NOW));
        assertEquals(0, counters.ipv6Reassembled());
    }

    @Test
    void inconsistentEndsAndOverlongPacketsAreDropped() {
        byte[] part = data(2000, 7);
        assertNull(offer(fragment(41, part, 1000, 1000, false), OWNER, NOW));
        assertNull(offer(fragment(41, part, 1200, 792, false), OWNER, NOW)); // a second, shorter end
        assertEquals(2, counters.dropped(DropReason.FRAGMENT_INCONSISTENT), "the second end and the one held");
        // Per-Fragment headers (8 bytes) + a Fragmentable Part ending at 65,528 + 8 > 65,535.
        byte[] big = data(65_528, 8);
        byte[] dest = HexLiteral.bytes("2c 00 01 04 00 00 00 00");
        assertNull(offer(fragment(VM_MAC, VM_ULA, 42, big, 65_000, 528, false, dest), OWNER, NOW));
        assertNull(offer(fragment(VM_MAC, VM_ULA, 42, big, 0, 1024, true, dest), OWNER, NOW));
        assertEquals(2, counters.dropped(DropReason.FRAGMENT_TOO_LONG));
        assertEquals(0, reassembler.datagrams());
    }

    @Test
    void anIncompletePacketTimesOutAfterSixtySeconds() {
        byte[] part = data(1600, 9);
        assertNull(offer(fragment(51, part, 0, 800, true), OWNER, NOW));
        assertEquals(NOW + 60 * S, reassembler.pollAt(), "RFC 8200: 60 s from the first-arriving fragment");
        reassembler.expire(NOW + 60 * S - 1);
        assertEquals(1, reassembler.datagrams());
        reassembler.expire(NOW + 60 * S);
        assertEquals(0, reassembler.datagrams());
        assertEquals(1, counters.dropped(DropReason.FRAGMENT_TIMEOUT));
        assertEquals(Long.MAX_VALUE, reassembler.pollAt());
        // The rest arrives too late: it starts a new packet, which does not complete.
        assertNull(offer(fragment(51, part, 800, 800, false), OWNER, NOW + 61 * S));
        assertEquals(0, counters.ipv6Reassembled());
    }

    @Test
    void aTimedOutPacketWhoseFirstFragmentCameIsReportedWithThatFragmentAsReceived() {
        List<byte[]> quotes = new ArrayList<>();
        List<Long> macs = new ArrayList<>();
        reassembler.onTimeout((mac, dst, first, now) -> {
            macs.add(mac);
            quotes.add(HexLiteral.toArray(first));
        });
        byte[] part = data(2400, 10);
        byte[] before = {(byte) IpProtocol.IPV6_FRAG_NUMBER, 0, 1, 4, 0, 0, 0, 0}; // Destination Options, PadN
        byte[] first = fragment(VM_MAC, VM_ULA, 52, part, 0, 800, true, before);
        assertNull(offer(first, OWNER, NOW));
        assertNull(offer(fragment(VM_MAC, VM_ULA, 52, part, 1600, 800, false, before), OWNER, NOW));
        assertNull(offer(fragment(53, part, 800, 800, true), OWNER, NOW)); // another packet, no first fragment
        reassembler.expire(NOW + 60 * S);
        assertEquals(List.of(VM_MAC.bits()), macs, "once, for the packet whose first fragment came");
        assertArrayEquals(java.util.Arrays.copyOfRange(first, EthernetFrame.HEADER_LENGTH, first.length),
                quotes.get(0), "the first fragment as received: Destination Options naming 44, the Fragment header");
        assertEquals(3, counters.dropped(DropReason.FRAGMENT_TIMEOUT));
    }

    @Test
    void aCompletedPacketIsNotReported() {
        List<Long> told = new ArrayList<>();
        reassembler.onTimeout((mac, dst, first, now) -> told.add(now));
        byte[] part = data(1600, 11);
        assertNull(offer(fragment(54, part, 0, 800, true), OWNER, NOW));
        assertWhole(offer(fragment(54, part, 800, 800, false), OWNER, NOW), part);
        assertNull(offer(fragment(55, part, 0, 800, true), OTHER, NOW));
        reassembler.releaseOwner(OTHER);
        reassembler.expire(NOW + 120 * S);
        assertTrue(told.isEmpty(), told.toString());
    }

    @Test
    void aFloodFromOneOwnerHitsItsOwnCapAndAnotherOwnerStillReassembles() {
        // 1,000 packets that never complete, from one port.
        for (int id = 0; id < 1000; id++) {
            assertNull(offer(fragment(1000 + id, data(64, id), 0, 64, true), OWNER, NOW));
        }
        int cap = ReassemblyLimits.DEFAULT_MAX_DATAGRAMS_PER_OWNER;
        assertEquals(cap, reassembler.datagrams(OWNER));
        assertEquals(1000 - cap, counters.dropped(DropReason.FRAGMENT_OWNER_LIMIT));
        assertTrue(reassembler.bytes() <= ReassemblyLimits.DEFAULT_MAX_BYTES / 4, "a quarter of the budget at most");
        // Another port's packet goes through.
        byte[] part = data(3000, 10);
        byte[] a = fragment(VM2_MAC, VM2_ULA, 1000, part, 0, 1504, true, new byte[0]);
        byte[] b = fragment(VM2_MAC, VM2_ULA, 1000, part, 1504, 1496, false, new byte[0]);
        assertNull(offer(a, OTHER, NOW));
        byte[] whole = offer(b, OTHER, NOW);
        assertNotNull(whole, "the other port's packet completes");
        assertEquals(1, counters.ipv6Reassembled());
        reassembler.releaseOwner(OWNER);
        assertEquals(0, reassembler.datagrams(OWNER));
        assertEquals(cap, counters.dropped(DropReason.FRAGMENT_ABORTED));
    }

    @Test
    void theTotalCountTheByteBudgetAndFragmentsPerPacketAreCapped() {
        reassembler = new Ipv6Reassembler(alloc, counters, new ReassemblyLimits(3, 2, 4, Ipv6Reassembler.MAX_BUFFER,
                60 * S));
        byte[] part = data(8 * 100, 11);
        assertNull(offer(fragment(61, part, 0, 8, true), 1, NOW));
        assertNull(offer(fragment(62, part, 0, 8, true), 2, NOW));
        assertNull(offer(fragment(63, part, 0, 8, true), 5, NOW));
        assertNull(offer(fragment(64, part, 0, 8, true), 6, NOW));
        assertEquals(1, counters.dropped(DropReason.FRAGMENT_TOTAL_LIMIT));
        // Packet 61 grows towards 65,535 bytes: the budget refuses it, and it goes with its fragment.
        assertNull(offer(fragment(61, data(65_528, 12), 65_000, 8, true), 1, NOW));
        assertEquals(1 + 1, counters.dropped(DropReason.FRAGMENT_MEMORY_LIMIT));
        // Four fragments at most per packet.
        for (int i = 1; i <= 3; i++) {
            assertNull(offer(fragment(62, part, i * 8, 8, true), 2, NOW));
        }
        assertNull(offer(fragment(62, part, 32, 8, true), 2, NOW));
        assertEquals(1 + 4, counters.dropped(DropReason.FRAGMENT_TOO_MANY));
        assertEquals(1, reassembler.datagrams());
    }

    @Test
    void aBudgetBelowOnePacketIsRefused() {
        ReassemblyLimits ipv4Sized = new ReassemblyLimits(1, 1, 2, Ipv4Reassembler.MAX_BUFFER, S);
        assertThrows(IllegalArgumentException.class, () -> new Ipv6Reassembler(alloc, counters, ipv4Sized));
    }

    @Test
    void anEmptyNonLastFragmentIsMalformed() {
        byte[] part = data(16, 13);
        assertNull(offer(fragment(71, part, 8, 0, true), OWNER, NOW));
        assertEquals(1, counters.dropped(DropReason.FRAGMENT_MALFORMED));
        assertEquals(0, reassembler.datagrams());
    }
}
