package io.userv2.stack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayDeque;

/**
 * In-order received bytes not yet read by the application, as a queue of chunks: segments are copied into the tail
 * chunk (allocated on demand, 4 KiB growing to 256 KiB), and out-of-order data that becomes in order is appended as
 * a whole chunk without another copy ({@link #append}). Readers copy ({@link #read(ByteBuf)}), take retained slices
 * ({@link #readRetained(int)}), or hand the chunks to a {@link ByteSink} in place ({@link #drainTo}), which leaves
 * no slice behind: then the last chunk, once read, is reused for the next bytes instead of going back to the pool.
 *
 * <p>The size bound is the connection's business (it advertises a window no larger than the free space). Owns its
 * chunks; {@link #release()} frees them. Not thread-safe.
 */
final class ReceiveBuffer {
    private final ByteBufAllocator alloc;
    /** Made with the first chunk: a connection that never receives data neither holds nor, closing, reads one. */
    private ArrayDeque<ByteBuf> chunks;
    private int readable;

    ReceiveBuffer(ByteBufAllocator alloc) {
        this.alloc = alloc;
    }

    int readableBytes() {
        return readable;
    }

    /** Copies {@code len} bytes of {@code src} from absolute {@code index}; the caller keeps {@code src}. */
    void write(ByteBuf src, int index, int len) {
        readable += len;
        ArrayDeque<ByteBuf> chunks = chunks();
        while (len > 0) {
            ByteBuf tail = chunks.peekLast();
            if (tail == null || !tail.isWritable()) {
                int last = tail != null ? tail.capacity() : 0;
                int size = Math.max(SendBuffer.MIN_CHUNK,
                        Math.min(SendBuffer.MAX_CHUNK, Math.max(last * 2, Integer.highestOneBit(len))));
                tail = alloc.buffer(size, size);
                chunks.addLast(tail);
            }
            int k = Math.min(len, tail.writableBytes());
            tail.writeBytes(src, index, k);
            index += k;
            len -= k;
        }
    }

    /** Appends {@code chunk}'s readable bytes, taking ownership of it. */
    void append(ByteBuf chunk) {
        readable += chunk.readableBytes();
        ArrayDeque<ByteBuf> chunks = chunks();
        ByteBuf tail = chunks.pollLast();
        // Keep the partly filled tail last so that later small segments keep filling it.
        if (tail != null && tail.isWritable() && chunk.readableBytes() < tail.writableBytes()) {
            tail.writeBytes(chunk);
            chunk.release();
            chunks.addLast(tail);
            return;
        }
        if (tail != null) {
            chunks.addLast(tail);
        }
        chunks.addLast(chunk);
    }

    /** Copies up to {@code dst.writableBytes()} bytes into {@code dst}; returns the count. */
    int read(ByteBuf dst) {
        int n = Math.min(readable, dst.writableBytes());
        int left = n;
        while (left > 0) {
            ByteBuf c = chunks.peekFirst();
            int k = Math.min(left, c.readableBytes());
            dst.writeBytes(c, k);
            left -= k;
            retire(c);
        }
        readable -= n;
        return n;
    }

    /**
     * Up to {@code max} bytes from the first chunk as a retained slice the caller owns ({@link Unpooled#EMPTY_BUFFER}
     * when empty). Call again for more: one call never spans two chunks.
     */
    ByteBuf readRetained(int max) {
        ByteBuf c = chunks == null ? null : chunks.peekFirst();
        if (c == null || max <= 0 || !c.isReadable()) {
            return Unpooled.EMPTY_BUFFER;
        }
        int k = Math.min(max, c.readableBytes());
        ByteBuf s = c.readRetainedSlice(k);
        readable -= k;
        retire(c);
        return s;
    }

    /**
     * Offers the chunks in order to {@code sink} until it takes less than it was offered or nothing is left; returns
     * the bytes it took. The sink reads from the chunks themselves (no slice, no copy).
     */
    <E extends Exception> int drainTo(ByteSink<E> sink) throws E {
        if (readable == 0) {
            return 0; // also when no chunk was ever made
        }
        int taken = 0;
        ByteBuf c;
        while ((c = chunks.peekFirst()) != null && c.isReadable()) {
            int offered = c.readableBytes();
            int n = sink.writeFrom(c);
            readable -= n;
            taken += n;
            retire(c);
            if (n < offered) {
                break;
            }
        }
        return taken;
    }

    /**
     * Gives back the chunk kept for reuse when nothing is buffered and no slice holds it (an idle connection's last
     * chunk, up to 256 KiB); the next bytes allocate again. Returns the bytes of memory given back.
     */
    int releaseIfEmpty() {
        ByteBuf c = chunks == null ? null : chunks.peekFirst();
        if (readable != 0 || c == null || chunks.size() != 1 || c.isReadable() || c.refCnt() != 1) {
            return 0;
        }
        chunks.pollFirst();
        int capacity = c.capacity();
        c.release();
        return capacity;
    }

    /** Discards everything (a reset flushes the queues). */
    void release() {
        if (chunks == null) {
            return;
        }
        ByteBuf c;
        while ((c = chunks.pollFirst()) != null) {
            c.release();
        }
        readable = 0;
    }

    private ArrayDeque<ByteBuf> chunks() {
        if (chunks == null) {
            chunks = new ArrayDeque<>();
        }
        return chunks;
    }

    private void retire(ByteBuf c) {
        if (c.isReadable()) {
            return;
        }
        if (chunks.size() == 1 && c.refCnt() == 1) {
            c.clear(); // no slice outstanding: start over at the front of the same memory, full or not
            return;
        }
        if (chunks.size() == 1 && c.isWritable()) {
            return; // a slice still holds the front: later bytes go behind it
        }
        chunks.pollFirst();
        c.release();
    }
}
