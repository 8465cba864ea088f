package io.userv2.switchd.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.userv2.switchd.capture.FrameCapture;
import io.userv2.switchd.config.ListenAddress;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.port.LinkPorts;
import io.userv2.switchd.switching.LearningSwitch;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** A learning switch on an event-loop thread with a plain stream listener, for the transport tests. */
final class TransportHarness implements AutoCloseable {
    static final int MAX_FRAME = 1514;
    static final int EGRESS = 1 << 20;
    static final long WAIT = 5_000;
    static final long BROADCAST = 0xFFFFFFFFFFFFL;

    final EventLoop loop;
    final LearningSwitch sw = new LearningSwitch(FrameCapture.NONE);
    final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    final Path streamSocket;
    final LinkPorts ports;
    private Thread thread;
    private int streams; // stream connections made (the listener numbers its ports #1, #2, ...); test thread only

    /** The switch plus a stream listener at {@code dir/stream.sock}; open transports, then {@link #start()}. */
    TransportHarness(Path dir) throws IOException {
        loop = new EventLoop();
        ports = new LinkPorts(loop, sw, MAX_FRAME, alloc, EGRESS);
        streamSocket = dir.resolve("stream.sock");
        StreamListener.open(new ListenAddress.Unix(streamSocket), ports);
    }

    TransportHarness start() {
        thread = new Thread(loop::run, "test-loop");
        thread.start();
        return this;
    }

    /** Runs {@code task} on the loop thread and returns its result. */
    <T> T onLoop(Callable<T> task) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                f.complete(task.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f.get(WAIT, TimeUnit.MILLISECONDS);
    }

    /** Polls {@code condition} on the loop thread until it holds or {@code millis} pass. */
    boolean await(BooleanSupplier condition, long millis) throws Exception {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (true) {
            if (onLoop(condition::getAsBoolean)) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(5);
        }
    }

    /**
     * Connects a fake VM to the stream listener and returns once the switch has attached its port. connect()
     * completes as soon as the kernel queues the connection; the loop accepts it later, and a frame flooded before
     * that (a broadcast another VM sends right away, say) never reaches this VM, as on a real switch.
     */
    StreamVm connectStream() throws Exception {
        int n = ++streams;
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(streamSocket));
        StreamVm vm = new StreamVm(ch);
        String name = new ListenAddress.Unix(streamSocket) + "#" + n; // as the listener names its ports
        if (!await(() -> sw.ports().stream().anyMatch(p -> p.name().equals(name)), WAIT)) {
            vm.close();
            throw new IOException("stream connection " + n + " was not attached to the switch");
        }
        return vm;
    }

    @Override
    public void close() throws Exception {
        loop.stop();
        if (thread == null) {
            loop.shutdownIfNeverStarted();
        } else {
            loop.awaitTermination(WAIT);
            thread.join(WAIT);
        }
    }

    /** A minimal Ethernet frame from {@code src} to {@code dst} with EtherType 0x88b5 and a tag byte as payload. */
    static byte[] frame(long dst, long src, int tag, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putShort((short) (dst >>> 32)).putInt((int) dst);
        b.putShort((short) (src >>> 32)).putInt((int) src);
        b.putShort((short) 0x88b5);
        while (b.hasRemaining()) {
            b.put((byte) tag);
        }
        return b.array();
    }

    /** A fake VM on the stream listener, speaking the 4-byte length prefix. */
    static final class StreamVm implements AutoCloseable {
        final SocketChannel ch;
        private final ExecutorService reader = Executors.newSingleThreadExecutor();

        StreamVm(SocketChannel ch) {
            this.ch = ch;
        }

        void send(byte[] frame) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(4 + frame.length).putInt(frame.length).put(frame).flip();
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }

        byte[] receive(long millis) throws Exception {
            Future<byte[]> f = reader.submit(() -> {
                ByteBuffer len = ByteBuffer.allocate(4);
                readFully(len);
                ByteBuffer frame = ByteBuffer.allocate(len.flip().getInt());
                readFully(frame);
                return frame.array();
            });
            try {
                return f.get(millis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                throw e;
            }
        }

        private void readFully(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                if (ch.read(b) < 0) {
                    throw new IOException("EOF");
                }
            }
        }

        @Override
        public void close() throws IOException {
            reader.shutdownNow();
            ch.close();
        }
    }
}
