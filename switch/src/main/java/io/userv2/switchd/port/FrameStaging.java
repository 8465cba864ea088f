package io.userv2.switchd.port;

import io.netty.buffer.ByteBuf;

/**
 * The egress staging format every port writes towards its peer: {@code [4-byte big-endian length][frame]} records
 * back to back in one bounded buffer, written with as few system calls as the transport allows. One place for the
 * append rule so the ports agree on it.
 */
public final class FrameStaging {
    private FrameStaging() {
    }

    /**
     * Appends one frame with its length prefix to {@code out}, first reclaiming the space already written out if
     * that makes it fit.
     *
     * @param out the staging buffer; its max capacity is the queue bound
     * @param buf holds the frame; the caller keeps ownership (the bytes are copied)
     * @return false when the frame does not fit under the bound (the caller counts the drop)
     */
    public static boolean append(ByteBuf out, ByteBuf buf, int index, int length) {
        if (!makeRoom(out, length)) {
            return false;
        }
        out.writeInt(length);
        out.writeBytes(buf, index, length);
        return true;
    }

    /**
     * Makes {@code out} writable for one record of a {@code length}-byte frame, first reclaiming the space already
     * written out if that makes it fit; false when it does not fit under the bound.
     */
    public static boolean makeRoom(ByteBuf out, int length) {
        int need = FrameDecoder.PREFIX + length;
        if (out.maxWritableBytes() < need && out.readerIndex() > 0) {
            out.discardReadBytes();
        }
        if (out.maxWritableBytes() < need) {
            return false;
        }
        out.ensureWritable(need);
        return true;
    }
}
