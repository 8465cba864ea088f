package io.userv2.switchd.port;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {
    final FrameDecoder decoder = new FrameDecoder(1518);

    static ByteBuf stream(byte[]... frames) {
        ByteBuf b = Unpooled.buffer();
        for (byte[] f : frames) {
            b.writeInt(f.length).writeBytes(f);
        }
        return b;
    }

    List<byte[]> decodeAll(ByteBuf in) {
        List<byte[]> out = new ArrayList<>();
        assertEquals(FrameDecoder.Outcome.NEED_MORE, decoder.decode(in, (buf, index, length) -> {
            byte[] f = new byte[length];
            buf.getBytes(index, f);
            out.add(f);
            return true;
        }));
        return out;
    }

    @Test
    void cutsBackToBackFrames() {
        byte[] a = new byte[60];
        byte[] b = new byte[1518];
        a[0] = 1;
        b[0] = 2;
        List<byte[]> got = decodeAll(stream(a, b));
        assertEquals(2, got.size());
        assertArrayEquals(a, got.get(0));
        assertArrayEquals(b, got.get(1));
    }

    @Test
    void everySplitPointOfTheStreamYieldsTheSameFrames() {
        Random random = new Random(7);
        byte[][] frames = new byte[5][];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = new byte[14 + random.nextInt(200)];
            random.nextBytes(frames[i]);
        }
        ByteBuf whole = stream(frames);
        for (int split = 0; split <= whole.readableBytes(); split++) {
            ByteBuf in = Unpooled.buffer();
            List<byte[]> got = new ArrayList<>();
            in.writeBytes(whole, 0, split);
            got.addAll(decodeAll(in));
            in.writeBytes(whole, split, whole.readableBytes() - split);
            got.addAll(decodeAll(in));
            assertEquals(frames.length, got.size(), "split at " + split);
            for (int i = 0; i < frames.length; i++) {
                assertArrayEquals(frames[i], got.get(i));
            }
            assertEquals(0, in.readableBytes());
        }
    }

    @Test
    void zeroLengthIsABadLength() {
        ByteBuf in = Unpooled.buffer().writeInt(0).writeZero(20);
        assertEquals(FrameDecoder.Outcome.BAD_LENGTH, decoder.decode(in, (b, i, l) -> true));
    }

    @Test
    void absurdLengthIsABadLengthEvenBeforeItsBytesArrive() {
        ByteBuf in = stream(new byte[60]).writeInt(0x7fffffff);
        List<Integer> lengths = new ArrayList<>();
        assertEquals(FrameDecoder.Outcome.BAD_LENGTH, decoder.decode(in, (b, i, l) -> lengths.add(l)));
        assertEquals(List.of(60), lengths, "frames before the bad prefix are still delivered");
    }

    @Test
    void maximumFrameIsAccepted() {
        assertEquals(1, decodeAll(stream(new byte[1518])).size());
        ByteBuf in = stream(new byte[1519]);
        assertEquals(FrameDecoder.Outcome.BAD_LENGTH, decoder.decode(in, (b, i, l) -> true));
    }
}
