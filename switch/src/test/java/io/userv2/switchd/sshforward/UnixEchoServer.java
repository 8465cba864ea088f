package io.userv2.switchd.sshforward;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The "guest's" unix socket in the unit tests: echoes every byte back as it comes, and when the client's EOF comes,
 * shuts its own sending side (so half-close is seen both ways). Counts connections.
 */
final class UnixEchoServer implements AutoCloseable {
    private final ServerSocketChannel server;
    private final Path path;
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    final AtomicInteger accepted = new AtomicInteger();

    private UnixEchoServer(ServerSocketChannel server, Path path) {
        this.server = server;
        this.path = path;
    }

    static UnixEchoServer start(Path path) {
        try {
            ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            s.bind(UnixDomainSocketAddress.of(path));
            UnixEchoServer echo = new UnixEchoServer(s, path);
            Thread t = new Thread(echo::acceptLoop, "test-echo-accept");
            t.setDaemon(true);
            t.start();
            return echo;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void acceptLoop() {
        while (true) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return;
            }
            accepted.incrementAndGet();
            open.add(c);
            Thread t = new Thread(() -> echo(c), "test-echo");
            t.setDaemon(true);
            t.start();
        }
    }

    private void echo(SocketChannel c) {
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try (c) {
            while (c.read(buf.clear()) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    c.write(buf);
                }
            }
            c.shutdownOutput();
        } catch (IOException ignored) {
            // the peer went away
        } finally {
            open.remove(c);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
            for (SocketChannel c : open) {
                c.close();
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
