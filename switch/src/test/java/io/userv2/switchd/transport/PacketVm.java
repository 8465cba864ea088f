package io.userv2.switchd.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/** A fake VM on a packet socket (datagram or seqpacket): one packet is one frame. Blocking, with a receive timeout. */
final class PacketVm implements AutoCloseable {
    final AFUNIXDatagramChannel ch;

    PacketVm(AFUNIXDatagramChannel ch) throws IOException {
        this.ch = ch;
        ch.configureBlocking(true);
    }

    void send(byte[] packet) throws IOException {
        ch.write(ByteBuffer.wrap(packet));
    }

    /** The next packet, or an exception if none came within {@code millis}. */
    byte[] receive(long millis) throws IOException {
        ch.socket().setSoTimeout((int) millis);
        ByteBuffer b = ByteBuffer.allocate(70_000);
        int n = ch.read(b);
        if (n <= 0) {
            throw new IOException("no packet (" + n + ")");
        }
        return Arrays.copyOf(b.array(), n);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
