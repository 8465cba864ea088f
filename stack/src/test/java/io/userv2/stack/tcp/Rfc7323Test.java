package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpOptions;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** RFC 7323, TCP Extensions for High Performance: Window Scale (section 2) and Timestamps (sections 3-4). */
class Rfc7323Test extends TcpFixture {

    @Nested
    class WindowScale {
        @Test
        void usedOnlyWhenBothSidesSentIt() {
            pending(SYN.wscale(2).window(1000));
            assertEquals(1000, conn.peerWindow(), "2.2: the window of a SYN is never scaled");
            conn.accept(now);
            Seg synAck = recvOne();
            assertEquals(7, synAck.options().windowScale(), "4 MiB receive buffer: shift 7");
            assertEquals(65535, synAck.window(), "a SYN-ACK's window is not scaled either");
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(1000));
            assertEquals(4000, conn.peerWindow(), "the guest's shift 2 applies from now on");
            assertEquals(7, conn.receiveWindowShift());
            assertEquals(2, conn.sendWindowShift());
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(1000).data("abc"));
            assertEquals(((4 << 20) - 3) >> 7, recvOne().window(), "our window field is scaled by 7");
        }

        @Test
        void notOfferedWhenTheSynLacksIt() {
            pending();
            conn.accept(now);
            Seg synAck = recvOne();
            assertNull(synAck.options().windowScale(), "2.2: only if it received it in the initial SYN");
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(1000));
            assertEquals(1000, conn.peerWindow());
            send(SEND.ack(LOCAL_SEQ.plus(1)).data("abc"));
            assertEquals(65535 - 3, recvOne().window(), "unscaled, capped at 65535");
        }

        @Test
        void notUsedWhenConfiguredOff() {
            config = config.withOptions(false, true, true);
            pending(SYN.wscale(7));
            conn.accept(now);
            assertNull(recvOne().options().windowScale());
            send(SEND.ack(LOCAL_SEQ.plus(1)).window(100));
            assertEquals(100, conn.peerWindow());
        }

        @Test
        void shiftFollowsTheReceiveBuffer() {
            assertEquals(0, TcpConfig.defaults().withBuffers(1 << 20, 65535).receiveWindowShift());
            assertEquals(1, TcpConfig.defaults().withBuffers(1 << 20, 65536).receiveWindowShift());
            assertEquals(7, TcpConfig.defaults().receiveWindowShift());
            assertEquals(14, TcpConfig.defaults().withBuffers(1 << 20, 1 << 29).receiveWindowShift());
        }
    }

    @Nested
    class Timestamps {
        private Seg establishWithTimestamps() {
            pending(SYN.ts(1000, 0));
            conn.accept(now);
            Seg synAck = recvOne();
            assertTrue(conn.timestampsEnabled());
            send(SEND.ack(LOCAL_SEQ.plus(1)).ts(1001, synAck.options().timestamps().tsVal()));
            return synAck;
        }

        @Test
        void synAckEchoesTheSynsTsval() {
            Seg synAck = establishWithTimestamps();
            assertEquals(1000, synAck.options().timestamps().tsEcr());
        }

        @Test
        void everySegmentEchoesTsRecent() {
            establishWithTimestamps();
            write("x");
            assertEquals(1001, recvOne().options().timestamps().tsEcr());
            send(SEND.ack(LOCAL_SEQ.plus(2)).ts(1005, 0).data("abc"));
            assertEquals(1005, recvOne().options().timestamps().tsEcr());
        }

        @Test
        void tsRecentIgnoresSegmentsBeyondLastAckSent() {
            // 4.3: "If SEG.TSval >= TS.Recent and SEG.SEQ =< Last.ACK.sent, then SEG.TSval is copied to TS.Recent".
            establishWithTimestamps();
            send(SEND.seq(REMOTE_SEQ.plus(50)).ack(LOCAL_SEQ.plus(1)).ts(1010, 0).data("ooo"));
            assertEquals(1001, recvOne().options().timestamps().tsEcr(), "out of order: not the left edge");
            send(SEND.ack(LOCAL_SEQ.plus(1)).ts(1011, 0).data("in"));
            assertEquals(1011, recvOne().options().timestamps().tsEcr());
        }

        @Test
        void ourTsvalTicksInMilliseconds() {
            Seg synAck = establishWithTimestamps();
            now += 250 * MS;
            write("x");
            int tsVal = recvOne().options().timestamps().tsVal();
            assertEquals(250, tsVal - synAck.options().timestamps().tsVal());
        }

        @Test
        void rttIsMeasuredFromTheEcho() {
            establishWithTimestamps();
            write("x");
            int tsVal = recvOne().options().timestamps().tsVal();
            now += 30 * MS;
            send(SEND.ack(LOCAL_SEQ.plus(2)).ts(1002, tsVal));
            // The handshake ACK gave a first sample of 0 ms; RFC 6298 2.3: SRTT = 7/8 * 0 + 1/8 * 30 ms.
            assertEquals(30 * MS / 8, conn.smoothedRtt());
        }

        @Test
        void staleEchoAfterARetransmissionIsNoSample() {
            establishWithTimestamps();
            write("x");
            int first = recvOne().options().timestamps().tsVal();
            advanceToPoll(); // retransmitted after the 200 ms minimum RTO; the original's ACK was "lost"
            send(SEND.ack(LOCAL_SEQ.plus(2)).ts(1002, first)); // the peer echoes the first transmission's TSval
            assertEquals(0, conn.smoothedRtt(), "only the handshake's 0 ms sample: 200 ms would be a lie");
        }

        @Test
        void mssShrinksByTheOption() {
            establishWithTimestamps();
            assertEquals(1448, conn.sendMss());
            write(bytes(3000, 1));
            assertEquals(List.of(1448, 1448, 104), dispatch().stream().map(Seg::len).toList());
        }

        @Test
        void notUsedUnlessBothOffer() {
            pending();
            conn.accept(now);
            Seg synAck = recvOne();
            assertNull(synAck.options().timestamps());
            assertFalse(conn.timestampsEnabled());
            send(SEND.ack(LOCAL_SEQ.plus(1)));
            write("x");
            Seg data = recvOne();
            assertEquals(TcpOptions.NONE, data.options());
            assertEquals(TcpControl.PSH, data.control());
        }
    }
}
