package io.userv2.switchd.nat;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.nat.HostTcpSocket;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.NatTcpFlow;
import io.userv2.switchd.loop.EventLoop;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * The host end of a NAT'd TCP connection that is a Jetty {@link EndPoint} rather than a socket of ours: an API
 * client's HTTP connection taken over for gvproxy's {@code /tunnel}. Reads fill from the endpoint (after the bytes
 * the client sent behind its request, which come first); a write hands at most {@value #CHUNK} bytes to one
 * asynchronous endpoint write at a time and takes no more until it completes. Readiness comes from Jetty's callbacks,
 * on its threads, handed to the event loop; everything else runs on the loop.
 */
final class EndPointHostSocket implements HostTcpSocket {
    private static final int CHUNK = 64 * 1024;

    private final EndPoint ep;
    private final EventLoop loop;
    private final NatEngine engine;
    private final Runnable afterEvent;
    private final ByteBuffer prefix;
    private final byte[] chunk = new byte[CHUNK];
    private NatTcpFlow flow;
    private boolean wantRead;
    private boolean wantWrite;
    private boolean fillInterested;
    private boolean writing;
    private boolean shutdownPending;
    private IOException failure;
    private boolean closed;

    /**
     * @param prefix bytes the client sent after its request, relayed before anything read from {@code ep}
     * @param afterEvent run after each event given to the engine (marks the NAT as having work)
     */
    EndPointHostSocket(EndPoint ep, ByteBuffer prefix, EventLoop loop, NatEngine engine, Runnable afterEvent) {
        this.ep = ep;
        this.prefix = prefix == null ? BufferUtil.EMPTY_BUFFER : prefix;
        this.loop = loop;
        this.engine = engine;
        this.afterEvent = afterEvent;
    }

    /** The engine's flow this socket reports to; set once, right after the flow is made. */
    void attach(NatTcpFlow f) {
        flow = f;
        if (wantRead || wantWrite) {
            interest(wantRead, wantWrite);
        }
    }

    @Override
    public int read(ByteBuf dst, int maxBytes) throws IOException {
        check();
        if (prefix.hasRemaining()) {
            int n = Math.min(prefix.remaining(), Math.min(maxBytes, dst.writableBytes()));
            ByteBuffer part = prefix.slice();
            part.limit(n);
            dst.writeBytes(part);
            prefix.position(prefix.position() + n);
            return n;
        }
        ByteBuffer window = ByteBuffer.wrap(chunk, 0, Math.min(CHUNK, maxBytes)).slice();
        BufferUtil.clear(window);
        int n = ep.fill(window); // Jetty fills after the limit: the slice's capacity caps it
        if (n > 0) {
            dst.writeBytes(window);
        }
        return n;
    }

    @Override
    public int write(ByteBuf src) throws IOException {
        check();
        if (writing) {
            return 0;
        }
        int n = Math.min(src.readableBytes(), CHUNK);
        if (n == 0) {
            return 0;
        }
        ByteBuffer copy = ByteBuffer.allocate(n);
        src.readBytes(copy);
        writing = true;
        ep.write(Callback.from(() -> onLoop(this::written), x -> onLoop(() -> failed(x))), copy.flip());
        return n;
    }

    private void written() {
        writing = false;
        if (shutdownPending) {
            shutdownPending = false;
            ep.shutdownOutput();
        }
        if (wantWrite) {
            wantWrite = false;
            engine.hostWritable(flow, loop.now());
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        check();
        if (writing) {
            shutdownPending = true; // after the write in flight
        } else {
            ep.shutdownOutput();
        }
    }

    @Override
    public void interest(boolean readable, boolean writable) {
        wantRead = readable;
        wantWrite = writable;
        if (closed || flow == null) {
            return;
        }
        if (failure != null && (readable || writable)) {
            onLoop(this::reportFailure); // the next read or write throws it
            return;
        }
        if (readable && !fillInterested) {
            if (prefix.hasRemaining()) {
                onLoop(this::readable); // not from inside the engine's own call
            } else {
                fillInterested = true;
                ep.fillInterested(Callback.from(() -> onLoop(() -> {
                    fillInterested = false;
                    readable();
                }), x -> onLoop(() -> {
                    fillInterested = false;
                    failed(x);
                })));
            }
        }
        if (writable && !writing) {
            onLoop(() -> {
                if (wantWrite && !writing) {
                    wantWrite = false;
                    engine.hostWritable(flow, loop.now());
                }
            });
        }
    }

    private void readable() {
        if (!closed && wantRead) {
            wantRead = false;
            engine.hostReadable(flow, loop.now());
        }
    }

    private void failed(Throwable x) {
        failure = x instanceof IOException io ? io : new IOException(x);
        reportFailure();
    }

    private void reportFailure() {
        if (!closed) {
            engine.hostReadable(flow, loop.now()); // the relay reads, which throws: the flow is aborted
        }
    }

    private void check() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }

    /** Runs {@code event} on the loop unless the socket closed meanwhile, then lets the NAT run. */
    private void onLoop(Runnable event) {
        loop.execute(() -> {
            if (!closed) {
                event.run();
                afterEvent.run();
            }
        });
    }

    @Override
    public void close(boolean reset) {
        if (closed) {
            return;
        }
        closed = true;
        ep.close(); // a taken-over HTTP connection has no RST of its own to give
    }
}
