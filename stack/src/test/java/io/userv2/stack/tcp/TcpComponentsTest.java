package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.SackBlock;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpHeader;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The pieces of a connection, one at a time. */
class TcpComponentsTest {
    static final long MS = 1_000_000L;

    @Nested
    class SendBufferTest {
        final TrackingAllocator alloc = new TrackingAllocator();

        @Test
        void slicesAreRetainedAndSurviveAcknowledgment() {
            SendBuffer b = new SendBuffer(alloc, 1 << 20);
            byte[] d = TcpFixture.bytes(300_000, 1);
            ByteBuf src = Unpooled.wrappedBuffer(d);
            assertEquals(300_000, b.write(src));
            src.release();
            ByteBuf s1 = b.retainedSlice(4000, 2000);    // inside the first chunk
            ByteBuf s2 = b.retainedSlice(3000, 200_000); // across chunks: composite
            b.consume(250_000);                          // acknowledged while the slices are out
            assertArrayEquals(java.util.Arrays.copyOfRange(d, 4000, 6000), ByteBufUtil.getBytes(s1));
            assertArrayEquals(java.util.Arrays.copyOfRange(d, 3000, 203_000), ByteBufUtil.getBytes(s2));
            s1.release();
            s2.release();
            assertEquals(50_000, b.length());
            ByteBuf tail = b.retainedSlice(0, 50_000);
            assertArrayEquals(java.util.Arrays.copyOfRange(d, 250_000, 300_000), ByteBufUtil.getBytes(tail));
            tail.release();
            b.release();
            alloc.assertAllReleased();
        }

        @Test
        void capacityIsEnforced() {
            SendBuffer b = new SendBuffer(alloc, 1000);
            ByteBuf src = Unpooled.wrappedBuffer(new byte[1500]);
            assertEquals(1000, b.write(src));
            assertEquals(1000, src.readerIndex());
            assertEquals(0, b.free());
            src.release();
            b.release();
            alloc.assertAllReleased();
        }

        @Test
        void aSourceWritesStraightIntoTheChunksUntilItRunsShort() {
            SendBuffer b = new SendBuffer(alloc, 1 << 20);
            byte[] d = TcpFixture.bytes(200_000, 5);
            ByteBuf socket = Unpooled.wrappedBuffer(d); // a "socket" holding 200 000 bytes, then nothing
            ByteSource<RuntimeException> src = (dst, max) -> {
                int n = Math.min(max, socket.readableBytes());
                dst.writeBytes(socket, n);
                return n;
            };
            assertEquals(150_000, b.writeFrom(src, 150_000)); // across several chunks, stops at the limit
            assertEquals(50_000, b.writeFrom(src, 150_000));  // the source runs short: what it had
            assertEquals(0, b.writeFrom(src, 150_000));
            assertEquals(200_000, b.length());
            ByteBuf all = b.retainedSlice(0, 200_000);
            assertArrayEquals(d, ByteBufUtil.getBytes(all));
            all.release();
            socket.release();
            b.release();
            alloc.assertAllReleased();
        }

        @Test
        void aSourceIsOfferedNoMoreThanTheFreeSpaceAndItsEndShowsOnce() {
            SendBuffer b = new SendBuffer(alloc, 1000);
            int[] offered = {0};
            boolean[] atEnd = {false};
            ByteSource<RuntimeException> src = (dst, max) -> {
                if (atEnd[0]) {
                    return -1;
                }
                offered[0] += max;
                dst.writeZero(max);
                return max;
            };
            assertEquals(1000, b.writeFrom(src, 5000));
            assertEquals(1000, offered[0], "offered beyond the capacity");
            b.consume(400);
            atEnd[0] = true;
            assertEquals(-1, b.writeFrom(src, 5000));
            assertEquals(600, b.length());
            b.release();
            alloc.assertAllReleased();
        }
    }

    @Nested
    class ReceiveBufferTest {
        final TrackingAllocator alloc = new TrackingAllocator();

        /** A sink that takes {@code room} bytes in all into {@code out}, then is full (as a host socket). */
        ByteSink<RuntimeException> sink(ByteBuf out, int room) {
            int[] left = {room};
            return src -> {
                int n = Math.min(left[0], src.readableBytes());
                out.writeBytes(src, n);
                left[0] -= n;
                return n;
            };
        }

        @Test
        void drainToHandsOverEveryByteInOrderAndStopsWhereTheSinkIsFull() {
            ReceiveBuffer rb = new ReceiveBuffer(alloc);
            byte[] d = TcpFixture.bytes(600_000, 3); // more than two of the largest chunks
            ByteBuf src = Unpooled.wrappedBuffer(d);
            for (int off = 0; off < d.length; off += 65_000) {
                rb.write(src, off, Math.min(65_000, d.length - off));
            }
            ByteBuf out = Unpooled.buffer(d.length);
            assertEquals(100_000, rb.drainTo(sink(out, 100_000)), "one call of a sink that then is full");
            assertEquals(d.length - 100_000, rb.readableBytes());
            while (rb.readableBytes() > 0) {
                assertTrue(rb.drainTo(sink(out, 70_000)) > 0);
            }
            assertArrayEquals(d, ByteBufUtil.getBytes(out));
            assertEquals(0, rb.drainTo(sink(out, 1)), "nothing left");
            out.release();
            src.release();
            rb.release();
            alloc.assertAllReleased();
        }

        @Test
        void aChunkDrainedInPlaceIsReusedForTheNextBytes() {
            ReceiveBuffer rb = new ReceiveBuffer(alloc);
            ByteBuf src = Unpooled.wrappedBuffer(TcpFixture.bytes(64 * 1024, 5));
            ByteBuf out = Unpooled.buffer(1 << 20);
            rb.write(src, 0, 64 * 1024);
            rb.drainTo(sink(out, Integer.MAX_VALUE));
            int allocations = alloc.allocations();
            for (int i = 0; i < 20; i++) { // as a relay whose host socket keeps up: written, then drained
                rb.write(src, 0, 64 * 1024);
                assertEquals(64 * 1024, rb.drainTo(sink(out.clear(), Integer.MAX_VALUE)));
            }
            assertEquals(allocations, alloc.allocations(), "no chunk allocated once the first was drained");
            assertEquals(1, alloc.live(), "the drained chunk is kept");
            assertEquals(64 * 1024, rb.releaseIfEmpty(), "an idle connection gives it back");
            assertEquals(0, alloc.live());
            assertEquals(0, rb.releaseIfEmpty(), "nothing left to give");
            rb.write(src, 0, 100);
            assertEquals(0, rb.releaseIfEmpty(), "not while bytes wait to be read");
            out.release();
            src.release();
            rb.release();
            alloc.assertAllReleased();
        }

        @Test
        void buffersThatNeverHeldDataAnswerEmptyReleaseAndThenWork() {
            // A flow that never carried data (a refused dial, a port scan) makes none of their inner queues.
            SendBuffer sb = new SendBuffer(alloc, 1 << 20);
            ReceiveBuffer rb = new ReceiveBuffer(alloc);
            ReassemblyQueue rq = new ReassemblyQueue(alloc, 8);
            assertEquals(0, rb.readableBytes());
            assertEquals(0, rb.read(Unpooled.buffer(10)));
            assertEquals(0, rb.readRetained(10).readableBytes());
            assertEquals(0, rb.drainTo(sink(Unpooled.buffer(10), 10)));
            assertEquals(0, rb.releaseIfEmpty());
            assertTrue(rq.isEmpty());
            sb.consume(0);
            sb.release();
            rb.release();
            rq.release();
            assertEquals(0, alloc.allocations(), "nothing allocated for them");
            ByteBuf src = Unpooled.wrappedBuffer(TcpFixture.bytes(5000, 9));
            assertEquals(5000, sb.write(src.duplicate()));
            rb.write(src, 0, 5000);
            assertTrue(rq.add(100, src, 0, 10));
            assertFalse(rq.isEmpty());
            ByteBuf sent = sb.retainedSlice(0, 5000);
            assertEquals(src.slice(0, 5000), sent);
            sent.release();
            ByteBuf out = Unpooled.buffer(5000);
            assertEquals(5000, rb.read(out));
            assertEquals(src, out);
            sb.release();
            rb.release();
            rq.release();
            assertTrue(rq.isEmpty());
            src.release();
            alloc.assertAllReleased();
        }
    }

    @Nested
    class ReassemblyQueueTest {
        final TrackingAllocator alloc = new TrackingAllocator();
        final SeqNumber base = SeqNumber.ofUnsigned(0xFFFF_FF00L);

        @Test
        void randomArrivalOrderReassemblesExactly() {
            Random rnd = new Random(3);
            byte[] d = TcpFixture.bytes(50_000, 7);
            ByteBuf src = Unpooled.wrappedBuffer(d);
            for (int round = 0; round < 20; round++) {
                ReassemblyQueue q = new ReassemblyQueue(alloc, 10_000);
                ReceiveBuffer rb = new ReceiveBuffer(alloc);
                SeqNumber nxt = base;
                while (nxt.minus(base) < d.length) {
                    int off = rnd.nextInt(d.length);
                    int len = 1 + rnd.nextInt(Math.min(3000, d.length - off));
                    SeqNumber seq = base.plus(off);
                    if (seq.le(nxt)) {
                        int skip = nxt.minus(seq);
                        if (skip < len) {
                            rb.write(src, off + skip, len - skip);
                            nxt = SeqNumber.of(q.drainInto(nxt.plus(len - skip).value(), rb));
                        }
                    } else {
                        assertTrue(q.add(seq.value(), src, off, len));
                    }
                }
                assertTrue(q.isEmpty());
                ByteBuf out = Unpooled.buffer(d.length);
                rb.read(out);
                assertArrayEquals(d, ByteBufUtil.getBytes(out));
                out.release();
                q.release();
                rb.release();
            }
            src.release();
            alloc.assertAllReleased();
        }

        /** The queue's SACK blocks, read back through a header. */
        List<SackBlock> sackBlocks(ReassemblyQueue q, int max) {
            TcpHeader h = new TcpHeader();
            q.sackBlocks(max, h);
            return h.options().sackBlocks();
        }

        @Test
        void sackBlocksLeadWithTheLatestAndMergeAdjacentRanges() {
            ReassemblyQueue q = new ReassemblyQueue(alloc, 100);
            ByteBuf src = Unpooled.wrappedBuffer(new byte[100]);
            q.add(base.plus(10).value(), src, 0, 10);
            q.add(base.plus(40).value(), src, 0, 10);
            q.add(base.plus(20).value(), src, 0, 10); // adjacent to the first: one block [10, 30)
            assertEquals(List.of(new SackBlock(base.plus(10), base.plus(30)), new SackBlock(base.plus(40), base.plus(50))),
                    sackBlocks(q, 4));
            q.add(base.plus(60).value(), src, 0, 5);
            assertEquals(new SackBlock(base.plus(60), base.plus(65)), sackBlocks(q, 4).get(0));
            assertEquals(2, sackBlocks(q, 2).size());
            src.release();
            q.release();
            alloc.assertAllReleased();
        }

        @Test
        void rangeLimitRefusesNewRanges() {
            ReassemblyQueue q = new ReassemblyQueue(alloc, 1);
            ByteBuf src = Unpooled.wrappedBuffer(new byte[100]);
            assertTrue(q.add(base.plus(10).value(), src, 0, 10));
            assertTrue(q.add(base.plus(20).value(), src, 0, 10), "appending to a range is not a new range");
            assertFalse(q.add(base.plus(40).value(), src, 0, 10));
            assertEquals(20, q.bytes());
            src.release();
            q.release();
            alloc.assertAllReleased();
        }
    }

    @Nested
    class RttEstimatorTest {
        @Test
        void rfc6298Arithmetic() {
            RttEstimator r = new RttEstimator(1000 * MS, 200 * MS, 60_000 * MS);
            assertEquals(1000 * MS, r.rto(), "2.1: 1 s before any sample");
            r.sample(100 * MS); // SRTT 100, RTTVAR 50, RTO 100 + 200 = 300
            assertEquals(300 * MS, r.rto());
            r.sample(100 * MS); // RTTVAR 37.5, RTO 100 + 150 = 250
            assertEquals(250 * MS, r.rto());
            r.backoff();
            r.backoff();
            assertEquals(1000 * MS, r.rto());
            for (int i = 0; i < 40; i++) {
                r.backoff();
            }
            assertEquals(60_000 * MS, r.rto(), "capped at the maximum");
            r.clearBackoff();
            for (int i = 0; i < 100; i++) {
                r.sample(MS);
            }
            assertEquals(200 * MS, r.rto(), "never below the minimum");
        }
    }

    @Nested
    class CongestionControlTest {
        /** Raw sequence numbers, as the connection passes them. */
        final int iss = 0;

        @Test
        void slowStartThenAvoidance() {
            CongestionControl cc = new CongestionControl(1000, 10, iss, 1 << 30);
            assertEquals(10_000, cc.cwnd());
            cc.onNewAck(1000, iss + 1001, 0);
            assertEquals(11_000, cc.cwnd());
            cc.onTimeout(20_000, iss + 30_000);
            assertEquals(1000, cc.cwnd());
            assertEquals(10_000, cc.ssthresh());
            cc.onNewAck(5000, iss + 40_000, 0); // slow start counts at most 2 SMSS per ACK (RFC 3465)
            assertEquals(3000, cc.cwnd());
            for (int i = 0; i < 10; i++) {
                cc.onNewAck(2000, iss + 40_001 + i, 0);
            }
            assertTrue(cc.cwnd() >= 10_000 && cc.cwnd() <= 12_000, "about one SMSS per window: " + cc.cwnd());
        }

        @Test
        void fastRecoveryNewReno() {
            CongestionControl cc = new CongestionControl(1000, 10, iss, 1 << 30);
            int una = iss + 1;
            int max = iss + 10_001;
            assertFalse(cc.onDuplicateAck(una, 10_000, max));
            assertFalse(cc.onDuplicateAck(una, 10_000, max));
            assertTrue(cc.onDuplicateAck(una, 10_000, max), "third duplicate: fast retransmit");
            assertEquals(5000 + 3000, cc.cwnd());
            assertFalse(cc.onDuplicateAck(una, 10_000, max));
            assertEquals(9000, cc.cwnd(), "inflated by SMSS per further duplicate");
            assertTrue(cc.onNewAck(3000, iss + 3001, 7000), "partial ACK");
            assertTrue(cc.inRecovery());
            assertFalse(cc.onNewAck(7000, max, 0), "full ACK ends recovery");
            assertFalse(cc.inRecovery());
            assertEquals(2000, cc.cwnd());
        }
    }
}
