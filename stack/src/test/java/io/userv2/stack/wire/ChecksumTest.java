package io.userv2.stack.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumTest {
    private final Random random = new Random(1071);

    @Test
    void rfc1071NumericalExample() {
        // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2; the checksum is its complement.
        ByteBuf buf = HexLiteral.buffer("00 01 f2 03 f4 f5 f6 f7");
        assertEquals(0xddf2, Checksum.partial(buf, 0, 8, 0));
        assertEquals(0x220d, Checksum.compute(buf, 0, 8));
        assertEquals(0x220d, ReferenceChecksum.compute(buf, 0, 8));
    }

    @Test
    void emptyAndZeroData() {
        ByteBuf buf = Unpooled.buffer(16).writeZero(16);
        assertEquals(0xFFFF, Checksum.compute(buf, 0, 0));
        assertEquals(0xFFFF, Checksum.compute(buf, 3, 13));
        assertEquals(0, Checksum.partial(buf, 0, 0, 0));
        assertEquals(0x1234, Checksum.partial(buf, 0, 16, 0x1234));
    }

    @Test
    void oddTrailingBytePaddedWithZeroOnTheRight() {
        ByteBuf buf = HexLiteral.buffer("ab");
        assertEquals(0xab00, Checksum.partial(buf, 0, 1, 0));
    }

    @Test
    void matchesReferenceOnHeapBuffersOfEveryLengthAndOffset() {
        byte[] data = new byte[3100];
        random.nextBytes(data);
        ByteBuf heap = Unpooled.wrappedBuffer(data);
        for (int length = 0; length <= 3000; length++) {
            for (int offset = 0; offset < 8; offset += (length < 200 ? 1 : 3)) {
                assertSame(heap, offset, length);
            }
        }
    }

    @Test
    void matchesReferenceOnDirectAndSlicedBuffers() {
        byte[] data = new byte[3100];
        random.nextBytes(data);
        ByteBuf direct = Unpooled.directBuffer(data.length).writeBytes(data);
        ByteBuf slice = Unpooled.wrappedBuffer(data).slice(5, 3000); // heap with a non-zero array offset
        try {
            for (int length = 0; length <= 3000; length += 1 + random.nextInt(7)) {
                int offset = random.nextInt(8);
                assertSame(direct, offset, length);
                assertSame(slice, offset, Math.min(length, 3000 - offset));
            }
        } finally {
            direct.release();
        }
    }

    @Test
    void matchesReferenceOnPooledDirectSlicesAtEveryAlignment() {
        byte[] data = new byte[70_000];
        random.nextBytes(data);
        ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(data.length).writeBytes(data);
        try {
            for (int start = 0; start < 16; start++) {
                ByteBuf slice = pooled.retainedSlice(start, 65_536 + start % 3); // the switch hands frames on so
                try {
                    assertTrue(slice.hasMemoryAddress());
                    assertSame(slice, 0, slice.capacity());
                    assertSame(slice, 7, slice.capacity() - 7);
                } finally {
                    slice.release();
                }
            }
        } finally {
            pooled.release();
        }
    }

    @Test
    void matchesReferenceOnCompositeBuffersAndWithSeeds() {
        CompositeByteBuf composite = Unpooled.compositeBuffer();
        for (int i = 0; i < 5; i++) {
            byte[] part = new byte[1 + random.nextInt(300)];
            random.nextBytes(part);
            composite.addComponent(true, Unpooled.wrappedBuffer(part));
        }
        try {
            for (int i = 0; i < 500; i++) {
                int offset = random.nextInt(composite.readableBytes());
                int length = random.nextInt(composite.readableBytes() - offset + 1);
                int seed = random.nextInt() >>> random.nextInt(32);
                assertEquals(ReferenceChecksum.partial(composite, offset, length, seed),
                        Checksum.partial(composite, offset, length, seed));
            }
        } finally {
            composite.release();
        }
    }

    /** The copy and the sum of {@link Checksum#copyAndPartial}, against a plain copy and the reference sum. */
    @Test
    void copyAndPartialCopiesAndSumsAsACopyThenTheSumWould() {
        byte[] data = new byte[70_000];
        random.nextBytes(data);
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(data.length).writeBytes(data);
        ByteBuf heap = Unpooled.wrappedBuffer(data);
        ByteBuf into = PooledByteBufAllocator.DEFAULT.directBuffer(data.length + 64);
        ByteBuf intoHeap = Unpooled.buffer(data.length + 64);
        try {
            for (ByteBuf src : List.of(direct, heap)) {
                for (ByteBuf dst : List.of(into, intoHeap)) {
                    for (int i = 0; i < 100; i++) {
                        int length = i < 30 ? i : i < 95 ? random.nextInt(2000) : 65_000 + random.nextInt(5000);
                        int from = random.nextInt(data.length - length + 1);
                        int to = random.nextInt(64);
                        int seed = random.nextInt() >>> random.nextInt(32);
                        byte[] before = new byte[dst.capacity()];
                        dst.getBytes(0, before);
                        int sum = Checksum.copyAndPartial(src, from, dst, to, length, seed);
                        assertEquals(ReferenceChecksum.partial(src, from, length, seed), sum,
                                () -> "sum of " + length + " bytes from " + from + " to " + to);
                        byte[] after = new byte[dst.capacity()];
                        dst.getBytes(0, after);
                        System.arraycopy(data, from, before, to, length);
                        assertArrayEquals(before, after, "exactly the bytes copied, nothing else written");
                    }
                }
            }
            assertEquals(0, direct.readerIndex() + into.writerIndex(), "no index moved");
        } finally {
            direct.release();
            into.release();
        }
    }

    /**
     * The one-pass copy reads and writes through the buffers' memory addresses, past their index checks: a released
     * buffer must still fail it, as the plain copy does (netty's {@code memoryAddress()} checks the reference count).
     * Pooled buffers, so that if it did not, the freed memory would still be the pool's.
     */
    @Test
    void copyAndPartialRefusesAReleasedBuffer() {
        PooledByteBufAllocator pool = PooledByteBufAllocator.DEFAULT;
        ByteBuf live = pool.directBuffer(256).writeZero(256);
        try {
            ByteBuf gone = pool.directBuffer(256).writeZero(256);
            gone.release();
            assertThrows(IllegalReferenceCountException.class, () -> Checksum.copyAndPartial(gone, 0, live, 0, 200, 0));
            assertThrows(IllegalReferenceCountException.class, () -> Checksum.copyAndPartial(live, 0, gone, 0, 200, 0));
        } finally {
            live.release();
        }
    }

    @Test
    void allOnesDataDoesNotOverflow() {
        ByteBuf buf = Unpooled.buffer(70_000).writeBytes(new byte[70_000]);
        for (int i = 0; i < 70_000; i++) {
            buf.setByte(i, 0xFF);
        }
        assertEquals(ReferenceChecksum.compute(buf, 0, 70_000), Checksum.compute(buf, 0, 70_000));
        assertEquals(ReferenceChecksum.compute(buf, 1, 69_999), Checksum.compute(buf, 1, 69_999));
    }

    @Test
    void pseudoHeaderEqualsSumOfItsBytes() {
        for (int i = 0; i < 1000; i++) {
            int src = random.nextInt();
            int dst = random.nextInt();
            int protocol = random.nextInt(256);
            int length = random.nextInt(65536);
            ByteBuf pseudo = Unpooled.buffer(12).writeInt(src).writeInt(dst).writeByte(0).writeByte(protocol)
                    .writeShort(length);
            assertEquals(ReferenceChecksum.partial(pseudo, 0, 12, 0),
                    Checksum.pseudoHeaderIpv4(src, dst, protocol, length));
        }
    }

    @Test
    void partialSumsCombineWhenSplitAtEvenOffsets() {
        byte[] data = new byte[1500];
        random.nextBytes(data);
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        for (int split = 0; split <= 1500; split += 2) {
            int first = Checksum.partial(buf, 0, split, 0);
            assertEquals(Checksum.compute(buf, 0, 1500), Checksum.finish(Checksum.partial(buf, split, 1500 - split,
                    first)));
        }
    }

    @Test
    void incrementalUpdate16EqualsRecomputation() {
        for (int i = 0; i < 2000; i++) {
            int length = 2 * (2 + random.nextInt(40));
            ByteBuf buf = Unpooled.buffer(length).writeBytes(randomBytes(length));
            buf.setShort(0, 0);
            buf.setShort(0, Checksum.compute(buf, 0, length)); // checksum field at offset 0
            int word = 2 + 2 * random.nextInt(length / 2 - 1);
            int oldWord = buf.getUnsignedShort(word);
            int newWord = random.nextInt(65536);
            int updated = Checksum.update16(buf.getUnsignedShort(0), oldWord, newWord);
            buf.setShort(word, newWord);
            buf.setShort(0, 0);
            assertEquals(Checksum.compute(buf, 0, length), updated, "length " + length + " word " + word);
        }
    }

    @Test
    void incrementalUpdate32EqualsRecomputation() {
        for (int i = 0; i < 2000; i++) {
            ByteBuf buf = Unpooled.buffer(20).writeBytes(randomBytes(20));
            buf.setShort(10, 0);
            int checksum = Checksum.compute(buf, 0, 20);
            int oldAddress = buf.getInt(12);
            int newAddress = random.nextInt();
            int updated = Checksum.update32(checksum, oldAddress, newAddress);
            buf.setInt(12, newAddress);
            assertEquals(Checksum.compute(buf, 0, 20), updated);
        }
    }

    @Test
    void ipv6PseudoHeaderEqualsTheReferenceSumOfItsBytes() {
        for (int i = 0; i < 5000; i++) {
            // RFC 8200 8.1: source, destination, 32-bit upper-layer length, three zero bytes, next header.
            ByteBuf pseudo = Unpooled.buffer(40).writeBytes(randomBytes(32));
            int length = i < 3 ? new int[] {0, 0xFFFF, 1}[i] : random.nextInt(0x10000);
            int nextHeader = i < 3 ? 255 : random.nextInt(256);
            pseudo.writeInt(length).writeMedium(0).writeByte(nextHeader);
            int sum = Checksum.pseudoHeaderIpv6(pseudo.getLong(0), pseudo.getLong(8), pseudo.getLong(16),
                    pseudo.getLong(24), nextHeader, length);
            assertEquals(ReferenceChecksum.partial(pseudo, 0, 40, 0), sum, "sample " + i);
        }
        assertEquals(0, Checksum.pseudoHeaderIpv6(0, 0, 0, 0, 0, 0));
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static void assertSame(ByteBuf buf, int offset, int length) {
        assertEquals(ReferenceChecksum.compute(buf, offset, length), Checksum.compute(buf, offset, length),
                () -> (buf.isDirect() ? "direct" : "heap") + " offset " + offset + " length " + length);
    }
}
