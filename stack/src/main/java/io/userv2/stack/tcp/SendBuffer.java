package io.userv2.stack.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The bytes of one direction that are queued or sent but not yet acknowledged, oldest first: byte 0 is the one at
 * SND.UNA. Stored as a queue of chunks allocated on demand (growing from 4 KiB to {@value #MAX_CHUNK} bytes, so a
 * short exchange holds little memory) and released as soon as they are fully acknowledged.
 *
 * <p>Segments get their payload from {@link #retainedSlice}: a retained slice of one chunk (or a composite of slices
 * when a segment crosses a chunk boundary), so the only copy after {@link #write} is the emitter's. Chunk memory is
 * never rewritten while referenced: new bytes are only appended past a chunk's writer index, which no slice covers, and
 * a released chunk stays alive until the last slice of it is released.
 *
 * <p>Owns its chunks; {@link #release()} frees them. Not thread-safe.
 */
final class SendBuffer {
    static final int MIN_CHUNK = 4096;
    static final int MAX_CHUNK = 256 * 1024;
    private static final ByteBuf[] NO_CHUNKS = new ByteBuf[0];

    private final ByteBufAllocator alloc;
    private final int capacity;
    /** A ring of chunks, its length a power of two; empty (shared) until the first byte is written. */
    private ByteBuf[] chunks = NO_CHUNKS;
    private int head;
    private int count;
    private int length;

    SendBuffer(ByteBufAllocator alloc, int capacity) {
        this.alloc = alloc;
        this.capacity = capacity;
    }

    /** Bytes held (unacknowledged plus unsent). */
    int length() {
        return length;
    }

    /** Room left before the configured capacity. */
    int free() {
        return capacity - length;
    }

    /**
     * Copies up to {@link #free()} readable bytes of {@code src} in, advancing its reader index; returns the count.
     * The caller keeps ownership of {@code src}.
     */
    int write(ByteBuf src) {
        int n = Math.min(src.readableBytes(), free());
        int left = n;
        while (left > 0) {
            ByteBuf tail = writableTail(left);
            int k = Math.min(left, tail.writableBytes());
            tail.writeBytes(src, k);
            left -= k;
        }
        length += n;
        return n;
    }

    /**
     * Lets {@code src} write up to {@code max} bytes (and at most {@link #free()}) straight into the chunks, until it
     * gives fewer than asked. Returns the bytes taken, or -1 when {@code src} was at its end before giving any.
     */
    <E extends Exception> int writeFrom(ByteSource<E> src, int max) throws E {
        int want = Math.min(max, free());
        int taken = 0;
        try {
            while (taken < want) {
                ByteBuf tail = writableTail(want - taken);
                int room = Math.min(want - taken, tail.writableBytes());
                int n = src.readInto(tail, room);
                if (n < 0) {
                    return taken == 0 ? -1 : taken; // the end shows again on the next call
                }
                taken += n;
                if (n < room) {
                    break; // the source has no more now
                }
            }
            return taken;
        } finally {
            length += taken;
        }
    }

    /** The last chunk if it has room, else a new one sized for {@code left} more bytes (doubling, within bounds). */
    private ByteBuf writableTail(int left) {
        ByteBuf tail = count > 0 ? chunks[(head + count - 1) & (chunks.length - 1)] : null;
        if (tail == null || !tail.isWritable()) {
            int last = tail != null ? tail.capacity() : 0;
            int size = Math.max(MIN_CHUNK, Math.min(MAX_CHUNK, Math.max(last * 2, Integer.highestOneBit(left))));
            tail = alloc.buffer(size, size);
            push(tail);
        }
        return tail;
    }

    /**
     * {@code len} bytes from {@code offset} (relative to SND.UNA) as a buffer the caller owns and must release:
     * {@link Unpooled#EMPTY_BUFFER} for 0, a retained slice of one chunk, or a composite of retained slices.
     */
    ByteBuf retainedSlice(int offset, int len) {
        if (len == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        if (offset < 0 || len < 0 || offset > length - len) {
            throw new IndexOutOfBoundsException("offset " + offset + " len " + len + " of " + length);
        }
        int mask = chunks.length - 1;
        int i = 0;
        ByteBuf c = chunks[head];
        while (offset >= c.readableBytes()) {
            offset -= c.readableBytes();
            c = chunks[(head + ++i) & mask];
        }
        int first = Math.min(len, c.readableBytes() - offset);
        ByteBuf s = c.retainedSlice(c.readerIndex() + offset, first);
        if (first == len) {
            return s;
        }
        CompositeByteBuf comp = alloc.compositeBuffer(4);
        comp.addComponent(true, s);
        int left = len - first;
        while (left > 0) {
            c = chunks[(head + ++i) & mask];
            int k = Math.min(left, c.readableBytes());
            comp.addComponent(true, c.retainedSlice(c.readerIndex(), k));
            left -= k;
        }
        return comp;
    }

    /** Drops the first {@code n} bytes (they were acknowledged), releasing chunks that are done. */
    void consume(int n) {
        if (n < 0 || n > length) {
            throw new IndexOutOfBoundsException("consume " + n + " of " + length);
        }
        length -= n;
        int mask = chunks.length - 1;
        while (n > 0) {
            ByteBuf c = chunks[head];
            int k = Math.min(n, c.readableBytes());
            c.skipBytes(k);
            n -= k;
            if (!c.isReadable() && (count > 1 || !c.isWritable())) {
                c.release();
                chunks[head] = null;
                head = (head + 1) & mask;
                count--;
            }
        }
        if (count == 1 && length == 0 && chunks[head].refCnt() == 1) {
            chunks[head].clear(); // nobody holds a slice: reuse the memory from the start
        }
    }

    /** Releases every chunk; the buffer is empty afterwards. Idempotent. */
    void release() {
        if (count == 0) {
            return; // the ring is not read: closing a flow that never carried data touches less memory
        }
        int mask = chunks.length - 1;
        for (int i = 0; i < count; i++) {
            chunks[(head + i) & mask].release();
            chunks[(head + i) & mask] = null;
        }
        head = 0;
        count = 0;
        length = 0;
    }

    private void push(ByteBuf c) {
        if (count == chunks.length) {
            ByteBuf[] bigger = new ByteBuf[Math.max(8, chunks.length * 2)];
            for (int i = 0; i < count; i++) {
                bigger[i] = chunks[(head + i) & (chunks.length - 1)];
            }
            chunks = bigger;
            head = 0;
        }
        chunks[(head + count) & (chunks.length - 1)] = c;
        count++;
    }
}
