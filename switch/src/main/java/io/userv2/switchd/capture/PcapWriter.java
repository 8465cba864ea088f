package io.userv2.switchd.capture;

import io.netty.buffer.ByteBuf;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes frames to a classic libpcap capture file (LINKTYPE_ETHERNET, microsecond timestamps) that tcpdump, tshark
 * and Wireshark read.
 *
 * <p>The format is small and fixed (a 24-byte file header, then a 16-byte record header before each frame), so it is
 * written here directly into a staging buffer flushed in large writes: pcap4j's dumper goes through libpcap per
 * frame, which costs a native call and a copy on the forwarding path. Tests read our files back with libpcap
 * (pcap4j) and tshark. Owned by the event-loop thread; {@link #flush()} and {@link #close()} must be called there too.
 */
public final class PcapWriter implements FrameCapture, Closeable {
    /** Classic pcap magic for microsecond timestamps, written in our byte order (readers detect the order). */
    private static final int MAGIC = 0xA1B2C3D4;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int SNAPLEN = 262_144;
    private static final int RECORD_HEADER = 16;

    private final FileChannel file;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    /** Wall-clock microseconds at {@link #baseNanos}: timestamps are derived from the monotonic clock. */
    private final long baseMicros = System.currentTimeMillis() * 1000L;
    private final long baseNanos = System.nanoTime();
    private long framesWritten;
    private boolean failed;

    /** Creates (or truncates) {@code path} and writes the file header. */
    public PcapWriter(Path path) throws IOException {
        this.file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        staging.putInt(MAGIC).putShort((short) 2).putShort((short) 4) // version 2.4
                .putInt(0).putInt(0) // thiszone, sigfigs
                .putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET);
        flush();
    }

    @Override
    public void capture(ByteBuf buf, int index, int length) {
        if (failed) {
            return;
        }
        if (staging.remaining() < RECORD_HEADER + length) {
            flush();
            if (staging.remaining() < RECORD_HEADER + length) {
                return; // cannot happen for frames up to 64 KiB with a 1 MiB stage
            }
        }
        long micros = baseMicros + (System.nanoTime() - baseNanos) / 1000L;
        staging.putInt((int) (micros / 1_000_000L)).putInt((int) (micros % 1_000_000L))
                .putInt(length).putInt(length);
        int limit = staging.limit();
        staging.limit(staging.position() + length);
        buf.getBytes(index, staging);
        staging.limit(limit);
        framesWritten++;
    }

    /** Writes everything staged so far to the file. */
    public void flush() {
        if (failed) {
            return;
        }
        staging.flip();
        try {
            while (staging.hasRemaining()) {
                file.write(staging);
            }
        } catch (IOException e) {
            failed = true;
            System.getLogger(PcapWriter.class.getName())
                    .log(System.Logger.Level.ERROR, "capture file write failed, capture stopped: " + e);
        }
        staging.clear();
    }

    /** Frames recorded so far. */
    public long framesWritten() {
        return framesWritten;
    }

    /** Flushes and closes the file. */
    @Override
    public void close() throws IOException {
        flush();
        file.force(false);
        file.close();
    }
}
