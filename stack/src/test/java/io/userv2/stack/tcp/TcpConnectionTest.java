package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.SackBlock;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import io.userv2.stack.wire.TcpOptions;
import io.userv2.stack.wire.TcpRepr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Scripted exchanges with one endpoint, one nested class per state (smoltcp's tcp.rs tests, RFC 9293 3.10.7). */
class TcpConnectionTest extends TcpFixture {

    /** An emitter that lends one header to every connection, as the NAT's does ({@link SegmentEmitter#header()}). */
    @Nested
    class LentHeader {
        final TcpHeader shared = new TcpHeader();
        final List<Seg> out = new ArrayList<>();
        final SegmentEmitter lending = new SegmentEmitter() {
            @Override
            public void emit(TcpConnectionKey key, TcpHeader segment, ByteBuf payload) {
                assertSame(shared, segment, "the connection fills the header it was lent");
                byte[] d = new byte[payload.readableBytes()];
                payload.getBytes(payload.readerIndex(), d);
                payload.release();
                out.add(Seg.of(segment, d));
            }

            @Override
            public TcpHeader header() {
                return shared;
            }
        };

        @Test
        void aResetThatIsDueSurvivesAnotherConnectionFillingTheLentHeader() {
            pending();
            conn.refuse(now); // the RST waits for the next dispatch
            TcpConnectionKey otherKey = new TcpConnectionKey(GUEST_IP, REMOTE_PORT + 1, SERVER_IP, LOCAL_PORT);
            TcpConnection other = TcpConnection.acceptSyn(otherKey, SYN.srcPort(REMOTE_PORT + 1).header(), config,
                    alloc, stats, LOCAL_SEQ.plus(1000), now);
            try {
                other.accept(now);
                other.dispatch(now, lending); // its SYN-ACK goes through the same header first
                conn.dispatch(now, lending);
            } finally {
                other.release();
            }
            assertEquals(2, out.size(), () -> "one SYN-ACK, then the RST: " + out);
            assertSeg(out.get(0), TcpControl.SYN, LOCAL_SEQ.plus(1000), REMOTE_SEQ.plus(1));
            // RFC 9293 3.10.7.1: the refused SYN had no ACK, so <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
            assertSeg(out.get(1), TcpControl.RST, SeqNumber.of(0), REMOTE_SEQ.plus(1));
            assertEquals(REMOTE_PORT, out.get(1).dstPort());
        }
    }

    @Nested
    class SynPending {
        @Test
        void holdsTheSynWithoutAnswering() {
            pending();
            assertEquals(TcpState.SYN_PENDING, conn.state());
            assertEquals(Long.MAX_VALUE, conn.pollAt());
            recvNothing();
            assertEquals(REMOTE_SEQ, conn.irs());
        }

        @Test
        void acceptSendsSynAckWithOurMss() {
            pending();
            conn.accept(now);
            assertEquals(now, conn.pollAt());
            Seg synAck = recvOne();
            assertSeg(synAck, TcpControl.SYN, LOCAL_SEQ, REMOTE_SEQ.plus(1));
            assertEquals(new TcpOptions(1460, null, false, List.of(), null), synAck.options(),
                    "only MSS: the SYN offered no scaling, SACK or timestamps");
            assertEquals(65535, synAck.window(), "a SYN's window is never scaled");
        }

        @Test
        void refuseAnswersWithResetAckToTheSyn() {
            pending();
            conn.refuse(now);
            // RFC 9293 3.10.7.1: no ACK in the SYN, so <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
            assertSeg(recvOne(), TcpControl.RST, SeqNumber.of(0), REMOTE_SEQ.plus(1));
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.REFUSED, conn.closeCause());
            assertTrue(conn.isTerminated());
            assertEquals(Long.MAX_VALUE, conn.pollAt());
        }

        @Test
        void aPendingConnectionTakesItsCongestionWindowWhenAccepted() {
            pending();
            assertEquals(0, conn.congestionWindow(), "no congestion state before the host side answers");
            assertEquals(0, conn.readableBytes());
            assertEquals(config.initialRtoNanos(), conn.retransmissionTimeout());
            assertEquals(-1, conn.smoothedRtt(), "no RTT sample yet");
            conn.accept(now);
            // RFC 6928: the initial window is a number of segments of the MSS (the SYN's 1460)
            assertEquals(config.initialWindowSegments() * 1460, conn.congestionWindow());
            recvOne();
        }

        @Test
        void aRefusedConnectionReleasesCleanly() {
            pending();
            conn.refuse(now);
            recvOne();
            assertEquals(0, conn.readableBytes());
            assertEquals(0, conn.releaseIdleBuffers());
            conn.release();
            alloc.assertAllReleased();
        }

        @Test
        void guestResetCancelsThePendingConnection() {
            pending();
            send(SEND.control(TcpControl.RST));
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.RESET_BY_PEER, conn.closeCause());
            recvNothing();
        }

        @Test
        void retransmittedSynIsIgnored() {
            pending();
            send(SYN);
            assertEquals(TcpState.SYN_PENDING, conn.state());
            recvNothing();
        }

        @Test
        void dataQueuedBeforeAcceptGoesOutAfterTheHandshake() {
            pending();
            write("banner");
            conn.accept(now);
            assertSeg(recvOne(), TcpControl.SYN, LOCAL_SEQ, REMOTE_SEQ.plus(1));
            send(SEND.ack(LOCAL_SEQ.plus(1)));
            assertSeg(recvOne(), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "banner");
        }

        @Test
        void abortWhilePendingIsARefusal() {
            pending();
            conn.abort();
            assertSeg(recvOne(), TcpControl.RST, SeqNumber.of(0), REMOTE_SEQ.plus(1));
            assertEquals(TcpCloseCause.ABORTED, conn.closeCause());
        }

        @Test
        void acceptTwiceIsAProgrammingError() {
            synReceived();
            assertThrows(IllegalStateException.class, () -> conn.accept(now));
        }
    }

    @Nested
    class SynReceived {
        @Test
        void ackCompletesTheHandshake() {
            established();
            assertTrue(conn.isEstablished());
            assertEquals(65535, conn.peerWindow());
        }

        @Test
        void handshakeAckMayCarryData() {
            synReceived();
            send(SEND.ack(LOCAL_SEQ.plus(1)).control(TcpControl.PSH).data("GET /"));
            assertEquals(TcpState.ESTABLISHED, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(6));
            assertEquals("GET /", readAll());
        }

        @Test
        void retransmittedSynGetsTheSynAckAgain() {
            synReceived();
            send(SYN);
            assertSeg(recvOne(), TcpControl.SYN, LOCAL_SEQ, REMOTE_SEQ.plus(1));
        }

        @Test
        void synAckIsRetransmittedWithBackoffThenGivenUp() {
            config = config.withRetries(12, 3);
            synReceived();
            long t0 = now;
            long[] expected = {1, 3, 7}; // RTO 1 s, doubled each time (RFC 6298 5.5)
            for (long at : expected) {
                List<Seg> out = advanceToPoll();
                assertEquals(t0 + at * SEC, now);
                assertEquals(1, out.size());
                assertSeg(out.get(0), TcpControl.SYN, LOCAL_SEQ, REMOTE_SEQ.plus(1));
            }
            List<Seg> out = advanceToPoll();
            assertEquals(t0 + 15 * SEC, now);
            assertTrue(out.isEmpty(), "giving up on a handshake sends nothing");
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
        }

        @Test
        void unacceptableAckIsAnsweredWithReset() {
            synReceived();
            send(SEND.ack(LOCAL_SEQ.plus(5)));
            // "If the segment acknowledgment is not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>"
            assertSeg(recvOne(), TcpControl.RST, LOCAL_SEQ.plus(5), null);
            assertEquals(TcpState.SYN_RECEIVED, conn.state());
        }

        @Test
        void segmentWithoutAckIsDropped() {
            synReceived();
            send(SEND.data("x"));
            assertEquals(TcpState.SYN_RECEIVED, conn.state());
            assertEquals(0, conn.readableBytes());
        }

        @Test
        void finInTheHandshakeAckGoesToCloseWait() {
            synReceived();
            send(SEND.ack(LOCAL_SEQ.plus(1)).control(TcpControl.FIN).data("bye"));
            assertEquals(TcpState.CLOSE_WAIT, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(5));
            assertEquals("bye", readAll());
            assertTrue(conn.isRecvFinished());
        }

        @Test
        void shutdownBeforeEstablishedSendsFinAfterIt() {
            synReceived();
            write("x");
            conn.shutdownSend();
            recvNothing();
            send(SEND.ack(LOCAL_SEQ.plus(1)));
            assertEquals(TcpState.FIN_WAIT_1, conn.state());
            assertSeg(recvOne(), TcpControl.FIN, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "x");
        }
    }

    @Nested
    class MaximumSegmentSize {
        @Test
        void peerMssLimitsOurSegments() {
            pending(SYN.mss(1000));
            conn.accept(now);
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)));
            write(bytes(2500, 1));
            List<Seg> out = dispatch();
            assertEquals(List.of(1000, 1000, 500), out.stream().map(Seg::len).toList());
        }

        @Test
        void missingMssMeans536() {
            pending(SYN.options(TcpOptions.NONE));
            conn.accept(now);
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)));
            assertEquals(536, conn.sendMss());
        }

        @Test
        void ourMssComesFromTheMtu() {
            config = config.withMtu(65520);
            pending(SYN.mss(65495));
            conn.accept(now);
            assertEquals(65480, recvOne().options().maxSegmentSize());
            assertEquals(65480, conn.sendMss());
        }
    }

    @Nested
    class Established {
        @Test
        void receivesDataInOrder() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("abcdef"));
            Seg ack = recvOne();
            assertAck(ack, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(7));
            assertEquals(65535 - 6, ack.window(), "right edge kept until a whole segment of space frees (SWS)");
            assertEquals(6, conn.readableBytes());
            assertEquals("abcdef", readAll());
        }

        @Test
        void sendsDataWithPushOnTheLastSegment() {
            config = config.withoutKeepAlive(); // so that "no timer" below means none at all
            established();
            write("hello");
            assertSeg(recvOne(), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "hello");
            assertEquals(5, conn.sendQueued());
            send(SEND.ack(LOCAL_SEQ.plus(6)));
            recvNothing();
            assertEquals(0, conn.sendQueued());
            assertEquals(Long.MAX_VALUE, conn.pollAt(), "nothing outstanding: no timer");
        }

        @Test
        void segmentsByMssAndInitialWindowOfTen() {
            established();
            byte[] data = bytes(20000, 7);
            write(data);
            List<Seg> first = dispatch();
            assertEquals(10, first.size(), "RFC 6928 initial window: 10 segments");
            for (int i = 0; i < 10; i++) {
                assertSeg(first.get(i), TcpControl.NONE, LOCAL_SEQ.plus(1 + i * 1460), REMOTE_SEQ.plus(1));
                assertEquals(1460, first.get(i).len());
            }
            send(SEND.ack(LOCAL_SEQ.plus(1 + 14600)));
            List<Seg> rest = dispatch();
            assertEquals(List.of(1460, 1460, 1460, 1020), rest.stream().map(Seg::len).toList());
            assertEquals(TcpControl.PSH, rest.get(3).control());
            byte[] got = new byte[20000];
            int at = 0;
            for (Seg s : first) {
                System.arraycopy(s.data(), 0, got, at, s.len());
                at += s.len();
            }
            for (Seg s : rest) {
                System.arraycopy(s.data(), 0, got, at, s.len());
                at += s.len();
            }
            assertArrayEquals(data, got);
        }

        @Test
        void dataBudgetHoldsBackDataButNotAcksAndOutputStaysDue() {
            established();
            write(bytes(10000, 9));
            List<Seg> out = new ArrayList<>();
            conn.dispatch(now, (key, repr, payload) -> {
                out.add(Seg.of(repr, new byte[payload.readableBytes()]));
                payload.release();
            }, 2000);
            assertEquals(List.of(1460, 1460), out.stream().map(Seg::len).toList(),
                    "stops once the budget is spent; the segment crossing it goes whole");
            assertEquals(now, conn.pollAt(), "the rest of the window is still due");
            conn.dispatch(now, (key, repr, payload) -> {
                out.add(Seg.of(repr, new byte[payload.readableBytes()]));
                payload.release();
            }, 0);
            assertEquals(2, out.size(), "a zero budget sends no data");
            List<Seg> rest = dispatch();
            assertEquals(LOCAL_SEQ.plus(1 + 2 * 1460), rest.get(0).seq(), "continues where the budget stopped");
        }

        @Test
        void neverSendsBeyondThePeerWindow() {
            synReceived();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(1000));
            write(bytes(3000, 3));
            List<Seg> out = dispatch();
            assertEquals(1, out.size());
            assertEquals(1000, out.get(0).len());
            send(SEND.ack(LOCAL_SEQ.plus(1001)).window(1000));
            out = dispatch();
            assertEquals(1, out.size());
            assertSeg(out.get(0), TcpControl.NONE, LOCAL_SEQ.plus(1001), REMOTE_SEQ.plus(1));
            assertEquals(1000, out.get(0).len());
        }

        @Test
        void sendCapacityIsBoundedAndFreedByAcks() {
            config = config.withBuffers(4096, 4 << 20);
            established();
            assertEquals(4096, conn.sendCapacity());
            ByteBuf big = Unpooled.wrappedBuffer(bytes(10000, 1));
            assertEquals(4096, conn.send(big), "takes only what fits");
            assertEquals(4096, big.readerIndex());
            big.release();
            assertEquals(0, conn.sendCapacity());
            dispatch();
            send(SEND.ack(LOCAL_SEQ.plus(1 + 1460)));
            assertEquals(1460, conn.sendCapacity());
        }

        @Test
        void recvHandsOutRetainedSlicesOwnedByTheCaller() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("0123456789"));
            ByteBuf a = conn.recv(4);
            assertEquals("0123", a.toString(StandardCharsets.US_ASCII));
            ByteBuf b = conn.recv(100);
            assertEquals("456789", b.toString(StandardCharsets.US_ASCII));
            assertFalse(conn.isReadable());
            assertEquals(0, conn.recv(10).readableBytes());
            a.release();
            b.release();
            send(SEND.seq(REMOTE_SEQ.plus(11)).ack(LOCAL_SEQ.plus(1)).data("more"));
            assertEquals("more", readAll());
        }

        @Test
        void duplicateSegmentIsAckedAndNotDeliveredTwice() {
            established();
            Seg data = SEND.ack(LOCAL_SEQ.plus(1)).data("abc");
            send(data);
            recvOne();
            send(data);
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(4));
            assertEquals("abc", readAll());
        }

        @Test
        void overlappingRetransmissionOnlyAddsTheNewPart() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("abc"));
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("abcdef"));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(7));
            assertEquals("abcdef", readAll());
        }

        @Test
        void dataAcrossTheSequenceWrap() {
            established(); // REMOTE_SEQ is 0xffffff00: 300 bytes cross 2^32
            byte[] d = bytes(300, 9);
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(d));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(301));
            ByteBuf b = Unpooled.buffer(1000);
            conn.recv(b);
            assertArrayEquals(d, io.netty.buffer.ByteBufUtil.getBytes(b));
            b.release();
        }

        @Test
        void sendBufferChunksAreSlicedWithoutCopies() {
            // A segment crossing an internal chunk boundary still arrives intact (composite payload).
            established();
            byte[] d = bytes(200_000, 5);
            int at = 0;
            for (int i = 0; i < 50; i++) { // many small writes: several chunks
                ByteBuf b = Unpooled.wrappedBuffer(d, at, 4000);
                conn.send(b);
                b.release();
                at += 4000;
            }
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            SeqNumber acked = LOCAL_SEQ.plus(1);
            for (int round = 0; round < 100 && got.size() < d.length; round++) {
                for (Seg s : dispatch()) {
                    got.write(s.data(), 0, s.len());
                    acked = s.seq().plus(s.len());
                }
                send(SEND.ack(acked));
            }
            assertArrayEquals(d, got.toByteArray());
        }
    }

    @Nested
    class DelayedAck {
        @Test
        void singleSegmentIsAckedAfterTheDelay() {
            config = TcpConfig.defaults(); // 5 ms delayed ACK
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("a"));
            recvNothing();
            assertEquals(now + 5 * MS, conn.pollAt());
            List<Seg> out = advanceToPoll();
            assertEquals(1, out.size());
            assertAck(out.get(0), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(2));
        }

        @Test
        void everySecondFullSegmentIsAckedAtOnce() {
            config = TcpConfig.defaults();
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(bytes(1460, 1)));
            recvNothing();
            send(SEND.seq(REMOTE_SEQ.plus(1461)).ack(LOCAL_SEQ.plus(1)).data(bytes(1460, 2)));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(2921));
        }

        @Test
        void ackRidesOnData() {
            config = TcpConfig.defaults();
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("ping"));
            write("pong");
            assertSeg(recvOne(), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(5), "pong");
            assertEquals(now + SEC, conn.pollAt(), "no ACK pending: only the retransmission timer remains");
        }

        @Test
        void outOfOrderIsAckedAtOnce() {
            config = TcpConfig.defaults();
            established();
            send(SEND.seq(REMOTE_SEQ.plus(10)).ack(LOCAL_SEQ.plus(1)).data("late"));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
        }
    }

    @Nested
    class OutOfOrder {
        @Test
        void heldAndReassembledInOrder() {
            established();
            send(SEND.seq(REMOTE_SEQ.plus(7)).ack(LOCAL_SEQ.plus(1)).data("ghijkl"));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            assertEquals(0, conn.readableBytes());
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("abcdef"));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(13));
            assertEquals("abcdefghijkl", readAll());
        }

        @Test
        void sackBlocksDescribeHeldData() {
            pending(SYN.sackPermitted());
            conn.accept(now);
            assertTrue(recvOne().options().sackPermitted(), "RFC 2018: SACK-permitted answered in the SYN-ACK");
            send(SEND.ack(LOCAL_SEQ.plus(1)));
            send(SEND.seq(REMOTE_SEQ.plus(11)).ack(LOCAL_SEQ.plus(1)).data("KLMNO"));
            Seg a1 = recvOne();
            assertAck(a1, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            assertEquals(List.of(new SackBlock(REMOTE_SEQ.plus(11), REMOTE_SEQ.plus(16))), a1.options().sackBlocks());
            send(SEND.seq(REMOTE_SEQ.plus(21)).ack(LOCAL_SEQ.plus(1)).data("UVW"));
            Seg a2 = recvOne();
            // "The first SACK block ... MUST specify the contiguous block of data containing the segment which
            // triggered this ACK"
            assertEquals(List.of(new SackBlock(REMOTE_SEQ.plus(21), REMOTE_SEQ.plus(24)),
                    new SackBlock(REMOTE_SEQ.plus(11), REMOTE_SEQ.plus(16))), a2.options().sackBlocks());
            send(SEND.seq(REMOTE_SEQ.plus(16)).ack(LOCAL_SEQ.plus(1)).data("PQRST"));
            Seg a3 = recvOne();
            assertEquals(List.of(new SackBlock(REMOTE_SEQ.plus(11), REMOTE_SEQ.plus(24))), a3.options().sackBlocks(),
                    "adjacent ranges merge into one block");
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("ABCDEFGHIJ"));
            Seg a4 = recvOne();
            assertAck(a4, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(24));
            assertTrue(a4.options().sackBlocks().isEmpty());
            assertEquals("ABCDEFGHIJKLMNOPQRSTUVW", readAll());
        }

        @Test
        void noSackBlocksUnlessPermitted() {
            established();
            send(SEND.seq(REMOTE_SEQ.plus(11)).ack(LOCAL_SEQ.plus(1)).data("x"));
            assertTrue(recvOne().options().sackBlocks().isEmpty());
        }

        @Test
        void overlappingOutOfOrderSegmentsKeepOneCopy() {
            established();
            send(SEND.seq(REMOTE_SEQ.plus(5)).ack(LOCAL_SEQ.plus(1)).data("efgh"));
            send(SEND.seq(REMOTE_SEQ.plus(3)).ack(LOCAL_SEQ.plus(1)).data("cdefghij"));
            send(SEND.seq(REMOTE_SEQ.plus(7)).ack(LOCAL_SEQ.plus(1)).data("ghijklm"));
            dispatch();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("abc"));
            assertAck(dispatch().get(0), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(14));
            assertEquals("abcdefghijklm", readAll());
        }

        @Test
        void reassemblyQueueIsBounded() {
            config = config.withLimits(2, 100);
            established();
            send(SEND.seq(REMOTE_SEQ.plus(11)).ack(LOCAL_SEQ.plus(1)).data("b"));
            send(SEND.seq(REMOTE_SEQ.plus(21)).ack(LOCAL_SEQ.plus(1)).data("c"));
            send(SEND.seq(REMOTE_SEQ.plus(31)).ack(LOCAL_SEQ.plus(1)).data("d"));
            assertEquals(1, stats.outOfOrderDropped());
            dispatch();
        }
    }

    @Nested
    class FlowControl {
        @Test
        void windowClosesWhenTheApplicationDoesNotReadAndReopensAfterARead() {
            config = config.withBuffers(4 << 20, 4096);
            pending();
            conn.accept(now);
            assertEquals(4096, recvOne().window());
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(bytes(1460, 1)));
            assertEquals(4096 - 1460, recvOne().window());
            send(SEND.seq(REMOTE_SEQ.plus(1461)).ack(LOCAL_SEQ.plus(1)).data(bytes(2636, 2)));
            Seg closed = recvOne();
            assertAck(closed, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(4097));
            assertEquals(0, closed.window());
            // Data beyond the window is not taken; the guest is told again.
            send(SEND.seq(REMOTE_SEQ.plus(4097)).ack(LOCAL_SEQ.plus(1)).data("z"));
            Seg again = recvOne();
            assertAck(again, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(4097));
            assertEquals(0, again.window());
            assertEquals(4096, conn.readableBytes());
            // The application reads: a window update goes out.
            ByteBuf sink = Unpooled.buffer(4096);
            assertEquals(4096, conn.recv(sink));
            sink.release();
            assertEquals(now, conn.pollAt());
            Seg update = recvOne();
            assertAck(update, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(4097));
            assertEquals(4096, update.window());
        }

        @Test
        void segmentCrossingTheRightEdgeIsTrimmed() {
            config = config.withBuffers(4 << 20, 4096);
            pending();
            conn.accept(now);
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(bytes(5000, 1)));
            Seg ack = recvOne();
            assertAck(ack, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(4097));
            assertEquals(4096, conn.readableBytes());
        }

        @Test
        void smallReadsDoNotTriggerSillyWindowUpdates() {
            config = config.withBuffers(4 << 20, 8192);
            pending();
            conn.accept(now);
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(bytes(8192, 1)));
            recvOne();
            ByteBuf small = Unpooled.buffer(100);
            conn.recv(small);
            small.release();
            recvNothing(); // 100 bytes of space is not worth announcing (RFC 9293 3.8.6.2.2)
            ByteBuf rest = Unpooled.buffer(8192);
            conn.recv(rest);
            rest.release();
            assertEquals(8192, recvOne().window());
        }
    }

    @Nested
    class ZeroWindowProbe {
        @Test
        void probesWithBackoffUntilTheWindowOpens() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(0));
            write("data");
            recvNothing();
            long t0 = now;
            assertEquals(t0 + SEC, conn.pollAt(), "first probe after one RTO");
            List<Seg> p1 = advanceToPoll();
            assertEquals(1, p1.size());
            // A Linux-style probe: SEQ = SND.UNA - 1, no data, so the receiver must answer with its window.
            assertAck(p1.get(0), LOCAL_SEQ, REMOTE_SEQ.plus(1));
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(0));
            recvNothing();
            assertEquals(t0 + 3 * SEC, conn.pollAt(), "then twice as long");
            assertEquals(1, advanceToPoll().size());
            assertEquals(t0 + 7 * SEC, conn.pollAt());
            assertEquals(1, advanceToPoll().size());
            assertEquals(3, stats.zeroWindowProbes());
            assertEquals(TcpState.ESTABLISHED, conn.state(), "never given up while the peer answers");
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(1000));
            assertSeg(recvOne(), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "data");
        }

        @Test
        void windowUpdateBeforeTheProbeSendsAtOnce() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(0));
            write("data");
            recvNothing();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(100));
            assertSeg(recvOne(), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "data");
        }

        @Test
        void answersTheGuestsProbeWithItsClosedWindow() {
            config = config.withBuffers(4 << 20, 1000);
            pending();
            conn.accept(now);
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(bytes(1000, 1)));
            assertEquals(0, recvOne().window());
            write("x"); // our data still flows: the probe's ACK field is processed
            dispatch();
            send(SEND.seq(REMOTE_SEQ.plus(1001)).ack(LOCAL_SEQ.plus(2)).data("p"));
            Seg reply = recvOne();
            assertAck(reply, LOCAL_SEQ.plus(2), REMOTE_SEQ.plus(1001));
            assertEquals(0, reply.window());
            assertEquals(0, conn.sendQueued(), "the ACK in the probe was taken");
            assertEquals(1000, conn.readableBytes(), "the probe's byte was not");
        }
    }

    /** Large in-order data handed to a {@link DirectReceiver} as it arrives, before the receive buffer. */
    @Nested
    class DirectReceiving {
        /** What the receiver took, in order; it takes at most {@link #room} bytes in all. */
        final java.io.ByteArrayOutputStream taken = new java.io.ByteArrayOutputStream();
        int room = Integer.MAX_VALUE;
        int calls;
        final DirectReceiver receiver = (buf, index, length) -> {
            calls++;
            int n = Math.min(length, room);
            byte[] d = new byte[n];
            buf.getBytes(index, d);
            taken.writeBytes(d);
            room -= n;
            return n;
        };
        final int big = TcpConnection.DIRECT_MIN;

        @Test
        void aLargeInOrderSegmentGoesToTheReceiverAndTheWindowStaysOpen() {
            established();
            conn.receiveDirectlyTo(receiver);
            byte[] d = bytes(big, 1);
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(d));
            assertArrayEquals(d, taken.toByteArray());
            assertEquals(0, conn.readableBytes(), "nothing buffered");
            Seg ack = recvOne();
            assertAck(ack, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1 + big));
            assertEquals(65535, ack.window(), "the receive buffer holds none of it");
        }

        @Test
        void whatTheReceiverLeavesIsBufferedAndLaterDataQueuesBehindIt() {
            established();
            conn.receiveDirectlyTo(receiver);
            room = 5000;
            byte[] first = bytes(big, 1);
            byte[] second = bytes(big, 2);
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(first));
            assertEquals(big - 5000, conn.readableBytes());
            room = Integer.MAX_VALUE;
            send(SEND.seq(REMOTE_SEQ.plus(1 + big)).ack(LOCAL_SEQ.plus(1)).data(second));
            assertEquals(1, calls, "not offered while older bytes wait in the buffer");
            assertEquals(2 * big - 5000, conn.readableBytes());
            ByteBuf rest = Unpooled.buffer(conn.readableBytes());
            conn.recv(rest);
            byte[] all = new byte[2 * big];
            taken.writeBytes(io.netty.buffer.ByteBufUtil.getBytes(rest));
            rest.release();
            System.arraycopy(first, 0, all, 0, big);
            System.arraycopy(second, 0, all, big, big);
            assertArrayEquals(all, taken.toByteArray(), "every byte once, in order");
        }

        @Test
        void smallOrOutOfOrderSegmentsAreBuffered() {
            established();
            conn.receiveDirectlyTo(receiver);
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(bytes(big - 1, 1)));
            assertEquals(0, calls, "below the size worth a write of its own");
            assertEquals(big - 1, conn.readableBytes());
            readAll();
            dispatch();
            send(SEND.seq(REMOTE_SEQ.plus(big + big)).ack(LOCAL_SEQ.plus(1)).data(bytes(big, 3)));
            assertEquals(0, calls, "out of order: held for reassembly");
            send(SEND.seq(REMOTE_SEQ.plus(big)).ack(LOCAL_SEQ.plus(1)).data(bytes(big, 4)));
            assertEquals(0, calls, "fills the gap while the reassembly queue holds data");
            assertEquals(2 * big, conn.readableBytes());
        }

        @Test
        void aSegmentOverlappingWhatCameBeforeGivesTheReceiverOnlyItsNewBytes() {
            established();
            conn.receiveDirectlyTo(receiver);
            byte[] first = bytes(big, 1);
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(first));
            recvOne();
            // A retransmission of the last 100 bytes with more behind them (RFC 9293 3.10.7.4: the segment is
            // trimmed to the window; what was received already is not received again).
            byte[] overlapping = bytes(big + 100, 2);
            System.arraycopy(first, big - 100, overlapping, 0, 100);
            send(SEND.seq(REMOTE_SEQ.plus(1 + big - 100)).ack(LOCAL_SEQ.plus(1)).data(overlapping));
            byte[] expected = new byte[2 * big];
            System.arraycopy(first, 0, expected, 0, big);
            System.arraycopy(overlapping, 100, expected, big, big);
            assertArrayEquals(expected, taken.toByteArray(), "each byte once, in order");
            assertEquals(0, conn.readableBytes());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1 + 2 * big));
        }

        @Test
        void aFinInTheSameSegmentIsTakenAfterItsData() {
            established();
            conn.receiveDirectlyTo(receiver);
            byte[] d = bytes(big, 1);
            send(SEND.ack(LOCAL_SEQ.plus(1)).control(TcpControl.FIN).data(d));
            assertArrayEquals(d, taken.toByteArray());
            assertEquals(TcpState.CLOSE_WAIT, conn.state());
            assertTrue(conn.isRecvFinished(), "nothing buffered, the FIN in");
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1 + big + 1));
        }

        @Test
        void noLongerOfferedOnceUnset() {
            established();
            conn.receiveDirectlyTo(receiver);
            conn.receiveDirectlyTo(null);
            send(SEND.ack(LOCAL_SEQ.plus(1)).data(bytes(big, 1)));
            assertEquals(0, calls);
            assertEquals(big, conn.readableBytes());
        }
    }

    @Nested
    class Retransmission {
        @Test
        void retransmitsAfterRtoWithExponentialBackoffThenResets() {
            config = config.withRetries(3, 5);
            established();
            write("hello");
            recvOne();
            long t0 = now;
            long[] at = {1, 3, 7};
            for (long s : at) {
                List<Seg> out = advanceToPoll();
                assertEquals(t0 + s * SEC, now);
                assertEquals(1, out.size());
                assertSeg(out.get(0), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "hello");
            }
            List<Seg> out = advanceToPoll();
            assertEquals(t0 + 15 * SEC, now);
            assertEquals(1, out.size());
            assertSeg(out.get(0), TcpControl.RST, LOCAL_SEQ.plus(6), null);
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
            assertEquals(3, stats.retransmittedSegments());
            assertEquals(4, stats.timeouts());
        }

        @Test
        void rtoFollowsMeasuredRttWithTheMinimum() {
            established();
            write("a");
            recvOne();
            now += 10 * MS;
            send(SEND.ack(LOCAL_SEQ.plus(2)));
            assertEquals(10 * MS, conn.smoothedRtt());
            // RFC 6298: RTO = SRTT + max(G, 4*RTTVAR) = 10 + 20 ms, raised to the 200 ms minimum.
            assertEquals(200 * MS, conn.retransmissionTimeout());
            write("b");
            recvOne();
            assertEquals(now + 200 * MS, conn.pollAt());
        }

        @Test
        void timeoutCollapsesTheWindowAndGoesBackN() {
            established();
            write(bytes(5 * 1460, 1));
            assertEquals(5, dispatch().size());
            List<Seg> out = advanceToPoll();
            assertEquals(1, out.size(), "cwnd = 1 segment after a timeout (RFC 5681)");
            assertSeg(out.get(0), TcpControl.NONE, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            assertEquals(1460, conn.congestionWindow());
            send(SEND.ack(LOCAL_SEQ.plus(1461)));
            out = dispatch();
            assertEquals(2, out.size(), "slow start again");
            assertEquals(LOCAL_SEQ.plus(1461), out.get(0).seq());
        }

        @Test
        void karnIgnoresRttOfRetransmittedSegments() {
            established();
            write("a");
            recvOne();
            advanceToPoll(); // retransmitted at +1 s
            now += 5 * MS;
            send(SEND.ack(LOCAL_SEQ.plus(2)));
            assertEquals(-1, conn.smoothedRtt(), "no sample from an ambiguous ACK");
        }

        @Test
        void finIsRetransmitted() {
            finWait1();
            List<Seg> out = advanceToPoll();
            assertEquals(1, out.size());
            assertSeg(out.get(0), TcpControl.FIN, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
        }
    }

    @Nested
    class FastRetransmit {
        private List<Seg> tenSegmentsOut() {
            write(bytes(10 * 1460, 4));
            List<Seg> out = dispatch();
            assertEquals(10, out.size());
            return out;
        }

        private SeqNumber seg(int i) {
            return LOCAL_SEQ.plus(1 + i * 1460);
        }

        @Test
        void threeDuplicateAcksRetransmitWithoutWaiting() {
            established();
            List<Seg> sent = tenSegmentsOut();
            send(SEND.ack(seg(1)));
            dispatch(); // the window slid: nothing new to send
            send(SEND.ack(seg(1)));
            send(SEND.ack(seg(1)));
            recvNothing();
            send(SEND.ack(seg(1)));
            Seg rtx = recvOne();
            assertSeg(rtx, TcpControl.NONE, seg(1), REMOTE_SEQ.plus(1), sent.get(1).data());
            assertEquals(1, stats.fastRetransmits());
            // ssthresh = FlightSize / 2 = 4.5 segments; cwnd = ssthresh + 3 (RFC 6582 step 3)
            assertEquals(9 * 1460 / 2 + 3 * 1460, conn.congestionWindow());
            send(SEND.ack(seg(10)));
            // Full ACK (step 5): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) = 2 segments, no burst.
            assertEquals(2 * 1460, conn.congestionWindow());
        }

        @Test
        void partialAckRetransmitsTheNextHole() {
            established();
            tenSegmentsOut();
            for (int i = 0; i < 4; i++) {
                send(SEND.ack(seg(1)));
            }
            assertSeg(recvOne(), TcpControl.NONE, seg(1), REMOTE_SEQ.plus(1));
            // Segment 4 was lost too: the retransmission of 1 fills up to 4 only (RFC 6582 partial ACK).
            send(SEND.ack(seg(4)));
            List<Seg> out = dispatch();
            assertEquals(seg(4), out.get(0).seq(), "first unacknowledged segment resent at once");
            assertEquals(2, stats.fastRetransmits());
            send(SEND.ack(seg(10)));
            dispatch();
            assertEquals(0, conn.sendQueued());
        }

        @Test
        void sackGuidesRetransmissionOfEveryHole() {
            pending(SYN.sackPermitted());
            conn.accept(now);
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)));
            tenSegmentsOut();
            // Segments 1 and 4 are lost: the guest SACKs 2-3 and 5-9.
            Seg dup = SEND.ack(seg(1)).sack(new SackBlock(seg(5), seg(10)), new SackBlock(seg(2), seg(4)));
            send(dup); // a new ACK (segment 0), then duplicates
            recvNothing();
            send(dup);
            send(dup);
            recvNothing();
            send(dup);
            assertSeg(recvOne(), TcpControl.NONE, seg(1), REMOTE_SEQ.plus(1));
            send(dup);
            Seg second = recvOne();
            assertEquals(seg(4), second.seq(), "the next hole, not data the guest holds");
            assertEquals(1460, second.len());
            send(dup);
            recvNothing();
            send(SEND.ack(seg(10)));
            assertEquals(0, conn.sendQueued());
        }

        @Test
        void duplicateAcksWithoutOutstandingDataAreNotCounted() {
            established();
            for (int i = 0; i < 5; i++) {
                send(SEND.ack(LOCAL_SEQ.plus(1)));
            }
            recvNothing();
            assertEquals(0, stats.fastRetransmits());
        }
    }

    @Nested
    class Closing {
        @Test
        void guestFinsButStillReceives() {
            closeWait();
            assertTrue(conn.isRecvFinished());
            assertTrue(conn.canSend(), "half-close: our direction stays open");
            write("response");
            assertSeg(recvOne(), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(2), "response");
            send(SEND.seq(REMOTE_SEQ.plus(2)).ack(LOCAL_SEQ.plus(9)));
            recvNothing();
            conn.shutdownSend();
            assertEquals(TcpState.LAST_ACK, conn.state());
            assertSeg(recvOne(), TcpControl.FIN, LOCAL_SEQ.plus(9), REMOTE_SEQ.plus(2));
            send(SEND.seq(REMOTE_SEQ.plus(2)).ack(LOCAL_SEQ.plus(10)));
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.NORMAL, conn.closeCause());
            assertTrue(conn.isTerminated());
            recvNothing();
        }

        @Test
        void finWithData() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).control(TcpControl.FIN).data("last"));
            assertEquals(TcpState.CLOSE_WAIT, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(6));
            assertFalse(conn.isRecvFinished(), "data still to read");
            assertEquals("last", readAll());
            assertTrue(conn.isRecvFinished());
        }

        @Test
        void finBeforeMissingDataWaitsForIt() {
            established();
            send(SEND.seq(REMOTE_SEQ.plus(4)).ack(LOCAL_SEQ.plus(1)).control(TcpControl.FIN));
            assertEquals(TcpState.ESTABLISHED, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("abc"));
            assertEquals(TcpState.CLOSE_WAIT, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(5));
            assertEquals("abc", readAll());
        }

        @Test
        void ourFinFollowsBufferedData() {
            established();
            write("bye");
            conn.shutdownSend();
            assertFalse(conn.canSend());
            assertEquals(0, conn.sendCapacity());
            assertThrows(IllegalStateException.class, () -> write("more"));
            assertEquals(TcpState.FIN_WAIT_1, conn.state());
            assertSeg(recvOne(), TcpControl.FIN, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "bye");
            send(SEND.ack(LOCAL_SEQ.plus(5)));
            assertEquals(TcpState.FIN_WAIT_2, conn.state());
        }

        @Test
        void finWait2KeepsReceivingUntilTheGuestFins() {
            finWait2();
            send(SEND.ack(LOCAL_SEQ.plus(2)).data("more"));
            assertAck(recvOne(), LOCAL_SEQ.plus(2), REMOTE_SEQ.plus(5));
            assertEquals("more", readAll());
            send(SEND.seq(REMOTE_SEQ.plus(5)).ack(LOCAL_SEQ.plus(2)).control(TcpControl.FIN));
            assertEquals(TcpState.TIME_WAIT, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(2), REMOTE_SEQ.plus(6));
        }

        @Test
        void finWait1ReceivesFinAndAckTogether() {
            finWait1();
            send(SEND.ack(LOCAL_SEQ.plus(2)).control(TcpControl.FIN));
            assertEquals(TcpState.TIME_WAIT, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(2), REMOTE_SEQ.plus(2));
        }

        @Test
        void simultaneousClose() {
            closing();
            send(SEND.seq(REMOTE_SEQ.plus(2)).ack(LOCAL_SEQ.plus(2)));
            assertEquals(TcpState.TIME_WAIT, conn.state());
            recvNothing();
        }

        @Test
        void timeWaitExpiresAfterTwoMsl() {
            timeWait();
            assertEquals(now + 2 * SEC, conn.pollAt());
            assertTrue(advanceToPoll().isEmpty());
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.NORMAL, conn.closeCause());
            assertEquals(Long.MAX_VALUE, conn.pollAt());
        }

        @Test
        void timeWaitAcksARetransmittedFinAndRestarts() {
            timeWait();
            now += SEC;
            send(SEND.ack(LOCAL_SEQ.plus(2)).control(TcpControl.FIN));
            assertAck(recvOne(), LOCAL_SEQ.plus(2), REMOTE_SEQ.plus(2));
            assertEquals(now + 2 * SEC, conn.pollAt());
        }

        @Test
        void timeWaitHoldsNoSendMemory() {
            established();
            write(bytes(3000, 1));
            dispatch();
            conn.shutdownSend();
            dispatch();
            send(SEND.ack(LOCAL_SEQ.plus(3002)).control(TcpControl.FIN));
            assertEquals(TcpState.TIME_WAIT, conn.state());
            assertEquals(0, alloc.live(), "buffers freed on entering TIME-WAIT");
        }

        @Test
        void newSynMayReplaceTimeWait() {
            timeWait();
            assertTrue(conn.acceptsNewSyn(SYN.seq(REMOTE_SEQ.plus(100)).header()));
            assertFalse(conn.acceptsNewSyn(SYN.header()));
        }
    }

    @Nested
    class Reset {
        @ParameterizedTest
        @EnumSource(value = TcpState.class, names = {"SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                "CLOSING", "CLOSE_WAIT", "LAST_ACK"})
        void exactResetClosesInEveryState(TcpState state) {
            toState(state);
            send(SEND.control(TcpControl.RST).seq(rcvNxtIn(state)));
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.RESET_BY_PEER, conn.closeCause());
            recvNothing();
            assertEquals(Long.MAX_VALUE, conn.pollAt());
        }

        @ParameterizedTest
        @EnumSource(value = TcpState.class, names = {"SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                "CLOSING", "CLOSE_WAIT", "LAST_ACK"})
        void inWindowInexactResetGetsAChallengeAckInEveryState(TcpState state) {
            toState(state);
            send(SEND.control(TcpControl.RST).seq(rcvNxtIn(state).plus(10)));
            assertEquals(state, conn.state());
            assertAck(recvOne(), sndNxtIn(state), rcvNxtIn(state));
        }

        @Test
        void timeWaitIgnoresResets() {
            // RFC 1337 TH1: no TIME-WAIT assassination.
            timeWait();
            send(SEND.control(TcpControl.RST).seq(REMOTE_SEQ.plus(2)));
            assertEquals(TcpState.TIME_WAIT, conn.state());
            recvNothing();
            advanceToPoll();
            assertEquals(TcpCloseCause.NORMAL, conn.closeCause());
        }

        @Test
        void resetFlushesReceivedData() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("abc"));
            send(SEND.seq(REMOTE_SEQ.plus(4)).control(TcpControl.RST));
            assertEquals(0, conn.readableBytes());
            assertEquals(0, alloc.live());
        }

        @Test
        void abortSendsResetAtSndNxt() {
            established();
            write("x");
            dispatch();
            write("unsent");
            conn.abort();
            assertEquals(TcpState.CLOSED, conn.state());
            assertSeg(recvOne(), TcpControl.RST, LOCAL_SEQ.plus(2), null);
            assertEquals(TcpCloseCause.ABORTED, conn.closeCause());
            assertTrue(conn.isTerminated());
            assertEquals(0, alloc.live(), "abort frees the buffers");
        }

        @Test
        void closedConnectionAnswersWithReset() {
            established();
            conn.abort();
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("late"));
            // RFC 9293 3.10.7.1: ACK present, so <SEQ=SEG.ACK><CTL=RST>
            assertSeg(recvOne(), TcpControl.RST, LOCAL_SEQ.plus(1), null);
            send(SEND.control(TcpControl.RST));
            recvNothing();
        }

        /** {@link TcpConnection#resetFor} as a record, null when it makes none. */
        TcpRepr resetFor(Seg s) {
            TcpHeader rst = new TcpHeader();
            return TcpConnection.resetFor(s.header(), rst) ? rst.toRepr() : null;
        }

        @Test
        void resetGenerationForUnknownConnections() {
            Seg syn = SYN;
            var r = resetFor(syn);
            assertEquals(TcpControl.RST, r.control());
            assertEquals(SeqNumber.of(0), r.seqNumber());
            assertEquals(REMOTE_SEQ.plus(1), r.ackNumber());
            assertEquals(LOCAL_PORT, r.srcPort());
            assertEquals(REMOTE_PORT, r.dstPort());
            var r2 = resetFor(SEND.ack(LOCAL_SEQ.plus(7)).data("abc"));
            assertEquals(LOCAL_SEQ.plus(7), r2.seqNumber());
            assertNull(r2.ackNumber());
            assertNull(resetFor(SEND.control(TcpControl.RST)));
        }
    }

    @Nested
    class Benchmarkable {
        /** The path a JMH benchmark drives: N in-order 1448-byte segments in, read out, ACKs out. */
        @Test
        void feedInOrderSegmentsAndReadThemOut() {
            config = TcpConfig.defaults();
            pending(SYN.ts(1, 0).wscale(7));
            conn.accept(now);
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)).ts(2, 0));
            byte[] chunk = bytes(1448, 3);
            ByteBuf payload = Unpooled.wrappedBuffer(chunk);
            ByteBuf sink = Unpooled.buffer(1 << 16);
            SeqNumber seq = REMOTE_SEQ.plus(1);
            int acks = 0;
            for (int i = 0; i < 10_000; i++) {
                var repr = SEND.seq(seq).ack(LOCAL_SEQ.plus(1)).ts(3 + i, 0).data(chunk).header();
                conn.process(repr, payload, now);
                seq = seq.plus(1448);
                if (conn.pollAt() <= now) {
                    int[] n = {0};
                    conn.dispatch(now, (k, r, p) -> {
                        p.release();
                        n[0]++;
                    });
                    acks += n[0];
                }
                sink.clear();
                conn.recv(sink);
                assertEquals(1448, sink.readableBytes());
            }
            assertEquals(10_000 * 1448L, stats.bytesIn());
            assertTrue(acks >= 4_900 && acks <= 5_001, "an ACK per two segments: " + acks);
            payload.release();
            sink.release();
        }
    }
}
