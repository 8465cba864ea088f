package io.userv2.stack;

import io.netty.buffer.ByteBuf;

/**
 * Where the engine puts the Ethernet frames it wants sent onto the LAN.
 *
 * <p>Ownership: {@link #send(ByteBuf)} takes ownership of {@code frame}; the sink releases it once it has been
 * written or dropped. The frame's readable bytes are exactly one Ethernet frame (destination MAC first), without any
 * transport framing.
 *
 * <p>A sink may also let the engine build a frame in place, where it will be sent from (a switch port's staging
 * buffer), saving the copy there: {@link #reserve}, then {@link #commit} or {@link #cancel}, with no other call to the
 * sink between them. The buffer {@link #reserve} returns stays the sink's.
 */
@FunctionalInterface
public interface FrameSink {
    /** Queues one frame for sending; takes ownership of {@code frame}. */
    void send(ByteBuf frame);

    /**
     * Room to build a frame of {@code length} bytes for the unicast MAC {@code dstMac} (its 48 bits) in place: the
     * frame goes at {@code [writerIndex, writerIndex + length)} of the returned buffer, written with absolute setters
     * (no index may move), and is sent by {@link #commit}. Null when the sink has no such room for it (the default):
     * then build the frame in a buffer of its own and {@link #send} it.
     */
    default ByteBuf reserve(long dstMac, int length) {
        return null;
    }

    /** Sends the frame built in the room the last {@link #reserve} gave. */
    default void commit() {
        throw new IllegalStateException("nothing reserved");
    }

    /** Gives back the room the last {@link #reserve} gave, unsent (building the frame failed). */
    default void cancel() {
        throw new IllegalStateException("nothing reserved");
    }
}
