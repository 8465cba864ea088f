package io.userv2.switchd.nat;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.nat.DialFailure;
import io.userv2.stack.nat.HostTcpSocket;
import io.userv2.stack.nat.NatEngine;
import io.userv2.stack.nat.NatTcpFlow;
import io.userv2.switchd.loop.EventLoop;
import io.userv2.switchd.loop.IoHandler;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/**
 * The host end of one NAT'd TCP connection: a non-blocking {@link SocketChannel} on the event loop whose readiness
 * becomes the engine's host events. Loop thread only.
 */
final class NioTcpSocket implements HostTcpSocket, IoHandler {
    private static final System.Logger LOG = System.getLogger(NioTcpSocket.class.getName());

    private final SocketChannel channel;
    private final EventLoop loop;
    private final NatEngine engine;
    private NatTcpFlow flow;
    private SelectionKey key;
    private boolean connecting;
    private boolean closed;
    private int ops;

    NioTcpSocket(SocketChannel channel, EventLoop loop, NatEngine engine) {
        this.channel = channel;
        this.loop = loop;
        this.engine = engine;
    }

    /**
     * Registers a socket whose connect was started: its outcome is reported to the engine for {@code f}. A connect
     * that completed at once (loopback often does) is reported when the socket first shows writable, so that the
     * engine never hears of it from inside its own call.
     */
    void registerConnecting(NatTcpFlow f, boolean connectedAlready) throws IOException {
        flow = f;
        connecting = true;
        ops = connectedAlready ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT;
        key = loop.register(channel, ops, this);
    }

    /** Registers an accepted, connected socket (a port forward's client) for the engine's flow {@code f}. */
    void registerConnected(NatTcpFlow f) throws IOException {
        flow = f;
        key = loop.register(channel, ops, this);
    }

    @Override
    public int read(ByteBuf dst, int maxBytes) throws IOException {
        return dst.writeBytes(channel, maxBytes);
    }

    @Override
    public int write(ByteBuf src) throws IOException {
        return src.readBytes(channel, src.readableBytes());
    }

    @Override
    public int write(ByteBuf src, int index, int length) throws IOException {
        if (src.nioBufferCount() != 1) {
            return HostTcpSocket.super.write(src, index, length); // a composite: through its indices
        }
        return channel.write(src.internalNioBuffer(index, length)); // the buffer's own view: no object per write
    }

    @Override
    public void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    @Override
    public void interest(boolean readable, boolean writable) {
        if (connecting || closed) {
            return;
        }
        int want = (readable ? SelectionKey.OP_READ : 0) | (writable ? SelectionKey.OP_WRITE : 0);
        if (want != ops) {
            ops = want;
            if (key != null && key.isValid()) {
                key.interestOps(want);
            }
        }
    }

    @Override
    public void ready(SelectionKey k) {
        if (closed || !k.isValid()) {
            return;
        }
        long now = loop.now();
        if (connecting) {
            connecting = false;
            ops = 0;
            k.interestOps(0);
            try {
                channel.finishConnect();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, flow + ": host connect failed: " + e);
                engine.hostDialFailed(flow, classify(e), now);
                return;
            }
            engine.hostConnected(flow, now);
            return;
        }
        if (k.isReadable()) {
            engine.hostReadable(flow, now);
        }
        if (k.isValid() && k.isWritable()) {
            engine.hostWritable(flow, now);
        }
    }

    /** What a failed connect means for the guest (see {@link DialFailure}). */
    static DialFailure classify(IOException e) {
        String message = String.valueOf(e.getMessage());
        if (e instanceof ConnectException && message.contains("refused")) {
            return DialFailure.REFUSED;
        }
        if (e instanceof NoRouteToHostException || message.contains("Host is unreachable")
                || message.contains("No route to host")) {
            return DialFailure.HOST_UNREACHABLE;
        }
        if (message.contains("Network is unreachable")) {
            return DialFailure.NET_UNREACHABLE;
        }
        return DialFailure.OTHER;
    }

    @Override
    public void close(boolean reset) {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (reset && channel.isConnected()) {
                channel.setOption(StandardSocketOptions.SO_LINGER, 0); // close with RST
            }
        } catch (IOException | RuntimeException ignored) {
            // closing anyway
        }
        loop.close(this, key, channel);
    }

    @Override
    public void shutdown() {
        close(true);
    }

    @Override
    public String toString() {
        return String.valueOf(flow);
    }
}
