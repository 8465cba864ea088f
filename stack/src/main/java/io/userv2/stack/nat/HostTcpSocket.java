package io.userv2.stack.nat;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.tcp.ByteSink;
import io.userv2.stack.tcp.ByteSource;
import java.io.IOException;

/**
 * The host end of one NAT'd TCP connection, as the engine sees it: a non-blocking stream socket that the owner of the
 * engine implements (with NIO in the daemon, in memory in tests). The engine calls these methods only from its own
 * thread, from inside one of its entry points; readiness comes back through {@link NatEngine}'s {@code host...}
 * events.
 *
 * <p>Buffers: {@link #read} writes into the engine's {@code dst} and {@link #write} reads from the engine's
 * {@code src}; neither keeps a reference, releases or retains them.
 *
 * <p>The socket is the connection's byte source and sink itself ({@link #readInto}, {@link #writeFrom}), so a relay
 * needs no adapter objects of its own to move bytes between them.
 */
public interface HostTcpSocket extends ByteSource<IOException>, ByteSink<IOException> {
    /**
     * Reads what the socket has, at most {@code maxBytes}, into {@code dst} (moving its writer index).
     *
     * @return bytes read; 0 when nothing is there now; -1 at end of stream (the host shut its output down)
     * @throws IOException when the connection failed (reset by the host, say): the engine aborts the flow
     */
    int read(ByteBuf dst, int maxBytes) throws IOException;

    /**
     * Writes as much of {@code src}'s readable bytes as the socket takes now (moving its reader index).
     *
     * @return bytes written; 0 when the socket is full (the engine asks for {@link #interest writability})
     * @throws IOException when the connection failed: the engine aborts the flow
     */
    int write(ByteBuf src) throws IOException;

    /**
     * Writes as many of the {@code length} bytes at absolute {@code index} of {@code src} as the socket takes now,
     * moving no index of {@code src}.
     *
     * @return bytes written; 0 when the socket is full
     * @throws IOException when the connection failed
     */
    default int write(ByteBuf src, int index, int length) throws IOException {
        int reader = src.readerIndex();
        int writer = src.writerIndex();
        src.setIndex(index, index + length);
        try {
            return write(src);
        } finally {
            src.setIndex(reader, writer);
        }
    }

    /** {@link #read}, as the connection's byte source. */
    @Override
    default int readInto(ByteBuf dst, int maxBytes) throws IOException {
        return read(dst, maxBytes);
    }

    /** {@link #write}, as the connection's byte sink. */
    @Override
    default int writeFrom(ByteBuf src) throws IOException {
        return write(src);
    }

    /** Shuts the socket's output down: the guest's FIN, passed on. */
    void shutdownOutput() throws IOException;

    /**
     * Tells which readiness events the engine wants next; the socket reports each at most once per call (level
     * triggered is fine: the engine re-states what it wants after every event).
     */
    void interest(boolean readable, boolean writable);

    /** Closes the socket; {@code reset} closes it abortively (RST, SO_LINGER 0). Idempotent, never throws. */
    void close(boolean reset);
}
