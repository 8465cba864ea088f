package io.userv2.bench.switchd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.userv2.switchd.capture.FrameCapture;
import io.userv2.switchd.port.FrameDecoder;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.switching.LearningSwitch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU cost of the forwarding path without system calls: one ingress read's worth of length-prefixed frames
 * (about 256 KiB, the size of {@code LinkPort}'s read buffer) in a pooled direct buffer, cut by
 * {@link FrameDecoder#decode} and switched by {@link LearningSwitch#forward} from a port A to a learned unicast
 * destination B, exactly as {@code LinkPort.pump} does it. Compare with {@link SwitchPathBenchmark}, which
 * adds the socket reads and writes; the difference is what the system calls and the event loop cost.
 *
 * <p>Each benchmark method handles one frame size (the score of each is frames per second because of
 * {@link OperationsPerInvocation}): {@code frames64} (minimum frames, 3855 per invocation), {@code frames1514}
 * (full 1500-byte-MTU frames, 172 per invocation) and {@code frames65534} (65520-byte-MTU frames, 4 per invocation).
 * Multiply by {@code 8 * frameSize} for Ethernet bit/s.
 *
 * <p>{@code egress} selects what the destination port does with each frame:
 * <ul>
 *   <li>{@code count}: only counts it (decode + learn + lookup, no copy): close to what {@code LinkPort.deliver}
 *       does with a frame from another VM, which it notes as part of a run written from the sender's read
 *       buffer;</li>
 *   <li>{@code copy}: what {@code LinkPort.deliver} does with the frames it cannot pass on that way (the gateway's,
 *       or while frames wait for the destination): copies prefix and frame into a pooled direct staging buffer and
 *       counts it; the staging buffer is emptied after each invocation, as the end-of-loop write would.</li>
 * </ul>
 *
 * <p>The hot path should allocate nothing: check with {@code -prof gc} ({@code gc.alloc.rate.norm} is per frame).
 *
 * <p>Run (from the repository root):
 * <pre>
 * mvn -B -o -q package -DskipTests -pl bench -am
 * java -jar bench/target/userv2-benchmarks.jar LearningSwitchBenchmark -f 1 -wi 2 -i 3 -w 2s -r 2s -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
public class LearningSwitchBenchmark {
    /** Frames per invocation for 64-byte frames: as many as fit in 256 KiB with prefixes. */
    static final int BATCH_64 = 256 * 1024 / (4 + 64);
    /** Frames per invocation for 1514-byte frames. */
    static final int BATCH_1514 = 256 * 1024 / (4 + 1514);
    /** Frames per invocation for 65534-byte frames (just over 256 KiB). */
    static final int BATCH_65534 = 4;

    /** A destination port that counts what it is given. */
    static final class CountingPort extends Port {
        long frames;

        CountingPort(String name) {
            super(name);
        }

        @Override
        public void deliver(ByteBuf buf, int index, int length, Port ingress) {
            frames++;
        }

        @Override
        protected void onClose() {
        }
    }

    /** A destination port that stages each frame with its prefix like {@code LinkPort.deliver}, then counts it. */
    static final class CopyingPort extends Port {
        final ByteBuf staging;
        long frames;

        CopyingPort(String name, ByteBuf staging) {
            super(name);
            this.staging = staging;
        }

        @Override
        public void deliver(ByteBuf buf, int index, int length, Port ingress) {
            ByteBuf out = staging;
            if (out.maxWritableBytes() < FrameDecoder.PREFIX + length) {
                counters().countQueueFull();
                return;
            }
            out.writeInt(length);
            out.writeBytes(buf, index, length);
            counters().countOut(length);
            frames++;
        }

        @Override
        protected void onClose() {
        }
    }

    /** One switch with ports A (ingress) and B (destination, already learned) and a pre-filled ingress buffer. */
    @State(Scope.Thread)
    public abstract static class Path {
        /** {@code count} or {@code copy}: see the class comment. */
        @Param({"count", "copy"})
        public String egress;

        private final int frameSize;
        private final int batch;
        private LearningSwitch sw;
        private FrameDecoder decoder;
        private Port a;
        private Port b;
        private ByteBuf staging;
        private ByteBuf in;
        private FrameDecoder.FrameConsumer fromA;
        private long now;
        private long invocations;

        Path(int frameSize, int batch) {
            this.frameSize = frameSize;
            this.batch = batch;
        }

        /** Builds the switch, learns B's MAC on port B and fills the ingress buffer with frames A to B. */
        @Setup(Level.Trial)
        public void setUp() {
            sw = new LearningSwitch(FrameCapture.NONE);
            decoder = new FrameDecoder(Frames.MTU + 18);
            a = new CountingPort("A");
            staging = PooledByteBufAllocator.DEFAULT.directBuffer(batch * Frames.wireSize(frameSize));
            b = switch (egress) {
                case "count" -> new CountingPort("B");
                case "copy" -> new CopyingPort("B", staging);
                default -> throw new IllegalArgumentException("egress must be count or copy, got " + egress);
            };
            sw.attach(a);
            sw.attach(b);
            ByteBuf hello = PooledByteBufAllocator.DEFAULT.heapBuffer();
            Frames.writePrefixed(hello, 1, 64, Frames.BROADCAST, Frames.MAC_B);
            sw.forward(hello, FrameDecoder.PREFIX, 64, b, System.nanoTime());
            hello.release();
            if (sw.learnedAddresses() != 1) {
                throw new IllegalStateException("B's MAC was not learned");
            }
            in = PooledByteBufAllocator.DEFAULT.directBuffer(batch * Frames.wireSize(frameSize));
            Frames.writePrefixed(in, batch, frameSize, Frames.MAC_B, Frames.MAC_A);
            fromA = (buf, index, length) -> sw.forward(buf, index, length, a, now);
            staging.clear();
            delivered();
            invocations = 0;
        }

        private long iteration;

        /** One read's worth: decode every frame in the buffer and switch it; returns the number left over (0). */
        int run() {
            ByteBuf buf = in;
            buf.readerIndex(0);
            now = System.nanoTime(); // as LinkPort does after each read
            a.budget().begin(++iteration);
            FrameDecoder.Outcome outcome;
            while ((outcome = decoder.decode(buf, fromA)) == FrameDecoder.Outcome.PAUSED) {
                a.budget().begin(++iteration); // the rest in the next loop iteration, as LinkPort does
            }
            staging.clear();
            invocations++;
            return outcome.ordinal() + buf.readableBytes();
        }

        private long delivered() {
            return b instanceof CopyingPort c ? c.frames : ((CountingPort) b).frames;
        }

        /** Checks that every frame reached B exactly once, and releases the buffers. */
        @TearDown(Level.Trial)
        public void tearDown() {
            long expected = invocations * batch;
            long got = delivered();
            in.release();
            staging.release();
            if (got != expected || b.counters().dropsQueueFull() != 0 || sw.floods() != 1) {
                throw new IllegalStateException("B got " + got + " frames, expected " + expected + "; drops "
                        + b.counters().dropsQueueFull() + ", floods " + sw.floods());
            }
        }
    }

    /** 64-byte frames. */
    @State(Scope.Thread)
    public static class Path64 extends Path {
        public Path64() {
            super(64, BATCH_64);
        }
    }

    /** 1514-byte frames (1500-byte IP MTU). */
    @State(Scope.Thread)
    public static class Path1514 extends Path {
        public Path1514() {
            super(1514, BATCH_1514);
        }
    }

    /** 65534-byte frames (65520-byte IP MTU). */
    @State(Scope.Thread)
    public static class Path65534 extends Path {
        public Path65534() {
            super(Frames.JUMBO, BATCH_65534);
        }
    }

    /** Decode and switch 3855 64-byte frames; score in frames/s. */
    @Benchmark
    @OperationsPerInvocation(BATCH_64)
    public int frames64(Path64 p) {
        return p.run();
    }

    /** Decode and switch 172 1514-byte frames; score in frames/s. */
    @Benchmark
    @OperationsPerInvocation(BATCH_1514)
    public int frames1514(Path1514 p) {
        return p.run();
    }

    /** Decode and switch 4 65534-byte frames; score in frames/s. */
    @Benchmark
    @OperationsPerInvocation(BATCH_65534)
    public int frames65534(Path65534 p) {
        return p.run();
    }
}
