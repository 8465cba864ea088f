package io.userv2.stack.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum of the 16-bit words.
 *
 * <p>Vocabulary: a <em>partial</em> sum is the folded (16-bit) but not complemented sum, which can be combined with
 * other partial sums by passing it as the next {@code seed}; {@link #finish} folds and complements it into the value
 * that goes on the wire. A checksum computed over data whose checksum field is already filled in verifies when
 * {@link #compute} returns 0.
 *
 * <p>Speed: the sum is taken eight bytes at a time. Because 2^16 = 1 (mod 2^16 - 1), adding the two 32-bit halves of
 * each big-endian 64-bit word into a {@code long} and folding at the end gives the same result as adding 16-bit words
 * (RFC 1071 section 2, "parallel summation"). Heap buffers are read through a byte-array {@link VarHandle}; other
 * buffers through {@link ByteBuf#getLong}. No method allocates, and none moves the buffer's indices or changes its
 * reference count: the caller keeps ownership of every buffer passed in.
 *
 * <p>{@link ReferenceChecksum} is the plain byte-pair loop with the same semantics: the test oracle and benchmark
 * baseline.
 */
public final class Checksum {
    private static final boolean NATIVE_LITTLE_ENDIAN = !PlatformDependent.BIG_ENDIAN_NATIVE_ORDER;
    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private Checksum() {
    }

    /**
     * Adds the bytes {@code [index, index + length)} of {@code buf} to {@code seed} as 16-bit big-endian words (an odd
     * trailing byte is padded with a zero byte on its right) and returns the sum folded to 16 bits, not complemented.
     * The caller keeps ownership of {@code buf}; its indices are not moved.
     *
     * @param seed a previous partial sum (or 0); treated as an unsigned 32-bit value
     * @return the folded partial sum, 0..0xFFFF
     */
    public static int partial(ByteBuf buf, int index, int length, int seed) {
        long sum = seed & 0xFFFF_FFFFL;
        if (length <= 0) {
            return fold(sum);
        }
        int i = index;
        int end = index + length;
        if (buf.hasArray()) {
            byte[] array = buf.array();
            int base = buf.arrayOffset();
            if (index < 0 || length > buf.capacity() - index) { // bounds once, as ByteBuf.getLong would
                throw new IndexOutOfBoundsException("index " + index + " length " + length + " capacity " + buf.capacity());
            }
            int a = base + index;
            int aEnd = base + end;
            // Four accumulators: each adds at most 2^33 per step, so none overflows below 2^30 steps (8 GiB).
            long s0 = 0;
            long s1 = 0;
            for (; a + 16 <= aEnd; a += 16) {
                long v0 = (long) LONGS.get(array, a);
                long v1 = (long) LONGS.get(array, a + 8);
                s0 += (v0 >>> 32) + (v0 & 0xFFFF_FFFFL);
                s1 += (v1 >>> 32) + (v1 & 0xFFFF_FFFFL);
            }
            sum += fold64(s0) + fold64(s1);
            i = a - base;
        } else if (buf.hasMemoryAddress() && PlatformDependent.hasUnsafe()) {
            if (index < 0 || length > buf.capacity() - index) {
                throw new IndexOutOfBoundsException("index " + index + " length " + length + " capacity " + buf.capacity());
            }
            // Direct memory (slices included): plain native-order loads, no per-word bounds checks or byte swaps.
            // RFC 1071 2(B), byte order independence: the sum of byte-swapped words is the byte-swapped sum, so on a
            // little-endian machine the folded result is swapped back once at the end.
            long address = buf.memoryAddress() + index;
            int blocks = length & ~15;
            long s0 = 0;
            long s1 = 0;
            for (long p = address, pEnd = address + blocks; p < pEnd; p += 16) {
                long v0 = PlatformDependent.getLong(p);
                long v1 = PlatformDependent.getLong(p + 8);
                s0 += (v0 >>> 32) + (v0 & 0xFFFF_FFFFL);
                s1 += (v1 >>> 32) + (v1 & 0xFFFF_FFFFL);
            }
            int native16 = fold(fold64(s0) + fold64(s1));
            sum += NATIVE_LITTLE_ENDIAN ? ((native16 & 0xFF) << 8) | (native16 >>> 8) : native16;
            i = index + blocks;
        } else {
            long s = 0;
            for (; i + 8 <= end; i += 8) {
                long v = buf.getLong(i);
                s += (v >>> 32) + (v & 0xFFFF_FFFFL);
            }
            sum += fold64(s);
        }
        // Tail of fewer than 16 (heap) or 8 (other) bytes; word parity is preserved because i - index is even.
        for (; i + 8 <= end; i += 8) {
            long v = buf.getLong(i);
            sum += (v >>> 32) + (v & 0xFFFF_FFFFL);
        }
        if (i + 4 <= end) {
            sum += buf.getUnsignedInt(i);
            i += 4;
        }
        if (i + 2 <= end) {
            sum += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            sum += (buf.getUnsignedByte(i) << 8);
        }
        return fold(sum);
    }

    /**
     * Copies {@code length} bytes from {@code src} at {@code srcIndex} to {@code dst} at {@code dstIndex} and returns
     * {@link #partial} of the copied bytes with {@code seed}, in one pass over them where both buffers are direct (each
     * eight-byte word is summed as it is copied, RFC 1071 4.1's "Integrated checksum and copy"); otherwise a copy, then
     * the sum. Moves no index; the caller keeps both buffers.
     */
    public static int copyAndPartial(ByteBuf src, int srcIndex, ByteBuf dst, int dstIndex, int length, int seed) {
        if (length <= 0) {
            return fold(seed & 0xFFFF_FFFFL);
        }
        if (!(src.hasMemoryAddress() && dst.hasMemoryAddress() && PlatformDependent.hasUnsafe())) {
            dst.setBytes(dstIndex, src, srcIndex, length);
            return partial(dst, dstIndex, length, seed);
        }
        if (srcIndex < 0 || length > src.capacity() - srcIndex || dstIndex < 0 || length > dst.capacity() - dstIndex) {
            throw new IndexOutOfBoundsException("copy of " + length + " from " + srcIndex + " (capacity "
                    + src.capacity() + ") to " + dstIndex + " (capacity " + dst.capacity() + ")");
        }
        long from = src.memoryAddress() + srcIndex;
        long to = dst.memoryAddress() + dstIndex;
        int words = length & ~7;
        long s = 0;
        for (int i = 0; i < words; i += 8) {
            long v = PlatformDependent.getLong(from + i);
            PlatformDependent.putLong(to + i, v);
            s += (v >>> 32) + (v & 0xFFFF_FFFFL);
        }
        // Native order, as in partial's direct path: the sum of byte-swapped words is the byte-swapped sum.
        int native16 = fold(fold64(s));
        long sum = (seed & 0xFFFF_FFFFL)
                + (NATIVE_LITTLE_ENDIAN ? ((native16 & 0xFF) << 8) | (native16 >>> 8) : native16);
        if (words < length) { // the tail, at an even distance from the start: its words line up
            dst.setBytes(dstIndex + words, src, srcIndex + words, length - words);
            sum += partial(dst, dstIndex + words, length - words, 0);
        }
        return fold(sum);
    }

    /**
     * The folded partial sum of the IPv4 pseudo header (RFC 768, RFC 793 section 3.1): source address, destination
     * address, zero, protocol, and the upper-layer length. Pass it as the seed of {@link #partial}.
     *
     * @param srcAddr  source IPv4 address bits
     * @param dstAddr  destination IPv4 address bits
     * @param protocol IP protocol number (0..255)
     * @param length   UDP/TCP length: header plus data (0..65535)
     */
    public static int pseudoHeaderIpv4(int srcAddr, int dstAddr, int protocol, int length) {
        long sum = (srcAddr >>> 16) + (srcAddr & 0xFFFF) + (dstAddr >>> 16) + (dstAddr & 0xFFFF)
                + (protocol & 0xFF) + (length & 0xFFFF);
        return fold(sum);
    }

    /**
     * The folded partial sum of the IPv6 pseudo header (RFC 8200 section 8.1): source address, destination address,
     * the 32-bit upper-layer packet length, three zero bytes and the next header value. "The Next Header value in the
     * pseudo-header identifies the upper-layer protocol (e.g., 6 for TCP or 17 for UDP). It will differ from the Next
     * Header value in the IPv6 header if there are extension headers between the IPv6 header and the upper-layer
     * header." Pass it as the seed of {@link #partial}. Allocates nothing.
     *
     * @param srcHigh    first 64 bits of the source address (see {@link Ipv6Address})
     * @param srcLow     last 64 bits of the source address
     * @param dstHigh    first 64 bits of the destination address (the final one if there is a Routing header)
     * @param dstLow     last 64 bits of the destination address
     * @param nextHeader the upper-layer protocol number (0..255)
     * @param length     upper-layer packet length: its header plus data, without extension headers (0..65535)
     */
    public static int pseudoHeaderIpv6(long srcHigh, long srcLow, long dstHigh, long dstLow, int nextHeader,
                                       int length) {
        // Adding 32-bit pieces is adding 16-bit words, since 2^16 = 1 (mod 2^16 - 1); the sum stays below 2^36.
        long sum = (srcHigh >>> 32) + (srcHigh & 0xFFFF_FFFFL) + (srcLow >>> 32) + (srcLow & 0xFFFF_FFFFL)
                + (dstHigh >>> 32) + (dstHigh & 0xFFFF_FFFFL) + (dstLow >>> 32) + (dstLow & 0xFFFF_FFFFL)
                + (length & 0xFFFF_FFFFL) + (nextHeader & 0xFF);
        return fold(sum);
    }

    /** Folds {@code partial} to 16 bits and complements it: the value to store in a checksum field, 0..0xFFFF. */
    public static int finish(int partial) {
        return ~fold(partial & 0xFFFF_FFFFL) & 0xFFFF;
    }

    /**
     * The checksum of {@code [index, index + length)} of {@code buf}: {@code finish(partial(buf, index, length, 0))}.
     * Over bytes that include a correct checksum field this is 0. The caller keeps ownership of {@code buf}.
     */
    public static int compute(ByteBuf buf, int index, int length) {
        return finish(partial(buf, index, length, 0));
    }

    /**
     * Incrementally updates a checksum after one 16-bit word of the covered data changed from {@code oldWord} to
     * {@code newWord}, per RFC 1624 eqn. 3: {@code HC' = ~(~HC + ~m + m')}.
     */
    public static int update16(int oldChecksum, int oldWord, int newWord) {
        long sum = (~oldChecksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /**
     * Incrementally updates a checksum after an aligned 32-bit value (e.g. an IPv4 address) of the covered data changed
     * from {@code oldValue} to {@code newValue}: RFC 1624 eqn. 3 applied to both 16-bit halves.
     */
    public static int update32(int oldChecksum, int oldValue, int newValue) {
        long sum = (~oldChecksum & 0xFFFF)
                + (~(oldValue >>> 16) & 0xFFFF) + (~oldValue & 0xFFFF)
                + (newValue >>> 16) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /** Reduces a 64-bit accumulator of 32-bit addends to at most 33 bits without changing it mod 0xFFFF. */
    private static long fold64(long s) {
        s = (s >>> 32) + (s & 0xFFFF_FFFFL);
        return s;
    }

    /** Folds carries of a non-negative sum into 16 bits (end-around carry). */
    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum >>> 16) + (sum & 0xFFFF);
        }
        return (int) sum;
    }
}
