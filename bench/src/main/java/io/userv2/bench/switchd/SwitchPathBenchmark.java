package io.userv2.bench.switchd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.wire.Ipv4Address;
import io.userv2.switchd.VirtualNetwork;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.config.Ipv6Settings;
import io.userv2.switchd.config.SwitchConfig;
import io.userv2.switchd.port.Port;
import io.userv2.switchd.port.PortCounters;
import io.userv2.switchd.port.PortDropReason;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
 * The whole forwarding path over real unix stream sockets: a running {@link VirtualNetwork} (event-loop thread,
 * pooled 256 KiB reads, {@code FrameDecoder}, {@code LearningSwitch}, frames written to B from A's read buffer after
 * each read, what B's socket does not take through B's staging buffer) between two blocking {@link SocketChannel} clients that play two VMs, A and B.
 *
 * <p>Each invocation writes one pre-built batch of about 512 KiB of length-prefixed unicast frames A to B with one
 * blocking write, then reads exactly as many bytes back from B. The score is frames per second
 * ({@link OperationsPerInvocation} is the batch size); multiply by {@code 8 * frameSize} for Ethernet bit/s.
 * Three methods, one per frame size: {@code frames64} (7710 frames per batch), {@code frames1514} (345) and
 * {@code frames65534} (8, the 65520-byte MTU the network runs with). Compare with {@link LearningSwitchBenchmark}
 * (the same decode-switch-copy without sockets) to see what the system calls and thread hand-offs cost; this one
 * involves three threads (benchmark writer/reader and the switch loop), so on a 2-core machine it is CPU-bound on
 * scheduling as much as on the switch.
 *
 * <p>Why it cannot deadlock: a batch (about 512 KiB) is far below what the switch can absorb towards B without
 * anyone reading B (its 4 MiB per-port egress limit plus the socket buffers), and the switch keeps reading A
 * whatever B does, so the blocking write always completes before the read starts. If frames were lost the read
 * would wait forever, so a watchdog thread closes both sockets when one invocation takes more than
 * {@value #STALL_SECONDS} s (the invocation then fails with an exception instead of hanging). {@code @TearDown}
 * checks the switch's port counters: no frame dropped, and every frame A sent was queued to B.
 *
 * <p>The switch's MAC table learns both clients in setup (each sends one broadcast, the other drains it); B refreshes
 * its entry with one unicast frame to A before every iteration so it never ages out during long runs.
 *
 * <p>Run (from the repository root):
 * <pre>
 * mvn -B -o -q package -DskipTests -pl bench -am
 * java -jar bench/target/userv2-benchmarks.jar SwitchPathBenchmark -f 1 -wi 2 -i 3 -w 2s -r 2s
 * java -jar bench/target/userv2-benchmarks.jar SwitchPathBenchmark -f 1 -wi 2 -i 3 -w 2s -r 2s -prof gc
 * </pre>
 * With {@code -prof gc}, {@code gc.alloc.rate.norm} is per frame and includes what the switch's loop thread
 * allocates (JMH counts every thread of the forked JVM).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
public class SwitchPathBenchmark {
    /** Bytes per batch, about; each size's batch is the number of whole prefixed frames that fit. */
    static final int BATCH_BYTES = 512 * 1024;
    /** Frames per batch of 64-byte frames. */
    static final int BATCH_64 = BATCH_BYTES / (4 + 64);
    /** Frames per batch of 1514-byte frames. */
    static final int BATCH_1514 = BATCH_BYTES / (4 + 1514);
    /** Frames per batch of 65534-byte frames (8 frames, 8 bytes over 512 KiB). */
    static final int BATCH_65534 = 8;
    /** An invocation that makes no progress for this long is declared stuck and its sockets are closed. */
    static final int STALL_SECONDS = 20;
    /** Socket buffers the clients ask for, as the switch does for its side. */
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;
    /**
     * The switch logs connects and disconnects at INFO through {@code System.Logger} (java.util.logging by default),
     * which would interleave with JMH's iteration lines; warnings still show. Held here so the level sticks.
     */
    private static final java.util.logging.Logger SWITCH_LOG = java.util.logging.Logger.getLogger("io.userv2");

    static {
        SWITCH_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    /** A running network with two attached clients and one pre-built batch of frames A to B. */
    @State(Scope.Thread)
    public abstract static class Network {
        private final int frameSize;
        private final int batch;
        private Path dir;
        private VirtualNetwork net;
        private SocketChannel a;
        private SocketChannel b;
        private ByteBuffer out;
        private ByteBuffer in;
        private Thread watchdog;
        private volatile long invocationStart;
        private volatile boolean stopped;
        private long invocations;
        private PortCounters startA;
        private long startFramesInA;
        private long startFramesOutB;

        Network(int frameSize, int batch) {
            this.frameSize = frameSize;
            this.batch = batch;
        }

        /** Starts the network, connects A and B, lets the switch learn both, and checks one batch byte for byte. */
        @Setup(Level.Trial)
        public void setUp() throws Exception {
            dir = Files.createTempDirectory("userv2-bench");
            Path sock = dir.resolve("net.sock");
            net = VirtualNetwork.create(new SwitchConfig(List.of(new ListenAddress.Unix(sock)),
                    SwitchConfig.DEFAULT_SUBNET, Ipv4Address.parse("192.168.104.2"), SwitchConfig.DEFAULT_GATEWAY_MAC,
                    Frames.MTU, null).withIpv6(Ipv6Settings.OFF)); // only the benchmark's frames on the wire
            net.start();
            a = connect(sock);
            b = connect(sock);
            startWatchdog();

            // Learning: each floods one broadcast (to the gateway, which ignores it, and to the other client).
            exchange(a, b, Frames.BROADCAST, Frames.MAC_A);
            exchange(b, a, Frames.BROADCAST, Frames.MAC_B);

            ByteBuf frames = Unpooled.buffer(batch * Frames.wireSize(frameSize));
            Frames.writePrefixed(frames, batch, frameSize, Frames.MAC_B, Frames.MAC_A);
            out = ByteBuffer.allocateDirect(frames.readableBytes());
            out.put(frames.nioBuffer());
            out.flip();
            in = ByteBuffer.allocateDirect(out.capacity());
            transfer();
            in.flip();
            out.clear();
            if (!in.equals(out)) {
                throw new IllegalStateException("B did not receive exactly the frames A sent");
            }
            frames.release();
            List<Port> ports = onLoop(() -> net.learningSwitch().ports());
            // A and B learned on ports of their own (the table also holds the gateway's pinned MAC)
            Port portA = onLoop(() -> net.learningSwitch().portOf(Frames.MAC_A));
            Port portB = onLoop(() -> net.learningSwitch().portOf(Frames.MAC_B));
            if (ports.size() != 3 || portA == null || portB == null || portA == portB) {
                throw new IllegalStateException("expected gateway, A and B on ports of their own, got " + ports
                        + ", A on " + portA + ", B on " + portB);
            }
        }

        private static SocketChannel connect(Path sock) throws IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER);
            ch.connect(UnixDomainSocketAddress.of(sock));
            return ch;
        }

        /** Sends one 64-byte frame {@code src -> dst} from {@code from} and reads it at {@code to}. */
        private void exchange(SocketChannel from, SocketChannel to, long dst, long src) throws IOException {
            ByteBuf one = Unpooled.buffer(Frames.wireSize(64));
            Frames.writePrefixed(one, 1, 64, dst, src);
            ByteBuffer o = one.nioBuffer();
            ByteBuffer i = ByteBuffer.allocate(o.remaining());
            invocationStart = System.nanoTime();
            while (o.hasRemaining()) {
                from.write(o);
            }
            readFully(to, i);
            invocationStart = 0;
            o.rewind();
            i.flip();
            if (!i.equals(o)) {
                throw new IllegalStateException("exchange garbled");
            }
            one.release();
        }

        private static void readFully(SocketChannel ch, ByteBuffer buf) throws IOException {
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) {
                    throw new IOException("switch closed the connection");
                }
            }
        }

        /** Closes both sockets if one invocation is stuck, so a lost frame fails the run instead of hanging it. */
        private void startWatchdog() {
            watchdog = new Thread(() -> {
                while (!stopped) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long t = invocationStart;
                    if (t != 0 && System.nanoTime() - t > TimeUnit.SECONDS.toNanos(STALL_SECONDS)) {
                        System.err.println("SwitchPathBenchmark: invocation stuck for " + STALL_SECONDS
                                + " s (frames lost?); closing the client sockets; ports: " + portReport());
                        closeQuietly(a);
                        closeQuietly(b);
                        return;
                    }
                }
            }, "switch-path-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
        }

        /** Each port's counters, for the stuck message (read from this thread: a best-effort snapshot). */
        private String portReport() {
            StringBuilder sb = new StringBuilder();
            for (Port p : net.learningSwitch().ports()) {
                var c = p.counters();
                sb.append(p.name()).append(" in ").append(c.framesIn()).append(" out ").append(c.framesOut())
                        .append(" queue-full ").append(c.dropsQueueFull()).append(" dropped ").append(c.dropsTotal())
                        .append(" budget pauses ").append(c.budgetPauses());
                for (PortDropReason r : PortDropReason.values()) {
                    if (c.drops(r) > 0) {
                        sb.append(' ').append(r).append(' ').append(c.drops(r));
                    }
                }
                sb.append("; ");
            }
            return sb.toString();
        }

        /** B refreshes its MAC table entry (one frame to A), and the counters are sampled for the tear-down check. */
        @Setup(Level.Iteration)
        public void refresh() throws Exception {
            exchange(b, a, Frames.MAC_A, Frames.MAC_B);
            startFramesInA = portCounter(true);
            startFramesOutB = portCounter(false);
            invocations = 0;
        }

        /** One batch: a single write of every frame from A, then read the same number of bytes at B. */
        void transfer() throws IOException {
            ByteBuffer o = out;
            ByteBuffer i = in;
            o.clear();
            i.clear();
            invocationStart = System.nanoTime();
            SocketChannel ca = a;
            while (o.hasRemaining()) {
                ca.write(o);
            }
            readFully(b, i);
            invocationStart = 0;
            invocations++;
        }

        /** Port counters say every frame A sent in this iteration was queued to B, and nothing was dropped. */
        @TearDown(Level.Iteration)
        public void check() throws Exception {
            long inA = portCounter(true) - startFramesInA;
            long outB = portCounter(false) - startFramesOutB;
            long drops = onLoop(() -> net.learningSwitch().ports().stream()
                    .mapToLong(p -> p.counters().dropsQueueFull()).sum());
            long expected = invocations * batch;
            if (inA != expected || outB != expected || drops != 0) {
                throw new IllegalStateException("A sent " + expected + " frames; switch counted " + inA
                        + " in from A, " + outB + " out to B, " + drops + " dropped");
            }
        }

        /** framesIn of A's port ({@code true}) or framesOut of B's port, read on the loop thread. */
        private long portCounter(boolean framesInOfA) throws Exception {
            // Ports attach in connect order after the gateway: [gateway, A, B].
            return onLoop(() -> {
                List<Port> ports = net.learningSwitch().ports();
                return framesInOfA ? ports.get(1).counters().framesIn() : ports.get(2).counters().framesOut();
            });
        }

        private <T> T onLoop(java.util.concurrent.Callable<T> task) throws Exception {
            CompletableFuture<T> f = new CompletableFuture<>();
            net.loop().execute(() -> {
                try {
                    f.complete(task.call());
                } catch (Exception | Error e) {
                    f.completeExceptionally(e);
                }
            });
            return f.get(STALL_SECONDS, TimeUnit.SECONDS);
        }

        /** Disconnects the clients, stops the network and removes the socket directory. */
        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            stopped = true;
            watchdog.interrupt();
            closeQuietly(a);
            closeQuietly(b);
            net.close();
            Files.deleteIfExists(dir.resolve("net.sock"));
            Files.deleteIfExists(dir);
        }

        private static void closeQuietly(SocketChannel ch) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    /** 64-byte frames. */
    @State(Scope.Thread)
    public static class Network64 extends Network {
        public Network64() {
            super(64, BATCH_64);
        }
    }

    /** 1514-byte frames (1500-byte IP MTU). */
    @State(Scope.Thread)
    public static class Network1514 extends Network {
        public Network1514() {
            super(1514, BATCH_1514);
        }
    }

    /** 65534-byte frames (65520-byte IP MTU). */
    @State(Scope.Thread)
    public static class Network65534 extends Network {
        public Network65534() {
            super(Frames.JUMBO, BATCH_65534);
        }
    }

    /** 7710 64-byte frames A to B through the switch; score in frames/s. */
    @Benchmark
    @OperationsPerInvocation(BATCH_64)
    public void frames64(Network64 n) throws IOException {
        n.transfer();
    }

    /** 345 1514-byte frames A to B through the switch; score in frames/s. */
    @Benchmark
    @OperationsPerInvocation(BATCH_1514)
    public void frames1514(Network1514 n) throws IOException {
        n.transfer();
    }

    /** 8 65534-byte frames A to B through the switch; score in frames/s. */
    @Benchmark
    @OperationsPerInvocation(BATCH_65534)
    public void frames65534(Network65534 n) throws IOException {
        n.transfer();
    }
}
