package io.userv2.switchd;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A fake VM for in-process tests: a blocking stream-socket client that speaks the QEMU length-prefix framing. */
final class VmClient implements AutoCloseable {
    final SocketChannel ch;
    private final ExecutorService reader = Executors.newSingleThreadExecutor();

    private VmClient(SocketChannel ch) {
        this.ch = ch;
    }

    static VmClient connect(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return new VmClient(ch);
    }

    static VmClient connect(SocketAddress tcp) throws IOException {
        return new VmClient(SocketChannel.open(tcp));
    }

    /** Asks for a send buffer of {@code bytes} (so a large write lands in the switch's socket at once). */
    void sendBuffer(int bytes) throws IOException {
        ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, bytes);
    }

    void send(byte[] frame) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + frame.length);
        b.putInt(frame.length).put(frame).flip();
        writeRaw(b);
    }

    void writeRaw(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** The next frame, waiting at most {@code millis}; throws TimeoutException if none came. */
    byte[] receive(long millis) throws Exception {
        Future<byte[]> f = reader.submit(this::readFrame);
        try {
            return f.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw e;
        }
    }

    /** Blocks until the switch closes the connection; true if it did within {@code millis}. */
    boolean awaitEof(long millis) throws Exception {
        Future<Boolean> f = reader.submit(() -> {
            ByteBuffer b = ByteBuffer.allocate(65536);
            while (true) {
                b.clear();
                try {
                    if (ch.read(b) < 0) {
                        return true;
                    }
                } catch (IOException reset) {
                    return true;
                }
            }
        });
        try {
            return f.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return false;
        }
    }

    private byte[] readFrame() throws IOException {
        ByteBuffer len = ByteBuffer.allocate(4);
        readFully(len);
        ByteBuffer frame = ByteBuffer.allocate(len.flip().getInt());
        readFully(frame);
        return frame.array();
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("EOF");
            }
        }
    }

    @Override
    public void close() throws IOException {
        reader.shutdownNow();
        ch.close();
    }
}
