package io.userv2.stack.tcp;

import io.netty.buffer.ByteBuf;

/**
 * Where a connection may hand large in-order data at once, as it arrives, instead of copying it into its receive
 * buffer first: typically a host socket's write, taking the bytes straight from the frame they came in. The
 * connection offers only data that would be next to read anyway (its receive buffer is empty), so order is kept;
 * what the receiver does not take is buffered as usual. Set with {@link TcpConnection#receiveDirectlyTo}.
 *
 * <p>Buffers: {@code buf} stays the caller's; the receiver reads the bytes during the call only, and moves no index.
 */
@FunctionalInterface
public interface DirectReceiver {
    /**
     * Takes as many of the {@code length} bytes at absolute {@code index} of {@code buf} as it can now; returns the
     * count (0 when it takes none). Never throws: a receiver that fails takes nothing, and reports the failure on
     * its own path.
     */
    int take(ByteBuf buf, int index, int length);
}
