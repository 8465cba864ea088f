package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** RFC 9293 rules with their own names: the segment acceptability table (3.10.7.4) and reset generation (3.5.2). */
class Rfc9293Test extends TcpFixture {

    @Nested
    class AcceptabilityTable {
        final SeqNumber nxt = SeqNumber.ofUnsigned(0xFFFF_FFF0L); // the window crosses 2^32

        /** The table over raw sequence numbers, read with symbolic ones. */
        boolean acceptable(SeqNumber seq, int segLen, SeqNumber rcvNxt, int rcvWnd) {
            return TcpConnection.acceptable(seq.value(), segLen, rcvNxt.value(), rcvWnd);
        }

        @Test
        void emptySegmentZeroWindow() {
            // "0 0 SEG.SEQ = RCV.NXT"
            assertTrue(acceptable(nxt, 0, nxt, 0));
            assertFalse(acceptable(nxt.plus(1), 0, nxt, 0));
            assertFalse(acceptable(nxt.plus(-1), 0, nxt, 0));
        }

        @Test
        void emptySegmentOpenWindow() {
            // "0 >0 RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND"
            assertTrue(acceptable(nxt, 0, nxt, 100));
            assertTrue(acceptable(nxt.plus(99), 0, nxt, 100));
            assertFalse(acceptable(nxt.plus(100), 0, nxt, 100));
            assertFalse(acceptable(nxt.plus(-1), 0, nxt, 100));
        }

        @Test
        void dataZeroWindow() {
            // ">0 0 not acceptable"
            assertFalse(acceptable(nxt, 1, nxt, 0));
            assertFalse(acceptable(nxt.plus(-5), 10, nxt, 0));
        }

        @Test
        void dataOpenWindow() {
            // ">0 >0 RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND"
            assertTrue(acceptable(nxt, 10, nxt, 100), "starts at the left edge");
            assertTrue(acceptable(nxt.plus(-5), 10, nxt, 100), "overlaps the left edge");
            assertTrue(acceptable(nxt.plus(95), 10, nxt, 100), "overlaps the right edge");
            assertFalse(acceptable(nxt.plus(-10), 10, nxt, 100), "entirely old");
            assertFalse(acceptable(nxt.plus(100), 10, nxt, 100), "entirely beyond");
            // Beyond the table (deliberately, as Linux): first octet before, last beyond, data in between.
            assertTrue(acceptable(nxt.plus(-5), 200, nxt, 100), "straddles the whole window");
        }

        @Test
        void straddlingRetransmissionDeliversItsInWindowPart() {
            config = config.withBuffers(4 << 20, 100);
            pending();
            conn.accept(now);
            recvOne();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("0123456789"));
            recvOne();
            readAll(); // right edge stays at REMOTE_SEQ + 101: 90 octets of window left
            recvNothing();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("x".repeat(300))); // from before RCV.NXT to beyond the edge
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(101));
            assertEquals(90, conn.readableBytes());
        }
    }

    @Nested
    class UnacceptableSegments {
        @Test
        void oldDuplicateIsAnsweredWithAnAckAndDropped() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("abc"));
            recvOne();
            send(SEND.seq(REMOTE_SEQ.plus(1)).ack(LOCAL_SEQ.plus(1)).data("ab"));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(4));
            assertEquals("abc", readAll());
            assertEquals(1, stats.droppedUnacceptable());
        }

        @Test
        void segmentBeyondTheWindowIsAnsweredWithAnAckAndDropped() {
            established();
            send(SEND.seq(REMOTE_SEQ.plus(1 + 65535)).ack(LOCAL_SEQ.plus(1)).data("far"));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            assertEquals(0, conn.readableBytes());
        }

        @Test
        void segmentWithoutAckIsDroppedSilently() {
            established();
            send(SEND.data("noack"));
            recvNothing();
            assertEquals(0, conn.readableBytes());
            assertEquals(1, stats.droppedNoAck());
        }
    }

    @Nested
    class ResetGeneration {
        @Test
        void synReceivedAnswersABadAckWithResetAtSegAck() {
            synReceived();
            send(SEND.ack(LOCAL_SEQ.plus(100)));
            assertSeg(recvOne(), TcpControl.RST, LOCAL_SEQ.plus(100), null);
        }

        @Test
        void closedAnswersAckLessSegmentWithResetAck() {
            established();
            conn.abort();
            recvOne();
            send(SEND.control(TcpControl.FIN).data("xy"));
            // no ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SEG.LEN counting the FIN
            assertSeg(recvOne(), TcpControl.RST, SeqNumber.of(0), REMOTE_SEQ.plus(1 + 3));
        }
    }
}
