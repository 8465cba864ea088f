package io.userv2.bench.stack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.userv2.stack.tcp.SegmentEmitter;
import io.userv2.stack.tcp.TcpConfig;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.stack.tcp.TcpState;
import io.userv2.stack.tcp.TcpStats;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.stack.wire.SeqNumber;
import io.userv2.stack.wire.TcpControl;
import io.userv2.stack.wire.TcpHeader;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The sans-IO TCP engine alone: one established {@link TcpConnection} (TcpConfig defaults: MTU 1500, 4 MiB buffers,
 * window scaling, timestamps and SACK negotiated, so the MSS is 1448) driven by hand with {@link TcpHeader} segments,
 * no wire encoding, no gateway, a virtual clock. The score is TCP segments per second in every method, so with
 * {@code -prof gc} {@code gc.alloc.rate.norm} is bytes allocated per segment (the goal is none in steady state).
 *
 * <p>Guest to host (what the guest uploads), one operation = one in-order 1448-byte data segment from the peer:
 * {@link TcpConnection#process} (which copies the payload into the receive buffer), {@link TcpConnection#dispatch}
 * when {@link TcpConnection#pollAt()} says output is due (an ACK every second segment, to an emitter that counts and
 * releases), then the application reads the data out:
 * <ul>
 *   <li>{@code receiveCopy}: {@link TcpConnection#recv(ByteBuf)} into a reused pooled direct buffer (a second copy);</li>
 *   <li>{@code receiveNoCopy}: {@link TcpConnection#recv(int)}, retained slices of the receive buffer, released at
 *       once (as a host-socket write would after writing them).</li>
 * </ul>
 * The clock advances 1 µs per segment (about 11.6 Gbit/s). The segment header is one {@link TcpHeader} filled again
 * per operation (seq, timestamps), as the gateway parses every frame into its one reused header; the payload is one
 * 1448-byte pooled direct buffer reused for every segment. Netty's leak detector is off, as in the daemon
 * ({@code MemoryPolicy}): a sampled receive chunk would otherwise record a stack trace for every slice
 * {@code receiveNoCopy} takes of it.
 *
 * <p>Host to guest ({@code send}), one invocation = 45 segments: {@link TcpConnection#send} of 65160 bytes (45 full
 * segments, "64 KiB") from a reused buffer, one {@code dispatch} that emits them (retained slices of the send buffer)
 * to the counting, releasing emitter, then one cumulative peer ACK for all of it through {@code process} (a stretch
 * ACK, as from a guest with GRO), which frees the send buffer. The clock advances 45 µs per invocation. Setup first
 * runs the connection out of slow start (the congestion window starts at 10 segments) until every invocation emits
 * exactly 45 segments and leaves nothing queued.
 *
 * <p>Checks: setup verifies the handshake (SYN-ACK, ESTABLISHED, options negotiated) and that one operation does
 * what it should (bytes read out, segments emitted); tear-down checks the engine's counters: every byte in was
 * accepted and read, nothing dropped or retransmitted, the ACK rate is one per two segments (receive) and exactly 45
 * segments per invocation went out (send).
 *
 * <p>Run (from the repository root):
 * <pre>
 * mvn -B -o -q package -DskipTests -pl bench -am
 * java -jar bench/target/userv2-benchmarks.jar TcpEngineBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = "-Dio.netty.leakDetection.level=disabled")
public class TcpEngineBenchmark {
    /** Data bytes per full segment: MSS 1460 minus the 12-byte timestamps option. */
    static final int SEGMENT = 1448;
    /** Segments per {@code send} invocation. */
    static final int SEND_SEGMENTS = 45;
    static final Ipv4Address GUEST_IP = Ipv4Address.parse("192.168.104.3");
    static final Ipv4Address SERVER_IP = Ipv4Address.parse("10.0.0.1");
    static final int REMOTE_PORT = 49500;
    static final int LOCAL_PORT = 80;
    static final TcpConnectionKey KEY = new TcpConnectionKey(GUEST_IP, REMOTE_PORT, SERVER_IP, LOCAL_PORT);
    /** Our ISN, just below the sign boundary, so the data crosses it. */
    static final int LOCAL_SEQ = 0x7FFF_FF00;
    /** The guest's ISN, just below the wrap to 0. */
    static final int REMOTE_SEQ = 0xFFFF_FF00;
    static final long START = 1_000_000_000_000L;

    /** An established connection plus the guest's side of it; the emitter counts, remembers and releases. */
    @State(Scope.Thread)
    public abstract static class Connection implements SegmentEmitter {
        final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        TcpConnection conn;
        long now = START;
        /** The guest's next sequence number (raw 32 bits) and timestamp value. */
        int peerSeq = REMOTE_SEQ + 1;
        int peerTsVal = 1;
        /** What the guest has seen of us: the latest TSval and the end of the data received. */
        int lastTsVal;
        int ourEnd = LOCAL_SEQ + 1;
        long emitted;
        long emittedData;
        /** The guest's segment, filled again for every one. */
        final TcpHeader peer = new TcpHeader();

        @Override
        public void emit(TcpConnectionKey key, TcpHeader segment, ByteBuf payload) {
            emitted++;
            if (segment.payloadLength() > 0) {
                emittedData++;
                ourEnd = SeqNumber.add(segment.seq(), segment.payloadLength());
            }
            if (segment.hasTimestamps()) {
                lastTsVal = segment.tsVal();
            }
            payload.release();
        }

        /** The guest's next segment: ACK of {@code ack}, window 65535, timestamps, {@code length} data bytes. */
        TcpHeader peerSegment(int ack, int length) {
            return peer.start(REMOTE_PORT, LOCAL_PORT, TcpControl.NONE, peerSeq).setAck(ack).setWindow(65535)
                    .setTimestamps(peerTsVal++, lastTsVal).setPayloadLength(length);
        }

        /** SYN (MSS 1460, wscale 7, SACK-permitted, timestamps), accept, SYN-ACK, ACK: ESTABLISHED. */
        @Setup(Level.Trial)
        public void establish() {
            TcpHeader syn = new TcpHeader().start(REMOTE_PORT, LOCAL_PORT, TcpControl.SYN, REMOTE_SEQ)
                    .setWindow(65535).setMaxSegmentSize(1460).setWindowScale(7).setSackPermitted(true)
                    .setTimestamps(peerTsVal++, 0);
            conn = TcpConnection.acceptSyn(KEY, syn, TcpConfig.defaults(), alloc, new TcpStats(),
                    SeqNumber.of(LOCAL_SEQ), now);
            conn.accept(now);
            conn.dispatch(now, (k, s, p) -> {
                p.release();
                if (s.control() != TcpControl.SYN || s.seq() != LOCAL_SEQ || !s.hasAck()
                        || s.ack() != REMOTE_SEQ + 1 || !s.hasTimestamps()) {
                    throw new IllegalStateException("expected our SYN-ACK, got " + s);
                }
                lastTsVal = s.tsVal();
            });
            now += 100_000;
            conn.process(peerSegment(LOCAL_SEQ + 1, 0), Unpooled.EMPTY_BUFFER, now);
            if (conn.state() != TcpState.ESTABLISHED || !conn.timestampsEnabled() || !conn.sackEnabled()
                    || conn.sendMss() != SEGMENT || conn.sendWindowShift() != 7) {
                throw new IllegalStateException("handshake did not give the expected connection: " + conn);
            }
            if (conn.pollAt() <= now) {
                conn.dispatch(now, this);
            }
            if (emitted != 0) {
                throw new IllegalStateException("the handshake ACK needs no answer");
            }
            prepare();
        }

        /** Builds the benchmark's buffers and checks one operation (after the handshake). */
        abstract void prepare();

        /** Throws when the engine's counters disagree with what the benchmark did. */
        abstract void check();

        /** Releases the benchmark's buffers. */
        abstract void free();

        /** Checks the counters, then frees the buffers and what the connection holds. */
        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                check();
            } finally {
                free();
                conn.release();
            }
        }
    }

    /** The guest sends: in-order full segments from one reused payload buffer. */
    @State(Scope.Thread)
    public static class Receiver extends Connection {
        ByteBuf payload;
        ByteBuf sink;
        long segments;

        @Override
        void prepare() {
            payload = alloc.directBuffer(SEGMENT, SEGMENT);
            for (int i = 0; i < SEGMENT; i++) {
                payload.writeByte(i * 31 + 7);
            }
            sink = alloc.directBuffer(1 << 16, 1 << 16);
            // Both ways of reading once, checking the bytes.
            receive();
            sink.clear();
            if (conn.recv(sink) != SEGMENT || !ByteBufUtil.equals(sink, payload)) {
                throw new IllegalStateException("read back something else than the segment");
            }
            receive();
            ByteBuf slice = conn.recv(SEGMENT);
            boolean same = ByteBufUtil.equals(slice, payload);
            slice.release();
            if (!same || conn.readableBytes() != 0) {
                throw new IllegalStateException("read back something else than the segment");
            }
        }

        /** One segment in; ACKs out when due. */
        void receive() {
            now += 1_000;
            conn.process(peerSegment(LOCAL_SEQ + 1, SEGMENT), payload, now);
            peerSeq = SeqNumber.add(peerSeq, SEGMENT);
            segments++;
            if (conn.pollAt() <= now) {
                conn.dispatch(now, this);
            }
        }

        /** Every segment was taken in order and read; our ACKs came at one per two segments; nothing dropped. */
        @Override
        void check() {
            TcpStats s = conn.stats();
            long dropped = s.droppedUnacceptable() + s.droppedBadAck() + s.droppedNoAck() + s.droppedInState()
                    + s.outOfOrderSegments() + s.challengeAcks();
            if (s.bytesIn() != segments * SEGMENT || dropped != 0 || conn.readableBytes() != 0
                    || emittedData != 0 || emitted < segments / 2 - 1 || emitted > segments / 2 + 2) {
                throw new IllegalStateException(segments + " segments in, " + emitted + " ACKs out: " + s);
            }
        }

        @Override
        void free() {
            payload.release();
            sink.release();
        }
    }

    /** The host sends 45 segments per invocation; the guest acknowledges them with one ACK. */
    @State(Scope.Thread)
    public static class Sender extends Connection {
        ByteBuf data;
        long invocations;
        long startData;

        @Override
        void prepare() {
            data = alloc.directBuffer(SEND_SEGMENTS * SEGMENT, SEND_SEGMENTS * SEGMENT);
            for (int i = 0; i < SEND_SEGMENTS * SEGMENT; i++) {
                data.writeByte(i * 7 + 1);
            }
            // Out of slow start: cwnd starts at 10 segments and grows by 2 per ACK; queued data drains meanwhile.
            int steady = 0;
            for (int i = 0; i < 10_000 && steady < 50; i++) {
                long before = emittedData;
                sendAndAck();
                steady = emittedData - before == SEND_SEGMENTS && conn.sendQueued() == 0 ? steady + 1 : 0;
            }
            if (steady < 50 || conn.congestionWindow() < SEND_SEGMENTS * SEGMENT) {
                throw new IllegalStateException("no steady state: cwnd " + conn.congestionWindow() + ", queued "
                        + conn.sendQueued());
            }
            invocations = 0;
            startData = emittedData;
        }

        void sendAndAck() {
            now += SEND_SEGMENTS * 1_000L;
            data.readerIndex(0);
            if (conn.sendCapacity() >= data.readableBytes()) {
                conn.send(data);
            }
            if (conn.pollAt() <= now) {
                conn.dispatch(now, this);
            }
            conn.process(peerSegment(ourEnd, 0), Unpooled.EMPTY_BUFFER, now);
            if (conn.pollAt() <= now) {
                conn.dispatch(now, this);
            }
            invocations++;
        }

        /** Exactly 45 data segments per invocation, all acknowledged, none retransmitted, no pure ACKs from us. */
        @Override
        void check() {
            TcpStats s = conn.stats();
            long sent = emittedData - startData;
            if (sent != invocations * SEND_SEGMENTS || conn.sendQueued() != 0 || s.retransmittedSegments() != 0
                    || s.timeouts() != 0 || s.droppedBadAck() != 0 || emitted != emittedData) {
                throw new IllegalStateException(invocations + " invocations, " + sent + " data segments, "
                        + emitted + " segments, queued " + conn.sendQueued() + ": " + s);
            }
        }

        @Override
        void free() {
            data.release();
        }
    }

    /** One guest segment in, ACK when due, read out by copying into a reused buffer. */
    @Benchmark
    public int receiveCopy(Receiver r) {
        r.receive();
        ByteBuf sink = r.sink;
        sink.clear();
        return r.conn.recv(sink);
    }

    /** One guest segment in, ACK when due, read out as retained slices released at once. */
    @Benchmark
    public int receiveNoCopy(Receiver r) {
        r.receive();
        TcpConnection c = r.conn;
        int n = 0;
        while (c.isReadable()) {
            ByteBuf b = c.recv(1 << 16);
            n += b.readableBytes();
            b.release();
        }
        return n;
    }

    /** 45 segments host to guest: send 65160 bytes, dispatch them, one ACK from the guest. */
    @Benchmark
    @OperationsPerInvocation(SEND_SEGMENTS)
    public long send(Sender s) {
        s.sendAndAck();
        return s.emittedData;
    }
}
