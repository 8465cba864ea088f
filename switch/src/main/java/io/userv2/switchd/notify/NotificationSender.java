package io.userv2.switchd.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * gvproxy's {@code -notification unix://PATH}: events about the network sent to a client that listens on a unix
 * socket, as gvisor-tap-vsock's {@code pkg/notification} sends them. Each event is one connection to {@code PATH}
 * carrying one JSON object and a newline, e.g. {@code {"notification_type":"connection_established",
 * "mac_address":"5a:94:ef:e4:0c:ee"}}; the types are {@link #READY}, {@link #CONNECTION_ESTABLISHED},
 * {@link #CONNECTION_CLOSED} and {@link #HYPERVISOR_ERROR}.
 *
 * <p>{@link #send} never blocks its caller (the event loop calls it): events wait in a queue of 100, as gvproxy's
 * channel, and one daemon thread delivers them in order. A full queue drops the event with a warning; an event the
 * client cannot take (no listener, refused) is logged and dropped, and the next one is tried afresh. Thread-safe.
 */
public final class NotificationSender implements AutoCloseable {
    /** The network is up: every socket is listening. */
    public static final String READY = "ready";
    /** A VM's MAC address was seen on the LAN for the first time (on its port). */
    public static final String CONNECTION_ESTABLISHED = "connection_established";
    /** The port a MAC address was seen on closed. */
    public static final String CONNECTION_CLOSED = "connection_closed";
    /** A VM socket could not be served (listen or accept failed). */
    public static final String HYPERVISOR_ERROR = "hypervisor_error";

    private static final System.Logger LOG = System.getLogger(NotificationSender.class.getName());
    /** gvproxy's channel capacity. */
    static final int QUEUE = 100;
    private static final byte[] STOP = new byte[0];
    private static final ObjectMapper JSON = new ObjectMapper();

    private final UnixDomainSocketAddress socket;
    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread thread;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicLong failures = new java.util.concurrent.atomic.AtomicLong();

    /** Starts the delivery thread for the client listening at {@code socket}. */
    public NotificationSender(Path socket) {
        this.socket = UnixDomainSocketAddress.of(socket);
        this.thread = new Thread(this::deliver, "userv2-notify");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues an event without a MAC address ({@link #READY}, {@link #HYPERVISOR_ERROR}). */
    public void send(String type) {
        send(type, null);
    }

    /** Queues an event; {@code mac} (as {@code 5a:94:ef:e4:0c:ee}) is left out of the JSON when null. */
    public void send(String type, String mac) {
        if (closed) {
            return;
        }
        Map<String, String> event = new LinkedHashMap<>();
        event.put("notification_type", type);
        if (mac != null) {
            event.put("mac_address", mac);
        }
        byte[] line;
        try {
            line = (JSON.writeValueAsString(event) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a map of strings always serialises
        }
        if (!queue.offer(line)) {
            LOG.log(System.Logger.Level.WARNING, "notification queue full: dropped " + type);
        }
    }

    private void deliver() {
        try {
            while (true) {
                byte[] line = queue.take();
                if (line == STOP) {
                    return;
                }
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(socket);
                    ByteBuffer b = ByteBuffer.wrap(line);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                } catch (IOException | RuntimeException e) {
                    // Whatever went wrong, it was this event's: the thread goes on with the next one.
                    failures.incrementAndGet();
                    LOG.log(System.Logger.Level.WARNING, "failed to send notification to " + socket.getPath()
                            + ": " + e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Events the client could not be given (no listener, refused, cut off). */
    public long failures() {
        return failures.get();
    }

    /**
     * Delivers what is queued (waiting at most {@code waitMillis} for the client) and stops the thread; later
     * {@link #send}s are ignored.
     */
    public void close(long waitMillis) {
        closed = true;
        try {
            if (queue.offer(STOP, waitMillis, TimeUnit.MILLISECONDS)) {
                thread.join(waitMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }

    /** {@link #close(long)} with up to a second for the last events. */
    @Override
    public void close() {
        close(1_000);
    }
}
