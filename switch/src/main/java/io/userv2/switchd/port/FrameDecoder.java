package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;

/**
 * Cuts the QEMU stream framing (each Ethernet frame preceded by its length as a 4-byte big-endian unsigned integer,
 * frames back to back, a read may end anywhere, even inside the length) into frames, without copying.
 *
 * <p>Stateless: all state is the buffer's reader index. The caller owns the buffer throughout.
 */
public final class FrameDecoder {
    /** Size of the length prefix. */
    public static final int PREFIX = 4;

    /** What {@link #decode} found. */
    public enum Outcome {
        /** Every complete frame was handed over; the bytes left (if any) are the start of the next frame. */
        NEED_MORE,
        /** A length prefix of 0 or above the maximum: the stream is corrupt and must be closed. */
        BAD_LENGTH,
        /** The consumer did not take a frame (its budget is spent): the reader index is at that frame's prefix. */
        PAUSED
    }

    /** Receives each complete frame. */
    @FunctionalInterface
    public interface FrameConsumer {
        /**
         * One frame at {@code buf[index, index+length)}; valid only during the call; the decoder owns {@code buf}.
         *
         * @return true when the frame was taken; false to leave it (and those after it) unread for now
         */
        boolean frame(ByteBuf buf, int index, int length);
    }

    private final int maxFrame;

    /** A decoder accepting frames of 1 to {@code maxFrame} bytes. */
    public FrameDecoder(int maxFrame) {
        this.maxFrame = maxFrame;
    }

    /** The largest frame accepted. */
    public int maxFrame() {
        return maxFrame;
    }

    /**
     * Hands every complete frame between {@code buf}'s reader and writer index to {@code consumer}, advancing the
     * reader index past them. Stops at the first incomplete frame, at a bad length, or at a frame the consumer did
     * not take (leaving the reader index at that frame's prefix).
     */
    public Outcome decode(ByteBuf buf, FrameConsumer consumer) {
        int r = buf.readerIndex();
        int w = buf.writerIndex();
        try {
            while (w - r >= PREFIX) {
                long len = buf.getUnsignedInt(r);
                if (len == 0 || len > maxFrame) {
                    return Outcome.BAD_LENGTH;
                }
                if (w - r - PREFIX < len) {
                    break;
                }
                if (!consumer.frame(buf, r + PREFIX, (int) len)) {
                    return Outcome.PAUSED;
                }
                r += PREFIX + (int) len;
            }
            return Outcome.NEED_MORE;
        } finally {
            buf.readerIndex(r);
        }
    }
}
