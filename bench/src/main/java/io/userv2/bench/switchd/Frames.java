package io.userv2.bench.switchd;

import io.netty.buffer.ByteBuf;
import io.userv2.stack.wire.MacAddress;
import io.userv2.switchd.port.FrameDecoder;

/**
 * Test frames for the switching benchmarks: Ethernet frames with locally administered unicast addresses and the IEEE
 * "local experimental" EtherType 0x88B5, so the virtual gateway (which also sees every broadcast) drops them as
 * unsupported without answering, and the benchmark's traffic is the only traffic.
 */
final class Frames {
    /** The sending VM's MAC (02:00:00:00:00:0a). */
    static final long MAC_A = 0x0200_0000_000AL;
    /** The receiving VM's MAC (02:00:00:00:00:0b). */
    static final long MAC_B = 0x0200_0000_000BL;
    /** ff:ff:ff:ff:ff:ff. */
    static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    /** IEEE 802 local experimental EtherType 1. */
    static final int ETHERTYPE_EXPERIMENTAL = 0x88B5;
    /** The largest frame the benchmarks send: MTU 65520 plus the 14-byte Ethernet header. */
    static final int JUMBO = 65534;
    /** MTU the benchmark networks run with (the switch's maximum). */
    static final int MTU = 65520;

    private Frames() {
    }

    /**
     * Appends {@code count} length-prefixed frames of {@code frameSize} bytes from {@code src} to {@code dst}, in
     * the QEMU stream framing, at {@code out}'s writer index; the payload is a byte pattern that differs per frame.
     */
    static void writePrefixed(ByteBuf out, int count, int frameSize, long dst, long src) {
        for (int f = 0; f < count; f++) {
            out.writeInt(frameSize);
            int start = out.writerIndex();
            out.writeZero(frameSize);
            MacAddress.write(out, start, dst);
            MacAddress.write(out, start + 6, src);
            out.setShort(start + 12, ETHERTYPE_EXPERIMENTAL);
            for (int i = 14; i < frameSize; i++) {
                out.setByte(start + i, f + i);
            }
        }
    }

    /** Wire size of one prefixed frame. */
    static int wireSize(int frameSize) {
        return FrameDecoder.PREFIX + frameSize;
    }
}
