package io.userv2.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * Scripted segment exchanges with one {@link TcpConnection} (smoltcp's tcp.rs test style): the test plays the guest,
 * sends segments built from {@link #SEND} with symbolic sequence numbers ({@code REMOTE_SEQ.plus(1)}), and expects
 * exactly the segments the RFC requires back. Time is a virtual clock ({@link #now}); nothing sleeps. Every buffer the
 * connection allocates is tracked and must be released by the end of each test.
 */
abstract class TcpFixture {
    static final Ipv4Address GUEST_IP = Ipv4Address.parse("192.168.104.3");
    static final Ipv4Address SERVER_IP = Ipv4Address.parse("10.0.0.1");
    static final int REMOTE_PORT = 49500;
    static final int LOCAL_PORT = 80;
    static final TcpConnectionKey KEY = new TcpConnectionKey(GUEST_IP, REMOTE_PORT, SERVER_IP, LOCAL_PORT);
    /** Our ISN, just below the sign boundary of the 32-bit space, so data crosses it. */
    static final SeqNumber LOCAL_SEQ = SeqNumber.of(0x7FFF_FF00);
    /** The guest's ISN, just below the wrap to 0. */
    static final SeqNumber REMOTE_SEQ = SeqNumber.ofUnsigned(0xFFFF_FF00L);
    static final long MS = 1_000_000L;
    static final long SEC = 1_000_000_000L;
    static final long START = 1_000 * SEC;

    /** What the guest sends: an ACK-less, option-less, empty segment to be filled in. */
    static final Seg SEND = new Seg(REMOTE_PORT, LOCAL_PORT, TcpControl.NONE, REMOTE_SEQ.plus(1), null, 65535,
            TcpOptions.NONE, new byte[0]);
    /** The guest's SYN: MSS 1460 only (no scaling, timestamps or SACK, to keep windows and options plain). */
    static final Seg SYN = SEND.control(TcpControl.SYN).seq(REMOTE_SEQ).mss(1460);

    final TrackingAllocator alloc = new TrackingAllocator();
    final TcpStats stats = new TcpStats();
    TcpConfig config = TcpConfig.defaults().withDelayedAck(0);
    long now = START;
    TcpConnection conn;

    @AfterEach
    void releaseAndCheckLeaks() {
        if (conn != null) {
            conn.release();
        }
        alloc.assertAllReleased();
    }

    // --- driving ---

    /** The guest sends {@code s}; the test owns the payload buffer and checks the connection did not keep it. */
    void send(Seg s) {
        ByteBuf payload = Unpooled.wrappedBuffer(s.data());
        conn.process(s.header(), payload, now);
        assertEquals(1, payload.refCnt(), "process must not retain or release the caller's payload");
        assertEquals(0, payload.readerIndex(), "process must not move the caller's indices");
    }

    /** Everything the connection emits now; payloads are copied and released as an emitter must. */
    List<Seg> dispatch() {
        List<Seg> out = new ArrayList<>();
        conn.dispatch(now, (key, repr, payload) -> {
            assertEquals(KEY, key);
            assertEquals(repr.payloadLength(), payload.readableBytes());
            byte[] d = new byte[payload.readableBytes()];
            payload.getBytes(payload.readerIndex(), d);
            payload.release();
            out.add(Seg.of(repr, d));
        });
        return out;
    }

    /** Exactly one segment is emitted now. */
    Seg recvOne() {
        List<Seg> out = dispatch();
        if (out.size() != 1) {
            fail("expected one segment, got " + out);
        }
        return out.get(0);
    }

    void recvNothing() {
        List<Seg> out = dispatch();
        if (!out.isEmpty()) {
            fail("expected nothing, got " + out);
        }
    }

    /** Moves the clock to the connection's next poll time (which must be in the future) and dispatches. */
    List<Seg> advanceToPoll() {
        long at = conn.pollAt();
        assertTrue(at != Long.MAX_VALUE, "nothing scheduled");
        now = Math.max(now, at);
        return dispatch();
    }

    // --- assertions ---

    static void assertSeg(Seg s, TcpControl control, SeqNumber seq, SeqNumber ack) {
        assertEquals(control, s.control(), () -> "control of " + s);
        assertEquals(seq, s.seq(), () -> "seq of " + s);
        assertEquals(ack, s.ack(), () -> "ack of " + s);
    }

    static void assertSeg(Seg s, TcpControl control, SeqNumber seq, SeqNumber ack, String data) {
        assertSeg(s, control, seq, ack);
        assertEquals(data, s.text(), () -> "data of " + s);
    }

    static void assertSeg(Seg s, TcpControl control, SeqNumber seq, SeqNumber ack, byte[] data) {
        assertSeg(s, control, seq, ack);
        assertArrayEquals(data, s.data(), () -> "data of " + s);
    }

    /** A pure ACK from us: no data, control NONE. */
    static void assertAck(Seg s, SeqNumber seq, SeqNumber ack) {
        assertSeg(s, TcpControl.NONE, seq, ack, "");
    }

    String readAll() {
        ByteBuf b = Unpooled.buffer(conn.readableBytes());
        conn.recv(b);
        String s = b.toString(java.nio.charset.StandardCharsets.US_ASCII);
        b.release();
        return s;
    }

    void write(String s) {
        ByteBuf b = Unpooled.copiedBuffer(s, java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(s.length(), conn.send(b));
        b.release();
    }

    void write(byte[] d) {
        ByteBuf b = Unpooled.wrappedBuffer(d);
        assertEquals(d.length, conn.send(b));
        b.release();
    }

    static byte[] bytes(int n, int seed) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) {
            d[i] = (byte) (i * 31 + seed);
        }
        return d;
    }

    // --- fixtures, one per state ---

    void pending() {
        conn = TcpConnection.acceptSyn(KEY, SYN.header(), config, alloc, stats, LOCAL_SEQ, now);
    }

    void pending(Seg syn) {
        conn = TcpConnection.acceptSyn(KEY, syn.header(), config, alloc, stats, LOCAL_SEQ, now);
    }

    Seg synReceived() {
        pending();
        conn.accept(now);
        Seg synAck = recvOne();
        assertSeg(synAck, TcpControl.SYN, LOCAL_SEQ, REMOTE_SEQ.plus(1));
        assertEquals(TcpState.SYN_RECEIVED, conn.state());
        return synAck;
    }

    void established() {
        synReceived();
        send(SEND.ack(LOCAL_SEQ.plus(1)));
        assertEquals(TcpState.ESTABLISHED, conn.state());
        recvNothing();
    }

    void finWait1() {
        established();
        conn.shutdownSend();
        assertEquals(TcpState.FIN_WAIT_1, conn.state());
        assertSeg(recvOne(), TcpControl.FIN, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(1));
    }

    void finWait2() {
        finWait1();
        send(SEND.ack(LOCAL_SEQ.plus(2)));
        assertEquals(TcpState.FIN_WAIT_2, conn.state());
        recvNothing();
    }

    void closing() {
        finWait1();
        send(SEND.control(TcpControl.FIN).ack(LOCAL_SEQ.plus(1)));
        assertEquals(TcpState.CLOSING, conn.state());
        assertAck(recvOne(), LOCAL_SEQ.plus(2), REMOTE_SEQ.plus(2));
    }

    void timeWait() {
        finWait2();
        send(SEND.control(TcpControl.FIN).ack(LOCAL_SEQ.plus(2)));
        assertEquals(TcpState.TIME_WAIT, conn.state());
        assertAck(recvOne(), LOCAL_SEQ.plus(2), REMOTE_SEQ.plus(2));
    }

    void closeWait() {
        established();
        send(SEND.control(TcpControl.FIN).ack(LOCAL_SEQ.plus(1)));
        assertEquals(TcpState.CLOSE_WAIT, conn.state());
        assertAck(recvOne(), LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(2));
    }

    void lastAck() {
        closeWait();
        conn.shutdownSend();
        assertEquals(TcpState.LAST_ACK, conn.state());
        assertSeg(recvOne(), TcpControl.FIN, LOCAL_SEQ.plus(1), REMOTE_SEQ.plus(2));
    }

    /** Puts the connection in {@code state} with the standard script. */
    void toState(TcpState state) {
        switch (state) {
            case SYN_PENDING -> pending();
            case SYN_RECEIVED -> synReceived();
            case ESTABLISHED -> established();
            case FIN_WAIT_1 -> finWait1();
            case FIN_WAIT_2 -> finWait2();
            case CLOSING -> closing();
            case TIME_WAIT -> timeWait();
            case CLOSE_WAIT -> closeWait();
            case LAST_ACK -> lastAck();
            default -> throw new IllegalArgumentException(state.toString());
        }
        assertEquals(state, conn.state());
    }

    /** RCV.NXT the guest expects from us in {@code state} after {@link #toState} (what our ACKs carry). */
    static SeqNumber rcvNxtIn(TcpState state) {
        return switch (state) {
            case CLOSING, TIME_WAIT, CLOSE_WAIT, LAST_ACK -> REMOTE_SEQ.plus(2);
            default -> REMOTE_SEQ.plus(1);
        };
    }

    /** SND.NXT (our next sequence number) in {@code state} after {@link #toState}. */
    static SeqNumber sndNxtIn(TcpState state) {
        return switch (state) {
            case FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT, LAST_ACK -> LOCAL_SEQ.plus(2);
            default -> LOCAL_SEQ.plus(1);
        };
    }
}
