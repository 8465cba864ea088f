package io.userv2.switchd.warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host side of the {@link WarmUp}: two TCP servers on 127.0.0.1 with kernel-chosen ports, each served by a
 * thread of its own, one connection at a time. The sink reads everything a connection brings until it ends; the
 * source writes the number of bytes given by {@link #sendNext} to the next connection, then closes it. Counts what
 * each moved. Owns its sockets and threads; {@link #close} ends them.
 */
final class LoopbackPeers implements AutoCloseable {
    private final ServerSocketChannel sink;
    private final ServerSocketChannel source;
    private final AtomicLong nextLength = new AtomicLong();
    private final AtomicLong sunk = new AtomicLong();
    private final AtomicLong sourced = new AtomicLong();
    private final Thread sinkThread;
    private final Thread sourceThread;

    private LoopbackPeers(ServerSocketChannel sink, ServerSocketChannel source) {
        this.sink = sink;
        this.source = source;
        sinkThread = new Thread(this::serveSink, WarmUp.THREAD_PREFIX + "-sink");
        sourceThread = new Thread(this::serveSource, WarmUp.THREAD_PREFIX + "-source");
        sinkThread.setDaemon(true);
        sourceThread.setDaemon(true);
    }

    /** Binds both servers and starts their threads. */
    static LoopbackPeers open() throws IOException {
        ServerSocketChannel sink = bind();
        try {
            LoopbackPeers peers = new LoopbackPeers(sink, bind());
            peers.sinkThread.start();
            peers.sourceThread.start();
            return peers;
        } catch (IOException | RuntimeException e) {
            sink.close();
            throw e;
        }
    }

    private static ServerSocketChannel bind() throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        return server;
    }

    int sinkPort() throws IOException {
        return ((InetSocketAddress) sink.getLocalAddress()).getPort();
    }

    int sourcePort() throws IOException {
        return ((InetSocketAddress) source.getLocalAddress()).getPort();
    }

    /** How many bytes the source writes to the next connection it accepts. */
    void sendNext(long bytes) {
        nextLength.set(bytes);
    }

    /** Bytes the sink has read, over all its connections. */
    long sunk() {
        return sunk.get();
    }

    /** Bytes the source has written, over all its connections. */
    long sourced() {
        return sourced.get();
    }

    private void serveSink() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        while (sink.isOpen()) {
            try (SocketChannel c = sink.accept()) {
                for (int n; (n = c.read(buffer.clear())) >= 0; ) {
                    sunk.addAndGet(n);
                }
            } catch (IOException e) {
                // the connection was reset (the guest's RST), or the server closed: next, or the loop ends
            }
        }
    }

    private void serveSource() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024);
        while (source.isOpen()) {
            try (SocketChannel c = source.accept()) {
                for (long left = nextLength.getAndSet(0); left > 0; ) {
                    buffer.clear().limit((int) Math.min(buffer.capacity(), left));
                    int n = c.write(buffer);
                    left -= n;
                    sourced.addAndGet(n);
                }
            } catch (IOException e) {
                // the connection was reset, or the server closed: next, or the loop ends
            }
        }
    }

    @Override
    public void close() {
        try {
            sink.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            source.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        sinkThread.interrupt(); // a blocked read or write on an accepted connection ends with it
        sourceThread.interrupt();
    }
}
