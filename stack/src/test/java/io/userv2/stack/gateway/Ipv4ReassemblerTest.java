package io.userv2.stack.gateway;

import static io.userv2.stack.gateway.Fragments.fragment;
import static io.userv2.stack.gateway.GatewayTest.GW_IP;
import static io.userv2.stack.gateway.GatewayTest.GW_MAC;
import static io.userv2.stack.gateway.GatewayTest.VM_IP;
import static io.userv2.stack.gateway.GatewayTest.VM_MAC;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.EthernetFrame;
import io.userv2.stack.wire.HexLiteral;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.Ipv4Packet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.UdpPacket;

/** {@link Ipv4Reassembler}: RFC 791 reassembly, RFC 5722 overlaps, limits per owner and in total, timeouts, memory. */
class Ipv4ReassemblerTest {
    static final Ipv4Address REMOTE = Ipv4Address.parse("198.51.100.7");
    static final long NOW = GatewayTest.NOW;
    static final long TIMEOUT = ReassemblyLimits.DEFAULT_TIMEOUT_NANOS;
    static final int OWNER = 3;

    final GatewayTest.RecordingAllocator alloc = new GatewayTest.RecordingAllocator();
    final GatewayCounters counters = new GatewayCounters();
    Ipv4Reassembler reassembler = new Ipv4Reassembler(alloc, counters, ReassemblyLimits.defaults());
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

    static byte[] datagram(int dataLength, int id) {
        return Fragments.udpFrame(GW_MAC, VM_MAC, VM_IP, REMOTE, 53, dataLength, id, dataLength * 31L + id);
    }

    /** Offers one fragment frame (from a caller-owned buffer, released here); returns the completed frame's bytes. */
    byte[] offer(byte[] frame, int owner, long now) {
        ByteBuf buf = Unpooled.directBuffer(frame.length + 5).writeZero(5).writeBytes(frame);
        try {
            EthernetFrame eth = EthernetFrame.checked(buf, 5, frame.length).orNull();
            Ipv4Packet packet = Ipv4Packet.checked(eth).orNull();
            assertTrue(packet.verifyChecksum());
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

    byte[] offer(byte[] frame) {
        return offer(frame, OWNER, NOW);
    }

    /** Offers all; only the last may complete the datagram. */
    byte[] offerAll(List<byte[]> fragments, int owner, long now) {
        byte[] result = null;
        for (int i = 0; i < fragments.size(); i++) {
            byte[] whole = offer(fragments.get(i), owner, now);
            if (i < fragments.size() - 1) {
                assertNull(whole, "completed early at fragment " + i);
            }
            result = whole;
        }
        return result;
    }

    byte[] offerAll(List<byte[]> fragments) {
        return offerAll(fragments, OWNER, NOW);
    }

    /** The reassembled frame is the original frame, byte for byte, and pcap4j reads it as valid UDP. */
    static void assertWhole(byte[] expected, byte[] actual) throws Exception {
        assertNotNull(actual, "not reassembled");
        assertArrayEquals(expected, actual);
        EthernetPacket eth = EthernetPacket.newPacket(actual, 0, actual.length);
        IpV4Packet ip = eth.get(IpV4Packet.class);
        assertTrue(ip.getHeader().hasValidChecksum(false));
        assertTrue(eth.get(UdpPacket.class).hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(),
                false));
    }

    @Nested
    class Orders {
        @ParameterizedTest
        @ValueSource(ints = {1473, 1480, 1481, 2952, 2953, 3000, 8000, 60 * 1024})
        void inOrder(int size) throws Exception {
            byte[] whole = datagram(size, 1);
            List<byte[]> fragments = fragment(whole, 1500);
            assertWhole(whole, offerAll(fragments));
            assertEquals(1, counters.ipv4Reassembled());
            assertEquals(fragments.size(), counters.fragmentsReassembled());
            assertEquals(0, counters.droppedTotal());
            assertEquals(0, reassembler.datagrams());
            assertEquals(0, reassembler.bytes());
        }

        @ParameterizedTest
        @ValueSource(ints = {1473, 1481, 8000, 60 * 1024})
        void reversed(int size) throws Exception {
            byte[] whole = datagram(size, 2);
            List<byte[]> fragments = fragment(whole, 1500);
            Collections.reverse(fragments);
            assertWhole(whole, offerAll(fragments));
        }

        @ParameterizedTest
        @ValueSource(longs = {1, 2, 3, 42, 1234567})
        void shuffled(long seed) throws Exception {
            Random random = new Random(seed);
            int size = 2000 + random.nextInt(65507 - 2000 + 1);
            byte[] whole = datagram(size, (int) seed & 0xFFFF);
            List<byte[]> fragments = fragment(whole, 576 + random.nextInt(1000));
            Collections.shuffle(fragments, random);
            assertWhole(whole, offerAll(fragments));
        }

        @Test
        void interleavedDatagramsAreToldApartByIdentification() throws Exception {
            byte[] a = datagram(4000, 7);
            byte[] b = datagram(4000, 8);
            List<byte[]> fa = fragment(a, 1500);
            List<byte[]> fb = fragment(b, 1500);
            for (int i = 0; i < fa.size() - 1; i++) {
                assertNull(offer(fa.get(i)));
                assertNull(offer(fb.get(i)));
            }
            assertEquals(2, reassembler.datagrams());
            assertWhole(b, offer(fb.get(fb.size() - 1)));
            assertWhole(a, offer(fa.get(fa.size() - 1)));
        }

        @Test
        void largestDatagram65535Bytes() throws Exception {
            byte[] whole = datagram(65507, 9);
            assertEquals(14 + 65535, whole.length);
            List<byte[]> fragments = fragment(whole, 1500);
            assertEquals(45, fragments.size());
            Collections.shuffle(fragments, new Random(65535));
            byte[] result = offerAll(fragments);
            assertWhole(whole, result);
            assertEquals(65535, ((result[16] & 0xFF) << 8) | (result[17] & 0xFF));
        }

        @Test
        void smallMtuNeedsManyFragments() throws Exception {
            byte[] whole = datagram(65507, 10);
            List<byte[]> fragments = fragment(whole, 576);
            assertEquals(119, fragments.size());
            assertWhole(whole, offerAll(fragments));
        }

        @Test
        void theFirstFragmentsHeaderWithItsOptionsIsKept() throws Exception {
            byte[] plain = datagram(3000, 11);
            // The same datagram with IHL 6: one 4-byte option word (NOP NOP NOP EOL), checksum recomputed.
            byte[] whole = new byte[plain.length + 4];
            System.arraycopy(plain, 0, whole, 0, 34);
            whole[34] = 1;
            whole[35] = 1;
            whole[36] = 1;
            System.arraycopy(plain, 34, whole, 38, plain.length - 34);
            ByteBuf b = Unpooled.wrappedBuffer(whole);
            b.setByte(14, 0x46).setShort(16, 24 + 3008).setShort(24, 0).setShort(24, Checksum.compute(b, 14, 24));
            List<byte[]> fragments = fragment(whole, 1500);
            Collections.reverse(fragments);
            assertArrayEquals(whole, offerAll(fragments));
        }
    }

    @Nested
    class DuplicatesAndOverlaps {
        @Test
        void exactDuplicatesAreDroppedAloneAndReassemblyGoesOn() throws Exception {
            byte[] whole = datagram(6000, 20);
            List<byte[]> fragments = fragment(whole, 1500);
            byte[] last = fragments.remove(fragments.size() - 1);
            List<byte[]> twice = new ArrayList<>(fragments);
            twice.addAll(fragments);
            Collections.shuffle(twice, new Random(20));
            twice.add(last);
            assertWhole(whole, offerAll(twice));
            assertEquals(fragments.size(), counters.dropped(DropReason.FRAGMENT_DUPLICATE));
            assertEquals(fragments.size() + 1, counters.fragmentsReassembled());
        }

        @Test
        void anOverlapDropsTheWholeDatagram() {
            byte[] whole = datagram(100, 21);
            assertNull(offer(fragment(whole, 0, 16, true)));
            assertNull(offer(fragment(whole, 32, 16, true)));
            assertNull(offer(fragment(whole, 8, 16, true))); // [8, 24) overlaps [0, 16)
            assertEquals(3, counters.dropped(DropReason.FRAGMENT_OVERLAP));
            assertEquals(0, reassembler.datagrams());
            assertEquals(0, reassembler.bytes());
            // The rest of the datagram starts a new one, which can never complete (RFC 5722) and times out.
            assertNull(offer(fragment(whole, 16, 100 + 8 - 16, false)));
            reassembler.expire(NOW + TIMEOUT);
            assertEquals(1, counters.dropped(DropReason.FRAGMENT_TIMEOUT));
        }

        @Test
        void sameOffsetLongerIsAnOverlapNotADuplicate() {
            byte[] whole = datagram(100, 22);
            assertNull(offer(fragment(whole, 0, 16, true)));
            assertNull(offer(fragment(whole, 0, 24, true)));
            assertEquals(2, counters.dropped(DropReason.FRAGMENT_OVERLAP));
        }

        @Test
        void lastFragmentsMustAgreeOnTheEnd() {
            byte[] whole = datagram(100, 24);
            assertNull(offer(fragment(whole, 0, 16, true)));
            assertNull(offer(fragment(whole, 48, 60, false)));
            assertNull(offer(fragment(whole, 48, 40, false)));
            assertEquals(3, counters.dropped(DropReason.FRAGMENT_INCONSISTENT));
            assertNull(offer(fragment(whole, 48, 60, false)));
            assertNull(offer(fragment(whole, 64, 48, true))); // data beyond the end
            assertEquals(5, counters.dropped(DropReason.FRAGMENT_INCONSISTENT));
            assertNull(offer(fragment(whole, 64, 40, true)));
            assertNull(offer(fragment(whole, 16, 8, false))); // ends before data already held
            assertEquals(7, counters.dropped(DropReason.FRAGMENT_INCONSISTENT));
        }

        @Test
        void aFragmentFollowedByMoreCarriesAMultipleOf8() {
            byte[] whole = datagram(100, 25);
            assertNull(offer(fragment(whole, 0, 16, true)));
            assertNull(offer(fragment(whole, 16, 12, true)));
            assertNull(offer(fragment(whole, 16, 0, true)));
            assertEquals(3, counters.dropped(DropReason.FRAGMENT_MALFORMED));
            assertEquals(0, reassembler.datagrams());
        }
    }

    @Nested
    class Timeout {
        @Test
        void aMissingFragmentTimesOutAndEveryBufferIsReleased() {
            byte[] whole = datagram(10_000, 30);
            List<byte[]> fragments = fragment(whole, 1500);
            fragments.remove(3);
            offerAll(fragments.subList(0, 3), OWNER, NOW);
            offerAll(fragments.subList(3, fragments.size()), OWNER, NOW + TIMEOUT / 2);
            assertEquals(1, reassembler.datagrams());
            assertTrue(reassembler.bytes() > 10_000);
            assertEquals(NOW + TIMEOUT, reassembler.pollAt(), "the timer runs from the first fragment");
            reassembler.expire(NOW + TIMEOUT - 1);
            assertEquals(1, reassembler.datagrams());
            reassembler.expire(NOW + TIMEOUT);
            assertEquals(0, reassembler.datagrams());
            assertEquals(0, reassembler.bytes());
            assertEquals(Long.MAX_VALUE, reassembler.pollAt());
            assertEquals(fragments.size(), counters.dropped(DropReason.FRAGMENT_TIMEOUT));
            for (ByteBuf buf : alloc.allocated) {
                assertEquals(0, buf.refCnt());
            }
        }

        @Test
        void aTimedOutDatagramWhoseFirstFragmentCameIsReportedWithThatFragmentAsReceived() {
            List<String> told = new ArrayList<>();
            List<byte[]> quotes = new ArrayList<>();
            reassembler.onTimeout((mac, dst, first, now) -> {
                told.add(Long.toHexString(mac) + "@" + now);
                quotes.add(HexLiteral.toArray(first));
            });
            byte[] whole = datagram(5000, 33);
            List<byte[]> fragments = fragment(whole, 1500);
            offerAll(fragments.subList(0, 2), OWNER, NOW); // the first and the second; the rest never come
            byte[] other = datagram(5000, 34);
            offerAll(fragment(other, 1500).subList(1, 3), OWNER, NOW); // no first fragment
            reassembler.expire(NOW + TIMEOUT - 1);
            assertTrue(told.isEmpty(), "nothing before the deadline");
            reassembler.expire(NOW + TIMEOUT);
            assertEquals(List.of(Long.toHexString(VM_MAC.bits()) + "@" + (NOW + TIMEOUT)), told,
                    "once, for the datagram whose first fragment came");
            byte[] first = fragments.get(0);
            assertArrayEquals(java.util.Arrays.copyOfRange(first, EthernetFrame.HEADER_LENGTH, first.length),
                    quotes.get(0), "the first fragment from its IPv4 header on, MF and all");
            assertEquals(4, counters.dropped(DropReason.FRAGMENT_TIMEOUT));
        }

        @Test
        void aCompletedOrAbortedDatagramIsNotReported() throws Exception {
            List<Long> told = new ArrayList<>();
            reassembler.onTimeout((mac, dst, first, now) -> told.add(now));
            byte[] whole = datagram(3000, 35);
            assertWhole(whole, offerAll(fragment(whole, 1500)));
            offer(fragment(datagram(3000, 36), 1500).get(0), OWNER + 1, NOW);
            reassembler.releaseOwner(OWNER + 1);
            offer(fragment(datagram(3000, 37), 1500).get(0), OWNER, NOW);
            reassembler.close();
            reassembler.expire(NOW + 2 * TIMEOUT);
            assertTrue(told.isEmpty(), told.toString());
        }

        @Test
        void offeringExpiresOverdueDatagramsFirst() {
            byte[] a = datagram(3000, 31);
            assertNull(offer(fragment(a, 1500).get(0), OWNER, NOW));
            byte[] b = datagram(3000, 32);
            assertNull(offer(fragment(b, 1500).get(0), OWNER, NOW + TIMEOUT));
            assertEquals(1, counters.dropped(DropReason.FRAGMENT_TIMEOUT));
            assertEquals(1, reassembler.datagrams());
            assertEquals(NOW + 2 * TIMEOUT, reassembler.pollAt());
        }

        @Test
        void releaseOwnerAndCloseDropEverything() {
            offer(fragment(datagram(3000, 33), 1500).get(0), 1, NOW);
            offer(fragment(datagram(3000, 34), 1500).get(0), 2, NOW);
            offer(fragment(datagram(3000, 35), 1500).get(1), 2, NOW);
            reassembler.releaseOwner(2);
            assertEquals(2, counters.dropped(DropReason.FRAGMENT_ABORTED));
            assertEquals(0, reassembler.datagrams(2));
            assertEquals(1, reassembler.datagrams(1));
            reassembler.close();
            assertEquals(3, counters.dropped(DropReason.FRAGMENT_ABORTED));
            assertEquals(0, reassembler.bytes());
        }
    }

    @Nested
    class Limits {
        void use(ReassemblyLimits limits) {
            reassembler = new Ipv4Reassembler(alloc, counters, limits);
        }

        /** Starts datagram {@code id} for {@code owner} (its first fragment) and returns its remaining fragments. */
        List<byte[]> start(int id, int owner) {
            List<byte[]> fragments = fragment(datagram(3000, id), 1500);
            assertNull(offer(fragments.get(0), owner, NOW));
            return fragments.subList(1, fragments.size());
        }

        @Test
        void anOwnerAtItsCapCannotStopAnotherOwnersReassembly() throws Exception {
            use(new ReassemblyLimits(4, 2, 128, ReassemblyLimits.DEFAULT_MAX_BYTES, TIMEOUT));
            start(1, 1);
            start(2, 1);
            start(3, 1);
            assertEquals(1, counters.dropped(DropReason.FRAGMENT_OWNER_LIMIT));
            assertEquals(2, reassembler.datagrams(1));
            byte[] other = datagram(3000, 4);
            assertWhole(other, offerAll(fragment(other, 1500), 2, NOW));
        }

        @Test
        void theTotalCapHoldsAcrossOwners() {
            use(new ReassemblyLimits(4, 2, 128, ReassemblyLimits.DEFAULT_MAX_BYTES, TIMEOUT));
            start(1, 1);
            start(2, 1);
            start(3, 2);
            List<byte[]> rest = start(4, 2);
            start(5, 3);
            assertEquals(1, counters.dropped(DropReason.FRAGMENT_TOTAL_LIMIT));
            assertEquals(4, reassembler.datagrams());
            offerAll(rest, 2, NOW); // one completes, making room
            start(6, 3);
            assertEquals(4, reassembler.datagrams());
            assertEquals(1, reassembler.datagrams(3));
        }

        @Test
        void theSameDatagramFromTwoOwnersIsTwoDatagrams() {
            List<byte[]> fragments = fragment(datagram(3000, 5), 1500);
            assertNull(offer(fragments.get(0), 1, NOW));
            assertNull(offer(fragments.get(1), 2, NOW));
            assertNull(offer(fragments.get(2), 1, NOW), "fragment 1 went to another owner's datagram");
            assertEquals(2, reassembler.datagrams());
        }

        @Test
        void tooManyFragmentsDropTheDatagram() {
            use(new ReassemblyLimits(4, 2, 4, ReassemblyLimits.DEFAULT_MAX_BYTES, TIMEOUT));
            byte[] whole = datagram(400, 6);
            List<byte[]> fragments = fragment(whole, 100); // 80 bytes each: 6 fragments
            assertEquals(6, fragments.size());
            offerAll(fragments.subList(0, 5), OWNER, NOW);
            assertEquals(5, counters.dropped(DropReason.FRAGMENT_TOO_MANY));
            assertEquals(0, reassembler.datagrams());
        }

        @Test
        void theByteBudgetRefusesWhatWouldExceedIt() throws Exception {
            use(new ReassemblyLimits(4, 4, 128, Ipv4Reassembler.MAX_BUFFER, TIMEOUT));
            byte[] big = datagram(60_000, 7);
            List<byte[]> fragments = fragment(big, 1500);
            assertNull(offer(fragments.get(fragments.size() - 1))); // the last first: exact size at once
            long held = reassembler.bytes();
            assertEquals(Ipv4Reassembler.PREFIX + 60_008, held);
            byte[] small = datagram(8000, 8);
            List<byte[]> smallFragments = fragment(small, 1500);
            assertNull(offer(smallFragments.get(smallFragments.size() - 1)));
            assertEquals(1, counters.dropped(DropReason.FRAGMENT_MEMORY_LIMIT));
            assertEquals(held, reassembler.bytes());
            assertWhole(big, offerAll(fragments.subList(0, fragments.size() - 1)));
            assertEquals(0, reassembler.bytes());
            assertWhole(small, offerAll(smallFragments));
        }

        @Test
        void limitsAreValidated() {
            assertThrows(IllegalArgumentException.class, () -> new ReassemblyLimits(2, 3, 8, 1 << 20, 1));
            assertThrows(IllegalArgumentException.class, () -> new ReassemblyLimits(2, 2, 1, 1 << 20, 1));
            assertThrows(IllegalArgumentException.class, () -> new ReassemblyLimits(2, 2, 8, 1000, 1));
            assertThrows(IllegalArgumentException.class, () -> new ReassemblyLimits(2, 2, 8, 1 << 20, 0));
        }
    }

    @Nested
    class TooLong {
        @Test
        void beyond65535BytesIsDropped() {
            byte[] whole = datagram(65507, 40);
            List<byte[]> fragments = fragment(whole, 1500);
            assertNull(offerAll(fragments.subList(0, fragments.size() - 1)));
            // A last fragment 8 bytes longer than the one that fits: Total Length would be 65543.
            byte[] last = fragments.get(fragments.size() - 1);
            byte[] longer = new byte[last.length + 8];
            System.arraycopy(last, 0, longer, 0, last.length);
            ByteBuf b = Unpooled.wrappedBuffer(longer);
            b.setShort(16, longer.length - 14).setShort(24, 0).setShort(24, Checksum.compute(b, 14, 20));
            assertNull(offer(longer));
            assertEquals(fragments.size(), counters.dropped(DropReason.FRAGMENT_TOO_LONG));
            assertEquals(0, reassembler.datagrams());
        }

        @Test
        void theHighestOffsetWithAnyDataIsTooLong() {
            byte[] whole = datagram(100, 41);
            byte[] f = fragment(whole, 0, 16, false);
            ByteBuf b = Unpooled.wrappedBuffer(f);
            b.setShort(20, 0x1FFF).setShort(24, 0).setShort(24, Checksum.compute(b, 14, 20)); // offset 65528
            assertNull(offer(f));
            assertEquals(1, counters.dropped(DropReason.FRAGMENT_TOO_LONG));
            assertEquals(0, alloc.allocated.size(), "nothing allocated for it");
        }
    }
}
