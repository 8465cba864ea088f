package io.userv2.switchd.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A test client speaking the QEMU stream protocol from Java: sends hand-made frames (or deliberately broken
 * bytes), records every frame it receives, answers ARP requests for its own address, and notices when the
 * switch closes the connection.
 */
public final class RawPort implements AutoCloseable {
    private final SocketChannel channel;
    private final String mac;
    private final String ip;
    private final List<byte[]> received = new ArrayList<>();
    private final Thread reader;
    private volatile boolean eof;
    private volatile String eofReason = "";

    private RawPort(SocketChannel channel, String mac, String ip) {
        this.channel = channel;
        this.mac = mac;
        this.ip = ip;
        this.reader = new Thread(this::readLoop, "rawport-" + ip);
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /** Connects to "unix:PATH" or "tcp:HOST:PORT" as a host with {@code mac} and {@code ip}. */
    public static RawPort connect(String socket, String mac, String ip) {
        try {
            SocketChannel ch;
            if (socket.startsWith("unix:")) {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                ch.connect(UnixDomainSocketAddress.of(socket.substring(5)));
            } else if (socket.startsWith("tcp:")) {
                String hp = socket.substring(4);
                int colon = hp.lastIndexOf(':');
                ch = SocketChannel.open(new InetSocketAddress(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1))));
            } else {
                throw new IllegalArgumentException(socket);
            }
            return new RawPort(ch, mac, ip);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + socket, e);
        }
    }

    public String mac() {
        return mac;
    }

    public String ip() {
        return ip;
    }

    private void readLoop() {
        ByteBuffer len = ByteBuffer.allocate(4);
        try {
            while (true) {
                len.clear();
                if (!readFully(len)) {
                    eofReason = "EOF";
                    break;
                }
                int n = len.getInt(0);
                if (n <= 0 || n > 1 << 20) {
                    eofReason = "bad length from switch: " + n;
                    break;
                }
                ByteBuffer frame = ByteBuffer.allocate(n);
                if (!readFully(frame)) {
                    eofReason = "EOF mid-frame";
                    break;
                }
                byte[] f = frame.array();
                if (Frames.isArp(f, 1) && Frames.ipString(f, 38).equals(ip)) {
                    send(Frames.arpReply(mac, ip, Frames.macString(f, 22), Frames.ipString(f, 28)));
                }
                synchronized (this) {
                    received.add(f);
                    notifyAll();
                }
            }
        } catch (IOException | UncheckedIOException e) {
            eofReason = e.toString();
        } finally {
            synchronized (this) {
                eof = true;
                notifyAll();
            }
        }
    }

    private boolean readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Sends one frame with its 4-byte big-endian length prefix, in one write. */
    public void send(byte[] frame) {
        ByteBuffer b = ByteBuffer.allocate(4 + frame.length);
        b.putInt(frame.length).put(frame).flip();
        sendRaw(b);
    }

    /** Writes arbitrary bytes (e.g. a broken length prefix). */
    public void sendRaw(byte[] bytes) {
        sendRaw(ByteBuffer.wrap(bytes));
    }

    private synchronized void sendRaw(ByteBuffer b) {
        try {
            while (b.hasRemaining()) {
                channel.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for a received frame (any since connect) matching {@code filter}. */
    public synchronized Optional<byte[]> await(Predicate<byte[]> filter, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int next = 0;
        while (true) {
            for (; next < received.size(); next++) {
                if (filter.test(received.get(next))) {
                    return Optional.of(received.get(next));
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || eof) {
                return Optional.empty();
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    /** All frames received so far that match {@code filter}. */
    public synchronized List<byte[]> received(Predicate<byte[]> filter) {
        return received.stream().filter(filter).toList();
    }

    /** Waits until the switch closes this connection; true if it did within {@code timeout}. */
    public synchronized boolean awaitEof(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!eof) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    public boolean isEof() {
        return eof;
    }

    public String eofReason() {
        return eofReason;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
