package io.userv2.switchd.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/** A client that speaks raw bytes to the API socket, for requests curl will not send (or will not stop sending). */
final class RawClient {
    private RawClient() {
    }

    /** A blocking connect to {@code socket}. */
    static SocketChannel connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return channel;
    }

    /** Writes all of {@code text} (ISO-8859-1). */
    static void write(SocketChannel channel, String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /**
     * Reads until the server closes the connection (or {@code until}, when not null, appears); fails the test when
     * neither happens within {@code limit}.
     */
    static String read(SocketChannel channel, String until, Duration limit) throws IOException {
        channel.configureBlocking(false);
        StringBuilder text = new StringBuilder();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        long deadline = System.nanoTime() + limit.toNanos();
        try (Selector selector = Selector.open()) {
            channel.register(selector, SelectionKey.OP_READ);
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                assertTrue(left > 0, "no EOF" + (until == null ? "" : " nor " + until) + " within " + limit
                        + ": " + text);
                selector.select(left);
                selector.selectedKeys().clear();
                buffer.clear();
                int n = channel.read(buffer);
                if (n < 0) {
                    return text.toString();
                }
                text.append(new String(buffer.array(), 0, n, StandardCharsets.ISO_8859_1));
                if (until != null && text.indexOf(until) >= 0) {
                    return text.toString();
                }
            }
        }
    }
}
