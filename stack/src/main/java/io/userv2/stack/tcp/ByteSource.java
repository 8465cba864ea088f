package io.userv2.stack.tcp;

import io.netty.buffer.ByteBuf;

/**
 * Where {@link TcpConnection#sendFrom} takes bytes from: typically a host socket's read, which then lands straight in
 * the connection's send buffer instead of in a buffer of its own first. The engine only calls it, synchronously; the
 * I/O (and its exception type {@code E}) stays the caller's.
 *
 * @param <E> what a read may throw
 */
@FunctionalInterface
public interface ByteSource<E extends Exception> {
    /**
     * Writes at most {@code maxBytes} into {@code dst} at its writer index (moving it); {@code dst} stays the
     * engine's. Returns the bytes written, 0 when none are there now, -1 at the end of the stream.
     */
    int readInto(ByteBuf dst, int maxBytes) throws E;
}
