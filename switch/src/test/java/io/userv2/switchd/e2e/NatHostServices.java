package io.userv2.switchd.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Services on the host's 127.0.0.1 (and only there) that the NAT tests' guests reach through the gateway: a TCP
 * echo that counts how many connections it holds at once, a reply-after-EOF server (half-close), a UDP echo, and
 * an HTTP server that serves files and hashes uploads. All daemon threads; {@link #close()} stops everything.
 */
final class NatHostServices implements AutoCloseable {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    /** The host's IPv6 loopback, {@code ::1}: where NAT66 takes the gateway's IPv6 address. */
    static final InetAddress LOOPBACK6 = loopback6();

    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "nat-host-service");
        t.setDaemon(true);
        return t;
    });
    private final List<AutoCloseable> closeables = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A TCP echo server on 127.0.0.1; tracks the connections open at once. */
    final class TcpEcho {
        final int port;
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger maxOpen = new AtomicInteger();
        final AtomicInteger accepted = new AtomicInteger();

        private TcpEcho(ServerSocket ss) {
            this.port = ss.getLocalPort();
            threads.execute(() -> acceptLoop(ss, s -> {
                int now = open.incrementAndGet();
                accepted.incrementAndGet();
                maxOpen.accumulateAndGet(now, Math::max);
                try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    byte[] buf = new byte[8192];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } finally {
                    open.decrementAndGet();
                }
            }));
        }
    }

    /**
     * Reads everything until the peer's EOF, then answers "EOF-AFTER N SHA256 HEX\n" followed by
     * {@code extraReply} bytes, and closes.
     */
    final class ReplyAfterEof {
        final int port;
        final AtomicLong lastReceived = new AtomicLong(-1);

        private ReplyAfterEof(ServerSocket ss, int extraReply) {
            this.port = ss.getLocalPort();
            threads.execute(() -> acceptLoop(ss, s -> {
                try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    MessageDigest sha = sha256();
                    long total = 0;
                    byte[] buf = new byte[65536];
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        sha.update(buf, 0, n);
                        total += n;
                    }
                    lastReceived.set(total);
                    out.write(("EOF-AFTER " + total + " SHA256 " + HexFormat.of().formatHex(sha.digest()) + "\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] extra = new byte[extraReply];
                    java.util.Arrays.fill(extra, (byte) 'r');
                    out.write(extra);
                    out.flush();
                }
            }));
        }
    }

    /** A UDP echo on 127.0.0.1 that counts the datagrams it received. */
    final class UdpEcho {
        final int port;
        final AtomicInteger datagrams = new AtomicInteger();
        /** The largest datagram received so far. */
        final AtomicInteger largest = new AtomicInteger();

        private UdpEcho(DatagramSocket ds) {
            this.port = ds.getLocalPort();
            threads.execute(() -> {
                byte[] buf = new byte[65535];
                while (!ds.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        ds.receive(p);
                        datagrams.incrementAndGet();
                        largest.accumulateAndGet(p.getLength(), Math::max);
                        ds.send(new DatagramPacket(p.getData(), p.getOffset(), p.getLength(), p.getSocketAddress()));
                    } catch (IOException e) {
                        if (ds.isClosed()) {
                            return;
                        }
                    }
                }
            });
        }
    }

    /** What the HTTP server saw of one upload. */
    record Upload(long bytes, String sha256) {}

    /**
     * HTTP on 127.0.0.1: {@code GET /NAME} serves file NAME of {@code root}; {@code PUT/POST /upload/ID} hashes the
     * body, answers "bytes=N sha256=HEX" and records it under ID.
     */
    final class Http {
        final int port;
        final Map<String, Upload> uploads = new ConcurrentHashMap<>();

        private Http(Path root, InetAddress bind) throws IOException {
            HttpServer server = HttpServer.create(new InetSocketAddress(bind, 0), 64);
            this.port = server.getAddress().getPort();
            server.createContext("/", ex -> {
                try (ex) {
                    String path = ex.getRequestURI().getPath();
                    if (path.startsWith("/upload/") && ("PUT".equals(ex.getRequestMethod()) || "POST".equals(ex.getRequestMethod()))) {
                        upload(ex, path.substring("/upload/".length()));
                    } else if ("GET".equals(ex.getRequestMethod()) && path.matches("/[A-Za-z0-9._-]+") && Files.isRegularFile(root.resolve(path.substring(1)))) {
                        Path file = root.resolve(path.substring(1));
                        ex.sendResponseHeaders(200, Files.size(file));
                        try (OutputStream out = ex.getResponseBody()) {
                            Files.copy(file, out);
                        }
                    } else {
                        ex.sendResponseHeaders(404, -1);
                    }
                }
            });
            ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r, "nat-http");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(pool);
            server.start();
            closeables.add(() -> {
                server.stop(0);
                pool.shutdownNow();
            });
        }

        private void upload(HttpExchange ex, String id) throws IOException {
            MessageDigest sha = sha256();
            long total = 0;
            try (InputStream in = ex.getRequestBody()) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    sha.update(buf, 0, n);
                    total += n;
                }
            }
            Upload u = new Upload(total, HexFormat.of().formatHex(sha.digest()));
            uploads.put(id, u);
            byte[] body = ("bytes=" + u.bytes() + " sha256=" + u.sha256() + "\n").getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    TcpEcho tcpEcho() {
        return new TcpEcho(listen());
    }

    ReplyAfterEof replyAfterEof(int extraReply) {
        return new ReplyAfterEof(listen(), extraReply);
    }

    UdpEcho udpEcho() {
        try {
            DatagramSocket ds = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
            closeables.add(ds);
            return new UdpEcho(ds);
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A UDP echo server on the host's IPv6 loopback {@code [::1]} (for NAT66). */
    UdpEcho udpEcho6() {
        try {
            DatagramSocket ds = new DatagramSocket(new InetSocketAddress(LOOPBACK6, 0));
            closeables.add(ds);
            return new UdpEcho(ds);
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    Http http(Path root) {
        try {
            return new Http(root, LOOPBACK);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The same HTTP server on the host's IPv6 loopback {@code [::1]} (for NAT66). */
    Http http6(Path root) {
        try {
            return new Http(root, LOOPBACK6);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ServerSocket listen() {
        try {
            ServerSocket ss = new ServerSocket(0, 1024, LOOPBACK);
            closeables.add(ss);
            return ss;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface Handler {
        void handle(Socket s) throws IOException;
    }

    private void acceptLoop(ServerSocket ss, Handler handler) {
        while (!ss.isClosed()) {
            Socket s;
            try {
                s = ss.accept();
            } catch (IOException e) {
                return; // closed
            }
            closeables.add(s);
            threads.execute(() -> {
                try {
                    handler.handle(s);
                } catch (IOException ignored) {
                    // the peer went away; the test sees it on its side
                } finally {
                    closeables.remove(s);
                }
            });
        }
    }

    private static InetAddress loopback6() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
