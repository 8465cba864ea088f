package io.userv2.switchd.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.userv2.stack.nat.LocalTcpService;
import io.userv2.stack.tcp.TcpConnection;
import io.userv2.stack.tcp.TcpConnectionKey;
import io.userv2.switchd.loop.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * A guest's TCP connection to a port of the gateway, relayed byte for byte to a Jetty {@link EndPoint} inside this
 * process (the client end of an in-memory connection to the guest API's server). Guest to endpoint: one write at a
 * time, and nothing more is read from the guest until it completes (the guest's window closes meanwhile); endpoint to
 * guest: read only as much as the connection's send buffer takes. A FIN is passed on each way; when either side
 * fails, both close. Jetty's callbacks come on its threads and are handed to the event loop; everything else runs on
 * the loop. At most {@value #MAX_SESSIONS} sessions at once, and {@value #MAX_SESSIONS_PER_PORT} of one switch port
 * (so one VM cannot hold them all and lock the others out): a further connection is reset.
 */
final class EndPointSession implements LocalTcpService.LocalTcpSession {
    private static final System.Logger LOG = System.getLogger(EndPointSession.class.getName());
    /** Sessions open at once; each holds an in-memory HTTP connection. */
    static final int MAX_SESSIONS = 64;
    /** Sessions one VM (switch port) may hold at once. */
    static final int MAX_SESSIONS_PER_PORT = 8;
    private static final int CHUNK = 16 * 1024;

    /** A service relaying each connection to an endpoint from {@code opener}, callbacks handed to {@code loop}. */
    static LocalTcpService service(EndPointOpener opener, EventLoop loop) {
        AtomicInteger open = new AtomicInteger();
        Map<Integer, Integer> perPort = new HashMap<>(); // loop thread only
        return (conn, owner, wake) -> {
            EndPoint ep = null;
            if (open.get() < MAX_SESSIONS && perPort.getOrDefault(owner, 0) < MAX_SESSIONS_PER_PORT) {
                TcpConnectionKey key = conn.key();
                try {
                    ep = opener.open(new InetSocketAddress(key.remoteInetAddress(), key.remotePort()),
                            new InetSocketAddress(key.localInetAddress(), key.localPort()));
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, conn.key() + ": cannot open " + e.getMessage());
                }
            }
            if (ep == null) {
                return new EndPointSession(null, loop, wake, () -> { });
            }
            open.incrementAndGet();
            perPort.merge(owner, 1, Integer::sum);
            return new EndPointSession(ep, loop, wake, () -> {
                open.decrementAndGet();
                perPort.computeIfPresent(owner, (k, n) -> n == 1 ? null : n - 1);
            });
        };
    }

    private final EndPoint ep;
    private final EventLoop loop;
    private final Runnable wake;
    /** Gives back this session's place under the caps; run once, on the loop. */
    private final Runnable released;
    private final byte[] chunk = new byte[CHUNK];
    private boolean writing;
    private boolean fillInterested;
    private boolean outputShut;
    private boolean endpointDone;
    private boolean failed;
    private boolean closed;

    private EndPointSession(EndPoint ep, EventLoop loop, Runnable wake, Runnable released) {
        this.ep = ep;
        this.loop = loop;
        this.wake = wake;
        this.released = released;
    }

    @Override
    public boolean pump(TcpConnection conn, long now) {
        if (ep == null || failed) {
            conn.abort();
            return false;
        }
        try {
            toEndPoint(conn);
            fromEndPoint(conn);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, conn.key() + ": " + e);
            failed = true;
            conn.abort();
            return false;
        }
        return writing;
    }

    private void toEndPoint(TcpConnection conn) throws IOException {
        if (writing || outputShut) {
            return;
        }
        if (conn.readableBytes() > 0) {
            ByteBuf in = conn.recv(CHUNK);
            ByteBuffer copy = ByteBuffer.allocate(in.readableBytes());
            try {
                in.readBytes(copy);
            } finally {
                in.release();
            }
            writing = true;
            ep.write(Callback.from(() -> onLoop(() -> writing = false), x -> onLoop(() -> failed = true)),
                    copy.flip());
        } else if (conn.isRecvFinished()) {
            outputShut = true;
            ep.shutdownOutput(); // the guest's FIN
        }
    }

    private void fromEndPoint(TcpConnection conn) throws IOException {
        while (!endpointDone && !fillInterested && conn.canSend() && conn.sendCapacity() > 0) {
            // At most what the send buffer takes, so that all of it is sent. Jetty fills after a buffer's limit, up
            // to its capacity: a slice of that size, cleared.
            ByteBuffer window = ByteBuffer.wrap(chunk, 0, Math.min(CHUNK, conn.sendCapacity())).slice();
            BufferUtil.clear(window);
            int n = ep.fill(window);
            if (n > 0) {
                conn.send(Unpooled.wrappedBuffer(window));
            } else if (n < 0) {
                endpointDone = true;
                conn.shutdownSend(); // the server closed its side
            } else {
                fillInterested = true;
                ep.fillInterested(Callback.from(() -> onLoop(() -> fillInterested = false),
                        x -> onLoop(() -> failed = true)));
            }
        }
    }

    /** Runs {@code change} on the loop, then has the session pumped again (unless the connection went meanwhile). */
    private void onLoop(Runnable change) {
        loop.execute(() -> {
            if (!closed) {
                change.run();
                wake.run();
            }
        });
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (ep != null) {
            released.run();
            ep.close();
        }
    }
}
