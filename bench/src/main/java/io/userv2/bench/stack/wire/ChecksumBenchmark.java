package io.userv2.bench.stack.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.userv2.stack.wire.Checksum;
import io.userv2.stack.wire.ReferenceChecksum;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Internet checksum: {@link Checksum#compute} (eight bytes per step, two accumulators) against
 * {@link ReferenceChecksum#compute} (the plain RFC 1071 word loop, which is also the test oracle), over
 * {@code size} bytes of a pooled heap or pooled direct buffer (the switch's buffers are pooled direct ones;
 * codecs also see heap buffers).
 *
 * <p>Sizes: 64 (a minimum frame / TCP header with options), 1500 (an IP MTU), 9000 (a jumbo frame) and 65536 (a
 * maximal TSO-sized segment). The primary score is checksums per second ({@code ops/s}); the secondary
 * {@code :bytes} line, an {@link AuxCounters} counter, is the same rate multiplied by {@code size}, i.e. bytes
 * summed per second, so the two implementations can be compared as GB/s directly. The checksum is returned from the
 * benchmark method, so JMH blackholes it.
 *
 * <p>Setup checks that both implementations agree on the data (the oracle check), so a broken fast path fails the
 * run instead of producing a fast wrong number.
 *
 * <p>Run (from the repository root):
 * <pre>
 * mvn -B -o -q package -DskipTests -pl bench -am
 * java -jar bench/target/userv2-benchmarks.jar ChecksumBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s
 * java -jar bench/target/userv2-benchmarks.jar ChecksumBenchmark -p size=1500 -p buffer=direct -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
public class ChecksumBenchmark {
    /** Bytes checksummed per operation. */
    @Param({"64", "1500", "9000", "65536"})
    public int size;

    /** {@code heap} (array-backed, read through a byte-array VarHandle) or {@code direct} (read with native-order loads from its memory address). */
    @Param({"heap", "direct"})
    public String buffer;

    private ByteBuf buf;

    /** Bytes summed, reported as a rate next to the ops/s score (the {@code :bytes} line). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Bytes {
        /** Bytes checksummed in this iteration; JMH divides by the iteration time. */
        public long bytes;

        /** Resets between iterations, as JMH requires of auxiliary counters. */
        @Setup(Level.Iteration)
        public void clear() {
            bytes = 0;
        }
    }

    /** Fills the buffer with seeded random bytes and checks that the two implementations agree on them. */
    @Setup(Level.Trial)
    public void setUp() {
        buf = switch (buffer) {
            case "heap" -> PooledByteBufAllocator.DEFAULT.heapBuffer(size, size);
            case "direct" -> PooledByteBufAllocator.DEFAULT.directBuffer(size, size);
            default -> throw new IllegalArgumentException("buffer must be heap or direct, got " + buffer);
        };
        byte[] data = new byte[size];
        new SplittableRandom(size).nextBytes(data);
        buf.writeBytes(data);
        int fast = Checksum.compute(buf, 0, size);
        int reference = ReferenceChecksum.compute(buf, 0, size);
        if (fast != reference) {
            throw new IllegalStateException("Checksum.compute = " + Integer.toHexString(fast)
                    + " but ReferenceChecksum.compute = " + Integer.toHexString(reference) + " on " + buf);
        }
    }

    /** Returns the buffer to the pool. */
    @TearDown(Level.Trial)
    public void tearDown() {
        buf.release();
    }

    /** The optimised checksum. */
    @Benchmark
    public int compute(Bytes counter) {
        counter.bytes += size;
        return Checksum.compute(buf, 0, size);
    }

    /** The plain reference checksum (baseline). */
    @Benchmark
    public int reference(Bytes counter) {
        counter.bytes += size;
        return ReferenceChecksum.compute(buf, 0, size);
    }
}
