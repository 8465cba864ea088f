package io.userv2.switchd.capture;

import io.netty.buffer.ByteBuf;

/** Receives a copy of every frame the switch sees, for a capture file. Called on the event-loop thread. */
public interface FrameCapture {
    /** A capture that records nothing. */
    FrameCapture NONE = (buf, index, length) -> { };

    /**
     * Records one frame.
     *
     * @param buf holds the frame; the caller keeps ownership and the bytes are only valid during this call
     */
    void capture(ByteBuf buf, int index, int length);
}
