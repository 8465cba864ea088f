package io.userv2.switchd.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

/** The capture copies on the loop and writes on its own thread; libpcap (pcap4j) reads the result back. */
class PcapWriterTest {
    @TempDir
    Path dir;

    /** Frame {@code i}: {@code length} bytes, each {@code (byte) (i + k)}, at a non-zero index in a bigger buffer. */
    static ByteBuf frame(int i, int length) {
        ByteBuf b = Unpooled.buffer(length + 7);
        b.writerIndex(7);
        for (int k = 0; k < length; k++) {
            b.writeByte(i + k);
        }
        b.readerIndex(7);
        return b;
    }

    static byte[] bytes(ByteBuf b) {
        byte[] a = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), a);
        return a;
    }

    static void capture(PcapWriter w, int i, int length) {
        ByteBuf f = frame(i, length);
        try {
            w.capture(f, f.readerIndex(), f.readableBytes());
        } finally {
            f.release();
        }
    }

    /** Asserts libpcap reads exactly {@code count} frames of {@code length(i)} bytes, frame i as {@link #frame}. */
    static void assertCapture(Path file, int count, java.util.function.IntUnaryOperator length) throws Exception {
        try (PcapHandle h = Pcaps.openOffline(file.toString())) {
            for (int i = 0; i < count; i++) {
                ByteBuf expected = frame(i, length.applyAsInt(i));
                try {
                    assertArrayEquals(bytes(expected), h.getNextRawPacketEx(), "frame " + i);
                } finally {
                    expected.release();
                }
            }
            assertThrows(EOFException.class, h::getNextRawPacketEx, "nothing after the last frame");
        }
    }

    /** A channel that waits until the test opens it, then appends to memory (or fails, if told to). */
    static final class SlowChannel implements WritableByteChannel {
        final CountDownLatch open = new CountDownLatch(1);
        final CountDownLatch firstWrite = new CountDownLatch(1);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        boolean fail;
        boolean closed;

        @Override
        public int write(ByteBuffer src) throws IOException {
            firstWrite.countDown();
            try {
                if (!open.await(10, TimeUnit.SECONDS)) {
                    throw new IOException("the test never let the write go on");
                }
            } catch (InterruptedException e) {
                throw new InterruptedIOException();
            }
            if (fail) {
                throw new IOException("disk on fire");
            }
            int n = src.remaining();
            byte[] a = new byte[n];
            src.get(a);
            synchronized (written) {
                written.writeBytes(a);
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return !closed;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void aRealFileHoldsEveryFrameInOrderAfterClose() throws Exception {
        Path file = dir.resolve("cap.pcap");
        PcapWriter w = new PcapWriter(file);
        int frames = 1000;
        for (int i = 0; i < frames; i++) {
            capture(w, i, 60 + (i * 37) % 1455);
            if (i == 500) {
                w.flush();
            }
        }
        w.close(); // the last partial buffer is written here
        assertEquals(frames, w.framesCaptured());
        assertEquals(0, w.framesDropped());
        assertCapture(file, frames, i -> 60 + (i * 37) % 1455);
    }

    @Test
    @Timeout(10)
    void aStuckDiskMakesTheCaptureDropAndCountFramesNeverWait() throws Exception {
        SlowChannel disk = new SlowChannel();
        // 24-byte header + 13 records of 16 + 60 bytes fill the first 1024-byte buffer; 13 more fill the second.
        PcapWriter w = new PcapWriter(disk, 1024, 2);
        for (int i = 0; i < 100; i++) {
            capture(w, i, 60);
        }
        assertTrue(disk.firstWrite.await(10, TimeUnit.SECONDS), "the writer thread holds the first buffer");
        assertEquals(26, w.framesCaptured(), "two buffers' worth");
        assertEquals(74, w.framesDropped(), "the rest dropped while the disk was stuck, the loop never waited");

        disk.open.countDown();
        w.close();
        Path file = dir.resolve("from-memory.pcap");
        Files.write(file, disk.written.toByteArray());
        assertCapture(file, 26, i -> 60);
        assertTrue(disk.closed);
    }

    @Test
    @Timeout(10)
    void aWriteErrorStopsTheCaptureAndCloseStillCloses() throws Exception {
        SlowChannel disk = new SlowChannel();
        disk.fail = true;
        disk.open.countDown();
        PcapWriter w = new PcapWriter(disk, 1024, 2);
        capture(w, 0, 60);
        w.close(); // hands the buffer over, the write fails, close waits for that
        long captured = w.framesCaptured();
        capture(w, 1, 60);
        assertEquals(captured, w.framesCaptured(), "nothing is captured after a write error");
        assertEquals(0, disk.written.size());
        assertTrue(disk.closed);
    }
}
