package io.userv2.switchd.switching;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Builds minimal Ethernet frames for switch tests. */
public final class Frames {
    private Frames() {
    }

    /** A frame from {@code src} to {@code dst} (48-bit values) with EtherType 0x88b5 (local experimental) and a tag byte. */
    public static ByteBuf frame(long dst, long src, int tag, int length) {
        ByteBuf b = Unpooled.buffer(length);
        b.writeShort((int) (dst >>> 32)).writeInt((int) dst);
        b.writeShort((int) (src >>> 32)).writeInt((int) src);
        b.writeShort(0x88b5);
        while (b.readableBytes() < length) {
            b.writeByte(tag);
        }
        return b;
    }
}
