package io.userv2.switchd.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gvproxy's notification events as {@link NotificationSender} delivers them. */
class NotificationSenderTest {
    @TempDir
    Path dir;
    private ServerSocketChannel listener;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    /** A client as podman's would be: listens, reads one event per connection. */
    private Path listen() throws IOException {
        Path socket = dir.resolve("notify.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            while (listener.isOpen()) {
                try (SocketChannel ch = listener.accept(); InputStream in = Channels.newInputStream(ch)) {
                    received.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException closed) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return socket;
    }

    @AfterEach
    void closeListener() throws IOException {
        if (listener != null) {
            listener.close();
        }
    }

    private String next() throws InterruptedException {
        return received.poll(5, TimeUnit.SECONDS);
    }

    @Test
    void eachEventIsOneConnectionWithOneJsonLineAsGvproxyWritesIt() throws Exception {
        try (NotificationSender sender = new NotificationSender(listen())) {
            sender.send(NotificationSender.READY);
            sender.send(NotificationSender.CONNECTION_ESTABLISHED, "5a:94:ef:e4:0c:ee");
            assertEquals("{\"notification_type\":\"ready\"}\n", next());
            assertEquals("{\"notification_type\":\"connection_established\",\"mac_address\":\"5a:94:ef:e4:0c:ee\"}\n",
                    next());
        }
    }

    @Test
    void noListenerLosesThatEventOnlyAndTheNextOneIsDelivered() throws Exception {
        Path socket = dir.resolve("notify.sock");
        try (NotificationSender sender = new NotificationSender(socket)) {
            sender.send(NotificationSender.HYPERVISOR_ERROR); // nobody listens yet: logged and dropped
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (sender.failures() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(1, sender.failures());
            listen();
            sender.send(NotificationSender.READY);
            assertEquals("{\"notification_type\":\"ready\"}\n", next());
        }
        assertNull(received.poll(200, TimeUnit.MILLISECONDS), "the undeliverable event never turns up");
    }
}
