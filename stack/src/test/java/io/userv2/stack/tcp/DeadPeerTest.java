package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * A guest that crashed, rebooted or froze must not hold its connections forever: keep-alive (RFC 9293 3.8.4, RFC 1122
 * 4.2.3.6), zero-window probes that nobody answers (RFC 9293 3.8.6.1 only protects a peer that answers), and the
 * FIN-WAIT-2 bound (Linux's tcp_fin_timeout). Defaults throughout: idle 60 s, 3 probes 10 s apart, FIN-WAIT-2 60 s,
 * 12 retransmissions.
 */
class DeadPeerTest extends TcpFixture {

    /** Drives the clock from poll time to poll time until the connection closes; returns the number of wake-ups. */
    int wakeUpsUntilClosed(int max) {
        int n = 0;
        while (conn.state() != TcpState.CLOSED) {
            if (++n > max) {
                throw new AssertionError("still " + conn.state() + " after " + max + " wake-ups: " + conn);
            }
            advanceToPoll();
        }
        return n;
    }

    @Nested
    class KeepAlive {
        @Test
        void silentPeerIsProbedThreeTimesThenReset() {
            established();
            long t0 = now;
            assertEquals(t0 + 60 * SEC, conn.pollAt(), "one deadline: the idle time");
            now = t0 + 30 * SEC;
            recvNothing(); // an early dispatch changes nothing
            assertEquals(t0 + 60 * SEC, conn.pollAt());
            for (int i = 0; i < 3; i++) {
                List<Seg> out = advanceToPoll();
                assertEquals(t0 + (60 + 10 * i) * SEC, now);
                assertEquals(1, out.size(), () -> "one probe: " + out);
                // <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, no data
                assertAck(out.get(0), LOCAL_SEQ, REMOTE_SEQ.plus(1));
                assertEquals(now + 10 * SEC, conn.pollAt(), "next probe one interval later");
                assertEquals(TcpState.ESTABLISHED, conn.state());
            }
            List<Seg> out = advanceToPoll();
            assertEquals(t0 + 90 * SEC, now, "reaped idle + probes * interval after the peer went quiet");
            assertEquals(1, out.size());
            assertSeg(out.get(0), TcpControl.RST, LOCAL_SEQ.plus(1), null);
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
            assertEquals(Long.MAX_VALUE, conn.pollAt());
            assertEquals(3, stats.keepAliveProbes());
            assertEquals(1, stats.keepAliveTimeouts());
            assertEquals(1, stats.resetsSent());
            assertEquals(0, stats.persistGiveUps() + stats.finWait2Timeouts() + stats.timeouts());
        }

        @Test
        void oneWakeUpPerProbe() {
            established();
            assertEquals(4, wakeUpsUntilClosed(100), "3 probes and the abort");
        }

        @Test
        void answeredProbeRestartsTheIdleClockAndTheCount() {
            established();
            long t0 = now;
            advanceToPoll(); // probe 1 at +60 s
            advanceToPoll(); // probe 2 at +70 s
            now = t0 + 71 * SEC;
            // A live peer finds the probe unacceptable and answers <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
            send(SEND.ack(LOCAL_SEQ.plus(1)));
            recvNothing();
            assertEquals(TcpState.ESTABLISHED, conn.state());
            assertEquals(now + 60 * SEC, conn.pollAt(), "idle again from the answer");
            long t1 = now;
            assertEquals(4, wakeUpsUntilClosed(100), "three fresh probes before giving up");
            assertEquals(t1 + 90 * SEC, now);
            assertEquals(5, stats.keepAliveProbes());
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
        }

        @Test
        void dataFromThePeerIsLife() {
            established();
            long t0 = now;
            now = t0 + 50 * SEC;
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("still here"));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(11));
            assertEquals("still here", readAll());
            assertEquals(now + 60 * SEC, conn.pollAt());
            now = t0 + 100 * SEC;
            recvNothing();
            assertEquals(0, stats.keepAliveProbes());
        }

        @Test
        void staleOrBlindSegmentsAreNoSignOfLife() {
            established();
            long t0 = now;
            now = t0 + 30 * SEC;
            // An old duplicate and a segment far beyond the window: answered with an ACK, dropped, not life.
            send(SEND.seq(REMOTE_SEQ.plus(-10)).ack(LOCAL_SEQ.plus(1)).data("old"));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            send(SEND.seq(REMOTE_SEQ.plus(1 << 20)).ack(LOCAL_SEQ.plus(1)));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            // A SYN on the connection (RFC 5961 4.2): challenge ACK, not life either.
            send(SEND.control(TcpControl.SYN).seq(REMOTE_SEQ.plus(500)));
            assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
            assertEquals(t0 + 60 * SEC, conn.pollAt(), "the idle clock still runs from the handshake");
        }

        @Test
        void noProbeWhileDataIsOutstanding() {
            // RFC 9293 3.8.4: "Keep-alive packets MUST only be sent when no sent data is outstanding".
            established();
            long t0 = now;
            now = t0 + 50 * SEC;
            write("x");
            assertSeg(recvOne(), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "x");
            assertEquals(now + SEC, conn.pollAt(), "the retransmission timer, not keep-alive");
            List<Seg> out = advanceToPoll();
            assertEquals(1, out.size());
            assertSeg(out.get(0), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "x");
            now += 500 * MS;
            send(SEND.ack(LOCAL_SEQ.plus(2)));
            recvNothing();
            assertEquals(now + 60 * SEC, conn.pollAt(), "idle from the ACK");
            assertEquals(0, stats.keepAliveProbes());
            advanceToPoll();
            assertEquals(1, stats.keepAliveProbes());
        }

        @Test
        void noProbeWhileDataWaitsBehindAZeroWindow() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(0));
            write("data");
            recvNothing();
            assertEquals(now + SEC, conn.pollAt(), "the persist timer");
            advanceToPoll();
            assertEquals(1, stats.zeroWindowProbes());
            assertEquals(0, stats.keepAliveProbes());
        }

        @Test
        void offMeansNoTimerWhenIdle() {
            config = config.withoutKeepAlive();
            established();
            assertEquals(Long.MAX_VALUE, conn.pollAt());
            now += 3600 * SEC;
            recvNothing();
            assertEquals(TcpState.ESTABLISHED, conn.state());
        }

        @Test
        void customSettings() {
            config = config.withKeepAlive(5 * SEC, 2 * SEC, 1);
            established();
            long t0 = now;
            assertAck(advanceToPoll().get(0), LOCAL_SEQ, REMOTE_SEQ.plus(1));
            assertEquals(t0 + 5 * SEC, now);
            assertSeg(advanceToPoll().get(0), TcpControl.RST, LOCAL_SEQ.plus(1), null);
            assertEquals(t0 + 7 * SEC, now);
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
        }
    }

    @Nested
    class KeepAliveInOtherStates {
        @Test
        void probesInCloseWait() {
            closeWait();
            long t0 = now;
            assertEquals(t0 + 60 * SEC, conn.pollAt());
            assertAck(advanceToPoll().get(0), LOCAL_SEQ, REMOTE_SEQ.plus(2));
            assertEquals(4, 1 + wakeUpsUntilClosed(100));
            assertEquals(t0 + 90 * SEC, now);
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
            assertEquals(1, stats.keepAliveTimeouts());
        }

        @Test
        void finWait2WithoutItsOwnBound() {
            config = config.withFinWait2Timeout(0);
            finWait2();
            long t0 = now;
            assertEquals(t0 + 60 * SEC, conn.pollAt());
            assertAck(advanceToPoll().get(0), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1)); // SND.NXT - 1 past our FIN
            now += SEC;
            send(SEND.ack(LOCAL_SEQ.plus(2)));
            assertEquals(now + 60 * SEC, conn.pollAt(), "answered: a live half-closed peer stays");
            long t1 = now;
            assertEquals(4, wakeUpsUntilClosed(100));
            assertEquals(t1 + 90 * SEC, now);
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
            assertEquals(1, stats.keepAliveTimeouts());
            assertEquals(0, stats.finWait2Timeouts());
        }

        @Test
        void notInStatesWithAFinInFlightOrInTimeWait() {
            finWait1();
            assertEquals(now + SEC, conn.pollAt(), "FIN-WAIT-1: the FIN's retransmission timer");
            conn.release();
            conn = null;
            alloc.assertAllReleased();
            timeWait();
            assertEquals(now + 2 * SEC, conn.pollAt(), "TIME-WAIT: 2 MSL");
            advanceToPoll();
            assertEquals(TcpCloseCause.NORMAL, conn.closeCause());
            assertEquals(0, stats.keepAliveProbes());
        }
    }

    @Nested
    class RebootedPeer {
        @Test
        void resetAnsweringTheProbeClosesTheConnection() {
            established();
            Seg probe = advanceToPoll().get(0);
            assertAck(probe, LOCAL_SEQ, REMOTE_SEQ.plus(1));
            // The guest forgot the connection; RFC 9293 3.5.2 reset generation: the probe has ACK set, so
            // <SEQ=SEG.ACK><CTL=RST>, i.e. SEQ = our RCV.NXT exactly, which RFC 5961 3.2 accepts.
            send(SEND.control(TcpControl.RST).seq(probe.ack()));
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.RESET_BY_PEER, conn.closeCause());
            recvNothing();
            assertEquals(Long.MAX_VALUE, conn.pollAt());
            assertEquals(1, stats.resetsReceived());
            assertEquals(0, stats.keepAliveTimeouts());
        }

        @Test
        void resetAnsweringTheProbeInCloseWait() {
            closeWait();
            Seg probe = advanceToPoll().get(0);
            send(SEND.control(TcpControl.RST).seq(probe.ack()));
            assertEquals(TcpCloseCause.RESET_BY_PEER, conn.closeCause());
        }
    }

    @Nested
    class ZeroWindowProbes {
        @Test
        void frozenPeerIsGivenUpAfterMaxRetransmissionsUnansweredProbes() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(0));
            write("data");
            recvNothing();
            for (int i = 0; i < 12; i++) {
                List<Seg> out = advanceToPoll();
                assertEquals(1, out.size(), () -> "one probe: " + out);
                assertAck(out.get(0), LOCAL_SEQ, REMOTE_SEQ.plus(1)); // SND.UNA - 1
            }
            List<Seg> out = advanceToPoll();
            assertEquals(1, out.size());
            assertSeg(out.get(0), TcpControl.RST, LOCAL_SEQ.plus(1), null);
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
            assertEquals(12, stats.zeroWindowProbes());
            assertEquals(1, stats.persistGiveUps());
            assertEquals(0, stats.keepAliveProbes());
        }

        @Test
        void boundedByTheRetransmissionLimit() {
            config = config.withRetries(2, 5);
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(0));
            write("data");
            long t0 = now;
            assertEquals(3, wakeUpsUntilClosed(100), "two probes, then the abort");
            assertEquals(t0 + 7 * SEC, now, "probes at +1 s and +3 s (backoff), the abort when the third was due");
        }

        @Test
        void peerAnsweringWithAZeroWindowIsNeverGivenUp() {
            // RFC 9293 3.8.6.1: the connection must not be dropped while the peer answers the probes.
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(0));
            write("data");
            recvNothing();
            for (int i = 0; i < 40; i++) {
                List<Seg> out = advanceToPoll();
                assertEquals(1, out.size(), () -> "one probe: " + out);
                assertAck(out.get(0), LOCAL_SEQ, REMOTE_SEQ.plus(1));
                now += MS;
                send(SEND.ack(LOCAL_SEQ.plus(1)).window(0));
                recvNothing();
            }
            assertEquals(TcpState.ESTABLISHED, conn.state());
            assertEquals(40, stats.zeroWindowProbes());
            assertEquals(0, stats.persistGiveUps());
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(1000));
            assertSeg(recvOne(), TcpControl.PSH, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1), "data");
        }

        @Test
        void onlyConsecutiveUnansweredProbesCount() {
            established();
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(0));
            write("data");
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 11; i++) {
                    assertEquals(1, advanceToPoll().size());
                }
                now += MS;
                send(SEND.ack(LOCAL_SEQ.plus(1)).window(0)); // one answer now and then
            }
            assertEquals(TcpState.ESTABLISHED, conn.state(), "33 probes, never 12 unanswered in a row");
            assertEquals(13, wakeUpsUntilClosed(100), "now 12 unanswered, then the abort");
            assertEquals(45, stats.zeroWindowProbes());
            assertEquals(1, stats.persistGiveUps());
        }
    }

    @Nested
    class FinWait2Bound {
        @Test
        void silentPeerIsResetAfterTheBound() {
            finWait2();
            long t0 = now;
            assertEquals(t0 + 60 * SEC, conn.pollAt(), "one deadline; keep-alive is replaced by the bound");
            List<Seg> out = advanceToPoll();
            assertEquals(t0 + 60 * SEC, now);
            assertEquals(1, out.size());
            assertSeg(out.get(0), TcpControl.RST, LOCAL_SEQ.plus(2), null);
            assertEquals(TcpState.CLOSED, conn.state());
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
            assertEquals(1, stats.finWait2Timeouts());
            assertEquals(0, stats.keepAliveProbes());
        }

        @Test
        void halfCloseWithDataStillFlowingStaysOpen() {
            finWait2();
            SeqNumber seq = REMOTE_SEQ.plus(1);
            for (int i = 0; i < 10; i++) {
                now += 50 * SEC;
                send(SEND.seq(seq).ack(LOCAL_SEQ.plus(2)).data("upload"));
                seq = seq.plus(6);
                assertAck(recvOne(), LOCAL_SEQ.plus(2), seq);
                assertEquals("upload", readAll());
                assertEquals(TcpState.FIN_WAIT_2, conn.state());
                assertEquals(now + 60 * SEC, conn.pollAt());
            }
            send(SEND.control(TcpControl.FIN).seq(seq).ack(LOCAL_SEQ.plus(2)));
            assertEquals(TcpState.TIME_WAIT, conn.state());
            assertAck(recvOne(), LOCAL_SEQ.plus(2), seq.plus(1));
            advanceToPoll();
            assertEquals(TcpCloseCause.NORMAL, conn.closeCause());
            assertEquals(0, stats.finWait2Timeouts());
        }

        @Test
        void customBound() {
            config = config.withFinWait2Timeout(5 * SEC);
            finWait2();
            long t0 = now;
            assertEquals(1, wakeUpsUntilClosed(10));
            assertEquals(t0 + 5 * SEC, now);
            assertEquals(TcpCloseCause.TIMED_OUT, conn.closeCause());
        }
    }

    @Nested
    class Config {
        @Test
        void defaults() {
            TcpConfig d = TcpConfig.defaults();
            assertEquals(60 * SEC, d.keepAliveIdleNanos());
            assertEquals(10 * SEC, d.keepAliveIntervalNanos());
            assertEquals(3, d.keepAliveProbes());
            assertEquals(60 * SEC, d.finWait2TimeoutNanos());
        }

        @Test
        void withersChangeOneThing() {
            TcpConfig d = TcpConfig.defaults();
            TcpConfig k = d.withKeepAlive(SEC, 2 * SEC, 5);
            assertEquals(SEC, k.keepAliveIdleNanos());
            assertEquals(2 * SEC, k.keepAliveIntervalNanos());
            assertEquals(5, k.keepAliveProbes());
            assertEquals(d.finWait2TimeoutNanos(), k.finWait2TimeoutNanos());
            assertEquals(d.withKeepAlive(0, 10 * SEC, 3), d.withoutKeepAlive());
            assertEquals(7 * SEC, d.withFinWait2Timeout(7 * SEC).finWait2TimeoutNanos());
            assertEquals(d.keepAliveIdleNanos(), d.withMtu(9000).withRetries(3, 3).keepAliveIdleNanos());
        }

        @Test
        void validation() {
            TcpConfig d = TcpConfig.defaults();
            assertThrows(IllegalArgumentException.class, () -> d.withKeepAlive(-1, SEC, 3));
            assertThrows(IllegalArgumentException.class, () -> d.withKeepAlive(SEC, 0, 3));
            assertThrows(IllegalArgumentException.class, () -> d.withKeepAlive(SEC, SEC, 0));
            assertThrows(IllegalArgumentException.class, () -> d.withFinWait2Timeout(-1));
        }

        @Test
        void hugeTimesDoNotOverflow() {
            config = config.withKeepAlive(Long.MAX_VALUE, Long.MAX_VALUE, 1).withFinWait2Timeout(Long.MAX_VALUE);
            established();
            assertEquals(Long.MAX_VALUE, conn.pollAt());
            recvNothing();
        }
    }
}
