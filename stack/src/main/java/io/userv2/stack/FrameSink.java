package io.userv2.stack;

import io.netty.buffer.ByteBuf;

/**
 * Where the engine puts the Ethernet frames it wants sent onto the LAN.
 *
 * <p>Ownership: {@link #send(ByteBuf)} takes ownership of {@code frame}; the sink releases it once it has been
 * written or dropped. The frame's readable bytes are exactly one Ethernet frame (destination MAC first), without any
 * transport framing.
 */
@FunctionalInterface
public interface FrameSink {
    /** Queues one frame for sending; takes ownership of {@code frame}. */
    void send(ByteBuf frame);
}
