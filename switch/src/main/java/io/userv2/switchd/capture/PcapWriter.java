package io.userv2.switchd.capture;

import io.netty.buffer.ByteBuf;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Writes frames to a classic libpcap capture file (LINKTYPE_ETHERNET, microsecond timestamps) that tcpdump, tshark
 * and Wireshark read, without ever making the event loop wait for the disk.
 *
 * <p>The format is small and fixed (a 24-byte file header, then a 16-byte record header before each frame), so it is
 * written here directly: pcap4j's dumper goes through libpcap per frame, which costs a native call and a copy on the
 * forwarding path. Tests read our files back with libpcap (pcap4j) and tshark.
 *
 * <p>Threads and buffers: {@link #capture} (on the loop) copies each frame into the current staging buffer; a full
 * buffer, or a partial one at {@link #flush()} (every second), is handed to the writer thread
 * ({@code userv2-pcap}), which writes it to the file and returns it to the free list. The buffers are a fixed set,
 * allocated here and owned by this writer: at any moment each is either the loop's staging buffer, queued or being
 * written by the writer thread, or free. When the writer falls behind and no buffer is free, frames are dropped and
 * counted ({@link #framesDropped()}), never waited for. A write error stops the capture (logged once).
 *
 * <p>{@link #capture}, {@link #flush()} and {@link #close()} are called on the loop thread; {@link #close()} hands
 * over what is staged and waits for the writer to finish (it runs at shutdown).
 */
public final class PcapWriter implements FrameCapture, Closeable {
    private static final System.Logger LOG = System.getLogger(PcapWriter.class.getName());
    /** Classic pcap magic for microsecond timestamps, written in our byte order (readers detect the order). */
    private static final int MAGIC = 0xA1B2C3D4;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int SNAPLEN = 262_144;
    private static final int RECORD_HEADER = 16;
    private static final int FILE_HEADER = 24;
    /** Staging buffer size: 4 of the largest frames; one hand-over per 256 KiB of capture. */
    static final int BUFFER_BYTES = 256 * 1024;
    /** Buffers in all: the writer may be up to 1.75 MiB behind before frames are dropped. */
    static final int BUFFERS = 8;
    private static final long CLOSE_TIMEOUT_SECONDS = 10;

    private final WritableByteChannel out;
    private final ArrayBlockingQueue<ByteBuffer> free;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "userv2-pcap");
        t.setDaemon(true);
        return t;
    });
    /** Wall-clock microseconds at {@link #baseNanos}: timestamps are derived from the monotonic clock. */
    private final long baseMicros = System.currentTimeMillis() * 1000L;
    private final long baseNanos = System.nanoTime();
    /** The loop's buffer; null when none was free at the last hand-over. */
    private ByteBuffer staging;
    private long framesCaptured;
    private long framesDropped;
    /** Set by the writer thread on a write error. */
    private volatile boolean failed;

    /** Creates (or truncates) {@code path}; the file header is the first thing written. */
    public PcapWriter(Path path) throws IOException {
        this(FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), BUFFER_BYTES, BUFFERS);
    }

    /** A capture onto {@code out} (closed by {@link #close()}) with {@code buffers} buffers of {@code bufferBytes}. */
    PcapWriter(WritableByteChannel out, int bufferBytes, int buffers) {
        if (bufferBytes < FILE_HEADER || buffers < 1) {
            throw new IllegalArgumentException(buffers + " buffers of " + bufferBytes + " bytes");
        }
        this.out = out;
        this.free = new ArrayBlockingQueue<>(buffers);
        for (int i = 0; i < buffers; i++) {
            free.add(ByteBuffer.allocateDirect(bufferBytes).order(ByteOrder.LITTLE_ENDIAN));
        }
        staging = free.poll();
        staging.putInt(MAGIC).putShort((short) 2).putShort((short) 4) // version 2.4
                .putInt(0).putInt(0) // thiszone, sigfigs
                .putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET);
    }

    /** Copies the frame into the staging buffer, or drops and counts it when no buffer is free. */
    @Override
    public void capture(ByteBuf buf, int index, int length) {
        if (failed) {
            return;
        }
        int needed = RECORD_HEADER + length;
        if (staging != null && staging.remaining() < needed) {
            handOver();
        }
        if (staging == null) {
            staging = free.poll();
        }
        if (staging == null || staging.remaining() < needed) { // no buffer free (or a frame larger than one)
            drop();
            return;
        }
        long micros = baseMicros + (System.nanoTime() - baseNanos) / 1000L;
        staging.putInt((int) (micros / 1_000_000L)).putInt((int) (micros % 1_000_000L))
                .putInt(length).putInt(length);
        int limit = staging.limit();
        staging.limit(staging.position() + length);
        buf.getBytes(index, staging);
        staging.limit(limit);
        framesCaptured++;
    }

    private void drop() {
        if (framesDropped++ == 0) {
            LOG.log(System.Logger.Level.WARNING, "capture file writer is behind: dropping frames from the capture");
        }
    }

    /** Hands what is staged so far to the writer thread (no I/O here). */
    public void flush() {
        if (staging != null && staging.position() > 0) {
            handOver();
        }
    }

    private void handOver() {
        ByteBuffer b = staging;
        staging = null;
        b.flip();
        writer.execute(() -> writeOut(b));
    }

    /** On the writer thread: writes {@code b} unless the capture failed, then returns it to the free list. */
    private void writeOut(ByteBuffer b) {
        try {
            while (!failed && b.hasRemaining()) {
                out.write(b);
            }
        } catch (IOException e) {
            failed = true;
            LOG.log(System.Logger.Level.ERROR, "capture file write failed, capture stopped: " + e);
        } finally {
            b.clear();
            free.add(b);
        }
    }

    /** Frames copied for the writer so far. */
    public long framesCaptured() {
        return framesCaptured;
    }

    /** Frames left out of the capture because the writer was behind. */
    public long framesDropped() {
        return framesDropped;
    }

    /** Hands over what is staged, waits for the writer to write everything, syncs and closes the file. */
    @Override
    public void close() throws IOException {
        if (!writer.isShutdown()) {
            flush();
            writer.shutdown();
        }
        try {
            if (!writer.awaitTermination(CLOSE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "capture file still being written after "
                        + CLOSE_TIMEOUT_SECONDS + " s; closing it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (framesDropped > 0) {
            LOG.log(System.Logger.Level.WARNING, "capture: " + framesDropped + " frames dropped, "
                    + framesCaptured + " captured");
        }
        try {
            if (out instanceof FileChannel f && f.isOpen()) {
                f.force(false);
            }
        } finally {
            out.close();
        }
    }
}
