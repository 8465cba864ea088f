package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.userv2.stack.wire.TcpControl;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * RFC 5961, "Improving TCP's Robustness to Blind In-Window Attacks" (mirage-tcpip's test_rfc5961.ml): an off-path
 * attacker who guesses a sequence number inside the window must not be able to reset, desynchronise or inject into
 * the connection.
 */
class Rfc5961Test extends TcpFixture {

    @Nested
    class Section3BlindReset {
        @Test
        void resetAtRcvNxtResets() {
            established();
            send(SEND.control(TcpControl.RST));
            assertEquals(TcpState.CLOSED, conn.state());
        }

        @Test
        void inWindowResetNotAtRcvNxtGetsAChallengeAck() {
            // 3.2: "If the RST bit is set and the sequence number does not exactly match the next expected sequence
            // value, yet is within the current receive window, TCP MUST send an acknowledgment (challenge ACK)".
            established();
            send(SEND.control(TcpControl.RST).seq(REMOTE_SEQ.plus(1 + 30_000)));
            assertEquals(TcpState.ESTABLISHED, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            assertEquals(1, stats.challengeAcks());
        }

        @Test
        void outOfWindowResetIsSilentlyDropped() {
            established();
            send(SEND.control(TcpControl.RST).seq(REMOTE_SEQ.plus(1 + 70_000)));
            send(SEND.control(TcpControl.RST).seq(REMOTE_SEQ));
            assertEquals(TcpState.ESTABLISHED, conn.state());
            recvNothing();
        }

        @Test
        void theGuestAnswersTheChallengeWithAnExactReset() {
            established();
            send(SEND.control(TcpControl.RST).seq(REMOTE_SEQ.plus(500)));
            recvOne(); // challenge ACK carries RCV.NXT; a genuine peer resets with exactly that
            send(SEND.control(TcpControl.RST).seq(REMOTE_SEQ.plus(1)));
            assertEquals(TcpState.CLOSED, conn.state());
        }
    }

    @Nested
    class Section4BlindSyn {
        @Test
        void inWindowSynGetsAChallengeAck() {
            // 4.2: "If the SYN bit is set, irrespective of the sequence number, TCP MUST send an ACK (also referred
            // to as challenge ACK) to the remote peer".
            established();
            send(SEND.control(TcpControl.SYN).seq(REMOTE_SEQ.plus(100)));
            assertEquals(TcpState.ESTABLISHED, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
        }

        @Test
        void outOfWindowSynIsAnsweredWithAnAckToo() {
            established();
            send(SEND.control(TcpControl.SYN).seq(REMOTE_SEQ.plus(1_000_000)));
            assertEquals(TcpState.ESTABLISHED, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
        }

        @Test
        void synWithAckInCloseWaitDoesNotReset() {
            closeWait();
            send(SEND.control(TcpControl.SYN).seq(REMOTE_SEQ.plus(3)).ack(LOCAL_SEQ.plus(1)));
            assertEquals(TcpState.CLOSE_WAIT, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(2));
        }
    }

    @Nested
    class Section5BlindDataInjection {
        @Test
        void ackOfUnsentDataIsDroppedWithItsData() {
            // RFC 9293 3.10.7.4 fifth: "If the ACK acknowledges something not yet sent (SEG.ACK > SND.NXT), then send
            // an ACK, drop the segment, and return."
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1000)).data("evil"));
            assertEquals(0, conn.readableBytes());
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            assertEquals(1, stats.droppedBadAck());
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("good"));
            assertEquals("good", readAll());
        }

        @Test
        void ackOlderThanMaxSndWndIsDroppedWithItsData() {
            // 5.2: "The ACK value is considered acceptable only if it is in the range of ((SND.UNA - MAX.SND.WND) =<
            // SEG.ACK =< SND.NXT)".
            synReceived();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(1000)); // MAX.SND.WND = max(65535 from SYN, 1000)
            write(bytes(70_000, 1));
            int acked = 0;
            for (int i = 0; i < 200 && acked < 70_000; i++) {
                for (Seg s : dispatch()) {
                    acked = Math.max(acked, s.seq().minus(LOCAL_SEQ.plus(1)) + s.len());
                }
                send(SEND.ack(LOCAL_SEQ.plus(1 + acked)).window(1000));
            }
            assertEquals(0, conn.sendQueued());
            // SND.UNA is now 70000 past the ISS, more than MAX.SND.WND (65535) ahead of this ACK.
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("blind"));
            assertEquals(0, conn.readableBytes());
            assertAck(recvOne(), LOCAL_SEQ.plus(70_001), REMOTE_SEQ.plus(1));
            // An old ACK still inside the range is acceptable (it is only a duplicate).
            send(SEND.ack(LOCAL_SEQ.plus(20_000)).data("fine"));
            assertEquals("fine", readAll());
        }
    }

    @Nested
    class Section7ChallengeAckThrottling {
        @Test
        void challengeAcksAreRateLimitedPerSecond() {
            config = config.withLimits(1024, 2);
            established();
            for (int i = 0; i < 5; i++) {
                send(SEND.control(TcpControl.RST).seq(REMOTE_SEQ.plus(100 + i)));
            }
            assertEquals(1, dispatch().size(), "one ACK answers them all at this instant");
            assertEquals(2, stats.challengeAcks());
            assertEquals(3, stats.challengeAcksSuppressed());
            now += SEC;
            send(SEND.control(TcpControl.RST).seq(REMOTE_SEQ.plus(100)));
            assertEquals(3, stats.challengeAcks(), "a new second, a new budget");
            recvOne();
        }
    }
}
