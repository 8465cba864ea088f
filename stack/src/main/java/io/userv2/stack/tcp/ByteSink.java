package io.userv2.stack.tcp;

import io.netty.buffer.ByteBuf;

/**
 * Where {@link TcpConnection#recvTo} puts received bytes: typically a host socket's write, which then takes them
 * straight from the connection's receive buffer, without a copy or a buffer of its own. The engine only calls it,
 * synchronously; the I/O (and its exception type {@code E}) stays the caller's.
 *
 * @param <E> what a write may throw
 */
@FunctionalInterface
public interface ByteSink<E extends Exception> {
    /**
     * Takes as many of {@code src}'s readable bytes as it can now, moving its reader index past them; {@code src}
     * stays the engine's (it must not be retained or released). Returns the bytes taken, 0 when it is full.
     */
    int writeFrom(ByteBuf src) throws E;
}
