package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;

/**
 * The Internet checksum computed the obvious way, one 16-bit word at a time, as in RFC 1071 section 4.1. Same
 * semantics as {@link Checksum#compute}; kept deliberately simple as the test oracle and the benchmark baseline for
 * {@link Checksum}. The caller keeps ownership of every buffer passed in; indices are not moved.
 */
public final class ReferenceChecksum {
    private ReferenceChecksum() {
    }

    /** The checksum of {@code [index, index + length)} of {@code buf} (an odd last byte is padded with zero). */
    public static int compute(ByteBuf buf, int index, int length) {
        return Checksum.finish(partial(buf, index, length, 0));
    }

    /** The folded, uncomplemented sum of the bytes plus {@code seed}, like {@link Checksum#partial}. */
    public static int partial(ByteBuf buf, int index, int length, int seed) {
        long sum = seed & 0xFFFF_FFFFL;
        int i = 0;
        while (length - i > 1) {
            sum += ((buf.getByte(index + i) & 0xFF) << 8) | (buf.getByte(index + i + 1) & 0xFF);
            i += 2;
        }
        if (length - i > 0) {
            sum += (buf.getByte(index + i) & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }
}
